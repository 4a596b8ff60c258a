"""Traditional vs transfer learning (CURRICULUM section 9): reuse what a CNN learned on Fashion-MNIST to
classify handwritten digits from only 1,000 labelled examples.

    python examples/transfer_learning.py [--pretrain-samples 60000] [--pretrain-epochs 3]
                                         [--digits 1000] [--epochs 30] [--data-fashion DIR] [--data-mnist DIR]

1. Pretrain a small CNN (two conv + pool blocks, a dense layer) on Fashion-MNIST.
2. Transfer: freeze its layers (``trainable = False``), replace the head (the last dense layer) with a new
   one for the 10 digits, and fine-tune only the head on the first 1,000 MNIST training digits.
3. Traditional: train the same architecture from scratch on the same 1,000 digits.
Both are tested on the 10,000 MNIST test digits; the last lines print both accuracies.
"""

import argparse

import numpy as np

import glassnet as gn
from glassnet import data, nn, optim


def features() -> list:
    """The layers that learn features: everything but the head."""
    return [
        nn.Conv2D(16, 3, padding="same", activation="relu", weight_init="he_uniform"),
        nn.MaxPool2D(2),
        nn.Conv2D(32, 3, padding="same", activation="relu", weight_init="he_uniform"),
        nn.MaxPool2D(2),
        nn.Flatten(),
        nn.Dense(64, activation="relu", weight_init="he_uniform"),
    ]


def compiled(model, lr=1e-3):
    model.compile(
        optimizer=optim.Adam(lr=lr),
        loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def images(x):
    return x[:, None] / np.float32(255)  # (N, 1, 28, 28) in [0, 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pretrain-samples", type=int, default=60000)
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--digits", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--data-fashion", help="a folder with Fashion-MNIST's four .gz files")
    parser.add_argument("--data-mnist", help="a folder with MNIST's four .gz files")
    args = parser.parse_args()

    gn.manual_seed(0)
    (fashion_x, fashion_y), _ = data.load_fashion_mnist(path=args.data_fashion)
    (digits_x, digits_y), (test_x, test_y) = data.load_mnist(path=args.data_mnist)
    fashion_x, fashion_y = images(fashion_x[: args.pretrain_samples]), fashion_y[: args.pretrain_samples]
    digits_x, digits_y = images(digits_x[: args.digits]), digits_y[: args.digits]
    test_x = images(test_x)

    print(f"1. pretraining on {len(fashion_x):,} Fashion-MNIST images")
    base = features()
    pretrained = compiled(nn.Sequential([*base, nn.Dense(10)], input_shape=(1, 28, 28)))
    pretrained.fit(fashion_x, fashion_y, epochs=args.pretrain_epochs, batch_size=64, verbose=2)

    print(f"2. transfer: frozen features, a new head fine-tuned on {len(digits_x):,} MNIST digits")
    for layer in base:
        layer.trainable = False
    transfer = compiled(nn.Sequential([*base, nn.Dense(10)], input_shape=(1, 28, 28)), lr=1e-2)
    transfer.fit(digits_x, digits_y, epochs=args.epochs, batch_size=32, verbose=0)
    trainable = sum(p.size for p in transfer.trainable_parameters())
    _, transfer_accuracy = transfer.evaluate(test_x, test_y)

    print(f"3. traditional: the same network from scratch on the same {len(digits_x):,} digits")
    scratch = compiled(nn.Sequential([*features(), nn.Dense(10)], input_shape=(1, 28, 28)))
    scratch.fit(digits_x, digits_y, epochs=args.epochs, batch_size=32, verbose=0)
    _, scratch_accuracy = scratch.evaluate(test_x, test_y)

    print(
        f"MNIST test accuracy, transfer (head only, {trainable:,} trainable parameters): "
        f"{transfer_accuracy:.4f}"
    )
    print(
        f"MNIST test accuracy, from scratch ({scratch.count_params():,} trainable parameters): "
        f"{scratch_accuracy:.4f}"
    )


if __name__ == "__main__":
    main()
