"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012), in torchvision's single-stream form."""

from __future__ import annotations

from glassnet import nn

__all__ = ["AlexNet"]


def AlexNet(  # noqa: N802 - an architecture's name, as Keras's applications
    num_classes: int = 1000,
    input_shape=(3, 224, 224),
    dropout: float = 0.5,
    weight_init="he_uniform",
    name: str = "alexnet",
) -> nn.Sequential:
    """AlexNet as a ``Sequential``, layer for layer torchvision's ``alexnet``: five convolutions (64@11x11
    stride 4, 192@5x5, 384, 256, 256 @3x3), three 3x3 stride-2 max pools, then dropout, dense 4096,
    dropout, dense 4096, dense num_classes (logits). 61,100,840 parameters at 224x224 and 1000 classes.

    torchvision puts an adaptive average pool to 6x6 before the classifier, which is the identity at
    224x224; here the classifier is sized for the given input instead (256·h·w inputs).

    Args:
        num_classes: outputs; input_shape: (C, H, W), at least 63x63; dropout: the classifier's rate;
        weight_init: initializer of the kernels and dense weights.

    Example:
        >>> AlexNet(num_classes=10, input_shape=(3, 64, 64)).compute_output_shape((None, 3, 64, 64))
        (None, 10)
    """
    conv = {"activation": "relu", "weight_init": weight_init}
    dense = {"weight_init": weight_init}
    layers = [
        nn.Conv2D(64, 11, strides=4, padding=2, **conv),
        nn.MaxPool2D(3, strides=2),
        nn.Conv2D(192, 5, padding=2, **conv),
        nn.MaxPool2D(3, strides=2),
        nn.Conv2D(384, 3, padding=1, **conv),
        nn.Conv2D(256, 3, padding=1, **conv),
        nn.Conv2D(256, 3, padding=1, **conv),
        nn.MaxPool2D(3, strides=2),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Dense(4096, activation="relu", **dense),
        nn.Dropout(dropout),
        nn.Dense(4096, activation="relu", **dense),
        nn.Dense(num_classes, **dense),
    ]
    return nn.Sequential(layers, input_shape=tuple(input_shape), name=name)
