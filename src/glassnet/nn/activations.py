"""Activation functions as modules and as ``activation="..."`` names (CURRICULUM section 5).

Each module is a thin wrapper of its op in ``glassnet.ops.activation`` (its ``op``), where the formula
and its derivative live: the module's docstring, ``glassnet explain``'s derivations and the worked
solutions read them from there. Names: step, identity (or linear), sigmoid, tanh, relu, leaky_relu, rrelu,
prelu, elu, selu, silu (or swish), gelu, softmax.

Defaults, side by side (Keras 3.15 read from its source and checked against it in
tests/nn/test_keras_conventions.py). ``get(name, convention="keras")`` builds a name with Keras's defaults for
that name (``keras.activations``, what ``activation="..."`` means in Keras); a module built with
``convention="keras"`` takes the default of Keras's layer of that name (``keras.layers``):

| default            | notes | PyTorch (``"pytorch"``) | Keras name / function  | Keras layer          |
|--------------------|-------|-------------------------|------------------------|----------------------|
| leaky ReLU slope α | 0.01  | 0.01                    | 0.2 (``"leaky_relu"``) | 0.3 (``LeakyReLU``)  |
| ELU α              | 1     | 1                       | 1                      | 1                    |
| GELU               | -     | exact                   | exact (``"gelu"``)     | -                    |
| softmax axis       | last  | ``dim`` required        | -1                     | -1                   |
| PReLU slopes       | -     | one, initial 0.25       | -                      | one per element, 0   |

(``keras.ops.gelu`` defaults to the tanh approximation, ``keras.activations.gelu`` and the name "gelu" to
the exact form. SELU's λ and α, SiLU, sigmoid, tanh and ReLU agree everywhere.)

``PReLU(convention="keras", shared_axes=...)`` is ``keras.layers.PReLU``'s layout.
"""

from __future__ import annotations

import numpy as np

from glassnet.nn.initializers import Constant
from glassnet.nn.module import Module
from glassnet.nn.registry import Registry
from glassnet.ops import activation as F

__all__ = [
    "Activation",
    "Step",
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "RReLU",
    "PReLU",
    "ELU",
    "SELU",
    "SiLU",
    "GELU",
    "Softmax",
    "get",
    "registry",
]

registry = Registry("activation")

CONVENTIONS = ("notes", "pytorch", "keras")
# The keyword arguments that make a name mean what Keras's keras.activations function of that name does.
KERAS_NAME_DEFAULTS = {"leaky_relu": {"alpha": 0.2}}
LEAKY_RELU_SLOPES = {"notes": 0.01, "pytorch": 0.01, "keras": 0.3}  # keras.layers.LeakyReLU: 0.3


class Activation(Module):
    """Base of the activation modules: no parameters (except PReLU's), output shape = input shape.

    ``op`` is the op class that computes the activation: the one home of its formula and derivative."""

    op = None

    def __init_subclass__(cls, **kwargs):
        """Writes the op's math at the head of the module's docstring."""
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("op") is not None:
            op = cls.op
            math = f"y = {op.formula.text()};  {op.derivative.text()}."
            cls.__doc__ = f"{math}\n\n{cls.__doc__}" if cls.__doc__ else math

    def get_config(self) -> dict:
        return {**super().get_config(), **self._config()}

    def _config(self) -> dict:
        return {}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self._config().items())


@registry.register("step")
class Step(Activation):
    """The perceptron's step (no useful gradient)."""

    op = F.Step

    def __init__(self, threshold: float = 0.0, name=None):
        super().__init__(name=name)
        self.threshold = threshold

    def forward(self, x):
        return F.step(x, self.threshold)

    def _config(self):
        return {"threshold": self.threshold}


@registry.register("identity", "linear")
class Identity(Activation):
    """A linear output, for regression."""

    op = F.Identity

    def forward(self, x):
        return x


@registry.register("sigmoid")
class Sigmoid(Activation):
    """The logistic sigmoid (binary outputs)."""

    op = F.Sigmoid

    def forward(self, x):
        return F.sigmoid(x)


@registry.register("tanh")
class Tanh(Activation):
    """Zero-centred and saturating."""

    op = F.Tanh

    def forward(self, x):
        return F.tanh(x)


@registry.register("relu")
class ReLU(Activation):
    """The default for hidden layers."""

    op = F.ReLU

    def forward(self, x):
        return F.relu(x)


@registry.register("leaky_relu")
class LeakyReLU(Activation):
    """α = ``alpha`` (no dead neurons); None takes the convention's: 0.01 ("notes", the default, and
    "pytorch": ``torch.nn.LeakyReLU``) or 0.3 ("keras": ``keras.layers.LeakyReLU``, whose
    ``negative_slope`` default differs from the 0.2 of Keras's ``"leaky_relu"`` name, which
    ``get("leaky_relu", convention="keras")`` gives)."""

    op = F.LeakyReLU

    def __init__(self, alpha: float | None = None, name=None, convention: str = "notes"):
        super().__init__(name=name)
        if convention not in CONVENTIONS:
            raise ValueError(f"LeakyReLU: convention must be one of {CONVENTIONS}, got {convention!r}")
        self.alpha = LEAKY_RELU_SLOPES[convention] if alpha is None else alpha

    def forward(self, x):
        return F.leaky_relu(x, self.alpha)

    def _config(self):
        return {"alpha": self.alpha}


@registry.register("rrelu")
class RReLU(Activation):
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element in training, (lower + upper)/2 in eval
    (PyTorch's defaults 1/8 and 1/3)."""

    op = F.RReLU

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3, name=None):
        super().__init__(name=name)
        if not 0 <= lower <= upper:
            raise ValueError(f"RReLU needs 0 <= lower <= upper, got lower={lower}, upper={upper}")
        self.lower, self.upper = lower, upper

    def forward(self, x):
        return F.rrelu(x, self.lower, self.upper, training=self.training)

    def _config(self):
        return {"lower": self.lower, "upper": self.upper}


@registry.register("prelu")
class PReLU(Activation):
    """Parametric ReLU, the slope a learned: by default (``convention="notes"`` or "pytorch") one shared
    slope (``num_parameters=1``, PyTorch's default) or one per channel on axis 1, initial value 0.25
    (``init``); with ``convention="keras"`` Keras's ``PReLU()``: one slope per element of an example
    (the input's shape without the batch axis), initial value 0, shared along ``shared_axes`` (Keras's
    numbering: 1 is the first axis after the batch's)."""

    op = F.PReLU

    def __init__(
        self, num_parameters: int = 1, init: float | None = None, name=None, convention: str = "notes",
        shared_axes=None,
    ):  # fmt: skip
        super().__init__(name=name)
        if convention not in CONVENTIONS:
            raise ValueError(f"PReLU: convention must be one of {CONVENTIONS}, got {convention!r}")
        if convention != "keras" and shared_axes is not None:
            raise ValueError("PReLU: shared_axes is Keras's layout; give convention='keras' with it")
        if convention == "keras" and num_parameters != 1:
            raise ValueError(
                "PReLU: num_parameters is PyTorch's layout; with convention='keras' use shared_axes"
            )
        self.num_parameters, self.convention = num_parameters, convention
        self.init = (0.0 if convention == "keras" else 0.25) if init is None else init
        if shared_axes is not None:
            shared_axes = sorted({int(a) for a in np.atleast_1d(shared_axes)})
        self.shared_axes = shared_axes

    def build(self, input_shape):
        if self.convention == "keras":
            shape = [int(n) if n is not None else 1 for n in input_shape[1:]]
            for axis in self.shared_axes or ():
                if not 1 <= axis <= len(shape):
                    raise ValueError(
                        f"PReLU '{self.name}': shared axis {axis} is not an axis of inputs "
                        f"{tuple(input_shape)} (1 .. {len(shape)}, after the batch's)"
                    )
                shape[axis - 1] = 1
            self.add_weight("slope", tuple(shape), initializer=Constant(self.init))
            return super().build(input_shape)
        if self.num_parameters > 1 and (len(input_shape) < 2 or input_shape[1] != self.num_parameters):
            raise ValueError(
                f"PReLU '{self.name}' has {self.num_parameters} slopes but its input of shape "
                f"{tuple(input_shape)} has no axis 1 of that size"
            )
        self.add_weight("slope", (self.num_parameters,), initializer=Constant(self.init))
        super().build(input_shape)

    def forward(self, x):
        return F.prelu(x, self.slope)

    def _config(self):
        config = {"num_parameters": self.num_parameters, "init": self.init}
        if self.convention == "keras":
            config.update(convention="keras", shared_axes=self.shared_axes)
        return config


@registry.register("elu")
class ELU(Activation):
    """α = ``alpha``, 1 by default."""

    op = F.ELU

    def __init__(self, alpha: float = 1.0, name=None):
        super().__init__(name=name)
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def _config(self):
        return {"alpha": self.alpha}


@registry.register("selu")
class SELU(Activation):
    """The fixed λ ≈ 1.0507, α ≈ 1.6733 (self-normalizing networks)."""

    op = F.SELU

    def forward(self, x):
        return F.selu(x)


@registry.register("silu", "swish")
class SiLU(Activation):
    """SiLU, or Swish with β = 1 (PyTorch's ``nn.SiLU``; Keras's "silu" and "swish")."""

    op = F.SiLU

    def forward(self, x):
        return F.silu(x)


@registry.register("gelu")
class GELU(Activation):
    """GELU, exact (``approximate="none"``, PyTorch's default) or GPT-2's tanh approximation
    (``approximate="tanh"``); PyTorch's ``nn.GELU(approximate=...)``, Keras's ``"gelu"``."""

    op = F.GELU

    def __init__(self, approximate: str = "none", name=None):
        super().__init__(name=name)
        if approximate not in ("none", "tanh"):
            raise ValueError(f'GELU: approximate must be "none" or "tanh", got {approximate!r}')
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def _config(self):
        return {"approximate": self.approximate}


@registry.register("softmax")
class Softmax(Activation):
    """Along ``axis`` (multi-class outputs)."""

    op = F.Softmax

    def __init__(self, axis: int = -1, name=None):
        super().__init__(name=name)
        self.axis = axis

    def forward(self, x):
        return F.softmax(x, self.axis)

    def _config(self):
        return {"axis": self.axis}


def get(identifier, convention: str = "notes") -> Module:
    """An activation module from a name ("relu"), a module, or None (the identity). A name takes the
    defaults of ``convention``: "notes" and "pytorch" the modules' own, "keras" those of Keras's function of
    that name (``KERAS_NAME_DEFAULTS``: "leaky_relu" has slope 0.2 there).

    Example:
        >>> get("leaky_relu").alpha, get("leaky_relu", convention="keras").alpha
        (0.01, 0.2)
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"activations.get: convention must be one of {CONVENTIONS}, got {convention!r}")
    if identifier is None:
        return Identity()
    if convention == "keras" and isinstance(identifier, str):
        return registry.get(identifier, **KERAS_NAME_DEFAULTS.get(identifier.lower(), {}))
    return registry.get(identifier)
