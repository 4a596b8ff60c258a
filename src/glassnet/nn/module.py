"""``Module`` and ``Parameter``: the building blocks of networks (layer 3 of glassnet).

A module splits configuration, building and computing, as Keras layers do:

- ``__init__`` stores hyperparameters (units, rate, ...);
- ``build(input_shape)`` creates the parameters once the input shape is known (``add_weight``) and checks
  shapes there, with errors that name the layer and both shapes;
- ``forward(x)`` (PyTorch's word; ``call(x)``, Keras's, works too) computes with ops, never with a
  hand-written gradient.

Parameters and sub-modules assigned as attributes are registered automatically, as in PyTorch, so
``parameters()``, ``state_dict()``, ``train()``/``eval()`` and freezing (``trainable = False``) see them.
"""

from __future__ import annotations

import difflib
import functools
import html
import inspect
import re
from collections import OrderedDict

import numpy as np

from glassnet.autograd.tensor import Tensor, tensor
from glassnet.backend import as_dtype, get_default_dtype
from glassnet.nn import initializers, regularizers
from glassnet.nn.symbolic import call_symbolic, is_symbolic

__all__ = ["Module", "Parameter", "TRAINING"]

_name_counts: dict = {}

# Method name -> the function that implements it in a layer above nn: compile, fit, evaluate and predict
# (glassnet.train.model) and save (glassnet.io.model_file) fill it when they are imported.
TRAINING: dict = {}


class Parameter(Tensor):
    """A tensor that a module learns: requires a gradient unless frozen.

    Args:
        data: the initial array (kept, not copied).
        trainable: False freezes it (no gradient, the optimizer skips it).
        regularizer: an optional penalty (``nn.regularizers.L2(0.01)``) added by ``regularization_loss()``.
    """

    def __init__(self, data, trainable: bool = True, name: str | None = None, regularizer=None):
        super().__init__(data, requires_grad=trainable, name=name)
        self.regularizer = regularizer

    @property
    def trainable(self) -> bool:
        return self.requires_grad

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.requires_grad = bool(value)

    def __repr__(self) -> str:
        frozen = "" if self.requires_grad else ", trainable=False"
        return f"Parameter(name={self.name!r}, shape={self.shape}, dtype={self.dtype.name}{frozen})"


def _suggesting_keywords(init):
    """``init`` whose unexpected-keyword TypeError also names the closest argument it takes."""

    @functools.wraps(init)
    def checked(self, *args, **kwargs):
        try:
            return init(self, *args, **kwargs)
        except TypeError as error:
            message = str(error)
            found = re.fullmatch(r"(\S+)\(\) got an unexpected keyword argument '(\w+)'", message)
            if found is None or found.group(1) != init.__qualname__:
                raise
            taken = [
                name for name in inspect.signature(init).parameters if name not in ("self", "args", "kwargs")
            ]
            close = difflib.get_close_matches(found.group(2), taken, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"it takes: {', '.join(taken)}"
            raise TypeError(f"{message}; {hint}") from None

    return checked


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _unique_name(prefix: str) -> str:
    """Keras-style names: "dense", then "dense_1", "dense_2", ..."""
    count = _name_counts.get(prefix, 0)
    _name_counts[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


class Module:
    """Base class of layers and models.

    Example (PyTorch style):
        >>> import glassnet as gn
        >>> from glassnet import nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Dense(3, activation="relu")
        ...         self.out = nn.Dense(1)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x))
        >>> Net()(gn.ones(2, 4)).shape
        (2, 1)
    """

    def __init_subclass__(cls, **kwargs):
        """A subclass's constructor names the close match when given an argument it does not take:
        ``nn.Dense(3, activaton="relu")`` says "did you mean 'activation'?"."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:
            cls.__init__ = _suggesting_keywords(init)

    def __init__(self, name: str | None = None, dtype=None):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        self.name = name or _unique_name(_snake_case(type(self).__name__))
        self.training = True
        self.built = False
        self.input_shape = None
        self.dtype = as_dtype(dtype) if dtype is not None else None

    # --- registration ---
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"call super().__init__() in {type(self).__name__}.__init__ before assigning"
            )
        if name in self._buffers and not isinstance(value, (Parameter, Module)) and value is not None:
            self._buffers[name] = value  # a buffer stays one when updated (``self.running_mean *= 0.9``)
        else:
            for registry in (self._parameters, self._buffers, self._modules):
                registry.pop(name, None)
            if isinstance(value, Parameter):
                self._parameters[name] = value
            elif isinstance(value, Module):
                self._modules[name] = value
        object.__setattr__(self, name, value)

    def add_weight(
        self, name: str, shape, initializer="zeros", trainable: bool = True, regularizer=None
    ) -> Parameter:
        """Create a parameter ``name`` of ``shape`` drawn by ``initializer``, registered on this module."""
        init = initializers.get(initializer)
        data = init(tuple(shape), dtype=self.dtype or get_default_dtype())
        parameter = Parameter(
            data, trainable=trainable, name=f"{self.name}.{name}", regularizer=regularizers.get(regularizer)
        )
        setattr(self, name, parameter)
        return parameter

    def register_buffer(self, name: str, array) -> None:
        """Register state that is saved and loaded but not learned (running statistics)."""
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    # --- building and calling ---
    def build(self, input_shape) -> None:
        """Create parameters for inputs of ``input_shape`` (batch axis first, as None or a number)."""
        self.input_shape = None if input_shape is None else tuple(input_shape)  # None: a Graph
        self.built = True

    def compute_output_shape(self, input_shape) -> tuple:
        """The output shape for ``input_shape`` (batch axis included); the same shape by default."""
        return tuple(input_shape)

    def explain_shape(self, input_shape) -> str:
        """How the output shape and the parameter count follow from ``input_shape``, with the numbers
        (``summary(explain=True)`` prints it). This default covers layers that keep the shape."""
        count = self.count_params()
        params = f"; {count:,} parameters" if count else ""
        return f"same shape as the input{params}"

    def forward(self, *args, **kwargs):
        """Compute the output; override this (PyTorch style) or ``call`` (Keras style)."""
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward() or call()")

    def __call__(self, x, *args, **kwargs):
        if is_symbolic(x):  # the functional API: record the call in a graph (nn.Input, nn.Model)
            if args:
                raise TypeError(f"{self.name}: on symbolic inputs give further arguments by keyword")
            return call_symbolic(self, x, kwargs)
        if not isinstance(x, Tensor):
            x = tensor(x) if isinstance(x, (np.ndarray, list, tuple, float, int)) else x
        if not self.built:
            self.build((None,) + tuple(x.shape[1:]) if isinstance(x, Tensor) else None)
        return self.forward(x, *args, **kwargs)

    # --- traversal ---
    def children(self):
        return iter(self._modules.values())

    def named_modules(self, prefix: str = ""):
        """This module and all below it, with dotted names ("" for this one)."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix: str = ""):
        for module_name, module in self.named_modules(prefix):
            for name, parameter in module._parameters.items():
                yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self) -> list:
        """All parameters, frozen ones included (optimizers skip those)."""
        return [parameter for _, parameter in self.named_parameters()]

    def trainable_parameters(self) -> list:
        return [p for p in self.parameters() if p.requires_grad]

    def count_params(self) -> int:
        return sum(p.size for p in self.parameters())

    # --- summary ---
    def summary_rows(self) -> list:
        """One row per child module (and one for this module's own parameters, if any): (name, type,
        output shape or None where it is not known without data, parameter count, trainable count).
        ``Sequential`` gives every layer's output shape."""
        rows = [
            (name, type(child).__name__, None, child.count_params(), _trainable_count(child.parameters()))
            for name, child in self._modules.items()
        ]
        own = list(self._parameters.values())
        if own:
            rows.append((self.name, "own parameters", None, sum(p.size for p in own), _trainable_count(own)))
        return rows

    def format_summary(self, explain: bool = False) -> str:
        """The summary table as text (what ``summary()`` prints); ``explain`` (the size formula of each
        layer, with numbers) needs the layers' input shapes, which a ``Sequential`` knows."""
        if explain:
            raise ValueError(
                f"summary(explain=True) of '{self.name}' ({type(self).__name__}) needs each layer's input "
                "shape, which only a Sequential knows; call summary() without explain"
            )
        return format_summary_table(self.name, self.summary_rows())

    def summary(self, explain: bool = False, print_fn=print) -> Summary:
        """Print each layer's parameter count (and output shape, where known) and the totals; return the
        table too (a ``Summary``: a str that shows itself as the table)."""
        table = Summary(self.format_summary(explain))
        print_fn(table)
        return table

    def _repr_html_(self) -> str:
        """A notebook shows a model as its summary table."""
        try:
            text = self.format_summary()
        except (ValueError, RuntimeError):  # not built: no shapes to show yet
            text = repr(self)
        return f"<pre>{html.escape(text)}</pre>"

    # --- modes ---
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics in BatchNorm); returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off, running statistics in BatchNorm); returns self."""
        return self.train(False)

    @property
    def trainable(self) -> bool:
        """False when every parameter is frozen. Setting it freezes or unfreezes all of them."""
        parameters = self.parameters()
        return any(p.requires_grad for p in parameters) if parameters else True

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for parameter in self.parameters():
            parameter.trainable = value

    def zero_grad(self) -> None:
        for parameter in self.parameters():
            parameter.grad = None

    def regularization_loss(self):
        """The sum of all weight penalties (``weight_regularizer=``) as a scalar tensor; 0.0 if none."""
        total = 0.0
        for parameter in self.parameters():
            if parameter.regularizer is not None and parameter.requires_grad:
                total = parameter.regularizer(parameter) + total
        return total

    # --- state ---
    def state_dict(self) -> OrderedDict:
        """Copies of every parameter and buffer, by dotted name ("0.weight", "2.running_mean")."""
        state = OrderedDict()
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name, parameter in module._parameters.items():
                state[prefix + name] = parameter.data.copy()
            for name in module._buffers:
                state[prefix + name] = np.array(getattr(module, name), copy=True)
        return state

    def load_state_dict(self, state, strict: bool = True) -> None:
        """Copy values from ``state`` into this module's parameters and buffers, in place.

        Raises a clear error for missing or unexpected names (when ``strict``) and for shape mismatches.
        """
        own = self.state_dict()
        if not own and state:
            raise RuntimeError(
                f"{self.name} has no parameters yet: build it first (call it once on an "
                "input, or give input_shape=) and then load the state"
            )
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict for {self.name}: missing keys {missing}, unexpected keys {unexpected}"
            )
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name in list(module._parameters) + list(module._buffers):
                key = prefix + name
                if key not in state:
                    continue
                value = np.asarray(state[key].data if isinstance(state[key], Tensor) else state[key])
                target = getattr(module, name)
                target_array = target.data if isinstance(target, Tensor) else target
                if value.shape != target_array.shape:
                    raise ValueError(
                        f"load_state_dict: '{key}' has shape {target_array.shape} in "
                        f"{self.name} but {value.shape} in the state"
                    )
                if isinstance(target_array, np.ndarray):
                    np.copyto(target_array, value, casting="same_kind")
                else:
                    module.register_buffer(name, value.copy())

    def get_config(self) -> dict:
        """The constructor arguments that rebuild this module, as plain data (for saving and summaries).

        A subclass adds its own arguments; nested objects (an activation module, a regularizer) go through
        ``nn.serialization.serialize``. A module whose ``__init__`` takes other arguments overrides
        ``from_config`` too, or cannot be rebuilt from a file (its ``state_dict`` still can be saved).
        """
        config = {"name": self.name}
        if self.dtype is not None:
            config["dtype"] = self.dtype.name
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuild a module from ``get_config()``'s output (weights not included)."""
        return cls(**config)

    # --- training and saving, Keras's surface: each method calls its implementation in glassnet.train or
    # glassnet.io (found in ``TRAINING``), so that nn imports nothing from the layers above it ---
    loss = optimizer = None  # set by compile
    compiled_metrics = ()

    def compile(self, *args, **kwargs):
        return TRAINING["compile"](self, *args, **kwargs)

    def fit(self, *args, **kwargs):
        return TRAINING["fit"](self, *args, **kwargs)

    def evaluate(self, *args, **kwargs):
        return TRAINING["evaluate"](self, *args, **kwargs)

    def predict(self, *args, **kwargs):
        return TRAINING["predict"](self, *args, **kwargs)

    def save(self, path):
        return TRAINING["save"](self, path)

    def export_onnx(self, path, input_shape=None, **kwargs):
        """Write the model as an ONNX file (``glassnet.io.onnx.export_onnx``: evaluation mode, float32, a
        dynamic batch axis); ``input_shape`` (without the batch axis) for a model never built."""
        return TRAINING["export_onnx"](self, path, input_shape=input_shape, **kwargs)

    # --- weights in other layouts (glassnet.io.weights; the table of layouts is glassnet.io.layouts) ---
    def save_weights(self, path, layout: str = "glassnet"):
        """Write the weights to a safetensors file, with glassnet's names or (``layout="pytorch"``) the
        matching PyTorch modules' (``glassnet.io.weights``)."""
        return TRAINING["save_weights"](self, path, layout)

    def load_weights(self, path, layout: str | None = None, strict: bool = True):
        """Read weights from a safetensors file (or a Keras ``.keras`` file) into this built model."""
        return TRAINING["load_weights"](self, path, layout, strict)

    def get_weights(self) -> list:
        """The weights as Keras's ``get_weights()`` lists them: its order and shapes (NumPy arrays)."""
        return TRAINING["get_weights"](self)

    def set_weights(self, weights) -> None:
        """Copy a Keras ``get_weights()`` list (Keras's order and shapes) into this built model."""
        TRAINING["set_weights"](self, weights)

    def to_torch_state_dict(self):
        """The weights with the matching PyTorch modules' names and shapes (NumPy arrays)."""
        return TRAINING["to_torch_state_dict"](self)

    def load_torch_state_dict(self, state_dict, prefix: str = "", strict: bool = True) -> None:
        """Copy a PyTorch ``state_dict()`` of the matching module into this built module; ``prefix`` picks it
        out of a larger model's state dict ("encoder.layers.0.")."""
        TRAINING["load_torch_state_dict"](self, state_dict, prefix, strict)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside ``repr`` (``Dense(3, activation=relu)``)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in self._modules.items():
            child_lines = repr(child).split("\n")
            lines.append(f"  ({name}): " + "\n  ".join(child_lines))
        return "\n".join(lines) + "\n)" if len(lines) > 1 else lines[0] + ")"


def _trainable_count(parameters) -> int:
    return sum(p.size for p in parameters if p.requires_grad)


class Summary(str):
    """What ``summary()`` returns: the table as a string, shown as the table (not as a quoted string with
    \\n) at a prompt and in a notebook."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self)}</pre>"


def format_summary_table(
    title: str, rows: list, notes: list | None = None, connections: list | None = None
) -> str:
    """The Keras-style summary of ``rows`` (name, type, output shape or None, parameters, trainable):
    a column of output shapes where any is known; ``notes[i]``, when given, is printed under row i;
    ``connections[i]`` (a functional model's "Connected to": the tensors row i was called on) in a last
    column."""
    with_shapes = any(row[2] is not None for row in rows)
    header = ("Layer (type)",) + (("Output Shape",) if with_shapes else ()) + ("Param #",)
    body = [
        (f"{name} ({kind})",) + ((_format_shape(shape),) if with_shapes else ()) + (f"{count:,}",)
        for name, kind, shape, count, _ in rows
    ]
    if connections is not None:
        header += ("Connected to",)
        body = [row + (connected or "-",) for row, connected in zip(body, connections)]
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    count_column = len(header) - 1 - (connections is not None)
    fmt = "  ".join(f"{{:>{w}}}" if i == count_column else f"{{:<{w}}}" for i, w in enumerate(widths))
    out = [f'Model: "{title}"', line, fmt.format(*header).rstrip(), line]
    for number, row in enumerate(body):
        out.append(fmt.format(*row).rstrip())
        if notes is not None:
            out.append(f"    {notes[number]}")
    total, trainable = sum(r[3] for r in rows), sum(r[4] for r in rows)
    out += [
        line,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
    ]
    return "\n".join(out)


def _format_shape(shape) -> str:
    if shape is None:
        return "?"  # not known without data
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )
