"""Adadelta: RMSProp whose step size is set by a moving average of past steps instead of a learning rate."""

from __future__ import annotations

from glassnet.optim.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): scale each step by RMS(past steps) / RMS(gradients).

    The rule, g the gradient (plus wd w with coupled weight decay), ρ = ``rho``, the same in all three:

    ==========  ====================================================
    quantity    notes (default) = pytorch = keras
    ==========  ====================================================
    average     S ← ρ S + (1 − ρ) g²
    step        Δ = √(U + ε) / √(S + ε) · g     (U from the last step)
    steps       U ← ρ U + (1 − ρ) Δ²
    update      w ← w − lr Δ
    ==========  ====================================================

    Where they differ: not in the rule (ε inside both roots everywhere, as Zeiler writes it), only in
    the defaults below and in weight decay (coupled L2 for notes and pytorch, decoupled for keras).
    Zeiler's paper has no learning rate (lr = 1, the notes' and PyTorch's default); Keras defaults to
    0.001, which makes Adadelta very slow unless lr is raised.

    Defaults (``None`` in the signature takes the convention's), from ``Adadelta.hyperparameters``:

    {hyperparameter_table}

    Args:
        params: parameters or parameter groups; ``None`` to ``bind`` later.
        lr: learning rate multiplying Δ (alias ``learning_rate``).
        rho: decay ρ of both averages.
        eps: ε (alias ``epsilon``), inside both roots.
        weight_decay: wd, coupled L2 (notes, pytorch) or decoupled (keras).
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.

    State: ``square_avg`` (S), ``acc_delta`` (U); both decay while g = 0; every 16th step their entries
    below the smallest normal float are set to 0 (``optimizer._flush_subnormals``). Step records add
    ``lr_effective`` = lr R with R = √(U + ε) / √(S + ε) (the U of before the step), one per weight.

    Example (first step: U = 0, S = 0.05 g², so Δ = √ε / √(0.05 g²) · g = 0.004472 for ε = 1e-6):
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.zeros(1)); w.grad = np.array([1.0])
        >>> Adadelta([w]).step(); w.data.round(6)
        array([-0.004472])
    """

    # fmt: off
    hyperparameters = {
        #                notes    pytorch  keras    rule
        "lr":           (1.0,     1.0,     1e-3,    ">= 0"),
        "rho":          (0.95,    0.9,     0.95,    "[0, 1]"),
        "eps":          (1e-6,    1e-6,    1e-7,    ">= 0"),
        "weight_decay": (0.0,     0.0,     0.0,     ">= 0"),
    }
    # fmt: on
    state_names = ("square_avg", "acc_delta")
    decaying = state_names  # S ← ρ S, U ← ρ U while g = 0

    def _update_notes(self, data, grad, state, group, xp):
        rho, eps = group["rho"], group["eps"]
        square_avg = self._buffer(state, "square_avg", data, xp)
        acc_delta = self._buffer(state, "acc_delta", data, xp)
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        ratio = self._buffer(state, "_ratio", data, xp, fill=None)
        delta = self._buffer(state, "_delta", data, xp, fill=None)
        square_avg *= rho
        xp.multiply(grad, grad, out=scratch)
        square_avg += xp.multiply(scratch, 1.0 - rho, out=scratch)  # S = ρ S + (1 − ρ) g²
        xp.sqrt(xp.add(square_avg, eps, out=scratch), out=scratch)  # √(S + ε)
        xp.sqrt(xp.add(acc_delta, eps, out=ratio), out=ratio)  # √(U + ε)
        ratio /= scratch  # R = √(U + ε) / √(S + ε)
        xp.multiply(ratio, grad, out=delta)  # Δ = R g
        acc_delta *= rho
        xp.multiply(delta, delta, out=scratch)
        acc_delta += xp.multiply(scratch, 1.0 - rho, out=scratch)  # U = ρ U + (1 − ρ) Δ²
        data -= xp.multiply(delta, group["lr"], out=scratch)
        return {"lr_t": group["lr"], "ratio": ratio}

    _update_pytorch = _update_notes  # the same rule; only the defaults differ
    _update_keras = _update_notes  # the same rule; only the defaults and weight decay differ
