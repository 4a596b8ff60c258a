"""SGD: gradient descent, with momentum and Nesterov momentum.

Batch size decides the name: the whole set per update is gradient descent, one example stochastic gradient
descent, a few examples mini-batch SGD; the rule is the same.
"""

from __future__ import annotations

from glassnet.optim.optimizer import UNUSED, Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, with momentum.

    The rule, g the gradient (plus wd w with coupled weight decay), μ = ``momentum``, side by side:

    ==========  ==========================  ============================  ==================
    case        notes (default)             pytorch                       keras
    ==========  ==========================  ============================  ==================
    μ = 0       w ← w − lr g                w ← w − lr g                  w ← w − lr g
    μ > 0       V ← μ V + (1 − μ) g         b ← μ b + (1 − dampening) g   m ← μ m − lr g
                w ← w − lr V                w ← w − lr b                  w ← w + m
    start       V₀ = 0                      b₁ = g (first gradient)       m₀ = 0
    nesterov    w ← w − lr (μ V + (1−μ) g)  w ← w − lr (g + μ b)          w ← w + μ m − lr g
    ==========  ==========================  ============================  ==================

    Where they differ:

    - notes: momentum is an exponentially weighted average of the gradients starting at 0 (CURRICULUM
      section 6): the step has the size of one gradient, and the first steps are small (V₁ = (1 − μ) g₁).
      Nesterov (not in the notes) looks ahead on that average, μ V + (1 − μ) g, as NAdam does.
    - pytorch: the buffer is a plain sum, initialised to the first gradient, so steps grow up to
      1 / (1 − μ) times a gradient; ``dampening`` scales the new gradient (Nesterov needs dampening 0).
    - keras: the learning rate sits inside the velocity, m = −lr b: while lr is constant, keras is
      pytorch with dampening 0 (m₀ = 0 gives the same first step as b₁ = g). When lr changes, keras
      applies the new lr to new gradients only, pytorch to the whole buffer. Weight decay is decoupled.

    Defaults (``None`` in the signature takes the convention's), from ``SGD.hyperparameters``:

    {hyperparameter_table}

    Args:
        params: parameters or parameter groups; ``None`` to ``bind`` later.
        lr: learning rate η (alias ``learning_rate``).
        momentum: μ (β in the notes).
        dampening: pytorch only: (1 − dampening) scales the gradient added to the buffer.
        nesterov: use Nesterov momentum (needs momentum > 0).
        weight_decay: wd, coupled L2 (notes, pytorch) or decoupled (keras).
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.

    State: ``momentum_buffer`` (V, b or m above; only when momentum > 0). It decays while g = 0; every
    16th step its entries below the smallest normal float are set to 0 (``optimizer._flush_subnormals``).
    Step records add ``lr_effective`` (= lr).

    Example:
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.array([1.0, 2.0])); w.grad = np.array([0.5, -0.5])
        >>> SGD([w], lr=0.1).step(); w.data
        array([0.95, 2.05])
    """

    # fmt: off
    hyperparameters = {
        #                notes    pytorch  keras    rule
        "lr":           (0.01,    1e-3,    0.01,    ">= 0"),
        "momentum":     (0.0,     0.0,     0.0,     "[0, 1]"),
        "dampening":    (UNUSED,  0.0,     UNUSED,  "[0, 1]"),
        "nesterov":     (False,   False,   False,   "bool"),
        "weight_decay": (0.0,     0.0,     0.0,     ">= 0"),
    }
    # fmt: on
    state_names = ("momentum_buffer",)
    decaying = ("momentum_buffer",)  # V ← μ V while g = 0
    direction = "g (V with momentum)"

    def _check_group(self, group):
        if group["nesterov"] and group["momentum"] == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0")
        if group["nesterov"] and group.get("dampening", 0) != 0:
            raise ValueError(f"SGD: nesterov=True needs dampening=0, got dampening={group['dampening']}")

    def _update_notes(self, data, grad, state, group, xp):
        lr, momentum = group["lr"], group["momentum"]
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        if momentum == 0:
            data -= xp.multiply(grad, lr, out=scratch)
            return {"lr_t": lr}
        velocity = self._buffer(state, "momentum_buffer", data, xp)
        velocity *= momentum
        velocity += xp.multiply(grad, 1.0 - momentum, out=scratch)  # V = μ V + (1 − μ) g
        if group["nesterov"]:
            data -= xp.multiply(scratch, lr, out=scratch)  # w − lr (1 − μ) g ...
            data -= xp.multiply(velocity, lr * momentum, out=scratch)  # ... − lr μ V
        else:
            data -= xp.multiply(velocity, lr, out=scratch)
        return {"lr_t": lr}

    def _update_pytorch(self, data, grad, state, group, xp):
        lr, momentum = group["lr"], group["momentum"]
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        if momentum == 0:
            data -= xp.multiply(grad, lr, out=scratch)
            return {"lr_t": lr}
        buffer = state.get("momentum_buffer")
        if buffer is None:  # torch starts the buffer at the first gradient, not at 0
            buffer = state["momentum_buffer"] = grad.copy()
        else:
            buffer *= momentum
            buffer += xp.multiply(grad, 1.0 - group["dampening"], out=scratch)
        if group["nesterov"]:
            xp.multiply(buffer, momentum, out=scratch)
            scratch += grad
            data -= xp.multiply(scratch, lr, out=scratch)
        else:
            data -= xp.multiply(buffer, lr, out=scratch)
        return {"lr_t": lr}

    def _update_keras(self, data, grad, state, group, xp):
        lr, momentum = group["lr"], group["momentum"]
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        if momentum == 0:
            data -= xp.multiply(grad, lr, out=scratch)
            return {"lr_t": lr}
        velocity = self._buffer(state, "momentum_buffer", data, xp)
        velocity *= momentum
        velocity -= xp.multiply(grad, lr, out=scratch)  # m = μ m − lr g
        if group["nesterov"]:
            data -= scratch  # w + μ m − lr g
            data += xp.multiply(velocity, momentum, out=scratch)
        else:
            data += velocity
        return {"lr_t": lr}
