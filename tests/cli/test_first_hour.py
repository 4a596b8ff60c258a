"""The first hour at the command line (issue 15's rough edges): each mistake a new user makes ends in one
line that says how to go on, and what the commands print reads as text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from glassnet import nn
from glassnet.cli import summary as summary_command
from glassnet.cli.main import main
from glassnet.data.datasets import corpora
from glassnet.io.config import parse_config

CLOSED_PORT = "http://127.0.0.1:9/"  # nothing listens: refused at once, as offline
REPOSITORY = Path(__file__).resolve().parents[2]
RUN = """
[data]
source = "{source}"
{extra}

[model]
layers = [{{ type = "Dense", units = 1, {layer} }}]

[compile]
loss = "binary_crossentropy"

[fit]
epochs = 1
"""


def run_file(tmp_path, source="moons", extra="n_samples = 60", layer='activation = "sigmoid"') -> Path:
    path = tmp_path / "run.toml"
    path.write_text(RUN.format(source=source, extra=extra, layer=layer))
    return path


def one_error_line(capsys, argv) -> str:
    assert main(argv) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("glassnet: ")]
    assert len(lines) == 1, lines  # beside "glassnet: downloading URL" notes
    return lines[0]


@pytest.fixture
def empty_data_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)


@pytest.mark.parametrize("command", ["train", "summary"])
def test_offline_download_says_where_to_put_a_copy(
    tmp_path, capsys, empty_data_folders, monkeypatch, command
):
    monkeypatch.setattr(corpora, "_MIRRORS", (CLOSED_PORT,))  # offline
    shakespeare = REPOSITORY / "examples" / "runs" / "shakespeare.toml"
    argv = [command, str(shakespeare)] + (
        ["--quiet", "--output", str(tmp_path)] if command == "train" else []
    )
    err = one_error_line(capsys, argv)
    assert "could not download input.txt" in err
    assert "set GLASSNET_DATA" in err and 'path = "..." in [data] names a copy' in err
    assert err.startswith(f"glassnet {command}: {shakespeare}: [data]: ")
    assert not (tmp_path / "cache").exists()  # the failed download left no empty folders


def test_readme_quick_start_offline_is_one_line(tmp_path, capsys, empty_data_folders):
    path = run_file(tmp_path, "fashion_mnist", f'mirror = "{CLOSED_PORT}"')
    err = one_error_line(capsys, ["train", str(path), "--quiet", "--output", str(tmp_path)])
    assert "GLASSNET_DATA" in err and "could not download" in err


def test_summary_of_an_mnist_run_reads_no_data(tmp_path, capsys, empty_data_folders):
    # offline, with no copy anywhere: the summary needs only the images' shape
    for flatten, layers, shape in (
        ("true", '{ type = "Dense", units = 10 }', "(None, 10)"),
        ("false", '{ type = "Conv2D", filters = 4, kernel_size = 3 }', "(None, 4, 26, 26)"),
    ):
        path = run_file(tmp_path, "mnist", f'mirror = "{CLOSED_PORT}"\nflatten = {flatten}', "units = 1")
        path.write_text(path.read_text().replace('{ type = "Dense", units = 1, units = 1 }', layers))
        assert main(["summary", str(path)]) == 0
        out = capsys.readouterr().out
        assert shape in out
    config = parse_config(path.read_text(), str(path))
    assert summary_command.input_shape(config) == (1, 28, 28)


@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_train_refuses_zero_epochs(tmp_path, capsys, epochs):
    err = one_error_line(
        capsys, ["train", str(run_file(tmp_path)), "--epochs", epochs, "--output", str(tmp_path)]
    )
    assert f"--epochs must be 1 or more, got {epochs}" in err
    assert not list(tmp_path.glob("*.glassnet"))  # no untrained model saved


def test_a_model_file_given_as_a_run_file_is_named(tmp_path, capsys):
    model = tmp_path / "digits-mlp.glassnet"
    nn.Sequential([nn.Dense(2)], input_shape=(3,)).save(model)
    err = one_error_line(capsys, ["train", str(model)])
    assert "is a model file (written by model.save), not a run file" in err
    assert f"glassnet summary {model}" in err
    assert "utf-8" not in err


def test_a_misspelt_layer_argument_gets_the_close_name(tmp_path, capsys):
    path = run_file(tmp_path, layer='activaton = "sigmoid"')
    err = one_error_line(capsys, ["train", str(path), "--quiet", "--output", str(tmp_path)])
    assert "unexpected keyword argument 'activaton'; did you mean 'activation'?" in err


def test_an_untouched_answers_template_is_not_marked(tmp_path, capsys):
    assert main(["exercise", "--seed", "3", "--answers-template"]) == 0
    template = capsys.readouterr().out
    answers = tmp_path / "answers.toml"
    answers.write_text(template)
    err = one_error_line(capsys, ["exercise", "check", str(answers)])
    assert "no answers yet: replace the nan" in err
    # one answer given, right: marked right; the others are missing, not wrong
    assert main(["exercise", "--seed", "3", "--solution"]) == 0
    capsys.readouterr()
    from glassnet.explain import exercises  # noqa: PLC0415

    expected = exercises.generate("backprop", 3).answers["z1_1"]
    answers.write_text(template.replace("z1_1 = nan", f"z1_1 = {expected}"))
    assert main(["exercise", "check", str(answers)]) == 1
    out = capsys.readouterr().out
    assert (
        "right  z1_1" in out
        and "WRONG" not in out
        and out.strip().endswith(f"1 of {out.count('missing') + 1} right")
    )


def test_unknown_answer_names_print_without_quotes(tmp_path, capsys):
    answers = tmp_path / "answers.toml"
    answers.write_text('kind = "backprop"\nseed = 0\n[answers]\nzz = 1.0\n')
    err = one_error_line(capsys, ["exercise", "check", str(answers)])
    assert err.startswith("glassnet exercise: unknown answer names ['zz']")


@pytest.mark.parametrize("command", ["explain", "exercise"])
def test_help_shows_no_restructuredtext(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "``" not in out and "::" not in out
    assert "kind = ..." in out if command == "explain" else "glassnet exercise check" in out


def test_explain_html_is_a_whole_page(tmp_path, capsys):
    target = tmp_path / "adagrad.html"
    source = REPOSITORY / "examples" / "explain" / "adagrad_exercise.toml"
    assert main(["explain", str(source), "--format", "html", "--output", str(target)]) == 0
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert '<td class="number">1</td>' in page and "padding: 2px 10px" in page


def test_train_writes_the_loss_curve_where_git_ignores_it(tmp_path, capsys):
    """What ``glassnet train`` writes with the default --output (the current folder, perhaps a checkout)
    is ignored by git: the model, its plot and a text run's tokenizer."""
    if subprocess.run(["git", "-C", str(REPOSITORY), "status"], capture_output=True).returncode:
        pytest.skip("not a git checkout")
    names = ["digits-mlp.glassnet", "digits-mlp-loss.png", "shakespeare.tokenizer.json"]
    result = subprocess.run(
        ["git", "-C", str(REPOSITORY), "check-ignore", *names], capture_output=True, text=True
    )
    assert result.stdout.split() == names
