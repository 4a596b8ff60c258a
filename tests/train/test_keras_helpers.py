"""What Keras and PyTorch users reach for (issue 15): to_categorical, random_split, TerminateOnNaN,
LambdaCallback."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import data, nn
from glassnet.nn.utils import to_categorical
from glassnet.train import LambdaCallback, TerminateOnNaN


def test_to_categorical_matches_keras_rule():
    one_hot = to_categorical(np.array([[2], [0], [1]]), num_classes=4)
    np.testing.assert_array_equal(one_hot, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert one_hot.dtype == np.float32
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 2\), got values in \[0, 3\]"):
        to_categorical([0, 3], num_classes=2)
    with pytest.raises(TypeError, match="integer class ids, got dtype <U1"):
        to_categorical(np.array(["a"]))


def test_random_split_has_pytorch_semantics():
    torch = pytest.importorskip("torch")
    dataset = data.TensorDataset(np.arange(10.0), np.arange(10))
    parts = data.random_split(dataset, [0.45, 0.45, 0.1], seed=3)
    # PyTorch floors each fraction (4, 4, 1) and hands the remainder round-robin from the first part
    expected = [len(p) for p in torch.utils.data.random_split(range(10), [0.45, 0.45, 0.1])]
    assert [len(p) for p in parts] == expected == [5, 4, 1]
    taken = sorted(int(p[i][1]) for p in parts for i in range(len(p)))
    assert taken == list(range(10))  # a partition
    again = data.random_split(dataset, [0.45, 0.45, 0.1], seed=3)
    assert [p.indices for p in again] == [p.indices for p in parts]  # seeded
    gn.manual_seed(1)
    first = data.random_split(dataset, [7, 3])
    gn.manual_seed(1)
    assert [p.indices for p in data.random_split(dataset, [7, 3])] == [p.indices for p in first]
    with pytest.raises(ValueError, match=r"add up to 9, the dataset has 10 samples"):
        data.random_split(dataset, [6, 3])


def test_terminate_on_nan_stops_training_and_lambda_callback_calls_its_hooks(capsys):
    x = np.ones((8, 1), np.float64)
    model = nn.Sequential([nn.Dense(1, dtype="float64")], input_shape=(1,))
    model.compile("sgd", "mse")
    seen = []
    watch = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, round(logs["loss"], 12))))
    stop = TerminateOnNaN()  # fit itself refuses an infinite loss before backward; a NaN logged stops it
    stop.set_model(model)
    model.stop_training = False
    stop.on_epoch_begin(2)
    stop.on_batch_end(0, {"loss": 0.5})
    assert not model.stop_training
    stop.on_batch_end(1, {"loss": float("nan")})
    assert model.stop_training and stop.stopped_at == (2, 1)
    assert "TerminateOnNaN: the loss is" in capsys.readouterr().out
    with pytest.raises(TypeError, match="unknown hooks \\['on_epoch_ending'\\]"):
        LambdaCallback(on_epoch_ending=print)
    model.fit(x, 2 * x, epochs=2, verbose=0, callbacks=[watch])
    assert seen == [(epoch, round(loss, 12)) for epoch, loss in enumerate(model.history.history["loss"])]


def _lr_after_each_epoch(callback, values, lr=1.0) -> list:
    model = nn.Sequential([nn.Dense(1)], input_shape=(1,))
    model.compile(gn.optim.SGD(lr=lr), "mse")
    callback.set_model(model)
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"val_loss": value})
        rates.append(model.optimizer.param_groups[0]["lr"])
    return rates


PLATEAU = [1.0, 0.9, 0.95, 0.92, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6]


def test_reduce_lr_on_plateau_by_hand():
    # patience 2, cooldown 1: epoch 3 is the 2nd without improvement (0.95, 0.92 > 0.9): lr 0.5; epoch 4
    # is the cooldown; 0.5 at epoch 5 improves; 0.6 at 6, 7: lr 0.25; 8 cools down, 8 and 9 wait: 0.125
    callback = gn.train.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_delta=0.0)
    rates = _lr_after_each_epoch(callback, PLATEAU)
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert callback.reductions == [(3, 0.5), (7, 0.25), (9, 0.125)]
    floor = gn.train.ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05)
    assert _lr_after_each_epoch(floor, [1.0, 1.0, 1.0, 1.0]) == [1.0, 0.1, 0.05, 0.05]
    with pytest.raises(ValueError, match="factor must be in \\(0, 1\\), got 2"):
        gn.train.ReduceLROnPlateau(factor=2)


def test_reduce_lr_on_plateau_is_pytorch_one_epoch_earlier():
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    # PyTorch reduces after patience + 1 bad epochs; an absolute threshold is Keras's min_delta
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=0.5, patience=1, threshold=0.0, threshold_mode="abs"
    )
    expected = []
    for value in PLATEAU:
        scheduler.step(value)
        expected.append(optimizer.param_groups[0]["lr"])
    callback = gn.train.ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.0)
    assert _lr_after_each_epoch(callback, PLATEAU) == expected
