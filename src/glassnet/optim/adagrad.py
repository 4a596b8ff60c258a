"""Adagrad: a learning rate per weight, shrinking with the sum of that weight's squared gradients."""

from __future__ import annotations

from glassnet.optim.optimizer import UNUSED, Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011): divide each step by the root of the sum of past squared gradients.

    The rule, g the gradient (plus wd w with coupled weight decay), t the step, side by side:

    =========  =========================  ===============================  =========================
    quantity   notes (default)            pytorch                          keras
    =========  =========================  ===============================  =========================
    sum        G ← G + g²                 G ← G + g²                       G ← G + g²
    rate       η_t = lr / √(G + ε)        η_t = lr_t / (√G + ε),           η_t = lr / √(G + ε)
                                          lr_t = lr / (1 + (t−1) lr_decay)
    step       w ← w − η_t g              w ← w − η_t g                    w ← w − η_t g
    =========  =========================  ===============================  =========================

    Where they differ:

    - notes and keras: ε inside the root (CURRICULUM section 6); they differ only in defaults (keras starts
      G at 0.1) and in weight decay (keras decouples it).
    - pytorch: ε outside the root, and an optional ``lr_decay`` of the base rate.

    Defaults (``None`` in the signature takes the convention's), from ``Adagrad.hyperparameters``:

    {hyperparameter_table}

    Args:
        params: parameters or parameter groups; ``None`` to ``bind`` later.
        lr: base learning rate η (alias ``learning_rate``).
        eps: ε (alias ``epsilon``): inside the root (notes, keras) or added to it (pytorch).
        initial_accumulator_value: G₀.
        lr_decay: pytorch only: lr_t = lr / (1 + (t − 1) lr_decay).
        weight_decay: wd, coupled L2 (notes, pytorch) or decoupled (keras).
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.

    State: ``sum_sq`` (G; it only grows, so unlike the other optimizers' state it never decays into the
    subnormal range). Step records add ``lr_effective`` (η_t = lr_t / D, D the root the rule divides by,
    one per weight).

    Example (the notes' exercise, step 1: g² = 6, lr = 0.02, ε = 1e-5 gives η₁ = 0.008165):
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.zeros(1)); w.grad = np.sqrt([6.0])
        >>> Adagrad([w], lr=0.02, eps=1e-5).step(); (-w.data / w.grad).round(6)
        array([0.008165])
    """

    # fmt: off
    hyperparameters = {
        #                             notes    pytorch  keras    rule
        "lr":                        (0.01,    0.01,    1e-3,    ">= 0"),
        "eps":                       (1e-8,    1e-10,   1e-7,    ">= 0"),
        "initial_accumulator_value": (0.0,     0.0,     0.1,     ">= 0"),
        "lr_decay":                  (UNUSED,  0.0,     UNUSED,  ">= 0"),
        "weight_decay":              (0.0,     0.0,     0.0,     ">= 0"),
    }
    # fmt: on
    state_names = ("sum_sq",)

    def _update_notes(self, data, grad, state, group, xp):
        sum_sq, denominator = self._accumulate(data, grad, state, group, xp)
        xp.sqrt(xp.add(sum_sq, group["eps"], out=denominator), out=denominator)  # D = √(G + ε)
        return self._divide_and_step(data, grad, group["lr"], denominator, state, xp)

    _update_keras = _update_notes  # the same rule; only the defaults (and weight decay) differ

    def _update_pytorch(self, data, grad, state, group, xp):
        sum_sq, denominator = self._accumulate(data, grad, state, group, xp)
        lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        xp.sqrt(sum_sq, out=denominator)
        denominator += group["eps"]  # D = √G + ε
        return self._divide_and_step(data, grad, lr_t, denominator, state, xp)

    def _accumulate(self, data, grad, state, group, xp):
        """G = G + g²; returns G and the buffer that will hold the root D."""
        sum_sq = self._buffer(state, "sum_sq", data, xp, fill=group["initial_accumulator_value"])
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        sum_sq += xp.multiply(grad, grad, out=scratch)
        return sum_sq, self._buffer(state, "_denominator", data, xp, fill=None)
