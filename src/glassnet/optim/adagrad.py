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

    Defaults (``None`` in the signature takes the convention's):

    =========================  =====  =======  =====
    name                       notes  pytorch  keras
    =========================  =====  =======  =====
    lr                         0.01   0.01     0.001
    eps                        1e-8   1e-10    1e-7
    initial_accumulator_value  0      0        0.1
    lr_decay                   —      0        —
    weight_decay               0      0        0
    =========================  =====  =======  =====

    Args:
        params: parameters or parameter groups; ``None`` to ``bind`` later.
        lr: base learning rate η (alias ``learning_rate``), >= 0.
        eps: ε (alias ``epsilon``), >= 0: inside the root (notes, keras) or added to it (pytorch).
        initial_accumulator_value: G₀, >= 0.
        lr_decay: pytorch only: lr_t = lr / (1 + (t − 1) lr_decay), >= 0.
        weight_decay: wd >= 0, coupled L2 (notes, pytorch) or decoupled (keras).
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.

    State: ``sum_sq`` (G). Step records add ``lr_effective`` (η_t, one per weight).

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

    def __init__(
        self,
        params=None,
        lr=None,
        eps=None,
        initial_accumulator_value=None,
        lr_decay=None,
        weight_decay=None,
        convention="notes",
        **aliases,
    ):
        super().__init__(
            params,
            convention=convention,
            lr=lr,
            eps=eps,
            initial_accumulator_value=initial_accumulator_value,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            **aliases,
        )

    def _update_notes(self, data, grad, state, group, xp):
        sum_sq = self._buffer(state, "sum_sq", data, xp, fill=group["initial_accumulator_value"])
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        sum_sq += xp.multiply(grad, grad, out=scratch)  # G = G + g²
        xp.sqrt(xp.add(sum_sq, group["eps"], out=scratch), out=scratch)  # √(G + ε)
        xp.divide(grad, scratch, out=scratch)
        data -= xp.multiply(scratch, group["lr"], out=scratch)

    _update_keras = _update_notes  # the same rule; only the defaults (and weight decay) differ

    def _update_pytorch(self, data, grad, state, group, xp):
        sum_sq = self._buffer(state, "sum_sq", data, xp, fill=group["initial_accumulator_value"])
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        sum_sq += xp.multiply(grad, grad, out=scratch)
        xp.sqrt(sum_sq, out=scratch)
        scratch += group["eps"]  # √G + ε
        xp.divide(grad, scratch, out=scratch)
        data -= xp.multiply(scratch, lr_t, out=scratch)

    def _explain(self, group, state, previous):
        sum_sq = state["sum_sq"]
        if self.convention == "pytorch":
            lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            return {"lr_effective": lr_t / (sum_sq**0.5 + group["eps"])}
        return {"lr_effective": group["lr"] / (sum_sq + group["eps"]) ** 0.5}
