"""The DCGAN of ``models.DCGAN`` (width 64, latent 100, 28x28 grey images, float32) against its PyTorch twin:
training steps (one discriminator step and one generator step per batch of 64, non-saturating loss, Adam
2e-4 with β1 0.5 for both networks, as examples/gan_mnist.py trains), and the generator's two
Conv2DTranspose layers alone, forward and backward, at the DCGAN's shapes
((64, 128, 7, 7) -> (64, 64, 14, 14) -> (64, 1, 28, 28), 4x4 kernels, stride 2, padding 1), as images/s.

    python benchmarks/dcgan.py [--steps 20] [--repeats 3] [--threads N] [--profile]

In one process the frameworks take turns (a quick look); ``python benchmarks/suite.py --only dcgan_train
conv_transpose`` runs each framework alone in its own process (the figures to publish). ``--profile`` prints
where glassnet's training step spends its time (cProfile, sorted by own time).
Target (issue 17): DCGAN training at least 0.8x PyTorch's images/s.
"""

from __future__ import annotations

import argparse

import numpy as np
from lenet import limit_threads, profile
from timing import best_rates, report

BATCH, LATENT, WIDTH, LR, BETA_1 = 64, 100, 64, 2e-4, 0.5


def make_data(steps: int, batch: int = BATCH, seed: int = 0):
    """``steps`` batches of images in [-1, 1] (N, 1, 28, 28) and of noise (N, LATENT), float32."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (steps, batch, 1, 28, 28)).astype(np.float32)
    noise = rng.standard_normal((steps, batch, LATENT)).astype(np.float32)
    return images, noise


def glassnet_runners(data):
    """(train(steps), conv_transpose(steps)): ``GAN.train_step`` on each batch; the generator's two
    transposed convolutions forward and backward."""
    import glassnet as gn
    from glassnet import models, nn, optim

    gn.manual_seed(0)
    gan = models.DCGAN(LATENT, width=WIDTH)
    gan.compile(
        optim.Adam(lr=LR, beta_1=BETA_1, convention="pytorch"),
        optim.Adam(lr=LR, beta_1=BETA_1, convention="pytorch"),
    )
    images, noise = data
    batches = [(gn.Tensor(b),) for b in images]

    def train(steps):
        for i in range(steps):
            gan.train_step(batches[i % len(batches)])

    first = nn.Conv2DTranspose(WIDTH, 4, strides=2, padding=1, use_bias=False)
    second = nn.Conv2DTranspose(1, 4, strides=2, padding=1)
    first.build((None, 2 * WIDTH, 7, 7))
    second.build((None, WIDTH, 14, 14))
    inputs = np.random.default_rng(1).standard_normal((BATCH, 2 * WIDTH, 7, 7)).astype(np.float32)
    seed = np.ones((BATCH, 1, 28, 28), np.float32)

    def conv_transpose(steps):
        for _ in range(steps):
            x = gn.Tensor(inputs, requires_grad=True)
            second(first(x)).backward(seed)

    return train, conv_transpose


def torch_dcgan(width: int = WIDTH, latent: int = LATENT):
    """The same generator and discriminator in PyTorch (as ``models.DCGAN`` lays them out)."""
    import torch

    t = torch.nn
    generator = t.Sequential(
        t.Linear(latent, 2 * width * 49, bias=False),
        t.BatchNorm1d(2 * width * 49),
        t.ReLU(),
        t.Unflatten(1, (2 * width, 7, 7)),
        t.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),
        t.BatchNorm2d(width),
        t.ReLU(),
        t.ConvTranspose2d(width, 1, 4, 2, 1),
        t.Tanh(),
    )
    discriminator = t.Sequential(
        t.Conv2d(1, width, 4, 2, 1),
        t.LeakyReLU(0.2),
        t.Conv2d(width, 2 * width, 4, 2, 1, bias=False),
        t.BatchNorm2d(2 * width),
        t.LeakyReLU(0.2),
        t.Flatten(),
        t.Linear(2 * width * 49, 1),
    )
    return generator, discriminator


def torch_runners(data):
    import torch

    torch.manual_seed(0)
    generator, discriminator = torch_dcgan()
    g_opt = torch.optim.Adam(generator.parameters(), lr=LR, betas=(BETA_1, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=(BETA_1, 0.999))
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    images, noise = (torch.from_numpy(a) for a in data)

    def train(steps):
        for i in range(steps):
            real, z = images[i % len(images)], noise[i % len(noise)]
            fake = generator(z)
            real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
            d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(
                fake_logits, torch.zeros_like(fake_logits)
            )
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
            judged = discriminator(fake)
            g_loss = bce(judged, torch.ones_like(judged))
            g_opt.zero_grad()
            g_loss.backward()
            g_opt.step()

    first = torch.nn.ConvTranspose2d(2 * WIDTH, WIDTH, 4, 2, 1, bias=False)
    second = torch.nn.ConvTranspose2d(WIDTH, 1, 4, 2, 1)
    inputs = torch.from_numpy(
        np.random.default_rng(1).standard_normal((BATCH, 2 * WIDTH, 7, 7)).astype(np.float32)
    )
    seed = torch.ones((BATCH, 1, 28, 28))

    def conv_transpose(steps):
        for _ in range(steps):
            x = inputs.clone().requires_grad_(True)
            second(first(x)).backward(seed)

    return train, conv_transpose


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--threads", type=int, help="threads for both frameworks (default: their own)")
    args = parser.parse_args()
    if args.threads is not None:
        limit_threads(args.threads)
    data = make_data(args.steps)
    runners = {"glassnet": glassnet_runners(data)}
    try:
        runners["pytorch"] = torch_runners(data)
    except ImportError as error:
        print(f"     pytorch: not installed ({error.name})")
    if args.profile:
        profile(runners["glassnet"][0], args.steps)
    titles = ("DCGAN training (D step + G step)", "Conv2DTranspose x2 forward + backward")
    for which, title in enumerate(titles):
        rates = best_rates({name: pair[which] for name, pair in runners.items()}, args.steps, args.repeats,
                           BATCH, warmup=2)  # fmt: skip
        report(f"{title}, batch {BATCH}, float32: images/s (best of {args.repeats})", rates)


if __name__ == "__main__":
    main()
