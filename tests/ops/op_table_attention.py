"""Rows of the op table for scaled dot-product attention.

Q (N, H, L, E), K (N, H, S, E), V (N, H, S, D) with letters drawn per seed. A row checks both outputs:
the output O and the weights P are joined on the last axis ([O, P], both (..., L, ·)), so that their
values and the gradients through each are compared; ``out_only`` rows use O alone (the op then skips the
weights' share of its backward). PyTorch's O is ``F.scaled_dot_product_attention``; its P is the softmax
of the scores written out in torch. Masks: causal, key padding (True = padding, at least one real key per
example), boolean (True = may attend, at least one per row), additive (a differentiable float tensor).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from op_table import Row, normal

import glassnet as gn
from glassnet.ops import shape
from glassnet.ops.attention import scaled_dot_product_attention

Q, K, V = normal("N", "H", "L", "E"), normal("N", "H", "S", "E"), normal("N", "H", "S", "D")


@dataclass(frozen=True)
class KeyPadding:
    """(N, S) booleans, True = padding, key 0 always real."""

    def __call__(self, draw):
        padding = draw.rng.random(draw.shape(("N", "S"))) < 0.5
        padding[:, 0] = False
        return padding


@dataclass(frozen=True)
class AllowedMask:
    """Booleans of ``dims`` ending (L, S), True = may attend, at least one True per row."""

    dims: tuple

    def __call__(self, draw):
        allowed = draw.rng.random(draw.shape(self.dims)) < 0.5
        first = draw.rng.integers(0, allowed.shape[-1], allowed.shape[:-1])
        np.put_along_axis(allowed, first[..., None], True, axis=-1)
        return allowed


@dataclass(frozen=True)
class Attention:
    """The op with fixed options; ``mask`` says what the fourth input is (None, "padding", "bool",
    "additive"). ``torch_side`` computes the same in PyTorch."""

    mask: str | None = None
    causal: bool = False
    scale: float | None = None
    dropout: float = 0.0
    out_only: bool = False
    torch_side: bool = False

    def __call__(self, q, k, v, mask=None):
        if self.torch_side:
            return self.torch(q, k, v, mask)
        options = dict(is_causal=self.causal, scale=self.scale, dropout=self.dropout, need_weights=True)
        if self.mask == "padding":
            options["key_padding_mask"] = mask
        elif self.mask is not None:
            options["attn_mask"] = mask
        if self.dropout:
            gn.manual_seed(0)
        out, weights = scaled_dot_product_attention(q, k, v, **options)
        return out if self.out_only else shape.concatenate([out, weights], axis=-1)

    def torch(self, q, k, v, mask):
        import torch
        import torch.nn.functional as F

        queries, keys = q.shape[-2], k.shape[-2]
        scale = self.scale if self.scale is not None else q.shape[-1] ** -0.5
        allowed = torch.ones(queries, keys, dtype=torch.bool)
        if self.causal:
            allowed = torch.tril(allowed)
        additive = None
        if self.mask == "padding":
            allowed = allowed & ~mask[:, None, None, :]
        elif self.mask == "bool":
            allowed = allowed & mask
        elif self.mask == "additive":
            additive = mask
        scores = q @ k.transpose(-1, -2) * scale
        scores = scores.masked_fill(~allowed, float("-inf")) + (0 if additive is None else additive)
        weights = torch.softmax(scores, dim=-1)
        if self.dropout:
            keep = np.random.default_rng(0).random(tuple(weights.shape)) >= self.dropout
            out = (weights * torch.from_numpy(keep).to(q.dtype) / (1 - self.dropout)) @ v
        else:
            sdpa_mask = additive if additive is not None else allowed
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=sdpa_mask, scale=self.scale)
        return out if self.out_only else torch.cat([out, weights], dim=-1)


def attention_row(name, inputs=(Q, K, V), **options):
    return Row(f"attention_{name}", inputs, Attention(**options), Attention(torch_side=True, **options))


ROWS = [
    attention_row("no_mask"),
    attention_row("no_mask_out_only", out_only=True),
    attention_row("causal", (Q, normal("N", "H", "L", "E"), normal("N", "H", "L", "D")), causal=True),
    attention_row("causal_cross_lengths", causal=True),
    attention_row("key_padding", (Q, K, V, KeyPadding()), mask="padding"),
    attention_row("bool_mask", (Q, K, V, AllowedMask(("N", 1, "L", "S"))), mask="bool"),
    attention_row("additive_mask", (Q, K, V, normal("L", "S")), mask="additive"),
    attention_row("scale", scale=0.3, out_only=True),
    attention_row("heads_broadcast_kv", (Q, normal("N", 1, "S", "E"), normal("N", 1, "S", "D"))),
    attention_row("three_axes", (normal("N", "L", "E"), normal("N", "S", "E"), normal("N", "S", "D"))),
    attention_row("dropout_seeded", dropout=0.3),
]
