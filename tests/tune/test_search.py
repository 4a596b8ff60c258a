"""Searches end to end on a small problem: the executors agree, ASHA's decisions follow its formula,
faults are recorded and the search goes on, the results folder resumes a search."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from search_helpers import FOLDER, blobs, build_mlp

from glassnet import tune

FIT = {"epochs": 6, "batch_size": 32, "validation_split": 0.2}
SPACE = {
    "layers": tune.grid([1, 2]),
    "units": tune.grid([4, 16]),
    "lr": tune.grid([0.001, 0.05]),
    **tune.per_layer("units", tune.grid([4, 8]), count="layers", most=2),
}
ASHA = tune.ASHA(grace_period=1, reduction_factor=2)


def table(result):
    return [(t.trial_id, t.status, t.params, t.scores, t.error) for t in result.trials]


def grid_search(executor, **options):
    options = {"scheduler": ASHA, "refit": False, "verbose": 0, "n_workers": 2, **options}
    return tune.GridSearch(build_mlp, SPACE, executor=executor, **options).search(*blobs(), **FIT)


@pytest.fixture(scope="module")
def serial():
    return grid_search("serial")


def test_parallel_workers_give_the_serial_table(serial):
    parallel = grid_search("processes")
    assert table(parallel) == table(serial)
    assert len(serial.trials) == 12 and serial.counts()["pruned"] >= 3


def test_asha_stopped_each_trial_at_the_first_rung_its_formula_says(serial):
    rungs = ASHA.rungs(FIT["epochs"])
    assert rungs == [1, 2, 4]
    for trial in serial.trials:
        stop = None
        for rung in rungs:
            earlier = [t.scores[rung - 1] for t in serial.trials[: trial.trial_id] if len(t.scores) >= rung]
            if not ASHA.keeps(trial.scores[rung - 1], earlier):
                stop = rung
                break
        assert (trial.status, len(trial.scores)) == (("pruned", stop) if stop else ("finished", 6))


def test_the_best_trial_and_its_refit_model(tmp_path):
    space = {"units": tune.grid([4, 16]), "lr": tune.grid([0.001, 0.05])}
    search = tune.GridSearch(build_mlp, space, executor="serial", directory=tmp_path, verbose=0)
    result = search.search(*blobs(), **FIT)
    best = max(result.trials, key=lambda t: (max(t.scores), -t.trial_id))
    assert result.best is best and result.best_params == best.params and result.best_score == max(best.scores)
    assert result.best_params["lr"] == 0.05  # lr 0.001 barely moves in 6 epochs
    # the refit model is the trial's: same seed, same epochs, same validation accuracy at the end
    x, y = blobs()
    held = int(len(x) * 0.2)
    accuracy = result.best_model.evaluate(x[-held:], y[-held:], return_dict=True)["accuracy"]
    assert accuracy == pytest.approx(best.scores[-1], abs=1e-6)
    assert (tmp_path / "best.glassnet").exists()
    lines = (tmp_path / "results.csv").read_text().splitlines()
    assert lines[0] == "trial,status,units,lr,best_val_accuracy,best_epoch,epochs,seconds,error,history"
    assert len(lines) == 5 and lines[4].startswith("3,finished,16,0.05,")


def test_random_search_repeats_from_its_seed():
    space = {"units": tune.choice([4, 8, 16]), "lr": tune.loguniform(1e-3, 1e-1)}
    runs = [
        tune.RandomSearch(build_mlp, space, n_trials=3, seed=seed, executor="serial", refit=False, verbose=0)
        for seed in (5, 5, 6)
    ]
    first, again, other = (run.search(*blobs(), epochs=2, validation_split=0.2) for run in runs)
    assert table(first) == table(again)
    assert [t.params for t in first.trials] != [t.params for t in other.trials]


CASES = {
    "slow": {"lr": 0.01},
    "diverges": {"lr": 1e12},
    "does not build": {"activation": "nope"},
    "out of memory": None,
    "fast": {},
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow on the way to NaN
@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_a_diverging_and_a_failing_trial_are_recorded_and_the_best_of_the_rest_wins(executor):
    def build(hp):
        if CASES[hp["case"]] is None:
            raise MemoryError("Unable to allocate 64.0 GiB for an array with shape (131072, 131072)")
        return build_mlp({"optimizer": "sgd", "lr": 0.2, **CASES[hp["case"]]})

    search = tune.GridSearch(
        build, {"case": tune.grid(list(CASES))}, executor=executor, n_workers=2, refit=False, verbose=0
    )
    result = search.search(*blobs(), epochs=3, validation_split=0.2)
    assert [t.status for t in result.trials] == ["finished", "failed", "failed", "failed", "finished"]
    assert result.trials[1].error.startswith("FloatingPointError: the loss is nan before backward")
    assert result.trials[2].error.startswith("ValueError: ") and "'nope'" in result.trials[2].error
    assert (
        result.trials[3].error
        == "MemoryError: Unable to allocate 64.0 GiB for an array with shape (131072, 131072)"
    )
    assert result.best.params == {"case": "fast"}
    assert max(result.trials[4].scores) > max(result.trials[0].scores)


def test_a_worker_killed_with_sigkill_loses_only_its_own_trial(serial):
    space = {"units": tune.grid([4, 13, 16]), "lr": 0.05}
    result = tune.GridSearch(
        build_mlp, space, executor="processes", n_workers=2, refit=False, verbose=0
    ).search(*blobs(), **FIT)
    killed = result.trials[1]
    assert (killed.status, killed.error) == ("failed", "worker process killed by SIGKILL")
    assert [t.status for t in result.trials] == ["finished", "failed", "finished"]
    assert result.best.trial_id in (0, 2)


def test_resuming_skips_the_trials_already_done(tmp_path, serial):
    whole = tmp_path / "whole"
    grid_search("serial", directory=whole)
    part = tmp_path / "part"
    part.mkdir()
    (part / "search.json").write_text((whole / "search.json").read_text())
    lines = (whole / "trials.jsonl").read_text().splitlines()
    (part / "trials.jsonl").write_text("\n".join(lines[:5]) + "\n")
    built = []

    def counting(hp):
        built.append(hp)
        return build_mlp(hp)

    resumed = tune.GridSearch(
        counting, SPACE, executor="serial", scheduler=ASHA, directory=part, refit=False, verbose=0
    )
    # the build function is part of the run, not of the search's description: the folder is accepted
    result = resumed.search(*blobs(), **FIT)
    assert len(built) == 12 - 5
    assert table(result) == table(serial)


def test_a_folder_holding_another_search_is_refused(tmp_path):
    grid_search("serial", directory=tmp_path)
    with pytest.raises(ValueError, match=r"holds another search \(scheduler, space, trials differ\)"):
        other = tune.GridSearch(build_mlp, {"units": tune.grid([4])}, directory=tmp_path, verbose=0)
        other.search(*blobs(), **FIT)


SCRIPT = """
import sys
sys.path.insert(0, {folder!r})
from search_helpers import blobs, build_mlp
from glassnet import tune
space = {{"units": tune.grid([4, 8, 16]), "lr": tune.grid([0.01, 0.05]), "sleep": {sleep}}}
search = tune.GridSearch(build_mlp, space, executor={executor!r}, n_workers=2, directory=sys.argv[1],
                         refit=False, verbose=0)
result = search.search(*blobs(), epochs=3, validation_split=0.2)
print("interrupted" if result.interrupted else "complete", len(result.trials))
"""


def _table_without_time(folder: Path):
    rows = [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]
    return sorted((row["trial_id"], row["status"], row["scores"]) for row in rows)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_sigint_then_restart_gives_the_table_of_an_uninterrupted_search(tmp_path, executor):
    script = tmp_path / "search.py"
    # Each trial sleeps long enough that the SIGINT, sent once two trials are written, lands while later
    # ones run even on a loaded machine (with two workers and 0.25 s, all six sometimes finished first).
    sleep = 0.75 if executor == "processes" else 0.25
    script.write_text(SCRIPT.format(folder=FOLDER, executor=executor, sleep=sleep))
    run = [sys.executable, str(script)]
    assert subprocess.run([*run, str(tmp_path / "whole")], capture_output=True, text=True).stdout.startswith(
        "complete 6"
    )
    folder = tmp_path / "interrupted"
    process = subprocess.Popen([*run, str(folder)], stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (
        (folder / "trials.jsonl").exists() and len((folder / "trials.jsonl").read_text().splitlines()) >= 2
    ):
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    kept = len((folder / "trials.jsonl").read_text().splitlines())
    assert output.startswith("interrupted") and 2 <= kept < 6
    again = subprocess.run([*run, str(folder)], capture_output=True, text=True)
    assert again.stdout.startswith("complete 6")
    assert _table_without_time(folder) == _table_without_time(tmp_path / "whole")
    assert os.path.exists(folder / "results.csv")
