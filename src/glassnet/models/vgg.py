"""VGG-16 (Simonyan and Zisserman, 2014): thirteen 3x3 convolutions in five blocks, three dense layers."""

from __future__ import annotations

from glassnet import nn

__all__ = ["VGG16", "VGG16_BLOCKS"]

# Filters of each convolution, block by block; a 2x2 max pool ends every block (configuration "D").
VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def VGG16(  # noqa: N802 - an architecture's name, as Keras's applications
    num_classes: int = 1000,
    input_shape=(3, 224, 224),
    dropout: float = 0.5,
    batch_norm: bool = False,
    weight_init="he_uniform",
    name: str = "vgg16",
) -> nn.Sequential:
    """VGG-16 as a ``Sequential``, layer for layer torchvision's ``vgg16``: 3x3 convolutions with padding 1
    and ReLU (64, 64 | 128, 128 | 256 x3 | 512 x3 | 512 x3, each block closed by a 2x2 max pool), then
    dense 4096, dropout, dense 4096, dropout, dense num_classes (logits). 138,357,544 parameters at
    224x224 and 1000 classes.

    torchvision's adaptive average pool to 7x7 is the identity at 224x224; here the classifier is sized for
    the given input instead (512·(H/32)·(W/32) inputs).

    Args:
        num_classes: outputs; input_shape: (C, H, W), at least 32x32; dropout: the classifier's rate;
        batch_norm: a ``BatchNorm`` after every convolution (torchvision's ``vgg16_bn``);
        weight_init: initializer of the kernels and dense weights.

    Example:
        >>> VGG16(num_classes=10, input_shape=(3, 32, 32)).compute_output_shape((None, 3, 32, 32))
        (None, 10)
    """
    layers = []
    for block in VGG16_BLOCKS:
        for filters in block:
            if batch_norm:
                layers += [nn.Conv2D(filters, 3, padding=1, weight_init=weight_init),
                           nn.BatchNorm(convention="pytorch"), nn.ReLU()]
            else:
                layers.append(nn.Conv2D(filters, 3, padding=1, activation="relu", weight_init=weight_init))
        layers.append(nn.MaxPool2D(2))
    layers += [
        nn.Flatten(),
        nn.Dense(4096, activation="relu", weight_init=weight_init),
        nn.Dropout(dropout),
        nn.Dense(4096, activation="relu", weight_init=weight_init),
        nn.Dropout(dropout),
        nn.Dense(num_classes, weight_init=weight_init),
    ]
    return nn.Sequential(layers, input_shape=tuple(input_shape), name=name)
