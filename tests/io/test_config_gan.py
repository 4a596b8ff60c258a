"""GAN run files for ``glassnet train``: the two optimizers and the GAN loss from [compile], the images'
range from the source, the saved GAN (both networks, both optimizers), the sample grid; clear errors."""

import re
from pathlib import Path

import pytest

import glassnet as gn
from glassnet import models
from glassnet.cli.main import main
from glassnet.io.config import RunFileError, parse_config

RUNS = Path(__file__).resolve().parents[2] / "examples" / "runs"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

MOONS = """
name = "moons-gan"
[data]
source = "moons"
n_samples = 256
scale = "minmax"
[model]
architecture = "MLPGAN"
latent_dim = 2
hidden = 8
[compile]
generator_optimizer = { type = "Adam", lr = 0.002 }
discriminator_optimizer = { type = "SGD", lr = 0.01 }
loss = "least_squares"
label_smoothing = 0.1
discriminator_steps = 2
[fit]
epochs = 2
batch_size = 32
"""


def test_a_gan_run_trains_and_saves_both_networks_and_both_optimizers(tmp_path, capsys):
    run = tmp_path / "moons.toml"
    run.write_text(MOONS)
    assert main(["train", str(run), "--output", str(tmp_path), "--quiet"]) == 0
    gan = gn.load_model(tmp_path / "moons-gan.glassnet")
    assert isinstance(gan, models.GAN) and gan.image_shape == (2,) and gan.latent_dim == 2
    assert gan.compile_settings == {"loss": "least_squares", "label_smoothing": 0.1, "discriminator_steps": 2}
    generator, discriminator = gan.optimizers["generator"], gan.optimizers["discriminator"]
    assert type(generator).__name__ == "Adam" and type(discriminator).__name__ == "SGD"
    assert generator.state_dict()["state"][0]["step"] == 2 * 7  # 204 training points: 7 batches of 32
    assert (tmp_path / "moons-gan-loss.png").is_file()
    config = parse_config(MOONS)
    assert config.gan and config.gan_input_range() == (0.0, 1.0)  # minmax-scaled values onto [-1, 1]


def test_the_mnist_run_file_in_miniature(tmp_path, capsys, monkeypatch):
    image = pytest.importorskip("matplotlib.image", reason="the sample grid needs matplotlib")
    if not (SHARED_DATA / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST is not at {SHARED_DATA} (../shared/data beside the checkout)")
    monkeypatch.setenv("GLASSNET_DATA", str(SHARED_DATA))
    text = (RUNS / "gan_mnist.toml").read_text()
    assert "limit = 60000" in text and "width = 64" in text
    run = tmp_path / "tiny.toml"
    run.write_text(text.replace("limit = 60000", "limit = 64").replace("width = 64", "width = 4"))
    assert main(["train", str(run), "--output", str(tmp_path), "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "gan-mnist: 64 training samples" in out and "last epoch: d_loss" in out
    grid = image.imread(tmp_path / "gan-mnist-samples.png")
    assert grid.shape[:2] == (8 * 29, 8 * 29)  # 64 images of 28x28 with 1-pixel gaps
    gan = gn.load_model(tmp_path / "gan-mnist.glassnet")
    assert type(gan.generator.layers[4]).__name__ == "Conv2DTranspose"
    assert gan.discriminator.layers[-4].units == 256  # the hidden layer of the measured run
    assert gan.optimizers["discriminator"].state_dict()["state"][0]["step"] == 1  # one batch of 64


@pytest.mark.parametrize(
    "change, message",
    [
        (("[compile]", '[compile]\noptimizer = "adam"'), "a GAN takes generator_optimizer and discriminator"),
        (('loss = "least_squares"', 'loss = "mse"'), "loss of a GAN must be one of"),
        (("[fit]", "[fit]\nvalidation_split = 0.1"), "validation_split: a GAN trains on its images alone"),
        (("discriminator_steps = 2", "discriminator_steps = 0"), "discriminator_steps"),
        (("hidden = 8", "hidden = 8\nlatent_dims = 3"), "architecture MLPGAN: .*latent_dims"),
        (
            ('scale = "minmax"', 'scale = "minmax"\ninput_range = [1, 0]'),
            r"input_range must be \[low, high\]",
        ),
    ],
)
def test_bad_gan_run_files_name_the_key(change, message):
    def use(text):
        config = parse_config(text, "gan.toml")
        config.compile_arguments()
        config.build_model((2,))
        config.gan_input_range()

    with pytest.raises(RunFileError, match=message):
        use(MOONS.replace(*change))


def test_images_outside_the_generators_range_are_refused_naming_the_key(tmp_path, capsys):
    run = tmp_path / "raw.toml"
    run.write_text(MOONS.replace('scale = "minmax"', 'scale = "none"'))
    assert main(["train", str(run), "--output", str(tmp_path), "--quiet"]) != 0
    error = capsys.readouterr().err
    assert re.search(r"raw.toml: \[data\]: GAN 'mlp_gan': the images range over \[-1.\d+, 2.\d+\] but", error)
    assert error.rstrip().endswith("in a run file: input_range = [low, high] in [data]")
