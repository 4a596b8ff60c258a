"""Attention layers: multi-head attention (PyTorch's and Keras's layouts), and the position signals a
Transformer adds to its token vectors (the sinusoidal table of Vaswani et al., 2017, and a learned one).

The math of attention, and its backward, lives in ``glassnet.ops.attention``; these layers project, split
into heads, call the op, and merge the heads back.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_array_module, get_default_dtype
from glassnet.nn import initializers
from glassnet.nn.module import Module
from glassnet.nn.serialization import serialize
from glassnet.ops import shape
from glassnet.ops.attention import scaled_dot_product_attention
from glassnet.ops.linalg import linear

__all__ = ["MultiHeadAttention", "PositionalEncoding", "PositionEmbedding", "sinusoidal_table"]

CONVENTIONS = ("pytorch", "keras")


def _positive_int(layer: str, label: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{layer}: {label} must be a positive integer, got {value!r}")


class MultiHeadAttention(Module):
    """Multi-head attention: h heads attend each in its own projected subspace, their outputs joined and
    projected back.

        head_i = softmax(s (X_q W_i^Q)(X_k W_i^K)ᵀ + M) (X_v W_i^V),   s = 1/sqrt(d_k)
        y = [head_1, ..., head_h] W^O + b^O

    Self-attention is ``layer(x)``; cross-attention ``layer(x, memory)`` (keys and values from
    ``memory``). The two conventions compute the same function and differ in the layout of the weights
    and in the meaning of a boolean mask:

    |                       | convention="pytorch"               | convention="keras"                     |
    |-----------------------|------------------------------------|----------------------------------------|
    | as                    | ``torch.nn.MultiheadAttention``    | ``keras.layers.MultiHeadAttention``    |
    | head size             | E / heads (``embed_dim`` E)        | ``key_dim``, ``value_dim`` (any)       |
    | query, key, value     | ``in_proj_weight`` (3E, E):        | ``query_kernel`` (dim, heads, key_dim),|
    |   projections         |   [W^Q; W^K; W^V], each (out, in); | ``key_kernel``, ``value_kernel``;      |
    |                       | ``in_proj_bias`` (3E,)             | ``query_bias`` (heads, key_dim), ...   |
    | output projection     | ``out_proj_weight`` (E, E) (out,   | ``output_kernel`` (heads, value_dim,   |
    |                       | in), ``out_proj_bias`` (E,)        | dim), ``output_bias`` (dim,)           |
    | boolean ``attn_mask`` | True = may NOT attend              | True (or 1) = may attend               |
    | float ``attn_mask``   | added to the scores                | (not accepted)                         |
    | ``attn_mask`` shape   | (L, S) or (N·heads, L, S)          | (N, L, S) or (L, S)                    |
    | weights returned      | averaged over heads, (N, L, S)     | per head, (N, heads, L, S)             |

    ``key_padding_mask`` (N, S) is PyTorch's in both: True marks a padded key. ``is_causal`` masks the
    future (query i sees keys 0..i). A fully masked row gives zeros (Keras adds -1e9 instead of -inf, so
    its fully masked rows are uniform; rows with at least one allowed key agree).

    Args:
        num_heads: h.
        embed_dim: E for "pytorch" (None: the query's last axis at build); must be divisible by h.
        key_dim, value_dim: per-head sizes for "keras" (value_dim defaults to key_dim).
        kdim, vdim: the last axis of keys and values when it differs from the query's ("keras" only).
        dropout: the probability of dropping an attention weight in training.
        use_bias: biases on the projections.
        convention: "pytorch" (default) or "keras".

    Call: ``layer(query, key=None, value=None, attn_mask=None, key_padding_mask=None, is_causal=False,
    need_weights=False, average_attn_weights=None)``; key defaults to query, value to key. With
    ``need_weights`` (or Keras's name ``return_attention_scores``) it returns (output, weights), else the
    output alone (PyTorch's layer returns the pair by default). The weights are taken before dropout.

    ``load_torch_state_dict(state_dict, prefix="")`` loads a ``torch.nn.MultiheadAttention``'s weights.

    Shape:
        query (N, L, E), key (N, S, E_k), value (N, S, E_v) -> (N, L, E)  (batch first).

    Example:
        >>> import glassnet as gn
        >>> MultiHeadAttention(2)(gn.ones(3, 5, 4)).shape
        (3, 5, 4)
    """

    def __init__(
        self,
        num_heads: int,
        embed_dim: int | None = None,
        key_dim: int | None = None,
        value_dim: int | None = None,
        kdim: int | None = None,
        vdim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        convention: str = "pytorch",
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        kind = type(self).__name__
        if convention not in CONVENTIONS:
            raise ValueError(f"{kind}: convention must be one of {CONVENTIONS}, got {convention!r}")
        _positive_int(kind, "num_heads", num_heads)
        for label, value in (("embed_dim", embed_dim), ("key_dim", key_dim), ("value_dim", value_dim),
                             ("kdim", kdim), ("vdim", vdim)):  # fmt: skip
            if value is not None:
                _positive_int(kind, label, value)
        if not 0 <= dropout < 1:
            raise ValueError(f"{kind}: dropout must be in [0, 1), got {dropout}")
        if convention == "keras" and key_dim is None:
            raise ValueError(
                f"{kind} '{self.name}': convention 'keras' needs key_dim (the size of each head)"
            )
        if convention == "pytorch" and (key_dim or value_dim or kdim or vdim):
            raise ValueError(
                f"{kind} '{self.name}': convention 'pytorch' takes embed_dim (split into heads of E/heads); "
                "key_dim, value_dim, kdim and vdim are for convention 'keras'"
            )
        if embed_dim is not None:
            self._check_divisible(embed_dim, num_heads)
        self.num_heads, self.embed_dim = num_heads, embed_dim
        self.key_dim, self.value_dim = key_dim, value_dim if value_dim is not None else key_dim
        self.kdim, self.vdim = kdim, vdim
        self.dropout, self.use_bias, self.convention = float(dropout), bool(use_bias), convention

    def _check_divisible(self, embed_dim: int, num_heads: int) -> None:
        if embed_dim % num_heads:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': embed_dim (d_model) {embed_dim} is not divisible by "
                f"num_heads {num_heads}"
            )

    def build(self, input_shape):
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects a query of shape (N, L, E), got {input_shape}"
            )
        dim, heads = int(input_shape[-1]), self.num_heads
        if self.convention == "pytorch":
            if self.embed_dim is None:
                self._check_divisible(dim, heads)
                self.embed_dim = dim
            self.add_weight("in_proj_weight", (3 * dim, dim), "xavier_uniform")
            self.add_weight("out_proj_weight", (dim, dim), "xavier_uniform")
            if self.use_bias:
                self.add_weight("in_proj_bias", (3 * dim,), "zeros")
                self.add_weight("out_proj_bias", (dim,), "zeros")
            else:
                self.in_proj_bias = self.out_proj_bias = None
        else:
            kd, vd = self.key_dim, self.value_dim
            sizes = {"query": (dim, kd), "key": (self.kdim or dim, kd), "value": (self.vdim or dim, vd)}
            for part, (inputs, width) in sizes.items():
                self.add_weight(f"{part}_kernel", (inputs, heads, width), "xavier_uniform")
                if self.use_bias:
                    self.add_weight(f"{part}_bias", (heads, width), "zeros")
                else:
                    setattr(self, f"{part}_bias", None)
            self.add_weight("output_kernel", (heads, vd, dim), "xavier_uniform")
            if self.use_bias:
                self.add_weight("output_bias", (dim,), "zeros")
            else:
                self.output_bias = None
        super().build(input_shape)

    # --- the projections, in (inputs, outputs) form for ``linear`` ---
    def _projection(self, part: str):
        """W (inputs, heads·width) and b (heads·width,) of the query, key or value projection."""
        if self.convention == "pytorch":
            rows = slice(("query", "key", "value").index(part) * self.embed_dim, None)
            rows = slice(rows.start, rows.start + self.embed_dim)
            weight = self.in_proj_weight[rows].T
            bias = None if self.in_proj_bias is None else self.in_proj_bias[rows]
            return weight, bias
        kernel, bias = getattr(self, f"{part}_kernel"), getattr(self, f"{part}_bias")
        inputs, heads, width = kernel.shape
        return kernel.reshape(inputs, heads * width), None if bias is None else bias.reshape(heads * width)

    def _output_projection(self):
        if self.convention == "pytorch":
            return self.out_proj_weight.T, self.out_proj_bias
        heads, width, dim = self.output_kernel.shape
        return self.output_kernel.reshape(heads * width, dim), self.output_bias

    def _split_heads(self, x, weight, bias):
        """x W + b (N, L, heads·d) as (N, heads, L, d)."""
        projected = linear(x, weight, bias)
        n, length, width = projected.shape
        return projected.reshape(n, length, self.num_heads, width // self.num_heads).transpose(0, 2, 1, 3)

    def project(self, query, key=None, value=None):
        """Q, K, V split into heads, (N, heads, L or S, d); self-attention projects with one product."""
        if key is None and value is None and self.convention == "pytorch":
            qkv = linear(query, self.in_proj_weight.T, self.in_proj_bias)
            n, length, _ = qkv.shape
            heads, size = self.num_heads, self.embed_dim // self.num_heads
            return shape.unbind(qkv.reshape(n, length, 3, heads, size).transpose(2, 0, 3, 1, 4), 0)
        key = query if key is None else key
        value = key if value is None else value
        return tuple(
            self._split_heads(x, *self._projection(part))
            for part, x in (("query", query), ("key", key), ("value", value))
        )

    def merge_heads(self, heads_out):
        """(N, heads, L, d_v) -> (N, L, heads·d_v), then the output projection."""
        n, heads, length, width = heads_out.shape
        joined = heads_out.transpose(0, 2, 1, 3).reshape(n, length, heads * width)
        return linear(joined, *self._output_projection())

    # --- calling ---
    def forward(
        self,
        query,
        key=None,
        value=None,
        attn_mask=None,
        key_padding_mask=None,
        is_causal: bool = False,
        need_weights: bool = False,
        average_attn_weights: bool | None = None,
        return_attention_scores: bool = False,
        cache: dict | None = None,
    ):
        """See the class docstring. ``cache`` (a dict, used by ``TransformerLM.generate``) keeps this
        layer's keys and values of earlier steps: the new ones are appended, and the queries attend to all
        of them, each to the keys up to its own position."""
        query, key, value = (self._as_input(x, label) for x, label in ((query, "query"), (key, "key"),
                                                                     (value, "value")))  # fmt: skip
        q, k, v = self.project(query, key, value)
        if cache is not None:
            q, k, v, attn_mask, is_causal = self._with_cache(cache, q, k, v, attn_mask, is_causal)
        allowed = self._mask(attn_mask, q.shape, k.shape)
        out, weights = scaled_dot_product_attention(
            q, k, v, attn_mask=allowed, key_padding_mask=self._padding(key_padding_mask, k.shape),
            is_causal=is_causal, dropout=self.dropout, training=self.training, need_weights=True,
        )  # fmt: skip
        out = self.merge_heads(out)
        if not (need_weights or return_attention_scores):
            return out
        average = self.convention == "pytorch" if average_attn_weights is None else average_attn_weights
        return out, (weights.mean(axis=1) if average else weights)

    def _as_input(self, x, label):
        if x is None:
            return None
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=self._dtype()))
        if x.dtype != self._dtype():  # another float dtype is cast to the layer's, as Dense does
            x = x.to(self._dtype())
        if x.ndim != 3:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {label} of shape (N, L, E), got {x.shape}"
            )
        return x

    def _dtype(self):
        weight = self.in_proj_weight if self.convention == "pytorch" else self.query_kernel
        return weight.dtype

    def _with_cache(self, cache, q, k, v, attn_mask, is_causal):
        xp = get_array_module(k.data)
        past = 0
        if "k" in cache:
            past = cache["k"].shape[2]
            k = shape.concatenate([cache["k"], k], axis=2)
            v = shape.concatenate([cache["v"], v], axis=2)
        cache["k"], cache["v"] = k.detach(), v.detach()
        if is_causal:  # query i (at position past + i) sees keys 0..past + i
            allowed = xp.tril(xp.ones((q.shape[2], k.shape[2]), dtype=bool), k=past)
            mask = allowed if self.convention == "keras" else ~allowed
            if attn_mask is not None:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': give is_causal or attn_mask with a cache"
                )
            return q, k, v, mask, False
        return q, k, v, attn_mask, is_causal

    def _mask(self, attn_mask, q_shape, k_shape):
        """The convention's attn_mask as the op's: booleans True = may attend, or an additive float."""
        if attn_mask is None:
            return None
        kind = type(self).__name__
        n, heads, length, keys = q_shape[0], self.num_heads, q_shape[2], k_shape[2]
        data = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if self.convention == "pytorch":
            accepted = {(length, keys): (length, keys), (n * heads, length, keys): (n, heads, length, keys)}
            expected = f"(L, S) = ({length}, {keys}) or (N·heads, L, S) = ({n * heads}, {length}, {keys})"
        else:
            accepted = {(length, keys): (length, keys), (n, length, keys): (n, 1, length, keys)}
            expected = f"(N, L, S) = ({n}, {length}, {keys}) or (L, S) = ({length}, {keys})"
        if data.shape not in accepted:
            raise ValueError(f"{kind} '{self.name}' expects attn_mask of shape {expected}, got {data.shape}")
        target = accepted[data.shape]
        if self.convention == "keras":
            if data.dtype != bool and not (data.dtype.kind in "iuf" and np.isin(data, (0, 1)).all()):
                raise TypeError(
                    f"{kind} '{self.name}' (convention 'keras') expects attn_mask of booleans or 0/1 "
                    f"(1 = attend), got dtype {data.dtype}"
                )
            return (data != 0).reshape(target)
        if data.dtype == bool:
            return ~data.reshape(target)
        if data.dtype.kind != "f":
            raise TypeError(
                f"{kind} '{self.name}' expects attn_mask of booleans (True = may not attend) or floats "
                f"(added to the scores), got dtype {data.dtype}"
            )
        return attn_mask.reshape(*target) if isinstance(attn_mask, Tensor) else data.reshape(target)

    def _padding(self, key_padding_mask, k_shape):
        if key_padding_mask is None:
            return None
        data = key_padding_mask.data if isinstance(key_padding_mask, Tensor) else np.asarray(key_padding_mask)
        expected = (k_shape[0], k_shape[2])
        if data.dtype != bool or data.shape != expected:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects key_padding_mask of booleans (True = padding)"
                f" of shape (N, S) = {expected}, got {data.dtype} {data.shape}"
            )
        return data

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "embed_dim": self.embed_dim,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim if self.convention == "keras" else None,
            "kdim": self.kdim,
            "vdim": self.vdim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "convention": self.convention,
        }

    def extra_repr(self):
        size = f"embed_dim={self.embed_dim}" if self.convention == "pytorch" else f"key_dim={self.key_dim}"
        return f"num_heads={self.num_heads}, {size}, convention={self.convention!r}"


def sinusoidal_table(length: int, dim: int, dtype=np.float64):
    """The Transformer's positions (Vaswani et al., 2017, section 3.5), a (length, dim) array:

    PE[p, 2i] = sin(p / 10000^(2i/d)),   PE[p, 2i+1] = cos(p / 10000^(2i/d))
    """
    positions = np.arange(length, dtype=np.float64)[:, None]
    rates = np.exp(-math.log(10000.0) * np.arange(0, dim, 2, dtype=np.float64) / dim)
    table = np.zeros((length, dim))
    table[:, 0::2] = np.sin(positions * rates)
    table[:, 1::2] = np.cos(positions * rates[: dim // 2])
    return table.astype(dtype)


class _Positions(Module):
    """Adds a (max_len, dim) table's first L rows (from ``start``) to x (N, L, dim)."""

    def __init__(self, max_len: int, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        _positive_int(type(self).__name__, "max_len", max_len)
        self.max_len = max_len

    def _check(self, x, start: int) -> None:
        kind = type(self).__name__
        if x.ndim != 3 or x.shape[-1] != self.dim:
            raise ValueError(f"{kind} '{self.name}' expects inputs (N, L, {self.dim}), got shape {x.shape}")
        if start + x.shape[1] > self.max_len:
            raise ValueError(
                f"{kind} '{self.name}': a sequence of length {x.shape[1]} (from position {start}, input "
                f"shape {x.shape}) is longer than the position table's max_len {self.max_len}"
            )

    def forward(self, x, start: int = 0):
        self._check(x, start)
        return x + self.table_rows(start, x.shape[1])

    def get_config(self):
        return {**super().get_config(), "max_len": self.max_len}


class PositionalEncoding(_Positions):
    """The fixed sinusoidal positions of Vaswani et al. (2017) added to the token vectors:

        y[n, p] = x[n, p] + PE[p],   PE[p, 2i] = sin(p / 10000^(2i/d)),  PE[p, 2i+1] = cos(p / 10000^(2i/d))

    No parameters (the table is a buffer, built for the input's last axis d). The wavelengths run from
    2π to 10000·2π, so each position gets a distinct pattern and PE[p + k] is a linear function of PE[p].

    Args:
        max_len: the longest sequence (5000, as PyTorch's tutorial).

    Shape:
        (N, L, d) -> (N, L, d), L <= max_len.

    Example:
        >>> import glassnet as gn
        >>> [round(value, 3) for value in PositionalEncoding(10)(gn.zeros(1, 2, 4)).data[0, 1].tolist()]
        [0.841, 0.54, 0.01, 1.0]
    """

    def __init__(self, max_len: int = 5000, name=None, dtype=None):
        super().__init__(max_len, name=name, dtype=dtype)

    def build(self, input_shape):
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects inputs (N, L, d), got {input_shape}"
            )
        self.dim = int(input_shape[-1])
        self.register_buffer(
            "table", sinusoidal_table(self.max_len, self.dim, self.dtype or get_default_dtype())
        )
        super().build(input_shape)

    def table_rows(self, start, length):
        return self.table[start : start + length]


class PositionEmbedding(_Positions):
    """A learned vector per position (GPT's ``wpe``, Keras-Hub's ``PositionEmbedding``) added to the token
    vectors: y[n, p] = x[n, p] + P[p], with P (max_len, d) trained like any weight.

    Args:
        max_len: the longest sequence (the model's context).
        embeddings_init: initializer of P (default "normal", N(0, 0.05²); GPT-2 draws N(0, 0.02²)).

    Shape:
        (N, L, d) -> (N, L, d), L <= max_len.

    Example:
        >>> import glassnet as gn
        >>> PositionEmbedding(8)(gn.zeros(2, 3, 4)).shape
        (2, 3, 4)
    """

    def __init__(self, max_len: int, embeddings_init="normal", name=None, dtype=None):
        super().__init__(max_len, name=name, dtype=dtype)
        init = embeddings_init
        self.embeddings_init = init if isinstance(init, str) else initializers.get(init)

    def build(self, input_shape):
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects inputs (N, L, d), got {input_shape}"
            )
        self.dim = int(input_shape[-1])
        self.add_weight("weight", (self.max_len, self.dim), self.embeddings_init)
        super().build(input_shape)

    def table_rows(self, start, length):
        return self.weight[start : start + length]

    def get_config(self):
        return {**super().get_config(), "embeddings_init": serialize(self.embeddings_init)}
