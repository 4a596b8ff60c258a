"""The GAN objective worked on the 1-D toy: every printed chain-rule sum is the sum of its printed
products and equals autograd's gradient to 1e-9; the step is the one ``models.GAN.train_step`` takes; the
example file prints in every format."""

from pathlib import Path

import numpy as np
import pytest

from glassnet import models, optim
from glassnet.autograd.tensor import Tensor
from glassnet.cli.main import main
from glassnet.explain.gan import toy_networks, worked_gan_step

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "explain"
X, Z = [2.31, 1.62, 2.05], [0.4, -1.3, 0.85]


def _printed_sum(text: str, lhs: str):
    """(sum of the printed products, the printed value) of the line ``lhs = symbols = numbers = value``."""
    line = next(row for row in text.splitlines() if row.startswith(lhs + " = "))
    parts = line.split(" = ")
    assert len(parts) == 4, line
    products = [np.prod([float(f.strip("()")) for f in term.split("·")]) for term in parts[2].split(" + ")]
    return float(np.sum(products)), float(parts[3]), len(products)


@pytest.mark.parametrize(
    "loss, smoothing", [("non_saturating", 0.0), ("minimax", 0.1), ("least_squares", 0.2)]
)
def test_printed_sums_are_autograds_gradients_and_the_gan_takes_the_same_step(float64, loss, smoothing):
    a, b, w, c = 0.8, -0.3, 0.6, 0.1
    solution = worked_gan_step(a, b, w, c, X, Z, loss=loss, lr_d=0.2, lr_g=0.05, label_smoothing=smoothing)
    text = solution.render("text", precision=15)
    expected_terms = {"∂L_D/∂w": 6, "∂L_D/∂c": 6, "∂L_G/∂a": 3, "∂L_G/∂b": 3}
    for lhs, count in expected_terms.items():
        total, printed, terms = _printed_sum(text, lhs)
        assert terms == count  # one product per point and side
        name = lhs[-1]
        assert total == pytest.approx(printed, rel=1e-9, abs=1e-12)
        assert printed == pytest.approx(solution.autograd_gradients[name], rel=1e-9, abs=1e-12)
    assert solution.max_discrepancy() < 1e-12
    assert solution.path_gradients["w"] != 0 and solution.path_gradients["a"] != 0

    # models.GAN's own train_step, with plain gradient descent and the same noise, lands on the same numbers
    generator, discriminator = toy_networks(a, b, w, c)
    gan = models.GAN(generator, discriminator, latent_dim=1)
    gan.compile(optim.SGD(lr=0.05), optim.SGD(lr=0.2), loss=loss, label_smoothing=smoothing)
    gan.sample_latent = lambda n: Tensor(np.array(Z).reshape(-1, 1))
    logs = gan.train_step((Tensor(np.array(X).reshape(-1, 1)),))
    assert logs["d_loss"] == pytest.approx(solution.losses["discriminator"], rel=1e-12)
    assert logs["g_loss"] == pytest.approx(solution.losses["generator"], rel=1e-12)
    trained = {"a": generator.weight, "b": generator.bias, "w": discriminator.weight, "c": discriminator.bias}
    for name, parameter in trained.items():
        assert parameter.item() == pytest.approx(solution.after[name], rel=1e-12, abs=1e-15)
        update = next(row for row in text.splitlines() if row.startswith(f"{name}' = "))
        assert float(update.split(" = ")[-1]) == pytest.approx(parameter.item(), rel=1e-9, abs=1e-12)


def test_losses_printed_element_by_element_sum_to_the_total(float64):
    solution = worked_gan_step(1.0, 0.0, 0.5, 0.0, x=[2.0, 3.0], z=[0.5, -1.0])
    text = solution.render("text", precision=12)
    # ℓ(l₁, 1) = log(1 + e^(-1)): the real point's BCE at logit 1
    line = next(row for row in text.splitlines() if row.startswith("ℓ(l₁, 1) = "))
    assert float(line.split(" = ")[-1]) == pytest.approx(np.log1p(np.exp(-1.0)), rel=1e-11)
    elements = [float(row.split(" = ")[-1]) for row in text.splitlines() if row.startswith("ℓ(l")]
    assert sum(elements[:4]) / 2 == pytest.approx(solution.losses["discriminator"], rel=1e-11)
    assert solution.losses["discriminator"] == pytest.approx(0.9073456847799627, rel=1e-12)


def test_bad_input_names_what_was_expected(float64):
    with pytest.raises(ValueError, match="loss must be one of"):
        worked_gan_step(1.0, 0.0, 0.5, 0.0, X, Z, loss="wasserstein")
    with pytest.raises(ValueError, match="the same number m >= 1 of values, got 3 and 2"):
        worked_gan_step(1.0, 0.0, 0.5, 0.0, X, Z[:2])


@pytest.mark.parametrize(
    "fmt, needle",
    [
        ("text", "∂L_G/∂a = ∂L_G/∂l̃'₁·w'·z₁"),
        ("md", r"$$ \frac{\partial L_D}{\partial w}"),
        ("tex", r"\tilde{l}'_{1}"),
        ("html", "<table"),
    ],
)
def test_the_example_file_in_each_format(capsys, fmt, needle):
    assert main(["explain", str(EXAMPLES / "gan_1d.toml"), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert needle in out and "One step of the GAN game on a 1-D toy" in out
