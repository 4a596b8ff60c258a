"""A decoder-only Transformer language model (GPT; Radford et al., 2018 and 2019, as nanoGPT writes it):
token and position embeddings, pre-norm blocks of causal self-attention and a GELU feed-forward network,
a final layer norm and the logits; and generation that keeps each layer's keys and values (the cache).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd.grad_mode import no_grad
from glassnet.models.char_rnn import sample_logits
from glassnet.nn.containers import ModuleList
from glassnet.nn.initializers import Normal
from glassnet.nn.layers.attention import PositionEmbedding
from glassnet.nn.layers.dense import Dense
from glassnet.nn.layers.embedding import Embedding
from glassnet.nn.layers.normalization import LayerNorm
from glassnet.nn.layers.regularization import Dropout
from glassnet.nn.layers.transformer import TransformerEncoderLayer
from glassnet.nn.module import Module
from glassnet.ops.linalg import matmul

__all__ = ["TransformerLM"]


class TransformerLM(Module):
    """Next-token model: ids (B, T) -> logits (B, T, vocab_size), each position seeing only itself and
    the positions before it.

        h_0 = E[ids] + P[0..T-1]                                  token and learned position embeddings
        h_l = h_{l-1} + SA(LN(h_{l-1}));  h_l = h_l + FF(LN(h_l))  each block, pre-norm, causal attention
        logits = LN(h_N) W                                          W = Eᵀ with ``tie_weights``

    Each block is a ``TransformerEncoderLayer(norm_first=True, activation="gelu")`` with a causal mask:
    a GPT block. Weights start as GPT-2's: N(0, 0.02²) for the embeddings and linear layers.

    Args:
        vocab_size: number of ids (``tokenizer.vocab_size``).
        context: the longest sequence (the position table's length; nanoGPT's ``block_size``).
        d_model: the width of every token vector (128).
        num_layers: blocks (4).
        num_heads: attention heads per block (4); must divide ``d_model``.
        dim_feedforward: hidden width of each feed-forward network (None: 4·d_model).
        dropout: on the embeddings, the attention weights and each sublayer's output (0).
        bias: biases in the linear layers and layer norms (nanoGPT's ``bias``).
        tie_weights: the output projection is the token embedding, transposed (GPT-2's weight tying).

    ``generate(prompt, max_new_tokens, temperature, top_k)`` draws new ids one at a time; with the cache
    (the default) each new id costs one step through every block (its query against the stored keys and
    values), not a re-run of the whole context. Once the text outgrows ``context`` the positions shift
    and the cache is rebuilt from the last ``context`` ids, as the uncached path reads them.

    Example:
        >>> import numpy as np
        >>> model = TransformerLM(vocab_size=10, context=8, d_model=8, num_layers=1, num_heads=2)
        >>> model(np.zeros((2, 5), dtype=int)).shape
        (2, 5, 10)
    """

    takes_token_ids = True  # fit and predict keep integer inputs as they are

    def __init__(
        self,
        vocab_size: int,
        context: int = 256,
        d_model: int = 128,
        num_layers: int = 4,
        num_heads: int = 4,
        dim_feedforward: int | None = None,
        dropout: float = 0.0,
        bias: bool = True,
        tie_weights: bool = False,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"TransformerLM: num_layers must be a positive integer, got {num_layers!r}")
        self.vocab_size, self.context, self.d_model = vocab_size, context, d_model
        self.num_layers, self.num_heads, self.dropout_rate = num_layers, num_heads, float(dropout)
        self.dim_feedforward = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.bias, self.tie_weights = bool(bias), bool(tie_weights)
        gpt_init = Normal(0.0, 0.02)
        self.token_embedding = Embedding(vocab_size, d_model, embeddings_init=gpt_init, dtype=dtype)
        self.position_embedding = PositionEmbedding(context, embeddings_init=gpt_init, dtype=dtype)
        self.drop = Dropout(dropout)
        block = dict(
            dim_feedforward=self.dim_feedforward, dropout=dropout, activation="gelu", norm_first=True
        )
        self.blocks = ModuleList(
            [
                TransformerEncoderLayer(d_model, num_heads, bias=bias, dtype=dtype, **block)
                for _ in range(num_layers)
            ]
        )
        self.norm = LayerNorm(d_model, bias=bias, dtype=dtype)
        self.head = (
            None if tie_weights else Dense(vocab_size, use_bias=False, weight_init=gpt_init, dtype=dtype)
        )
        self.build((None, None))  # every shape is known from the arguments: built at once

    def build(self, input_shape):
        if self.built:  # built in __init__; building again would make new weights
            return
        self.token_embedding.build((None, None))
        shape = (None, None, self.d_model)
        for module in (self.position_embedding, *self.blocks, self.norm, self.head):
            if module is not None:
                module.build(shape)
        # GPT-2's initialization (nanoGPT's _init_weights): N(0, 0.02²) for every matrix, and for the two
        # projections that add into the residual stream (attention's output and the feed-forward's second
        # layer) a standard deviation divided by sqrt(2 · num_layers), so that the stream's variance does
        # not grow with depth; biases stay 0.
        residual = Normal(0.0, 0.02 / math.sqrt(2 * self.num_layers))
        for block in self.blocks:
            attention = block.self_attn
            for weight, init in (
                (attention.in_proj_weight, Normal(0.0, 0.02)),
                (attention.out_proj_weight, residual),
                (block.linear1.weight, Normal(0.0, 0.02)),
                (block.linear2.weight, residual),
            ):
                weight.data[...] = init(weight.shape, weight.dtype)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.vocab_size,)

    def step(self, ids, caches=None):
        """Logits (B, T, V) of ``ids`` (B, T). With ``caches`` (one dict per block, empty at first) the ids
        continue the sequence the caches hold: their positions start after it, and each block's keys and
        values are appended to its cache."""
        start = 0 if not caches or "k" not in caches[0] else caches[0]["k"].shape[2]
        h = self.drop(self.position_embedding(self.token_embedding(ids), start=start))
        for k, block in enumerate(self.blocks):
            h = block(h, is_causal=True, cache=None if caches is None else caches[k])
        h = self.norm(h)
        if self.head is None:
            return matmul(h, self.token_embedding.weight.T)
        return self.head(h)

    def forward(self, ids):
        return self.step(ids)

    def attention_maps(self, ids) -> list:
        """The attention weights of every block for ``ids`` (B, T), in evaluation mode: one array
        (B, heads, T, T) per block, row i the weights query i gives keys 0..T-1 (0 above the diagonal:
        the mask hides the future). ``explain.plots.plot_attention`` draws them; ``plot_lm_attention``
        draws every block and head for a text."""
        was_training = self.training
        self.eval()
        maps = []
        try:
            with no_grad():
                h = self.position_embedding(self.token_embedding(ids))
                for block in self.blocks:
                    h, weights = block(h, is_causal=True, need_weights=True)
                    maps.append(weights.data)
        finally:
            self.train(was_training)
        return maps

    def generate(
        self,
        prompt,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        use_cache: bool = True,
    ):
        """``max_new_tokens`` ids after ``prompt`` (1-D ids), each drawn by ``sample_logits`` (temperature
        0: greedy) from the generator that ``gn.manual_seed`` seeds. ``use_cache=False`` re-reads the last
        ``context`` ids for every new one (the same ids, more work)."""
        ids = [int(i) for i in np.asarray(prompt).reshape(-1)]
        if not ids:
            raise ValueError("TransformerLM.generate needs a prompt of at least one id")
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                caches, logits = None, None
                for _ in range(max_new_tokens):
                    window = np.array(ids[-self.context :], dtype=np.int64)[None]
                    if not use_cache:
                        logits = self.step(window)
                    elif caches is None or len(ids) > self.context:  # (re)fill from the window
                        caches = [{} for _ in self.blocks]
                        logits = self.step(window, caches)
                    else:
                        logits = self.step(window[:, -1:], caches)
                    ids.append(int(sample_logits(logits.data[:, -1], temperature, top_k)[0]))
        finally:
            self.train(was_training)
        return np.array(ids[len(ids) - max_new_tokens :], dtype=np.int64)

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "context": self.context,
            "d_model": self.d_model,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout_rate,
            "bias": self.bias,
            "tie_weights": self.tie_weights,
        }
