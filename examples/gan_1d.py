"""The GAN game on a 1-D toy, trained and drawn: real points x ~ N(μ, σ), a generator g(z) = a z + b and a
logistic discriminator D(x) = σ(w x + c), trained by ``models.GAN`` (the one fit loop, the non-saturating
loss, plain gradient descent for both players); ``GANGameRecorder`` takes snapshots of the generated density
and the discriminator's curve, and ``plot_gan_game`` draws them side by side.

    python examples/gan_1d.py [--mu 2] [--sigma 0.5] [--epochs 30] [--lr 0.05] [--loss non_saturating]
                              [--out gan_1d.png]

With a linear discriminator the game is about the means: D tilts towards the side where the real points
are, the generator's samples slide that way, and when they sit on the data D flattens towards ½ (a linear D
cannot see a difference in spread; ``glassnet explain examples/explain/gan_1d.toml`` works one step out).
"""

from __future__ import annotations

import argparse

import numpy as np

import glassnet as gn
from glassnet import models, optim
from glassnet.explain.gan import toy_networks
from glassnet.explain.plots import GANGameRecorder, plot_gan_game
from glassnet.nn.gan_losses import GAN_LOSSES


def train(mu=2.0, sigma=0.5, epochs=30, lr=0.05, loss="non_saturating", n=2048, batch_size=64, seed=0):
    """The toy trained from a = 1, b = 0, w = 0.1, c = 0; returns (gan, recorder, real data)."""
    gn.manual_seed(seed)
    real = np.random.default_rng(seed).normal(mu, sigma, (n, 1))
    steps_per_epoch = -(-n // batch_size)
    total = epochs * steps_per_epoch
    gan = models.GAN(*toy_networks(1.0, 0.0, 0.1, 0.0), latent_dim=1, output_range=(-np.inf, np.inf))
    gan.compile(optim.SGD(lr=lr), optim.SGD(lr=lr), loss=loss)
    edges = np.linspace(min(-3.0, mu - 4 * sigma), max(3.0, mu + 4 * sigma), 81)
    steps = sorted({0, total // 20, total // 5, total // 2, total})
    recorder = GANGameRecorder(edges, steps=steps)
    gan.fit(real, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[recorder])
    return gan, recorder, real


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mu", type=float, default=2.0)
    parser.add_argument("--sigma", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--loss", default="non_saturating", choices=GAN_LOSSES)
    parser.add_argument("--out", default="gan_1d.png")
    args = parser.parse_args()
    gan, recorder, real = train(args.mu, args.sigma, args.epochs, args.lr, args.loss)
    generator, discriminator = gan.generator, gan.discriminator
    for snapshot in recorder.snapshots:
        centres, density = snapshot["centres"], snapshot["generated"]
        mean = float((centres * density).sum() / density.sum())
        at_mu = np.interp(args.mu, centres, snapshot["discriminator"])
        print(f"step {snapshot['step']:5d}: generated mean {mean:+.3f}, D(μ) {at_mu:.3f}")
    a, b = generator.weight.item(), generator.bias.item()
    w, c = discriminator.weight.item(), discriminator.bias.item()
    print(f"g(z) = {a:.3f} z + {b:.3f} (data N({args.mu}, {args.sigma})); D(x) = σ({w:.3f} x + {c:.3f})")
    print(f"wrote {plot_gan_game(recorder, real, args.out)}")


if __name__ == "__main__":
    main()
