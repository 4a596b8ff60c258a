"""Scaled dot-product attention (Vaswani et al., 2017), one fused op with its backward through the softmax.

For queries Q (..., L, d_k), keys K (..., S, d_k) and values V (..., S, d_v), with the scale
s = 1/sqrt(d_k) unless given:

    A = s Q Kᵀ + M              (..., L, S)   the scores; M is 0 where a query may attend, -inf where not,
                                              or any additive mask
    P = softmax(A) row by row   (..., L, S)   the attention weights: row i says how much query i takes
                                              from each key
    D = P ⊙ m / (1 - p)                       dropout on the weights in training (m ~ Bernoulli(1 - p))
    O = D V                     (..., L, d_v)

The backward, with G = dL/dO and, when the weights themselves feed the loss, dL/dP from there:

    dL/dV = Dᵀ G
    dL/dP = (G Vᵀ) ⊙ m / (1 - p)  (+ dL/dP from the weights' own uses)
    dL/dA = P ⊙ (dL/dP - Σ_j dL/dP_j P_j)     the softmax Jacobian diag(P) - P Pᵀ, row by row
    dL/dQ = s dL/dA K,   dL/dK = s (dL/dA)ᵀ Q,   dL/dM = dL/dA (an additive mask that is a tensor)

Leading axes (batch, heads) broadcast as in matmul; gradients are summed back to each input's shape.
A row whose every key is masked has weights 0 and output 0 (PyTorch's "safe softmax" since 2.5), not NaN.
"""

from __future__ import annotations

import math

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_array_module, get_rng
from glassnet.ops._util import row_sums, unbroadcast

__all__ = ["ScaledDotProductAttention", "scaled_dot_product_attention", "causal_mask"]


class ScaledDotProductAttention(Function):
    """Attention as one op with two outputs, ``out`` (O) and ``weights`` (P, before dropout: the
    weights as Keras's ``return_attention_scores`` gives them; PyTorch's ``nn.MultiheadAttention``
    returns them after its dropout, the same when ``dropout`` is 0).

    The inputs are Q, K, V and ``mask``: None, a boolean array (True = may attend), or a float array or
    tensor added to the scores. The causal and key-padding masks are folded into it by
    ``scaled_dot_product_attention``. When nothing uses the weights output, backward does not add its
    share (the engine hands it None).
    """

    name = "attention"
    input_names = ("q", "k", "v", "mask")
    output_names = ("out", "weights")
    formula = Formula(r"\mathrm{softmax}(s\, #Q #K^{T} + M) #V")
    derivative = Formula(
        r"dA = P \odot (dP - \sum_j dP_j P_j),\ dP = G V^{T} + \frac{\partial L}{\partial P};\ "
        r"dQ = s\, dA\, K;\ dK = s\, dA^{T} Q;\ dV = P^{T} G"
    )

    def forward(self, q, k, v, mask):
        xp = get_array_module(q)
        scale, rate = self.params["scale"], self.params["dropout"]
        # One (..., L, S) array is made here and worked on in place: at L = S = 1024 each extra pass over a
        # fresh array of scores costs more than the products.
        allowed = mask if mask is not None and mask.dtype == bool else None
        additive = mask if allowed is None else None
        weights = _unshifted_softmax_(_scores(q, k, scale, additive, xp), allowed, xp)
        if weights is None:  # an e^a could overflow, or a row's sum fall to the subnormals: shift each row
            if allowed is not None:  # -inf where a key is masked, 0 elsewhere (of the mask's own shape)
                additive = xp.where(allowed, xp.zeros((), q.dtype), xp.asarray(-xp.inf, q.dtype))
            weights = _safe_softmax_(_scores(q, k, scale, additive, xp), xp)
        dropped, keep_scale = weights, None
        if rate > 0:
            keep = get_rng().random(weights.shape) >= rate
            keep_scale = (keep / (1 - rate)).astype(weights.dtype)
            dropped = weights * keep_scale
        self.saved.update(q=q, k=k, v=v, weights=weights, dropped=dropped, keep_scale=keep_scale)
        self.saved["mask_shape"] = None if mask is None else mask.shape
        return dropped @ v, weights

    def backward(self, grad):
        xp = get_array_module(self.saved["weights"])
        s = self.saved
        weights, scale = s["weights"], self.params["scale"]
        grad_out, grad_weights = grad["out"], grad["weights"]
        grads = {}
        if grad_out is not None and self.needs_grad("v"):
            grads["v"] = unbroadcast(xp.swapaxes(s["dropped"], -1, -2) @ grad_out, s["v"].shape)
        if not (self.needs_grad("q") or self.needs_grad("k") or self.needs_grad("mask")):
            return grads
        # dL/dP, then dL/dA in the same array: P ⊙ dL/dP, less P times its row sums
        grad_scores = xp.zeros_like(weights) if grad_out is None else grad_out @ xp.swapaxes(s["v"], -1, -2)
        if s["keep_scale"] is not None:
            grad_scores *= s["keep_scale"]
        if grad_weights is not None:  # skipped when the weights fed nothing but the output
            grad_scores += grad_weights
        grad_scores *= weights
        grad_scores -= weights * row_sums(grad_scores)
        if self.needs_grad("q"):
            grads["q"] = unbroadcast(grad_scores @ s["k"] * scale, s["q"].shape)
        if self.needs_grad("k"):
            grads["k"] = unbroadcast(xp.swapaxes(grad_scores, -1, -2) @ s["q"] * scale, s["k"].shape)
        if self.needs_grad("mask"):
            grads["mask"] = unbroadcast(grad_scores, s["mask_shape"])
        return grads


def _scores(q, k, scale, additive, xp):
    """A = s Q Kᵀ (+ an additive mask), in one new array where the shapes allow."""
    scores = q @ xp.swapaxes(k, -1, -2)
    scores *= scale
    return scores if additive is None else _onto(xp.add, scores, additive, xp)


def _onto(ufunc, scores, other, xp):
    """``ufunc(scores, other)`` written over ``scores`` where ``other`` broadcasts into its shape, else a
    new array (a mask with more leading axes than the scores)."""
    if xp.broadcast_shapes(scores.shape, other.shape) == scores.shape:
        return ufunc(scores, other, out=scores)
    return ufunc(scores, other)


def _unshifted_softmax_(scores, allowed, xp):
    """softmax over the last axis without shifting rows by their max, written over ``scores`` (returned),
    the keys that ``allowed`` (booleans, True = may attend; or None) leaves out set to 0 after the exp.
    None where that cannot be trusted: a score above ``_exp_limit`` (checked first, ``scores`` left as
    they are), or a row whose sum fell below ``_ROW_FLOOR`` (too few of its terms left as normal floats,
    or every key masked; ``scores`` spent). The caller then shifts each row by its max.

    The shift by each row's max, softmax(a) = softmax(a - max a), only keeps e^a from overflowing and the
    row's largest term near 1; NumPy finds the max of short rows slowly (184 us for 3,072 rows of 64
    here, twice the exp), and the products of attention seldom come near the limits. Without the shift
    the weights are the same to rounding (e^a is exact to an ulp wherever it is a normal float)."""
    if scores.size == 0 or not float(scores.max()) <= _exp_limit(scores.dtype, scores.shape[-1]):
        return None
    xp.exp(scores, out=scores)
    if allowed is not None:
        scores = _onto(xp.multiply, scores, allowed, xp)
    total = row_sums(scores)
    if not bool((total >= _ROW_FLOOR[scores.dtype.char]).all()):
        return None
    scores /= total
    return scores


def _exp_limit(dtype, keys: int) -> float:
    """The largest score whose e^a, summed over ``keys`` of them, stays below the dtype's largest float (with
    a factor e to spare): ln(max float) - ln(keys) - 1, 83.4 in float32 for 64 keys."""
    return _LOG_MAX.get(dtype.char, -math.inf) - math.log(keys) - 1


def _safe_softmax_(scores, xp):
    """softmax over the last axis, written over ``scores`` (returned); rows that are -inf everywhere (every
    key masked) give 0, not NaN."""
    row_max = scores.max(axis=-1, keepdims=True)
    row_max[~xp.isfinite(row_max)] = 0
    scores -= row_max
    xp.exp(scores, out=scores)
    total = row_sums(scores)
    total[total == 0] = 1
    scores /= total
    return scores


# ln of the largest float, and √(smallest normal float): a row sum below it leaves too few of its terms as
# normal floats (those below the smallest normal are less than √tiny of the sum: nothing at float rounding).
_LOG_MAX = {"f": 128 * math.log(2), "d": 1024 * math.log(2)}
_ROW_FLOOR = {"f": 2.0**-63, "d": 2.0**-511}


def causal_mask(queries: int, keys: int, xp=None):
    """(L, S) booleans, True where query i may attend to key j: j <= i (aligned at the top left, as
    ``torch.nn.functional.scaled_dot_product_attention(is_causal=True)``)."""
    xp = get_array_module() if xp is None else xp
    return xp.tril(xp.ones((queries, keys), dtype=bool))


@op_function(ScaledDotProductAttention)
def scaled_dot_product_attention(
    q,
    k,
    v,
    attn_mask=None,
    key_padding_mask=None,
    is_causal: bool = False,
    dropout: float = 0.0,
    training: bool = True,
    scale: float | None = None,
    need_weights: bool = False,
):
    """Attention of queries ``q`` (..., L, d_k) over keys ``k`` (..., S, d_k) and values ``v`` (..., S, d_v).

    Args:
        attn_mask: None; a boolean array broadcastable to (..., L, S), True where a query may attend (as
            ``torch.nn.functional.scaled_dot_product_attention`` and Keras; the opposite of
            ``torch.nn.MultiheadAttention``'s ``attn_mask``, whose True means "may not"); or a float array
            or tensor added to the scores (-inf or a large negative number where not to attend).
        key_padding_mask: None or booleans (N, S) (or (S,)), True where key j of example n is padding
            (PyTorch's polarity for this mask): no query attends to it.
        is_causal: query i attends to keys 0..i only (top-left aligned when L != S).
        dropout: the probability p of dropping an attention weight, in training only; drawn from the
            generator that ``gn.manual_seed`` seeds.
        scale: s; None for 1/sqrt(d_k).
        need_weights: also return the weights P (..., L, S).

    Returns:
        O (..., L, d_v), or (O, P) with ``need_weights``.

    Example:
        >>> import glassnet as gn
        >>> q = k = v = gn.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> scaled_dot_product_attention(q, k, v, is_causal=True).data[0].tolist()
        [1.0, 0.0]
    """
    q_data, k_data, v_data = (t.data if isinstance(t, Tensor) else t for t in (q, k, v))
    _check_shapes(q_data, k_data, v_data)
    xp = get_array_module(q_data)
    queries, keys = q_data.shape[-2], k_data.shape[-2]
    scores_shape = _broadcast_scores_shape(q_data.shape, k_data.shape)
    if not 0 <= dropout < 1:
        raise ValueError(f"attention: dropout must be in [0, 1), got {dropout}")
    mask = _combine_masks(attn_mask, key_padding_mask, is_causal, queries, keys, scores_shape, xp)
    scale = 1 / math.sqrt(q_data.shape[-1]) if scale is None else float(scale)
    out, weights = ScaledDotProductAttention.apply(
        q, k, v, mask, scale=scale, dropout=dropout if training else 0.0
    )
    return (out, weights) if need_weights else out


def _check_shapes(q, k, v) -> None:
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            f"attention expects q, k, v of shape (..., length, features), got {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"attention: q {q.shape} and k {k.shape} must have the same last axis d_k")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention: k {k.shape} and v {v.shape} must have the same length S (axis -2)")


def _broadcast_scores_shape(q_shape, k_shape) -> tuple:
    lead_q, lead_k = q_shape[:-2], k_shape[:-2]
    width = max(len(lead_q), len(lead_k))
    lead_q, lead_k = (1,) * (width - len(lead_q)) + lead_q, (1,) * (width - len(lead_k)) + lead_k
    lead = []
    for a, b in zip(lead_q, lead_k, strict=True):
        if a != b and 1 not in (a, b):
            raise ValueError(f"attention: the leading axes of q {q_shape} and k {k_shape} do not broadcast")
        lead.append(max(a, b))
    return (*lead, q_shape[-2], k_shape[-2])


def _combine_masks(attn_mask, key_padding_mask, is_causal, queries, keys, scores_shape, xp):
    """One mask for the op: booleans (True = may attend) when every part is boolean, else an additive
    float mask (a tensor stays a tensor, so that its gradient flows)."""
    allowed = None
    if is_causal:
        allowed = causal_mask(queries, keys, xp)
    if key_padding_mask is not None:
        padding = (
            key_padding_mask.data if isinstance(key_padding_mask, Tensor) else xp.asarray(key_padding_mask)
        )
        if padding.dtype != bool:
            raise TypeError(
                f"attention: key_padding_mask must be boolean (True = padding), got {padding.dtype}"
            )
        lead = scores_shape[:-2]
        if padding.ndim == 1 and padding.shape == (keys,):
            padding_b = padding
        elif padding.ndim == 2 and len(lead) >= 1 and padding.shape == (lead[0], keys):
            padding_b = padding.reshape((lead[0],) + (1,) * (len(scores_shape) - 2) + (keys,))
        else:
            batch = lead[0] if lead else "N"
            raise ValueError(
                f"attention: key_padding_mask must have shape ({batch}, {keys}) for scores of shape "
                f"{scores_shape}, got {padding.shape}"
            )
        allowed = ~padding_b if allowed is None else allowed & ~padding_b
    if attn_mask is None:
        return allowed
    mask_data = attn_mask.data if isinstance(attn_mask, Tensor) else xp.asarray(attn_mask)
    try:
        xp.broadcast_shapes(mask_data.shape, scores_shape)
    except ValueError:
        raise ValueError(
            f"attention: attn_mask of shape {mask_data.shape} does not broadcast to the scores' shape "
            f"{scores_shape} (..., L, S)"
        ) from None
    if mask_data.dtype == bool:
        return mask_data if allowed is None else allowed & mask_data
    if mask_data.dtype.kind != "f":
        raise TypeError(f"attention: attn_mask must be boolean or float, got {mask_data.dtype}")
    additive = attn_mask if isinstance(attn_mask, Tensor) else mask_data
    if allowed is None:
        return additive
    blocked = xp.where(allowed, 0.0, -xp.inf).astype(mask_data.dtype)
    return additive + blocked  # a tensor's + keeps the gradient of the additive part
