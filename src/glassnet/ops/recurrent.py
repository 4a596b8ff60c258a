r"""Recurrent cell steps (SimpleRNN, LSTM, GRU), fused, each with its explicit backward.

Notation: batch-first input x of shape (B, T, F), H units, G gate blocks (1 for SimpleRNN, 4 for LSTM, 3 for
GRU). The whole-sequence ops (``LSTMSequence``, ...) take x and the weights, as PyTorch's fused RNN ops do,
and compute the input projections of all time steps with ONE batched product,

    P_t = [W_ih; b_ih]^T [x_t; 1]        (G·H, B) for every t at once: P has shape (T, G·H, B),

the bias being the weight of a constant input 1 (as the notes' perceptron keeps its threshold w_0 with
x_0 = 1), so that dL/db_ih comes out of the same product as dL/dW_ih. Each step then adds the recurrent part
z_t = P_t + W_hh^T h_{t-1} (+ b_hh) and applies the cell.

Layout: inside the ops everything is feature-major, states h_t as (H, B) columns: a step's pre-activations
are one contiguous (G·H, B) block whose gates are contiguous (H, B) slabs, so that every element-wise pass
over a gate runs over one unbroken stretch of memory (batch-major rows (B, G·H) would cut each gate into B
pieces), and the recurrent product W_hh^T h_{t-1} is a (G·H, H) x (H, B) GEMM. Inputs and outputs stay
batch-first.

The derivative of each cell lives in one function, ``*_step_backward``, used both by the one-step op
(``LSTMCell``, ...) and by the whole-sequence op, whose backward is backpropagation through time:

    dL/dh_{t-1} = W_hh dL/dz_t + (what h_{t-1} gave the output directly)
    dL/dW_hh = Σ_t h_{t-1} dL/dz_t^T,   dL/d[W_ih; b_ih] = Σ_t [x_t; 1] dL/dz_t^T   (sums over steps)

Masks (B, T) of booleans: where m_t is False the step is skipped: the state is carried over unchanged,
s_t = m_t · cell(s_{t-1}, x_t) + (1 - m_t) · s_{t-1}. The sequence ops return the state at every step (or
only the final one with ``sequence=False``); zeroing the outputs of padded steps is the layer's business.

``reverse=True`` runs time from the last step to the first; outputs stay aligned with the input's steps
(output t is the state after reading x_t, ..., x_{T-1}), as the backward half of PyTorch's
bidirectional layers.

The same computations written with primitive ops (``lstm_unrolled``, ...) give identical values and
gradients through plain autograd; they are what the explain layer shows step by step.
"""

from __future__ import annotations

from glassnet.autograd.function import Function
from glassnet.backend import errstate, get_array_module
from glassnet.ops import activation, arithmetic, linalg, shape
from glassnet.ops.activation import sigmoid_

__all__ = [
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "RNNSequence",
    "LSTMSequence",
    "GRUSequence",
    "rnn_step",
    "rnn_step_backward",
    "lstm_step",
    "lstm_step_backward",
    "lstm_gate_scales",
    "gru_step",
    "gru_step_backward",
    "rnn_unrolled",
    "lstm_unrolled",
    "gru_unrolled",
    "GRU_GATE_ORDERS",
]

# Where the reset (r) and update (z) blocks sit in a GRU's 3H rows; the candidate n is always last.
GRU_GATE_ORDERS = {"rzn": (0, 1), "zrn": (1, 0)}  # PyTorch: r, z, n; Keras 3: z, r, h


def _block(a, k: int, units: int):
    """Gate block k of a feature-major (G·H, B) array: the contiguous rows k·H .. (k+1)·H."""
    return a[k * units : (k + 1) * units]


# --- SimpleRNN ------------------------------------------------------------------------------------------
def rnn_step(z, out, activation_name: str):
    """h_t = f(z_t), z_t = P_t + W_hh^T h_{t-1} (+ b_hh), for f = tanh or relu; writes h_t into ``out``."""
    xp = get_array_module(z)
    if activation_name == "tanh":
        return xp.tanh(z, out=out)
    return xp.maximum(z, 0, out=out)


def rnn_step_backward(dh, h, activation_name: str, dz_out):
    """dL/dz_t = dL/dh_t ⊙ f'(z_t), with f' = 1 - h_t² (tanh) or [h_t > 0] (relu); into ``dz_out``."""
    xp = get_array_module(dh)
    if activation_name == "tanh":
        xp.multiply(h, h, out=dz_out)
        xp.subtract(1, dz_out, out=dz_out)
        dz_out *= dh
    else:
        xp.multiply(dh, h > 0, out=dz_out)
    return dz_out


# --- LSTM ---------------------------------------------------------------------------------------------
def lstm_gate_scales(units: int, dtype, xp):
    """Column constants (4H, 1) that give all four gate derivatives from the activated gates a in three
    passes: with s = (1/2, 1/2, 1, 1/2) and b = (1/2, 1/2, 0, 1/2) per block (gate order i, f, g, o),
    s² - (a - b)² is a(1 - a) for the sigmoid gates and 1 - g² for the candidate."""
    s = xp.full((4 * units, 1), 0.5, dtype=dtype)
    s[2 * units : 3 * units] = 1.0
    b = xp.full((4 * units, 1), 0.5, dtype=dtype)
    b[2 * units : 3 * units] = 0.0
    return s, b, s * s


def lstm_step(z, c_prev, c_out, tanh_c_out, h_out):
    """One LSTM step from feature-major pre-activations ``z`` (4H, B) in gate order i, f, g, o; ``z`` is
    overwritten with the activated gates, and c_t, tanh(c_t), h_t (H, B) are written into the ``*_out``
    buffers:

        i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
        c_t = f ⊙ c_{t-1} + i ⊙ g,    h_t = o ⊙ tanh(c_t)

    σ is ``sigmoid_`` (run it under ``errstate(xp, over="ignore")``).
    """
    xp = get_array_module(z)
    units = c_prev.shape[0]
    sigmoid_(z[: 2 * units])  # i and f: one contiguous stretch
    sigmoid_(_block(z, 3, units))
    g = _block(z, 2, units)
    xp.tanh(g, out=g)
    xp.multiply(_block(z, 1, units), c_prev, out=c_out)
    xp.multiply(_block(z, 0, units), g, out=h_out)  # h_out as scratch for i ⊙ g
    c_out += h_out
    xp.tanh(c_out, out=tanh_c_out)
    xp.multiply(_block(z, 3, units), tanh_c_out, out=h_out)


def lstm_step_backward(dh, dc, gates, c_prev, tanh_c, dz_out, scratch, scales):
    """The LSTM step's derivative, feature-major. Given dL/dh_t (``dh``, (H, B)) and the gradient reaching
    c_t from later steps (``dc``), writes dL/dz_t (4H, B) into ``dz_out`` and returns dL/dc_{t-1}, written
    into ``dc``:

        dc_t     = dc + dh ⊙ o ⊙ (1 - tanh²(c_t))
        dz_i     = dc_t ⊙ g ⊙ i (1 - i)
        dz_f     = dc_t ⊙ c_{t-1} ⊙ f (1 - f)
        dz_g     = dc_t ⊙ i ⊙ (1 - g²)
        dz_o     = dh ⊙ tanh(c_t) ⊙ o (1 - o)
        dc_{t-1} = dc_t ⊙ f

    ``scratch`` is (4H, B) working space; the gate derivatives come as s² - (a - b)² in three passes
    (``lstm_gate_scales``).
    """
    xp = get_array_module(dh)
    units = c_prev.shape[0]
    s, b, s2 = scales
    i, f, g, o = (_block(gates, k, units) for k in range(4))
    # dc_t = dc + dh ⊙ o ⊙ (1 - tanh²(c_t))
    small = scratch[:units]
    xp.multiply(tanh_c, tanh_c, out=small)
    xp.subtract(1, small, out=small)
    small *= o
    small *= dh
    dc += small
    # the gradients reaching each gate's output
    xp.multiply(dc, g, out=_block(dz_out, 0, units))
    xp.multiply(dc, c_prev, out=_block(dz_out, 1, units))
    xp.multiply(dc, i, out=_block(dz_out, 2, units))
    xp.multiply(dh, tanh_c, out=_block(dz_out, 3, units))
    # times each gate's derivative, s² - (a - b)²
    xp.subtract(gates, b, out=scratch)
    scratch *= scratch
    xp.subtract(s2, scratch, out=scratch)
    dz_out *= scratch
    # dc_{t-1} = dc_t ⊙ f
    dc *= f
    return dc


# --- GRU ------------------------------------------------------------------------------------------------
def gru_step(gates, gh, h_prev, h_out, order: str):
    """One GRU step, feature-major (the reset gate applied after the recurrent product: PyTorch's GRU,
    Keras 3's ``reset_after=True``). ``gates`` holds P_t = W_ih^T x_t + b_ih (3H, B) and is overwritten with
    r, z, n (in the layout of ``order``); ``gh`` = W_hh^T h_{t-1} + b_hh (3H, B) is overwritten; h_t goes
    into ``h_out``:

        r = σ(P_r + gh_r),  z = σ(P_z + gh_z),  n = tanh(P_n + r ⊙ gh_n)
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    σ is ``sigmoid_`` (run it under ``errstate(xp, over="ignore")``).
    """
    xp = get_array_module(gates)
    units = h_prev.shape[0]
    two = 2 * units
    gates[:two] += gh[:two]
    sigmoid_(gates[:two])
    r_block, z_block = GRU_GATE_ORDERS[order]
    r, z = _block(gates, r_block, units), _block(gates, z_block, units)
    n = gates[two:]
    gh_n = gh[two:]
    gh_n *= r
    n += gh_n
    xp.tanh(n, out=n)
    xp.subtract(h_prev, n, out=h_out)  # h_t = n + z ⊙ (h_{t-1} - n)
    h_out *= z
    h_out += n


def gru_step_backward(dh, gates, gh_n, h_prev, dgx_out, dgh_out, order: str, scratch):
    """The GRU step's derivative, feature-major. Given dL/dh_t (``dh``, (H, B)), writes dL/dP_t (3H, B) into
    ``dgx_out`` and dL/d gh into ``dgh_out``; returns the direct part of dL/dh_{t-1}, dh ⊙ z, written into
    ``dh`` (the caller adds W_hh dgh):

        dn_pre = dh ⊙ (1 - z) ⊙ (1 - n²)            (P_n's gradient; gh_n's is dn_pre ⊙ r)
        dz_pre = dh ⊙ (h_{t-1} - n) ⊙ z (1 - z)
        dr_pre = dn_pre ⊙ gh_n ⊙ r (1 - r)

    ``gh_n`` = W_hn^T h_{t-1} + b_hn, as it was before the reset gate scaled it.
    """
    xp = get_array_module(dh)
    units = h_prev.shape[0]
    r_block, z_block = GRU_GATE_ORDERS[order]
    r, z = _block(gates, r_block, units), _block(gates, z_block, units)
    n = gates[2 * units :]
    dr, dz = _block(dgx_out, r_block, units), _block(dgx_out, z_block, units)
    dn = dgx_out[2 * units :]
    # dn_pre = dh ⊙ (1 - z) ⊙ (1 - n²)
    xp.multiply(n, n, out=scratch)
    xp.subtract(1, scratch, out=scratch)
    xp.subtract(1, z, out=dn)
    dn *= scratch
    dn *= dh
    # dz_pre = dh ⊙ (h_{t-1} - n) ⊙ z(1 - z)
    xp.subtract(1, z, out=scratch)
    scratch *= z
    xp.subtract(h_prev, n, out=dz)
    dz *= scratch
    dz *= dh
    # dr_pre = dn_pre ⊙ gh_n ⊙ r(1 - r)
    xp.subtract(1, r, out=scratch)
    scratch *= r
    scratch *= gh_n
    xp.multiply(dn, scratch, out=dr)
    # gh's gradient: the same for r and z, dn_pre ⊙ r for n
    dgh_out[: 2 * units] = dgx_out[: 2 * units]
    xp.multiply(dn, r, out=dgh_out[2 * units :])
    dh *= z
    return dh


# --- one step as an op ----------------------------------------------------------------------------------
def _pre_activations(x_proj, h_prev, w_hh, b_hh):
    """z^T = (P_t + h_{t-1} W_hh + b_hh)^T, feature-major (G·H, B) and contiguous, for the one-step ops
    (without P_t where ``x_proj`` is None)."""
    xp = get_array_module(h_prev)
    z = h_prev @ w_hh
    if x_proj is not None:
        z += x_proj
    if b_hh is not None:
        z += b_hh
    return xp.ascontiguousarray(z.T)


class RNNCell(Function):
    """One SimpleRNN step: h_t = f(P_t + h_{t-1} W_hh + b_hh), f = tanh or relu.

    dL/dP_t = dL/dz = dL/dh_t ⊙ f'(z),  dL/dh_{t-1} = dL/dz W_hh^T,  dL/dW_hh = h_{t-1}^T dL/dz,
    dL/db_hh = Σ_rows dL/dz.

    Shape: P_t (B, H), h_{t-1} (B, H), W_hh (H, H), b_hh (H,) or None -> h_t (B, H).
    """

    name = "rnn_cell"
    formula = "h_t = f(P_t + h_{t-1} W_hh + b_hh)"
    derivative = "dL/dz = dL/dh_t ⊙ f'(z); dL/dh_{t-1} = dL/dz W_hh^T; dL/dW_hh = h_{t-1}^T dL/dz"

    def forward(self, x_proj, h_prev, w_hh, b_hh):
        z = _pre_activations(x_proj, h_prev, w_hh, b_hh)
        h = rnn_step(z, z, self.params["activation"])
        self.saved.update(h=h, h_prev=h_prev, w_hh=w_hh)
        return h.T

    def backward(self, grad):
        h, h_prev, w_hh = self.saved["h"], self.saved["h_prev"], self.saved["w_hh"]
        xp = get_array_module(grad)
        dz = rnn_step_backward(xp.ascontiguousarray(grad.T), h, self.params["activation"], xp.empty_like(h))
        return _step_grads(self, dz, dz, h_prev, w_hh)


class LSTMCell(Function):
    """One LSTM step (gate order i, f, g, o), output [h_t, c_t] joined on the last axis:

        z = P_t + h_{t-1} W_hh + b_hh;  i, f, o = σ(z_i), σ(z_f), σ(z_o);  g = tanh(z_g)
        c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)

    The derivative is ``lstm_step_backward`` (see there), then dL/dh_{t-1} = dL/dz W_hh^T,
    dL/dW_hh = h_{t-1}^T dL/dz, dL/db_hh = Σ_rows dL/dz.

    Shape: P_t (B, 4H), h_{t-1} (B, H), c_{t-1} (B, H), W_hh (H, 4H), b_hh (4H,) or None -> (B, 2H).
    """

    name = "lstm_cell"
    formula = "c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)"
    derivative = (
        "dc_t = dc + dh ⊙ o ⊙ (1 - tanh²c_t); dz_o = dh ⊙ tanh c_t ⊙ o(1-o); dz_i = dc_t ⊙ g ⊙ i(1-i); "
        "dz_f = dc_t ⊙ c_{t-1} ⊙ f(1-f); dz_g = dc_t ⊙ i ⊙ (1-g²); dc_{t-1} = dc_t ⊙ f"
    )

    def forward(self, x_proj, h_prev, c_prev, w_hh, b_hh):
        xp = get_array_module(x_proj)
        units = h_prev.shape[-1]
        z = _pre_activations(x_proj, h_prev, w_hh, b_hh)
        c_prev_t = xp.ascontiguousarray(c_prev.T, dtype=z.dtype)
        out = xp.empty((2 * units, h_prev.shape[0]), dtype=z.dtype)  # [h; c] feature-major
        tanh_c = xp.empty_like(c_prev_t)
        with errstate(xp, over="ignore"):
            lstm_step(z, c_prev_t, out[units:], tanh_c, out[:units])
        self.saved.update(gates=z, c_prev=c_prev_t, tanh_c=tanh_c, h_prev=h_prev, w_hh=w_hh)
        return out.T

    def backward(self, grad):
        s = self.saved
        units = s["h_prev"].shape[-1]
        xp = get_array_module(grad)
        grad_t = xp.array(grad.T, order="C")  # a copy: dL/dc is updated in place
        dz = xp.empty_like(s["gates"])
        dc = grad_t[units:]
        scales = lstm_gate_scales(units, dz.dtype, xp)
        dc_prev = lstm_step_backward(
            grad_t[:units], dc, s["gates"], s["c_prev"], s["tanh_c"], dz, xp.empty_like(dz), scales
        )
        grad_x, grad_h, grad_w, grad_b = _step_grads(self, dz, dz, s["h_prev"], s["w_hh"])
        return grad_x, grad_h, dc_prev.T if self.needs_input_grad[2] else None, grad_w, grad_b


class GRUCell(Function):
    """One GRU step, the reset gate applied after the recurrent product (PyTorch; Keras ``reset_after``):

        gh = h_{t-1} W_hh + b_hh;  r = σ(P_r + gh_r);  z = σ(P_z + gh_z);  n = tanh(P_n + r ⊙ gh_n)
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    ``order`` is the layout of the 3H columns: "rzn" (PyTorch) or "zrn" (Keras 3). The derivative is
    ``gru_step_backward``, then dL/dh_{t-1} = dh ⊙ z + dL/dgh W_hh^T, dL/dW_hh = h_{t-1}^T dL/dgh.

    Shape: P_t (B, 3H), h_{t-1} (B, H), W_hh (H, 3H), b_hh (3H,) or None -> h_t (B, H).
    """

    name = "gru_cell"
    formula = "h_t = (1 - z) ⊙ n + z ⊙ h_{t-1},  n = tanh(P_n + r ⊙ (h_{t-1} W_hn + b_hn))"
    derivative = (
        "dn_pre = dh ⊙ (1-z) ⊙ (1-n²); dz_pre = dh ⊙ (h_{t-1} - n) ⊙ z(1-z); "
        "dr_pre = dn_pre ⊙ gh_n ⊙ r(1-r); dL/dh_{t-1} = dh ⊙ z + dgh W_hh^T"
    )

    def forward(self, x_proj, h_prev, w_hh, b_hh):
        xp = get_array_module(x_proj)
        units = h_prev.shape[-1]
        gh = _pre_activations(None, h_prev, w_hh, b_hh)
        gh_n = gh[2 * units :].copy()
        gates = xp.array(x_proj.T, dtype=gh.dtype, order="C")
        h_prev_t = xp.ascontiguousarray(h_prev.T)
        h = xp.empty_like(h_prev_t)
        with errstate(xp, over="ignore"):
            gru_step(gates, gh, h_prev_t, h, self.params["order"])
        self.saved.update(gates=gates, gh_n=gh_n, h_prev=h_prev, w_hh=w_hh)
        return h.T

    def backward(self, grad):
        s = self.saved
        xp = get_array_module(grad)
        dgx, dgh = xp.empty_like(s["gates"]), xp.empty_like(s["gates"])
        dh = xp.array(grad.T, order="C")  # a copy: updated in place
        h_prev_t = xp.ascontiguousarray(s["h_prev"].T)
        gru_step_backward(
            dh, s["gates"], s["gh_n"], h_prev_t, dgx, dgh, self.params["order"], xp.empty_like(dh)
        )
        grad_x, grad_h, grad_w, grad_b = _step_grads(self, dgx, dgh, s["h_prev"], s["w_hh"])
        if grad_h is not None:
            grad_h += dh.T
        return grad_x, grad_h, grad_w, grad_b


def _step_grads(fn, dgx, dgh, h_prev, w_hh):
    """The gradients every cell step shares, from feature-major dL/dP_t (``dgx``) and dL/dgh (``dgh``):
    P_t's, h_{t-1}'s (through W_hh), W_hh's and b_hh's, batch-first."""
    needs = fn.needs_input_grad
    last = len(needs) - 1
    grad_x = dgx.T.copy() if needs[0] else None
    grad_h = (w_hh @ dgh).T if needs[1] else None
    grad_w = h_prev.T @ dgh.T if needs[last - 1] else None
    grad_b = dgh.sum(axis=1) if needs[last] else None
    return grad_x, grad_h, grad_w, grad_b


# --- a whole sequence as one op -------------------------------------------------------------------------
class _Sequence:
    """What the sequence ops share (a mixin): the stacked columns [x_t; 1; h_{t-1}] and the gradients of
    the weights from them, processing order, masks, outputs.

    Everything inside is in processing order k = 0 .. T-1 (time t = k, or T-1-k with ``reverse``):
    ``cols[k]`` (F + 1 + H, B) holds the inputs of step k, x_t (F rows), a row of ones (the bias's input,
    where there is a bias) and the state h_k the step reads (H rows); the step writes its new state into
    ``cols[k + 1]``'s state rows, so ``cols[:, F + 1:]`` is the sequence of states h_0 .. h_T.
    """

    @staticmethod
    def _columns(x, h0, with_bias: bool, reverse: bool):
        """cols (T + 1, F(+1) + H, B) with the inputs and the ones filled in, h_0 in place, and its offset."""
        xp = get_array_module(x)
        batch, steps, features = x.shape
        offset = features + int(with_bias)
        cols = xp.empty((steps + 1, offset + h0.shape[-1], batch), dtype=x.dtype)
        inputs = x.transpose(1, 2, 0)  # (T, F, B)
        cols[:steps, :features] = inputs[::-1] if reverse else inputs
        if with_bias:
            cols[:steps, features] = 1
        cols[steps, :offset] = 0  # the block after the last step holds only the final state
        cols[0, offset:] = h0.T
        return cols, offset

    @staticmethod
    def _stacked_kernel_t(w_ih, b_ih, w_hh=None):
        """[W_ih; b_ih; W_hh]^T (G·H, F(+1)(+H)), contiguous: one product with a step's columns gives
        z_t = W_ih^T x_t + b_ih + W_hh^T h_{t-1}."""
        xp = get_array_module(w_ih)
        blocks = [w_ih] + ([] if b_ih is None else [b_ih[None, :]]) + ([] if w_hh is None else [w_hh])
        return xp.ascontiguousarray(xp.concatenate(blocks, axis=0).T)

    @staticmethod
    def _pre_activation(kernel, cols, k, offset, h0_is_zero: bool, bias, out):
        """z_k = [W_ih; b_ih; W_hh]^T cols[k] (+ b_hh) into ``out``: one GEMM; at the first step from a zero
        h_0 only the input rows, as W_hh^T h_0 adds nothing."""
        xp = get_array_module(cols)
        if k == 0 and h0_is_zero:
            xp.matmul(kernel[:, :offset], cols[0, :offset], out=out)
        else:
            xp.matmul(kernel, cols[k], out=out)
        if bias is not None:
            out += bias
        return out

    def _weight_grads(self, cols, offset, features, dgx, dgh=None):
        """dL/dW_ih, dL/db_ih (None without a bias row), dL/dW_hh as sums over steps (BPTT), from the
        columns and the feature-major dL/dz (T, G·H, B) of the input part (``dgx``) and of the recurrent
        part (``dgh``; None where z_t adds the two, as in SimpleRNN and LSTM: then they are ``dgx``):

            dL/d[W_ih; b_ih; W_hh] = Σ_t [x_t; 1; h_{t-1}] dL/dz_t^T
        """
        xp = get_array_module(dgx)
        steps = dgx.shape[0]
        if dgh is None:
            stacked = _sum_of_products(((cols[k], dgx[k]) for k in range(steps)), xp)
            inputs, recurrent = stacked[:offset], stacked[offset:]
        else:
            inputs = _sum_of_products(((cols[k, :offset], dgx[k]) for k in range(steps)), xp)
            recurrent = _sum_of_products(((cols[k, offset:], dgh[k]) for k in range(steps)), xp)
        return inputs[:features], (inputs[features] if offset > features else None), recurrent

    def _grads(self, cols, offset, dgx, dgh, dh0, w_ih, first: int):
        """The gradients of x, h_0 and the four weights in the op's order (x, h_0, [c_0,] W_ih, b_ih, W_hh,
        b_hh), ``first`` being W_ih's position; dL/dx_t = W_ih dL/dz_t."""
        needs = self.needs_input_grad
        xp = get_array_module(dgx)
        grad_x = None
        if needs[0]:
            per_step = xp.matmul(w_ih, dgx)  # (T, F, B) in processing order
            grad_x = xp.ascontiguousarray(self._in_time_order(per_step).transpose(2, 0, 1))
        grad_h0 = xp.ascontiguousarray(dh0.T) if needs[1] else None
        grad_w_ih = grad_b_ih = grad_w_hh = grad_b_hh = None
        if any(needs[first : first + 3]):
            weights = self._weight_grads(cols, offset, w_ih.shape[0], dgx, dgh)
            grad_w_ih, grad_b_ih, grad_w_hh = (g if need else None for g, need in zip(weights, needs[first:]))
        if needs[first + 3]:
            grad_b_hh = (dgx if dgh is None else dgh).sum(axis=(0, 2))
        return grad_x, grad_h0, grad_w_ih, grad_b_ih, grad_w_hh, grad_b_hh

    # --- time ---
    def _times(self, steps: int):
        """The time index of each step in processing order."""
        return range(steps - 1, -1, -1) if self.params["reverse"] else range(steps)

    def _time(self, k: int, steps: int) -> int:
        """The time index of the k-th processed step."""
        return steps - 1 - k if self.params["reverse"] else k

    def _in_time_order(self, per_step):
        """(T, ...) in processing order -> time order (a view)."""
        return per_step[::-1] if self.params["reverse"] else per_step

    @staticmethod
    def _keep(mask, t):
        """(1, B) booleans of the columns that read step t, or None when all do."""
        if mask is None:
            return None
        column = mask[:, t]
        return None if column.all() else column[None, :]

    # --- outputs ---
    def _output(self, states, xp):
        """States (T+1, K, B) in processing order -> (B, T, K) in time order, or the final state (B, K)."""
        if not self.params["sequence"]:
            return xp.ascontiguousarray(states[-1].T)
        return xp.ascontiguousarray(self._in_time_order(states[1:]).transpose(2, 0, 1))

    def _upstream(self, grad):
        """A feature-major copy of the output gradient (the backward loops update it in place): (T, K, B)
        in processing order for a sequence, else (K, B)."""
        xp = get_array_module(grad)
        if not self.params["sequence"]:
            return xp.array(grad.T, order="C")
        return xp.array(self._in_time_order(grad.transpose(1, 2, 0)), order="C")


def _sum_of_products(pairs, xp):
    """Σ a b^T over the (a, b) pairs, a (M, B) and b (N, B): one (M, B) x (B, N) product a step, summed
    (the gradient of a weight used at every step: BPTT's sum over time)."""
    total = product = None
    for a, b in pairs:
        if total is None:
            total = a @ b.T
            product = xp.empty_like(total)
        else:
            xp.matmul(a, b.T, out=product)
            total += product
    return total


class RNNSequence(_Sequence, Function):
    """SimpleRNN over a whole sequence: h_t = f(W_ih^T x_t + b_ih + W_hh^T h_{t-1} + b_hh), t = 1..T, with
    backpropagation through time as its backward.

    Inputs: x (B, T, F), h_0 (B, H), W_ih (F, H), b_ih (H,) or None, W_hh (H, H), b_hh (H,) or None, mask
    (B, T) booleans or None. Params: ``activation`` ("tanh" or "relu"), ``reverse``, ``sequence`` (return
    every state (B, T, H), or the final one (B, H)).
    """

    name = "rnn_sequence"
    formula = "h_t = f(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)"
    derivative = "dL/dz_t = (dL/dh_t + W_hh dL/dz_{t+1}) ⊙ f'(z_t); dL/dW_hh = Σ_t h_{t-1} dL/dz_t^T"

    def forward(self, x, h0, w_ih, b_ih, w_hh, b_hh, mask):
        xp = get_array_module(x)
        act = self.params["activation"]
        cols, offset = self._columns(x, h0, b_ih is not None, self.params["reverse"])
        states = cols[:, offset:]  # h_0 .. h_T, each (H, B)
        kernel = self._stacked_kernel_t(w_ih, b_ih, w_hh)
        h0_is_zero = not h0.any()
        bias = None if b_hh is None else b_hh[:, None]
        for k, t in enumerate(self._times(x.shape[1])):
            z = self._pre_activation(kernel, cols, k, offset, h0_is_zero, bias, out=states[k + 1])
            rnn_step(z, z, act)
            keep = self._keep(mask, t)
            if keep is not None:
                xp.copyto(states[k + 1], states[k], where=~keep)
        self.saved.update(cols=cols, offset=offset, w_ih=w_ih, w_hh=w_hh, mask=mask)
        return self._output(states, xp)

    def backward(self, grad):
        s = self.saved
        cols, offset, w_hh, mask = s["cols"], s["offset"], s["w_hh"], s["mask"]
        states = cols[:, offset:]
        xp = get_array_module(grad)
        steps = states.shape[0] - 1
        sequence, act, need_h0 = self.params["sequence"], self.params["activation"], self.needs_input_grad[1]
        upstream = self._upstream(grad)
        dz_all = xp.empty((steps,) + states.shape[1:], dtype=states.dtype)
        dh = xp.zeros_like(states[0]) if sequence else upstream
        for k in range(steps - 1, -1, -1):
            if sequence:
                dh += upstream[k]
            keep = self._keep(mask, self._time(k, steps))
            carried = None
            if keep is not None:
                carried = dh * ~keep
                dh *= keep
            rnn_step_backward(dh, states[k + 1], act, dz_all[k])
            if k > 0 or need_h0:
                xp.matmul(w_hh, dz_all[k], out=dh)
                if carried is not None:
                    dh += carried
        return (*self._grads(cols, offset, dz_all, None, dh, s["w_ih"], 2), None)  # the mask: a constant


class LSTMSequence(_Sequence, Function):
    """LSTM over a whole sequence (gate order i, f, g, o), backward by BPTT through ``lstm_step_backward``.

    Inputs: x (B, T, F), h_0, c_0 (B, H), W_ih (F, 4H), b_ih (4H,) or None, W_hh (H, 4H), b_hh (4H,) or
    None, mask (B, T) or None. Params: ``reverse``, ``sequence``, ``with_cell``: the output holds h
    (K = H), or [h, c] (K = 2H), at every step (B, T, K) or at the end (B, K).
    """

    name = "lstm_sequence"
    formula = "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t;  h_t = o_t ⊙ tanh(c_t)"
    derivative = "lstm_step_backward at each t, from T down to 1; dL/dW_hh = Σ_t h_{t-1} dL/dz_t^T"

    def forward(self, x, h0, c0, w_ih, b_ih, w_hh, b_hh, mask):
        xp = get_array_module(x)
        batch, steps, _ = x.shape
        units = h0.shape[-1]
        cols, offset = self._columns(x, h0, b_ih is not None, self.params["reverse"])
        hs = cols[:, offset:]  # h_0 .. h_T, each (H, B)
        kernel = self._stacked_kernel_t(w_ih, b_ih, w_hh)
        gates = xp.empty((steps, 4 * units, batch), dtype=cols.dtype)  # z_t, then the activated gates
        cs = xp.empty((steps + 1, units, batch), dtype=cols.dtype)
        tanh_c = xp.empty((steps, units, batch), dtype=cols.dtype)
        cs[0] = c0.T
        h0_is_zero = not h0.any()
        bias = None if b_hh is None else b_hh[:, None]
        with errstate(xp, over="ignore"):
            for k, t in enumerate(self._times(steps)):
                z = self._pre_activation(kernel, cols, k, offset, h0_is_zero, bias, out=gates[k])
                lstm_step(z, cs[k], cs[k + 1], tanh_c[k], hs[k + 1])
                keep = self._keep(mask, t)
                if keep is not None:
                    xp.copyto(hs[k + 1], hs[k], where=~keep)
                    xp.copyto(cs[k + 1], cs[k], where=~keep)
        self.saved.update(
            cols=cols, offset=offset, gates=gates, cs=cs, tanh_c=tanh_c, w_ih=w_ih, w_hh=w_hh, mask=mask
        )
        if self.params["with_cell"]:
            return self._output(xp.concatenate([hs, cs], axis=1), xp)
        return self._output(hs, xp)

    def backward(self, grad):
        s = self.saved
        cols, offset, gates, cs, tanh_c = s["cols"], s["offset"], s["gates"], s["cs"], s["tanh_c"]
        w_hh, mask = s["w_hh"], s["mask"]
        xp = get_array_module(grad)
        steps, units, batch = tanh_c.shape
        with_cell, sequence, need_h0 = (
            self.params["with_cell"],
            self.params["sequence"],
            self.needs_input_grad[1],
        )
        upstream = self._upstream(grad)
        dz_all = xp.empty_like(gates)
        dh = xp.zeros((units, batch), dtype=gates.dtype)
        dc = xp.zeros((units, batch), dtype=gates.dtype)
        scratch = xp.empty((4 * units, batch), dtype=gates.dtype)
        scales = lstm_gate_scales(units, gates.dtype, xp)
        if not sequence:
            dh += upstream[:units]
            if with_cell:
                dc += upstream[units:]
        for k in range(steps - 1, -1, -1):
            if sequence:
                dh += upstream[k, :units]
                if with_cell:
                    dc += upstream[k, units:]
            keep = self._keep(mask, self._time(k, steps))
            carried = None
            if keep is not None:
                carried = (dh * ~keep, dc * ~keep)
                dh *= keep
                dc *= keep
            lstm_step_backward(dh, dc, gates[k], cs[k], tanh_c[k], dz_all[k], scratch, scales)
            if carried is not None:
                dc += carried[1]
            if k > 0 or need_h0:
                xp.matmul(w_hh, dz_all[k], out=dh)
                if carried is not None:
                    dh += carried[0]
        grad_x, grad_h0, *weights = self._grads(cols, offset, dz_all, None, dh, s["w_ih"], 3)
        grad_c0 = xp.ascontiguousarray(dc.T) if self.needs_input_grad[2] else None
        return grad_x, grad_h0, grad_c0, *weights, None


class GRUSequence(_Sequence, Function):
    """GRU over a whole sequence (reset gate after the recurrent product), backward by BPTT through
    ``gru_step_backward``.

    Inputs: x (B, T, F), h_0 (B, H), W_ih (F, 3H), b_ih (3H,) or None, W_hh (H, 3H), b_hh (3H,) or None,
    mask (B, T) or None. Params: ``order`` ("rzn" PyTorch, "zrn" Keras), ``reverse``, ``sequence``.
    The input part P_t = W_ih^T x_t + b_ih of every step is one batched product before the loop (the
    reset gate keeps it apart from the recurrent part).
    """

    name = "gru_sequence"
    formula = "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}"
    derivative = "gru_step_backward at each t, from T down to 1; dL/dW_hh = Σ_t h_{t-1} dL/dgh_t^T"

    def forward(self, x, h0, w_ih, b_ih, w_hh, b_hh, mask):
        xp = get_array_module(x)
        order = self.params["order"]
        steps = x.shape[1]
        cols, offset = self._columns(x, h0, b_ih is not None, self.params["reverse"])
        hs = cols[:, offset:]  # h_0 .. h_T, each (H, B)
        gates = xp.matmul(self._stacked_kernel_t(w_ih, b_ih), cols[:steps, :offset])  # P, then r, z, n
        width, batch = gates.shape[1:]
        units = width // 3
        gh_n = xp.empty((steps, units, batch), dtype=gates.dtype)
        gh = xp.empty((width, batch), dtype=gates.dtype)
        h0_is_zero = not h0.any()
        w_t = xp.ascontiguousarray(w_hh.T)
        bias = None if b_hh is None else b_hh[:, None]
        with errstate(xp, over="ignore"):
            for k, t in enumerate(self._times(steps)):
                if k == 0 and h0_is_zero:
                    gh.fill(0)
                else:
                    xp.matmul(w_t, hs[k], out=gh)
                if bias is not None:
                    gh += bias
                gh_n[k] = gh[2 * units :]
                gru_step(gates[k], gh, hs[k], hs[k + 1], order)
                keep = self._keep(mask, t)
                if keep is not None:
                    xp.copyto(hs[k + 1], hs[k], where=~keep)
        self.saved.update(cols=cols, offset=offset, gates=gates, gh_n=gh_n, w_ih=w_ih, w_hh=w_hh, mask=mask)
        return self._output(hs, xp)

    def backward(self, grad):
        s = self.saved
        cols, offset, gates, gh_n, w_hh, mask = (
            s["cols"],
            s["offset"],
            s["gates"],
            s["gh_n"],
            s["w_hh"],
            s["mask"],
        )
        hs = cols[:, offset:]
        xp = get_array_module(grad)
        steps = gh_n.shape[0]
        order, sequence, need_h0 = self.params["order"], self.params["sequence"], self.needs_input_grad[1]
        upstream = self._upstream(grad)
        dgx_all, dgh_all = xp.empty_like(gates), xp.empty_like(gates)
        dh = xp.zeros_like(hs[0]) if sequence else upstream
        scratch = xp.empty_like(hs[0])
        recurrent = xp.empty_like(hs[0])
        for k in range(steps - 1, -1, -1):
            if sequence:
                dh += upstream[k]
            keep = self._keep(mask, self._time(k, steps))
            carried = None
            if keep is not None:
                carried = dh * ~keep
                dh *= keep
            gru_step_backward(dh, gates[k], gh_n[k], hs[k], dgx_all[k], dgh_all[k], order, scratch)
            if k > 0 or need_h0:
                xp.matmul(w_hh, dgh_all[k], out=recurrent)
                dh += recurrent
                if carried is not None:
                    dh += carried
        return (*self._grads(cols, offset, dgx_all, dgh_all, dh, s["w_ih"], 2), None)


# --- the same, unrolled into primitive ops (plain autograd; what the explain layer shows) ---------------
def _mask_column(mask, t, like):
    """The mask of step t as a (B, 1) float constant of ``like``'s dtype, or None when every row reads it."""
    if mask is None or mask[:, t].all():
        return None
    return mask[:, t][:, None].astype(like.dtype)


def _blend(new, old, keep):
    """m ⊙ new + (1 - m) ⊙ old: the state moves on where the step is real and stays where it is padding."""
    if keep is None:
        return new
    return arithmetic.add(arithmetic.mul(new, keep), arithmetic.mul(old, 1 - keep))


def _unrolled_output(states, reverse: bool, sequence: bool):
    if not sequence:
        return states[-1]
    ordered = states[::-1] if reverse else states
    return shape.stack(ordered, axis=1)


def _recurrent(h, w_hh, b_hh, x_t):
    z = arithmetic.add(linalg.matmul(h, w_hh), x_t)
    return z if b_hh is None else arithmetic.add(z, b_hh)


def rnn_unrolled(x_proj, h0, w_hh, b_hh=None, mask=None, activation="tanh", reverse=False, sequence=True):
    """``RNNSequence`` written with matmul, add, tanh/relu (and mul for masks): one node per operation."""
    steps = x_proj.shape[0]
    f = activation_fn(activation)
    h, states = h0, []
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        new = f(_recurrent(h, w_hh, b_hh, shape.getitem(x_proj, t)))
        h = _blend(new, h, _mask_column(mask, t, x_proj))
        states.append(h)
    return _unrolled_output(states, reverse, sequence)


def lstm_unrolled(x_proj, h0, c0, w_hh, b_hh=None, mask=None, reverse=False, sequence=True, with_cell=False):
    """``LSTMSequence`` written with matmul, add, sigmoid, tanh, mul (and getitem to cut the gates)."""
    steps, units = x_proj.shape[0], h0.shape[-1]
    h, c, states = h0, c0, []
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        z = _recurrent(h, w_hh, b_hh, shape.getitem(x_proj, t))
        i, f, g, o = (shape.getitem(z, (slice(None), slice(k * units, (k + 1) * units))) for k in range(4))
        i, f, g, o = activation.sigmoid(i), activation.sigmoid(f), activation.tanh(g), activation.sigmoid(o)
        c_new = arithmetic.add(arithmetic.mul(f, c), arithmetic.mul(i, g))
        h_new = arithmetic.mul(o, activation.tanh(c_new))
        keep = _mask_column(mask, t, x_proj)
        h, c = _blend(h_new, h, keep), _blend(c_new, c, keep)
        states.append(shape.concatenate([h, c], axis=-1) if with_cell else h)
    return _unrolled_output(states, reverse, sequence)


def gru_unrolled(x_proj, h0, w_hh, b_hh=None, mask=None, order="rzn", reverse=False, sequence=True):
    """``GRUSequence`` written with matmul, add, sigmoid, tanh, mul, sub."""
    steps, units = x_proj.shape[0], h0.shape[-1]
    r_block, z_block = GRU_GATE_ORDERS[order]

    def block(a, k):
        return shape.getitem(a, (slice(None), slice(k * units, (k + 1) * units)))

    h, states = h0, []
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        gx = shape.getitem(x_proj, t)
        gh = linalg.matmul(h, w_hh)
        if b_hh is not None:
            gh = arithmetic.add(gh, b_hh)
        r = activation.sigmoid(arithmetic.add(block(gx, r_block), block(gh, r_block)))
        z = activation.sigmoid(arithmetic.add(block(gx, z_block), block(gh, z_block)))
        n = activation.tanh(arithmetic.add(block(gx, 2), arithmetic.mul(r, block(gh, 2))))
        new = arithmetic.add(n, arithmetic.mul(z, arithmetic.sub(h, n)))
        h = _blend(new, h, _mask_column(mask, t, x_proj))
        states.append(h)
    return _unrolled_output(states, reverse, sequence)


def activation_fn(name: str):
    """The primitive op of a SimpleRNN activation name ("tanh" or "relu")."""
    if name == "tanh":
        return activation.tanh
    if name == "relu":
        return activation.relu
    raise ValueError(f"a recurrent activation must be 'tanh' or 'relu', got {name!r}")
