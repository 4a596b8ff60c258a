"""The Keras functional API: ``Input``, layers called on symbolic tensors, and ``Model(inputs, outputs)``.

A ``Sequential`` is a chain; many networks are not: a residual block adds its input back, a model may read
an image and a table of numbers, or answer two questions at once. With the functional API the network is
written as the data flows::

    image = nn.Input((1, 28, 28), name="image")
    extra = nn.Input((4,), name="extra")
    h = nn.Flatten()(nn.Conv2D(8, 3, activation="relu")(image))
    h = nn.Concatenate()([h, nn.Dense(8)(extra)])
    model = nn.Model([image, extra], [nn.Dense(10, name="digit")(h), nn.Dense(1, name="size")(h)])

Calling a layer on a symbolic tensor builds it and records the call (``nn.symbolic``); ``Model`` collects
the calls that lead from ``inputs`` to ``outputs`` (a directed acyclic graph of layers) and, on real data,
runs them in topological order, each layer after every layer it reads from. A layer called twice is one
layer with one set of weights (shared). Children are registered under their layer names, so the state
dict reads "digit.weight", "size.bias", ...
"""

from __future__ import annotations

from glassnet.autograd.engine import postorder
from glassnet.autograd.tensor import Tensor, tensor
from glassnet.nn.containers import call_with_mask
from glassnet.nn.module import Module, format_summary_table
from glassnet.nn.serialization import deserialize, serialize
from glassnet.nn.symbolic import Node, SymbolicTensor, is_symbolic

__all__ = ["Input", "InputLayer", "Model"]


class InputLayer(Module):
    """The layer behind ``nn.Input``: it holds the symbolic tensor ``output`` and passes data through.

    Args:
        shape: one example's shape, without the batch axis (an int for vectors).
        name: the input's name (default "input_layer", "input_layer_1", ...); ``fit`` and ``predict``
            accept a dict of arrays keyed by these names.
        dtype: the dtype of the data ("int64" for token ids); None for the model's float dtype.
    """

    def __init__(self, shape, name=None, dtype=None):
        super().__init__(name=name)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if any(not (d is None or (isinstance(d, int) and d > 0)) for d in shape):
            raise ValueError(
                f"Input '{self.name}': shape must be positive sizes (or None) without the batch axis, "
                f"got {shape}"
            )
        self.shape, self.data_dtype = shape, dtype
        node = Node(self, [], False, {})
        self._nodes = [node]
        self.output = SymbolicTensor((None,) + shape, node, 0, dtype)
        node.outputs = [self.output]
        super().build((None,) + shape)

    def forward(self, x):
        return x

    def get_config(self):
        return {"name": self.name, "shape": list(self.shape), "dtype": self.data_dtype}

    def extra_repr(self):
        return f"shape={self.shape}"


def Input(shape, name=None, dtype=None) -> SymbolicTensor:  # noqa: N802 - Keras's name
    """A symbolic input of one example's ``shape`` (no batch axis): the start of a functional model.

    Example:
        >>> from glassnet import nn
        >>> x = nn.Input((4,))
        >>> nn.Dense(3)(x).shape
        (None, 3)
    """
    return InputLayer(shape, name=name, dtype=dtype).output


def _as_list(value, what: str) -> tuple:
    """(list of symbolic tensors, whether a list was given)."""
    several = isinstance(value, (list, tuple))
    items = list(value) if several else [value]
    for item in items:
        if not isinstance(item, SymbolicTensor):
            raise TypeError(
                f"Model {what} must be symbolic tensors (from nn.Input and layers called on them), "
                f"got {item!r}"
            )
    if not items:
        raise ValueError(f"Model needs at least one of its {what}")
    return items, several


def _topological_order(outputs: list) -> list:
    """The nodes that ``outputs`` depend on, each after all the nodes it reads from."""

    def sources(node):
        return [source.node for source in node.inputs]

    return postorder([tensor_.node for tensor_ in outputs], sources)


class Model(Module):
    """A network given by its inputs and outputs (the functional API; see the module docstring).

    Args:
        inputs: a symbolic tensor from ``nn.Input``, or a list of them.
        outputs: a symbolic tensor (a layer's output), or a list of them.
        name: the model's name (default "model", "model_1", ...).

    Calling the model runs the graph: ``model(x)`` for one input, ``model([x1, x2])`` or
    ``model({"image": x1, "extra": x2})`` for several; the result is one tensor, or a list when
    ``outputs`` was a list. A model can itself be called on symbolic tensors, as a layer of a larger one.

    Example:
        >>> import glassnet as gn
        >>> from glassnet import nn
        >>> x = nn.Input((4,))
        >>> h = nn.Dense(3, activation="relu")(x)
        >>> model = nn.Model(x, nn.Add()([h, nn.Dense(3)(x)]))
        >>> model(gn.ones(2, 4)).shape, model.count_params()
        ((2, 3), 30)
    """

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        self.inputs, self._inputs_as_list = _as_list(inputs, "inputs")
        self.outputs, self._outputs_as_list = _as_list(outputs, "outputs")
        for item in self.inputs:
            if not isinstance(item.node.layer, InputLayer):
                raise ValueError(
                    f"Model '{self.name}': inputs must come from nn.Input, got {item!r} (a layer's output)"
                )
        order = _topological_order(self.outputs)
        given = {id(item.node) for item in self.inputs}
        for node in order:
            if not node.inputs and id(node) not in given:
                raise ValueError(
                    f"Model '{self.name}': the outputs depend on the input '{node.layer.name}', which is not "
                    f"among the model's inputs ({', '.join(item.node.layer.name for item in self.inputs)})"
                )
        self.nodes = [node for node in order if node.inputs]  # what runs, in order; inputs hold the data
        self.layers, known = [], set()
        for layer in [item.node.layer for item in self.inputs] + [node.layer for node in self.nodes]:
            if id(layer) in known:
                continue
            known.add(id(layer))
            if layer.name in self._modules:
                raise ValueError(
                    f"Model '{self.name}': two different layers are named '{layer.name}'; "
                    "layer names in a model must be unique (give name=)"
                )
            self.layers.append(layer)
            self._modules[layer.name] = layer  # not setattr: a layer named "fit" must not hide a method
        self.input_names = [item.node.layer.name for item in self.inputs]
        self.output_names = _unique([item.node.layer.name for item in self.outputs])
        self._calls, counts = {}, {}  # which call of its layer each node is, counted in this model
        for node in self.nodes:
            self._calls[id(node)] = counts.get(id(node.layer), 0)
            counts[id(node.layer)] = self._calls[id(node)] + 1
        shapes = [item.shape for item in self.inputs]
        self.input_shape = shapes if self._inputs_as_list else shapes[0]
        self.built = True

    def _reference(self, tensor_: SymbolicTensor) -> list:
        """[layer name, call, output]: which call of which layer made ``tensor_`` (calls counted in this
        model, so a layer shared with another model is numbered the same after saving and loading)."""
        return [tensor_.node.layer.name, self._calls.get(id(tensor_.node), 0), tensor_.index]

    def build(self, input_shape) -> None:
        """A functional model is built when it is made: every layer was built by its first call."""

    def __call__(self, x, **kwargs):
        if is_symbolic(x):
            return super().__call__(x, **kwargs)  # used as a layer of a larger functional model
        return self.forward(x)

    def _feed(self, x) -> list:
        """The input tensors, in the order of ``inputs``, from one array, a list or a dict by name."""
        if isinstance(x, dict):
            unknown = sorted(set(x) - set(self.input_names))
            missing = [name for name in self.input_names if name not in x]
            if unknown or missing:
                raise ValueError(
                    f"Model '{self.name}' takes inputs named {self.input_names}; missing {missing}, "
                    f"unknown {unknown}"
                )
            values = [x[name] for name in self.input_names]
        elif isinstance(x, (list, tuple)) and (len(self.inputs) > 1 or self._inputs_as_list):
            values = list(x)
        else:
            values = [x]
        if len(values) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' takes {len(self.inputs)} inputs ({', '.join(self.input_names)}), "
                f"got {len(values)}"
            )
        tensors = []
        for name, expected, value in zip(self.input_names, self.inputs, values):
            value = value if isinstance(value, Tensor) else tensor(value)
            shape = tuple(value.shape)
            if len(shape) != len(expected.shape) or any(
                want is not None and want != got for want, got in zip(expected.shape[1:], shape[1:])
            ):
                raise ValueError(
                    f"Model '{self.name}': input '{name}' expects shape {expected.shape}, got {shape}"
                )
            tensors.append(value)
        return tensors

    def forward(self, x):
        values = {id(item): value for item, value in zip(self.inputs, self._feed(x))}
        masks = {}  # the padding mask of a tensor, as Sequential hands it on (Embedding(mask_zero=True))
        for node in self.nodes:
            arguments = [values[id(source)] for source in node.inputs]
            if node.as_list:
                result, mask = node.layer(arguments, **node.kwargs), None
            else:
                mask = masks.get(id(node.inputs[0]))
                result, mask = call_with_mask(node.layer, arguments[0], mask, **node.kwargs)
            results = result if len(node.outputs) > 1 else [result]
            values.update((id(out), value) for out, value in zip(node.outputs, results))
            if mask is not None:
                masks[id(node.outputs[0])] = mask
        outputs = [values[id(item)] for item in self.outputs]
        return outputs if self._outputs_as_list else outputs[0]

    def compute_output_shape(self, input_shape):
        shapes = list(input_shape) if self._inputs_as_list else [input_shape]
        known = {id(item): tuple(shape) for item, shape in zip(self.inputs, shapes)}
        for node in self.nodes:
            given = [known[id(source)] for source in node.inputs]
            result = node.layer.compute_output_shape(given if node.as_list else given[0])
            results = result if len(node.outputs) > 1 else [result]
            known.update((id(out), shape) for out, shape in zip(node.outputs, results))
        outputs = [known[id(item)] for item in self.outputs]
        return outputs if self._outputs_as_list else outputs[0]

    # --- summary ---
    def _first_node(self, layer) -> Node:
        if isinstance(layer, InputLayer):
            return layer._nodes[0]
        return next(node for node in self.nodes if node.layer is layer)

    def summary_rows(self) -> list:
        """One row per layer, in the order they run: (name, type, output shape of its first call,
        parameters, trainable parameters)."""
        rows = []
        for layer in self.layers:
            parameters = layer.parameters()
            trainable = sum(p.size for p in parameters if p.requires_grad)
            shape = self._first_node(layer).outputs[0].shape
            rows.append((layer.name, type(layer).__name__, shape, sum(p.size for p in parameters), trainable))
        return rows

    def connections(self) -> list:
        """Per layer, the tensors it was called on, as Keras prints them: "dense[0][0], input_layer[0][0]"
        (layer name, which call of it, which output); a shared layer lists each call's."""
        text = []
        for layer in self.layers:
            calls = [node for node in self.nodes if node.layer is layer]
            text.append(", ".join(self._label(source) for node in calls for source in node.inputs))
        return text

    def _label(self, tensor_: SymbolicTensor) -> str:
        name, call, index = self._reference(tensor_)
        return f"{name}[{call}][{index}]"

    def format_summary(self, explain: bool = False) -> str:
        """The summary table with a "Connected to" column; with ``explain`` each layer is followed by how
        its output shape and parameter count follow from its (first call's) input."""
        notes = None
        if explain:
            notes = []
            for layer in self.layers:
                node = self._first_node(layer)
                if not node.inputs:
                    notes.append("the model's input")
                    continue
                shapes = [source.shape for source in node.inputs]
                notes.append(layer.explain_shape(shapes if node.as_list else shapes[0]))
        return format_summary_table(self.name, self.summary_rows(), notes, self.connections())

    # --- saving ---
    def get_config(self):
        """The layers' configs and the graph: each call (node) as the layer's name, the references
        [layer, call, output] of the tensors it reads, and its keyword arguments, in the order they run."""
        return {
            "name": self.name,
            "layers": [serialize(layer) for layer in self.layers],
            "nodes": [
                {
                    "layer": node.layer.name,
                    "inputs": [self._reference(source) for source in node.inputs],
                    "as_list": node.as_list,
                    "kwargs": node.kwargs,
                }
                for node in self.nodes
            ],
            "inputs": [self._reference(item) for item in self.inputs],
            "outputs": [self._reference(item) for item in self.outputs],
            "inputs_as_list": self._inputs_as_list,
            "outputs_as_list": self._outputs_as_list,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the layers and replay the calls in order (which builds each layer for its input)."""
        layers = {}
        for entry in config["layers"]:
            layer = deserialize(entry, custom_objects)
            layers[layer.name] = layer
        tensors, calls = {}, {}
        for name, layer in layers.items():
            if isinstance(layer, InputLayer):
                tensors[(name, 0, 0)] = layer.output
        for node in config["nodes"]:
            name = node["layer"]
            sources = [tensors[tuple(reference)] for reference in node["inputs"]]
            result = layers[name](sources if node["as_list"] else sources[0], **node["kwargs"])
            call = calls.get(name, 0)
            calls[name] = call + 1
            for index, out in enumerate(result if isinstance(result, list) else [result]):
                tensors[(name, call, index)] = out
        inputs = [tensors[tuple(reference)] for reference in config["inputs"]]
        outputs = [tensors[tuple(reference)] for reference in config["outputs"]]
        return cls(
            inputs if config.get("inputs_as_list", True) else inputs[0],
            outputs if config.get("outputs_as_list", True) else outputs[0],
            name=config["name"],
        )


def _unique(names: list) -> list:
    """``names`` with repeats made distinct ("dense", "dense_1"), for outputs of one layer."""
    seen, result = {}, []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        result.append(name if count == 0 else f"{name}_{count}")
    return result
