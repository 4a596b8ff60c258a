"""The fully connected layer."""

from __future__ import annotations

from glassnet.nn import activations, initializers, regularizers
from glassnet.nn.module import Module
from glassnet.nn.serialization import serialize
from glassnet.ops.linalg import linear

__all__ = ["Dense"]


class Dense(Module):
    """Fully connected layer: z = x W + b, then a = f(z).

    W has shape (inputs, outputs): the notes' w_ab connects input a to unit b, so a row of inputs times W
    gives the row of pre-activations (CURRICULUM sections 1-2). PyTorch's ``nn.Linear`` stores the
    transpose (outputs, inputs).

    Args:
        units: number of outputs.
        activation: a name ("relu", "sigmoid", ...), an activation module, or None (linear).
        use_bias: add b.
        weight_init, bias_init: initializer names or objects (default "xavier_uniform" and "zeros", as Keras).
        weight_regularizer: an optional penalty on W ("l2", ``nn.regularizers.L1(0.01)``), added to the loss
            by ``regularization_loss()``.
        name, dtype: the layer's name (default "dense", "dense_1", ...) and parameter dtype (default float).

    Inputs of another float dtype are cast to the layer's dtype, as Keras does.

    Shape:
        input (..., inputs) -> output (..., units)

    Example:
        >>> import glassnet as gn
        >>> layer = Dense(3, activation="sigmoid")
        >>> layer(gn.ones(2, 4)).shape, layer.weight.shape
        ((2, 3), (4, 3))
    """

    def __init__(
        self,
        units: int,
        activation=None,
        use_bias: bool = True,
        weight_init="xavier_uniform",
        bias_init="zeros",
        weight_regularizer=None,
        bias_regularizer=None,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units, self.use_bias = units, use_bias
        # Names stay names (so that configs read well); objects and saved configs become objects.
        self.weight_init = weight_init if isinstance(weight_init, str) else initializers.get(weight_init)
        self.bias_init = bias_init if isinstance(bias_init, str) else initializers.get(bias_init)
        self.weight_regularizer = regularizers.get(weight_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activation_name = activation if isinstance(activation, str) or activation is None else None
        self.activation = activations.get(activation)

    def build(self, input_shape):
        if input_shape is None or len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(
                f"Dense '{self.name}' needs inputs with a known last dimension, got {input_shape}"
            )
        inputs = int(input_shape[-1])
        self.add_weight("weight", (inputs, self.units), self.weight_init, regularizer=self.weight_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_init, regularizer=self.bias_regularizer)
        else:
            self.bias = None
        if isinstance(self.activation, Module) and not self.activation.built:
            self.activation.build(self.compute_output_shape(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def explain_shape(self, input_shape) -> str:
        inputs = int(input_shape[-1])
        shape = tuple(input_shape[:-1]) + (self.units,)
        bias = f" + {self.units} biases" if self.use_bias else ""
        total = inputs * self.units + (self.units if self.use_bias else 0)
        return (
            f"last axis {inputs} -> units {self.units}: {_shape(shape)}; parameters = {inputs}·{self.units} "
            f"weights{bias} = {total:,}"
        )

    def forward(self, x):
        inputs = self.weight.shape[0]
        if x.ndim < 1 or x.shape[-1] != inputs:
            raise ValueError(
                f"Dense '{self.name}' expects input with last dimension {inputs}, got shape {x.shape}"
            )
        if x.dtype != self.weight.dtype:
            x = x.to(self.weight.dtype)
        return self.activation(linear(x, self.weight, self.bias))

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation_name or serialize(self.activation),
            "use_bias": self.use_bias,
            "weight_init": serialize(self.weight_init),
            "bias_init": serialize(self.bias_init),
            "weight_regularizer": serialize(self.weight_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
        }

    def extra_repr(self):
        activation = f", activation={self.activation_name!r}" if self.activation_name else ""
        return f"{self.units}{activation}"


def _shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
