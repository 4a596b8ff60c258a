"""Reverse-mode automatic differentiation: the chain rule applied in reverse topological order.

``run_backward(root, grad)`` sorts the ops below ``root`` with an explicit stack (no recursion, so a
10,000-op chain works), then walks them from the output back to the leaves. The walk is over ops, not
tensors, so that an op with several outputs (an LSTM's h and c) runs its backward once, with the summed
gradients of all its outputs, after every consumer of every output has contributed. Each op's
``backward`` turns the upstream gradient into one gradient per input; where a tensor feeds several ops,
the gradients of all its paths are summed (the multivariate chain rule). Leaves that require a gradient
accumulate it into ``.grad`` (in place when a buffer is there), as in PyTorch, until something zeroes it.
"""

from __future__ import annotations

from glassnet.autograd import hooks

__all__ = ["run_backward", "topological_order", "postorder"]


def postorder(roots, children) -> list:
    """Every node reachable from ``roots`` through ``children(node)``, each after all its children (the
    roots last, in their order), children in their order: a depth-first search with an explicit stack, so
    that a 10,000-node chain does not hit Python's recursion limit. One graph walk for glassnet: the
    autograd graph here, the functional API's layer graph in ``nn.functional_model``."""
    order, visited = [], set()
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in reversed(children(node)):  # reversed: the first child comes out first
            if id(child) not in visited:
                stack.append((child, False))
    return order


def topological_order(root, every_input: bool = False) -> list:
    """The tensors that ``root`` depends on and that require a gradient, each after all it depends on
    (``root`` last). With ``every_input``, every tensor input is followed, gradient or not (to draw the
    whole graph); inputs come out in their order."""

    def parents(tensor):
        fn = tensor._ctx
        if fn is None:
            return ()
        return [
            parent
            for parent, needed in zip(fn.inputs, fn.needs_input_grad)
            if needed or (every_input and hasattr(parent, "_ctx"))
        ]

    return postorder([root], parents)


def _op_order(root_fn) -> list:
    """The ops below ``root_fn`` that a gradient reaches, each after the ops that made its inputs."""

    def producers(fn):
        return [
            parent._ctx
            for parent, needed in zip(fn.inputs, fn.needs_input_grad)
            if needed and parent._ctx is not None
        ]

    return postorder([root_fn], producers)


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


def _upstream_of(fn, by_slot: dict):
    """What ``fn.backward`` receives: the gradient of its output, or for an op with several outputs a
    dict by output name, with None for an output that no path reached."""
    if not fn.output_names:
        return by_slot[0]
    return {name: by_slot.get(slot) for slot, name in enumerate(fn.output_names)}


def _by_position(fn, input_grads) -> tuple:
    """The gradients a backward returned, one per input in order (from a dict by input name or a tuple)."""
    if isinstance(input_grads, dict):
        unknown = set(input_grads) - set(fn.input_names)
        if unknown:
            raise RuntimeError(
                f"{fn.name}.backward returned gradients for {sorted(unknown)}, which are not among its "
                f"input_names {fn.input_names}"
            )
        return tuple(input_grads.get(name) for name in fn.input_names)
    return input_grads if isinstance(input_grads, tuple) else (input_grads,)


def run_backward(root, grad, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` (dL/d root) through the graph below ``root`` into the leaves' ``.grad``."""
    if root._ctx is None:
        _accumulate(root, grad)
        return
    upstream = {id(root._ctx): {root._slot: grad}}  # per op: the summed gradient of each output slot
    retained = {id(root._ctx): {id(root): root}} if root._retains_grad else {}  # intermediates keeping .grad
    leaves = {}  # id -> [leaf, summed gradient]; accumulated once the walk is over
    for fn in reversed(_op_order(root._ctx)):
        by_slot = upstream.pop(id(fn), None)
        if by_slot is None:
            continue
        for tensor in retained.pop(id(fn), {}).values():
            _accumulate(tensor, by_slot[tensor._slot])
        if fn.saved is None:
            raise RuntimeError(
                f"backward through '{fn.name}' a second time: its saved values were freed by the first "
                "backward. Call backward(retain_graph=True) the first time to keep them."
            )
        grad_output = _upstream_of(fn, by_slot)
        input_grads = _by_position(fn, fn.backward(grad_output))
        if hooks.listeners:
            for listener in hooks.listeners:
                listener.on_backward(fn, grad_output, input_grads)
        for parent, parent_grad, needed in zip(fn.inputs, input_grads, fn.needs_input_grad):
            if not needed or parent_grad is None:
                continue
            producer = parent._ctx
            if producer is None:
                entry = leaves.setdefault(id(parent), [parent, None])
                entry[1] = parent_grad if entry[1] is None else entry[1] + parent_grad
                continue
            slots = upstream.setdefault(id(producer), {})
            slot = parent._slot
            slots[slot] = slots[slot] + parent_grad if slot in slots else parent_grad
            if parent._retains_grad:
                retained.setdefault(id(producer), {})[id(parent)] = parent
        if not retain_graph:
            fn.release()
    for leaf, leaf_grad in leaves.values():
        _accumulate(leaf, leaf_grad)
