"""Layers that wrap a layer: ``Bidirectional`` (a recurrent layer both ways in time) and
``TimeDistributed`` (a layer applied to every time step)."""

from __future__ import annotations

from glassnet.nn.module import Module
from glassnet.nn.serialization import deserialize, serialize
from glassnet.ops import arithmetic, shape

__all__ = ["Bidirectional", "TimeDistributed", "MERGE_MODES"]

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Module):
    """A recurrent layer run forwards and, as a copy with its own weights, backwards in time; the two
    outputs are merged step by step.

        y_t = merge(h→_t, h←_t),   h→ reads x_1..x_t,  h← reads x_T..x_t

    The backward copy has ``reverse=True``: its output at step t is aligned with x_t (as PyTorch's
    bidirectional output, and Keras's, which flips its ``go_backwards`` copy's output back). With a mask,
    each sequence is reversed over its real steps only, and padded steps output 0 in both directions (Keras
    forces ``zero_output_for_mask`` on a Bidirectional's layers that return sequences; so does glassnet).

    Args:
        layer: a ``SimpleRNN``, ``LSTM`` or ``GRU`` (the forward direction).
        merge_mode: "concat" (default; [h→, h←] on the last axis), "sum", "mul", "ave" (the mean), or None
            (a list of both outputs).
        backward_layer: the backward direction; default a copy of ``layer``'s config with ``reverse``
            flipped.

    Shape:
        input (B, T, F) -> (B, [T,] 2·units) with "concat", (B, [T,] units) otherwise.

    With ``return_state=True`` the layer returns [output, *forward states, *backward states], as Keras;
    ``initial_state`` takes the forward states then the backward ones.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.nn.layers.recurrent import GRU
        >>> Bidirectional(GRU(4, return_sequences=True))(gn.ones(2, 5, 3)).shape
        (2, 5, 8)
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", backward_layer=None, name=None, dtype=None):
        super().__init__(name=name or f"bidirectional_{layer.name}", dtype=dtype)
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
        if not hasattr(layer, "reverse"):
            raise TypeError(f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU), got {layer!r}")
        if getattr(layer, "go_backwards", False):
            raise ValueError(
                f"Bidirectional: give the forward direction (go_backwards=False); got {layer.name!r} with "
                "go_backwards=True, and the wrapper makes the backward copy itself"
            )
        if backward_layer is None:
            config = {**layer.get_config(), "name": f"backward_{layer.name}", "reverse": not layer.reverse}
            backward_layer = type(layer).from_config(config)
        for direction in (layer, backward_layer):  # as Keras's Bidirectional: padded steps output 0
            direction.zero_output_for_mask = direction.return_sequences
        self.forward_layer, self.backward_layer = layer, backward_layer
        self.merge_mode = merge_mode

    @property
    def return_sequences(self) -> bool:
        return self.forward_layer.return_sequences

    def build(self, input_shape):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                if self.dtype is not None and layer.dtype is None:
                    layer.dtype = self.dtype  # a dtype given to the wrapper (or by Sequential) reaches both
                layer.build(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        output = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return tuple(output[:-1]) + (2 * output[-1],)
        return tuple(output)

    def compute_mask(self, x, mask=None):
        return mask if self.return_sequences else None

    def forward(self, x, initial_state=None, mask=None):
        forward_states = backward_states = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_states, backward_states = initial_state[:half], initial_state[half:]
        ahead = self.forward_layer(x, initial_state=forward_states, mask=mask)
        behind = self.backward_layer(x, initial_state=backward_states, mask=mask)
        states = []
        if self.forward_layer.return_state:
            (ahead, *ahead_states), (behind, *behind_states) = ahead, behind
            states = [*ahead_states, *behind_states]
        output = self._merge(ahead, behind)
        return [output, *states] if states else output

    def _merge(self, ahead, behind):
        mode = self.merge_mode
        if mode == "concat":
            return shape.concatenate([ahead, behind], axis=-1)
        if mode == "sum":
            return arithmetic.add(ahead, behind)
        if mode == "mul":
            return arithmetic.mul(ahead, behind)
        if mode == "ave":
            return arithmetic.mul(arithmetic.add(ahead, behind), 0.5)
        return [ahead, behind]

    def reset_states(self) -> None:
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def get_config(self):
        return {
            **super().get_config(),
            "layer": serialize(self.forward_layer),
            "merge_mode": self.merge_mode,
            "backward_layer": serialize(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        config["backward_layer"] = deserialize(config.get("backward_layer"), custom_objects)
        return cls(**config)

    def extra_repr(self):
        return f"merge_mode={self.merge_mode!r}"


class TimeDistributed(Module):
    """Apply ``layer`` to every time step independently: y_t = layer(x_t), one set of weights for all t.

    The (B, T, ...) input is reshaped to (B·T, ...), passed through the layer once (one GEMM for a
    ``Dense``), and reshaped back. A mask passes through unchanged to the next layer.

    Shape:
        input (B, T, *rest) -> (B, T, *layer output without its batch axis)

    Example:
        >>> import glassnet as gn
        >>> from glassnet.nn.layers.dense import Dense
        >>> TimeDistributed(Dense(3))(gn.ones(2, 5, 4)).shape
        (2, 5, 3)
    """

    supports_masking = True

    def __init__(self, layer, name=None, dtype=None):
        super().__init__(name=name or f"time_distributed_{layer.name}", dtype=dtype)
        if not isinstance(layer, Module):
            raise TypeError(f"TimeDistributed wraps a layer (nn.Module), got {layer!r}")
        self.layer = layer

    def _step_shape(self, input_shape):
        if input_shape is None or len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}' expects input of shape (batch, time, ...), got {input_shape}"
            )
        return (None,) + tuple(input_shape[2:])

    def build(self, input_shape):
        step_shape = self._step_shape(input_shape)
        if not self.layer.built:
            if self.dtype is not None and self.layer.dtype is None:
                self.layer.dtype = self.dtype
            self.layer.build(step_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._step_shape(input_shape))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def compute_mask(self, x, mask=None):
        return mask

    def forward(self, x, mask=None):
        if x.ndim < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}' expects input of shape (batch, time, ...), "
                f"got shape {x.shape}"
            )
        batch, steps = x.shape[:2]
        y = self.layer(shape.reshape(x, (batch * steps,) + tuple(x.shape[2:])))
        return shape.reshape(y, (batch, steps) + tuple(y.shape[1:]))

    def get_config(self):
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        return cls(**config)
