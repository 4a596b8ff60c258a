"""25 training steps of a 3-layer MLP with every optimizer (convention="pytorch") end with the same
weights as torch.optim, in float64 to 1e-10 relative."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim

torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0")

CASES = {
    "sgd": (optim.SGD, torch.optim.SGD, dict(lr=0.05)),
    "sgd_momentum": (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd_nesterov_wd": (
        optim.SGD,
        torch.optim.SGD,
        dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2),
    ),
    "adagrad": (optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1)),
    "adadelta": (optim.Adadelta, torch.optim.Adadelta, dict(lr=1.0)),
    "rmsprop": (optim.RMSProp, torch.optim.RMSprop, dict(lr=0.01)),
    "rmsprop_centered_momentum": (
        optim.RMSProp,
        torch.optim.RMSprop,
        dict(lr=0.01, momentum=0.5, centered=True),
    ),
    "adam": (optim.Adam, torch.optim.Adam, dict(lr=0.01)),
    "adam_amsgrad_wd": (optim.Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=1e-2)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_25_steps_match_torch(float64, case):
    ours_cls, theirs_cls, kwargs = CASES[case]
    rng = np.random.default_rng(0)
    x, target = rng.standard_normal((16, 6)), rng.integers(0, 3, size=16)
    model = nn.Sequential(
        [nn.Dense(8, activation="tanh"), nn.Dense(5, activation="relu"), nn.Dense(3)], input_shape=(6,)
    )
    reference = torch.nn.Sequential(
        torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3)
    ).double()
    with torch.no_grad():
        for layer, twin in zip(model, reference[::2]):
            twin.weight.copy_(torch.tensor(layer.weight.data.T))
            twin.bias.copy_(torch.tensor(rng.standard_normal(layer.bias.shape) * 0.1))
            layer.bias.data[:] = twin.bias.numpy()
    ours = ours_cls(model.parameters(), convention="pytorch", **kwargs)
    theirs = theirs_cls(reference.parameters(), **kwargs)
    loss_fn, torch_loss = nn.SparseCategoricalCrossEntropy(from_logits=True), torch.nn.CrossEntropyLoss()
    tx, ty = torch.tensor(x), torch.tensor(target)
    for _ in range(25):
        loss = loss_fn(model(gn.tensor(x)), target)
        ours.zero_grad()
        loss.backward()
        ours.step()
        expected = torch_loss(reference(tx), ty)
        theirs.zero_grad()
        expected.backward()
        theirs.step()
        assert loss.item() == pytest.approx(expected.item(), rel=1e-10)
    for layer, twin in zip(model, reference[::2]):
        np.testing.assert_allclose(layer.weight.data, twin.weight.detach().numpy().T, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(layer.bias.data, twin.bias.detach().numpy(), rtol=1e-10, atol=1e-13)
