"""fit, evaluate and predict for functional models with several inputs and outputs: the data by list or by
name, one loss per output with weights, per-output logs and metrics, and saving a trained model."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim


def _data(samples=240):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((samples, 4)), rng.standard_normal((samples, 3))
    label = (a[:, 0] - a[:, 1] + b[:, 2] > 0).astype(np.int64)
    amount = (a[:, 2] + 0.5 * b[:, 0])[:, None]
    return a, b, label, amount


def _two_in_two_out():
    a, b = nn.Input((4,), name="a"), nn.Input((3,), name="b")
    h = nn.Concatenate()([nn.Dense(16, activation="relu")(a), nn.Dense(16, activation="relu")(b)])
    label = nn.Dense(2, activation="softmax", name="label")(h)
    amount = nn.Dense(1, name="amount")(nn.Add()([nn.Dense(8)(h), nn.Dense(8)(h)]))
    return nn.Model([a, b], [label, amount], name="two_by_two")


def test_two_input_two_output_model_trains_and_reloads_with_identical_predictions(tmp_path):
    a, b, label, amount = _data()
    model = _two_in_two_out()
    model.compile(
        optimizer=optim.Adam(lr=0.01),
        loss={"label": "sparse_categorical_crossentropy", "amount": "mse"},
        loss_weights={"label": 1.0, "amount": 0.5},
        metrics={"label": ["accuracy"]},
    )
    before = model.evaluate([a, b], [label, amount], return_dict=True)
    history = model.fit({"a": a, "b": b}, {"label": label, "amount": amount}, epochs=15, verbose=0)
    assert list(history.history) == ["loss", "label_loss", "amount_loss", "label_accuracy"]
    after = model.evaluate([a, b], [label, amount], return_dict=True)
    assert after["label_loss"] < 0.3 * before["label_loss"]
    assert after["amount_loss"] < 0.1 * before["amount_loss"]
    assert after["label_accuracy"] > 0.95
    path = model.save(tmp_path / "two.glassnet")
    loaded = nn.load_model(path)
    for ours, theirs in zip(model.predict([a, b]), loaded.predict({"a": a, "b": b})):
        np.testing.assert_array_equal(ours, theirs)
    assert loaded.evaluate([a, b], [label, amount], return_dict=True) == after
    # the optimizer state came back too: one more epoch moves both models the same way
    gn.manual_seed(7)
    model.fit([a, b], [label, amount], epochs=1, verbose=0)
    gn.manual_seed(7)
    loaded.fit([a, b], [label, amount], epochs=1, verbose=0)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, loaded.state_dict()[name], err_msg=name)


def test_the_loss_is_the_weighted_sum_of_the_outputs_losses(float64):
    a, b, label, amount = _data(50)
    model = _two_in_two_out()
    model.compile(loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[0.3, 2.0])
    probabilities, predicted = model.predict([a, b])
    cross_entropy = -np.log(probabilities[np.arange(50), label]).mean()
    squared = ((predicted - amount) ** 2).mean()
    logs = model.evaluate([a, b], [label, amount], batch_size=7, return_dict=True)
    np.testing.assert_allclose(logs["label_loss"], cross_entropy, rtol=1e-12)
    np.testing.assert_allclose(logs["amount_loss"], squared, rtol=1e-12)
    np.testing.assert_allclose(logs["loss"], 0.3 * cross_entropy + 2.0 * squared, rtol=1e-12)


def test_gradient_of_the_weighted_loss_matches_torch(float64):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity")
    x = nn.Input((3,))
    first, second = nn.Dense(2, name="first"), nn.Dense(1, name="second")
    model = nn.Model(x, [first(x), second(x)])
    model.compile(optimizer=optim.SGD(lr=0.1), loss="mse", loss_weights=[0.25, 3.0])
    data = np.random.default_rng(1).standard_normal((5, 3))
    y1, y2 = (
        np.random.default_rng(2).standard_normal((5, 2)),
        np.random.default_rng(3).standard_normal((5, 1)),
    )
    w1, w2 = (torch.tensor(layer.weight.data.copy(), requires_grad=True) for layer in (first, second))
    b1, b2 = (torch.tensor(layer.bias.data.copy()) for layer in (first, second))
    t = torch.tensor(data)
    loss = 0.25 * ((t @ w1 + b1 - torch.tensor(y1)) ** 2).mean()
    loss = loss + 3.0 * ((t @ w2 + b2 - torch.tensor(y2)) ** 2).mean()
    loss.backward()
    model.fit(data, [y1, y2], batch_size="full", epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(first.weight.data, (w1 - 0.1 * w1.grad).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(second.weight.data, (w2 - 0.1 * w2.grad).detach().numpy(), rtol=1e-12)


def test_one_loss_for_every_output_and_metrics_for_each():
    x = nn.Input((2,))
    model = nn.Model(
        x, [nn.Dense(1, activation="sigmoid", name="p")(x), nn.Dense(1, activation="sigmoid", name="q")(x)]
    )
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    assert [m.name for m in model.compiled_metrics] == ["p_accuracy", "q_accuracy"]
    data = np.array([[1.0, 0.0], [0.0, 1.0]])
    probabilities = model.predict(data)
    targets = [np.array([[1.0], [0.0]]), np.array([[0.0], [0.0]])]
    logs = model.evaluate(data, targets, return_dict=True)
    for name, predicted, target in zip("pq", probabilities, targets):
        np.testing.assert_allclose(logs[f"{name}_accuracy"], ((predicted > 0.5) == target).mean())


def test_validation_split_and_data_loader_with_several_arrays():
    a, b, label, amount = _data(100)
    model = _two_in_two_out()
    model.compile(loss=["sparse_categorical_crossentropy", "mse"])
    history = model.fit([a, b], [label, amount], validation_split=0.2, epochs=1, verbose=0)
    assert history.params["samples"] == 80 and "val_amount_loss" in history.history
    loader = gn.data.DataLoader((a, b, label, amount), batch_size=25)
    from_loader = model.evaluate(loader, return_dict=True)
    from_arrays = model.evaluate([a, b], [label, amount], return_dict=True)
    np.testing.assert_allclose(from_loader["loss"], from_arrays["loss"], rtol=1e-6)


def test_errors_say_what_the_model_takes():
    a, b, label, amount = _data(10)
    model = _two_in_two_out()
    with pytest.raises(ValueError, match=r"compile\(loss=...\): expected the names \['label', 'amount'\]"):
        model.compile(loss={"label": "mse"})
    model.compile(loss="mse")
    with pytest.raises(
        ValueError, match=r"fit\(x=...\): the model has 2 \(a, b\); give a list of 2 or a dict"
    ):
        model.fit(a, [label, amount], verbose=0)
    with pytest.raises(ValueError, match=r"the inputs have \[10, 10\] samples and the targets \[10, 9\]"):
        model.fit([a, b], [label, amount[:9]], verbose=0)
    with pytest.raises(ValueError, match="a batch holds 3 arrays, but 'two_by_two' takes 2 input"):
        model.evaluate(gn.data.DataLoader((a, b, label)))
    single = nn.Sequential([nn.Dense(1)], input_shape=(4,))
    with pytest.raises(ValueError, match="loss_weights=...\\) is for models with several outputs"):
        single.compile(loss="mse", loss_weights=[1.0])
