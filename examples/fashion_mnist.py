"""An MLP 784-256-128-10 on Fashion-MNIST (60,000 training images of clothes, 28x28).

    python examples/fashion_mnist.py [--epochs 15] [--data DIR]

The data is read from DIR, $GLASSNET_DATA, Debian's /usr/share/datasets/fashion-mnist or glassnet's cache,
and downloaded (checksum verified) when it is nowhere. The dataset's published MLP baseline is 88.3 %.
"""

import argparse

import numpy as np

import glassnet as gn
from glassnet import data, nn, optim

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--data", help="a folder with the four .gz files")
args = parser.parse_args()

gn.manual_seed(0)
(x_train, y_train), (x_test, y_test) = data.load_fashion_mnist(path=args.data)
x_train = x_train.reshape(-1, 784) / np.float32(255)  # pixels 0..255 -> 0..1
x_test = x_test.reshape(-1, 784) / np.float32(255)

model = nn.Sequential(
    [
        nn.Dense(256, activation="relu", weight_init="he_normal"),
        nn.Dense(128, activation="relu", weight_init="he_normal"),
        nn.Dense(10, weight_init="he_normal"),
    ],
    input_shape=(784,),
)
model.compile(
    optimizer=optim.Adam(lr=1e-3),
    loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.1)
loss, accuracy = model.evaluate(x_test, y_test)
print(f"Fashion-MNIST: test accuracy {accuracy:.4f} after {args.epochs} epochs")
model.save("fashion_mnist_mlp.glassnet")
