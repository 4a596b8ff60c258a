"""Normalization ops: batch normalization (CURRICULUM section 8) and layer normalization (the Transformer's),
each one fused op with its closed-form backward.

Both standardize x over some axes, then scale and shift it:

    μ = mean of x,  σ² = mean of (x - μ)²  (biased: divided by m, the number of values in each mean)
    x̂ = (x - μ) / sqrt(σ² + ε),  y = γ x̂ + β

BatchNorm takes the means over the batch (and H, W), one γ, β per feature or channel on ``axis`` (1 for
NCHW and (N, C), PyTorch's layout; -1 for NHWC, Keras's default ``axis=-1``);
LayerNorm over the last k axes of each example, one γ, β per position of those axes.

The backward, with g = dL/dy and ĝ = dL/dx̂ = γ g. Through y = γ x̂ + β: dL/dγ = Σ g x̂ and dL/dβ = Σ g,
summed over every axis γ is broadcast along. Through x̂, with s = sqrt(σ² + ε), μ and σ² depend on every x
of the same mean: dx̂_i/dx_j = (δ_ij - 1/m - x̂_i x̂_j / m) / s, so

    dL/dx = (1 / (m s)) (m ĝ - Σ ĝ - x̂ Σ(ĝ x̂))        (sums over the normalized axes)
          = (1 / (m s)) γ (m g - Σ g - x̂ Σ(g x̂))      (BatchNorm, whose γ is constant along those axes)

(the three terms: the direct path, the path through μ, the path through σ²). When the statistics are
constants (BatchNorm in evaluation, with the running mean and variance) only the direct path remains:
dL/dx = γ g / s.
"""

from __future__ import annotations

import math

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import get_array_module
from glassnet.ops._util import leading_sums, row_sums, sums_over

__all__ = [
    "BatchNorm",
    "LayerNorm",
    "batch_norm",
    "layer_norm",
    "update_running_statistics",
    "BATCH_NORM_CONVENTIONS",
    "LAYER_NORM_EPSILON",
]

# BatchNorm's running statistics, by convention: (momentum, ε, running variance). See batch_norm.
BATCH_NORM_CONVENTIONS = {
    "notes": (0.99, 1e-3, "biased"),
    "keras": (0.99, 1e-3, "biased"),
    "pytorch": (0.1, 1e-5, "unbiased"),
}
# LayerNorm's ε, by convention: torch.nn.LayerNorm's eps and keras.layers.LayerNormalization's epsilon.
LAYER_NORM_EPSILON = {"pytorch": 1e-5, "keras": 1e-3}


def _mean(x, axes: tuple):
    """The mean over ``axes`` with kept dims; over the last axis alone (LayerNorm's usual case) by
    ``row_sums`` and over all axes but the channels' (BatchNorm's) by ``sums_over``, NumPy's reductions
    along short rows and over several axes being slow."""
    if x.size == 0:
        return x.mean(axis=axes, keepdims=True)
    total = row_sums(x) if axes == (x.ndim - 1,) else sums_over(x, axes)
    total *= 1 / (x.size // total.size)
    return total


def _standardize(x, axes: tuple, epsilon: float):
    """x̂ = (x - μ)/sqrt(σ² + ε) over ``axes``; returns x̂, μ, σ² (biased) and 1/sqrt(σ² + ε), kept dims."""
    xp = get_array_module(x)
    mu = _mean(x, axes)
    x_hat = x - mu
    variance = _mean(x_hat * x_hat, axes)
    inv_std = 1 / xp.sqrt(variance + epsilon)
    x_hat *= inv_std  # (x - μ)/s, in the array of x - μ
    return x_hat, mu, variance, inv_std


class _Normalization:
    """What BatchNorm and LayerNorm share (a mixin, not an op of its own): y = γ x̂ + β on the standardized
    x̂, with γ and β reshaped to broadcast against x and γ kept in ``saved["gamma"]`` for the backward.
    Each op's backward is its own (BatchNorm's sums over the batch, LayerNorm's over each row)."""

    def _affine(self, x_hat, gamma, beta, param_shape):
        self.saved["gamma"] = None if gamma is None else gamma.reshape(param_shape)
        y = x_hat if gamma is None else x_hat * self.saved["gamma"]
        return y if beta is None else y + beta.reshape(param_shape)


class BatchNorm(_Normalization, Function):
    """Batch normalization, statistics per feature/channel (param ``axis``, 1 by default; -1 for channels
    last) over every other axis, the batch's and the spatial ones: s = sqrt(σ_B² + ε), m = N·H·W values per
    channel, g = dL/dy, sums over those axes.

    In evaluation (``training=False``) the running mean and variance replace μ_B and σ_B² as constants, so
    dL/dx = γ g / sqrt(running variance + ε). The derivation is in this module's docstring; the running
    update in ``update_running_statistics``.
    """

    name = "batch_norm"
    formula = Formula(r"\gamma \frac{#x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta")
    derivative = Formula(
        r"\frac{\partial L}{\partial x} = \frac{\gamma}{m s}(m g - \sum g - \hat{x} \sum g \hat{x}), "
        r"\frac{\partial L}{\partial \gamma} = \sum g \hat{x}, \frac{\partial L}{\partial \beta} = \sum g"
    )

    def forward(self, x, gamma, beta):
        params = self.params
        axis = params.get("axis", 1) % x.ndim
        axes = tuple(i for i in range(x.ndim) if i != axis)
        param_shape = tuple(x.shape[i] if i == axis else 1 for i in range(x.ndim))
        if params["training"]:
            x_hat, mu, variance, inv_std = _standardize(x, axes, params["epsilon"])
            if params["running_mean"] is not None:
                update_running_statistics(
                    params["running_mean"],
                    params["running_var"],
                    mu.reshape(-1),
                    variance.reshape(-1),
                    x.size // x.shape[axis],
                    params["momentum"],
                    params["convention"],
                )
        else:
            xp = get_array_module(x)
            inv_std = (1 / xp.sqrt(params["running_var"] + params["epsilon"])).reshape(param_shape)
            x_hat = (x - params["running_mean"].reshape(param_shape)) * inv_std
        self.saved.update(x_hat=x_hat, inv_std=inv_std, axes=axes, training=params["training"])
        return self._affine(x_hat, gamma, beta, param_shape)

    def backward(self, grad):
        x_hat, inv_std, gamma = self.saved["x_hat"], self.saved["inv_std"], self.saved["gamma"]
        axes = self.saved["axes"]  # every axis but the channels'
        if self.saved["training"]:
            return self._shared_sums_backward(grad, x_hat, inv_std, gamma, axes)
        grad_x = grad_gamma = grad_beta = None
        if self.needs_input_grad[0]:  # in evaluation the statistics are constants
            grad_x = (grad if gamma is None else grad * gamma) * inv_std
        if self.needs_input_grad[1]:
            grad_gamma = sums_over(grad * x_hat, axes).reshape(self.inputs[1].shape)
        if self.needs_input_grad[2]:
            grad_beta = sums_over(grad, axes).reshape(self.inputs[2].shape)
        return grad_x, grad_gamma, grad_beta

    def _shared_sums_backward(self, grad, x_hat, inv_std, gamma, axes):
        """In training, where γ is constant along the statistics' axes: the two sums the input
        gradient needs, Σ g and Σ g x̂, are dL/dβ and dL/dγ themselves, so each is taken once:
        dL/dx = (γ s⁻¹) (g - Σ g / m - x̂ Σ(g x̂) / m)."""
        sum_grad = sums_over(grad, axes)
        sum_projection = sums_over(grad * x_hat, axes)
        grad_x = grad_gamma = grad_beta = None
        if self.needs_input_grad[0]:
            m = grad.size // sum_grad.size
            scale = inv_std if gamma is None else inv_std * gamma
            grad_x = (grad - sum_grad / m - x_hat * (sum_projection / m)) * scale
        if self.needs_input_grad[1]:
            grad_gamma = sum_projection.reshape(self.inputs[1].shape)
        if self.needs_input_grad[2]:
            grad_beta = sum_grad.reshape(self.inputs[2].shape)
        return grad_x, grad_gamma, grad_beta


def update_running_statistics(
    running_mean, running_var, batch_mean, batch_var, count: int, momentum, convention: str
) -> None:
    """Update BatchNorm's running mean and variance in place, by ``convention``:

    | convention | update                                 | momentum | ε    | running variance         |
    |------------|----------------------------------------|----------|------|--------------------------|
    | "notes"    | r = momentum·r + (1 - momentum)·batch  | 0.99     | 1e-3 | biased σ_B²              |
    | "keras"    | r = momentum·r + (1 - momentum)·batch  | 0.99     | 1e-3 | biased σ_B²              |
    | "pytorch"  | r = (1 - momentum)·r + momentum·batch  | 0.1      | 1e-5 | unbiased σ_B²·m/(m - 1)  |

    Both are the notes' exponentially weighted average (section 6), V = β V + (1 - β) a, with β = 0.99 and
    β = 0.9; PyTorch's momentum is the weight of the new batch, Keras's the weight of the old average.
    ``count`` is m, the number of values behind each batch statistic (N, or N·H·W).
    """
    if BATCH_NORM_CONVENTIONS[convention][2] == "unbiased":
        batch_var = batch_var * (count / (count - 1))
    keep, new = (1 - momentum, momentum) if convention == "pytorch" else (momentum, 1 - momentum)
    for running, batch in ((running_mean, batch_mean), (running_var, batch_var)):
        running *= keep
        running += new * batch


def batch_norm(
    x,
    gamma=None,
    beta=None,
    running_mean=None,
    running_var=None,
    training: bool = True,
    momentum: float = 0.1,
    epsilon: float = 1e-5,
    convention: str = "pytorch",
    axis: int = 1,
):
    """Batch normalization of x (N, C) or (N, C, H, W) over every axis but ``axis`` (``BatchNorm``).

    Args:
        x: the input tensor.
        gamma, beta: scale and shift, shape (C,); None for none (γ = 1, β = 0).
        running_mean, running_var: arrays of shape (C,); in training they are updated in place (as
            ``torch.nn.functional.batch_norm`` does) when given, in evaluation they are the statistics.
        training: batch statistics (True) or the running ones (False).
        momentum, convention: the running update (``update_running_statistics``); PyTorch's by default.
        epsilon: ε, added to the variance inside the root (PyTorch 1e-5, Keras 1e-3).
        axis: the features' axis: 1 (default; (N, C), NCHW) or -1 (channels last: NHWC, NLC, Keras's).

    Example:
        >>> import glassnet as gn
        >>> batch_norm(gn.tensor([[1.0], [3.0]]), epsilon=0.0).data.ravel().tolist()
        [-1.0, 1.0]
    """
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm in evaluation (training=False) needs running_mean and running_var")
    valid = isinstance(axis, int) and not isinstance(axis, bool) and -x.ndim <= axis < x.ndim
    if not valid or axis % x.ndim == 0:
        raise ValueError(
            f"batch_norm: axis must name a feature axis of the {x.ndim}-d input (1 .. {x.ndim - 1} or -1), "
            f"got {axis!r}"
        )
    unbiased = BATCH_NORM_CONVENTIONS[convention][2] == "unbiased"
    if training and running_mean is not None and unbiased and x.size // x.shape[axis] < 2:
        raise ValueError(
            "batch_norm needs more than one value per feature to update the unbiased running variance "
            f"(it divides by n - 1), got shape {tuple(x.shape)}"
        )
    return BatchNorm.apply(
        x,
        gamma,
        beta,
        training=training,
        running_mean=running_mean,
        running_var=running_var,
        momentum=momentum,
        epsilon=epsilon,
        convention=convention,
        axis=axis,
    )


class LayerNorm(_Normalization, Function):
    """Layer normalization over the last k axes of each example (``normalized_ndim``), γ and β of the
    normalized shape: s = sqrt(σ² + ε), m the size of the normalized shape, g = dL/dy, ĝ = γ g; the sums of
    dL/dx run over the normalized axes, those of dL/dγ and dL/dβ over the leading ones. The derivation is in
    this module's docstring."""

    name = "layer_norm"
    formula = Formula(r"\gamma \frac{#x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta")
    derivative = Formula(
        r"\frac{\partial L}{\partial x} = \frac{1}{m s}(m \hat{g} - \sum \hat{g}"
        r" - \hat{x} \sum \hat{g} \hat{x}),\ \hat{g} = \gamma g;"
        r"\ \frac{\partial L}{\partial \gamma} = \sum g \hat{x}, \frac{\partial L}{\partial \beta} = \sum g"
    )

    def forward(self, x, gamma, beta):
        normalized_ndim = self.params["normalized_ndim"]
        axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
        x_hat, _, _, inv_std = _standardize(x, axes, self.params["epsilon"])
        self.saved.update(x_hat=x_hat, inv_std=inv_std)
        return self._affine(x_hat, gamma, beta, x.shape[x.ndim - normalized_ndim :])

    def backward(self, grad):
        """The module docstring's gradients on rows of the m normalized values (the trailing axes), with
        the two row means dL/dx needs taken as products with γ/m, so that g ⊙ x̂ is formed once, for dL/dγ
        and for dL/dx (one pass and four temporary arrays fewer than the means of ĝ and ĝ x̂ themselves):

            mean ĝ = g (γ/m),   mean(ĝ x̂) = (g ⊙ x̂)(γ/m),   ĝ = γ ⊙ g
            dL/dx = s⁻¹ (ĝ - mean ĝ) - x̂ (s⁻¹ mean(ĝ x̂))
        """
        xp = get_array_module(grad)
        x_hat, inv_std, gamma = self.saved["x_hat"], self.saved["inv_std"], self.saved["gamma"]
        m = math.prod(x_hat.shape[x_hat.ndim - self.params["normalized_ndim"] :])
        g = xp.ascontiguousarray(grad).reshape(-1, m)
        x_rows = x_hat.reshape(-1, m)
        grad_x = grad_gamma = grad_beta = None
        projection = g * x_rows if self.needs_input_grad[0] or self.needs_input_grad[1] else None
        if self.needs_input_grad[1]:
            grad_gamma = leading_sums(projection).reshape(self.inputs[1].shape)
        if self.needs_input_grad[2]:
            grad_beta = leading_sums(g).reshape(self.inputs[2].shape)
        if self.needs_input_grad[0]:
            gamma_row = xp.ones(m, dtype=g.dtype) if gamma is None else gamma.reshape(m)
            weights = gamma_row * (1 / m)
            inv = inv_std.reshape(-1, 1)
            mean_projection = (projection @ weights)[:, None]
            mean_projection *= inv
            grad_x = g.copy() if gamma is None else g * gamma_row  # ĝ
            grad_x -= (g @ weights)[:, None]
            grad_x *= inv
            grad_x -= xp.multiply(x_rows, mean_projection, out=projection)
            grad_x = grad_x.reshape(x_hat.shape)
        return grad_x, grad_gamma, grad_beta


def layer_norm(x, normalized_shape, gamma=None, beta=None, epsilon: float = 1e-5):
    """Layer normalization of x over its last ``len(normalized_shape)`` axes (``LayerNorm``), as
    ``torch.nn.functional.layer_norm``.

    Args:
        x: the input tensor, of shape (..., *normalized_shape).
        normalized_shape: the trailing shape normalized together (an int for the last axis alone).
        gamma, beta: scale and shift of ``normalized_shape``; None for none.
        epsilon: ε inside the root (PyTorch 1e-5, Keras 1e-3: ``LAYER_NORM_EPSILON``).

    Example:
        >>> import glassnet as gn
        >>> layer_norm(gn.tensor([[1.0, 3.0]]), 2, epsilon=0.0).data.tolist()
        [[-1.0, 1.0]]
    """
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.ndim < len(normalized_shape) or tuple(x.shape[x.ndim - len(normalized_shape) :]) != normalized_shape:
        raise ValueError(
            f"layer_norm expects input whose last axes are {normalized_shape}, got shape {tuple(x.shape)}"
        )
    return LayerNorm.apply(x, gamma, beta, normalized_ndim=len(normalized_shape), epsilon=epsilon)
