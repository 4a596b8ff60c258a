"""An activation added in ops and nn alone (SiLU, x·σ(x)) is explained everywhere: derive() takes it apart
from the op's decomposition, worked solutions write its formula with the numbers, `glassnet explain`
prints its derivation, and the module matches PyTorch's nn.SiLU. Nothing in glassnet.explain names it."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.cli.main import main
from glassnet.explain.derivatives import derive
from glassnet.explain.worked import worked_step


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_derive_takes_silu_apart_into_two_paths():
    d = derive("silu", x=0.5)
    assert [step.op for step in d.steps] == ["neg", "exp", "add", "div", "mul"]
    assert len(d.paths) == 2  # through x directly and through σ(x)
    s = sigmoid(0.5)
    assert d.paths[0].product == pytest.approx(s, rel=1e-15)  # ∂(x s)/∂x = s
    assert d.paths[1].product == pytest.approx(0.5 * s * (1 - s), rel=1e-14)  # x · σ'(x)
    assert d.chain_rule == pytest.approx(s * (1 + 0.5 * (1 - s)), rel=1e-15) and d.agrees
    assert d.identity[0].text == "silu'(x) = σ(x)(1 + x(1 - σ(x)))"


def test_worked_solution_writes_silu_with_its_numbers(float64):
    model = nn.Sequential([nn.Dense(1, activation="silu", weight_init="ones")], input_shape=(2,))
    text = worked_step(model, [1.0, -0.5], 0.3, loss="mse").to_text()
    z = 0.5
    assert "a₁⁽¹⁾ = 0.5·σ(0.5) = 0.311230" in text
    assert "∂a₁⁽¹⁾/∂z₁⁽¹⁾ = σ(z)(1 + z(1 - σ(z))) = σ(0.5)(1 + 0.5·(1 - σ(0.5))) = " in text
    expected = sigmoid(z) * (1 + z * (1 - sigmoid(z)))
    assert f"= {expected:.6f}" in text


def test_glassnet_explain_derives_silu(tmp_path, capsys):
    spec = tmp_path / "silu.toml"
    spec.write_text('kind = "derivative"\nfunction = "silu"\nx = -1.0\n')
    assert main(["explain", str(spec)]) == 0
    out = capsys.readouterr().out
    s = sigmoid(-1.0)
    direct, through_sigmoid = s, -1.0 * s * (1 - s)  # ∂(x s)/∂x and x σ'(x)
    assert f"df/dx = {direct:.6f} + ({through_sigmoid:.6f}) = {direct + through_sigmoid:.6f}" in out


def test_silu_module_matches_torch(float64):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(5, 7)) * 3
    mine = gn.tensor(x, requires_grad=True)
    out = nn.activations.get("swish")(mine)
    weights = np.random.default_rng(1).normal(size=x.shape)
    (out * gn.tensor(weights)).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.SiLU()(theirs)
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-300)
