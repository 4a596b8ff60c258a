"""`glassnet explain` on the notes' example files, in every format; summary(explain=True)."""

import re
from pathlib import Path

import numpy as np
import pytest

from glassnet import nn
from glassnet.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "explain"


@pytest.mark.parametrize(
    "fmt, needle",
    [("text", "z₁⁽¹⁾ = x₁·w₁₁⁽¹⁾"), ("md", "$$ z_{1}^{[1]}"), ("tex", r"\[ z_{1}^{[1]}"), ("html", "<table")],
)
def test_notes_example_in_each_format(capsys, fmt, needle):
    assert main(["explain", str(EXAMPLES / "notes_2x2_image.toml"), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert needle in out and "0.765580" in out and "4.000143" in out and "0.047645" in out


def test_latex_file_is_a_complete_document(tmp_path):
    target = tmp_path / "step.tex"
    assert (
        main(["explain", str(EXAMPLES / "notes_2x2_image.toml"), "--format", "tex", "--output", str(target)])
        == 0
    )
    text = target.read_text()
    assert text.startswith(r"\documentclass{article}") and text.rstrip().endswith(r"\end{document}")


def test_perceptron_file_reproduces_the_and_trace(capsys):
    assert main(["explain", str(EXAMPLES / "perceptron_and.toml")]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(("1 ", "2 "))]
    assert len(rows) == 8
    # epoch 1, case (1, 0): w·x = 1.2 > 1 predicts 1, target 0, error -1, w (1.2, 0.6) -> (0.7, 0.6)
    assert rows[2] == ["1", "2", "(1,", "0)", "1.2", "1", "0", "-1", "(1.2,", "0.6)", "(0.7,", "0.6)"]
    assert all(row[7] == "0" for number, row in enumerate(rows) if number != 2)
    assert "converged after 2 epochs; w = [0.7, 0.6]" in out


def test_xor_file_computes_xor_with_zero_loss(capsys):
    assert main(["explain", str(EXAMPLES / "xor_relu.toml"), "--precision", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("L = ") == 4 and "Per step" in out
    outputs = [line for line in out.splitlines() if line.startswith("a₁⁽²⁾ = ")]
    assert [line.rsplit("= ", 1)[1] for line in outputs] == ["0", "1", "1", "0"]


def test_regression_file_has_a_per_step_table(capsys):
    assert main(["explain", str(EXAMPLES / "regression_004.toml")]) == 0
    out = capsys.readouterr().out
    table = out[out.index("Per step") :].splitlines()
    assert sum(1 for line in table if line.strip().startswith(("1 ", "2 "))) == 2
    # one gradient-descent step on MSE: y_hat = 1.2·0.6 - 0.7·0.7 + 0.05 = 0.28; dL/dy_hat = 2(0.28 - 1.5)
    assert "z₁⁽²⁾ = a₁⁽¹⁾·w₁₁⁽²⁾ + a₂⁽¹⁾·w₂₁⁽²⁾ + b₁⁽²⁾ = 0.6·1.2 + 0.7·(-0.7) + 0.05 = 0.28" in out
    assert "∂L/∂ŷ = (1/n)(2(ŷ - y)) = (1/1)(2(0.28 - 1.5)) = -2.44" in out
    chain = "∂L/∂ŷ·∂a₁⁽²⁾/∂z₁⁽²⁾·∂z₁⁽²⁾/∂a₁⁽¹⁾·∂a₁⁽¹⁾/∂z₁⁽¹⁾·∂z₁⁽¹⁾/∂w₁₁⁽¹⁾"
    assert f"∂L/∂w₁₁⁽¹⁾ = {chain} = -2.44·1·1.2·1·1 = -2.928" in out


def test_bad_files(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("kind = 'poem'\n")
    assert main(["explain", str(bad)]) == 2
    assert "kind 'poem'; valid: network, perceptron, derivative" in capsys.readouterr().err
    bad.write_text("input = [1, 2]\ntarget = 1\n")
    assert main(["explain", str(bad)]) == 2
    assert "needs [[layers]]" in capsys.readouterr().err


def test_summary_explain_gives_the_formulas():
    model = nn.Sequential([nn.Dense(3, activation="sigmoid"), nn.BatchNorm(), nn.Dense(1)], input_shape=(4,))
    lines = model.format_summary(explain=True).splitlines()
    assert "    last axis 4 -> units 3: (None, 3); parameters = 4·3 weights + 3 biases = 15" in lines
    assert any("γ and β per feature: 2·3 = 6 parameters" in line for line in lines)


def test_chain_rule_drill_and_adagrad_exercise_files(capsys):
    assert main(["explain", str(EXAMPLES / "chain_rule_drill.toml")]) == 0
    out = capsys.readouterr().out
    assert "dy/dx = 2z · 2m · 2x = 136.6875" in out  # x = 1.5: 2·5.0625 · 2·2.25 · 2·1.5
    assert main(["explain", str(EXAMPLES / "adagrad_exercise.toml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    last = [line for line in lines if line.strip().startswith("10 ")][0].split()
    assert last[2:4] == ["75.467355", "0.002302"]


def test_bptt_file(capsys):
    assert main(["explain", str(EXAMPLES / "rnn_bptt.toml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A SimpleRNN unrolled over 3 steps") and "∂L/∂w_h = " in out and "-0.065117" in out


def _attention_loss(w_q, causal=False):
    """The loss of examples/explain/attention_step.toml in plain NumPy, for a finite difference."""
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    w_k, w_v = np.array([[0.3, 0.8], [-0.6, 0.2]]), np.array([[1.0, 0.5], [-0.5, 0.7]])
    y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    s = (x @ w_q) @ (x @ w_k).T / np.sqrt(2)
    if causal:
        s = np.where(np.tril(np.ones((3, 3), bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return np.mean((p @ (x @ w_v) - y) ** 2)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_attention_file_terms_sum_to_the_gradient(capsys, tmp_path, causal):
    source = (EXAMPLES / "attention_step.toml").read_text()
    path = tmp_path / "attention.toml"
    path.write_text(source.replace("causal = false", f"causal = {str(causal).lower()}"))
    assert main(["explain", str(path), "--precision", "14"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Self-attention on three tokens, d_k = 2") and "P₃ = softmax(S₃)" in out
    section = out[out.index("∂L/∂W_q[1,2]: one term per (query i, key j)") :].splitlines()
    terms = [float(line.split()[-1]) for line in section if re.match(r"\(\d, \d\)", line)]
    assert len(terms) == 9  # one per (query, key) pair
    autograd = float(next(line for line in section if line.strip().startswith("autograd")).split()[-1])
    assert abs(sum(terms) - autograd) < 1e-9
    w_q, h = np.array([[0.5, -0.2], [0.1, 0.4]]), 1e-6
    step = np.zeros((2, 2))
    step[0, 1] = h
    numeric = (_attention_loss(w_q + step, causal) - _attention_loss(w_q - step, causal)) / (2 * h)
    assert autograd == pytest.approx(numeric, abs=1e-9)
    if causal:  # the first token sees only itself: its row of P is (1, 0, 0)
        assert "P₁ = softmax(S₁) = (1, 0, 0) / 1 = [1, 0, 0]" in out


@pytest.mark.parametrize(
    "fmt, needle",
    [("md", r"$$ \frac{\partial L}{\partial W_q[1,2]}"), ("tex", r"\frac{\partial L}{\partial S}"),
     ("html", "<table")],
)  # fmt: skip
def test_attention_file_in_each_format(capsys, fmt, needle):
    assert main(["explain", str(EXAMPLES / "attention_step.toml"), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert needle in out and "0.387870" in out and "-0.016547" in out


@pytest.mark.parametrize(
    "change, message",
    [
        (('weight = "W_q[1,2]"', 'weight = "W_o[1,2]"'), r"weight must look like \"W_q\[1,2\]\""),
        (('weight = "W_q[1,2]"', 'weight = "W_q[0,2]"'), "rows and columns are counted from 1"),
        (('weight = "W_q[1,2]"', 'weight = "W_q[3,1]"'), r"W_q\[2, 0\] is outside its shape \(2, 2\)"),
        (("target = ", "goal = "), "needs tokens, w_q, w_k, w_v and target; missing target"),
        (("tokens = [[1.0, 0.0],", "tokens = [[1.0],"), "tokens must be rows of numbers of equal length"),
        (("causal = false", "causal = 1"), "causal must be true or false, got 1"),
    ],
)
def test_bad_attention_files(tmp_path, capsys, change, message):
    path = tmp_path / "attention.toml"
    path.write_text((EXAMPLES / "attention_step.toml").read_text().replace(*change))
    assert main(["explain", str(path)]) == 2
    assert re.search(message, capsys.readouterr().err)
