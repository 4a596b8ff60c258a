"""LeNet-5 (LeCun et al., 1998): the first convolutional network of the notes (CURRICULUM section 9)."""

from __future__ import annotations

from glassnet import nn

__all__ = ["LeNet5"]


def LeNet5(  # noqa: N802 - an architecture's name, as Keras's applications
    num_classes: int = 10,
    input_shape=(1, 32, 32),
    activation: str = "relu",
    pooling: str = "max",
    padding=None,
    weight_init="he_uniform",
    name: str = "lenet5",
) -> nn.Sequential:
    """LeNet-5 as a ``Sequential``, built for ``input_shape`` (C, H, W):

        C1 conv 6@5x5 -> S2 pool 2 -> C3 conv 16@5x5 -> S4 pool 2 -> C5 conv 120@5x5 -> flatten
        -> F6 dense 84 -> dense num_classes (logits)

    On the classic 32x32 input C1 gives 28x28 and C5 1x1 (61,706 parameters for 10 classes). The MNIST
    variant takes 28x28 digits and pads C1 by 2, so that every later shape is the classic one.

    Args:
        num_classes: outputs (logits: train with ``SparseCategoricalCrossEntropy(from_logits=True)``).
        input_shape: (channels, height, width) of the images.
        activation: "relu" (default, today's choice) or "tanh" (the paper's squashing function).
        pooling: "max" (default) or "avg" (the paper's subsampling, without its trainable scale).
        padding: C1's padding; None pads by 2 when the image is smaller than 32 (the 28x28 variant).
        weight_init: initializer of the kernels and dense weights (biases start at 0).

    Example:
        >>> LeNet5().count_params(), LeNet5(input_shape=(1, 28, 28)).count_params()
        (61706, 61706)
    """
    if pooling not in ("max", "avg"):
        raise ValueError(f"LeNet5: pooling must be 'max' or 'avg', got {pooling!r}")
    if padding is None:
        padding = 2 if min(input_shape[1:]) < 32 else 0
    pool = nn.MaxPool2D if pooling == "max" else nn.AvgPool2D
    conv = {"activation": activation, "weight_init": weight_init}
    layers = [
        nn.Conv2D(6, 5, padding=padding, **conv),
        pool(2),
        nn.Conv2D(16, 5, **conv),
        pool(2),
        nn.Conv2D(120, 5, **conv),
        nn.Flatten(),
        nn.Dense(84, **conv),
        nn.Dense(num_classes, weight_init=weight_init),
    ]
    return nn.Sequential(layers, input_shape=tuple(input_shape), name=name)
