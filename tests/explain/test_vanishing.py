"""The vanishing-gradient demonstration: a deep sigmoid MLP's first layer gets orders of magnitude less
gradient than its last; a ReLU + He one's does not (CURRICULUM section 4)."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.explain.document import format_number
from glassnet.explain.vanishing import gradient_norms_by_layer, vanishing_gradient_demo

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vanishing_gradients.py"


def assert_png_has_content(path):
    image = pytest.importorskip("matplotlib.image", reason="plots need matplotlib").imread(str(path))
    rgb = image[..., :3].reshape(-1, 3)
    assert len(np.unique(np.round(rgb, 2), axis=0)) > 10
    assert (rgb.min(axis=1) < 0.9).mean() > 0.01


def test_gradient_norms_by_layer_are_the_norms_of_each_weight_gradient(float64):
    model = nn.Sequential([nn.Dense(3, activation="tanh"), nn.Dense(2)], input_shape=(4,))
    x, y = gn.randn(5, 4).numpy(), gn.randn(5, 2).numpy()
    norms = gradient_norms_by_layer(model, x, y, loss="mse")
    # the same gradients by a second, independent backward pass
    for layer in model.layers:
        layer.weight.grad = None
    nn.MSE()(model(gn.tensor(x)), gn.tensor(y)).backward()
    assert list(norms) == [layer.name for layer in model.layers]
    for layer in model.layers:
        assert norms[layer.name] == pytest.approx(np.linalg.norm(layer.weight.grad), rel=1e-14)


# Why these bounds hold (defaults: 10 layers of 32 units, 256 examples, float64). Sigmoid: each of the 9
# sigmoid layers below the output scales the backward signal by about mean σ'(z) ≈ 0.23 times a Glorot
# matrix of gain about 1, so first/last is about 0.23^9 ≈ 2e-6 (1.9e-6 with seed 0; over seeds 0-29 it
# stayed in [7e-7, 8e-5]): 1e-3 leaves more than a factor 10 for any of them. ReLU + He: He's variance
# 2/fan_in makes up for the half of the units that are off, so the backward signal keeps its size; what
# is left is the spread of one random network: 0.30 with seed 0 (a factor 3 from both bounds of
# [0.1, 10]), 0.065 to 3.1 over seeds 0-29, so across seeds the test asks for [1e-2, 1e2] and for a gap of
# at least 1e3 between the two networks (the smallest seen over 30 seeds was 1.7e3).


def test_sigmoid_first_layer_gradient_vanishes_relu_he_does_not():
    result = vanishing_gradient_demo(depth=10, seed=0)
    assert result.sigmoid.shape == result.relu.shape == (10,)
    assert result.sigmoid_ratio < 1e-3
    assert 1e-1 < result.relu_ratio < 1e1
    # every sigmoid layer passes on a mean local derivative σ'(z) of at most 0.25 (read from the trace)
    assert np.all((result.sigmoid_local_derivative > 0) & (result.sigmoid_local_derivative <= 0.25))
    # the last five sigmoid layers lose more than 100x; the ReLU ones keep their order of magnitude
    assert result.sigmoid[-1] > 100 * result.sigmoid[5]
    assert result.relu[-1] < 10 * result.relu[5]


@pytest.mark.parametrize("seed", range(1, 10))
def test_the_gap_holds_for_other_seeds(seed):
    result = vanishing_gradient_demo(depth=10, seed=seed)
    assert result.sigmoid_ratio < 1e-3
    assert 1e-2 < result.relu_ratio < 1e2
    assert result.relu_ratio / result.sigmoid_ratio > 1e3


def test_the_demo_repeats_exactly_with_its_seed():
    first, second = vanishing_gradient_demo(seed=3), vanishing_gradient_demo(seed=3)
    np.testing.assert_array_equal(first.sigmoid, second.sigmoid)
    np.testing.assert_array_equal(first.relu, second.relu)


def test_small_normal_weights_vanish_faster_still():
    # N(0, 0.05²) weights shrink the signal by 0.05·√32 ≈ 0.28 per layer on top of σ' ≈ 0.25
    result = vanishing_gradient_demo(seed=0, sigmoid_init="normal")
    assert result.sigmoid_ratio < 1e-8


def test_the_table_and_the_document_show_the_numbers_and_the_notes_product():
    result = vanishing_gradient_demo(seed=0)
    table = str(result)
    assert f"{result.sigmoid[0]:.3e}" in table and f"{result.relu_ratio:.3e}" in table
    text = result.to_document().to_text()
    assert "0.25 · 0.15 · 0.10 · 0.05 · 0.02 = 3.75e−6" in text
    assert f"sigmoid: ‖∂L/∂W⁽¹⁾‖ / ‖∂L/∂W⁽¹⁰⁾‖ = {format_number(result.sigmoid_ratio)}" in text
    assert f"ReLU + He: ‖∂L/∂W⁽¹⁾‖ / ‖∂L/∂W⁽¹⁰⁾‖ = {format_number(result.relu_ratio)}" in text
    assert r"0.02 = 3.75 \times 10^{-6}$" in result.to_document().to_latex()
    markdown = result.to_document().to_markdown()
    assert f"| $10$ | ${result.sigmoid[-1]:.6f}$ | ${result.sigmoid_local_derivative[-1]:.6f}$ |" in markdown


def test_depth_below_two_is_refused():
    with pytest.raises(ValueError, match="depth must be an integer >= 2, got 1"):
        vanishing_gradient_demo(depth=1)


def test_the_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    path = vanishing_gradient_demo(seed=0).plot(tmp_path / "vanishing.png")
    assert_png_has_content(path)


def test_the_example_prints_the_table_and_writes_the_plots(tmp_path, capsys):
    old = sys.argv
    sys.argv = [str(EXAMPLE), "--out", str(tmp_path)]
    try:
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    finally:
        sys.argv = old
    out = capsys.readouterr().out
    result = vanishing_gradient_demo(seed=0)
    assert f"first / last layer: sigmoid {result.sigmoid_ratio:.3e}" in out
    assert "the ReLU + He network's gets" in out
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    for name in ("vanishing_gradients.png", "gradient_norms_sigmoid.png", "gradient_norms_relu.png"):
        assert_png_has_content(tmp_path / name)
