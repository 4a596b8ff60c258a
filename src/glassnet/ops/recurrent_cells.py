r"""Recurrent cells (SimpleRNN, LSTM, GRU): one time step and its derivative, feature-major, and the one-step
ops built on them. The whole-sequence ops (``recurrent_sequence``) run the same step functions over time.

Layout: states h_t as (H, B) columns, a step's pre-activations one contiguous (G·H, B) block whose gates
are contiguous (H, B) slabs (G gate blocks: 1 for SimpleRNN, 4 for LSTM, 3 for GRU), so that every
element-wise pass over a gate runs over one unbroken stretch of memory and the recurrent product
W_hh^T h_{t-1} is a (G·H, H) x (H, B) GEMM. The one-step ops take and return batch-first arrays.

The derivative of each cell lives in one function, ``*_step_backward``, used both by the one-step op
(``LSTMCell``, ...) and by the whole-sequence op, whose backward is backpropagation through time.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import errstate, get_array_module
from glassnet.ops import activation
from glassnet.ops.activation import sigmoid_

__all__ = [
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "rnn_step",
    "rnn_step_backward",
    "lstm_step",
    "lstm_step_backward",
    "lstm_gate_scales",
    "gru_step",
    "gru_step_backward",
    "GRU_GATE_ORDERS",
    "activation_fn",
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
    input_names = ("x_proj", "h_prev", "w_hh", "b_hh")
    formula = Formula(r"h_t = f(P_t + h_{t-1} W_{hh} + b_{hh})")
    derivative = Formula(
        r"dz = dh_t \odot f'(z);\; dh_{t-1} = dz\, W_{hh}^{\top};\; dW_{hh} = h_{t-1}^{\top} dz"
    )

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
    """One LSTM step (gate order i, f, g, o), with two outputs, h_t and c_t:

        z = P_t + h_{t-1} W_hh + b_hh;  i, f, o = σ(z_i), σ(z_f), σ(z_o);  g = tanh(z_g)
        c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)

    The derivative is ``lstm_step_backward`` (see there), then dL/dh_{t-1} = dL/dz W_hh^T,
    dL/dW_hh = h_{t-1}^T dL/dz, dL/db_hh = Σ_rows dL/dz.

    Shape: P_t (B, 4H), h_{t-1} (B, H), c_{t-1} (B, H), W_hh (H, 4H), b_hh (4H,) or None
    -> h_t (B, H), c_t (B, H).
    """

    name = "lstm_cell"
    input_names = ("x_proj", "h_prev", "c_prev", "w_hh", "b_hh")
    output_names = ("h", "c")
    formula = Formula(r"c_t = f \odot c_{t-1} + i \odot g;\; h_t = o \odot \tanh(c_t)")
    derivative = Formula(
        r"dc_t = dc + dh \odot o \odot (1 - \tanh^{2} c_t);\; dz_o = dh \odot \tanh(c_t) \odot o(1 - o);\; "
        r"dz_i = dc_t \odot g \odot i(1 - i);\; dz_f = dc_t \odot c_{t-1} \odot f(1 - f);\; "
        r"dz_g = dc_t \odot i \odot (1 - g^{2});\; dc_{t-1} = dc_t \odot f"
    )

    def forward(self, x_proj, h_prev, c_prev, w_hh, b_hh):
        xp = get_array_module(x_proj)
        z = _pre_activations(x_proj, h_prev, w_hh, b_hh)
        c_prev_t = xp.ascontiguousarray(c_prev.T, dtype=z.dtype)
        h, c, tanh_c = (xp.empty_like(c_prev_t) for _ in range(3))  # feature-major (H, B)
        with errstate(xp, over="ignore"):
            lstm_step(z, c_prev_t, c, tanh_c, h)
        self.saved.update(gates=z, c_prev=c_prev_t, tanh_c=tanh_c, h_prev=h_prev, w_hh=w_hh)
        return h.T, c.T

    def backward(self, grad):
        s = self.saved
        units = s["h_prev"].shape[-1]
        xp = get_array_module(s["gates"])
        # None for an output that no path reached; dc is a copy: updated in place into dL/dc_{t-1}
        dh = xp.zeros_like(s["c_prev"]) if grad["h"] is None else xp.ascontiguousarray(grad["h"].T)
        dc = xp.zeros_like(s["c_prev"]) if grad["c"] is None else xp.array(grad["c"].T, order="C")
        dz = xp.empty_like(s["gates"])
        scales = lstm_gate_scales(units, dz.dtype, xp)
        scratch = xp.empty_like(dz)
        dc_prev = lstm_step_backward(dh, dc, s["gates"], s["c_prev"], s["tanh_c"], dz, scratch, scales)
        grads = _step_grads(self, dz, dz, s["h_prev"], s["w_hh"])
        grads["c_prev"] = dc_prev.T if self.needs_grad("c_prev") else None
        return grads


class GRUCell(Function):
    """One GRU step, the reset gate applied after the recurrent product (PyTorch; Keras ``reset_after``):

        gh = h_{t-1} W_hh + b_hh;  r = σ(P_r + gh_r);  z = σ(P_z + gh_z);  n = tanh(P_n + r ⊙ gh_n)
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    ``order`` is the layout of the 3H columns: "rzn" (PyTorch) or "zrn" (Keras 3). The derivative is
    ``gru_step_backward``, then dL/dh_{t-1} = dh ⊙ z + dL/dgh W_hh^T, dL/dW_hh = h_{t-1}^T dL/dgh.

    Shape: P_t (B, 3H), h_{t-1} (B, H), W_hh (H, 3H), b_hh (3H,) or None -> h_t (B, H).
    """

    name = "gru_cell"
    input_names = ("x_proj", "h_prev", "w_hh", "b_hh")
    formula = Formula(
        r"h_t = (1 - z) \odot n + z \odot h_{t-1};\; n = \tanh(P_n + r \odot (h_{t-1} W_{hn} + b_{hn}))"
    )
    derivative = Formula(
        r"\delta_n = dh \odot (1 - z) \odot (1 - n^{2});\; "
        r"\delta_z = dh \odot (h_{t-1} - n) \odot z(1 - z);\; "
        r"\delta_r = \delta_n \odot gh_n \odot r(1 - r);\; dh_{t-1} = dh \odot z + dgh\, W_{hh}^{\top}"
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
        grads = _step_grads(self, dgx, dgh, s["h_prev"], s["w_hh"])
        if grads["h_prev"] is not None:
            grads["h_prev"] += dh.T
        return grads


def _step_grads(fn, dgx, dgh, h_prev, w_hh) -> dict:
    """The gradients every cell step shares, by input name, from feature-major dL/dP_t (``dgx``) and
    dL/dgh (``dgh``): P_t's, h_{t-1}'s (through W_hh), W_hh's and b_hh's, batch-first."""
    return {
        "x_proj": dgx.T.copy() if fn.needs_grad("x_proj") else None,
        "h_prev": (w_hh @ dgh).T if fn.needs_grad("h_prev") else None,
        "w_hh": h_prev.T @ dgh.T if fn.needs_grad("w_hh") else None,
        "b_hh": dgh.sum(axis=1) if fn.needs_grad("b_hh") else None,
    }


def activation_fn(name: str):
    """The primitive op of a SimpleRNN activation name ("tanh" or "relu")."""
    if name == "tanh":
        return activation.tanh
    if name == "relu":
        return activation.relu
    raise ValueError(f"a recurrent activation must be 'tanh' or 'relu', got {name!r}")
