"""Adam: momentum and RMSProp together, with bias correction."""

from __future__ import annotations

from glassnet.optim.optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2014): bias-corrected averages of the gradient and of its square.

    The rule, g the gradient (plus wd w with coupled weight decay), t the step, β₁ = ``beta_1``,
    β₂ = ``beta_2``:

    ==========  =============================  =================================
    quantity    notes (default) = pytorch      keras
    ==========  =============================  =================================
    momentum    V ← β₁ V + (1 − β₁) g          V ← β₁ V + (1 − β₁) g
    RMS         S ← β₂ S + (1 − β₂) g²         S ← β₂ S + (1 − β₂) g²
    amsgrad     Smax ← max(Smax, S), as S      Smax ← max(Smax, S), as S
    correction  Vc = V / (1 − β₁ᵗ)             lr_t = lr √(1 − β₂ᵗ) / (1 − β₁ᵗ)
                Sc = S / (1 − β₂ᵗ)
    update      w ← w − lr Vc / (√Sc + ε)      w ← w − lr_t V / (√S + ε̂)
    ==========  =============================  =================================

    Where they differ: only in where epsilon sits. The notes and PyTorch add ε to the bias-corrected root
    (Algorithm 1 of the paper); Keras adds its "epsilon hat" ε̂ to the uncorrected root (the paper's
    formula before section 2.1), which equals ε = ε̂ / √(1 − β₂ᵗ): a larger epsilon in the first steps.
    Keras also defaults to ε̂ = 1e-7 and decouples weight decay (see ``Optimizer``). ``AdamW`` is Adam with
    decoupled weight decay in every convention.

    Defaults (``None`` in the signature takes the convention's), from ``Adam.hyperparameters``:

    {hyperparameter_table}

    Args:
        params: parameters or parameter groups; ``None`` to ``bind`` later.
        lr: learning rate η (alias ``learning_rate``).
        beta_1: β₁, decay of the gradient average.
        beta_2: β₂, decay of the squared-gradient average. ``betas=(β₁, β₂)`` (PyTorch's spelling) sets
            both.
        eps: ε (alias ``epsilon``).
        amsgrad: divide by the largest S seen so far (Reddi et al., 2018) instead of the current S.
        weight_decay: wd, coupled L2 (notes, pytorch) or decoupled (keras).
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.

    State: ``exp_avg`` (V), ``exp_avg_sq`` (S), ``max_exp_avg_sq`` (Smax, with amsgrad). V and S decay
    while g = 0; every 16th step their entries below the smallest normal float are set to 0
    (``optimizer._flush_subnormals``); Smax never decreases. Step records add ``bias_correction1``
    (1 − β₁ᵗ), ``bias_correction2`` (1 − β₂ᵗ) and ``lr_effective`` = lr_t / D, the factor multiplying V in
    the update (lr_t and D as the update computes them), one per weight.

    Example (the first step moves each weight by about lr, whatever the gradient's size):
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.zeros(2)); w.grad = np.array([100.0, -0.01])
        >>> Adam([w], lr=0.1).step(); w.data.round(6)
        array([-0.1,  0.1])
    """

    # fmt: off
    hyperparameters = {
        #                notes    pytorch  keras    rule
        "lr":           (1e-3,    1e-3,    1e-3,    ">= 0"),
        "beta_1":       (0.9,     0.9,     0.9,     "[0, 1)"),
        "beta_2":       (0.999,   0.999,   0.999,   "[0, 1)"),
        "eps":          (1e-8,    1e-8,    1e-7,    ">= 0"),
        "amsgrad":      (False,   False,   False,   "bool"),
        "weight_decay": (0.0,     0.0,     0.0,     ">= 0"),
    }
    # fmt: on
    aliases = {**Optimizer.aliases, "betas": ("beta_1", "beta_2")}
    state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    decaying = ("exp_avg", "exp_avg_sq")  # V ← β₁ V, S ← β₂ S while g = 0
    direction = "V"

    def _moments(self, data, grad, state, group, xp):
        """Update V and S (and Smax); return V and the S the rule divides by."""
        beta_1, beta_2 = group["beta_1"], group["beta_2"]
        exp_avg = self._buffer(state, "exp_avg", data, xp)
        exp_avg_sq = self._buffer(state, "exp_avg_sq", data, xp)
        scratch = self._buffer(state, "_scratch", data, xp, fill=None)
        exp_avg *= beta_1
        exp_avg += xp.multiply(grad, 1.0 - beta_1, out=scratch)  # V = β₁ V + (1 − β₁) g
        exp_avg_sq *= beta_2
        xp.multiply(grad, grad, out=scratch)
        exp_avg_sq += xp.multiply(scratch, 1.0 - beta_2, out=scratch)  # S = β₂ S + (1 − β₂) g²
        if not group["amsgrad"]:
            return exp_avg, exp_avg_sq
        max_exp_avg_sq = self._buffer(state, "max_exp_avg_sq", data, xp)
        return exp_avg, xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)

    def _update_notes(self, data, grad, state, group, xp):
        exp_avg, exp_avg_sq = self._moments(data, grad, state, group, xp)
        step = state["step"]
        bias_correction1 = 1 - group["beta_1"] ** step
        bias_correction2 = 1 - group["beta_2"] ** step
        root_bias_correction2 = bias_correction2**0.5
        # lr_t = lr √(1 − β₂ᵗ) / (1 − β₁ᵗ). notes, pytorch: lr Vc / (√Sc + ε) = lr_t V / (√S + ε √(1 − β₂ᵗ)),
        # one pass fewer; keras: lr_t V / (√S + ε̂), its ε̂ added to the uncorrected root.
        lr_t = group["lr"] * root_bias_correction2 / bias_correction1
        eps_hat = group["eps"] if self.convention == "keras" else group["eps"] * root_bias_correction2
        denominator = self._buffer(state, "_denominator", data, xp, fill=None)
        xp.sqrt(exp_avg_sq, out=denominator)
        denominator += eps_hat  # D = √S + ε̂
        terms = self._divide_and_step(data, exp_avg, lr_t, denominator, state, xp)
        return {"bias_correction1": bias_correction1, "bias_correction2": bias_correction2, **terms}

    _update_pytorch = _update_notes  # the notes' Adam is PyTorch's, term for term
    _update_keras = _update_notes  # the same steps; only where ε sits differs (eps_hat above)


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay. Before Adam's update each
    weight shrinks, w ← w − lr wd w, instead of wd w being added to the gradient (where Adam's division by
    √S would scale it per weight). The rest is ``Adam``'s rule, with each convention's epsilon.

    ==========  ===========================================  =======================================
    convention  rule                                         defaults
    ==========  ===========================================  =======================================
    pytorch     torch.optim.AdamW: w ← w(1 − lr wd), Adam    lr 1e-3, wd 0.01, ε 1e-8
    keras       keras.optimizers.AdamW: the same, ε̂ rule     lr 1e-3, wd 0.004, ε̂ 1e-7
    notes       PyTorch's (the notes have no AdamW)          as pytorch
    ==========  ===========================================  =======================================

    Defaults (``None`` in the signature takes the convention's), from ``AdamW.hyperparameters``:

    {hyperparameter_table}

    Args: as ``Adam``'s; ``weight_decay`` is the decoupled wd.

    Example (with a zero gradient the weight only decays: 1 − lr wd = 0.999):
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.ones(2)); w.grad = np.zeros(2)
        >>> AdamW([w], lr=0.1, weight_decay=0.01).step(); w.data
        array([0.999, 0.999])
    """

    # Adam's table with AdamW's own decay defaults (PyTorch 1e-2, Keras 4e-3).
    hyperparameters = {**Adam.hyperparameters, "weight_decay": (1e-2, 1e-2, 4e-3, ">= 0")}
    decoupled_weight_decay = True
