"""The Ray executor on a local Ray started with 2 CPUs: the same trials, scores and best trial as the
serial executor for the same seed. Skipped when Ray is not installed."""

import os

import pytest
from search_helpers import FOLDER, blobs, build_mlp

from glassnet import tune

ray = pytest.importorskip("ray", reason='Ray Tune is an optional extra: pip install "glassnet[tune]"')


@pytest.fixture(scope="module")
def local_ray():
    # Ray's workers import the build function by its module: they need this folder on their path
    path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = FOLDER + (os.pathsep + path if path else "")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()
    os.environ["PYTHONPATH"] = path


def test_ray_runs_the_serial_search_and_finds_the_same_best_trial(local_ray, tmp_path):
    # activation "nope" does not build: those trials fail on Ray as they do here, with the same error
    space = {
        "units": tune.choice([4, 8, 16]),
        "lr": tune.loguniform(1e-3, 1e-1),
        "activation": tune.choice(["relu", "nope"]),
    }
    options = {"n_trials": 6, "seed": 3, "refit": False, "verbose": 0}
    fit = {"epochs": 3, "validation_split": 0.2}
    serial = tune.RandomSearch(build_mlp, space, executor="serial", **options).search(*blobs(), **fit)
    on_ray = tune.RandomSearch(build_mlp, space, executor="ray", directory=tmp_path, **options)
    result = on_ray.search(*blobs(), **fit)
    assert result.best.trial_id == serial.best.trial_id and result.best_params == serial.best_params
    assert [(t.trial_id, t.params, t.status, t.scores, t.error) for t in result.trials] == [
        (t.trial_id, t.params, t.status, t.scores, t.error) for t in serial.trials
    ]
    assert 1 <= result.counts()["failed"] <= 5
    assert (tmp_path / "results.csv").read_text().count("\n") == 7
