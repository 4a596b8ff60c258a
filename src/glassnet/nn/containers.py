"""Containers: ``Sequential`` (a list of layers, each feeding the next), and PyTorch's ``ModuleList`` and
``ModuleDict``, which only hold modules (registered, so their parameters are the owner's) and leave the
wiring to the owner's ``forward``."""

from __future__ import annotations

from glassnet.nn.module import Module, format_summary_table
from glassnet.nn.serialization import deserialize, serialize

__all__ = ["Sequential", "ModuleList", "ModuleDict", "call_with_mask"]


def call_with_mask(layer, x, mask=None, **kwargs) -> tuple:
    """``layer(x)`` and the mask of its output. A layer with ``compute_mask`` (Embedding(mask_zero=True),
    a recurrent layer returning sequences) hands its mask on to the next layer that takes one
    (``supports_masking``); any other layer ends it."""
    takes_mask = mask is not None and getattr(layer, "supports_masking", False)
    y = layer(x, mask=mask, **kwargs) if takes_mask else layer(x, **kwargs)
    return y, layer.compute_mask(x, mask) if hasattr(layer, "compute_mask") else None


class Sequential(Module):
    """Layers applied in order: ``Sequential([Dense(3, activation="sigmoid"), Dense(1)], input_shape=(4,))``.

    ``dtype`` (e.g. "float64") is given to every layer that has none of its own. With ``input_shape``
    (without the batch axis) the model is built at once, so ``summary()`` works before
    any data is seen; without it, it is built on the first call. Children are named "0", "1", ... in
    ``state_dict()``, as in PyTorch.

    Example:
        >>> from glassnet import nn
        >>> model = nn.Sequential([nn.Dense(3, activation="sigmoid"), nn.Dense(1)], input_shape=(4,))
        >>> model.count_params()
        19
    """

    def __init__(self, layers=None, input_shape=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.layers: list = []
        for layer in layers or []:
            self.add(layer)
        if input_shape is not None:
            self.build((None,) + tuple(input_shape))

    def add(self, layer: Module) -> None:
        """Append a layer (builds it at once if the model is already built)."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.add expects a layer (nn.Module), got {layer!r}")
        setattr(self, str(len(self.layers)), layer)
        self.layers.append(layer)
        if self.built:
            self._build_layer(layer, self.compute_output_shape(self.input_shape, upto=len(self.layers) - 1))

    def _build_layer(self, layer: Module, shape) -> tuple:
        if not layer.built:
            if self.dtype is not None and layer.dtype is None:
                layer.dtype = self.dtype  # Sequential(..., dtype="float64") builds its layers in float64
            layer.build(shape)
        return layer.compute_output_shape(shape)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = self._build_layer(layer, shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape, upto: int | None = None):
        shape = tuple(input_shape)
        for layer in self.layers[:upto]:
            shape = layer.compute_output_shape(shape)
        return shape

    def forward(self, x, mask=None):
        for layer in self.layers:
            x, mask = call_with_mask(layer, x, mask)
        return x

    def get_config(self):
        config = {**super().get_config(), "layers": [serialize(layer) for layer in self.layers]}
        if self.built:
            config["input_shape"] = list(self.input_shape[1:])
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layers = [deserialize(layer, custom_objects) for layer in config.pop("layers")]
        return cls(layers, **config)

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def summary_rows(self) -> list:
        """One row per layer: (name, type, output shape, parameter count, trainable count)."""
        if not self.built:
            raise RuntimeError(
                f"summary() of '{self.name}' needs the input shape: give input_shape= to "
                "Sequential, or call the model once on data"
            )
        rows, shape = [], self.input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
            parameters = layer.parameters()
            trainable = sum(p.size for p in parameters if p.requires_grad)
            rows.append((layer.name, type(layer).__name__, shape, sum(p.size for p in parameters), trainable))
        return rows

    def format_summary(self, explain: bool = False) -> str:
        """The summary table as text (what ``summary()`` prints); with ``explain`` each layer is followed
        by how its output shape and parameter count follow from its input (the size formula, with
        numbers)."""
        rows = self.summary_rows()
        notes = None
        if explain:
            inputs = [self.input_shape] + [row[2] for row in rows[:-1]]
            notes = [layer.explain_shape(shape) for layer, shape in zip(self.layers, inputs)]
        return format_summary_table(self.name, rows, notes)


def _check_module(value, who: str) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{who} holds modules (nn.Module), got {value!r}")
    return value


class _Holder(Module):
    """A container that is not called: its owner's ``forward`` uses the modules it holds."""

    def forward(self, *args, **kwargs):
        raise TypeError(
            f"{type(self).__name__} '{self.name}' only holds modules; call them from your forward(), "
            "e.g. for layer in self.layers: x = layer(x)"
        )

    def __len__(self) -> int:
        return len(self._modules)


class ModuleList(_Holder):
    """A list of modules that a model owns, as PyTorch's ``nn.ModuleList``: their parameters appear in the
    model's ``parameters()`` and ``state_dict()`` (as "blocks.0.weight", ...), which a plain Python list
    would hide.

    Example:
        >>> import glassnet as gn
        >>> from glassnet import nn
        >>> class Tower(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.blocks = nn.ModuleList([nn.Dense(4, activation="relu") for _ in range(3)])
        ...     def forward(self, x):
        ...         for block in self.blocks:
        ...             x = block(x)
        ...         return x
        >>> tower = Tower()
        >>> tower(gn.ones(2, 4)).shape, len(tower.parameters())
        ((2, 4), 6)
    """

    def __init__(self, modules=None, name=None):
        super().__init__(name=name)
        self.extend(modules or [])

    def _items(self) -> list:
        return list(self._modules.values())

    def _renumber(self, items: list) -> None:
        self._modules.clear()
        for index, item in enumerate(items):
            self._modules[str(index)] = _check_module(item, f"ModuleList '{self.name}'")

    def append(self, module: Module) -> ModuleList:
        self._modules[str(len(self))] = _check_module(module, f"ModuleList '{self.name}'")
        return self

    def extend(self, modules) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = self._items()
        items.insert(index, module)
        self._renumber(items)

    def __getitem__(self, index):
        items = self._items()
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[self._position(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        items = self._items()
        items[self._position(index)] = module
        self._renumber(items)

    def __delitem__(self, index) -> None:
        items = self._items()
        del items[index if isinstance(index, slice) else self._position(index)]
        self._renumber(items)

    def _position(self, index: int) -> int:
        if not -len(self) <= index < len(self):
            raise IndexError(
                f"ModuleList '{self.name}' has {len(self)} modules; index {index} is out of range"
            )
        return index % len(self)

    def __iter__(self):
        return iter(self._items())

    def get_config(self):
        return {**super().get_config(), "modules": [serialize(module) for module in self]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        modules = [deserialize(module, custom_objects) for module in config.pop("modules")]
        return cls(modules, **config)


class ModuleDict(_Holder):
    """Modules by name, as PyTorch's ``nn.ModuleDict``: registered under their keys, so the state dict
    reads "heads.digit.weight". Keys are strings without dots; the order of insertion is kept.

    Example:
        >>> from glassnet import nn
        >>> heads = nn.ModuleDict({"digit": nn.Dense(10), "size": nn.Dense(1)})
        >>> list(heads), "size" in heads
        (['digit', 'size'], True)
    """

    def __init__(self, modules=None, name=None):
        super().__init__(name=name)
        self.update(modules or {})

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict '{self.name}': keys are non-empty strings without dots, got {key!r}")
        self._modules[key] = _check_module(module, f"ModuleDict '{self.name}'")

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict '{self.name}' has no module {key!r}; it has {list(self._modules)}")
        return self._modules[key]

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - the same clear KeyError for a missing key
        del self._modules[key]

    def __contains__(self, key) -> bool:
        return key in self._modules

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        """Add (or replace) modules from a dict or from (key, module) pairs."""
        for key, module in modules.items() if hasattr(modules, "items") else modules:
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self[key]
        del self._modules[key]
        return module

    def get_config(self):
        return {**super().get_config(), "modules": {key: serialize(module) for key, module in self.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        modules = {key: deserialize(module, custom_objects) for key, module in config.pop("modules").items()}
        return cls(modules, **config)
