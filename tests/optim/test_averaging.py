"""optim.AveragedModel: the exponential moving average and the plain mean (SWA) of a model's weights equal
PyTorch's torch.optim.swa_utils.AveragedModel over 25 updates (float64, 1e-10), buffers copied or
averaged; a saved average continues exactly."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim

torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0")
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn  # noqa: E402


def _pair():
    gn.manual_seed(0)
    model = nn.Sequential(
        [
            nn.Dense(5, dtype="float64"),
            nn.BatchNorm(convention="pytorch", dtype="float64"),
            nn.Dense(2, dtype="float64"),
        ],
        input_shape=(3,),
    )
    twin = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 2)).double()
    with torch.no_grad():
        twin[0].weight.copy_(torch.tensor(model.layers[0].weight.data.T))
        twin[0].bias.copy_(torch.tensor(model.layers[0].bias.data))
        twin[1].weight.copy_(torch.tensor(model.layers[1].gamma.data))
        twin[1].bias.copy_(torch.tensor(model.layers[1].beta.data))
        twin[2].weight.copy_(torch.tensor(model.layers[2].weight.data.T))
        twin[2].bias.copy_(torch.tensor(model.layers[2].bias.data))
    return model, twin


def _train_both(decay, use_buffers, steps=25):
    model, twin = _pair()
    ours = optim.AveragedModel(model, decay=decay, use_buffers=use_buffers)
    theirs = AveragedModel(
        twin, multi_avg_fn=None if decay is None else get_ema_multi_avg_fn(decay), use_buffers=use_buffers
    )
    opt = optim.SGD(lr=0.1, momentum=0.9, convention="pytorch").bind(model.parameters())
    topt = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
        loss = ((model(gn.tensor(x)) - gn.tensor(y)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        ours.update_parameters(model)
        tloss = ((twin(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        topt.zero_grad()
        tloss.backward()
        topt.step()
        theirs.update_parameters(twin)
    return ours, theirs


@pytest.mark.parametrize("decay", [0.9, 0.3, None])
@pytest.mark.parametrize("use_buffers", [False, True])
def test_the_average_matches_pytorch(decay, use_buffers):
    ours, theirs = _train_both(decay, use_buffers)
    dense, norm, last = ours.module.layers
    pairs = [
        (dense.weight.data.T, theirs.module[0].weight),
        (dense.bias.data, theirs.module[0].bias),
        (norm.gamma.data, theirs.module[1].weight),
        (norm.beta.data, theirs.module[1].bias),
        (norm.running_mean, theirs.module[1].running_mean),
        (norm.running_var, theirs.module[1].running_var),
        (last.weight.data.T, theirs.module[2].weight),
    ]
    for mine, expected in pairs:
        np.testing.assert_allclose(mine, expected.detach().numpy(), rtol=1e-10, atol=1e-13)
    assert int(ours.n_averaged) == int(theirs.n_averaged) == 25
    x = np.random.default_rng(5).normal(size=(4, 3))
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(gn.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_the_average_never_moves_the_model_and_takes_no_gradients():
    model, _ = _pair()
    before = model.state_dict()
    ema = optim.AveragedModel(model, decay=0.5)
    ema.update_parameters(model)
    assert all(not p.requires_grad for p in ema.parameters())
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_a_saved_average_continues_exactly(tmp_path):
    model, _ = _pair()
    ema = optim.AveragedModel(model, decay=0.8)
    for step in range(3):
        for p in model.parameters():
            p.data += 0.1 * (step + 1)
        ema.update_parameters(model)
    path = ema.save(tmp_path / "ema.glassnet")
    loaded = gn.load_model(path)
    assert int(loaded.n_averaged) == 3 and loaded.decay == 0.8
    for p in model.parameters():
        p.data -= 0.3
    ema.update_parameters(model)
    loaded.update_parameters(model)
    for a, b in zip(ema.parameters(), loaded.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_bad_arguments_are_refused():
    model, _ = _pair()
    with pytest.raises(ValueError, match=r"decay must be in \[0, 1\)"):
        optim.AveragedModel(model, decay=1.0)
    with pytest.raises(TypeError, match="averages a glassnet Module"):
        optim.AveragedModel(object())
    other = nn.Sequential([nn.Dense(4)], input_shape=(3,))
    with pytest.raises(ValueError, match="does not have the weights of the model it was made from"):
        optim.AveragedModel(model).update_parameters(other)
