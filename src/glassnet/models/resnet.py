"""ResNet-18 and ResNet-34 (He et al., 2015): stacks of basic residual blocks, y = relu(F(x) + x)."""

from __future__ import annotations

from glassnet import nn
from glassnet.nn.layers.conv import explain_axes, image_shape
from glassnet.ops.activation import relu

__all__ = ["BasicBlock", "ResNet", "ResNet18", "ResNet34"]


class BasicBlock(nn.Module):
    """The basic residual block: two 3x3 convolutions and a skip connection that adds the input back,

        F(x) = BN(conv3x3(relu(BN(conv3x3_s(x)))))
        y = relu(F(x) + shortcut(x)),   shortcut(x) = x, or BN(conv1x1_s(x)) when the shape changes

    so the block learns the residual F(x) = y - x, and the gradient reaches earlier layers through the
    shortcut unattenuated (dL/dx gets dL/dy directly, besides the path through F).

    Args:
        filters: output channels of both convolutions.
        strides: the first convolution's (and the projection's) stride; 2 halves H and W.
        weight_init: initializer of the kernels (torchvision uses He normal with fan-out).

    Convolutions have no bias (the batch norm after each has β); batch norms use ``convention="pytorch"``,
    so that the block's state dict maps onto torchvision's ``BasicBlock`` name for name (conv1, bn1, conv2,
    bn2, and shortcut_conv / shortcut_bn for ``downsample.0`` / ``downsample.1``).

    Shape:
        (N, C, H, W) -> (N, filters, ceil(H/s), ceil(W/s))

    Example:
        >>> import glassnet as gn
        >>> block = BasicBlock(8, strides=2)
        >>> block(gn.zeros(2, 4, 9, 9)).shape, block.count_params()
        ((2, 8, 5, 5), 944)
    """

    def __init__(self, filters: int, strides: int = 1, weight_init="he_normal", name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"BasicBlock '{self.name}': filters must be a positive integer, got {filters!r}")
        if strides not in (1, 2):
            raise ValueError(f"BasicBlock '{self.name}': strides must be 1 or 2, got {strides!r}")
        self.filters, self.strides, self.weight_init = filters, strides, weight_init

    def build(self, input_shape):
        shape = image_shape(self, input_shape, "inputs")
        conv = {"use_bias": False, "weight_init": self.weight_init, "dtype": self.dtype}
        self.conv1 = nn.Conv2D(self.filters, 3, strides=self.strides, padding=1, **conv)
        self.bn1 = nn.BatchNorm(convention="pytorch", dtype=self.dtype)
        self.conv2 = nn.Conv2D(self.filters, 3, padding=1, **conv)
        self.bn2 = nn.BatchNorm(convention="pytorch", dtype=self.dtype)
        path = [self.conv1, self.bn1, self.conv2, self.bn2]
        self.projects = self.strides != 1 or shape[1] != self.filters
        if self.projects:
            self.shortcut_conv = nn.Conv2D(self.filters, 1, strides=self.strides, **conv)
            self.shortcut_bn = nn.BatchNorm(convention="pytorch", dtype=self.dtype)
        for chain in (path, [self.shortcut_conv, self.shortcut_bn] if self.projects else []):
            current = shape
            for layer in chain:
                layer.build(current)
                current = layer.compute_output_shape(current)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        shape = image_shape(self, input_shape)
        sizes = tuple(None if n is None else (n - 1) // self.strides + 1 for n in shape[2:])
        return (shape[0], self.filters) + sizes

    def forward(self, x):
        out = relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = self.shortcut_bn(self.shortcut_conv(x)) if self.projects else x
        return relu(out + shortcut)

    def explain_shape(self, input_shape) -> str:
        """The first convolution sets the size (the second keeps it); the parameters of all its layers."""
        shape = image_shape(self, input_shape)
        first = explain_axes(shape, (3, 3), (self.strides,) * 2, 1, (1, 1))
        channels = shape[1]
        parts = [
            f"3·3·{channels}·{self.filters}",
            f"3·3·{self.filters}·{self.filters}",
            f"2·2·{self.filters}",
        ]
        total = 9 * channels * self.filters + 9 * self.filters * self.filters + 4 * self.filters
        shortcut = "identity shortcut"
        if self.strides != 1 or channels != self.filters:
            parts += [f"1·1·{channels}·{self.filters}", f"2·{self.filters}"]
            total += channels * self.filters + 2 * self.filters
            shortcut = f"1x1 stride-{self.strides} projection shortcut"
        return f"{first} (then 3x3 padding 1 keeps it; {shortcut}); params = {' + '.join(parts)} = {total:,}"

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "strides": self.strides,
            "weight_init": self.weight_init,
        }

    def extra_repr(self):
        return f"{self.filters}, strides={self.strides}"


def ResNet(  # noqa: N802 - an architecture's name, as Keras's applications
    blocks_per_stage,
    num_classes: int = 1000,
    input_shape=(3, 224, 224),
    weight_init="he_normal",
    name: str = "resnet",
) -> nn.Sequential:
    """A ResNet of basic blocks as a ``Sequential``, as torchvision builds it: a 7x7 stride-2 convolution
    (64 filters, no bias), batch norm, ReLU, a 3x3 stride-2 max pool (padding 1), four stages of
    ``blocks_per_stage`` basic blocks with 64, 128, 256, 512 filters (each stage after the first starts with
    stride 2), global average pooling and a dense layer to num_classes (logits).

    Example:
        >>> ResNet((1, 1, 1, 1), num_classes=10, input_shape=(3, 32, 32)).count_params()
        4910922
    """
    layers = [
        nn.Conv2D(64, 7, strides=2, padding=3, use_bias=False, weight_init=weight_init),
        nn.BatchNorm(convention="pytorch"),
        nn.ReLU(),
        nn.MaxPool2D(3, strides=2, padding=1),
    ]
    for stage, (filters, count) in enumerate(zip((64, 128, 256, 512), blocks_per_stage)):
        for index in range(count):
            strides = 2 if stage > 0 and index == 0 else 1
            layers.append(BasicBlock(filters, strides=strides, weight_init=weight_init))
    layers += [nn.GlobalAvgPool2D(), nn.Dense(num_classes)]
    return nn.Sequential(layers, input_shape=tuple(input_shape), name=name)


def ResNet18(
    num_classes: int = 1000,
    input_shape=(3, 224, 224),
    weight_init="he_normal",  # noqa: N802
    name: str = "resnet18",
) -> nn.Sequential:
    """ResNet-18: two basic blocks per stage; 11,689,512 parameters at 224x224 and 1000 classes."""
    return ResNet((2, 2, 2, 2), num_classes, input_shape, weight_init, name)


def ResNet34(
    num_classes: int = 1000,
    input_shape=(3, 224, 224),
    weight_init="he_normal",  # noqa: N802
    name: str = "resnet34",
) -> nn.Sequential:
    """ResNet-34: 3, 4, 6 and 3 basic blocks per stage; 21,797,672 parameters at 224x224 and 1000 classes."""
    return ResNet((3, 4, 6, 3), num_classes, input_shape, weight_init, name)
