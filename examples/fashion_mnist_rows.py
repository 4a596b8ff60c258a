"""Fashion-MNIST read as sequences: each 28x28 image is 28 time steps of 28 pixels (one row per step),
classified by an LSTM(128) from its last state.

    python examples/fashion_mnist_rows.py [--epochs 15] [--data DIR]

The data is found as in ``examples/fashion_mnist.py`` (DIR, $GLASSNET_DATA, the cache, or a download).
"""

import argparse
import time

import numpy as np

import glassnet as gn
from glassnet import data, nn, optim
from glassnet.train.callbacks import LearningRateScheduler

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--data", help="a folder with the four .gz files")
parser.add_argument("--limit", type=int, default=None, help="train on the first LIMIT images only")
args = parser.parse_args()

gn.manual_seed(0)
(x_train, y_train), (x_test, y_test) = data.load_fashion_mnist(path=args.data)
x_train = x_train.reshape(-1, 28, 28) / np.float32(255)  # (images, 28 steps, 28 pixels)
x_test = x_test.reshape(-1, 28, 28) / np.float32(255)
if args.limit:
    x_train, y_train = x_train[: args.limit], y_train[: args.limit]

model = nn.Sequential([nn.LSTM(128), nn.Dense(10)], input_shape=(28, 28))
model.compile(
    optimizer=optim.Adam(lr=2e-3, clipnorm=1.0),
    loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
    metrics=["accuracy"],
)
model.summary()
start = time.perf_counter()


def schedule(epoch, lr):
    """2e-3, decayed by 15 % per epoch after the fifth."""
    return 2e-3 * 0.85 ** max(0, epoch - 4)


model.fit(
    x_train,
    y_train,
    epochs=args.epochs,
    batch_size=128,
    validation_split=0.1,
    verbose=2,
    callbacks=[LearningRateScheduler(schedule)],
)
loss, accuracy = model.evaluate(x_test, y_test)
print(
    f"test accuracy {accuracy:.4f}, test loss {loss:.4f} after {args.epochs} epochs "
    f"({time.perf_counter() - start:.0f} s)"
)
