"""Converters of the recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU`` as ONNX's own RNN, LSTM and GRU
ops, and ``Bidirectional`` as one op per direction.

ONNX's layout against glassnet's (both conventions store the kernels (inputs, G·units), the transposes of
ONNX's W (G·units, inputs) and R (G·units, units)):

| layer     | glassnet's column blocks                  | ONNX's blocks | ONNX bias B = [Wb, Rb]             |
|-----------|-------------------------------------------|---------------|------------------------------------|
| SimpleRNN | one                                       | one           | [b_ih, b_hh or 0]                  |
| LSTM      | i, f, g, o (Keras's i, f, c, o: the same) | i, o, f, c    | [b_ih, b_hh or 0], reordered       |
| GRU       | r, z, n ("pytorch"), z, r, h ("keras")    | z, r, h       | [b_ih, b_hh], reordered            |

glassnet's GRU applies the reset gate after the recurrent product in both conventions (PyTorch's GRU,
Keras 3's ``reset_after=True``): ONNX's ``linear_before_reset=1``. ``reverse=True`` is ONNX's direction
"reverse" (outputs aligned with the input steps, the final state that of step 0, as glassnet's).
The ops run time-major: X (T, N, F) is transposed in, Y (T, 1, N, units) squeezed and transposed out.
"""

from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.io.onnx.graph import NotExportable, Value, converts, describe

__all__ = ["recurrent"]

_ORDER = {  # (layer class, convention) -> glassnet's blocks in ONNX's order
    (nn.SimpleRNN, "keras"): [0],
    (nn.SimpleRNN, "pytorch"): [0],
    (nn.LSTM, "keras"): [0, 3, 1, 2],
    (nn.LSTM, "pytorch"): [0, 3, 1, 2],
    (nn.GRU, "keras"): [0, 1, 2],
    (nn.GRU, "pytorch"): [1, 0, 2],
}
_OP = {nn.SimpleRNN: "RNN", nn.LSTM: "LSTM", nn.GRU: "GRU"}


def _blocks(matrix: np.ndarray, order: list, units: int) -> np.ndarray:
    """The last axis's blocks of ``units`` columns, in ``order``."""
    return np.concatenate([matrix[..., k * units : (k + 1) * units] for k in order], axis=-1)


def onnx_weights(layer) -> tuple:
    """ONNX's W (1, G·H, F), R (1, G·H, H) and B (1, 2·G·H) or None, from the layer's weights."""
    order, units = _ORDER[(type(layer), layer.convention)], layer.units
    w = _blocks(layer.kernel.data, order, units).T[None]
    r = _blocks(layer.recurrent_kernel.data, order, units).T[None]
    if layer.bias is None:
        return w, r, None
    wb = _blocks(layer.bias.data, order, units)
    recurrent_bias = layer.recurrent_bias
    rb = np.zeros_like(wb) if recurrent_bias is None else _blocks(recurrent_bias.data, order, units)
    return w, r, np.concatenate([wb, rb])[None]


def run_direction(b, layer, time_major: str, shape: tuple) -> list:
    """The op of one layer over X (T, N, F): [Y (T, N, H), Y_h (N, H)] (and Y_c (N, H) for LSTM)."""
    kind = type(layer)
    w, r, bias = onnx_weights(layer)
    inputs = [time_major, b.weight(w, "W"), b.weight(r, "R")]
    if bias is not None:
        inputs.append(b.weight(bias, "B"))
    options = dict(hidden_size=layer.units, direction="reverse" if layer.reverse else "forward")
    if kind is nn.SimpleRNN:
        options["activations"] = [{"tanh": "Tanh", "relu": "Relu"}[layer.activation]]
    if kind is nn.GRU:
        options["linear_before_reset"] = 1
    count = 3 if kind is nn.LSTM else 2
    outputs = b.op(_OP[kind], inputs, _OP[kind], outputs=count, **options)
    axes = b.ints([1], "axes")
    y = b.op("Squeeze", [outputs[0], axes], "Y")  # (T, 1, N, H) -> (T, N, H)
    states = [b.op("Squeeze", [state, b.ints([0], "axes")], "state") for state in outputs[1:]]
    return [y, *states]


def _check(layer, shape):
    if len(shape) != 3:
        raise NotExportable(f"cannot export {describe(layer)}: expects (batch, time, features), got {shape}")


@converts(nn.SimpleRNN, nn.LSTM, nn.GRU)
def recurrent(b, layer, x):
    """The layer's output (every step with ``return_sequences``, else the last state) and, with
    ``return_state``, its final states: [output, h_T] ([output, h_T, c_T] for LSTM)."""
    _check(layer, x.shape)
    time_major = b.op("Transpose", [x.name], "time_major", perm=[1, 0, 2])
    y, *states = run_direction(b, layer, time_major, x.shape)
    batch, steps = x.shape[0], x.shape[1]
    finals = [Value(state, (batch, layer.units)) for state in states]
    if layer.return_sequences:
        output = Value(b.op("Transpose", [y], "sequence", perm=[1, 0, 2]), (batch, steps, layer.units))
    else:
        output = finals[0]
    return [output, *finals] if layer.return_state else output


@converts(nn.Bidirectional)
def bidirectional(b, layer, x):
    """Each direction its own op (each may have its own configuration), merged as the layer merges:
    concat on the last axis, sum, mul, ave, or None (both outputs)."""
    ahead = recurrent(b, layer.forward_layer, x)
    behind = recurrent(b, layer.backward_layer, x)
    states = []
    if layer.forward_layer.return_state:
        (ahead, *ahead_states), (behind, *behind_states) = ahead, behind
        states = [*ahead_states, *behind_states]
    mode = layer.merge_mode
    if mode is None:
        return [ahead, behind, *states]
    if mode == "concat":
        merged = Value(b.op("Concat", [ahead.name, behind.name], axis=-1),
                       ahead.shape[:-1] + (ahead.shape[-1] + behind.shape[-1],))  # fmt: skip
    else:
        op_type = {"sum": "Add", "mul": "Mul", "ave": "Add"}[mode]
        merged = Value(b.op(op_type, [ahead.name, behind.name]), ahead.shape)
        if mode == "ave":
            merged = Value(b.op("Mul", [merged.name, b.weight(np.float32(0.5), "half")]), ahead.shape)
    return [merged, *states] if states else merged
