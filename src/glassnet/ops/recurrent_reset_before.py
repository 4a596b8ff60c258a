r"""Keras's older GRU, ``reset_after=False``: the reset gate scales h_{t-1} BEFORE the recurrent product of
the candidate (Cho et al., 2014), over a whole sequence, with backpropagation through time:

    P_t = x_t W_ih + b_ih                                      (3H columns, in ``order``: Keras's z, r, h)
    z = σ(P_z + h_{t-1} W_hz + b_hz),  r = σ(P_r + h_{t-1} W_hr + b_hr)
    n = tanh(P_n + (r ⊙ h_{t-1}) W_hn + b_hn)
    h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

where the default GRU (``GRUSequence``, PyTorch's and Keras's ``reset_after=True``) has
n = tanh(P_n + r ⊙ (h_{t-1} W_hn + b_hn)). Keras's layer has one bias b_ih (3H,), so b_hh is None there;
the op takes one for symmetry with ``GRUSequence``.

The step's derivative, with dh = dL/dh_t:

    dn = dh ⊙ (1 - z) ⊙ (1 - n²),   dz = dh ⊙ (h_{t-1} - n) ⊙ z(1 - z)
    d(r ⊙ h) = W_hn dn,             dr = d(r ⊙ h) ⊙ h_{t-1} ⊙ r(1 - r)
    dL/dh_{t-1} = dh ⊙ z + d(r ⊙ h) ⊙ r + W_h[zr] d[z, r]
    dL/dW_h[zr] = Σ_t h_{t-1} d[z, r]^T,   dL/dW_hn = Σ_t (r ⊙ h_{t-1}) dn^T

Masks, ``reverse`` and ``sequence`` behave as in ``glassnet.ops.recurrent_sequence``, whose BPTT loop this
op shares.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import errstate, get_array_module
from glassnet.ops.activation import sigmoid_
from glassnet.ops.recurrent_cells import GRU_GATE_ORDERS
from glassnet.ops.recurrent_sequence import _merged, _Sequence

__all__ = ["GRUResetBeforeSequence"]


class GRUResetBeforeSequence(_Sequence, Function):
    """GRU with the reset gate applied before the recurrent product (Keras ``reset_after=False``) over a
    whole sequence; backward by BPTT (see the module).

    Inputs: x (B, T, F), h_0 (B, H), W_ih (F, 3H), b_ih (3H,) or None, W_hh (H, 3H), b_hh (3H,) or None,
    mask (B, T) or None. Params: ``order`` ("zrn" Keras, "rzn"), ``reverse``, ``sequence``.
    """

    name = "gru_reset_before_sequence"
    formula = Formula(
        r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1};\; "
        r"n_t = \tanh(P_n + (r_t \odot h_{t-1}) W_{hn} + b_{hn})"
    )
    derivative = Formula(
        r"d(r \odot h) = W_{hn}\, dn;\; dr = d(r \odot h) \odot h_{t-1} \odot r(1 - r);\; "
        r"dW_{hn} = \sum_t (r_t \odot h_{t-1})\, dn_t^{\top}"
    )

    def forward(self, x, h0, w_ih, b_ih, w_hh, b_hh, mask):
        xp = get_array_module(x)
        r_block, z_block = GRU_GATE_ORDERS[self.params["order"]]
        steps = x.shape[1]
        cols, offset = self._columns(x, h0, b_ih is not None, self.params["reverse"])
        hs = cols[:, offset:]  # h_0 .. h_T, each (H, B)
        gates = xp.matmul(self._stacked_kernel_t(w_ih, b_ih), cols[:steps, :offset])  # P, then the gates
        width, batch = gates.shape[1:]
        units, two = width // 3, 2 * (width // 3)
        w_t = xp.ascontiguousarray(w_hh.T)  # (3H, H)
        bias = None if b_hh is None else b_hh[:, None]
        reset_h = xp.empty((steps, units, batch), dtype=gates.dtype)  # r ⊙ h_{t-1}, for dW_hn
        with errstate(xp, over="ignore"):
            for k, t in enumerate(self._times(steps)):
                g, h_prev = gates[k], hs[k]
                g[:two] += w_t[:two] @ h_prev
                if bias is not None:
                    g += bias
                sigmoid_(g[:two])
                r, z = g[r_block * units : (r_block + 1) * units], g[z_block * units : (z_block + 1) * units]
                xp.multiply(r, h_prev, out=reset_h[k])
                n = g[two:]
                n += w_t[two:] @ reset_h[k]
                xp.tanh(n, out=n)
                xp.subtract(h_prev, n, out=hs[k + 1])  # h_t = n + z ⊙ (h_{t-1} - n)
                hs[k + 1] *= z
                hs[k + 1] += n
                self._carry((hs,), k, self._keep(mask, t))
        self.saved.update(cols=cols, offset=offset, gates=gates, reset_h=reset_h, w_ih=w_ih, w_hh=w_hh)
        self.saved.update(mask=mask, steps=steps)
        return self._output(hs, xp)

    def backward(self, grad):
        s = self.saved
        gates, reset_h, w_hh = s["gates"], s["reset_h"], s["w_hh"]
        r_block, z_block = GRU_GATE_ORDERS[self.params["order"]]
        hs = s["cols"][:, s["offset"] :]
        xp = get_array_module(grad)
        units = hs.shape[1]
        two = 2 * units
        (dh,), upstream = self._state_grads((grad,), hs[0])
        dgx_all = xp.empty_like(gates)
        w_gates, w_n = w_hh[:, :two], w_hh[:, two:]
        rs, zs = (slice(b * units, (b + 1) * units) for b in (r_block, z_block))

        def step_backward(k, through_h):
            g, h_prev, d = gates[k], hs[k], dgx_all[k]
            r, z, n = g[rs], g[zs], g[two:]
            d[two:] = dh * (1 - z) * (1 - n * n)
            d[zs] = dh * (h_prev - n) * z * (1 - z)
            d_reset_h = w_n @ d[two:]
            d[rs] = d_reset_h * h_prev * r * (1 - r)
            if through_h:
                dh[...] = dh * z + d_reset_h * r + w_gates @ d[:two]

        self._backprop_through_time((dh,), upstream, step_backward)
        dgh = dgx_all.copy()
        dgh[:, two:] = 0  # the candidate's recurrent weights read r ⊙ h_{t-1}, not h_{t-1}: added below
        grads = self._grads(s["cols"], s["offset"], dgx_all, dgh, dh, s["w_ih"])
        if self.needs_grad("w_hh"):
            grads["w_hh"][:, two:] = _merged(reset_h, xp) @ _merged(dgx_all[:, two:], xp).T
        if self.needs_grad("b_hh"):
            grads["b_hh"] = dgx_all.sum(axis=(0, 2))
        return grads
