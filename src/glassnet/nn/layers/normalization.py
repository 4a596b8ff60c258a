"""Batch normalization (CURRICULUM section 8)."""

from __future__ import annotations

import numpy as np

from glassnet.autograd.grad_mode import no_grad
from glassnet.nn.module import Module
from glassnet.ops.elementwise import sqrt
from glassnet.ops.reduction import mean

__all__ = ["BatchNorm"]

# (momentum, epsilon, running variance) of each convention.
_CONVENTIONS = {
    "notes": (0.99, 1e-3, "biased"),
    "keras": (0.99, 1e-3, "biased"),
    "pytorch": (0.1, 1e-5, "unbiased"),
}


class BatchNorm(Module):
    """Batch normalization over the batch (and spatial axes), one γ and β per feature/channel on axis 1:

        μ_B = mean of x,  σ_B² = mean of (x - μ_B)²   (over N, and H, W for images)
        x̂ = (x - μ_B) / sqrt(σ_B² + ε),  y = γ x̂ + β   (γ, β trainable)

    In training the batch statistics are used and running statistics updated; in evaluation the running
    statistics replace μ_B and σ_B². The running update follows ``convention``:

    | convention | update                                   | momentum | ε    | running variance        |
    |------------|------------------------------------------|----------|------|-------------------------|
    | "notes"    | r = momentum·r + (1 - momentum)·batch     | 0.99     | 1e-3 | biased σ_B²             |
    | "keras"    | r = momentum·r + (1 - momentum)·batch     | 0.99     | 1e-3 | biased σ_B²             |
    | "pytorch"  | r = (1 - momentum)·r + momentum·batch     | 0.1      | 1e-5 | unbiased σ_B²·n/(n - 1)  |

    Both are the exponentially weighted average of the notes (section 6), V = β V + (1 - β) a, with
    β = 0.99 and β = 0.9. The notes give the average's form but no values, so "notes" (the default, as
    for the optimizers) writes the average as they do and takes Keras's values.

    Args:
        momentum, epsilon: None takes the convention's value.
        convention: "notes" (default), "keras" or "pytorch".

    Shape:
        (N, C) or (N, C, ...) -> same shape.
    """

    def __init__(
        self,
        momentum: float | None = None,
        epsilon: float | None = None,
        convention: str = "notes",
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if convention not in _CONVENTIONS:
            raise ValueError(
                f"BatchNorm: convention must be one of {sorted(_CONVENTIONS)}, got {convention!r}"
            )
        default_momentum, default_epsilon, self.running_variance = _CONVENTIONS[convention]
        self.convention = convention
        self.momentum = default_momentum if momentum is None else momentum
        self.epsilon = default_epsilon if epsilon is None else epsilon
        if not 0 <= self.momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {self.momentum}")
        if not self.epsilon > 0:
            raise ValueError(f"BatchNorm: epsilon must be > 0, got {self.epsilon}")

    def build(self, input_shape):
        if input_shape is None or len(input_shape) < 2 or input_shape[1] is None:
            raise ValueError(f"BatchNorm '{self.name}' needs inputs (N, features, ...), got {input_shape}")
        features = int(input_shape[1])
        self.add_weight("gamma", (features,), "ones")
        self.add_weight("beta", (features,), "zeros")
        dtype = self.gamma.dtype
        self.register_buffer("running_mean", np.zeros(features, dtype=dtype))
        self.register_buffer("running_var", np.ones(features, dtype=dtype))
        super().build(input_shape)

    def explain_shape(self, input_shape) -> str:
        features = int(input_shape[1])
        return (
            f"same shape; γ and β per feature: 2·{features} = {2 * features} parameters (the running mean "
            "and variance are kept as buffers, not learned)"
        )

    def forward(self, x):
        features = self.gamma.shape[0]
        if x.ndim < 2 or x.shape[1] != features:
            raise ValueError(
                f"BatchNorm '{self.name}' expects inputs with {features} features on axis 1, "
                f"got shape {x.shape}"
            )
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, features) + (1,) * (x.ndim - 2)
        if self.training:
            batch_mean = mean(x, axis=axes, keepdims=True)
            centered = x - batch_mean
            batch_var = mean(centered * centered, axis=axes, keepdims=True)
            self._update_running(batch_mean.data.reshape(-1), batch_var.data.reshape(-1), x.size // features)
            normalized = centered / sqrt(batch_var + self.epsilon)
        else:
            running_mean = self.running_mean.reshape(shape)
            running_std = np.sqrt(self.running_var + self.epsilon).reshape(shape)
            normalized = (x - running_mean) / running_std
        return normalized * self.gamma.reshape(shape) + self.beta.reshape(shape)

    def _update_running(self, batch_mean, batch_var, count: int) -> None:
        with no_grad():
            if self.running_variance == "unbiased":
                if count < 2:
                    raise ValueError(
                        f"BatchNorm '{self.name}' needs more than one value per feature in "
                        "training (the unbiased variance divides by n - 1)"
                    )
                batch_var = batch_var * (count / (count - 1))
            if self.convention == "pytorch":
                keep, new = 1 - self.momentum, self.momentum
            else:
                keep, new = self.momentum, 1 - self.momentum
            self.running_mean *= keep
            self.running_mean += new * batch_mean
            self.running_var *= keep
            self.running_var += new * batch_var

    def get_config(self):
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "convention": self.convention,
        }

    def extra_repr(self):
        return f"convention={self.convention!r}, momentum={self.momentum}, epsilon={self.epsilon}"
