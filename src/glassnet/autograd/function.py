"""The op base class: a forward and its local derivative, on one screen, with the formula as data.

Every differentiable op in ``glassnet.ops`` subclasses ``Function``:

- ``forward(*arrays)`` computes the output array and saves by name what backward needs
  (``self.saved["y"] = y``), so that the explain recorder can show exactly what backward used;
- ``backward(grad)`` turns the upstream gradient dL/d(output) into dL/d(input) for each input, returning
  ``None`` for inputs that need none (``self.needs_input_grad[i]`` says which do);
- ``formula`` (the output in terms of the inputs) and ``derivative`` (the local derivative, a statement
  such as dy/dx = y(1 - y)) hold the math once, as ``Formula`` data (LaTeX with named slots, the plain
  text derived from it); the op's docstring, explain's traces, ``derive()`` and the worked solutions all
  read them. ``symbol`` is the function's own LaTeX name where it has one (\\sigma for the sigmoid).

``Op.apply(*inputs, **params)`` runs the op on tensors and records it in the graph when a gradient is
needed. Inputs that are not tensors (integer labels, a boolean condition) are constants.

Names (optional). An op may name its inputs, ``input_names = ("x", "h", "w")``: its backward may then
return a dict of gradients by input name (a missing name means no gradient) instead of a tuple by
position, and ``apply`` checks the number of inputs. An op with several outputs names them,
``output_names = ("h", "c")`` (or ``forward`` sets them on the instance, where their number depends on
the input, as unbind's): its ``forward`` returns one array per name, ``apply`` returns one tensor
per name, and the engine calls ``backward`` once, after every consumer of every output has contributed,
with a dict of upstream gradients by output name; an output that no path from the loss reached gets
``None`` (not zeros, so that the op can skip its share of the work: an LSTM's c when only h is used, an
attention's weights). (``inputs``, on an op in a graph, is the tuple of its input tensors.)
"""

from __future__ import annotations

from glassnet.autograd import grad_mode, hooks
from glassnet.autograd.formula import Formula

__all__ = ["Function", "op_function"]


class Function:
    """Base class of every differentiable op. Subclasses set ``name``, ``formula``, ``derivative``."""

    name = "op"
    formula = Formula("")
    derivative = Formula("")
    symbol: str | None = None
    input_names: tuple = ()  # optional: backward may then return gradients by name
    output_names: tuple = ()  # several outputs by name; empty: one output

    def __init_subclass__(cls, **kwargs):
        """Writes the op's math at the head of its docstring, from its ``formula`` and ``derivative``."""
        super().__init_subclass__(**kwargs)
        for attribute in ("formula", "derivative"):
            if attribute in cls.__dict__ and not isinstance(cls.__dict__[attribute], Formula):
                raise TypeError(
                    f"op {cls.__name__}: {attribute} must be a Formula (LaTeX with #slots), got "
                    f"{cls.__dict__[attribute]!r}; see glassnet.autograd.formula"
                )
        if "formula" in cls.__dict__ or "derivative" in cls.__dict__:
            math = f"``{cls.name}``: {cls.formula.text()};  {cls.derivative.text()}."
            cls.__doc__ = f"{math}\n\n{cls.__doc__}" if cls.__doc__ else math

    def __init__(self, **params):
        # Hyperparameters of the op (axis, slope, ...), kept by name so that traces can print them.
        self.params = params
        self.saved: dict | None = {}
        self.inputs: tuple = ()
        self.needs_input_grad: tuple = ()

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def needs_grad(self, name: str) -> bool:
        """Whether the input called ``name`` (in ``input_names``) needs a gradient."""
        return self.needs_input_grad[self.input_names.index(name)]

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on ``inputs`` (tensors or constants) and return the output ``Tensor`` (a tuple of
        tensors, in ``output_names`` order, for an op with several outputs)."""
        from glassnet.autograd.tensor import Tensor  # noqa: PLC0415 - tensor.py imports this module

        if cls.input_names and len(inputs) != len(cls.input_names):
            raise TypeError(
                f"{cls.name} takes {len(cls.input_names)} inputs ({', '.join(cls.input_names)}), "
                f"got {len(inputs)}"
            )
        fn = cls(**params)
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        record = grad_mode._enabled and any(needs)
        fn.needs_input_grad = needs if record else (False,) * len(inputs)
        result = fn.forward(*arrays)
        if fn.output_names:  # the class's, or the instance's where forward names them (unbind)
            if not isinstance(result, tuple) or len(result) != len(fn.output_names):
                raise TypeError(
                    f"{cls.name}.forward must return {len(fn.output_names)} arrays "
                    f"({', '.join(fn.output_names)}), got {type(result).__name__}"
                )
            out = tuple(Tensor._from_op(a, fn if record else None, slot) for slot, a in enumerate(result))
        else:
            out = Tensor._from_op(result, fn if record else None)
        if record:
            fn.inputs = inputs
        else:
            fn.saved = None
        if hooks.listeners:
            for listener in hooks.listeners:
                listener.on_forward(fn, inputs, out)
        return out

    def release(self) -> None:
        """Free what forward saved; a second backward through this op then raises a clear error."""
        self.saved = None

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({params})"


def op_function(op):
    """Decorator for the function that runs ``op`` on tensors: its docstring opens with the op's math.

    Example:
        >>> from glassnet.ops.activation import sigmoid
        >>> sigmoid.__doc__.splitlines()[0]
        '1 / (1 + e^(-x));  dy/dx = y(1 - y)  (the op ``Sigmoid``).'
    """

    def decorate(function):
        math = f"{op.formula.text()};  {op.derivative.text()}  (the op ``{op.__name__}``)."
        function.__doc__ = f"{math}\n\n{function.__doc__}" if function.__doc__ else math
        return function

    return decorate
