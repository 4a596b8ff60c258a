"""``Sequential``: a list of layers, each feeding the next."""

from __future__ import annotations

from glassnet.nn.module import Module, format_summary_table
from glassnet.nn.serialization import deserialize, serialize

__all__ = ["Sequential"]


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
        # A layer with compute_mask (Embedding(mask_zero=True), a recurrent layer returning sequences)
        # hands its mask to the next layer that takes one (supports_masking); any other layer ends it.
        for layer in self.layers:
            takes_mask = mask is not None and getattr(layer, "supports_masking", False)
            y = layer(x, mask=mask) if takes_mask else layer(x)
            mask = layer.compute_mask(x, mask) if hasattr(layer, "compute_mask") else None
            x = y
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
