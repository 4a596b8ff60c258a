r"""The recurrent cells written with primitive ops (matmul, add, sigmoid, tanh, mul, getitem): one graph node
per operation, differentiated by plain autograd. ``fused=False`` layers run these; they give the values
and gradients of the fused sequence ops (``glassnet.ops.recurrent``) and are what the explain layer shows
step by step. They take the input projections P (T, B, G·units), time-major, from the layer.
"""

from __future__ import annotations

from glassnet.ops import activation, arithmetic, linalg, shape
from glassnet.ops.recurrent import GRU_GATE_ORDERS, activation_fn

__all__ = ["rnn_unrolled", "lstm_unrolled", "gru_unrolled"]


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


def lstm_unrolled(x_proj, h0, c0, w_hh, b_hh=None, mask=None, reverse=False, sequence=True):
    """``LSTMSequence`` written with matmul, add, sigmoid, tanh, mul (and getitem to cut the gates); returns
    (h, c), as the op."""
    steps, units = x_proj.shape[0], h0.shape[-1]
    h, c, hs, cs = h0, c0, [], []
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        z = _recurrent(h, w_hh, b_hh, shape.getitem(x_proj, t))
        i, f, g, o = (shape.getitem(z, (slice(None), slice(k * units, (k + 1) * units))) for k in range(4))
        i, f, g, o = activation.sigmoid(i), activation.sigmoid(f), activation.tanh(g), activation.sigmoid(o)
        c_new = arithmetic.add(arithmetic.mul(f, c), arithmetic.mul(i, g))
        h_new = arithmetic.mul(o, activation.tanh(c_new))
        keep = _mask_column(mask, t, x_proj)
        h, c = _blend(h_new, h, keep), _blend(c_new, c, keep)
        hs.append(h)
        cs.append(c)
    return _unrolled_output(hs, reverse, sequence), _unrolled_output(cs, reverse, sequence)


def gru_unrolled(
    x_proj, h0, w_hh, b_hh=None, mask=None, order="rzn", reverse=False, sequence=True, reset_after=True
):
    """``GRUSequence`` written with matmul, add, sigmoid, tanh, mul, sub; with ``reset_after=False``
    ``GRUResetBeforeSequence`` (the candidate reads (r ⊙ h_{t-1}) W_hn)."""
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
        if reset_after:
            n = activation.tanh(arithmetic.add(block(gx, 2), arithmetic.mul(r, block(gh, 2))))
        else:
            w_hn = shape.getitem(w_hh, (slice(None), slice(2 * units, None)))
            candidate = linalg.matmul(arithmetic.mul(r, h), w_hn)
            if b_hh is not None:
                candidate = arithmetic.add(candidate, shape.getitem(b_hh, slice(2 * units, None)))
            n = activation.tanh(arithmetic.add(block(gx, 2), candidate))
        new = arithmetic.add(n, arithmetic.mul(z, arithmetic.sub(h, n)))
        h = _blend(new, h, _mask_column(mask, t, x_proj))
        states.append(h)
    return _unrolled_output(states, reverse, sequence)
