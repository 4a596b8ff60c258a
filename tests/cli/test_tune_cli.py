"""``glassnet tune RUN.toml``: a run file's [search] section, the notes' lab, and errors in one line."""

import csv
from pathlib import Path

import pytest

from glassnet.cli.main import main
from glassnet.io.config import parse_config

pytest.importorskip("sklearn")

LAB = Path(__file__).resolve().parents[2] / "examples" / "runs" / "lab_search.toml"

BLOBS_RUN = """
name = "blobs-search"
seed = 0

[data]
source = "blobs"
n_samples = 300
test_size = 0.2

[model]
layers = [
    { type = "Dense", units = 8, activation = "relu" },
    { type = "Dense", units = 3 },
]

[compile]
optimizer = { type = "SGD", lr = 0.01 }
loss = { type = "SparseCategoricalCrossEntropy", from_logits = true }
metrics = ["accuracy"]

[fit]
epochs = 3
batch_size = 32
validation_split = 0.2

[search]
algorithm = "grid"

[search.space]
hidden_layers = [1, 2]
"compile.optimizer.lr" = [0.01, 0.2]
hidden_units_2 = { choice = [4, 16], when = { hidden_layers = 2 } }
"fit.batch_size" = 16
"""


def read_table(folder: Path) -> list:
    with open(folder / "results.csv", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_a_run_file_search_writes_its_table_and_best_model(tmp_path, capsys):
    run = tmp_path / "blobs.toml"
    run.write_text(BLOBS_RUN)
    assert main(["tune", str(run), "--output", str(tmp_path / "out"), "--executor", "serial"]) == 0
    rows = read_table(tmp_path / "out")
    assert [(r["hidden_layers"], r["compile.optimizer.lr"], r["hidden_units_2"]) for r in rows] == [
        ("1", "0.01", ""),
        ("1", "0.2", ""),
        ("2", "0.01", "4"),
        ("2", "0.01", "16"),
        ("2", "0.2", "4"),
        ("2", "0.2", "16"),
    ]
    assert {r["status"] for r in rows} == {"finished"} and {r["epochs"] for r in rows} == {"3"}
    output = capsys.readouterr().out
    # fit.batch_size = 16 differs from the file's 32: no trial is the run file's own run
    assert "the run file's own settings are not among the trials" in output
    assert {r["fit.batch_size"] for r in rows} == {"16"}
    assert (tmp_path / "out" / "best.glassnet").exists()


def test_a_trial_puts_its_values_in_place_of_the_run_files():
    config = parse_config(BLOBS_RUN)
    trial = config.with_hyperparameters(
        {"hidden_layers": 3, "hidden_units_2": 5, "compile.optimizer.lr": 0.3, "hidden_activation": "tanh"}
    )
    assert [layer.get("units") for layer in trial.layers] == [8, 5, 8, 3]
    assert [layer.get("activation") for layer in trial.layers] == ["tanh", "tanh", "tanh", None]
    assert trial.compile["optimizer"] == {"type": "SGD", "lr": 0.3}
    assert config.compile["optimizer"] == {"type": "SGD", "lr": 0.01} and len(config.layers) == 2


def test_the_notes_lab_finds_better_than_its_worst_trial_and_its_own_settings(tmp_path, capsys):
    # 36 trials of 2 epochs (the file says 12); the shape of the result is the lab's
    assert main(["tune", str(LAB), "--epochs", "2", "--output", str(tmp_path), "--quiet"]) == 0
    rows = read_table(tmp_path)
    assert len(rows) == 2 * 3 * 3 * 2
    scores = [float(r["best_val_accuracy"]) for r in rows]
    own = next(
        float(r["best_val_accuracy"])
        for r in rows
        if (
            r["hidden_layers"],
            r["compile.optimizer.lr"],
            r["hidden_activation"],
            r["compile.optimizer.type"],
        )
        == ("1", "0.002", "relu", "Adam")
    )
    assert max(scores) >= own and max(scores) - min(scores) >= 0.01


@pytest.mark.parametrize(
    "change, message",
    [
        ("", "no [search] section: nothing to tune"),
        (
            "[search]\n[search.space]\nlr = { normal = [0, 1] }",
            "search.space.lr: expected a table with one of choice",
        ),
        (
            '[search]\n[search.space]\n"x.lr" = [1, 2]',
            "search.space.x.lr: expected a dotted path into [model]",
        ),
        (
            "[search]\nalgorithm = 'bayes'\n[search.space]\nx = 1",
            "search.algorithm: expected one of 'grid', 'random'",
        ),
    ],
)
def test_bad_search_sections_are_one_line_and_exit_2(tmp_path, capsys, change, message):
    run = tmp_path / "run.toml"
    run.write_text(BLOBS_RUN[: BLOBS_RUN.index("[search]")] + change)
    assert main(["tune", str(run), "--output", str(tmp_path / "out"), "--executor", "serial", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
