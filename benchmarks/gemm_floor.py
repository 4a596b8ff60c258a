"""The GEMMs of one training or inference step, timed alone at the workload's exact shapes: the least time
any NumPy implementation that computes the step as im2col + GEMM (convolutions) or one GEMM per time step
(LSTM) can take, whatever it does between the products.

    python benchmarks/gemm_floor.py [dcgan_train lenet_train lstm_infer] [--repeats 20]

Each product is timed alone with NumPy (its BLAS, its threads), float32, the best of ``--repeats`` and of
the equivalent ways to call it (transposed, or in cache-sized blocks of a long dimension); a step's
floor is the sum over its products times how often the step runs each. Set it beside PyTorch's whole step
(``benchmarks/suite.py``; ``op_profile.py --torch`` for where PyTorch's time goes): a floor close to
PyTorch's step means that no rearrangement of glassnet's other passes (im2col, col2im, reorders,
element-wise) can reach PyTorch, whose convolutions and RNN cells are fused kernels (oneDNN) that never
write the column matrix or the gates out to memory. Run it on a quiet machine.

The shapes, (M, K, N) for an (M x K) @ (K x N) product, follow ``ops/conv.py``'s layout: a convolution's
forward is W_mat (O, C·KH·KW) @ X_col (C·KH·KW, N·P) with P positions per image (taken from its
``ColumnLayout``, the dropped positions of the row trick included), its weight gradient X_col @
dL/dYᵀ, its input gradient W_matᵀ @ dL/dY; a transposed convolution runs the same three with forward and
input gradient swapped.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _columns(batch: int, channels: int, size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """N·P, the GEMM columns of a square convolution as ``ops.conv.Conv2D`` lays them out (P per image,
    from its ``ColumnLayout``: the stride-1 row trick or the stride phases, dropped positions included)."""
    from glassnet.ops.conv import ColumnLayout, conv_output_size  # noqa: PLC0415 - glassnet's own layout

    out = conv_output_size(size, kernel, stride, (padding, padding))
    padded = (batch, channels, size + 2 * padding, size + 2 * padding)
    layout = ColumnLayout(padded, (kernel, kernel), (stride, stride), (1, 1), (out, out))
    return batch * layout.positions


def dcgan_train(batch: int = 64, width: int = 64) -> list:
    """models.DCGAN(width=64), one GAN.train_step: D runs forward and backward on real images, on the
    detached fakes and, for G's loss, on the fakes again (its weight gradients are computed each time, as
    PyTorch's twin does); its first layer's input gradient only in the third; G runs once each way."""
    w = width
    d1 = _columns(batch, 1, 28, 4, stride=2, padding=1)  # conv 1 -> w on 28x28: phases of 15x15
    d2 = _columns(batch, w, 14, 4, stride=2, padding=1)  # conv w -> 2w on 14x14: phases of 8x8
    g1 = batch * 7 * 7  # transposed conv 2w -> w, 4x4 stride 2, from 7x7: one column per input pixel
    g2 = batch * 14 * 14  # transposed conv w -> 1, from 14x14
    return [
        (2 * w, w * 16, d2, 3, "D conv 2 forward"),
        (w * 16, d2, 2 * w, 3, "D conv 2 weight gradient (X_col on the left)"),
        (w * 16, 2 * w, d2, 3, "D conv 2 input gradient"),
        (w, 16, d1, 3, "D conv 1 forward"),
        (16, d1, w, 3, "D conv 1 weight gradient"),
        (16, w, d1, 1, "D conv 1 input gradient (G's step)"),
        (w * 16, 2 * w, g1, 1, "G transposed conv 1 forward"),
        (2 * w, g1, w * 16, 1, "G transposed conv 1 weight gradient"),
        (2 * w, w * 16, g1, 1, "G transposed conv 1 input gradient"),
        (16, w, g2, 1, "G transposed conv 2 forward"),
        (w, g2, 16, 1, "G transposed conv 2 weight gradient"),
        (w, 16, g2, 1, "G transposed conv 2 input gradient"),
        (batch, 100, 2 * w * 49, 1, "G dense forward"),
        (100, batch, 2 * w * 49, 1, "G dense weight gradient"),
    ]


def lenet_train(batch: int = 64) -> list:
    """models.LeNet5 on 32x32 images, one SGD step: conv 1->6 5x5 (28x28), pool, conv 6->16 5x5 (10x10),
    pool, conv 16->120 5x5 (1x1), dense 120->84->10; the first layer needs no input gradient."""
    c1, c2, c3 = _columns(batch, 1, 32, 5), _columns(batch, 6, 14, 5), _columns(batch, 16, 5, 5)
    return [
        (6, 25, c1, 1, "conv 1 forward"),
        (25, c1, 6, 1, "conv 1 weight gradient"),
        (16, 150, c2, 1, "conv 2 forward"),
        (150, c2, 16, 1, "conv 2 weight gradient"),
        (150, 16, c2, 1, "conv 2 input gradient"),
        (120, 400, c3, 1, "conv 3 forward"),
        (400, c3, 120, 1, "conv 3 weight gradient"),
        (400, 120, c3, 1, "conv 3 input gradient"),
        (batch, 120, 84, 3, "dense 120->84 forward and both gradients"),
        (batch, 84, 10, 3, "dense 84->10 forward and both gradients"),
    ]


def lstm_infer(batch: int = 64, steps: int = 50, features: int = 32, units: int = 128) -> list:
    """LSTM 32->128 over 50 steps, no graph: one product a step of [W_ih; b; W_hh]ᵀ (4H, F+1+H) with
    that step's stacked [x_t; 1; h_{t-1}] (ops/recurrent_sequence.py), then the 128->10 head."""
    return [
        (4 * units, features + 1 + units, batch, steps, "the gates of one step"),
        (batch, units, 10, 1, "dense head"),
    ]


FLOORS = {"dcgan_train": dcgan_train, "lenet_train": lenet_train, "lstm_infer": lstm_infer}


def _variants(a, b):
    """Ways of computing a @ b that OpenBLAS runs at different speeds: as written, as (bᵀ aᵀ)ᵀ, and for a
    long inner or outer dimension in blocks of 4,096 that stay in cache (``ColumnLayout.weight_grad``'s
    trick)."""
    block = 4096

    def plain():
        return a @ b

    def transposed():
        return (b.T @ a.T).T

    def inner_blocks():
        total = a[:, :block] @ b[:block]
        for start in range(block, a.shape[1], block):
            total += a[:, start : start + block] @ b[start : start + block]
        return total

    def outer_blocks():
        out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
        for start in range(0, b.shape[1], block):
            np.matmul(a, b[:, start : start + block], out=out[:, start : start + block])
        return out

    found = [plain, transposed]
    if a.shape[1] > 2 * block:
        found.append(inner_blocks)
    if b.shape[1] > 2 * block:
        found.append(outer_blocks)
    return found


def time_product(m: int, k: int, n: int, repeats: int) -> float:
    """Best wall seconds of one float32 (m x k) @ (k x n) product with NumPy, over ``_variants``."""
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
    best = float("inf")
    for variant in _variants(a, b):
        variant()  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            variant()
            best = min(best, time.perf_counter() - start)
    return best


def floor(name: str, repeats: int) -> tuple:
    """(rows of (what, m, k, n, calls, seconds each, GFLOP/s), the step's total seconds, total FLOPs)."""
    rows, total, flops = [], 0.0, 0
    for m, k, n, calls, what in FLOORS[name]():
        seconds = time_product(m, k, n, repeats)
        rows.append((what, m, k, n, calls, seconds, 2 * m * k * n / seconds / 1e9))
        total += calls * seconds
        flops += calls * 2 * m * k * n
    return rows, total, flops


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workloads", nargs="*", help=f"some of {', '.join(sorted(FLOORS))} (default: all)")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    unknown = sorted(set(args.workloads) - set(FLOORS))
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}; choose from {', '.join(sorted(FLOORS))}")
    for name in args.workloads or sorted(FLOORS):
        rows, total, flops = floor(name, args.repeats)
        print(f"\n{name}: the GEMMs of one step, {total * 1e3:.2f} ms ({flops / 1e9:.3f} GFLOP, "
              f"{flops / total / 1e9:.0f} GFLOP/s)")
        print("| product | M x K x N | a step | ms each | GFLOP/s |")
        print("|---|---|---:|---:|---:|")
        for what, m, k, n, calls, seconds, rate in rows:
            print(f"| {what} | {m} x {k} x {n} | {calls} | {seconds * 1e3:.3f} | {rate:.0f} |")


if __name__ == "__main__":
    main()
