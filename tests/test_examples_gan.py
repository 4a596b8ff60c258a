"""examples/gan_mnist.py runs on small settings: glassnet and its PyTorch twin, fed the same batches and the
same noise from the same initial weights, report the same first-epoch losses; grids, the saved GAN and the
scores with a classifier come out."""

import runpy
import sys
from pathlib import Path

import pytest

import glassnet as gn
from glassnet import nn

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def run(argv, capsys):
    old = sys.argv
    sys.argv = ["gan_mnist.py", *map(str, argv)]
    try:
        runpy.run_path(str(EXAMPLES / "gan_mnist.py"), run_name="__main__")
    finally:
        sys.argv = old
    return capsys.readouterr().out


# an untrained classifier puts every sample in one class: the collapse warning fires, as it should
@pytest.mark.filterwarnings("ignore::glassnet.train.callbacks.GANWarning")
@pytest.mark.parametrize(
    ("loss", "label_smoothing", "rates", "hidden"),
    [
        ("non_saturating", 0.0, (), None),
        ("non_saturating", 0.1, (), None),
        ("least_squares", 0.1, (1e-4, 4e-4), None),
        ("least_squares", 0.0, (), 8),  # the discriminator's hidden layer
    ],
)
def test_gan_example_and_its_pytorch_twin_agree_on_the_same_batches(
    capsys, tmp_path, loss, label_smoothing, rates, hidden
):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    folder = SHARED_DATA / "mnist"
    if not folder.exists():
        pytest.skip(f"MNIST is not at {folder} (it is in CI's shared data)")
    layers = [nn.Flatten(), nn.Dense(16, activation="relu"), nn.Dense(10)]
    nn.Sequential(layers, input_shape=(1, 28, 28)).save(tmp_path / "classifier.glassnet")
    argv = ["--epochs", 1, "--train-samples", 256, "--width", 4, "--latent-dim", 8, "--data", folder]
    argv += ["--out", tmp_path / "out", "--classifier", tmp_path / "classifier.glassnet", "--ema", 0.9]
    argv += ["--loss", loss, "--label-smoothing", label_smoothing]
    if rates:  # two time scales
        argv += ["--lr-generator", rates[0], "--lr-discriminator", rates[1]]
    if hidden:
        argv += ["--discriminator-hidden", hidden]
    ours = run(argv, capsys)
    theirs = run([*argv, "--torch"], capsys)
    ours_line = next(line for line in ours.splitlines() if line.startswith("Epoch 1/1"))
    theirs_line = next(line for line in theirs.splitlines() if line.startswith("pytorch epoch 1"))
    for key in ("d_loss", "g_loss"):
        mine, other = (float(line.split(f"{key} ")[1].split()[0]) for line in (ours_line, theirs_line))
        assert mine == pytest.approx(other, abs=2e-4), key  # float32 arithmetic, 4 steps
    assert "glassnet DCGAN on mnist: 1 epochs" in ours and "pytorch DCGAN on mnist" in theirs
    for out in (ours, theirs):  # the last weights, the moving average, the real images
        assert out.count("Frechet distance to the test set") == 3 and "real training images:" in out
        assert out.count("classifier score >= 9.0 and every class within 5-15 %: ") == 3  # the verdicts
    for which in ("last weights", "moving average"):  # the two averages agree as the two trainings do
        mine, other = (
            float(next(line for line in out.splitlines() if f"({which}): Frechet" in line).split()[9][:-1])
            for out in (ours, theirs)
        )
        assert mine == pytest.approx(other, rel=1e-3), which
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "dcgan_mnist.glassnet",
        "samples_epoch001.png",
        "samples_over_epochs.png",
        "torch_samples_epoch001.png",
    ]
    saved = gn.load_model(tmp_path / "out" / "dcgan_mnist.glassnet")
    assert saved.latent_dim == 8
    assert len(saved.discriminator.layers) == (10 if hidden else 7)  # the hidden layer is saved with it
