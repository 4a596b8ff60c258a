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

    Defaults (``None`` in the signature takes the convention's), from ``RMSProp.hyperparameters``:

    {hyperparameter_table}

    Args:
        params: parameters or parameter groups; ``None`` to ``bind`` later.
        lr: learning rate η (alias ``learning_rate``).
        rho: decay ρ of the averages (β in the notes, ``alpha`` in PyTorch).
        eps: ε (alias ``epsilon``).
        momentum: μ (0: no momentum buffer).
        centered: divide by an estimate of the gradient's variance, S − A², instead of S.
        weight_decay: wd, coupled L2 (notes, pytorch) or decoupled (keras).
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.

    State: ``square_avg`` (S), ``grad_avg`` (A, when centered), ``momentum_buffer`` (B, when μ > 0); all
    three decay while g = 0; every 16th step their entries below the smallest normal float are set to 0
    (``optimizer._flush_subnormals``). Step records add ``lr_effective`` = lr / D, one per weight.

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
    decaying = state_names  # S ← ρ S, A ← ρ A, B ← μ B while g = 0

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

    def _denominator(self, data, grad, state, group, xp):
        """Update S (and A); return D = √(S − A² + ε) (notes, keras) or √(S − A²) + ε (pytorch)."""
        variance = self._variance(data, grad, state, group, xp)
        denominator = self._buffer(state, "_denominator", data, xp, fill=None)
        if self.convention == "pytorch":
            xp.sqrt(variance, out=denominator)
            denominator += group["eps"]
        else:
            xp.sqrt(xp.add(variance, group["eps"], out=denominator), out=denominator)
        return denominator

    def _update_notes(self, data, grad, state, group, xp):
        """w ← w − lr g / D, or B ← μ B + g / D, w ← w − lr B."""
        denominator = self._denominator(data, grad, state, group, xp)
        if group["momentum"] == 0:
            return self._divide_and_step(data, grad, group["lr"], denominator, state, xp)
        step = xp.divide(grad, denominator, out=state["_scratch"])
        buffer = self._buffer(state, "momentum_buffer", data, xp)
        buffer *= group["momentum"]
        buffer += step
        data -= xp.multiply(buffer, group["lr"], out=step)
        return {"lr_t": group["lr"], "denominator": denominator}

    _update_pytorch = _update_notes  # the same steps; only D differs (see _denominator)

    def _update_keras(self, data, grad, state, group, xp):
        """w ← w − lr g / D, or B ← μ B + lr g / D, w ← w − B."""
        denominator = self._denominator(data, grad, state, group, xp)
        increment = xp.divide(grad, denominator, out=state["_scratch"])
        increment *= group["lr"]
        if group["momentum"] > 0:
            buffer = self._buffer(state, "momentum_buffer", data, xp)
            buffer *= group["momentum"]
            buffer += increment
            data -= buffer
        else:
            data -= increment
        return {"lr_t": group["lr"], "denominator": denominator}
