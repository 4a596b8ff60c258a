"""The losses of a generative adversarial network, as sums of terms (``GAN_LOSS_TERMS``), each a scaled mean
of a loss glassnet already has over one side's discriminator outputs l (the logits):

    term = scale · (1/m) Σᵢ ℓ(lᵢ, t),   ℓ = BCE from logits or the squared error,   t = the term's target.

Per batch of m real images x and m generated G(z), BCE(l, t) = -t log σ(l) - (1 - t) log(1 - σ(l)), and the
real images' target t_real = 1 - label_smoothing (one-sided smoothing):

    "minimax" (the paper's game min_G max_D E log D(x) + E log(1 - D(G(z)))):
        L_D = mean BCE(l_real, t_real) + mean BCE(l_fake, 0),
        L_G = -mean BCE(l_fake, 0) = mean log(1 - D(G(z)))
    "non_saturating" (the paper's practical choice, the default): L_D as above,
        L_G = mean BCE(l_fake, 1) = -mean log D(G(z))   (strong gradients while D rejects the fakes)
    "least_squares" (Mao et al., 2017, LSGAN; l is D's output, no sigmoid):
        L_D = ½ mean (l_real - t_real)² + ½ mean l_fake²,   L_G = ½ mean (l_fake - 1)²

The table is the one place these are written: ``models.GAN`` trains with it and ``explain.gan`` works
it out with numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn.losses import MSE, BinaryCrossEntropy

__all__ = ["GAN_LOSSES", "GAN_LOSS_TERMS", "LossTerm", "discriminator_loss", "generator_loss", "gan_loss"]


@dataclass(frozen=True)
class LossTerm:
    """scale · mean ℓ(l, target) over the logits l of the ``side`` ("real" or "fake"); ``target`` None is
    the real images' target 1 - label_smoothing; ``loss`` "bce" (from logits) or "squared"."""

    scale: float
    side: str
    target: float | None
    loss: str

    def loss_function(self):
        """The glassnet loss of the term (whose op holds its formula and derivative)."""
        return BinaryCrossEntropy(from_logits=True) if self.loss == "bce" else MSE()

    def target_value(self, label_smoothing: float = 0.0) -> float:
        return 1.0 - label_smoothing if self.target is None else self.target


_REAL, _FAKE = LossTerm(1.0, "real", None, "bce"), LossTerm(1.0, "fake", 0.0, "bce")
GAN_LOSS_TERMS = {
    "non_saturating": {"discriminator": (_REAL, _FAKE), "generator": (LossTerm(1.0, "fake", 1.0, "bce"),)},
    "minimax": {"discriminator": (_REAL, _FAKE), "generator": (LossTerm(-1.0, "fake", 0.0, "bce"),)},
    "least_squares": {
        "discriminator": (LossTerm(0.5, "real", None, "squared"), LossTerm(0.5, "fake", 0.0, "squared")),
        "generator": (LossTerm(0.5, "fake", 1.0, "squared"),),
    },
}
GAN_LOSSES = tuple(GAN_LOSS_TERMS)


def gan_loss(kind: str, network: str, logits: dict, label_smoothing: float = 0.0):
    """L_D (``network`` "discriminator") or L_G ("generator") of ``kind``, from ``logits`` = {"real": ...,
    "fake": ...} (tensors of shape (m, 1)): the sum of the table's terms."""
    if kind not in GAN_LOSS_TERMS:
        raise ValueError(f"GAN loss must be one of {GAN_LOSSES}, got {kind!r}")
    total = None
    for term in GAN_LOSS_TERMS[kind][network]:
        side = logits[term.side]
        target = Tensor(np.full(side.shape, term.target_value(label_smoothing), side.dtype))
        value = term.loss_function()(side, target)
        value = value if term.scale == 1.0 else value * term.scale
        total = value if total is None else total + value
    return total


def discriminator_loss(kind: str, real_logits, fake_logits, label_smoothing: float = 0.0):
    """L_D for ``kind`` (see the module docstring): the real images' term plus the fakes'."""
    return gan_loss(kind, "discriminator", {"real": real_logits, "fake": fake_logits}, label_smoothing)


def generator_loss(kind: str, fake_logits):
    """L_G for ``kind`` (see the module docstring)."""
    return gan_loss(kind, "generator", {"fake": fake_logits})
