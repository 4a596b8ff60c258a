"""The CNN examples run as they are, on small settings, and print what they promise."""

import re
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


def epoch_lines(out: str) -> list:
    return [line for line in out.splitlines() if line.startswith("Epoch ")]


def test_lenet_example_augments_the_training_batches_on_a_cosine_schedule(capsys, tmp_path, monkeypatch):
    folder = data_folder("fashion-mnist")
    monkeypatch.chdir(tmp_path)
    argv = ["--epochs", 2, "--train-samples", 1000, "--test-samples", 500, "--data", folder]
    plain = run("fashion_mnist_lenet.py", capsys, argv)
    augmented = run("fashion_mnist_lenet.py", capsys, [*argv, "--augment", "--cosine"])
    assert "test accuracy" in augmented and "(cosine lr, augment shift+flip)" in augmented
    # The same seed gives the same initial weights and the same first order of the images: the first
    # epoch's training loss differs only because the batches were shifted and flipped.
    assert epoch_lines(plain)[0].split("loss")[1] != epoch_lines(augmented)[0].split("loss")[1]
    # Half a cosine over 2 epochs: 1e-3, then 5e-4.
    assert [line.split("lr ")[1] for line in epoch_lines(augmented)] == ["0.0010", "0.0005"]
    assert float(augmented.split("test accuracy ")[1].split()[0]) > 0.3  # above chance (0.1)


def test_lenet_example_refuses_to_flip_digits(capsys):
    with pytest.raises(SystemExit):
        run("fashion_mnist_lenet.py", capsys, ["--dataset", "mnist", "--augment", "shift+flip"])
    assert "use --augment shift for MNIST" in capsys.readouterr().err


def test_lenet_example_gives_pytorch_the_same_augmented_batches(capsys, tmp_path, monkeypatch):
    pytest.importorskip(
        "torch", reason="--torch trains the same network in PyTorch: pip install torch==2.13.0"
    )
    folder = data_folder("fashion-mnist")
    argv = ["--torch", "--epochs", 1, "--train-samples", 500, "--test-samples", 200, "--data", folder]
    plain = run("fashion_mnist_lenet.py", capsys, argv)
    augmented = run("fashion_mnist_lenet.py", capsys, [*argv, "--augment", "flip"])
    assert "pytorch lenet on fashion: test accuracy" in augmented and "augment flip" in augmented
    loss = [out.split("pytorch epoch 1: loss ")[1].split()[0] for out in (plain, augmented)]
    assert loss[0] != loss[1]  # the same seeds: only the flips tell the two runs apart


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
    verdict = out.strip().splitlines()[-1]  # says who wins and by how much, a distance never negative
    verdicts = r"transfer (beats|trails) training from scratch by \d+\.\d points|transfer ties .*"
    assert re.fullmatch(verdicts, verdict)
