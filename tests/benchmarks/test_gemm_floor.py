"""benchmarks/gemm_floor.py lists the products glassnet's convolutions really run: each forward product's
(M, K, N) is the (O, C·KH·KW, N·P) that ``Conv2D`` multiplies for the same model and batch."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import models
from glassnet.ops import conv

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _gemm_floor():
    path = BENCHMARKS / "gemm_floor.py"
    spec = importlib.util.spec_from_file_location("glassnet_benchmarks_gemm_floor", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _conv_products(monkeypatch, network, x) -> list:
    """(M, K, N) of every Conv2D forward product of ``network`` on x, in the order they run."""
    seen = []
    output = conv.ColumnLayout.output

    def recording(layout, y, bias, out=None):
        kh, kw = layout.kernel
        seen.append((y.shape[0], layout.padded_shape[1] * kh * kw, y.shape[1]))
        return output(layout, y, bias, out)

    monkeypatch.setattr(conv.ColumnLayout, "output", recording)
    network(gn.Tensor(x))  # with a graph: one product over the whole batch (inference runs it in groups)
    return seen


@pytest.mark.parametrize(
    ("workload", "build", "image", "names"),
    [
        ("dcgan_train", lambda: models.DCGAN().discriminator, (1, 28, 28),
         ["D conv 1 forward", "D conv 2 forward"]),
        ("lenet_train", models.LeNet5, (1, 32, 32), ["conv 1 forward", "conv 2 forward", "conv 3 forward"]),
    ],
)
def test_the_forward_products_are_the_ones_conv2d_runs(monkeypatch, workload, build, image, names):
    floor = _gemm_floor()
    listed = {what: (m, k, n) for m, k, n, _, what in floor.FLOORS[workload]()}
    x = np.zeros((64,) + image, dtype=np.float32)  # batch 64, as the suite's
    assert _conv_products(monkeypatch, build(), x) == [listed[name] for name in names]


def test_each_product_is_timed_at_its_best_and_the_table_adds_up():
    floor = _gemm_floor()
    rows, total, flops = floor.floor("lstm_infer", repeats=2)
    assert [row[0] for row in rows] == ["the gates of one step", "dense head"]
    assert rows[0][1:5] == (512, 161, 64, 50)
    assert total == pytest.approx(sum(row[4] * row[5] for row in rows))
    assert flops == 50 * 2 * 512 * 161 * 64 + 2 * 64 * 128 * 10
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    for variant in floor._variants(a, b):  # every way of calling it computes the same product
        np.testing.assert_array_equal(variant(), a @ b)
