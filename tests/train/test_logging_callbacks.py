"""TensorBoard and CSVLogger: what fit logged, read back with the writer's own reader (TensorBoard's
EventAccumulator) and the csv module, equals History and the batches' logs, with the right steps, also
across a resumed run."""

import csv

import numpy as np
import pytest

from glassnet import nn, optim
from glassnet.optim import schedules
from glassnet.train import CSVLogger, LambdaCallback, LearningRateScheduler, TensorBoard


def data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    return rng.normal(size=(n, 2)) + 3.0 * y[:, None], y


def classifier():
    model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(2)], input_shape=(2,))
    model.compile(optimizer=optim.SGD(lr=0.1), loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
                  metrics=["accuracy"])  # fmt: skip
    return model


class Spy(LambdaCallback):
    """What the batches logged, the rate each ran at, and the parameters and gradients at each epoch end."""

    def __init__(self):
        self.batches, self.rates, self.params = [], [], {}

        def batch_end(batch, logs):
            self.batches.append(logs["loss"])
            self.rates.append(self.model.optimizer.param_groups[0]["lr"])

        def epoch_end(epoch, logs):
            self.params[epoch] = [(p.data.copy(), p.grad.copy()) for p in self.model.parameters()]

        super().__init__(on_batch_end=batch_end, on_epoch_end=epoch_end)


def scalars(accumulator, tag):
    events = accumulator.Scalars(tag)
    return [event.step for event in events], np.array([event.value for event in events])


def test_tensorboard_logs_every_scalar_with_its_step_and_appends_on_resume(tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    pytest.importorskip("tensorboardX")
    x, y = data()
    model, spy = classifier(), Spy()
    board = TensorBoard(tmp_path / "logs", histogram_freq=2, update_freq="batch")
    scheduler = LearningRateScheduler(schedules.ExponentialLR(None, gamma=0.9), update_freq="batch")
    first = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0,
                      callbacks=[board, scheduler, spy])  # fmt: skip
    second = model.fit(x, y, epochs=5, initial_epoch=3, batch_size=16, validation_split=0.2, verbose=0,
                       callbacks=[board, scheduler, spy])  # fmt: skip
    history = {key: first[key] + second[key] for key in first.history}
    assert sorted(history) == ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]

    def read(run):
        accumulator = event_accumulator.EventAccumulator(str(tmp_path / "logs" / run), size_guidance={
            event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0})  # fmt: skip
        return accumulator.Reload()

    train, validation = read("train"), read("validation")
    assert sorted(validation.Tags()["scalars"]) == ["epoch_accuracy", "epoch_loss"]
    assert sorted(train.Tags()["scalars"]) == [
        "batch_learning_rate", "batch_loss", "epoch_accuracy", "epoch_learning_rate", "epoch_loss"
    ]  # fmt: skip
    for key, values in history.items():
        run, tag = (validation, key[4:]) if key.startswith("val_") else (train, key)
        steps, logged = scalars(run, "epoch_" + ("learning_rate" if tag == "lr" else tag))
        assert steps == [0, 1, 2, 3, 4]
        np.testing.assert_allclose(logged, values, rtol=1e-6)  # event files hold float32
    steps, logged = scalars(train, "batch_loss")
    assert steps == list(range(5 * 3))  # 48 training examples in batches of 16, the step going on at resume
    np.testing.assert_allclose(logged, spy.batches, rtol=1e-6)
    steps, logged = scalars(train, "batch_learning_rate")
    np.testing.assert_allclose(logged, [0.1 * 0.9**t for t in range(15)], rtol=1e-6)
    np.testing.assert_allclose(logged, spy.rates, rtol=1e-6)
    names = [f"{layer}/{name}" for layer in "01" for name in ("weight", "bias")]
    assert sorted(train.Tags()["histograms"]) == sorted(names + [name + "/gradient" for name in names])
    for index, (layer, name) in enumerate([("0", "weight"), ("0", "bias"), ("1", "weight"), ("1", "bias")]):
        for suffix, which in (("", 0), ("/gradient", 1)):
            events = train.Histograms(f"{layer}/{name}{suffix}")
            assert [event.step for event in events] == [1, 3]  # histogram_freq=2: epochs 2 and 4 (from 1)
            for event in events:
                array = spy.params[event.step][index][which].astype(np.float64)
                histogram = event.histogram_value
                assert histogram.num == array.size
                expected = [array.min(), array.max(), array.sum()]
                np.testing.assert_allclose([histogram.min, histogram.max, histogram.sum], expected, rtol=1e-6)


def test_tensorboard_every_n_batches_and_bad_settings(tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    pytest.importorskip("tensorboardX")
    x, y = data()
    board = TensorBoard(tmp_path, update_freq=4)
    classifier().fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[board])
    train = event_accumulator.EventAccumulator(str(tmp_path / "train")).Reload()
    assert [event.step for event in train.Scalars("batch_loss")] == [3, 9]  # batches 4 of each epoch of 6
    assert [event.step for event in train.Scalars("epoch_loss")] == [0, 1]
    assert not (tmp_path / "validation").exists()
    with pytest.raises(ValueError, match="'epoch', 'batch' or a whole number >= 1, got 0"):
        TensorBoard(tmp_path, update_freq=0)
    with pytest.raises(ValueError, match="histogram_freq must be a whole number >= 0, got -1"):
        TensorBoard(tmp_path, histogram_freq=-1)


def read_csv(path, separator=","):
    with open(path, newline="") as file:
        return list(csv.reader(file, delimiter=separator))


def test_csv_logger_rows_equal_history_and_append_keeps_one_header(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    model = classifier()
    # first in the list: the "lr" the scheduler adds after it still reaches the row
    callbacks = [CSVLogger(path, separator=";"), LearningRateScheduler(schedules.StepLR(None, step_size=2))]
    first = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0, callbacks=callbacks)
    rows = read_csv(path, ";")
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    callbacks[0] = CSVLogger(path, separator=";", append=True)
    second = model.fit(x, y, epochs=5, initial_epoch=3, validation_split=0.2, verbose=0, callbacks=callbacks)
    rows = read_csv(path, ";")
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"] and len(rows) == 6
    assert [row[0] for row in rows[1:]] == ["0", "1", "2", "3", "4"]
    for column, name in enumerate(rows[0][1:], start=1):
        assert [float(row[column]) for row in rows[1:]] == first[name] + second[name]  # exact: repr
    np.testing.assert_allclose([float(row[3]) for row in rows[1:]], [0.1, 0.1, 0.01, 0.01, 0.001], rtol=1e-12)


def test_csv_logger_overwrites_marks_missing_values_and_refuses_foreign_files(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    path.write_text("old contents\n")
    model = classifier()
    gappy = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update({"extra": 1.5} if epoch == 0 else {}))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(path), gappy])
    rows = read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "extra", "loss"] and rows[1][2] == "1.5" and rows[2][2] == "NA"
    with pytest.raises(ValueError, match="this run also logs val_accuracy, val_loss: write to a new file"):
        model.fit(x, y, epochs=1, validation_split=0.2, verbose=0, callbacks=[CSVLogger(path, append=True)])
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not one that starts with 'epoch'"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, append=True)])
    path.write_text("epoch" + "x" * 70_000)
    with pytest.raises(ValueError, match="does not start with a header line of at most 65536 bytes"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, append=True)])
    with pytest.raises(ValueError, match="separator must be one character"):
        CSVLogger(path, separator=", ")
