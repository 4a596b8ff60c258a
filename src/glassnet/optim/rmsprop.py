"""RMSProp: divide each step by the root of a moving average of squared gradients."""

from __future__ import annotations

from glassnet.optim.optimizer import Optimizer

__all__ = ["RMSProp"]


class RMSProp(Optimizer):
    r"""RMSProp (Hinton, 2012), with optional momentum and centering.

    The rule, g the gradient (plus wd w with coupled weight decay), ρ = ``rho``, μ = ``momentum``:

    ==========  =======================  =======================  =======================
    quantity    notes (default)          pytorch                  keras
    ==========  =======================  =======================  =======================
    average     S ← ρ S + (1 − ρ) g²     S ← ρ S + (1 − ρ) g²     S ← ρ S + (1 − ρ) g²
    centered    A ← ρ A + (1 − ρ) g      A ← ρ A + (1 − ρ) g      A ← ρ A + (1 − ρ) g
    root        D = √(S − A² + ε)        D = √(S − A²) + ε        D = √(S − A² + ε)
    μ = 0       w ← w − lr g / D         w ← w − lr g / D         w ← w − lr g / D
    μ > 0       B ← μ B + g / D          B ← μ B + g / D          B ← μ B + lr g / D
                w ← w − lr B             w ← w − lr B             w ← w − B
    ==========  =======================  =======================  =======================

    (A = 0 when not centered.) Where they differ:

    - notes: ε inside the root (CURRICULUM section 6: w = w − η g / √(S + ε)). The notes teach neither
      momentum nor centering; glassnet takes PyTorch's forms of both, keeping ε inside the root.
    - pytorch: ε outside the root; ρ is called ``alpha`` there (accepted here as an alias), default 0.99.
    - keras: ε inside the root like the notes; with momentum the learning rate sits inside the buffer B,
      so a changing lr acts on new gradients only (same numbers as the notes while lr is constant).
      Weight decay is decoupled (see ``Optimizer``).

    Defaults (``None`` in the signature takes the convention's):

    ============  =====  =======  =====
    name          notes  pytorch  keras
    ============  =====  =======  =====
    lr            0.001  0.01     0.001
    rho           0.9    0.99     0.9
    eps           1e-8   1e-8     1e-7
    momentum      0      0        0
    centered      False  False    False
    weight_decay  0      0        0
    ============  =====  =======  =====

    Args:
        params: parameters or parameter groups; ``None`` to ``bind`` later.
        lr: learning rate η (alias ``learning_rate``), >= 0.
        rho: decay ρ of the averages (β in the notes, ``alpha`` in PyTorch), in [0, 1].
        eps: ε (alias ``epsilon``), >= 0.
        momentum: μ, >= 0 (0: no momentum buffer).
        centered: divide by an estimate of the gradient's variance, S − A², instead of S.
        weight_decay: wd >= 0, coupled L2 (notes, pytorch) or decoupled (keras).
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.

    State: ``square_avg`` (S), ``grad_avg`` (A, when centered), ``momentum_buffer`` (B, when μ > 0).
    Step records add ``lr_effective`` = lr / D, one per weight.

    Example (first step: S = 0.1 g², so the step is lr / √0.1 = 3.16 lr):
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.zeros(1)); w.grad = np.array([2.0])
        >>> RMSProp([w], lr=0.01).step(); w.data.round(6)
        array([-0.031623])
    """

    # fmt: off
    hyperparameters = {
        #                notes    pytorch  keras    rule
        "lr":           (1e-3,    0.01,    1e-3,    ">= 0"),
        "rho":          (0.9,     0.99,    0.9,     "[0, 1]"),
        "eps":          (1e-8,    1e-8,    1e-7,    ">= 0"),
        "momentum":     (0.0,     0.0,     0.0,     ">= 0"),
        "centered":     (False,   False,   False,   "bool"),
        "weight_decay": (0.0,     0.0,     0.0,     ">= 0"),
    }
    # fmt: on
    aliases = {**Optimizer.aliases, "alpha": "rho"}
    state_names = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(
        self,
        params=None,
        lr=None,
        rho=None,
        eps=None,
        momentum=None,
        centered=None,
        weight_decay=None,
        convention="notes",
        **aliases,
    ):
        super().__init__(
            params,
            convention=convention,
            lr=lr,
            rho=rho,
            eps=eps,
            momentum=momentum,
            centered=centered,
            weight_decay=weight_decay,
            **aliases,
        )

    def _variance(self, data, grad, state, group, xp):
        """Update S (and A); return S, or S − A² written into the scratch buffer when centered."""
        rho = group["rho"]
        square_avg = self._buffer(state, "square_avg", data, xp)
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        square_avg *= rho
        xp.multiply(grad, grad, out=scratch)
        square_avg += xp.multiply(scratch, 1.0 - rho, out=scratch)  # S = ρ S + (1 − ρ) g²
        if not group["centered"]:
            return square_avg
        grad_avg = self._buffer(state, "grad_avg", data, xp)
        grad_avg *= rho
        grad_avg += xp.multiply(grad, 1.0 - rho, out=scratch)  # A = ρ A + (1 − ρ) g
        return xp.subtract(square_avg, xp.multiply(grad_avg, grad_avg, out=scratch), out=scratch)

    def _step_lr_outside(self, data, grad, denominator, state, group, xp):
        """notes and pytorch: w ← w − lr g / D, or B ← μ B + g / D, w ← w − lr B."""
        step = xp.divide(grad, denominator, out=denominator)
        if group["momentum"] > 0:
            buffer = self._buffer(state, "momentum_buffer", data, xp)
            buffer *= group["momentum"]
            buffer += step
            data -= xp.multiply(buffer, group["lr"], out=step)
        else:
            data -= xp.multiply(step, group["lr"], out=step)

    def _update_notes(self, data, grad, state, group, xp):
        variance = self._variance(data, grad, state, group, xp)
        scratch = state["_scratch"]
        xp.sqrt(xp.add(variance, group["eps"], out=scratch), out=scratch)  # D = √(S − A² + ε)
        self._step_lr_outside(data, grad, scratch, state, group, xp)

    def _update_pytorch(self, data, grad, state, group, xp):
        variance = self._variance(data, grad, state, group, xp)
        scratch = state["_scratch"]
        xp.sqrt(variance, out=scratch)
        scratch += group["eps"]  # D = √(S − A²) + ε
        self._step_lr_outside(data, grad, scratch, state, group, xp)

    def _update_keras(self, data, grad, state, group, xp):
        variance = self._variance(data, grad, state, group, xp)
        scratch = state["_scratch"]
        xp.sqrt(xp.add(variance, group["eps"], out=scratch), out=scratch)  # D = √(S − A² + ε)
        increment = xp.divide(grad, scratch, out=scratch)
        increment *= group["lr"]  # lr g / D
        if group["momentum"] > 0:
            buffer = self._buffer(state, "momentum_buffer", data, xp)
            buffer *= group["momentum"]
            buffer += increment
            data -= buffer
        else:
            data -= increment

    def _explain(self, group, state, previous):
        variance = state["square_avg"]
        if group["centered"]:
            variance = variance - state["grad_avg"] ** 2
        if self.convention == "pytorch":
            return {"lr_effective": group["lr"] / (variance**0.5 + group["eps"])}
        return {"lr_effective": group["lr"] / (variance + group["eps"]) ** 0.5}
