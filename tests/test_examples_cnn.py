"""The CNN examples run as they are, on small settings, and print what they promise."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def data_folder(name: str) -> Path:
    folder = SHARED_DATA / name
    if not folder.exists():
        pytest.skip(f"{name} is not at {folder} (it is in CI's shared data)")
    return folder


def run(name, capsys, argv=()):
    old = sys.argv
    sys.argv = [name, *map(str, argv)]
    try:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    finally:
        sys.argv = old
    return capsys.readouterr().out


def test_lenet_example_learns_digits_from_a_few_thousand_images(capsys, tmp_path, monkeypatch):
    folder = data_folder("mnist")
    monkeypatch.chdir(tmp_path)
    argv = ["--dataset", "mnist", "--epochs", 1, "--train-samples", 3000, "--test-samples", 2000]
    out = run("fashion_mnist_lenet.py", capsys, [*argv, "--data", folder])
    assert "glassnet lenet on mnist: test accuracy" in out and "peak RSS" in out
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.75  # one epoch on 3,000 digits (0.84 on the full test set when written)
    assert (tmp_path / "mnist_lenet.glassnet").exists()


def test_transfer_example_freezes_the_features_and_compares_with_scratch(capsys):
    fashion, mnist = data_folder("fashion-mnist"), data_folder("mnist")
    argv = [
        "--pretrain-samples", 2000, "--pretrain-epochs", 1, "--digits", 200, "--epochs", 2,
        "--test-samples", 1000, "--data-fashion", fashion, "--data-mnist", mnist,
    ]  # fmt: skip
    out = run("transfer_learning.py", capsys, argv)
    # The head is dense 64 (1,568·64 + 64) and dense 10 (64·10 + 10); the whole network adds the two
    # convolutions (9·16 + 16 and 9·16·32 + 32).
    assert "transfer (head only, 101,066 trainable parameters)" in out
    assert "from scratch (105,866 trainable parameters)" in out
    transfer = float(out.split("transfer (head only, 101,066 trainable parameters): ")[1].split()[0])
    scratch = float(out.split("from scratch (105,866 trainable parameters): ")[1].split()[0])
    assert transfer > 0.3 and scratch > 0.1  # above chance (0.1) after a few dozen steps
