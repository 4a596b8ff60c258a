"""A DCGAN on MNIST (or Fashion-MNIST), with the same network in PyTorch, trained on the same batches and
the same noise, for comparison.

    python examples/gan_mnist.py [--dataset mnist|fashion-mnist] [--epochs 5] [--batch-size 64]
                                 [--latent-dim 100] [--width 64] [--train-samples N] [--torch]
                                 [--data DIR] [--out DIR] [--classifier FILE] [--ema DECAY]
                                 [--loss non_saturating|minimax|least_squares] [--label-smoothing S]
                                 [--lr-generator 2e-4] [--lr-discriminator 2e-4]
                                 [--discriminator-hidden H]

``models.DCGAN`` (dense -> reshape -> transposed convolutions with batch norm -> tanh; a strided-conv
discriminator with LeakyReLU 0.2), the non-saturating loss (or ``--loss``, with one-sided
``--label-smoothing``), Adam (lr 2e-4 unless ``--lr-generator``/``--lr-discriminator``, β1 0.5, PyTorch's
convention) for both networks, pixels mapped from [0, 255] to [-1, 1] (``fit(..., input_range=(0,
255))``), seeded. The twin builds its losses from the same table of terms as ``GAN.compile``
(``nn.gan_losses.GAN_LOSS_TERMS``).

``--torch`` trains a PyTorch 2.13 twin: the same layers, starting from the glassnet network's initial
weights, fed the same batches in the same order and the same noise (both drawn from glassnet's seeded
generator, in the order ``fit`` draws them), so that the two runs differ only by their arithmetic. Each
run saves a grid of 64 samples from the same fixed noise per epoch (PNG, with matplotlib) under ``--out``
(glassnet's through ``GANMonitor``, which also warns when the discriminator wins or the generator
collapses); the glassnet run also saves the trained GAN.

``--ema DECAY`` keeps a moving average of the generator's weights (``models.DCGAN(ema_decay=DECAY)``;
the twin keeps the same with ``torch.optim.swa_utils.AveragedModel``), updated after every generator step;
the grids show it, and both the last weights and the average are scored.

``--classifier FILE`` (a LeNet-5 trained on [0, 1] pixels of the same data set and saved by
``examples/fashion_mnist_lenet.py``: the same classifier for every run) scores 10,000 samples at the end:
the Frechet distance of its penultimate features to the real test images', the classifier score and the
class coverage, beside the same numbers for 10,000 real training images (the ceiling); with it,
``GANMonitor`` also warns when the generator collapses onto few classes.

A 1-2 minute smoke run (the losses move; the samples are blobs):

    python examples/gan_mnist.py --epochs 1 --train-samples 2048 --width 16

The measured run of issue 17 (at most 30 minutes of DCGAN training on a 2-core machine; each epoch prints
its time, so pick --epochs to fit, and give both frameworks the same):

    python examples/fashion_mnist_lenet.py --dataset mnist --cosine --epochs 20  # mnist_lenet.glassnet
    python examples/gan_mnist.py --epochs 10 --ema 0.999 --loss least_squares --discriminator-hidden 256 \\
        --classifier mnist_lenet.glassnet --out gan
    ... the same with --torch

``--discriminator-hidden 256`` (a hidden dense layer before D's logit, as InfoGAN's) is what brings the
classifier score past 9.0: without it, the same least-squares run scored 8.39 after 12 epochs (the twin
8.45; the non-saturating loss 8.23 and 8.28), its samples strokes that LeNet could not name with
confidence.

Each prints, for its 10,000 samples and then for 10,000 real training images (the ceiling): the Frechet
distance of LeNet's penultimate features to the real test images', the classifier score (about 9.88 for
real MNIST), the share of samples in each class, and for MNIST the issue's verdict (score >= 9.0, every
class within 5-15 %). The Frechet distances of the two runs compare (target: glassnet's within 1.2x of
PyTorch's). For Fashion-MNIST: ``fashion_mnist_lenet.py --augment flip --cosine --epochs 20`` writes
fashion_lenet.glassnet; then ``--dataset fashion-mnist --classifier fashion_lenet.glassnet``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import data, models, nn, optim
from glassnet.backend import get_rng
from glassnet.nn.gan_losses import GAN_LOSS_TERMS, GAN_LOSSES
from glassnet.train.callbacks import GANMonitor, save_image_grid
from glassnet.train.generative_metrics import generator_scores, rescale

LEARNING_RATE, BETA_1 = 2e-4, 0.5


# --- the PyTorch twin -------------------------------------------------------------------------------------
def torch_twin(network: nn.Sequential):
    """A ``torch.nn.Sequential`` with the same layers and the same weights as the glassnet ``network``
    (the layers a DCGAN or an MLP GAN uses: Dense, Conv2D, Conv2DTranspose, BatchNorm, ReLU, LeakyReLU,
    Tanh, Reshape, Flatten), in float64 when the network is."""
    import torch  # noqa: PLC0415 - PyTorch is only needed for --torch and the parity tests

    t = torch.nn
    modules, shape = [], network.input_shape
    dtype = getattr(torch, network.parameters()[0].dtype.name)
    for layer in network.layers:
        out_shape = layer.compute_output_shape(shape)
        module, weights = _torch_layer(t, layer, shape)
        if module is not None:
            modules.append(module.to(dtype))
        with torch.no_grad():
            for theirs, ours in weights:
                theirs.copy_(torch.from_numpy(np.ascontiguousarray(ours)))
        activation = getattr(layer, "activation_name", None)
        if activation:
            modules.append({"tanh": t.Tanh(), "relu": t.ReLU(), "sigmoid": t.Sigmoid()}[activation])
        shape = out_shape
    return t.Sequential(*modules)


def _torch_layer(t, layer, shape):
    """(the PyTorch module, [(its parameter, our array)]) for one glassnet layer."""
    kind = type(layer).__name__
    if kind == "Dense":
        module = t.Linear(layer.weight.shape[0], layer.units, bias=layer.bias is not None)
        return module, [(module.weight, layer.weight.data.T)] + _bias(module, layer)
    if kind in ("Conv2D", "Conv2DTranspose"):
        cls = t.Conv2d if kind == "Conv2D" else t.ConvTranspose2d
        in_channels, out_channels = layer.weight.shape[:2] if kind != "Conv2D" else layer.weight.shape[1::-1]
        options = {"output_padding": layer.output_padding} if kind == "Conv2DTranspose" else {}
        module = cls(in_channels, out_channels, layer.kernel_size, layer.strides, layer.padding,
                     dilation=layer.dilation, bias=layer.bias is not None, **options)
        return module, [(module.weight, layer.weight.data)] + _bias(module, layer)
    if kind == "BatchNorm":
        cls = t.BatchNorm1d if len(shape) == 2 else t.BatchNorm2d
        module = cls(layer.gamma.shape[0], eps=layer.epsilon, momentum=layer.momentum)
        return module, [(module.weight, layer.gamma.data), (module.bias, layer.beta.data)]
    simple = {
        "ReLU": lambda: t.ReLU(),
        "Tanh": lambda: t.Tanh(),
        "LeakyReLU": lambda: t.LeakyReLU(layer.alpha),
        "Flatten": lambda: t.Flatten(),
        "Reshape": lambda: t.Unflatten(1, layer.target_shape),
    }
    return simple[kind](), []


def _bias(module, layer) -> list:
    return [(module.bias, layer.bias.data)] if layer.bias is not None else []


def torch_gan_loss(kind: str, network: str, logits: dict, label_smoothing: float = 0.0):
    """L_D or L_G of ``kind`` in PyTorch, term by term from glassnet's table (``GAN_LOSS_TERMS``)."""
    import torch  # noqa: PLC0415

    functional = torch.nn.functional
    losses = {"bce": functional.binary_cross_entropy_with_logits, "squared": functional.mse_loss}
    total = 0.0
    for term in GAN_LOSS_TERMS[kind][network]:
        side = logits[term.side]
        target = torch.full_like(side, term.target_value(label_smoothing))
        total = total + term.scale * losses[term.loss](side, target)
    return total


def torch_step(generator, discriminator, g_opt, d_opt, real, z, loss="non_saturating", label_smoothing=0.0):
    """One step of ``GAN.train_step`` (one discriminator step, then the generator's) the PyTorch way: two
    optimizers, ``detach``, two backward passes."""
    fake = generator(z)
    logits = {"real": discriminator(real), "fake": discriminator(fake.detach())}
    d_loss = torch_gan_loss(loss, "discriminator", logits, label_smoothing)
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    g_loss = torch_gan_loss(loss, "generator", {"fake": discriminator(fake)})
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}


def train_torch(gan, images, epochs: int, batch_size: int, fixed_noise, out: Path, loss="non_saturating",
                label_smoothing=0.0, rates=(LEARNING_RATE, LEARNING_RATE)):
    """The PyTorch twin of ``gan`` trained as ``gan.fit`` would be: the batch order and the noise drawn
    from glassnet's generator in the same order; with ``gan.ema_decay``, the moving average of its
    generator kept by ``torch.optim.swa_utils.AveragedModel`` (``get_ema_multi_avg_fn``, buffers
    averaged), as ``GAN(ema_decay=)`` keeps glassnet's. Returns {"last weights": generate, ("moving
    average": generate)}, each a function of noise arrays."""
    import torch  # noqa: PLC0415
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn  # noqa: PLC0415

    generator, discriminator = torch_twin(gan.generator), torch_twin(gan.discriminator)
    average = None
    if gan.ema_decay is not None:
        average = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(gan.ema_decay), use_buffers=True)
    shown = generator if average is None else average
    g_opt = torch.optim.Adam(generator.parameters(), lr=rates[0], betas=(BETA_1, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=rates[1], betas=(BETA_1, 0.999))
    rng = get_rng()
    for epoch in range(epochs):
        order, sums, steps = rng.permutation(len(images)), {}, 0
        for start in range(0, len(images), batch_size):
            real = torch.from_numpy(images[order[start : start + batch_size]])
            z = torch.from_numpy(gan.sample_latent(len(real)).data)
            step = torch_step(generator, discriminator, g_opt, d_opt, real, z, loss, label_smoothing)
            for key, value in step.items():
                sums[key] = sums.get(key, 0.0) + value
            if average is not None:
                average.update_parameters(generator)
            steps += 1
        print(f"pytorch epoch {epoch + 1}: " + "  ".join(f"{k} {v / steps:.4f}" for k, v in sums.items()))
        shown.eval()
        with torch.no_grad():
            samples = shown(torch.from_numpy(fixed_noise)).numpy()
        save_image_grid(samples, out / f"torch_samples_epoch{epoch + 1:03d}.png")
        shown.train()
    generator.eval()

    def sampler(network):
        network.eval()

        def generate(noise):
            with torch.no_grad():
                return network(torch.from_numpy(noise)).numpy()

        return generate

    samplers = {"last weights": sampler(generator)}
    if average is not None:
        samplers["moving average"] = sampler(average)
    return samplers


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist", "fashion"], default="mnist")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--width", type=int, default=64, help="channels of the first conv (the DCGAN's w)")
    parser.add_argument("--discriminator-hidden", type=int,
                        help="a hidden dense layer in D before its logit (InfoGAN's 1024)")
    parser.add_argument("--train-samples", type=int, help="use only the first N training images")
    parser.add_argument("--torch", action="store_true", help="train the PyTorch twin instead")
    parser.add_argument("--data", help="a folder with the four .gz files")
    parser.add_argument("--out", default="gan_samples", help="where the sample grids go")
    parser.add_argument("--classifier", help="a saved classifier of the data ([0, 1] pixels) to score with")
    parser.add_argument("--ema", type=float, help="also keep a moving average of the generator (its decay)")
    parser.add_argument("--loss", choices=GAN_LOSSES, default="non_saturating")
    parser.add_argument("--lr-generator", type=float, default=LEARNING_RATE, help="Adam's rate for G")
    parser.add_argument("--lr-discriminator", type=float, default=LEARNING_RATE,
                        help="Adam's rate for D (two time scales: e.g. 4e-4 here and 1e-4 for G)")
    parser.add_argument("--label-smoothing", type=float, default=0.0,
                        help="one-sided: the real images' target is 1 - this (0.1 in Salimans et al.)")
    args = parser.parse_args()

    gn.manual_seed(0)
    load = data.load_mnist if args.dataset == "mnist" else data.load_fashion_mnist
    (x_train, _), (x_test, _) = load(path=args.data)
    pixels = x_train[: args.train_samples, None]  # (N, 1, 28, 28) uint8
    gan = models.DCGAN(args.latent_dim, width=args.width, ema_decay=args.ema,
                       discriminator_hidden=args.discriminator_hidden)
    # the noise of GANMonitor(seed=1)'s grids, for the PyTorch run's
    fixed_noise = np.random.default_rng(1).standard_normal((64, args.latent_dim)).astype(np.float32)
    out = Path(args.out)
    start = time.perf_counter()
    if args.torch:
        images = (pixels / np.float32(127.5) - 1).astype(np.float32)  # what fit(input_range=(0, 255)) does
        samplers = train_torch(
            gan, images, args.epochs, args.batch_size, fixed_noise, out, args.loss, args.label_smoothing,
            (args.lr_generator, args.lr_discriminator),
        )
        framework = "pytorch"
    else:
        gan.compile(
            generator_optimizer=optim.Adam(lr=args.lr_generator, beta_1=BETA_1, convention="pytorch"),
            discriminator_optimizer=optim.Adam(lr=args.lr_discriminator, beta_1=BETA_1, convention="pytorch"),
            loss=args.loss,
            label_smoothing=args.label_smoothing,
        )
        classifier = gn.load_model(args.classifier) if args.classifier else None
        # seed 1: the same fixed noise as the PyTorch run's grids
        monitor = GANMonitor(directory=out, seed=1, classifier=classifier, classifier_range=(0, 1))
        gan.fit(pixels, epochs=args.epochs, batch_size=args.batch_size, input_range=(0, 255), verbose=2,
                callbacks=[monitor])
        gan.save(out / f"dcgan_{args.dataset}.glassnet")
        samplers, framework = {"last weights": gan.generator.predict}, "glassnet"
        if gan.generator_ema is not None:
            samplers["moving average"] = gan.predict  # the GAN samples from its average
    minutes = (time.perf_counter() - start) / 60
    print(f"{framework} DCGAN on {args.dataset}: {args.epochs} epochs in {minutes:.1f} min; grids in {out}/")
    if args.classifier:
        classifier = gn.load_model(args.classifier)
        for index, (which, generate) in enumerate(samplers.items()):
            report_scores(classifier, generate, gan, x_train, x_test, f"{framework} ({which})",
                          verdict=args.dataset == "mnist", with_real=index == len(samplers) - 1)


def report_scores(classifier, generate, gan, x_train, x_test, framework: str, n: int = 10_000,
                  verdict: bool = False, with_real: bool = True) -> None:
    """The three measures for n samples (from glassnet's seeded noise) and (``with_real``) for n real
    training images; with ``verdict``, whether each meets issue 17's bar for MNIST."""
    noise = np.random.default_rng(2).standard_normal((n, gan.latent_dim)).astype(np.float32)
    samples = np.concatenate([generate(noise[i : i + 1000]) for i in range(0, n, 1000)])
    test = x_test[:n, None] / np.float32(255)
    rows = [(framework, rescale(samples, gan.output_range, (0, 1)))]
    if with_real:
        rows.append(("real training images", x_train[:n, None] / np.float32(255)))
    for label, images in rows:
        scores = generator_scores(classifier, images, test)
        shares = " ".join(f"{share:.3f}" for share in scores["coverage"])
        print(f"{label}: Frechet distance to the test set {scores['frechet_distance']:.3f}, classifier score "
              f"{scores['classifier_score']:.3f}, class shares {shares}")
        if not verdict:
            continue
        coverage = np.asarray(scores["coverage"])
        passed = scores["classifier_score"] >= 9.0 and bool(np.all((coverage >= 0.05) & (coverage <= 0.15)))
        print(f"{label}: classifier score >= 9.0 and every class within 5-15 %: {'yes' if passed else 'no'}")


if __name__ == "__main__":
    main()
