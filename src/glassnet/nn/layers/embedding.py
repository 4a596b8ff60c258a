"""The embedding layer: a learned vector per token id."""

from __future__ import annotations

from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_array_module
from glassnet.nn import initializers
from glassnet.nn.module import Module
from glassnet.nn.serialization import serialize
from glassnet.ops.embedding import embedding

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of ``vocab_size`` vectors of size ``dim``: token id v becomes row v of W.

        y[b, t] = W[ids[b, t]]     (= one-hot(ids) W; the gradient rows of a repeated token add up)

    Args:
        vocab_size: number of token ids, 0 .. vocab_size - 1.
        dim: size of each vector.
        mask_zero: id 0 is padding: the layer hands the mask ``ids != 0`` to the next layer that takes
            one (in ``Sequential``; or call ``compute_mask(ids)`` and pass ``mask=`` yourself), so that a
            recurrent layer skips padded steps. Id 0 then cannot be a real token.
        embeddings_init: initializer, default U(-0.05, 0.05) (Keras's; PyTorch draws N(0, 1)).
        name, dtype: as every layer.

    Integer ids are expected; a float array of whole numbers (what ``fit`` makes of its inputs) is
    accepted, any other value is an error, as is an id outside [0, vocab_size).

    Shape:
        input (B, T) (any shape) -> (B, T, dim)

    Example:
        >>> import numpy as np
        >>> layer = Embedding(10, 3, mask_zero=True)
        >>> ids = np.array([[4, 2, 0]])
        >>> layer(ids).shape, layer.compute_mask(ids).tolist()
        ((1, 3, 3), [[True, True, False]])
    """

    takes_token_ids = True  # fit and predict keep integer inputs as they are for this layer

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        mask_zero: bool = False,
        embeddings_init="uniform",
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        for label, value in (("vocab_size", vocab_size), ("dim", dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Embedding: {label} must be a positive integer, got {value!r}")
        self.vocab_size, self.dim, self.mask_zero = vocab_size, dim, bool(mask_zero)
        self.embeddings_init = (
            embeddings_init if isinstance(embeddings_init, str) else initializers.get(embeddings_init)
        )

    def build(self, input_shape):
        self.add_weight("weight", (self.vocab_size, self.dim), self.embeddings_init)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.dim,)

    def _ids(self, x):
        ids = x.data if isinstance(x, Tensor) else get_array_module(x).asarray(x)
        xp = get_array_module(ids)
        if ids.dtype.kind == "f":
            whole = ids.astype(xp.int64)
            if not (whole == ids).all():
                raise TypeError(
                    f"Embedding '{self.name}' expects integer token ids, got non-integer values of dtype "
                    f"{ids.dtype} (shape {ids.shape})"
                )
            ids = whole
        elif ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding '{self.name}' expects integer token ids, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(
                f"Embedding '{self.name}' got token ids in [{ids.min()}, {ids.max()}] (input shape "
                f"{ids.shape}), but vocab_size is {self.vocab_size}: ids must be in [0, {self.vocab_size})"
            )
        return ids

    def forward(self, x):
        return embedding(self.weight, self._ids(x))

    def compute_mask(self, x, mask=None):
        """``ids != 0`` with ``mask_zero``, else None: the mask the next layer receives."""
        if not self.mask_zero:
            return None
        ids = x.data if isinstance(x, Tensor) else get_array_module(x).asarray(x)
        return ids != 0

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "dim": self.dim,
            "mask_zero": self.mask_zero,
            "embeddings_init": serialize(self.embeddings_init),
        }

    def extra_repr(self):
        return f"{self.vocab_size}, {self.dim}" + (", mask_zero=True" if self.mask_zero else "")
