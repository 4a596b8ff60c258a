"""Weight initializers: how the first values of a parameter are drawn (CURRICULUM section 7).

Zeros is wrong for weights (every unit of a layer would stay identical: symmetry). The variance-scaling
initializers keep the variance of activations and gradients steady through the layers:

| name            | distribution                                   | variance               |
|-----------------|------------------------------------------------|------------------------|
| xavier_normal   | N(0, σ²), σ = sqrt(2 / (fan_in + fan_out))      | 2 / (fan_in + fan_out) |
| xavier_uniform  | U(-a, a), a = sqrt(6 / (fan_in + fan_out))      | 2 / (fan_in + fan_out) |
| he_normal       | N(0, σ²), σ = sqrt(2 / fan_in)                  | 2 / fan_in             |
| he_uniform      | U(-a, a), a = sqrt(6 / fan_in)                  | 2 / fan_in             |
| lecun_normal    | N(0, σ²), σ = sqrt(1 / fan_in)                  | 1 / fan_in             |
| normal          | N(mean, stddev²), stddev 0.05 (Keras's default) | stddev²                |
| uniform         | U(low, high), (-0.05, 0.05) (Keras's default)   | (high - low)² / 12     |
| orthogonal      | Q of a QR decomposition of a normal draw × gain  | (rows of an orthonormal matrix) |

The normal variants draw from the plain normal distribution, as ``torch.nn.init`` does (Keras truncates
at two standard deviations and rescales). Fans: a dense weight (inputs, outputs) has fan_in = inputs and
fan_out = outputs; a convolution kernel (out_channels, in_channels, kh, kw) has fan_in = in_channels·kh·kw
and fan_out = out_channels·kh·kw. All draws come from the generator seeded by ``gn.manual_seed``.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_default_dtype, get_rng
from glassnet.nn.registry import Registry

__all__ = [
    "Initializer",
    "Zeros",
    "Ones",
    "Constant",
    "Normal",
    "Uniform",
    "XavierNormal",
    "XavierUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "Orthogonal",
    "compute_fans",
    "get",
    "registry",
    "zeros",
    "ones",
    "normal",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
]

registry = Registry("initializer")


def compute_fans(shape: tuple) -> tuple:
    """(fan_in, fan_out) of a weight: (inputs, outputs) for a dense weight, (in_channels·kh·kw,
    out_channels·kh·kw) for a kernel (out_channels, in_channels, kh, kw); a vector counts as (n, n)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


class Initializer:
    """Base class: ``init(shape, dtype=None)`` returns a new array (of the default dtype if none given)."""

    def __call__(self, shape, dtype=None):
        dtype = get_default_dtype() if dtype is None else dtype
        return np.asarray(self.sample(tuple(shape)), dtype=dtype)

    def sample(self, shape: tuple):
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register("zeros")
class Zeros(Initializer):
    """All zeros (right for biases; wrong for weights: symmetry)."""

    def sample(self, shape):
        return np.zeros(shape)


@registry.register("ones")
class Ones(Initializer):
    """All ones (batch-norm scales)."""

    def sample(self, shape):
        return np.ones(shape)


@registry.register("constant")
class Constant(Initializer):
    """Every entry equal to ``value``."""

    def __init__(self, value: float = 0.0):
        self.value = value

    def sample(self, shape):
        return np.full(shape, self.value)


@registry.register("normal", "random_normal")
class Normal(Initializer):
    """N(mean, stddev²), by default stddev 0.05 (Keras's RandomNormal)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05):
        self.mean, self.stddev = mean, stddev

    def sample(self, shape):
        return get_rng().normal(self.mean, self.stddev, size=shape)


@registry.register("uniform", "random_uniform")
class Uniform(Initializer):
    """U(low, high), by default (-0.05, 0.05) (Keras's RandomUniform)."""

    def __init__(self, low: float = -0.05, high: float = 0.05):
        self.low, self.high = low, high

    def sample(self, shape):
        return get_rng().uniform(self.low, self.high, size=shape)


class _VarianceScaling(Initializer):
    """Draws with variance gain / fan, fan chosen by ``mode`` ("fan_in", "fan_out" or "fan_avg")."""

    gain, mode, distribution = 1.0, "fan_in", "normal"

    def sample(self, shape):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.gain / fan
        if self.distribution == "normal":
            return get_rng().normal(0.0, math.sqrt(variance), size=shape)
        limit = math.sqrt(3 * variance)  # U(-a, a) has variance a²/3
        return get_rng().uniform(-limit, limit, size=shape)

    def get_config(self) -> dict:
        return {}


@registry.register("xavier_normal", "glorot_normal")
class XavierNormal(_VarianceScaling):
    """Xavier/Glorot normal: N(0, 2 / (fan_in + fan_out))."""

    mode, distribution = "fan_avg", "normal"


@registry.register("xavier_uniform", "glorot_uniform")
class XavierUniform(_VarianceScaling):
    """Xavier/Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Keras's default for Dense)."""

    mode, distribution = "fan_avg", "uniform"


@registry.register("he_normal", "kaiming_normal")
class HeNormal(_VarianceScaling):
    """He normal: N(0, 2 / fan_in) (for ReLU layers)."""

    gain, mode, distribution = 2.0, "fan_in", "normal"


@registry.register("he_uniform", "kaiming_uniform")
class HeUniform(_VarianceScaling):
    """He uniform: U(-a, a), a = sqrt(6 / fan_in)."""

    gain, mode, distribution = 2.0, "fan_in", "uniform"


@registry.register("lecun_normal")
class LecunNormal(_VarianceScaling):
    """LeCun normal: N(0, 1 / fan_in) (for SELU networks)."""

    gain, mode, distribution = 1.0, "fan_in", "normal"


@registry.register("orthogonal")
class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2014; Keras's default for recurrent kernels):
    the Q of the QR decomposition of a normal draw, with the signs of R's diagonal, so that repeated
    products by W_hh neither shrink nor blow up a vector at first."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def sample(self, shape):
        rows, cols = shape[0], int(np.prod(shape[1:]))
        draw = get_rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(draw)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)


def get(identifier) -> Initializer:
    """An initializer from a name ("he_normal"), an ``Initializer``, or a callable (shape, dtype) -> array."""
    return registry.get(identifier)


def zeros(shape, dtype=None):
    """A new array of ``shape`` drawn by ``Zeros()`` (see the table above)."""
    return Zeros()(shape, dtype)


def ones(shape, dtype=None):
    """A new array of ``shape`` drawn by ``Ones()`` (see the table above)."""
    return Ones()(shape, dtype)


def normal(shape, dtype=None):
    """A new array of ``shape`` drawn by ``Normal()`` (see the table above)."""
    return Normal()(shape, dtype)


def uniform(shape, dtype=None):
    """A new array of ``shape`` drawn by ``Uniform()`` (see the table above)."""
    return Uniform()(shape, dtype)


def xavier_normal(shape, dtype=None):
    """A new array of ``shape`` drawn by ``XavierNormal()`` (see the table above)."""
    return XavierNormal()(shape, dtype)


def xavier_uniform(shape, dtype=None):
    """A new array of ``shape`` drawn by ``XavierUniform()`` (see the table above)."""
    return XavierUniform()(shape, dtype)


def he_normal(shape, dtype=None):
    """A new array of ``shape`` drawn by ``HeNormal()`` (see the table above)."""
    return HeNormal()(shape, dtype)


def he_uniform(shape, dtype=None):
    """A new array of ``shape`` drawn by ``HeUniform()`` (see the table above)."""
    return HeUniform()(shape, dtype)


def lecun_normal(shape, dtype=None):
    """A new array of ``shape`` drawn by ``LecunNormal()`` (see the table above)."""
    return LecunNormal()(shape, dtype)
