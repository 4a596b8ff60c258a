"""The Transformer examples on small settings. examples/gpt_shakespeare.py on a tiny text: glassnet and its
PyTorch twin, from the same initial weights on the same batches, report the same losses; the attention
maps are drawn; nanoGPT's schedule and the time plan give the numbers they promise.
examples/vit_mnist.py learns digits from a few thousand images; examples/rnn_vs_transformer.py prints its
table, with FLOP counts that agree with the models' weight shapes."""

import runpy
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "gpt_shakespeare.py"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n"
)


def run(argv, capsys, example=EXAMPLE):
    old = sys.argv
    sys.argv = [example.name, *map(str, argv)]
    try:
        runpy.run_path(str(example), run_name="__main__")
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
    vocabulary = len(set(TEXT))  # the text's characters alone, as nanoGPT's (no padding or unknown ids)
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
    assert "generation of 63 characters: the same characters with and without the cache" in out
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
    planned = example["plan"](config, seconds_per_iter=0.1, start=time.perf_counter(), final_eval_iters=150)
    # 57 s (5 % kept back) less the last evaluation's 2·150/3 steps (10 s), over 0.1 s · (1 + 2·20/(3·250))
    # per iteration, after the 12 timed ones
    assert 12 + int(47 / 0.10533) - 2 <= planned.max_iters <= 12 + int(47 / 0.10533)
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


def test_vit_example_learns_digits_from_a_thousand_images(capsys, tmp_path):
    folder = SHARED_DATA / "mnist"
    if not folder.exists():
        pytest.skip(f"MNIST is not at {folder} (it is in CI's shared data)")
    argv = ["--epochs", 2, "--train-samples", 1000, "--test-samples", 500, "--batch-size", 32]
    argv += ["--data", folder, "--out", tmp_path]
    out = run(argv, capsys, EXAMPLES / "vit_mnist.py")
    assert "ViT: 16 patches of 7×7, width 64, 4 blocks of 4 heads, 139,018 parameters" in out
    epochs = [
        float(line.split("test accuracy ")[1].split()[0]) for line in out.splitlines() if "epoch " in line
    ]
    assert len(epochs) == 2 and epochs[1] > 0.3  # ten classes: chance is 0.1 (0.59 here)
    import glassnet as gn

    assert gn.load_model(tmp_path / "vit_mnist.glassnet").num_patches == 16


def test_rnn_vs_transformer_prints_the_side_by_side(capsys, tmp_path):
    text = tmp_path / "tiny.txt"
    text.write_text(TEXT * 8, encoding="utf-8")
    out = run(["--text", text, "--iters", 3, "--val-windows", 4, "--seq-len", 16], capsys,
              EXAMPLES / "rnn_vs_transformer.py")  # fmt: skip
    assert "the same 576 training characters (3 batches of 12 x 16)" in out
    rows = {line[:30].strip(): line[30:].split("  ") for line in out.splitlines()[3:]}
    for label in (
        "parameters",
        "forward FLOPs per token",
        "training time per token",
        "val loss, all positions",
    ):
        assert label in rows, label
    losses = [float(x) for x in out.split("val loss, all positions")[1].split()]
    assert len(losses) == 2 and all(2.0 < loss < 5.0 for loss in losses)  # about ln(vocabulary 27) = 3.3


def test_flop_counts_agree_with_the_weight_shapes():
    from glassnet.models import CharRNN, TransformerLM

    example = runpy.run_path(str(EXAMPLES / "rnn_vs_transformer.py"))
    lstm = CharRNN(30, embedding_dim=8, units=16, num_layers=2)
    gate_weights = sum(layer.kernel.size + layer.recurrent_kernel.size for layer in lstm.recurrent)
    assert example["lstm_flops_per_token"](lstm) == 2 * (gate_weights + lstm.head.weight.size)
    gpt = TransformerLM(30, context=10, d_model=8, num_layers=2, num_heads=2, bias=False, tie_weights=True)
    matrices = sum(p.size for name, p in gpt.named_parameters() if name.startswith("blocks") and p.ndim == 2)
    attention = 2 * 2 * 10 * 8 * 2  # scores and weighted sum over 10 positions, 2 blocks
    expected = 2 * matrices + attention + 2 * gpt.token_embedding.weight.size
    assert example["transformer_flops_per_token"](gpt, 10) == expected
