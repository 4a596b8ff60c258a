"""Generative adversarial networks (Goodfellow et al., 2014): a generator G maps noise z ~ N(0, I) to
images, a discriminator D maps an image to one logit l (D(x) = σ(l), the probability that x is real), and
the two are trained against each other, each with its own optimizer, through the one fit loop (``GAN``
defines ``train_step``). ``DCGAN`` and ``MLPGAN`` build the two networks for 28x28 images.

The losses (``GAN_LOSSES``: "non_saturating", the default, "minimax", "least_squares") are written once, as
terms, in ``glassnet.nn.gan_losses``.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

from glassnet import nn, optim
from glassnet.autograd.grad_mode import no_grad
from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_rng
from glassnet.nn.gan_losses import GAN_LOSSES, discriminator_loss, generator_loss
from glassnet.nn.serialization import deserialize, serialize
from glassnet.nn.utils import clip_grad_norm_
from glassnet.train.generative_metrics import rescale

__all__ = ["GAN", "DCGAN", "MLPGAN", "GAN_LOSSES", "discriminator_loss", "generator_loss"]


class GAN(nn.Module):
    """A generator and a discriminator trained against each other.

    Args:
        generator: maps (N, latent_dim) noise to images (N, *image_shape), e.g. ending in tanh.
        discriminator: maps images to one logit per image, (N, 1) (no sigmoid at the end).
        latent_dim: the size of z; the generator is built for it, or must already take it.
        output_range: the generator's output range, (-1, 1) for tanh; ``fit`` refuses images outside it
            unless told their range (``input_range``).
        ema_decay: keep ``generator_ema``, an exponential moving average of the generator's weights and
            batch-norm statistics with this decay (``optim.AveragedModel(generator, decay,
            use_buffers=True)``, PyTorch's ``AveragedModel`` with ``get_ema_multi_avg_fn``), updated after
            every generator step; ``model(z)``, ``predict`` and ``generate`` then sample from it, and
            ``generator`` is the network being trained. None (the default): no average.

    ``compile(generator_optimizer, discriminator_optimizer, loss, label_smoothing, discriminator_steps)``,
    then ``fit(x, epochs, batch_size)``: each batch takes k discriminator steps and one generator step
    (``train_step``), as PyTorch's DCGAN example: the last discriminator step's fakes G(z) are detached for
    D's update, then reused, with their graph, for G's. ``model(z)`` (and ``predict``) runs the generator;
    ``generate(n)`` draws the noise too. ``save`` keeps both networks and both optimizers.

    Example:
        >>> from glassnet import models, nn
        >>> gan = models.GAN(nn.Sequential([nn.Dense(4, activation="tanh")]), nn.Sequential([nn.Dense(1)]), 2)
        >>> gan.compile()
        >>> gan.generate(3).shape
        (3, 4)
    """

    def __init__(
        self, generator, discriminator, latent_dim: int, output_range=(-1.0, 1.0), ema_decay=None, name=None
    ):
        super().__init__(name=name or "gan")
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"GAN '{self.name}': latent_dim must be a positive integer, got {latent_dim!r}")
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.output_range = (float(output_range[0]), float(output_range[1]))
        self.optimizers, self.compile_settings = {}, None
        self.build((None, latent_dim))
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.generator_ema = None
        if ema_decay is not None:
            self.generator_ema = optim.AveragedModel(
                generator, ema_decay, use_buffers=True, name=f"{self.name}_generator_ema"
            )

    # --- building ---
    def build(self, input_shape):
        expected = getattr(self.generator, "input_shape", None) if self.generator.built else None
        if expected is not None and tuple(expected[1:]) != (self.latent_dim,):
            raise ValueError(
                f"GAN '{self.name}': latent_dim is {self.latent_dim} but the generator "
                f"'{self.generator.name}' takes inputs of shape {tuple(expected)}"
            )
        if not self.generator.built:
            self.generator.build((None, self.latent_dim))
        self.image_shape = tuple(self.generator.compute_output_shape((None, self.latent_dim))[1:])
        if not self.discriminator.built:
            self.discriminator.build((None,) + self.image_shape)
        judged = tuple(self.discriminator.compute_output_shape((None,) + self.image_shape)[1:])
        if judged != (1,):
            raise ValueError(
                f"GAN '{self.name}': the discriminator '{self.discriminator.name}' must give one logit per "
                f"image, shape (N, 1), got (N, {', '.join(map(str, judged))}) for images {self.image_shape}"
            )
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.image_shape

    def forward(self, z):
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"GAN '{self.name}': the noise z must have shape (N, {self.latent_dim}) (latent_dim "
                f"{self.latent_dim}), got {tuple(z.shape)}; draw it with sample_latent(n)"
            )
        return (self.generator if self.generator_ema is None else self.generator_ema)(z)

    def sample_latent(self, n: int) -> Tensor:
        """n noise vectors z ~ N(0, I), from the generator seeded by ``gn.manual_seed``."""
        dtype = self.generator.parameters()[0].dtype
        return Tensor(get_rng().standard_normal((n, self.latent_dim)).astype(dtype, copy=False))

    def generate(self, n: int) -> np.ndarray:
        """n images from fresh noise, in evaluation mode (batch norm's running statistics)."""
        return self.predict(self.sample_latent(n).data)

    # --- training ---
    def compile(  # noqa: A003 - Keras's word
        self,
        generator_optimizer="adam",
        discriminator_optimizer="adam",
        loss: str = "non_saturating",
        label_smoothing: float = 0.0,
        discriminator_steps: int = 1,
    ):
        """Choose the two optimizers (names or objects, bound here to each network's parameters), the
        loss ("non_saturating", "minimax", "least_squares"), one-sided label smoothing for the real images'
        target (1 - label_smoothing) and the discriminator steps k per generator step."""
        who = f"GAN '{self.name}'"
        if loss not in GAN_LOSSES:
            raise ValueError(f"{who}: loss must be one of {GAN_LOSSES}, got {loss!r}")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"{who}: label_smoothing must be in [0, 1), got {label_smoothing!r}")
        steps = discriminator_steps
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"{who}: discriminator_steps must be a positive int, got {steps!r}")
        self.optimizers = {
            "generator": optim.get(generator_optimizer).bind(self.generator.parameters()),
            "discriminator": optim.get(discriminator_optimizer).bind(self.discriminator.parameters()),
        }
        self.loss = loss
        self.compile_settings = {
            "loss": loss,
            "label_smoothing": float(label_smoothing),
            "discriminator_steps": discriminator_steps,
        }

    def train_step(self, batch) -> dict:
        """k discriminator steps on the batch's real images against fresh fakes, then one generator step;
        returns d_loss, g_loss, d_real (mean D(x)), d_fake (mean D(G(z)) before D's last update) and the
        gradient norms ‖∂L_D/∂θ_D‖ (last D step) and ‖∂L_G/∂θ_G‖."""
        if self.compile_settings is None:
            raise RuntimeError(f"GAN '{self.name}' needs compile() before fit()")
        settings = self.compile_settings
        real = batch[0]
        g_opt, d_opt = self.optimizers["generator"], self.optimizers["discriminator"]
        for k in range(settings["discriminator_steps"]):
            z = self.sample_latent(real.shape[0])
            if k == settings["discriminator_steps"] - 1:
                fake = self.generator(z)  # its graph is kept for the generator's step
            else:
                with no_grad():
                    fake = self.generator(z)
            real_logits, fake_logits = self.discriminator(real), self.discriminator(fake.detach())
            smoothing = settings["label_smoothing"]
            d_loss = discriminator_loss(settings["loss"], real_logits, fake_logits, smoothing)
            d_opt.zero_grad()
            d_loss.backward()
            d_grad_norm = clip_grad_norm_(self.discriminator.parameters(), math.inf)  # measured, not clipped
            d_opt.step()
        with _frozen(self.discriminator):  # G's step needs ∂L_G/∂G(z) through D, not D's own gradients
            g_loss = generator_loss(settings["loss"], self.discriminator(fake))
            g_opt.zero_grad()
            g_loss.backward()
        g_grad_norm = clip_grad_norm_(self.generator.parameters(), math.inf)
        g_opt.step()
        if self.generator_ema is not None:
            self.generator_ema.update_parameters(self.generator)
        return {
            "d_loss": d_loss.item(),
            "g_loss": g_loss.item(),
            "d_real": float(_probability(real_logits, settings["loss"]).mean()),
            "d_fake": float(_probability(fake_logits, settings["loss"]).mean()),
            "d_grad_norm": d_grad_norm,
            "g_grad_norm": g_grad_norm,
        }

    def fit(self, x, epochs: int = 1, batch_size=32, input_range=None, **kwargs):
        """Train on images ``x`` (N, *image_shape) for ``epochs`` (the one fit loop: History, callbacks,
        progress bar, Ctrl-C and checkpoints as for any model; ``kwargs`` go to it).

        Args:
            input_range: (low, high), the range the images are stated to take (e.g. (0, 255) for pixels),
                mapped linearly onto the generator's ``output_range``. Without it, images outside
                ``output_range`` are refused: a tanh generator can never match them.
        """
        if self.compile_settings is None:
            raise RuntimeError(f"GAN '{self.name}' needs compile() before fit()")
        images = x.data if isinstance(x, Tensor) else np.asarray(x)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"GAN '{self.name}': the generator makes images of shape {self.image_shape}, got training "
                f"images of shape {tuple(images.shape[1:])}"
            )
        low, high = self.output_range
        if input_range is not None:
            images = images.astype(self.generator.parameters()[0].dtype, copy=False)  # not float64 pixels
            images = rescale(images, tuple(float(v) for v in input_range), self.output_range)
        found = (float(images.min()), float(images.max()))
        if found[0] < low - 1e-6 or found[1] > high + 1e-6:
            stated = "after the stated input_range " if input_range is not None else ""
            raise ValueError(
                f"GAN '{self.name}': the images {stated}range over [{found[0]:g}, {found[1]:g}] but the "
                f"generator's outputs lie in [{low:g}, {high:g}]; state their range, e.g. "
                f"fit(x, input_range=(0, 255)), or scale them yourself"
            )
        return super().fit(images, None, epochs=epochs, batch_size=batch_size, **kwargs)

    # --- saving ---
    def get_config(self):
        return {
            **super().get_config(),
            "generator": serialize(self.generator),
            "discriminator": serialize(self.discriminator),
            "latent_dim": self.latent_dim,
            "output_range": list(self.output_range),
            "ema_decay": self.ema_decay,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = deserialize(config[key], custom_objects)
        return cls(**config)

    def extra_repr(self):
        return f"latent_dim={self.latent_dim}"


@contextmanager
def _frozen(module):
    """``module``'s parameters left out of the graph for a while: the generator's backward then computes no
    gradients for the discriminator's weights (which its next step would zero unused), only the input
    gradients that lead back to G."""
    parameters = [p for p in module.parameters() if p.requires_grad]
    for parameter in parameters:
        parameter.requires_grad = False
    try:
        yield
    finally:
        for parameter in parameters:
            parameter.requires_grad = True


def _probability(logits, loss: str):
    """D(x) from its output: σ(l), or l itself for the least-squares discriminator (no sigmoid)."""
    with no_grad():
        return logits.data if loss == "least_squares" else logits.sigmoid().data


def DCGAN(  # noqa: N802 - an architecture's name
    latent_dim: int = 100, image_shape=(1, 28, 28), width: int = 64, ema_decay=None, name: str = "dcgan",
    discriminator_hidden: int | None = None,
) -> GAN:
    """The DCGAN of Radford et al. (2015) for 28x28 images, in the shape of PyTorch's examples and the
    TensorFlow tutorial:

        G: z -> dense 2w·7·7 -> batch norm -> ReLU -> reshape (2w, 7, 7)
             -> transposed conv w@4x4 stride 2 (14x14) -> batch norm -> ReLU
             -> transposed conv C@4x4 stride 2 (28x28) -> tanh
        D: image -> conv w@4x4 stride 2 -> LeakyReLU 0.2 -> conv 2w@4x4 stride 2 -> batch norm
             -> LeakyReLU 0.2 -> flatten [-> dense h -> batch norm -> LeakyReLU 0.2] -> dense 1 (the logit)

    Weights start from N(0, 0.02) as in the paper; batch norm follows PyTorch's convention (so that the
    PyTorch twin of the example trains the same network). ``ema_decay``: sample from a moving average of
    the generator (``GAN``'s argument).

    ``discriminator_hidden=h`` adds the bracketed hidden layer, as in InfoGAN's MNIST discriminator (Chen et
    al. 2016, h = 1024). Without it, D's verdict is a linear function of its 7x7 map of local features;
    with it, D can judge how the strokes of the whole digit fit together, and the generator learns whole
    digits sooner. ``examples/gan_mnist.py`` (least squares, batch 64, MNIST) with h = 256 scored 9.10
    after 10 epochs, 8.39 without after 12; 256 units cost about 1.3x the time of a training step on a
    2-core CPU, 1024 about 1.7x (and scored no better after 4 epochs in the PyTorch twin: 8.68 to 8.79).
    """
    channels, height, width_px = image_shape
    if (height, width_px) != (28, 28):
        raise ValueError(f"DCGAN is laid out for 28x28 images, got image_shape {tuple(image_shape)}")
    init = nn.init.Normal(0.0, 0.02)
    generator = nn.Sequential(
        [
            nn.Dense(2 * width * 7 * 7, use_bias=False, weight_init=init),
            nn.BatchNorm(convention="pytorch"),
            nn.ReLU(),
            nn.Reshape((2 * width, 7, 7)),
            nn.Conv2DTranspose(width, 4, strides=2, padding=1, use_bias=False, weight_init=init),
            nn.BatchNorm(convention="pytorch"),
            nn.ReLU(),
            nn.Conv2DTranspose(channels, 4, strides=2, padding=1, weight_init=init, activation="tanh"),
        ],
        input_shape=(latent_dim,),
        name=f"{name}_generator",
    )
    discriminator = nn.Sequential(
        [
            nn.Conv2D(width, 4, strides=2, padding=1, weight_init=init),
            nn.LeakyReLU(0.2),
            nn.Conv2D(2 * width, 4, strides=2, padding=1, use_bias=False, weight_init=init),
            nn.BatchNorm(convention="pytorch"),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            *_hidden_judge(discriminator_hidden, init),
            nn.Dense(1, weight_init=init),
        ],
        input_shape=tuple(image_shape),
        name=f"{name}_discriminator",
    )
    return GAN(generator, discriminator, latent_dim, ema_decay=ema_decay, name=name)


def _hidden_judge(units, init) -> list:
    """DCGAN's optional hidden layer of the discriminator: dense -> batch norm -> LeakyReLU 0.2, or none."""
    if units is None:
        return []
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ValueError(f"DCGAN: discriminator_hidden must be a positive int or None, got {units!r}")
    return [
        nn.Dense(units, use_bias=False, weight_init=init),
        nn.BatchNorm(convention="pytorch"),
        nn.LeakyReLU(0.2),
    ]


def MLPGAN(  # noqa: N802 - an architecture's name
    latent_dim: int = 64, image_shape=(1, 28, 28), hidden: int = 256, ema_decay=None, name: str = "mlp_gan"
) -> GAN:
    """The plain GAN of the original paper's MNIST experiments, with fully connected networks:

        G: z -> dense h -> ReLU -> dense 2h -> ReLU -> dense C·H·W -> tanh -> reshape (C, H, W)
        D: image -> flatten -> dense 2h -> LeakyReLU 0.2 -> dense h -> LeakyReLU 0.2 -> dense 1
    """
    pixels = int(np.prod(image_shape))
    generator = nn.Sequential(
        [
            nn.Dense(hidden, activation="relu"),
            nn.Dense(2 * hidden, activation="relu"),
            nn.Dense(pixels, activation="tanh"),
            nn.Reshape(tuple(image_shape)),
        ],
        input_shape=(latent_dim,),
        name=f"{name}_generator",
    )
    discriminator = nn.Sequential(
        [
            nn.Flatten(),
            nn.Dense(2 * hidden),
            nn.LeakyReLU(0.2),
            nn.Dense(hidden),
            nn.LeakyReLU(0.2),
            nn.Dense(1),
        ],
        input_shape=tuple(image_shape),
        name=f"{name}_discriminator",
    )
    return GAN(generator, discriminator, latent_dim, ema_decay=ema_decay, name=name)
