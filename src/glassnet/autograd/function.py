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
"""

from __future__ import annotations

from glassnet.autograd import grad_mode, hooks
from glassnet.autograd.formula import Formula

__all__ = ["Function"]


class Function:
    """Base class of every differentiable op. Subclasses set ``name``, ``formula``, ``derivative``."""

    name = "op"
    formula = Formula("")
    derivative = Formula("")
    symbol: str | None = None

    def __init_subclass__(cls, **kwargs):
        """Writes the op's math at the head of its docstring, from its ``formula`` and ``derivative``."""
        super().__init_subclass__(**kwargs)
        for attribute in ("formula", "derivative"):
            if isinstance(cls.__dict__.get(attribute), str):
                setattr(cls, attribute, Formula(cls.__dict__[attribute]))
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

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on ``inputs`` (tensors or constants) and return the output ``Tensor``."""
        from glassnet.autograd.tensor import Tensor  # noqa: PLC0415 - tensor.py imports this module

        fn = cls(**params)
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        record = grad_mode._enabled and any(needs)
        fn.needs_input_grad = needs if record else (False,) * len(inputs)
        out = Tensor._from_op(fn.forward(*arrays), fn if record else None)
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
