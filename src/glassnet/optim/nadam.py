"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

from glassnet.optim.adam import Adam

__all__ = ["Nadam"]


class Nadam(Adam):
    r"""Nadam (Dozat, 2016): Adam whose step looks ahead with Nesterov momentum, the momentum coefficient
    warming up with the schedule μ_t = β₁ (1 − ½ · 0.96^(t ψ)), ψ = ``momentum_decay``.

    The rule, g the gradient (plus wd w), t the step, Π_t = μ_1 ··· μ_t:

    ==========  ======================================================================
    quantity    every convention (PyTorch's ``NAdam`` and Keras 3's ``Nadam`` agree)
    ==========  ======================================================================
    momentum    V ← β₁ V + (1 − β₁) g
    RMS         S ← β₂ S + (1 − β₂) g²
    blend       N = (1 − μ_t) / (1 − Π_t) · g + μ_(t+1) / (1 − Π_t μ_(t+1)) · V
    update      w ← w − lr N / (√(S / (1 − β₂ᵗ)) + ε)
    ==========  ======================================================================

    Where they differ: only the defaults (PyTorch: lr 2e-3, ε 1e-8; Keras: lr 1e-3, ε 1e-7; the notes
    have no Nadam and take PyTorch's). ψ = 0.004 in both (Keras writes it into the schedule). Weight
    decay is coupled (L2 added to g), as PyTorch's default; amsgrad is not part of Nadam.

    Defaults (``None`` in the signature takes the convention's), from ``Nadam.hyperparameters``:

    {hyperparameter_table}

    Args:
        params: parameters or parameter groups; ``None`` to ``bind`` later.
        lr: learning rate η (alias ``learning_rate``).
        beta_1, beta_2: decays of the gradient average and of the squared-gradient average (``betas``).
        eps: ε (alias ``epsilon``).
        momentum_decay: ψ of the momentum schedule.
        weight_decay: wd, coupled L2.
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.

    State: ``exp_avg`` (V), ``exp_avg_sq`` (S). Π_t depends on t alone and is recomputed from the step
    count, so a saved optimizer resumes exactly. ``lr_effective`` = lr / D multiplies N.

    Example (the first step moves each weight by about lr times (1 − μ₁)/(1 − Π₁) + μ₂ (1 − β₁)/(1 − Π₂)):
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.zeros(2)); w.grad = np.array([100.0, -0.01])
        >>> Nadam([w], lr=0.1).step(); w.data.round(4)
        array([-0.1056,  0.1056])
    """

    # fmt: off
    hyperparameters = {
        #                  notes    pytorch  keras    rule
        "lr":             (2e-3,    2e-3,    1e-3,    ">= 0"),
        "beta_1":         (0.9,     0.9,     0.9,     "[0, 1)"),
        "beta_2":         (0.999,   0.999,   0.999,   "[0, 1)"),
        "eps":            (1e-8,    1e-8,    1e-7,    ">= 0"),
        "momentum_decay": (4e-3,    4e-3,    4e-3,    ">= 0"),
        "weight_decay":   (0.0,     0.0,     0.0,     ">= 0"),
    }
    # fmt: on
    state_names = ("exp_avg", "exp_avg_sq")
    direction = "N (the Nesterov blend of g and V)"

    def _update_notes(self, data, grad, state, group, xp):
        group = {**group, "amsgrad": False}
        exp_avg, exp_avg_sq = self._moments(data, grad, state, group, xp)
        step, beta_1, psi = state["step"], group["beta_1"], group["momentum_decay"]
        mu = _momentum(beta_1, psi, step)
        mu_next = _momentum(beta_1, psi, step + 1)
        product = _momentum_product(beta_1, psi, step)
        bias_correction2 = 1 - group["beta_2"] ** step
        denominator = self._buffer(state, "_denominator", data, xp, fill=None)
        xp.divide(exp_avg_sq, bias_correction2, out=denominator)
        xp.sqrt(denominator, out=denominator)
        denominator += group["eps"]  # D = √(S / (1 − β₂ᵗ)) + ε
        # Two steps, g's share then V's, in PyTorch's and Keras's order (the same N, their rounding).
        lr = group["lr"]
        self._divide_and_step(data, grad, lr * (1 - mu) / (1 - product), denominator, state, xp)
        self._divide_and_step(data, exp_avg, lr * mu_next / (1 - product * mu_next), denominator, state, xp)
        terms = {"lr_t": lr, "denominator": denominator}
        return {"bias_correction2": bias_correction2, **terms}

    _update_pytorch = _update_notes
    _update_keras = _update_notes


def _momentum(beta_1: float, psi: float, step: int) -> float:
    """μ_t = β₁ (1 − ½ · 0.96^(t ψ))."""
    return beta_1 * (1.0 - 0.5 * 0.96 ** (step * psi))


_PRODUCTS: dict = {}


def _momentum_product(beta_1: float, psi: float, step: int) -> float:
    """Π_t = μ_1 ··· μ_t, multiplied in order as PyTorch and Keras do (so the rounding matches theirs),
    and kept per (β₁, ψ) so that each step costs one multiplication."""
    products = _PRODUCTS.setdefault((beta_1, psi), [1.0])
    while len(products) <= step:
        products.append(products[-1] * _momentum(beta_1, psi, len(products)))
    return products[step]
