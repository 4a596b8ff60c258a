"""``gradcheck``: compare autograd's gradients with central finite differences, in float64.

For a function f of tensors, the check draws a fixed random weighting v of the output, so that one backward
pass gives the analytic gradient of the scalar s = <v, f(x)>, and compares each entry with

    ds/dx_i ~ (s(x + eps e_i) - s(x - eps e_i)) / (2 eps)

(error O(eps^2)). A wrong derivative anywhere in f shows up as a mismatch with probability 1 over v.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.grad_mode import no_grad
from glassnet.autograd.tensor import Tensor

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message names the worst entry."""


def _weighted_sum(output, weights):
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    total = None
    for out, weight in zip(outputs, weights):
        term = (out * Tensor(weight)).sum()
        total = term if total is None else total + term
    return total


def _as_float64(x):
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        return x
    if x.dtype == np.float64:
        x.grad = None
        return x
    return Tensor(np.array(x.data, dtype=np.float64), requires_grad=x.requires_grad)


def gradcheck(
    fn,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check the gradients of ``fn(*inputs)`` against central finite differences.

    Args:
        fn: a function of tensors returning a tensor (or a tuple of tensors).
        inputs: a tensor or a sequence of tensors; those with ``requires_grad=True`` are checked.
            float64 tensors are used as they are (so a layer's own parameters can be checked; their
            ``.grad`` is reset first); others are copied to float64 (float32 is too coarse to check).
        eps: the finite-difference step.
        atol, rtol: an entry passes when |analytic - numeric| <= atol + rtol * |numeric|.
        raise_exception: raise ``GradcheckError`` on failure (default) instead of returning False.
        seed: seeds the output weighting v (a local generator: the global seed is left alone).

    Returns:
        True when every entry passes.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)
        >>> gn.gradcheck(lambda t: t.sigmoid() * t, [x])
        True
    """
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    inputs = [_as_float64(x) for x in inputs]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input tensor with requires_grad=True")

    output = fn(*inputs)
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(out.shape) for out in outputs]
    _weighted_sum(output, weights).backward()

    worst = None  # (excess, input index, entry, analytic, numeric)
    for i in checked:
        x = inputs[i]
        analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
        numeric = np.zeros_like(x.data)
        with no_grad():
            # Indexing x.data itself, not a flat reshape of it: for a non-contiguous array (a transposed
            # one) the reshape is a copy, and perturbing the copy would leave x unchanged.
            for entry in np.ndindex(x.shape):
                original = x.data[entry]
                x.data[entry] = original + eps
                plus = _weighted_sum(fn(*inputs), weights).item()
                x.data[entry] = original - eps
                minus = _weighted_sum(fn(*inputs), weights).item()
                x.data[entry] = original
                numeric[entry] = (plus - minus) / (2 * eps)
        error = np.abs(analytic - numeric)
        excess = error - (atol + rtol * np.abs(numeric))
        k = int(np.argmax(excess))
        if worst is None or excess.reshape(-1)[k] > worst[0]:
            entry = np.unravel_index(k, x.shape) if x.ndim else ()
            worst = (excess.reshape(-1)[k], i, entry, analytic.reshape(-1)[k], numeric.reshape(-1)[k])

    excess, i, entry, analytic, numeric = worst
    if excess <= 0 and np.isfinite(analytic):
        return True
    message = (
        f"gradcheck failed: input {i}, entry {tuple(int(e) for e in entry)}: analytic {analytic:.10g}, "
        f"numeric {numeric:.10g}, |difference| {abs(analytic - numeric):.3g} "
        f"> atol {atol:g} + rtol {rtol:g} * |numeric|"
    )
    if raise_exception:
        raise GradcheckError(message)
    return False
