"""``GANMonitor``: watch a GAN train (``models.GAN``'s logs: d_loss, g_loss, d_real = mean D(x), d_fake =
mean D(G(z)), d_grad_norm, g_grad_norm), warn about the two classic failures, and save a grid of samples
from fixed noise every epoch.

- The discriminator wins: its loss near 0 and D(G(z)) near 0 for ``patience`` batches in a row. Then
  log(1 - D(G(z))) is flat and the generator learns little (the minimax loss's trap).
- Mode collapse: the generator makes few kinds of images. With a ``classifier`` trained on the real data,
  the share of samples in the most frequent class is measured each epoch, on the generator being trained;
  above ``collapse_share`` (the uniform share is 1/classes) for ``collapse_patience`` epochs in a row it
  warns (2 by default: one epoch's sample of 1,000 is a noisy witness early in training). Not on the
  moving average a GAN may sample from (``ema_decay``): it lags, and early on it is mostly the initial
  generator, whose images all look alike (a healthy Fashion-MNIST run's average put 100 % and 65 % of its
  samples in one class after epochs 1 and 2, which warned falsely before this was measured on the
  generator).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from glassnet.train.callbacks.base import Callback
from glassnet.train.generative_metrics import class_coverage, class_probabilities, classifier_score, rescale

__all__ = ["GANMonitor", "GANWarning", "save_image_grid"]


class GANWarning(UserWarning):
    """A GAN is failing in a known way (the discriminator wins, the generator collapses)."""


def save_image_grid(images, path, columns: int = 8, value_range=(-1.0, 1.0)) -> Path:
    """Images (N, C, H, W) with C = 1 or 3, values in ``value_range``, as one PNG grid with 1-pixel gaps
    (needs matplotlib). Returns the path."""
    import matplotlib  # noqa: PLC0415 - an extra, needed only to write images

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    images = np.asarray(images, dtype=np.float64)
    n, channels, height, width = images.shape
    low, high = value_range
    images = np.clip((images - low) / (high - low), 0.0, 1.0).transpose(0, 2, 3, 1)
    rows = -(-n // columns)
    grid = np.ones((rows * (height + 1), columns * (width + 1), channels))
    for k, image in enumerate(images):
        top, left = (k // columns) * (height + 1), (k % columns) * (width + 1)
        grid[top : top + height, left : left + width] = image
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(path, grid[..., 0] if channels == 1 else grid, cmap="gray", vmin=0, vmax=1)
    return path


class GANMonitor(Callback):
    """Diagnostics of a GAN's training, as a callback of ``fit``.

    Args:
        directory: where to save "samples_epoch<k>.png", a grid of the generator's images from the same
            noise every epoch, and at the end of ``fit`` "samples_over_epochs.png", a strip with one row
            per epoch (the first ``strip_columns`` of those images), so that the same noise can be followed
            from blobs to digits (None: no images).
        samples: how many images per grid (fixed noise drawn once, from its own seeded generator).
        classifier: a classifier of the real data (logits); with it, each epoch's "coverage_max" (the largest
            class share of ``coverage_samples`` generated images) and "classifier_score" (of the same
            samples, ``generative_metrics.classifier_score``: how the samples' quality moves from epoch to
            epoch) go into the logs, and the collapse warning is on. Both read the generator being
            trained, also where the GAN samples from a moving average (``ema_decay``; the grids show
            that): the average lags, and early on it would make a healthy run look collapsed.
        classifier_range: (low, high) of the images the classifier was trained on, e.g. (0, 1); the samples
            are mapped onto it from the GAN's ``output_range`` (None: as generated).
        collapse_share: the largest class share above which the generator counts as collapsed.
        collapse_patience: epochs in a row above ``collapse_share`` before the collapse warning.
        patience: batches in a row with d_loss < ``win_loss`` and d_fake < ``win_probability`` before the
            discriminator-wins warning.

    ``warnings`` records the warnings given (each kind once per fit).
    """

    def __init__(self, directory=None, samples: int = 64, classifier=None, coverage_samples: int = 1000,
                 classifier_range=None, collapse_share: float = 0.4, patience: int = 50,
                 win_loss: float = 0.05, win_probability: float = 0.05, seed: int = 1234,
                 strip_columns: int = 8, collapse_patience: int = 2):
        self.directory = None if directory is None else Path(directory)
        self.classifier_range = classifier_range
        self.samples, self.classifier, self.coverage_samples = samples, classifier, coverage_samples
        self.collapse_share, self.patience = collapse_share, patience
        epochs = collapse_patience
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"GANMonitor: collapse_patience must be a positive int, got {epochs!r}")
        self.collapse_patience = epochs
        self.win_loss, self.win_probability, self.seed = win_loss, win_probability, seed
        self.strip_columns = strip_columns
        self.warnings: list = []
        self._strip: list = []

    def on_train_begin(self, logs=None):
        latent = np.random.default_rng(self.seed).standard_normal((self.samples, self.model.latent_dim))
        self.fixed_noise = latent.astype(self.model.generator.parameters()[0].dtype)
        self._winning, self._collapsed, self.warnings, self._strip = 0, 0, [], []
        expected = getattr(self.classifier, "input_shape", None)
        if expected is not None and tuple(expected[1:]) != tuple(self.model.image_shape):
            raise ValueError(
                f"GANMonitor: the classifier '{self.classifier.name}' takes inputs of shape "
                f"{tuple(expected)} but the GAN '{self.model.name}' makes images of shape "
                f"{tuple(self.model.image_shape)}; give a classifier of the data the GAN learns"
            )

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        if "d_loss" not in logs or "d_fake" not in logs:
            return
        winning = logs["d_loss"] < self.win_loss and logs["d_fake"] < self.win_probability
        self._winning = self._winning + 1 if winning else 0
        if self._winning == self.patience:
            self._warn(
                "discriminator_wins",
                f"GANMonitor: the discriminator wins: d_loss {logs['d_loss']:.3g} and mean D(G(z)) "
                f"{logs['d_fake']:.3g} for {self.patience} batches in a row; the generator gets little "
                "gradient (use the non-saturating loss, label smoothing, or slow the discriminator down)",
            )

    def on_epoch_end(self, epoch, logs=None):
        if self.directory is not None:
            path = self.directory / f"samples_epoch{epoch + 1:03d}.png"
            images = self._generate(self.fixed_noise)
            save_image_grid(images, path, value_range=self.model.output_range)
            self._strip.append(images[: self.strip_columns])
        if self.classifier is None:
            return
        noise = np.random.default_rng(self.seed + 1 + epoch).standard_normal(
            (self.coverage_samples, self.model.latent_dim)
        )
        # the generator being trained, not its moving average (which lags: after one epoch of 938 steps at
        # decay 0.999 it is still 39 % the initial generator, whose images all look alike to a classifier)
        samples = self._generate(noise, self.model.generator)
        if self.classifier_range is not None:
            samples = rescale(samples, self.model.output_range, self.classifier_range)
        probabilities = class_probabilities(self.classifier, samples)
        coverage = class_coverage(probabilities)
        largest = float(coverage.max())
        if logs is not None:
            logs["coverage_max"] = largest
            logs["classifier_score"] = classifier_score(probabilities)
        self._collapsed = self._collapsed + 1 if largest > self.collapse_share else 0
        if self._collapsed == self.collapse_patience:
            epochs = f"epoch {epoch + 1}" if self.collapse_patience == 1 else (
                f"epochs {epoch + 2 - self.collapse_patience}-{epoch + 1}"
            )
            self._warn(
                "mode_collapse",
                f"GANMonitor: mode collapse: {largest:.0%} of {self.coverage_samples} samples fall in class "
                f"{int(coverage.argmax())} (uniform: {1 / len(coverage):.0%}; above "
                f"{self.collapse_share:.0%} in {epochs})",
            )

    def on_train_end(self, logs=None):
        if self.directory is not None and self._strip:
            columns = len(self._strip[0])
            save_image_grid(
                np.concatenate(self._strip),
                self.directory / "samples_over_epochs.png",
                columns=columns,
                value_range=self.model.output_range,
            )

    def _generate(self, noise, network=None):
        """Images from ``noise`` by ``network``, by default the GAN's own sampler (its moving average if
        it keeps one)."""
        network = self.model if network is None else network
        return network.predict(noise.astype(self.fixed_noise.dtype))

    def _warn(self, kind: str, message: str) -> None:
        if kind not in self.warnings:
            self.warnings.append(kind)
            warnings.warn(message, GANWarning, stacklevel=2)
