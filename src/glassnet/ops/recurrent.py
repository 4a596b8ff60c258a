r"""Recurrent cell steps (SimpleRNN, LSTM, GRU), fused, each with its explicit backward.

Notation (batch-first input x of shape (B, T, F), H units, G gate blocks: 1 for SimpleRNN, 4 for LSTM,
3 for GRU). The layer computes the input projections of all time steps with ONE matrix product,

    P = X W_ih + b_ih        X time-major, reshaped (T·B, F), W_ih (F, G·H): P has shape (T, B, G·H),

(time-major, so that the rows of step t are one contiguous block) and hands P to the ops here, which
add the recurrent part z_t = P_t + h_{t-1} W_hh (+ b_hh) and apply the
cell. The derivative of each cell lives in one function, ``*_step_backward``, used both by the one-step
op (``LSTMCell``, ...) and by the whole-sequence op (``LSTMSequence``, ...), which runs the step over time
in one op with buffers allocated once per sequence, and whose backward is backpropagation through time:

    dL/dW_hh = Σ_t h_{t-1}^T dL/dz_t      (one GEMM over all steps after the loop)
    dL/dh_{t-1} = dL/dz_t W_hh^T + (what h_{t-1} gave the output directly)

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
from glassnet.backend import get_array_module
from glassnet.ops import activation, arithmetic, linalg, shape

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

# Where the reset (r) and update (z) blocks sit in a GRU's 3H columns; the candidate n is always last.
GRU_GATE_ORDERS = {"rzn": (0, 1), "zrn": (1, 0)}  # PyTorch: r, z, n; Keras 3: z, r, h


def _sigmoid_(x, out):
    """σ(x) into ``out`` as (1 + tanh(x/2)) / 2: no overflow for any x, and no temporary arrays."""
    xp = get_array_module(x)
    xp.multiply(x, 0.5, out=out)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


# --- SimpleRNN ------------------------------------------------------------------------------------------
def rnn_step(z, out, activation_name: str):
    """h_t = f(z_t), z_t = P_t + h_{t-1} W_hh + b_hh, for f = tanh or relu; writes h_t into ``out``."""
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
    """The column constants that let one tanh call activate all four gates, in order i, f, g, o:
    σ(z) = (1 + tanh(z/2)) / 2, so a = tanh(z ⊙ s) ⊙ s + b with s = (1/2, 1/2, 1, 1/2) and
    b = (1/2, 1/2, 0, 1/2) per block; s² - (a - b)² is then each gate's derivative (a(1 - a) for the
    sigmoid gates, 1 - g² for the candidate)."""
    s = xp.full(4 * units, 0.5, dtype=dtype)
    s[2 * units : 3 * units] = 1.0
    b = xp.full(4 * units, 0.5, dtype=dtype)
    b[2 * units : 3 * units] = 0.0
    return s, b, s * s


def lstm_step(z, c_prev, c_out, tanh_c_out, h_out, scales):
    """One LSTM step from pre-activations ``z`` (B, 4H) in gate order i, f, g, o; ``z`` is overwritten with
    the activated gates, and c_t, tanh(c_t), h_t are written into the ``*_out`` buffers:

        i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
        c_t = f ⊙ c_{t-1} + i ⊙ g,    h_t = o ⊙ tanh(c_t)

    ``scales`` = ``lstm_gate_scales(H, dtype, xp)``: all four gates take one tanh call.
    """
    xp = get_array_module(z)
    units = c_prev.shape[-1]
    s, b, _ = scales
    z *= s
    xp.tanh(z, out=z)
    z *= s
    z += b
    i, f, g, o = (z[:, k * units : (k + 1) * units] for k in range(4))
    xp.multiply(f, c_prev, out=c_out)
    xp.multiply(i, g, out=h_out)  # h_out as scratch for i ⊙ g
    c_out += h_out
    xp.tanh(c_out, out=tanh_c_out)
    xp.multiply(o, tanh_c_out, out=h_out)


def lstm_step_backward(dh, dc, gates, c_prev, tanh_c, dz_out, scratch, scales):
    """The LSTM step's derivative. Given dL/dh_t (``dh``) and the gradient reaching c_t from later steps
    (``dc``), writes dL/dz_t (B, 4H) into ``dz_out`` and returns dL/dc_{t-1}, written into ``dc``:

        dc_t     = dc + dh ⊙ o ⊙ (1 - tanh²(c_t))
        dz_i     = dc_t ⊙ g ⊙ i (1 - i)
        dz_f     = dc_t ⊙ c_{t-1} ⊙ f (1 - f)
        dz_g     = dc_t ⊙ i ⊙ (1 - g²)
        dz_o     = dh ⊙ tanh(c_t) ⊙ o (1 - o)
        dc_{t-1} = dc_t ⊙ f

    ``scratch`` is (B, 4H) working space; the gate derivatives come as s² - (a - b)² in three calls.
    """
    xp = get_array_module(dh)
    units = c_prev.shape[-1]
    s, b, s2 = scales
    i, f, g, o = (gates[:, k * units : (k + 1) * units] for k in range(4))
    dz_i, dz_f, dz_g, dz_o = (dz_out[:, k * units : (k + 1) * units] for k in range(4))
    # dc_t = dc + dh ⊙ o ⊙ (1 - tanh²(c_t))
    small = scratch[:, :units]
    xp.multiply(tanh_c, tanh_c, out=small)
    xp.subtract(1, small, out=small)
    small *= o
    small *= dh
    dc += small
    # the gradients reaching each gate's output
    xp.multiply(dc, g, out=dz_i)
    xp.multiply(dc, c_prev, out=dz_f)
    xp.multiply(dc, i, out=dz_g)
    xp.multiply(dh, tanh_c, out=dz_o)
    # times each gate's derivative, s² - (a - b)²
    xp.subtract(gates, b, out=scratch)
    scratch *= scratch
    xp.subtract(s2, scratch, out=scratch)
    dz_out *= scratch
    # dc_{t-1} = dc_t ⊙ f
    dc *= f
    return dc


# --- GRU ------------------------------------------------------------------------------------------------
def gru_step(gx, gh, h_prev, gates_out, h_out, order: str):
    """One GRU step (the reset gate applied after the recurrent product: PyTorch's GRU, Keras 3's
    ``reset_after=True``). ``gx`` = P_t = x_t W_ih + b_ih and ``gh`` = h_{t-1} W_hh + b_hh, both (B, 3H);
    ``gh`` is overwritten. Writes r, z, n into ``gates_out`` (in the layout of ``order``), h_t into ``h_out``:

        r = σ(gx_r + gh_r),  z = σ(gx_z + gh_z),  n = tanh(gx_n + r ⊙ gh_n)
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
    """
    xp = get_array_module(gx)
    units = h_prev.shape[-1]
    two = 2 * units
    xp.add(gx[:, :two], gh[:, :two], out=gates_out[:, :two])
    _sigmoid_(gates_out[:, :two], out=gates_out[:, :two])
    r_block, z_block = GRU_GATE_ORDERS[order]
    r = gates_out[:, r_block * units : (r_block + 1) * units]
    z = gates_out[:, z_block * units : (z_block + 1) * units]
    n = gates_out[:, two:]
    xp.multiply(r, gh[:, two:], out=n)
    n += gx[:, two:]
    xp.tanh(n, out=n)
    xp.subtract(h_prev, n, out=h_out)  # h_t = n + z ⊙ (h_{t-1} - n)
    h_out *= z
    h_out += n


def gru_step_backward(dh, gates, gh_n, h_prev, dgx_out, dgh_out, order: str, scratch):
    """The GRU step's derivative. Given dL/dh_t (``dh``), writes dL/d gx (B, 3H) into ``dgx_out`` and
    dL/d gh into ``dgh_out``; returns the direct part of dL/dh_{t-1}, dh ⊙ z, written into ``dh``
    (the caller adds dgh W_hh^T):

        dn_pre = dh ⊙ (1 - z) ⊙ (1 - n²)            (gx_n's gradient; gh_n's is dn_pre ⊙ r)
        dz_pre = dh ⊙ (h_{t-1} - n) ⊙ z (1 - z)
        dr_pre = dn_pre ⊙ gh_n ⊙ r (1 - r)
    """
    xp = get_array_module(dh)
    units = h_prev.shape[-1]
    r_block, z_block = GRU_GATE_ORDERS[order]
    r = gates[:, r_block * units : (r_block + 1) * units]
    z = gates[:, z_block * units : (z_block + 1) * units]
    n = gates[:, 2 * units :]
    dr = dgx_out[:, r_block * units : (r_block + 1) * units]
    dz = dgx_out[:, z_block * units : (z_block + 1) * units]
    dn = dgx_out[:, 2 * units :]
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
    dgh_out[:, : 2 * units] = dgx_out[:, : 2 * units]
    xp.multiply(dn, r, out=dgh_out[:, 2 * units :])
    dh *= z
    return dh


# --- one step as an op ----------------------------------------------------------------------------------
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
        xp = get_array_module(x_proj)
        z = h_prev @ w_hh
        z += x_proj
        if b_hh is not None:
            z += b_hh
        h = rnn_step(z, xp.empty_like(z), self.params["activation"])
        self.saved.update(h=h, h_prev=h_prev, w_hh=w_hh)
        return h

    def backward(self, grad):
        h, h_prev, w_hh = self.saved["h"], self.saved["h_prev"], self.saved["w_hh"]
        dz = rnn_step_backward(grad, h, self.params["activation"], get_array_module(grad).empty_like(h))
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
        z = h_prev @ w_hh
        z += x_proj
        if b_hh is not None:
            z += b_hh
        out = xp.empty(h_prev.shape[:-1] + (2 * units,), dtype=z.dtype)
        tanh_c = xp.empty_like(c_prev, dtype=z.dtype)
        h, c = out[:, :units], out[:, units:]
        lstm_step(z, c_prev, c, tanh_c, h, lstm_gate_scales(units, z.dtype, xp))
        self.saved.update(gates=z, c_prev=c_prev, tanh_c=tanh_c, h_prev=h_prev, w_hh=w_hh)
        return out

    def backward(self, grad):
        s = self.saved
        units = s["h_prev"].shape[-1]
        xp = get_array_module(grad)
        dz = xp.empty_like(s["gates"])
        dc = grad[:, units:].copy()
        scales = lstm_gate_scales(units, dz.dtype, xp)
        dc_prev = lstm_step_backward(
            grad[:, :units], dc, s["gates"], s["c_prev"], s["tanh_c"], dz, xp.empty_like(dz), scales
        )
        grad_x, grad_h, grad_w, grad_b = _step_grads(self, dz, dz, s["h_prev"], s["w_hh"])
        return grad_x, grad_h, dc_prev if self.needs_input_grad[2] else None, grad_w, grad_b


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
        gh = h_prev @ w_hh
        if b_hh is not None:
            gh += b_hh
        gh_n = gh[:, 2 * units :].copy()
        gates = xp.empty_like(gh)
        h = xp.empty(h_prev.shape, dtype=gh.dtype)
        gru_step(x_proj, gh, h_prev, gates, h, self.params["order"])
        self.saved.update(gates=gates, gh_n=gh_n, h_prev=h_prev, w_hh=w_hh)
        return h

    def backward(self, grad):
        s = self.saved
        xp = get_array_module(grad)
        dgx, dgh = xp.empty_like(s["gates"]), xp.empty_like(s["gates"])
        dh = grad.copy()
        gru_step_backward(
            dh, s["gates"], s["gh_n"], s["h_prev"], dgx, dgh, self.params["order"], xp.empty_like(dh)
        )
        grad_x, grad_h, grad_w, grad_b = _step_grads(self, dgx, dgh, s["h_prev"], s["w_hh"])
        if grad_h is not None:
            grad_h += dh
        return grad_x, grad_h, grad_w, grad_b


def _step_grads(fn, dgx, dgh, h_prev, w_hh):
    """The gradients every cell step shares: P_t's, h_{t-1}'s (through W_hh), W_hh's and b_hh's."""
    needs = fn.needs_input_grad
    last = len(needs) - 1
    grad_x = dgx if needs[0] else None
    grad_h = dgh @ w_hh.T if needs[1] else None
    grad_w = h_prev.T @ dgh if needs[last - 1] else None
    grad_b = dgh.sum(axis=0) if needs[last] else None
    return grad_x, grad_h, grad_w, grad_b


# --- a whole sequence as one op -------------------------------------------------------------------------
class _Sequence:
    """Shared time bookkeeping of the sequence ops (a mixin): processing order, masks, outputs."""

    def _times(self, steps: int):
        return range(steps - 1, -1, -1) if self.params["reverse"] else range(steps)

    @staticmethod
    def _keep(mask, t):
        """(B, 1) booleans of the rows that read step t, or None when all do."""
        if mask is None:
            return None
        column = mask[:, t]
        return None if column.all() else column[:, None]

    def _output(self, states, xp):
        """The states (T+1, B, K) in processing order -> (B, T, K) in time order (a view), or the final
        state (B, K)."""
        if not self.params["sequence"]:
            return states[-1].copy()
        body = states[1:][::-1] if self.params["reverse"] else states[1:]
        return body.transpose(1, 0, 2)

    def _upstream(self, grad):
        """The output gradient as (T, B, K) in processing order; None for ``sequence=False``."""
        if not self.params["sequence"]:
            return None
        body = grad.transpose(1, 0, 2)
        return body[::-1] if self.params["reverse"] else body

    def _in_time_order(self, per_step):
        """(T, B, K) in processing order -> (T, B, K) in time order (a view)."""
        return per_step[::-1] if self.params["reverse"] else per_step


class RNNSequence(_Sequence, Function):
    """SimpleRNN over a whole sequence: h_t = f(P_t + h_{t-1} W_hh + b_hh) for t = 1..T (BPTT backward).

    Inputs: P (T, B, H) (the input projections, time-major), h_0 (B, H), W_hh (H, H), b_hh (H,) or None,
    mask (B, T)
    booleans or None. Params: ``activation`` ("tanh" or "relu"), ``reverse``, ``sequence`` (return every
    state (B, T, H), or the final one (B, H)).
    """

    name = "rnn_sequence"
    formula = "h_t = f(P_t + h_{t-1} W_hh + b_hh)"
    derivative = "dL/dz_t = (dL/dh_t + dL/dz_{t+1} W_hh^T) ⊙ f'(z_t); dL/dW_hh = Σ_t h_{t-1}^T dL/dz_t"

    def forward(self, x_proj, h0, w_hh, b_hh, mask):
        xp = get_array_module(x_proj)
        steps, batch, units = x_proj.shape
        act = self.params["activation"]
        states = xp.empty((steps + 1, batch, units), dtype=x_proj.dtype)
        states[0] = h0
        for k, t in enumerate(self._times(steps)):
            z = xp.matmul(states[k], w_hh, out=states[k + 1])
            z += x_proj[t]
            if b_hh is not None:
                z += b_hh
            rnn_step(z, z, act)
            keep = self._keep(mask, t)
            if keep is not None:
                xp.copyto(states[k + 1], states[k], where=~keep)
        self.saved.update(states=states, w_hh=w_hh, mask=mask)
        return self._output(states, xp)

    def backward(self, grad):
        states, w_hh, mask = self.saved["states"], self.saved["w_hh"], self.saved["mask"]
        xp = get_array_module(grad)
        steps, batch, units = states.shape[0] - 1, states.shape[1], states.shape[2]
        upstream = self._upstream(grad)
        dz_all = xp.empty((steps, batch, units), dtype=states.dtype)
        dh = xp.zeros((batch, units), dtype=states.dtype) if upstream is not None else grad.copy()
        act = self.params["activation"]
        w_hh_t = xp.ascontiguousarray(w_hh.T)  # a contiguous W_hh^T multiplies faster, T times
        for k in range(steps - 1, -1, -1):
            t = steps - 1 - k if self.params["reverse"] else k
            if upstream is not None:
                dh += upstream[k]
            keep = self._keep(mask, t)
            carried = None
            if keep is not None:
                carried = dh * ~keep
                dh *= keep
            rnn_step_backward(dh, states[k + 1], act, dz_all[k])
            xp.matmul(dz_all[k], w_hh_t, out=dh)
            if carried is not None:
                dh += carried
        return _sequence_grads(self, dz_all, dz_all, states, dh)


class LSTMSequence(_Sequence, Function):
    """LSTM over a whole sequence (gate order i, f, g, o), backward by BPTT through ``lstm_step_backward``.

    Inputs: P (T, B, 4H) (time-major), h_0, c_0 (B, H), W_hh (H, 4H), b_hh (4H,) or None, mask (B, T) or None.
    Params: ``reverse``, ``sequence``, ``with_cell``: the output holds h (K = H), or [h, c] (K = 2H),
    at every step (B, T, K) or at the end (B, K).
    """

    name = "lstm_sequence"
    formula = "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t;  h_t = o_t ⊙ tanh(c_t)"
    derivative = "lstm_step_backward at each t, from T down to 1; dL/dW_hh = Σ_t h_{t-1}^T dL/dz_t"

    def forward(self, x_proj, h0, c0, w_hh, b_hh, mask):
        xp = get_array_module(x_proj)
        steps, batch, width = x_proj.shape
        units = width // 4
        dtype = x_proj.dtype
        gates = xp.empty((steps, batch, width), dtype=dtype)
        hs = xp.empty((steps + 1, batch, units), dtype=dtype)
        cs = xp.empty((steps + 1, batch, units), dtype=dtype)
        tanh_c = xp.empty((steps, batch, units), dtype=dtype)
        hs[0], cs[0] = h0, c0
        scales = lstm_gate_scales(units, dtype, xp)
        for k, t in enumerate(self._times(steps)):
            z = xp.matmul(hs[k], w_hh, out=gates[k])
            z += x_proj[t]
            if b_hh is not None:
                z += b_hh
            lstm_step(z, cs[k], cs[k + 1], tanh_c[k], hs[k + 1], scales)
            keep = self._keep(mask, t)
            if keep is not None:
                xp.copyto(hs[k + 1], hs[k], where=~keep)
                xp.copyto(cs[k + 1], cs[k], where=~keep)
        self.saved.update(gates=gates, hs=hs, cs=cs, tanh_c=tanh_c, w_hh=w_hh, mask=mask)
        if self.params["with_cell"]:
            return self._output(xp.concatenate([hs, cs], axis=-1), xp)
        return self._output(hs, xp)

    def backward(self, grad):
        s = self.saved
        hs, cs, gates, tanh_c, w_hh, mask = s["hs"], s["cs"], s["gates"], s["tanh_c"], s["w_hh"], s["mask"]
        xp = get_array_module(grad)
        steps, batch, units = tanh_c.shape
        with_cell = self.params["with_cell"]
        upstream = self._upstream(grad)
        dz_all = xp.empty_like(gates)
        dh = xp.zeros((batch, units), dtype=hs.dtype)
        dc = xp.zeros((batch, units), dtype=hs.dtype)
        scratch = xp.empty((batch, 4 * units), dtype=hs.dtype)
        scales = lstm_gate_scales(units, hs.dtype, xp)
        w_hh_t = xp.ascontiguousarray(w_hh.T)  # a contiguous W_hh^T multiplies faster, T times
        if upstream is None:
            dh += grad[:, :units]
            if with_cell:
                dc += grad[:, units:]
        for k in range(steps - 1, -1, -1):
            t = steps - 1 - k if self.params["reverse"] else k
            if upstream is not None:
                dh += upstream[k, :, :units]
                if with_cell:
                    dc += upstream[k, :, units:]
            keep = self._keep(mask, t)
            carried = None
            if keep is not None:
                carried = (dh * ~keep, dc * ~keep)
                dh *= keep
                dc *= keep
            lstm_step_backward(dh, dc, gates[k], cs[k], tanh_c[k], dz_all[k], scratch, scales)
            xp.matmul(dz_all[k], w_hh_t, out=dh)
            if carried is not None:
                dh += carried[0]
                dc += carried[1]
        grad_x, grad_h0, grad_w, grad_b, grad_mask = _sequence_grads(self, dz_all, dz_all, hs, dh, skip=2)
        grad_c0 = dc if self.needs_input_grad[2] else None
        return grad_x, grad_h0, grad_c0, grad_w, grad_b, grad_mask


class GRUSequence(_Sequence, Function):
    """GRU over a whole sequence (reset gate after the recurrent product), backward by BPTT through
    ``gru_step_backward``.

    Inputs: P (T, B, 3H) (time-major), h_0 (B, H), W_hh (H, 3H), b_hh (3H,) or None, mask (B, T) or None.
    Params: ``order`` ("rzn" PyTorch, "zrn" Keras), ``reverse``, ``sequence``.
    """

    name = "gru_sequence"
    formula = "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}"
    derivative = "gru_step_backward at each t, from T down to 1; dL/dW_hh = Σ_t h_{t-1}^T dL/dgh_t"

    def forward(self, x_proj, h0, w_hh, b_hh, mask):
        xp = get_array_module(x_proj)
        steps, batch, width = x_proj.shape
        units = width // 3
        dtype = x_proj.dtype
        order = self.params["order"]
        gates = xp.empty((steps, batch, width), dtype=dtype)
        gh_n = xp.empty((steps, batch, units), dtype=dtype)
        hs = xp.empty((steps + 1, batch, units), dtype=dtype)
        gh = xp.empty((batch, width), dtype=dtype)
        hs[0] = h0
        for k, t in enumerate(self._times(steps)):
            xp.matmul(hs[k], w_hh, out=gh)
            if b_hh is not None:
                gh += b_hh
            gh_n[k] = gh[:, 2 * units :]
            gru_step(x_proj[t], gh, hs[k], gates[k], hs[k + 1], order)
            keep = self._keep(mask, t)
            if keep is not None:
                xp.copyto(hs[k + 1], hs[k], where=~keep)
        self.saved.update(gates=gates, gh_n=gh_n, hs=hs, w_hh=w_hh, mask=mask)
        return self._output(hs, xp)

    def backward(self, grad):
        s = self.saved
        hs, gates, gh_n, w_hh, mask = s["hs"], s["gates"], s["gh_n"], s["w_hh"], s["mask"]
        xp = get_array_module(grad)
        steps, batch, units = gh_n.shape
        order = self.params["order"]
        upstream = self._upstream(grad)
        dgx_all, dgh_all = xp.empty_like(gates), xp.empty_like(gates)
        dh = xp.zeros((batch, units), dtype=hs.dtype) if upstream is not None else grad.copy()
        scratch = xp.empty_like(dh)
        recurrent = xp.empty_like(dh)
        w_hh_t = xp.ascontiguousarray(w_hh.T)  # a contiguous W_hh^T multiplies faster, T times
        for k in range(steps - 1, -1, -1):
            t = steps - 1 - k if self.params["reverse"] else k
            if upstream is not None:
                dh += upstream[k]
            keep = self._keep(mask, t)
            carried = None
            if keep is not None:
                carried = dh * ~keep
                dh *= keep
            gru_step_backward(dh, gates[k], gh_n[k], hs[k], dgx_all[k], dgh_all[k], order, scratch)
            xp.matmul(dgh_all[k], w_hh_t, out=recurrent)
            dh += recurrent
            if carried is not None:
                dh += carried
        return _sequence_grads(self, dgx_all, dgh_all, hs, dh)


def _sequence_grads(fn, dgx_all, dgh_all, hs, dh0, skip: int = 1):
    """After the backward loop: P's gradient in time order, h_0's, and W_hh's and b_hh's as ONE product
    over all steps, dL/dW_hh = Σ_t h_{t-1}^T dL/dgh_t = H_prev^T dGH with H_prev (T·B, H)."""
    needs = fn.needs_input_grad
    steps, batch, width = dgh_all.shape
    units = hs.shape[-1]
    grad_x = fn._in_time_order(dgx_all) if needs[0] else None
    grad_h0 = dh0 if needs[1] else None
    w_index = skip + 1
    grad_w = hs[:steps].reshape(-1, units).T @ dgh_all.reshape(-1, width) if needs[w_index] else None
    grad_b = dgh_all.sum(axis=(0, 1)) if needs[w_index + 1] else None
    return grad_x, grad_h0, grad_w, grad_b, None  # the mask (last input) is a constant


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
