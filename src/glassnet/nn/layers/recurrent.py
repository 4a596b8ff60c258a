r"""Recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU`` (CURRICULUM section 10), batch-first.

Input x has shape (batch, time, features). Each layer computes the input projections of all steps with
one matrix product, P = X W_ih + b_ih, then runs the cell over time with one fused op
(``glassnet.ops.recurrent``), whose backward is backpropagation through time: the gradients of W_ih and
W_hh are sums over time steps (the notes' BPTT). ``fused=False`` runs the same cell as a loop of primitive
ops (matmul, add, sigmoid, tanh, mul) through plain autograd (``recurrent_unrolled``): the same values and
gradients, slower, one graph node per operation (what ``gn.explain`` shows).

Weights, whatever the convention: ``kernel`` W_ih (features, G·units), ``recurrent_kernel`` W_hh
(units, G·units), ``bias`` b_ih (G·units,) and, where the convention has a second bias, ``recurrent_bias``
b_hh (G·units,); G = 1 (SimpleRNN), 4 (LSTM), 3 (GRU). The kernels are stored (inputs, outputs), as
``Dense``'s weight and the notes' w_ab; PyTorch stores the transposes.

``convention=``

- ``"keras"`` (default, the notes' framework): Keras 3. One bias (LSTM, SimpleRNN), LSTM gate order
  i, f, c, o, ``unit_forget_bias`` (b_f starts at 1), GRU with ``reset_after=True`` (gate order z, r, h and
  two biases, Keras's bias (2, 3·units) stored as ``bias`` and ``recurrent_bias``); kernel glorot-uniform,
  recurrent kernel orthogonal, biases zero.
- ``"pytorch"``: ``torch.nn.RNN/LSTM/GRU`` exactly. Two biases b_ih and b_hh, LSTM gate order i, f, g, o,
  GRU gate order r, z, n with the reset gate applied after the recurrent product; every weight starts
  U(-1/√units, 1/√units). ``from_torch_state_dict`` builds glassnet layers from a PyTorch module's weights;
  ``load_torch_state_dict`` loads them into a layer of either convention.

Calling a layer: ``layer(x, initial_state=None, mask=None)``. ``initial_state`` is h_0 (B, units) for
SimpleRNN and GRU, [h_0, c_0] for LSTM. ``mask`` (B, T) booleans marks the real steps: at a padded step the
state is carried over unchanged, so padding changes neither the final states nor the gradients of the
real steps (pre- and post-padding alike). ``Embedding(mask_zero=True)`` makes this mask, and ``Sequential``
hands it to the next layer that takes one. What a padded step outputs follows ``zero_output_for_mask``
(None: the convention's):

| a padded step outputs       | "pytorch" (``zero_output_for_mask=True``) | "keras" (False, Keras's) |
|-----------------------------|-------------------------------------------|--------------------------|
| after a real step           | 0 (as packed sequences)                   | the last real output     |
| before the first real step  | 0                                         | 0                        |

``Bidirectional`` sets ``zero_output_for_mask`` on its layers that return sequences, as Keras does.

Reading backwards: ``reverse=True`` returns the outputs aligned with the input's steps (output t read
x_T .. x_t: PyTorch's backward direction, what ``Bidirectional`` uses); ``go_backwards=True`` returns them
in reading order, output k after reading x_T .. x_{T-k} (Keras's ``go_backwards``: the reversed sequence,
not reversed back). Both end in the same final state.

Outputs: the last state h_T (B, units), or with ``return_sequences=True`` every h_t (B, T, units); with
``return_state=True`` a list [output, h_T] ([output, h_T, c_T] for LSTM), as Keras.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_array_module
from glassnet.nn import initializers
from glassnet.nn.initializers import Orthogonal  # noqa: F401 - re-exported for older imports
from glassnet.nn.layers.recurrent_unrolled import gru_unrolled, lstm_unrolled, rnn_unrolled
from glassnet.nn.module import Module
from glassnet.nn.serialization import serialize
from glassnet.ops import arithmetic, shape
from glassnet.ops import recurrent as R
from glassnet.ops.linalg import linear

__all__ = ["SimpleRNN", "LSTM", "GRU", "Orthogonal", "from_torch_state_dict", "CONVENTIONS"]

CONVENTIONS = ("keras", "pytorch")


class _Recurrent(Module):
    """What SimpleRNN, LSTM and GRU share: config, weights, checks, states, masks, outputs."""

    gates = 1
    state_names = ("h",)
    supports_masking = True

    def __init__(
        self,
        units: int,
        use_bias: bool = True,
        return_sequences: bool = False,
        return_state: bool = False,
        stateful: bool = False,
        reverse: bool = False,
        go_backwards: bool = False,
        zero_output_for_mask: bool | None = None,
        convention: str = "keras",
        fused: bool = True,
        kernel_init=None,
        recurrent_init=None,
        bias_init=None,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        kind = type(self).__name__
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{kind}: units must be a positive integer, got {units!r}")
        if convention not in CONVENTIONS:
            raise ValueError(f"{kind}: convention must be 'keras' or 'pytorch', got {convention!r}")
        self.units, self.use_bias, self.convention, self.fused = (
            units,
            bool(use_bias),
            convention,
            bool(fused),
        )
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.stateful, self.reverse, self.go_backwards = bool(stateful), bool(reverse), bool(go_backwards)
        if self.reverse and self.go_backwards:
            raise ValueError(
                f"{kind}: give reverse=True (outputs aligned with the input's steps, as PyTorch's backward "
                "direction) or go_backwards=True (outputs in reading order, as Keras), not both"
            )
        if zero_output_for_mask is None:
            zero_output_for_mask = convention == "pytorch"
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.kernel_init, self.recurrent_init, self.bias_init = kernel_init, recurrent_init, bias_init
        self.states = None  # the carried states of a stateful layer (arrays), None = zeros

    # --- weights ---
    def _initializer(self, given, role: str):
        if given is not None:
            return given if isinstance(given, str) else initializers.get(given)
        if self.convention == "pytorch":
            bound = 1.0 / math.sqrt(self.units)
            return initializers.Uniform(-bound, bound)
        return {"kernel": "xavier_uniform", "recurrent": Orthogonal(), "bias": "zeros"}[role]

    def _has_recurrent_bias(self) -> bool:
        return self.convention == "pytorch"

    def build(self, input_shape):
        kind = type(self).__name__
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{kind} '{self.name}' expects input of shape (batch, time, features), got input shape "
                f"{input_shape}; a single sequence needs a batch axis: x[None]"
            )
        width = self.gates * self.units
        self.add_weight(
            "kernel", (int(input_shape[-1]), width), self._initializer(self.kernel_init, "kernel")
        )
        self.add_weight(
            "recurrent_kernel", (self.units, width), self._initializer(self.recurrent_init, "recurrent")
        )
        if self.use_bias:
            self.add_weight("bias", (width,), self._initializer(self.bias_init, "bias"))
            if self._has_recurrent_bias():
                self.add_weight("recurrent_bias", (width,), self._initializer(self.bias_init, "bias"))
            else:
                self.recurrent_bias = None
        else:
            self.bias = self.recurrent_bias = None
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    @property
    def backwards(self) -> bool:
        """Whether the layer reads time from the last step to the first (``reverse`` or ``go_backwards``)."""
        return self.reverse or self.go_backwards

    def compute_mask(self, x, mask=None):
        """The mask for the next layer: the same steps when the output is a sequence, else none."""
        return mask if self.return_sequences else None

    # --- checks at the edge ---
    def _check_input(self, x):
        kind = type(self).__name__
        if x.ndim != 3:
            raise ValueError(
                f"{kind} '{self.name}' expects input of shape (batch, time, features), got shape {x.shape}; "
                "a single sequence needs a batch axis: x[None]"
            )
        features = self.kernel.shape[0]
        if x.shape[-1] != features:
            raise ValueError(
                f"{kind} '{self.name}' expects input with last dimension {features}, got shape {x.shape}"
            )
        if x.dtype != self.kernel.dtype:
            x = x.to(self.kernel.dtype)
        return x

    def _check_mask(self, mask, x):
        if mask is None:
            return None
        array = mask.data if isinstance(mask, Tensor) else get_array_module(x.data).asarray(mask)
        if array.shape != x.shape[:2]:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': mask of shape {array.shape} does not fit input of "
                f"shape {x.shape}; expected (batch, time) = {x.shape[:2]}"
            )
        array = array.astype(bool, copy=False)
        return None if array.all() else array

    def _initial_states(self, initial_state, batch: int, like) -> list:
        kind, count = type(self).__name__, len(self.state_names)
        xp = get_array_module(like.data)
        if initial_state is None and self.stateful and self.states is not None:
            initial_state = [Tensor(s) for s in self.states]
            if initial_state[0].shape[0] != batch:
                raise ValueError(
                    f"{kind} '{self.name}' is stateful with batch size {initial_state[0].shape[0]}, got a "
                    f"batch of {batch}; keep the batch size fixed (drop the last partial batch) or call "
                    "reset_states()"
                )
        if initial_state is None:
            return [Tensor(xp.zeros((batch, self.units), dtype=like.dtype)) for _ in range(count)]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != count:
            raise ValueError(
                f"{kind} '{self.name}' takes {count} initial state(s) ({', '.join(self.state_names)}), "
                f"got {len(states)}"
            )
        checked = []
        for name, state in zip(self.state_names, states):
            state = state if isinstance(state, Tensor) else Tensor(xp.asarray(state, dtype=like.dtype))
            if state.shape != (batch, self.units):
                raise ValueError(
                    f"{kind} '{self.name}': initial state {name} has shape {state.shape}, expected "
                    f"(batch, units) = ({batch}, {self.units})"
                )
            checked.append(state.to(like.dtype) if state.dtype != like.dtype else state)
        return checked

    # --- the computation ---
    def _input_bias(self):
        """b_ih, with b_hh added where it adds like b_ih (no gate scales it: SimpleRNN, LSTM), or None."""
        if not self.use_bias:
            return None
        if self.recurrent_bias is not None and self._folds_recurrent_bias():
            return arithmetic.add(self.bias, self.recurrent_bias)
        return self.bias

    def _projections(self, x):
        """P = X W_ih + b_ih for every step at once, for the unrolled path: one (T·B, F) x (F, G·units)
        product, time-major (T, B, G·units), so that each step's rows are one contiguous block. (The fused
        ops compute it themselves, feature-major.)"""
        batch, steps, features = x.shape
        time_major = shape.reshape(shape.transpose(x, 1, 0, 2), (steps * batch, features))
        projected = linear(time_major, self.kernel, self._input_bias())
        return shape.reshape(projected, (steps, batch, self.gates * self.units))

    def _folds_recurrent_bias(self) -> bool:
        return True

    def _recurrent_bias_for_cell(self):
        return None if self._folds_recurrent_bias() else self.recurrent_bias

    def forward(self, x, initial_state=None, mask=None):
        x = self._check_input(x)
        mask = self._check_mask(mask, x)
        states = self._initial_states(initial_state, x.shape[0], x)
        outputs = self._run(x, states, mask, self.return_sequences)  # one per state: h (and c)
        output = outputs[0]
        if not self.return_sequences:
            final = outputs
            if mask is not None and not self.zero_output_for_mask and not mask.any(axis=1).all():
                output = arithmetic.mul(output, mask.any(axis=1)[:, None].astype(output.dtype))
        else:
            last = 0 if self.backwards else x.shape[1] - 1
            keep_final = self.return_state or self.stateful
            final = [shape.getitem(y, (slice(None), last)) for y in outputs] if keep_final else []
            if mask is not None:
                output = arithmetic.mul(output, self._output_mask(mask)[..., None].astype(output.dtype))
            if self.go_backwards:
                output = shape.getitem(output, (slice(None), slice(None, None, -1)))
        if self.stateful:
            self.states = [state.data.copy() for state in final]
        return [output, *final] if self.return_state else output

    def _output_mask(self, mask):
        """Which outputs of a masked sequence are kept (B, T), in time order. ``zero_output_for_mask``
        (PyTorch's packed sequences): the real steps; the others are 0. Else (Keras): a padded step repeats
        the last real output, which the carried state already is, so every step after the first real one
        in reading order is kept and only the steps before it are 0 (Keras's output before any real step;
        the carried state there is h_0)."""
        if self.zero_output_for_mask:
            return mask
        xp = get_array_module(mask)
        reading = mask[:, ::-1] if self.backwards else mask
        seen = xp.logical_or.accumulate(reading, axis=1)
        return seen[:, ::-1] if self.backwards else seen

    def reset_states(self, states=None) -> None:
        """Forget the carried states of a stateful layer (the next batch starts from zeros), or set them."""
        self.states = None if states is None else [np.array(s, copy=True) for s in states]

    # --- saving ---
    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "use_bias": self.use_bias,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "stateful": self.stateful,
            "reverse": self.reverse,
            "go_backwards": self.go_backwards,
            "zero_output_for_mask": self.zero_output_for_mask,
            "convention": self.convention,
            "fused": self.fused,
            "kernel_init": serialize(self.kernel_init),
            "recurrent_init": serialize(self.recurrent_init),
            "bias_init": serialize(self.bias_init),
        }

    def extra_repr(self):
        flags = ("return_sequences", "return_state", "stateful", "reverse", "go_backwards")
        flags = [f for f in flags if getattr(self, f)]
        return ", ".join([str(self.units), f"convention={self.convention!r}", *(f"{f}=True" for f in flags)])

    # --- PyTorch weights ---
    def load_torch_state_dict(self, state_dict, layer: int = 0, reverse: bool = False, prefix: str = "",
                              strict: bool = False) -> None:
        """Copy the weights of layer ``layer`` (its reverse direction with ``reverse``) of a PyTorch
        ``nn.RNN``/``nn.LSTM``/``nn.GRU`` state dict into this built layer, in either convention.

        PyTorch's weight_ih_l{k} (G·units, features) becomes ``kernel`` (transposed), weight_hh_l{k}
        ``recurrent_kernel``, bias_ih_l{k} ``bias`` and bias_hh_l{k} ``recurrent_bias`` (added into ``bias``
        where the Keras convention has one bias); the gate blocks are reordered where the conventions'
        orders differ (GRU). ``glassnet.io.layouts`` has the table.
        """
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        picked = {
            key[len(prefix) : len(key) - len(suffix)] + "_l0": value
            for key, value in state_dict.items()
            if key.startswith(prefix) and key.endswith(suffix) and "." not in key[len(prefix) :]
        }
        super().load_torch_state_dict(picked, strict=strict)


class SimpleRNN(_Recurrent):
    r"""The plain recurrent layer (the notes' RNN): o_t = f(x_t W_i + o_{t-1} W_h + b).

        h_t = f(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh),   h_0 = 0 (or ``initial_state``)

    BPTT (the notes): dL/dW_ih and dL/dW_hh are sums over t of h_{t-1}^T dL/dz_t and x_t^T dL/dz_t, with
    dL/dz_t = (dL/dh_t + dL/dz_{t+1} W_hh^T) ⊙ f'(z_t).

    Args:
        units: size of the state h.
        activation: f, "tanh" (default) or "relu".
        use_bias, return_sequences, return_state, stateful, reverse, go_backwards, zero_output_for_mask,
        convention, fused: see the module.
        kernel_init, recurrent_init, bias_init: initializers (None: the convention's).
        name, dtype: as every layer.

    Shape:
        input (B, T, features) -> (B, units), or (B, T, units) with ``return_sequences``.

    Example:
        >>> import glassnet as gn
        >>> layer = SimpleRNN(4, return_sequences=True)
        >>> layer(gn.ones(2, 5, 3)).shape, layer.recurrent_kernel.shape
        ((2, 5, 4), (4, 4))
    """

    def __init__(self, units: int, activation: str = "tanh", **kwargs):
        super().__init__(units, **kwargs)
        R.activation_fn(activation)  # validates the name
        self.activation = activation

    def _run(self, x, states, mask, sequence):
        w, b = self.recurrent_kernel, self._recurrent_bias_for_cell()
        if self.fused:
            weights = (self.kernel, self._input_bias(), w, b)
            options = dict(activation=self.activation, reverse=self.backwards, sequence=sequence)
            return [R.RNNSequence.apply(x, states[0], *weights, mask, **options)]
        x_proj = self._projections(x)
        return [rnn_unrolled(x_proj, states[0], w, b, mask, self.activation, self.backwards, sequence)]

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


class LSTM(_Recurrent):
    r"""Long short-term memory (the notes' LSTM): a cell state c (long-term memory) beside the hidden
    state h (short-term memory), with forget, input and output gates and a candidate:

        z_t = x_t W_ih + b_ih + h_{t-1} W_hh + b_hh             (4·units columns: i, f, g, o)
        i_t = σ(z_i),  f_t = σ(z_f),  o_t = σ(z_o),  g_t = tanh(z_g)    (the notes' c̃_t is g_t)
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    The forget gate decides what to remove from the long-term memory, the input gate what to add.

    Args:
        units: size of h and c.
        unit_forget_bias: with ``convention="keras"``, start b_f at 1 (Keras's default), so the cell
            remembers at first.
        use_bias, return_sequences, return_state, stateful, reverse, go_backwards, zero_output_for_mask,
        convention, fused: see the module.
        kernel_init, recurrent_init, bias_init: initializers (None: the convention's).

    Shape:
        input (B, T, features) -> (B, units), or (B, T, units) with ``return_sequences``; states (B, units).

    Example:
        >>> import glassnet as gn
        >>> out, h, c = LSTM(8, return_state=True)(gn.ones(2, 5, 3))
        >>> out.shape, c.shape
        ((2, 8), (2, 8))
    """

    gates = 4
    state_names = ("h", "c")

    def __init__(self, units: int, unit_forget_bias: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def build(self, input_shape):
        super().build(input_shape)
        if self.use_bias and self.convention == "keras" and self.unit_forget_bias:
            self.bias.data[self.units : 2 * self.units] = 1.0

    def _run(self, x, states, mask, sequence):
        w, b = self.recurrent_kernel, self._recurrent_bias_for_cell()
        h0, c0 = states
        if self.fused:
            weights = (self.kernel, self._input_bias(), w, b)
            options = dict(reverse=self.backwards, sequence=sequence)
            return list(R.LSTMSequence.apply(x, h0, c0, *weights, mask, **options))
        return list(lstm_unrolled(self._projections(x), h0, c0, w, b, mask, self.backwards, sequence))

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(_Recurrent):
    r"""Gated recurrent unit, the reset gate applied after the recurrent product (PyTorch's GRU, Keras 3's
    default ``reset_after=True``):

        gx = x_t W_ih + b_ih,   gh = h_{t-1} W_hh + b_hh          (3·units columns each)
        r_t = σ(gx_r + gh_r),   z_t = σ(gx_z + gh_z)               (reset and update gates)
        n_t = tanh(gx_n + r_t ⊙ gh_n)                               (candidate)
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    Both conventions have two biases here; the column order is r, z, n (PyTorch) or z, r, h (Keras).

    ``reset_after=False`` (``convention="keras"`` only: PyTorch has no such GRU) is Keras's older GRU, the
    reset gate applied to h_{t-1} before the candidate's recurrent product, with one bias (3·units,):

        n_t = tanh(gx_n + (r_t ⊙ h_{t-1}) W_hn)                  (``ops.recurrent.GRUResetBeforeSequence``)

    Args:
        reset_after: True (default; Keras 3's default and PyTorch's GRU) or False (see above).
        units, use_bias, return_sequences, return_state, stateful, reverse, go_backwards,
        zero_output_for_mask, convention, fused, kernel_init, recurrent_init, bias_init: see ``LSTM`` and
        the module.

    Shape:
        input (B, T, features) -> (B, units), or (B, T, units) with ``return_sequences``.

    Example:
        >>> import glassnet as gn
        >>> GRU(6, convention="pytorch")(gn.ones(2, 5, 3)).shape
        (2, 6)
    """

    gates = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)
        if not self.reset_after and self.convention != "keras":
            raise ValueError(
                f"GRU '{self.name}': reset_after=False is Keras's older GRU and needs convention='keras' "
                "(PyTorch's GRU applies the reset gate after the recurrent product)"
            )

    def _has_recurrent_bias(self) -> bool:
        return self.reset_after

    def _folds_recurrent_bias(self) -> bool:
        return False  # b_hn sits inside r ⊙ (h W_hn + b_hn): it cannot join b_ih

    def _run(self, x, states, mask, sequence):
        w, b = self.recurrent_kernel, self._recurrent_bias_for_cell()
        order = "rzn" if self.convention == "pytorch" else "zrn"
        if self.fused:
            weights = (self.kernel, self._input_bias(), w, b)
            options = dict(order=order, reverse=self.backwards, sequence=sequence)
            op = R.GRUSequence if self.reset_after else R.GRUResetBeforeSequence
            return [op.apply(x, states[0], *weights, mask, **options)]
        options = dict(reverse=self.backwards, sequence=sequence, reset_after=self.reset_after)
        return [gru_unrolled(self._projections(x), states[0], w, b, mask, order, **options)]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


def _to_numpy(value):
    """A NumPy copy of a PyTorch tensor (without importing torch) or of an array."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.array(value, copy=True)


_TORCH_KINDS = {1: SimpleRNN, 4: LSTM, 3: GRU}


def from_torch_state_dict(
    source,
    state_dict=None,
    nonlinearity: str = "tanh",
    return_sequences: bool = True,
    dtype=None,
    prefix: str = "",
    strict: bool = True,
):
    """PyTorch's weights in glassnet, two ways.

    ``from_torch_state_dict(model, state_dict, prefix="", strict=True)``: copy a PyTorch ``state_dict()``
    into the built glassnet ``model`` of any layer families (``model.load_torch_state_dict``, through the
    layout table ``glassnet.io.layouts``: names, transposes, gate orders); returns the model.

    ``from_torch_state_dict(state_dict)``: a new ``Sequential`` of glassnet layers (``convention="pytorch"``)
    with the weights of a PyTorch ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` (``batch_first=True``), giving the
    same outputs. The kind, the number of layers, the sizes, bias and bidirectionality are read from the
    state dict; a bidirectional layer becomes ``Bidirectional(..., merge_mode="concat")``. The last layer
    returns every step with ``return_sequences=True`` (PyTorch's ``output``), else only the final state.
    ``nonlinearity`` is nn.RNN's ("tanh" or "relu"; the state dict does not say).

    Example:
        >>> import numpy as np
        >>> sd = {"weight_ih_l0": np.zeros((8, 3)), "weight_hh_l0": np.zeros((8, 2))}
        >>> from_torch_state_dict(sd, dtype="float64")(np.ones((1, 4, 3))).shape
        (1, 4, 2)
    """
    if isinstance(source, Module):
        if state_dict is None:
            raise TypeError("from_torch_state_dict(model, state_dict): the state dict is missing")
        source.load_torch_state_dict(state_dict, prefix=prefix, strict=strict)
        return source
    if state_dict is not None:
        raise TypeError(
            f"from_torch_state_dict takes (model, state_dict) or (state_dict); got a {type(source).__name__} "
            "and a second argument"
        )
    state_dict = source
    from glassnet.nn.containers import Sequential  # noqa: PLC0415 - containers imports the layers package
    from glassnet.nn.layers.wrappers import Bidirectional  # noqa: PLC0415 - wrappers imports this module

    layers = sorted({int(k.split("_l")[1].split("_")[0]) for k in state_dict if k.startswith("weight_ih_l")})
    if not layers:
        raise ValueError("from_torch_state_dict: no 'weight_ih_l0' in the state dict of an nn.RNN/LSTM/GRU")
    w_hh = _to_numpy(state_dict["weight_hh_l0"])
    units = w_hh.shape[1]
    kind = _TORCH_KINDS.get(w_hh.shape[0] // units)
    bidirectional = "weight_ih_l0_reverse" in state_dict
    use_bias = "bias_ih_l0" in state_dict
    model, features = [], _to_numpy(state_dict["weight_ih_l0"]).shape[1]
    for number in layers:
        sequences = return_sequences or number < len(layers) - 1
        options = dict(use_bias=use_bias, return_sequences=sequences, convention="pytorch", dtype=dtype)
        if kind is SimpleRNN:
            options["activation"] = nonlinearity
        layer = Bidirectional(kind(units, **options)) if bidirectional else kind(units, **options)
        layer.build((None, None, features))
        parts = [layer.forward_layer, layer.backward_layer] if bidirectional else [layer]
        for reverse, part in zip((False, True), parts):
            part.load_torch_state_dict(state_dict, number, reverse)
        model.append(layer)
        features = units * (2 if bidirectional else 1)
    return Sequential(model)
