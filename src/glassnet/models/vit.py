"""A small vision Transformer (Dosovitskiy et al., 2021, "An Image is Worth 16x16 Words"): the image cut
into patches by a strided convolution, a learned class token in front, learned positions, pre-norm
Transformer blocks, and a classifier on the class token's final vector."""

from __future__ import annotations

from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_array_module
from glassnet.nn.containers import ModuleList
from glassnet.nn.layers.attention import PositionEmbedding
from glassnet.nn.layers.conv import Conv2D
from glassnet.nn.layers.dense import Dense
from glassnet.nn.layers.normalization import LayerNorm
from glassnet.nn.layers.regularization import Dropout
from glassnet.nn.layers.transformer import TransformerEncoderLayer
from glassnet.nn.module import Module
from glassnet.ops import shape

__all__ = ["ViT"]


class ViT(Module):
    """Images (N, C, H, W) -> class logits (N, num_classes):

        patches = Conv2D(d, kernel p, stride p)(x)        (N, d, H/p, W/p): one d-vector per p×p patch
        h_0 = [c; patches as a sequence] + P               (N, 1 + HW/p², d), c the learned class token
        h_l = pre-norm Transformer blocks (GELU)           every patch attends to every other, no mask
        logits = LN(h_N)[:, 0] W + b                       the class token's vector classifies

    The strided convolution is the paper's "linear projection of flattened patches": each output is
    one patch's pixels times a (C·p·p, d) matrix.

    Args:
        input_shape: (C, H, W) of the images; H and W divisible by ``patch_size``.
        patch_size: p (7 for 28×28 digits: 16 patches).
        num_classes: outputs (10).
        d_model, num_layers, num_heads, dim_feedforward (None: 4·d_model), dropout: of the blocks.

    Example:
        >>> import glassnet as gn
        >>> model = ViT((1, 28, 28), patch_size=7, d_model=16, num_layers=1, num_heads=2)
        >>> model(gn.zeros(2, 1, 28, 28)).shape
        (2, 10)
    """

    def __init__(
        self,
        input_shape=(1, 28, 28),
        patch_size: int = 7,
        num_classes: int = 10,
        d_model: int = 64,
        num_layers: int = 4,
        num_heads: int = 4,
        dim_feedforward: int | None = None,
        dropout: float = 0.0,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        channels, height, width = (int(n) for n in input_shape)
        if height % patch_size or width % patch_size:
            raise ValueError(
                f"ViT: images of {height}×{width} do not split into patches of {patch_size}×{patch_size}"
            )
        self.image_shape, self.patch_size, self.num_classes = (
            (channels, height, width),
            patch_size,
            num_classes,
        )
        self.d_model, self.num_layers, self.num_heads, self.dropout_rate = (
            d_model,
            num_layers,
            num_heads,
            dropout,
        )
        self.dim_feedforward = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.num_patches = (height // patch_size) * (width // patch_size)
        self.patches = Conv2D(d_model, patch_size, strides=patch_size, dtype=dtype)
        self.position_embedding = PositionEmbedding(1 + self.num_patches, dtype=dtype)
        self.drop = Dropout(dropout)
        block = dict(
            dim_feedforward=self.dim_feedforward, dropout=dropout, activation="gelu", norm_first=True
        )
        self.blocks = ModuleList(
            [TransformerEncoderLayer(d_model, num_heads, dtype=dtype, **block) for _ in range(num_layers)]
        )
        self.norm = LayerNorm(d_model, dtype=dtype)
        self.head = Dense(num_classes, dtype=dtype)
        self.build((None, *self.image_shape))

    def build(self, input_shape):
        if self.built:
            return
        self.patches.build((None, *self.image_shape))
        self.add_weight("class_token", (1, 1, self.d_model), "zeros")
        sequence = (None, 1 + self.num_patches, self.d_model)
        for module in (self.position_embedding, *self.blocks, self.norm, self.head):
            module.build(sequence)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def embed(self, x):
        """The token sequence (N, 1 + patches, d): the class token, then the patches row by row."""
        if tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"ViT '{self.name}' expects images (N, {self.image_shape}), got shape {x.shape}")
        patches = self.patches(x)  # (N, d, H/p, W/p)
        n = patches.shape[0]
        sequence = patches.reshape(n, self.d_model, self.num_patches).transpose(0, 2, 1)
        xp = get_array_module(sequence.data)
        class_tokens = self.class_token + Tensor(xp.zeros((n, 1, self.d_model), dtype=sequence.dtype))
        return self.drop(self.position_embedding(shape.concatenate([class_tokens, sequence], axis=1)))

    def forward(self, x):
        h = self.embed(x)
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h)[:, 0])

    def get_config(self):
        return {
            **super().get_config(),
            "input_shape": list(self.image_shape),
            "patch_size": self.patch_size,
            "num_classes": self.num_classes,
            "d_model": self.d_model,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout_rate,
        }
