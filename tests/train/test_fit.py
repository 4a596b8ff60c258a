"""The fit loop: batches and iterations, validation, callbacks, errors, Ctrl-C."""

import os
import signal

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader
from glassnet.train import Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    x = rng.normal(size=(n, 2)) + 3.0 * y[:, None]
    return x.astype(np.float32), y


def classifier(**compile_args):
    model = nn.Sequential([nn.Dense(8, activation="relu"), nn.Dense(2)], input_shape=(2,))
    model.compile(
        **{
            "optimizer": optim.Adam(lr=0.05),
            "loss": nn.SparseCategoricalCrossEntropy(from_logits=True),
            "metrics": ["accuracy"],
            **compile_args,
        }
    )
    return model


@pytest.mark.parametrize("batch_size, steps", [("full", 1), (1, 200), (32, 7), (200, 1)])
def test_iterations_are_epochs_times_batches(batch_size, steps):
    x, y = blobs()
    history = classifier().fit(x, y, epochs=3, batch_size=batch_size, verbose=0)
    assert history.params["steps"] == steps
    assert history.iterations == 3 * steps and history.epochs == [0, 1, 2]


def test_fit_learns_and_reports_metrics_and_validation():
    x, y = blobs()
    model = classifier()
    history = model.fit(x, y, epochs=20, batch_size=16, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.params["samples"] == 150
    assert history["loss"][-1] < history["loss"][0] and history["val_accuracy"][-1] > 0.95
    loss, accuracy = model.evaluate(x[150:], y[150:])
    assert loss == pytest.approx(history["val_loss"][-1], rel=1e-6)
    assert accuracy == pytest.approx(history["val_accuracy"][-1])
    assert model.evaluate(x, y, return_dict=True).keys() == {"loss", "accuracy"}
    assert model.training  # fit and evaluate leave the model in training mode


def test_epoch_loss_is_the_mean_over_examples_and_matches_a_manual_loop(float64):
    x, y = blobs(50)
    gn.manual_seed(1)
    model = classifier(optimizer=optim.SGD(lr=0.1))
    start = model.state_dict()
    history = model.fit(x, y, epochs=1, batch_size=20, shuffle=False, verbose=0)
    gn.manual_seed(1)
    twin = classifier(optimizer=optim.SGD(lr=0.1))
    twin.load_state_dict(start)
    losses = []
    for xb, yb in DataLoader((x.astype(np.float64), y), batch_size=20):
        loss = twin.loss(twin(xb), yb)
        twin.optimizer.zero_grad()
        loss.backward()
        twin.optimizer.step()
        losses.append(loss.item() * len(xb))
    assert history["loss"][0] == pytest.approx(sum(losses) / 50, rel=1e-12)
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_seeded_fit_repeats_exactly():
    x, y = blobs()
    results = []
    for _ in range(2):
        gn.manual_seed(3)
        model = classifier()
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        results.append(model.predict(x))
    np.testing.assert_array_equal(*results)


def test_regularization_is_added_to_the_loss(float64):
    x, y = blobs(40)
    model = nn.Sequential([nn.Dense(2, weight_regularizer=nn.L2(0.5))], input_shape=(2,))
    model.compile(optimizer=optim.SGD(lr=0.0), loss=nn.SparseCategoricalCrossEntropy(from_logits=True))
    history = model.fit(x, y, epochs=1, batch_size="full", verbose=0)
    data_loss = model.loss(model(gn.tensor(x.astype(np.float64))), y).item()
    penalty = 0.5 * np.sum(model[0].weight.data ** 2)
    assert history["loss"][0] == pytest.approx(data_loss + penalty, rel=1e-12)


def test_fit_over_a_dataloader_with_a_custom_module():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Dense(8, activation="tanh")
            self.out = nn.Dense(2)

        def forward(self, x):
            return self.out(self.hidden(x))

    x, y = blobs()
    net = Net()
    net(gn.tensor(x[:1]))
    net.compile(
        optimizer=optim.Adam(lr=0.05),
        loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = net.fit(DataLoader((x, y), batch_size=25, shuffle=True), epochs=30, verbose=0)
    assert history.iterations == 30 * 8 and history["accuracy"][-1] > 0.9


def test_early_stopping_restores_best_weights():
    x, y = blobs()
    seen = {}

    class Spy(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = (logs["val_loss"], self.model.state_dict())

    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model = classifier(optimizer=optim.SGD(lr=2.0, momentum=0.9))  # large steps: val_loss soon stops falling
    history = model.fit(x, y, epochs=50, validation_split=0.3, callbacks=[stopper, Spy()], verbose=0)
    assert stopper.stopped_epoch is not None and len(history.epochs) == stopper.stopped_epoch + 1
    best = min(seen, key=lambda epoch: seen[epoch][0])
    assert stopper.best_epoch == best and stopper.stopped_epoch == best + 3
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, seen[best][1][name])
    with pytest.raises(KeyError, match="'val_loss', which is not among the epoch's logs"):
        classifier().fit(x, y, epochs=1, callbacks=[EarlyStopping()], verbose=0)


def test_learning_rate_scheduler_sets_and_records_the_rate():
    x, y = blobs()
    model = classifier(optimizer=optim.SGD(lr=0.1))
    history = model.fit(
        x, y, epochs=3, callbacks=[LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)], verbose=0
    )
    assert history["lr"] == [0.1, 0.05, 0.025]
    assert model.optimizer.param_groups[0]["lr"] == 0.025


def test_model_checkpoint_saves_best_only(tmp_path):
    x, y = blobs()
    checkpoint = ModelCheckpoint(
        tmp_path / "model-{epoch:02d}.glassnet", monitor="val_accuracy", save_best_only=True
    )
    classifier().fit(x, y, epochs=4, validation_split=0.2, callbacks=[checkpoint], verbose=0)
    assert checkpoint.saved and all(os.path.exists(path) for path in checkpoint.saved)
    assert checkpoint.saved[0].endswith("model-01.glassnet")
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_ctrl_c_stops_cleanly_and_keeps_history():
    x, y = blobs()

    class CtrlC(Callback):
        def on_batch_end(self, batch, logs=None):
            if len(self.model.history.epochs) == 2 and batch == 2:
                os.kill(os.getpid(), signal.SIGINT)

    model = classifier()
    history = model.fit(x, y, epochs=10, batch_size=20, callbacks=[CtrlC()], verbose=0)
    assert history.interrupted and history.epochs == [0, 1]
    assert history.iterations == 2 * 10 + 3  # the batch in flight finished its update
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert model.predict(x).shape == (200, 2)


def test_verbose_output(capsys):
    x, y = blobs()
    classifier().fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2") and "accuracy" in lines[1]
    classifier().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_bad_input_errors():
    x, y = blobs()
    model = classifier()
    with pytest.raises(ValueError, match="x has 200 samples but y has 199"):
        model.fit(x, y[:-1], verbose=0)
    bad = x.copy()
    bad[17, 1] = np.nan
    with pytest.raises(ValueError, match=r"x contains NaN at row 17, column 1"):
        model.fit(bad, y, verbose=0)
    with pytest.raises(TypeError, match="expects integer class labels, got dtype float32"):
        model.fit(x, y.astype(np.float32), verbose=0)
    with pytest.raises(RuntimeError, match="needs a compiled model"):
        nn.Sequential([nn.Dense(1)], input_shape=(2,)).fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match=r"validation_split must be in \[0, 1\)"):
        model.fit(x, y, validation_split=1.5, verbose=0)


def test_non_finite_loss_stops_with_a_clear_error_and_keeps_history():
    x, y = blobs()
    model = classifier(optimizer=optim.SGD(lr=1e30))
    with (
        np.errstate(over="ignore", invalid="ignore"),
        pytest.raises(
            FloatingPointError, match=r"the loss is (nan|inf) .*\(epoch \d+, batch \d+; model.history"
        ),
    ):
        model.fit(x * 1e20, y, epochs=5, verbose=0)
    assert model.history is not None


def test_token_ids_stay_integers_for_an_embedding_model():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 20, size=(64, 5))
    y = (ids[:, 0] > 10).astype(np.int64)
    model = nn.Sequential([nn.Embedding(20, 4), nn.SimpleRNN(8), nn.Dense(2)], input_shape=(5,))
    model.compile(optimizer=optim.Adam(lr=0.05), loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
                  metrics=["accuracy"])
    seen = []
    forward = model[0].forward
    model[0].forward = lambda x, *args, **kwargs: (seen.append(x.dtype), forward(x, *args, **kwargs))[1]
    history = model.fit(ids, y, epochs=15, batch_size=16, verbose=0)
    assert history["accuracy"][-1] > 0.9
    assert model.predict(ids[:3]).shape == (3, 2)
    assert {dtype.kind for dtype in seen} == {"i"}  # never cast to float32 on the way
