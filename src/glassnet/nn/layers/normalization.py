"""Normalization layers: batch normalization (CURRICULUM section 8) and layer normalization (Transformers).

The formulas, their closed-form backward and the running update live in ``glassnet.ops.normalization``;
these layers hold γ, β (and BatchNorm's running statistics) and call the ops.
"""

from __future__ import annotations

import numpy as np

from glassnet.nn.module import Module
from glassnet.ops.normalization import BATCH_NORM_CONVENTIONS, LAYER_NORM_EPSILON, batch_norm, layer_norm

__all__ = ["BatchNorm", "LayerNorm"]


class BatchNorm(Module):
    """Batch normalization over the batch (and spatial axes), one γ and β per feature/channel on ``axis``
    (1 by default, NCHW; -1 for channels last, NHWC):

        μ_B = mean of x,  σ_B² = mean of (x - μ_B)²   (over N, and H, W for images)
        x̂ = (x - μ_B) / sqrt(σ_B² + ε),  y = γ x̂ + β   (γ, β trainable)

    In training the batch statistics are used and running statistics updated; in evaluation the running
    statistics replace μ_B and σ_B². The running update follows ``convention``
    (``glassnet.ops.normalization.update_running_statistics`` has the formulas):

    | convention | running update                     | momentum | ε    | running variance |
    |------------|------------------------------------|----------|------|------------------|
    | "notes"    | r = momentum·r + (1 - momentum)·b  | 0.99     | 1e-3 | biased           |
    | "keras"    | r = momentum·r + (1 - momentum)·b  | 0.99     | 1e-3 | biased           |
    | "pytorch"  | r = (1 - momentum)·r + momentum·b  | 0.1      | 1e-5 | unbiased         |

    The notes give the exponentially weighted average's form but no values, so "notes" (the default, as
    for the optimizers) writes the average as they do and takes Keras's values.

    The features' axis is 1 in every convention (glassnet's image layers are channels first, as PyTorch's);
    Keras's ``BatchNormalization`` defaults to ``axis=-1`` because its images are channels last: give
    ``axis=-1`` (or ``data_format="channels_last"``, as the image layers take it) for NHWC / NLC inputs.

    Args:
        momentum, epsilon: None takes the convention's value.
        convention: "notes" (default), "keras" or "pytorch".
        axis: the features' axis, 1 (default) or -1 (channels last), or any axis but the batch's.
        data_format: "channels_first" (axis 1) or "channels_last" (axis -1), as the image layers'; None
            (default) leaves ``axis`` as given.

    ``load_torch_state_dict`` loads a ``torch.nn.BatchNorm1d/2d``'s weight, bias and running statistics
    (``glassnet.io.layouts`` has the names, for PyTorch and Keras).

    Shape:
        (N, C) or (N, C, ...) -> same shape; (N, ..., C) with ``axis=-1``.

    Example:
        >>> import glassnet as gn
        >>> BatchNorm(epsilon=1e-12)(gn.tensor([[1.0], [3.0]])).data.ravel().round(6).tolist()
        [-1.0, 1.0]
    """

    def __init__(
        self,
        momentum: float | None = None,
        epsilon: float | None = None,
        convention: str = "notes",
        axis: int = 1,
        data_format: str | None = None,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.axis = _feature_axis(axis, data_format)
        if convention not in BATCH_NORM_CONVENTIONS:
            raise ValueError(
                f"BatchNorm: convention must be one of {sorted(BATCH_NORM_CONVENTIONS)}, got {convention!r}"
            )
        default_momentum, default_epsilon, self.running_variance = BATCH_NORM_CONVENTIONS[convention]
        self.convention = convention
        self.momentum = default_momentum if momentum is None else momentum
        self.epsilon = default_epsilon if epsilon is None else epsilon
        if not 0 <= self.momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {self.momentum}")
        if not self.epsilon > 0:
            raise ValueError(f"BatchNorm: epsilon must be > 0, got {self.epsilon}")

    def _axis_of(self, ndim: int) -> int | None:
        """The features' axis of an ndim-d input, counted from 0; None where it is the batch's or absent."""
        axis = self.axis % ndim if -ndim <= self.axis < ndim else None
        return axis if axis else None

    def _layout(self) -> str:
        return "(N, features, ...)" if self.axis == 1 else f"(N, ...) with the features on axis {self.axis}"

    def build(self, input_shape):
        axis = None if input_shape is None else self._axis_of(len(input_shape))
        if axis is None or input_shape[axis] is None:
            raise ValueError(f"BatchNorm '{self.name}' needs inputs {self._layout()}, got {input_shape}")
        features = int(input_shape[axis])
        self.add_weight("gamma", (features,), "ones")
        self.add_weight("beta", (features,), "zeros")
        dtype = self.gamma.dtype
        self.register_buffer("running_mean", np.zeros(features, dtype=dtype))
        self.register_buffer("running_var", np.ones(features, dtype=dtype))
        super().build(input_shape)

    def explain_shape(self, input_shape) -> str:
        features = int(input_shape[self._axis_of(len(input_shape)) or 1])
        return (
            f"same shape; γ and β per feature: 2·{features} = {2 * features} parameters (the running mean "
            "and variance are kept as buffers, not learned)"
        )

    def forward(self, x):
        features = self.gamma.shape[0]
        axis = self._axis_of(x.ndim)
        if axis is None or x.shape[axis] != features:
            hint = "; for channels-last (NHWC) inputs give axis=-1" if self.axis == 1 and x.ndim > 2 else ""
            raise ValueError(
                f"BatchNorm '{self.name}' expects inputs with {features} features on axis {self.axis}, "
                f"got shape {x.shape}{hint}"
            )
        if self.training and self.running_variance == "unbiased" and x.size // features < 2:
            raise ValueError(
                f"BatchNorm '{self.name}' needs more than one value per feature in training (the "
                f"unbiased variance divides by n - 1), got shape {x.shape}"
            )
        return batch_norm(
            x,
            self.gamma,
            self.beta,
            self.running_mean,
            self.running_var,
            training=self.training,
            momentum=self.momentum,
            epsilon=self.epsilon,
            convention=self.convention,
            axis=axis,
        )

    def get_config(self):
        config = {
            **super().get_config(),
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "convention": self.convention,
        }
        if self.axis != 1:
            config["axis"] = self.axis
        return config

    def extra_repr(self):
        axis = f", axis={self.axis}" if self.axis != 1 else ""
        return f"convention={self.convention!r}, momentum={self.momentum}, epsilon={self.epsilon}{axis}"


def _feature_axis(axis, data_format) -> int:
    """BatchNorm's features' axis from ``axis`` and the image layers' ``data_format`` alias."""
    if isinstance(axis, bool) or not isinstance(axis, int) or axis == 0:
        raise ValueError(f"BatchNorm: axis must be a nonzero int (1, or -1 for channels last), got {axis!r}")
    if data_format is None:
        return axis
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            f"BatchNorm: data_format must be 'channels_first' or 'channels_last', got {data_format!r}"
        )
    implied = -1 if data_format == "channels_last" else 1
    if axis not in (1, implied):
        raise ValueError(
            f"BatchNorm: axis={axis} contradicts data_format={data_format!r} (axis {implied}); "
            "give one of them"
        )
    return implied


class LayerNorm(Module):
    """Layer normalization: each example standardized over its last axes (``normalized_shape``), then
    scaled and shifted per position of those axes:

        μ = mean of x,  σ² = mean of (x - μ)²   (over the normalized axes of one example; biased)
        y = γ (x - μ) / sqrt(σ² + ε) + β      (γ, β of ``normalized_shape``, trainable)

    The same in training and evaluation (no running statistics). The op and its backward are
    ``glassnet.ops.normalization.LayerNorm``.

    | convention | ε    | as                                               |
    |------------|------|--------------------------------------------------|
    | "pytorch"  | 1e-5 | ``torch.nn.LayerNorm(normalized_shape)``         |
    | "keras"    | 1e-3 | ``keras.layers.LayerNormalization(axis=-1)``     |

    Both take the biased variance and put ε inside the root; they differ only in ε. "pytorch" is the
    default: the notes do not cover layer normalization, and the Transformers built on it follow PyTorch.

    Args:
        normalized_shape: the trailing shape normalized together (an int for the last axis alone); None
            (default) takes the last axis of the first input, at build.
        eps: ε; None takes the convention's value.
        elementwise_affine: learn γ (ones) and β (zeros); False for y = x̂.
        bias: learn β (with ``elementwise_affine``); False for y = γ x̂ (PyTorch's ``bias=False``, GPT
            models without biases).
        convention: "pytorch" (default) or "keras".

    ``load_torch_state_dict`` loads a ``torch.nn.LayerNorm``'s weight and bias (``glassnet.io.layouts``).

    Shape:
        (..., *normalized_shape) -> same shape.

    Example:
        >>> import glassnet as gn
        >>> LayerNorm(eps=1e-12)(gn.tensor([[1.0, 3.0]])).data.round(6).tolist()
        [[-1.0, 1.0]]
    """

    def __init__(
        self,
        normalized_shape=None,
        eps: float | None = None,
        elementwise_affine: bool = True,
        convention: str = "pytorch",
        bias: bool = True,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if convention not in LAYER_NORM_EPSILON:
            raise ValueError(
                f"LayerNorm: convention must be one of {sorted(LAYER_NORM_EPSILON)}, got {convention!r}"
            )
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        if normalized_shape is not None:
            normalized_shape = tuple(normalized_shape)
            if not normalized_shape or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in normalized_shape
            ):
                raise ValueError(
                    f"LayerNorm: normalized_shape must be positive integers, got {normalized_shape!r}"
                )
        self.normalized_shape = normalized_shape
        self.convention = convention
        self.eps = LAYER_NORM_EPSILON[convention] if eps is None else eps
        if not self.eps > 0:
            raise ValueError(f"LayerNorm: eps must be > 0, got {self.eps}")
        self.elementwise_affine = bool(elementwise_affine)
        self.bias = bool(bias)

    def build(self, input_shape):
        if self.normalized_shape is None:
            if input_shape is None or len(input_shape) < 2 or input_shape[-1] is None:
                raise ValueError(
                    f"LayerNorm '{self.name}' needs inputs (N, ..., features) with a known last axis, "
                    f"got {input_shape}"
                )
            self.normalized_shape = (int(input_shape[-1]),)
        elif input_shape is not None:
            self._check(tuple(input_shape))
        if self.elementwise_affine:
            self.add_weight("gamma", self.normalized_shape, "ones")
            if self.bias:
                self.add_weight("beta", self.normalized_shape, "zeros")
            else:
                self.beta = None
        else:
            self.gamma = self.beta = None
        super().build(input_shape)

    def _check(self, shape: tuple) -> None:
        k = len(self.normalized_shape)
        if len(shape) < k + 1 or tuple(shape[len(shape) - k :]) != self.normalized_shape:
            trailing = ", ".join(map(str, self.normalized_shape))
            raise ValueError(
                f"LayerNorm '{self.name}' expects inputs (N, ..., {trailing}), got shape {shape}"
            )

    def explain_shape(self, input_shape) -> str:
        size = int(np.prod(self.normalized_shape))
        if not self.elementwise_affine:
            return f"same shape; each example standardized over its last axes {self.normalized_shape}"
        if not self.bias:
            return f"same shape; γ over the normalized shape {self.normalized_shape}: {size} parameters"
        return (
            f"same shape; γ and β over the normalized shape {self.normalized_shape}: 2·{size} = "
            f"{2 * size} parameters"
        )

    def forward(self, x):
        self._check(tuple(x.shape))
        return layer_norm(x, self.normalized_shape, self.gamma, self.beta, epsilon=self.eps)

    def get_config(self):
        return {
            **super().get_config(),
            "normalized_shape": None if self.normalized_shape is None else list(self.normalized_shape),
            "eps": self.eps,
            "elementwise_affine": self.elementwise_affine,
            "convention": self.convention,
            "bias": self.bias,
        }

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
