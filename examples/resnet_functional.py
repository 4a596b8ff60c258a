"""ResNet-18 written with the functional API, layer by layer, as the paper draws it.

``models.ResNet18`` hides each residual block in a ``BasicBlock`` module; here the skip connection is in
plain sight: the block's input and its two convolutions meet in an ``nn.Add`` layer,

    y = relu(BN(conv3x3(relu(BN(conv3x3_s(x))))) + shortcut(x)),

and ``summary()`` shows the graph ("Connected to": each add reads the block's last batch norm and its
shortcut). The script checks that the two ResNet-18s are one network: torchvision's parameter count
(11,689,512 at 224x224 and 1000 classes) and, with the weights copied across by state dict, the same
outputs in float64.

Run: python examples/resnet_functional.py [--size 64] [--classes 10]
"""

from __future__ import annotations

import argparse

import numpy as np

import glassnet as gn
from glassnet import models, nn

STAGES = ((64, 2), (128, 2), (256, 2), (512, 2))  # (filters, blocks) of ResNet-18


def basic_block(x, filters: int, strides: int, name: str, weight_init="he_normal"):
    """One residual block on the symbolic tensor ``x``; its layers are named "<name>_conv1", ..."""
    conv = {"use_bias": False, "weight_init": weight_init}
    out = nn.Conv2D(filters, 3, strides=strides, padding=1, name=f"{name}_conv1", **conv)(x)
    out = nn.BatchNorm(convention="pytorch", name=f"{name}_bn1")(out)
    out = nn.ReLU(name=f"{name}_relu1")(out)
    out = nn.Conv2D(filters, 3, padding=1, name=f"{name}_conv2", **conv)(out)
    out = nn.BatchNorm(convention="pytorch", name=f"{name}_bn2")(out)
    shortcut = x
    if strides != 1 or x.shape[1] != filters:  # the shape changes: a 1x1 projection
        shortcut = nn.Conv2D(filters, 1, strides=strides, name=f"{name}_shortcut_conv", **conv)(x)
        shortcut = nn.BatchNorm(convention="pytorch", name=f"{name}_shortcut_bn")(shortcut)
    return nn.ReLU(name=f"{name}_relu2")(nn.Add(name=f"{name}_add")([out, shortcut]))


def resnet18(num_classes: int = 1000, input_shape=(3, 224, 224), weight_init="he_normal") -> nn.Model:
    """ResNet-18 as a functional model: stem, four stages of two basic blocks, global pooling, dense."""
    image = nn.Input(input_shape, name="image")
    x = nn.Conv2D(64, 7, strides=2, padding=3, use_bias=False, weight_init=weight_init, name="conv1")(image)
    x = nn.ReLU(name="relu")(nn.BatchNorm(convention="pytorch", name="bn1")(x))
    x = nn.MaxPool2D(3, strides=2, padding=1, name="maxpool")(x)
    for stage, (filters, blocks) in enumerate(STAGES, start=1):
        for index in range(blocks):
            strides = 2 if stage > 1 and index == 0 else 1
            x = basic_block(x, filters, strides, f"layer{stage}_{index}", weight_init)
    x = nn.GlobalAvgPool2D(name="avgpool")(x)
    logits = nn.Dense(num_classes, name="fc")(x)
    return nn.Model(image, logits, name="resnet18_functional")


def state_from_sequential(model: nn.Sequential, state: dict | None = None) -> dict:
    """``models.ResNet18``'s state dict (or ``state``, any dict by its names) under this file's layer
    names: "0.weight" is "conv1.weight", "4.shortcut_bn.gamma" is "layer1_0_shortcut_bn.gamma", ...,
    "13.bias" is "fc.bias"."""
    names = {0: "conv1", 1: "bn1"}
    blocks = [
        f"layer{stage}_{index}" for stage, (_, count) in enumerate(STAGES, start=1) for index in range(count)
    ]
    names.update((4 + position, block) for position, block in enumerate(blocks))
    names[len(model.layers) - 1] = "fc"
    renamed = {}
    for key, value in (model.state_dict() if state is None else state).items():
        position, rest = key.split(".", 1)
        layer = names[int(position)]
        renamed[f"{layer}_{rest}" if "." in rest else f"{layer}.{rest}"] = value
    return renamed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64, help="image height and width for the comparison")
    parser.add_argument("--classes", type=int, default=10, help="classes for the comparison")
    args = parser.parse_args()

    full = resnet18(num_classes=1000, input_shape=(3, 224, 224))
    print(
        f"ResNet-18 (functional) at 224x224, 1000 classes: {full.count_params():,} parameters "
        "(torchvision: 11,689,512)"
    )
    print("\n".join(full.format_summary().splitlines()[:14]) + "\n...")

    gn.set_default_dtype("float64")
    gn.manual_seed(0)
    shape = (3, args.size, args.size)
    functional = resnet18(args.classes, shape)
    sequential = models.ResNet18(args.classes, shape)
    functional.load_state_dict(state_from_sequential(sequential))
    x = np.random.default_rng(0).standard_normal((2, *shape))
    for mode in ("eval", "train"):
        getattr(functional, mode)()
        getattr(sequential, mode)()
        difference = np.abs(functional(x).data - sequential(x).data).max()
        print(
            f"{mode} mode: largest difference from models.ResNet18 with the same weights = {difference:.1e}"
        )


if __name__ == "__main__":
    main()
