"""examples/gpt_shakespeare.py on a tiny text: glassnet and its PyTorch twin, from the same initial weights
on the same batches, report the same losses; the attention maps are drawn; nanoGPT's schedule and the
time plan give the numbers they promise."""

import runpy
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gpt_shakespeare.py"
TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n"
)


def run(argv, capsys):
    old = sys.argv
    sys.argv = ["gpt_shakespeare.py", *map(str, argv)]
    try:
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    finally:
        sys.argv = old
    return capsys.readouterr().out


def test_glassnet_and_pytorch_train_the_same_baby_gpt_on_the_same_batches(capsys, tmp_path, request):
    torch = pytest.importorskip("torch", reason="the twin is PyTorch 2.13")
    pytest.importorskip("matplotlib", reason="the attention plot needs matplotlib")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a shared machine PyTorch's spinning threads take seconds per step
    request.addfinalizer(lambda: torch.set_num_threads(threads))
    text = tmp_path / "tiny.txt"
    text.write_text(TEXT * 8, encoding="utf-8")  # 1,760 characters: 176 to validate, > context 64
    argv = ["--text", text, "--iters", 4, "--eval-interval", 2, "--eval-iters", 1, "--final-eval-iters", 1]
    argv += ["--sample-length", 8, "--torch", "--attention-plot", tmp_path / "maps.png"]
    out = run(argv, capsys)
    assert "baby GPT: 4 layers, 4 heads, width 128, context 64, batch 12, dropout 0.0, no biases" in out
    vocabulary = len(set(TEXT)) + 2  # the characters, padding and unknown
    count = vocabulary * 128 + 4 * (128 + 3 * 128 * 128 + 128 * 128 + 128 + 2 * 128 * 512) + 128
    assert f"{count / 1e6:.2f}M parameters (nanoGPT's count" in out and f"{count + 64 * 128:,} in all" in out
    table = out[out.index("iteration  glassnet train") :].splitlines()[1:5]
    rows = [list(map(float, row.split())) for row in table if row.split() and row.split()[0].isdigit()]
    assert [int(row[0]) for row in rows] == [0, 2, 4]
    for _, ours_train, theirs_train, ours_val, theirs_val in rows:
        assert ours_train == pytest.approx(theirs_train, abs=2e-4)  # float32 arithmetic, a few steps
        assert ours_val == pytest.approx(theirs_val, abs=2e-4)
    assert rows[-1][1] < rows[0][1]  # it learns (the warm-up keeps the steps small)
    gap = float(out.split("largest |glassnet - pytorch| = ")[1].split()[0])
    assert gap < 1e-4
    assert "--- sample ---" in out and (tmp_path / "maps.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(EXAMPLE))  # the functions, without running main


def test_the_schedule_is_nanogpts_warm_up_and_cosine(example):
    config, lr = example["CONFIGS"]["baby"], example["learning_rate"]
    assert lr(0, config) == pytest.approx(1e-3 / 101, rel=1e-12)  # (it + 1) / (warmup + 1)
    assert lr(99, config) == pytest.approx(1e-3 * 100 / 101, rel=1e-12)
    assert lr(100, config) == pytest.approx(1e-3, rel=1e-12)
    assert lr(1050, config) == pytest.approx(5.5e-4, rel=1e-12)  # half way down the cosine
    assert lr(2000, config) == pytest.approx(1e-4, rel=1e-12) and lr(2500, config) == 1e-4


def test_the_time_plan_fits_the_iterations_to_the_minutes_left(example):
    config = replace(example["CONFIGS"]["larger"], minutes=1.0)
    planned = example["plan"](config, seconds_per_iter=0.1, start=time.perf_counter())
    # 57 s (5 % kept back) / (0.1 s · (1 + 2·20/(3·250))) per iteration, after the 12 timed ones
    assert 12 + int(57 / 0.10533) - 2 <= planned.max_iters <= 12 + int(57 / 0.10533)
    slow = example["plan"](config, seconds_per_iter=10.0, start=time.perf_counter())
    assert slow.max_iters == config.warmup_iters + 1  # never shorter than the warm-up


def test_the_twin_holds_glassnets_weights(example):
    torch = pytest.importorskip("torch", reason="the twin is PyTorch 2.13")
    import numpy as np

    import glassnet as gn

    gn.manual_seed(0)
    config = replace(example["CONFIGS"]["baby"], num_layers=2, d_model=16, num_heads=2, context=8, bias=True)
    model = example["build_model"](11, config)
    twin = example["torch_twin"](model)
    ids = np.random.default_rng(0).integers(0, 11, (3, 8))
    with torch.no_grad():
        theirs = twin(torch.from_numpy(ids)).numpy()
    np.testing.assert_allclose(model(ids).data, theirs, rtol=1e-4, atol=1e-5)
