"""Hostile and broken run files (and data they point at) given to the command line: each ends in one line on
stderr and exit status 2, with nothing written outside the output folder; a valid run trains. Each case
runs in a child with 1 GiB of address space and a time limit (tests/io/hostile_harness.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from glassnet.cli.main import main

_spec = importlib.util.spec_from_file_location(
    "hostile_files", Path(__file__).parents[1] / "io" / "hostile_files.py"
)
hostile_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile_files)
harness = hostile_files.load_harness()

BASE = """
[data]
source = "moons"
n_samples = 60

[model]
layers = [{ type = "Dense", units = 1, activation = "sigmoid" }]

[compile]
loss = "binary_crossentropy"

[fit]
epochs = 1
"""
CLOSED_PORT = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused at once


def _train(root: Path, text, *extra):
    run_file = root / "run.toml"
    if isinstance(text, bytes):
        run_file.write_bytes(text)
    else:
        run_file.write_text(text)
    return lambda: main(["train", str(run_file), "--quiet", "--output", str(root / "out"), *extra])


def valid_run_trains(root):
    return _train(root, 'name = "plain"\n' + BASE)


def misspelt_top_level_key(root):
    return _train(root, 'optimiser = "sgd"\n' + BASE)


def epochs_is_a_word(root):
    return _train(root, BASE.replace("epochs = 1", 'epochs = "ten"'))


def seed_is_a_word(root):
    return _train(root, 'seed = "zero"\n' + BASE)


def list_where_a_table_belongs(root):
    return _train(root, "compile = [1, 2]\n" + BASE.replace('[compile]\nloss = "binary_crossentropy"\n', ""))


def missing_section(root):
    return _train(root, BASE.replace('[compile]\nloss = "binary_crossentropy"\n', ""))


def unknown_metric_name(root):
    return _train(root, BASE.replace('loss = "binary_crossentropy"', 'loss = "mse"\nmetrics = ["acuracy"]'))


def layer_type_is_a_list(root):
    return _train(root, BASE.replace('type = "Dense"', "type = [1]"))


def layer_of_a_trillion_units(root):
    return _train(root, BASE.replace("units = 1,", "units = 1_099_511_627_776,"))


def noise_is_a_word(root):
    return _train(root, BASE.replace("n_samples = 60", 'n_samples = 60\nnoise = "loud"'))


def name_escapes_the_output_folder(root):
    return _train(root, 'name = "../../escaped"\n' + BASE)


def absolute_name(root):
    return _train(root, f'name = "{root}/elsewhere"\n' + BASE)


def directory_as_run_file(root):
    (root / "run.toml").mkdir()
    return lambda: main(["train", str(root / "run.toml"), "--quiet", "--output", str(root / "out")])


def non_utf8_run_file(root):
    return _train(root, ("# caf\xe9\n" + BASE).encode("latin-1"))


def deeply_nested_run_file(root):
    return _train(root, "x = " + "[" * 100_000 + "]" * 100_000 + "\n" + BASE)


def run_file_of_endless_size(root):
    return _train(root, "# " + "x" * (2 << 20) + "\n" + BASE)


def download_fails_from_run_file(root):
    text = BASE.replace('source = "moons"\nn_samples = 60', f'source = "mnist"\nmirror = "{CLOSED_PORT}"')
    return _train(root, text)


def readme_quick_start_offline(root):
    text = BASE.replace(
        'source = "moons"\nn_samples = 60', f'source = "fashion_mnist"\nmirror = "{CLOSED_PORT}"'
    )
    return _train(root, text)


def corpus_not_utf8(root):
    (root / "corpus.txt").write_bytes("To be or not to be, caf\xe9\n".encode("latin-1") * 20)
    text = BASE.replace('source = "moons"\nn_samples = 60', f'source = "text"\npath = "{root}/corpus.txt"')
    return _train(root, text)


def corpus_is_a_directory(root):
    (root / "corpus").mkdir()
    text = BASE.replace('source = "moons"\nn_samples = 60', f'source = "text"\npath = "{root}/corpus"')
    return _train(root, text)


def summary_of_a_zip_bomb(root):
    body, crc, size = hostile_files.deflated_zeros(1 << 20, prefix=b"{")
    path = hostile_files.raw_zip(root / "bomb.glassnet", [("glassnet.json", body, 8, crc, 3 << 30)])
    return lambda: main(["summary", str(path)])


def summary_of_a_directory(root):
    (root / "model.glassnet").mkdir()
    return lambda: main(["summary", str(root / "model.glassnet")])


CASES = {
    "valid_run_trains": ("ok", "^0$"),
    "misspelt_top_level_key": ("exit 2", r"unknown key 'optimiser' \(did you mean 'compile\.optimizer'\?\)"),
    "epochs_is_a_word": ("exit 2", r"run\.toml: fit\.epochs: expected an integer .*, found the string 'ten'"),
    "seed_is_a_word": ("exit 2", r"run\.toml: seed: expected an integer .*, found the string 'zero'"),
    "list_where_a_table_belongs": ("exit 2", r"run\.toml: compile: expected a table, found a list of 2"),
    "missing_section": ("exit 2", r"run\.toml: compile: missing; expected a table"),
    "unknown_metric_name": ("exit 2", r"run\.toml: compile\.metrics\[0\]: unknown metric 'acuracy'; valid"),
    "layer_type_is_a_list": ("exit 2", r"model\.layers\[0\]\.type: expected a string, found a list of 1"),
    "layer_of_a_trillion_units": ("exit 2", r"run\.toml: model: needs more memory than this machine has"),
    "noise_is_a_word": ("exit 2", r"run\.toml: data: "),
    "name_escapes_the_output_folder": (
        "exit 2",
        r"run\.toml: name: expected a plain file name \(no folders\), found the string '\.\./\.\./escaped'",
    ),
    "absolute_name": ("exit 2", r"name: expected a plain file name \(no folders\), found the string '/"),
    "directory_as_run_file": ("exit 2", r"run\.toml: expected a run file, found a directory"),
    "non_utf8_run_file": ("exit 2", r"run\.toml: expected a run file in utf-8, found the byte 0xe9 at"),
    "deeply_nested_run_file": ("exit 2", r"run\.toml: expected TOML, found nesting too deep to read"),
    "run_file_of_endless_size": ("exit 2", r"expected a run file of at most 1,048,576 bytes, found 2,"),
    "download_fails_from_run_file": (
        "exit 2",
        r"^glassnet train: \S*run\.toml: \[data\]: could not download train-images",
    ),
    "readme_quick_start_offline": ("exit 2", r"could not download train-images-idx3-ubyte\.gz: .*refused"),
    "corpus_not_utf8": ("exit 2", r"corpus\.txt: expected a text file in utf-8, found the byte 0xe9"),
    "corpus_is_a_directory": ("exit 2", r"corpus: expected a text file, found a directory"),
    "summary_of_a_zip_bomb": ("exit 2", r"bomb\.glassnet: member glassnet\.json: .*\(a zip bomb\?\)"),
    "summary_of_a_directory": ("exit 2", r"model\.glassnet: expected a model file, found a directory"),
}


outcomes, test_hostile_run_file = harness.family(__file__, CASES, "hostile-cli")


def test_valid_run_writes_its_files_in_the_output_folder(outcomes):
    outcome = outcomes["valid_run_trains"]
    assert outcome.stderr == ""
    assert "plain.glassnet" in outcome.written  # (and plain-loss.png with matplotlib)
    assert set(outcome.written) <= {"plain.glassnet", "plain-loss.png"}
