"""Transformer blocks (Vaswani et al., 2017) as PyTorch's ``nn.TransformerEncoderLayer`` and
``nn.TransformerDecoderLayer`` compute them, batch first, and their stacks.

An encoder layer is self-attention then a position-wise feed-forward network, each wrapped in a residual
connection and a layer normalization. Two placements of the normalization:

    post-norm (norm_first=False, the paper's and PyTorch's default):
        x = LN1(x + SA(x));            x = LN2(x + FF(x))
    pre-norm (norm_first=True, GPT-2's; trains deep stacks without warm-up tricks):
        x = x + SA(LN1(x));            x = x + FF(LN2(x))

    FF(x) = W2 dropout(f(x W1 + b1)) + b2,   f = ReLU or GELU;  each sublayer's output passes a dropout.

A decoder layer puts cross-attention to the encoder's output (the "memory") between the two:
x = LN2(x + CA(x, memory)) (post-norm) or x = x + CA(LN2(x), memory) (pre-norm), then LN3 around FF.
"""

from __future__ import annotations

from glassnet.autograd import Tensor, tensor
from glassnet.nn import activations
from glassnet.nn.containers import ModuleList
from glassnet.nn.layers.attention import MultiHeadAttention
from glassnet.nn.layers.dense import Dense
from glassnet.nn.layers.normalization import LayerNorm
from glassnet.nn.layers.regularization import Dropout
from glassnet.nn.module import Module
from glassnet.nn.serialization import deserialize, serialize
from glassnet.nn.symbolic import is_symbolic

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder"]

ACTIVATIONS = ("relu", "gelu")


class _Block(Module):
    """What the encoder and decoder layers share: the config, the feed-forward sublayer, the checks."""

    norms = ()  # the names of the layer norms, in order

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
        norm_first: bool = False,
        bias: bool = True,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        kind = type(self).__name__
        for label, value in (("d_model", d_model), ("nhead", nhead), ("dim_feedforward", dim_feedforward)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{kind}: {label} must be a positive integer, got {value!r}")
        if d_model % nhead:
            raise ValueError(f"{kind} '{self.name}': d_model {d_model} is not divisible by nhead {nhead}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"{kind}: activation must be one of {ACTIVATIONS}, got {activation!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"{kind}: dropout must be in [0, 1), got {dropout}")
        self.d_model, self.nhead, self.dim_feedforward = d_model, nhead, dim_feedforward
        self.dropout_rate, self.activation_name = float(dropout), activation
        self.layer_norm_eps, self.norm_first, self.bias = float(layer_norm_eps), bool(norm_first), bool(bias)
        self.linear1 = Dense(dim_feedforward, use_bias=bias, dtype=dtype)
        self.activation = activations.get(activation)
        self.linear2 = Dense(d_model, use_bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        for k, norm in enumerate(self.norms, start=1):
            setattr(self, norm, LayerNorm(eps=layer_norm_eps, bias=bias, dtype=dtype))
            setattr(self, f"dropout{k}", Dropout(dropout))

    def _attention(self, **options):
        return MultiHeadAttention(self.nhead, self.d_model, dropout=self.dropout_rate, use_bias=self.bias,
                                  dtype=self.dtype, **options)  # fmt: skip

    def build(self, input_shape):
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] != self.d_model:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects inputs (N, L, d_model={self.d_model}), "
                f"got {input_shape}"
            )
        shape = tuple(input_shape)
        for module in self.children():
            if not module.built:
                if self.dtype is not None and module.dtype is None:
                    module.dtype = self.dtype
                module.build((None, None, self.dim_feedforward) if module is self.linear2 else shape)
        super().build(input_shape)

    def _check(self, x, label="input") -> None:
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {label} (N, L, d_model={self.d_model}), "
                f"got shape {x.shape}"
            )

    def _sublayer(self, x, k: int, sublayer):
        """The residual connection around ``sublayer`` with the k-th norm, placed by ``norm_first``."""
        norm, drop = getattr(self, self.norms[k]), getattr(self, f"dropout{k + 1}")
        if self.norm_first:
            return x + drop(sublayer(norm(x)))
        return norm(x + drop(sublayer(x)))

    def _ff(self, x):
        return self.linear2(self.dropout(self.activation(self.linear1(x))))

    def get_config(self):
        return {
            **super().get_config(),
            "d_model": self.d_model,
            "nhead": self.nhead,
            "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout_rate,
            "activation": self.activation_name,
            "layer_norm_eps": self.layer_norm_eps,
            "norm_first": self.norm_first,
            "bias": self.bias,
        }

    def extra_repr(self):
        placement = "pre-norm" if self.norm_first else "post-norm"
        return f"d_model={self.d_model}, nhead={self.nhead}, {placement}, activation={self.activation_name!r}"


class TransformerEncoderLayer(_Block):
    """Self-attention and a feed-forward network, each with a residual connection and a layer norm
    (post-norm by default, pre-norm with ``norm_first=True``; the module docstring has both).

    Args (PyTorch's names and defaults):
        d_model: the width E of the tokens; divisible by ``nhead``.
        nhead: the number of attention heads.
        dim_feedforward: the hidden width of the feed-forward network (2048).
        dropout: after attention weights, after each sublayer, inside the feed-forward network (0.1).
        activation: "relu" (default) or "gelu".
        layer_norm_eps: ε of the layer norms (1e-5).
        norm_first: pre-norm (True) or post-norm (False, default).
        bias: biases in the linear layers and the attention's projections.

    Call: ``layer(x, mask=None, key_padding_mask=None, is_causal=False, need_weights=False)``; ``mask`` as
    ``MultiHeadAttention``'s ``attn_mask`` (PyTorch's polarity: True = may not attend); ``need_weights``
    returns (output, the attention weights of each head (N, heads, L, L)).

    Shape:
        (N, L, d_model) -> (N, L, d_model)  (batch first, as PyTorch's ``batch_first=True``).

    Example:
        >>> import glassnet as gn
        >>> TransformerEncoderLayer(8, 2, dim_feedforward=16)(gn.ones(2, 3, 8)).shape
        (2, 3, 8)
    """

    norms = ("norm1", "norm2")
    _attention_names = ("self_attn",)

    def __init__(self, d_model: int, nhead: int, *args, **kwargs):
        super().__init__(d_model, nhead, *args, **kwargs)
        self.self_attn = self._attention()

    def forward(
        self,
        x,
        mask=None,
        key_padding_mask=None,
        is_causal: bool = False,
        cache=None,
        need_weights: bool = False,
    ):
        """``cache``: a dict that keeps this layer's keys and values across calls (generation).
        ``need_weights``: also return the self-attention's weights per head, (N, heads, L, L)."""
        self._check(x)
        kept = []

        def attend(h):
            out, weights = self.self_attn(h, attn_mask=mask, key_padding_mask=key_padding_mask,
                                          is_causal=is_causal, cache=cache, need_weights=True,
                                          average_attn_weights=False)  # fmt: skip
            kept.append(weights)
            return out

        x = self._sublayer(x, 0, attend)
        x = self._sublayer(x, 1, self._ff)
        return (x, kept[0]) if need_weights else x


def _several(input_shape) -> bool:
    return isinstance(input_shape, list) and bool(input_shape) and isinstance(input_shape[0], (list, tuple))


def _target(input_shape):
    """The target's shape of a decoder's input shape (its own, or [target's, memory's])."""
    return input_shape[0] if _several(input_shape) else input_shape


def _two_inputs_build(self, input_shape):
    _Block.build(self, _target(input_shape))
    if _several(input_shape):
        self.input_shape = [tuple(shape) for shape in input_shape]


class _TwoInputs:
    """A decoder's call on one list [x, memory] (a functional Model's, or an exported file's inputs)."""

    def __call__(self, x, *args, **kwargs):
        if isinstance(x, (list, tuple)) and len(x) == 2 and not args and not is_symbolic(x):
            x = [item if isinstance(item, Tensor) else tensor(item) for item in x]
            if not self.built:
                self.build([(None,) + tuple(item.shape[1:]) for item in x])
            return self.forward(x, **kwargs)
        return super().__call__(x, *args, **kwargs)


def _pair(layer, x, memory):
    """(x, memory) from ``layer(x, memory)`` or ``layer([x, memory])``."""
    if memory is None and isinstance(x, (list, tuple)) and len(x) == 2:
        return x[0], x[1]
    if memory is None:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' needs the encoder's output: call it as "
                         "layer(x, memory) or layer([x, memory])")
    return x, memory


class TransformerDecoderLayer(_TwoInputs, _Block):
    """Masked self-attention, cross-attention to the encoder's output ``memory``, and a feed-forward
    network, each with a residual connection and a layer norm (post- or pre-norm, as the encoder layer).

    Args: as ``TransformerEncoderLayer``.

    Call: ``layer(x, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False)``: masks in PyTorch's polarity. ``layer([x, memory])``
    (one list, as a functional ``Model`` calls a layer of two inputs) is the same call.

    Shape:
        x (N, L, d_model), memory (N, S, d_model) -> (N, L, d_model).

    Example:
        >>> import glassnet as gn
        >>> TransformerDecoderLayer(8, 2, dim_feedforward=16)(gn.ones(2, 3, 8), gn.ones(2, 5, 8)).shape
        (2, 3, 8)
    """

    norms = ("norm1", "norm2", "norm3")
    _attention_names = ("self_attn", "multihead_attn")

    def __init__(self, d_model: int, nhead: int, *args, **kwargs):
        super().__init__(d_model, nhead, *args, **kwargs)
        self.self_attn = self._attention()
        self.multihead_attn = self._attention()

    build = _two_inputs_build

    def compute_output_shape(self, input_shape):
        return tuple(_target(input_shape))

    def forward(
        self,
        x,
        memory=None,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal: bool = False,
    ):
        x, memory = _pair(self, x, memory)
        self._check(x)
        self._check(memory, "memory")

        def attend(h):
            return self.self_attn(h, attn_mask=tgt_mask, key_padding_mask=tgt_key_padding_mask,
                                  is_causal=tgt_is_causal)  # fmt: skip

        def cross(h):
            return self.multihead_attn(h, memory, memory, attn_mask=memory_mask,
                                       key_padding_mask=memory_key_padding_mask)  # fmt: skip

        x = self._sublayer(x, 0, attend)
        x = self._sublayer(x, 1, cross)
        return self._sublayer(x, 2, self._ff)


class _Stack(Module):
    """N copies of a layer's config (each with its own weights), and an optional final layer norm."""

    def __init__(self, layer, num_layers: int, norm=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        kind = type(self).__name__
        if not isinstance(layer, self.layer_type):
            raise TypeError(f"{kind} stacks {self.layer_type.__name__}s, got {type(layer).__name__}")
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"{kind}: num_layers must be a positive integer, got {num_layers!r}")
        config = {key: value for key, value in layer.get_config().items() if key != "name"}
        self.layers = ModuleList([layer] + [type(layer)(**config) for _ in range(num_layers - 1)])
        self.num_layers = num_layers
        self.norm = norm
        self.layer_config = config

    def build(self, input_shape):
        for module in [*self.layers, *([self.norm] if self.norm is not None else [])]:
            if not module.built:
                if self.dtype is not None and module.dtype is None:
                    module.dtype = self.dtype
                module.build(input_shape)
        super().build(input_shape)

    def _finish(self, x):
        return x if self.norm is None else self.norm(x)

    def get_config(self):
        return {
            **super().get_config(),
            "layer": serialize(self.layers[0]),
            "num_layers": self.num_layers,
            "norm": serialize(self.norm),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        config["norm"] = deserialize(config["norm"], custom_objects) if config["norm"] else None
        return cls(**config)


class TransformerEncoder(_Stack):
    """``num_layers`` encoder layers in sequence (copies of ``layer``'s config, each with its own weights,
    where PyTorch deep-copies the weights too) and an optional final ``norm``.

    Shape:
        (N, L, d_model) -> (N, L, d_model).

    Example:
        >>> import glassnet as gn
        >>> block = TransformerEncoderLayer(8, 2, dim_feedforward=16)
        >>> TransformerEncoder(block, 3)(gn.ones(2, 3, 8)).shape
        (2, 3, 8)
    """

    layer_type = TransformerEncoderLayer

    def forward(self, x, mask=None, key_padding_mask=None, is_causal: bool = False):
        for layer in self.layers:
            x = layer(x, mask=mask, key_padding_mask=key_padding_mask, is_causal=is_causal)
        return self._finish(x)


class TransformerDecoder(_TwoInputs, _Stack):
    """``num_layers`` decoder layers in sequence, each attending to the same ``memory``, and an optional
    final ``norm``.

    Shape:
        x (N, L, d_model), memory (N, S, d_model) -> (N, L, d_model).
    """

    layer_type = TransformerDecoderLayer

    def build(self, input_shape):
        super().build(_target(input_shape))
        if _several(input_shape):
            self.input_shape = [tuple(shape) for shape in input_shape]

    def compute_output_shape(self, input_shape):
        return tuple(_target(input_shape))

    def forward(self, x, memory=None, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False):  # fmt: skip
        x, memory = _pair(self, x, memory)
        for layer in self.layers:
            x = layer(
                x,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=tgt_is_causal,
            )
        return self._finish(x)
