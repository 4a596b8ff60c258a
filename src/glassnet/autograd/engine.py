"""Reverse-mode automatic differentiation: the chain rule applied in reverse topological order.

``run_backward(root, grad)`` sorts the graph below ``root`` with an explicit stack (no recursion, so a
10,000-op chain works), then walks it from the output back to the leaves. Each op's ``backward`` turns the
upstream gradient into one gradient per input; where a tensor feeds several ops, the gradients of all its
paths are summed (the multivariate chain rule). Leaves that require a gradient accumulate it into ``.grad``
(in place when a buffer is there), as in PyTorch, until something zeroes it.
"""

from __future__ import annotations

from glassnet.autograd import hooks

__all__ = ["run_backward", "topological_order"]


def topological_order(root, every_input: bool = False) -> list:
    """The tensors that ``root`` depends on and that require a gradient, each after all it depends on
    (``root`` last). With ``every_input``, every tensor input is followed, gradient or not (to draw the
    whole graph); inputs come out in their order."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        fn = node._ctx
        if fn is not None:
            parents = [
                parent
                for parent, needed in zip(fn.inputs, fn.needs_input_grad)
                if needed or (every_input and hasattr(parent, "_ctx"))
            ]
            for parent in reversed(parents):  # reversed: the first input comes out first
                if id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _accumulate(tensor, grad) -> None:
    """Add ``grad`` into ``tensor.grad``: in place when a buffer exists, else into a fresh owned copy."""
    if grad.shape != tensor.data.shape:
        raise RuntimeError(
            f"internal error: gradient of shape {grad.shape} for a tensor of shape {tensor.data.shape}"
        )
    if tensor.grad is None:
        # A copy, because op backwards may hand the same array to several inputs (a + b) or a view.
        tensor.grad = grad.astype(tensor.data.dtype, copy=True)
    else:
        tensor.grad += grad


def run_backward(root, grad, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` (dL/d root) through the graph below ``root`` into the leaves' ``.grad``."""
    order = topological_order(root)
    grads = {id(root): grad}
    for node in reversed(order):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        fn = node._ctx
        if fn is None or node._retains_grad:
            _accumulate(node, grad)
        if fn is None:
            continue
        if fn.saved is None:
            raise RuntimeError(
                f"backward through '{fn.name}' a second time: its saved values were freed by the first "
                "backward. Call backward(retain_graph=True) the first time to keep them."
            )
        input_grads = fn.backward(grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if hooks.listeners:
            for listener in hooks.listeners:
                listener.on_backward(fn, node, grad, input_grads)
        for parent, parent_grad, needed in zip(fn.inputs, input_grads, fn.needs_input_grad):
            if not needed or parent_grad is None:
                continue
            key = id(parent)
            if key in grads:
                grads[key] = grads[key] + parent_grad
            else:
                grads[key] = parent_grad
        if not retain_graph:
            fn.release()
