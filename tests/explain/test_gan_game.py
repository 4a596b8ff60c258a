"""The picture of the GAN game on the 1-D toy: the numbers behind it (densities, the discriminator's curve,
snapshots at the asked steps), the game moving the generator onto the data, and the PNG."""

import math
import runpy
from pathlib import Path

import numpy as np
import pytest

from glassnet import models, nn, optim
from glassnet.explain import plots
from glassnet.explain.gan import toy_networks

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gan_1d.py"


def test_density_on_grid_is_a_histogram_that_integrates_to_the_share_inside():
    edges = np.linspace(-1.0, 1.0, 5)
    density = plots.density_on_grid([-0.9, -0.1, 0.2, 0.3, 3.0], edges)
    np.testing.assert_allclose(density, [0.4, 0.4, 0.8, 0.0])  # 1/5 of the points per 0.5 = 0.4
    assert (density * np.diff(edges)).sum() == pytest.approx(0.8)  # one of five points is outside


def test_snapshot_of_the_toy_before_training(float64):
    gan = models.GAN(*toy_networks(1.5, -0.5, 0.7, 0.2), latent_dim=1, output_range=(-np.inf, np.inf))
    noise = np.random.default_rng(0).standard_normal((20000, 1))
    edges = np.linspace(-6.0, 5.0, 111)
    snapshot = plots.game_snapshot(gan, edges, noise)
    centres = snapshot["centres"]
    np.testing.assert_allclose(centres, (edges[:-1] + edges[1:]) / 2)
    # the discriminator's curve is σ(w x + c) exactly
    np.testing.assert_allclose(
        snapshot["discriminator"], 1 / (1 + np.exp(-(0.7 * centres + 0.2))), rtol=1e-12
    )
    # the generated density is that of g(z) = 1.5 z - 0.5: N(-0.5, 1.5)
    density = snapshot["generated"]
    widths = np.diff(edges)
    assert (density * widths).sum() == pytest.approx(1.0, abs=2e-3)
    mean = (centres * density * widths).sum()
    spread = math.sqrt(((centres - mean) ** 2 * density * widths).sum())
    assert mean == pytest.approx(-0.5, abs=0.03) and spread == pytest.approx(1.5, rel=0.03)
    normal = np.exp(-((centres + 0.5) ** 2) / (2 * 1.5**2)) / (1.5 * math.sqrt(2 * math.pi))
    assert np.abs(density - normal).max() < 0.03
    gan.compile(loss="least_squares")  # D's output itself, no sigmoid
    np.testing.assert_allclose(plots.game_snapshot(gan, edges, noise)["discriminator"], 0.7 * centres + 0.2)
    with pytest.raises(ValueError, match=r"drawn for 1-D data, shape \(1,\); got \(2,\)"):
        plots.game_snapshot(_two_d_gan(), edges, noise)


def _two_d_gan():
    generator = nn.Sequential([nn.Dense(2)], input_shape=(1,))
    discriminator = nn.Sequential([nn.Dense(1)], input_shape=(2,))
    return models.GAN(generator, discriminator, latent_dim=1, output_range=(-np.inf, np.inf))


def test_the_game_moves_the_generator_onto_the_data():
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    train = runpy.run_path(str(EXAMPLE))["train"]
    gan, recorder, real = train(mu=2.0, sigma=0.5, epochs=30, lr=0.05, n=2048)
    steps = [snapshot["step"] for snapshot in recorder.snapshots]
    assert steps == [0, 48, 192, 480, 960]  # 32 steps per epoch, 30 epochs
    means = [(s["centres"] * s["generated"]).sum() / s["generated"].sum() for s in recorder.snapshots]
    assert abs(means[0]) < 0.05 and abs(means[-1] - 2.0) < 0.25  # from N(0, 1) to the data's mean
    assert abs(gan.generator.bias.item() - 2.0) < 0.25
    at_mu = [np.interp(2.0, s["centres"], s["discriminator"]) for s in recorder.snapshots]
    assert at_mu[1] > 0.6  # early on D says "real" where the data is
    assert abs(at_mu[-1] - 0.5) < 0.1  # at the end it can hardly tell
    figure = plots.plot_gan_game(recorder, real)
    assert len(figure.axes) == 2 * len(steps)  # each panel: densities and, on its right axis, D(x)
    figure.clf()


def test_the_picture_is_written(tmp_path):
    image = pytest.importorskip("matplotlib.image", reason="plots need matplotlib")
    gan = models.GAN(*toy_networks(1.0, 0.0, 0.5, 0.0), latent_dim=1, output_range=(-np.inf, np.inf))
    gan.compile(optim.SGD(lr=0.05), optim.SGD(lr=0.05))
    recorder = plots.GANGameRecorder(np.linspace(-3, 4, 41), steps=(0, 2), samples=500)
    gan.fit(np.random.default_rng(0).normal(2, 0.5, (64, 1)), epochs=1, batch_size=16, verbose=0,
            callbacks=[recorder])  # fmt: skip
    path = plots.plot_gan_game(recorder, np.zeros(3), path=tmp_path / "game.png")
    pixels = image.imread(path)
    assert pixels.shape[0] > 100 and pixels[..., :3].std() > 0.05
    with pytest.raises(ValueError, match="at least one snapshot"):
        plots.plot_gan_game([], np.zeros(3))
