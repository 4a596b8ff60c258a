"""A small vision Transformer (``models.ViT``) on MNIST, aiming at 97.5 % test accuracy or more.

    python examples/vit_mnist.py [--epochs 20] [--batch-size 128] [--patch-size 7] [--d-model 64]
                                 [--layers 4] [--heads 4] [--train-samples N] [--test-samples N]
                                 [--data DIR] [--out DIR]

Each 28×28 digit is cut into 16 patches of 7×7 pixels (a strided Conv2D: one 64-vector per patch), a
learned class token goes in front, learned positions are added, and 4 pre-norm Transformer blocks of 4
heads (GELU feed-forward of width 128) let every patch attend to every other; the class token's last
vector is classified. About 140,000 parameters. Pixels in [0, 1]; AdamW (PyTorch's rule, lr 1e-3, weight
decay 0.05 on the matrices only), batches of 128, a linear warm-up over the first epoch's batches and then
a cosine down to 1e-5 at the last batch (``optim.schedules.WarmupCosine``, set before every batch by
``LearningRateScheduler(update_freq="batch")``). An epoch costs about 45 s of one core
(measured on a loaded machine: CPU time, not wall time), so the twenty epochs of the default are meant to
fit in half an hour on two cores; the test accuracy is printed after each epoch and at the end.

A smoke run (under a minute; 74 % from 5,000 images in 2 epochs, the warm-up taking the first of them;
one full epoch alone, all warm-up, reached 92.6 %):

    python examples/vit_mnist.py --epochs 2 --train-samples 5000 --test-samples 2000
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import data, models, nn, optim
from glassnet.optim.schedules import WarmupCosine
from glassnet.train.callbacks import Callback, LearningRateScheduler

MIN_LR = 1e-5


class TestAccuracy(Callback):
    """The test accuracy after each epoch, printed."""

    def __init__(self, x, y, start: float):
        self.x, self.y, self.start = x, y, start

    def on_epoch_end(self, epoch, logs=None):
        _, accuracy = self.model.evaluate(self.x, self.y, batch_size=1000)
        minutes = (time.perf_counter() - self.start) / 60
        print(f"epoch {epoch + 1}: test accuracy {accuracy:.4f} ({minutes:.1f} min)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--patch-size", type=int, default=7)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--train-samples", type=int, help="use only the first N training images")
    parser.add_argument("--test-samples", type=int, help="score only the first N test images")
    parser.add_argument("--data", help="a folder with MNIST's four .gz files")
    parser.add_argument("--out", help="save the trained model in this folder")
    args = parser.parse_args()

    gn.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = data.load_mnist(path=args.data)
    x_train = (x_train[: args.train_samples, None] / np.float32(255)).astype(np.float32)  # (N, 1, 28, 28)
    y_train = y_train[: args.train_samples]
    x_test = (x_test[: args.test_samples, None] / np.float32(255)).astype(np.float32)
    y_test = y_test[: args.test_samples]

    model = models.ViT(
        (1, 28, 28),
        patch_size=args.patch_size,
        d_model=args.d_model,
        num_layers=args.layers,
        num_heads=args.heads,
        dim_feedforward=2 * args.d_model,
    )
    named = list(model.named_parameters())
    groups = [  # weight decay on the matrices (and the patch kernels), none on norms, biases, the tokens
        {
            "params": [
                p for name, p in named if p.ndim >= 2 and "token" not in name and "position" not in name
            ]
        },
        {
            "params": [p for name, p in named if p.ndim < 2 or "token" in name or "position" in name],
            "weight_decay": 0.0,
        },
    ]
    opt = optim.AdamW(groups, lr=args.lr, weight_decay=args.weight_decay, convention="pytorch")
    model.compile(
        optimizer=opt, loss=nn.SparseCategoricalCrossEntropy(from_logits=True), metrics=["accuracy"]
    )
    batches = math.ceil(len(x_train) / args.batch_size)
    print(
        f"ViT: {model.num_patches} patches of {args.patch_size}×{args.patch_size}, width {args.d_model}, "
        f"{args.layers} blocks of {args.heads} heads, {model.count_params():,} parameters; "
        f"{len(x_train):,} training and {len(x_test):,} test images, {batches} batches per epoch",
        flush=True,
    )
    start = time.perf_counter()
    schedule = LearningRateScheduler(
        WarmupCosine(
            None, warmup_steps=batches, decay_steps=max(batches * args.epochs, batches + 1), min_lr=MIN_LR
        ),
        update_freq="batch",
    )
    model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[schedule, TestAccuracy(x_test, y_test, start)],
    )
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000)
    minutes = (time.perf_counter() - start) / 60
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"glassnet ViT on mnist: test accuracy {accuracy:.4f} after {args.epochs} epochs "
        f"({minutes:.1f} min, peak RSS {peak:.0f} MB)"
    )
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        print(f"saved to {model.save(out / 'vit_mnist.glassnet')}")


if __name__ == "__main__":
    main()
