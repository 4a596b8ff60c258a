"""The glassnet command: help, the default digits run, run files, summaries and errors."""

import shutil
import subprocess

import numpy as np
import pytest

from glassnet.cli.main import main
from glassnet.io import load_model

MOONS_RUN = """
name = "moons"
seed = 1

[data]
source = "moons"
n_samples = 300
noise = 0.1
test_size = 0.25

[model]
layers = [
    { type = "Dense", units = 16, activation = "relu" },
    { type = "Dense", units = 1, activation = "sigmoid" },
]

[compile]
optimizer = { type = "Adam", lr = 0.02 }
loss = "binary_crossentropy"
metrics = ["accuracy"]

[fit]
epochs = 150
batch_size = 32
"""


def test_help_lists_commands_with_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "train" in out and "summary" in out and "glassnet train run.toml --epochs 5" in out


def test_console_script_is_installed():
    if shutil.which("glassnet") is None:
        pytest.skip("the glassnet console script is not on PATH (install with pip install -e .)")
    result = subprocess.run(["glassnet", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("glassnet ")


def test_default_run_trains_digits_above_95_percent(tmp_path, capsys):
    pytest.importorskip("sklearn", reason="the default run uses scikit-learn's digits")
    assert main(["train", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test: loss")[1].split("accuracy ")[1].split()[0])
    assert accuracy >= 0.95
    model = load_model(tmp_path / "digits-mlp.glassnet")
    assert model.count_params() == 64 * 64 + 64 + 64 * 10 + 10
    pytest.importorskip("matplotlib", reason="the loss curve needs matplotlib")
    assert (tmp_path / "digits-mlp-loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_file_and_summary(tmp_path, capsys):
    run_file = tmp_path / "moons.toml"
    run_file.write_text(MOONS_RUN)
    assert main(["train", str(run_file), "--output", str(tmp_path), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    model = load_model(tmp_path / "moons.glassnet")
    assert model.evaluate(*_moons_test(), return_dict=True)["accuracy"] > 0.9
    assert main(["summary", str(tmp_path / "moons.glassnet")]) == 0
    out = capsys.readouterr().out
    assert "(None, 16)" in out and "Total params: 65" in out
    assert main(["summary", str(run_file)]) == 0
    assert "Total params: 65" in capsys.readouterr().out


def _moons_test():
    import glassnet as gn
    from glassnet import data

    gn.manual_seed(1)
    x, y = data.make_moons(n_samples=300, noise=0.1)
    return x, y.astype(float)


def test_show_default_is_a_valid_run(tmp_path, capsys):
    assert main(["train", "--show-default"]) == 0
    text = capsys.readouterr().out
    (tmp_path / "default.toml").write_text(text)
    pytest.importorskip("sklearn", reason="the default run's data are scikit-learn's digits")
    assert main(["summary", str(tmp_path / "default.toml")]) == 0
    assert "Total params: 4,810" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text, message",
    [
        ("name = 'x'\n[data\n", "not valid TOML"),
        (
            "[data]\nsource = 'moons'\n[model]\nlayers = [{ type = 'Conv3D' }]\n[compile]\nloss = 'mse'\n",
            "layer 1 has type 'Conv3D'; valid types:",
        ),
        ("[data]\nsource = 'moons'\n[compile]\nloss = 'mse'\n", "model: missing; expected a table"),
        (
            "[data]\nsource = 'planets'\n[model]\nlayers = [{ type = 'Dense', units = 1 }]\n"
            "[compile]\nloss = 'mse'\n",
            "source 'planets'; valid: sklearn",
        ),
    ],
)
def test_bad_run_files_give_clear_errors(tmp_path, capsys, text, message):
    run_file = tmp_path / "bad.toml"
    run_file.write_text(text)
    assert main(["train", str(run_file), "--quiet", "--output", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_missing_and_corrupt_model_files(tmp_path, capsys):
    assert main(["summary", str(tmp_path / "nothing.glassnet")]) == 2
    assert "no model file at" in capsys.readouterr().err
    corrupt = tmp_path / "corrupt.glassnet"
    corrupt.write_bytes(b"PK\x03\x04 not really")
    assert main(["summary", str(corrupt)]) == 2
    assert "not a glassnet model file" in capsys.readouterr().err


def test_run_file_with_nested_recurrent_layers(tmp_path, capsys):
    run_file = tmp_path / "seq.toml"
    run_file.write_text(
        """
name = "seq"
[data]
source = "blobs"
n_samples = 120
[model]
layers = [
    { type = "Reshape", target_shape = [2, 1] },
    { type = "Bidirectional", layer = { type = "GRU", units = 4 } },
    { type = "Dense", units = 3 },
]
[compile]
loss = { type = "SparseCategoricalCrossEntropy", from_logits = true }
optimizer = { type = "Adam", lr = 0.05 }
metrics = ["accuracy"]
[fit]
epochs = 2
"""
    )
    assert main(["train", str(run_file), "--output", str(tmp_path), "--quiet"]) == 0, capsys.readouterr().err
    model = load_model(tmp_path / "seq.glassnet")
    assert type(model[1]).__name__ == "Bidirectional" and type(model[1].forward_layer).__name__ == "GRU"
    assert model[1].forward_layer.units == 4 and model.predict(np.zeros((2, 2))).shape == (2, 3)
