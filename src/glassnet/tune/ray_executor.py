"""``executor="ray"``: the search's trials run as Ray Tune trials, on this machine or a Ray cluster.

glassnet draws the trials (the same points and seeds as the other executors) and hands them to Ray Tune as
one ``grid_search`` over the trial list; each Ray trial runs ``run_trial`` and reports the validation score
after every epoch; ``tune.ASHA`` becomes Ray's own ``ASHAScheduler`` (the same rule, applied in the order
Ray sees the results). ``ray.init(address=...)`` reaches a cluster: start one with Ray's commands
(``ray start --head`` on one machine, ``ray start --address=HEAD:6379`` on the others), then run the same
script with ``ray_address="auto"``. Without a scheduler each trial's scores are the serial executor's.

Ray records the trials itself; this process writes them to the results folder when the search ends, so an
interrupted Ray search keeps what Ray's own experiment folder keeps (``directory/ray``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from glassnet.tune.trial import FAILED, FINISHED, PRUNED, TrialJob, TrialResult, run_trial

__all__ = ["run_ray"]

_FAILED_MARK = "glassnet trial failed: "


class TrialFailed(RuntimeError):
    """Raised in a Ray trial whose glassnet trial failed, so that Ray marks it errored."""


def _ray():
    try:
        import ray  # noqa: PLC0415 - an optional extra
        from ray import tune as ray_tune  # noqa: PLC0415
    except ImportError:
        raise ImportError('executor="ray" needs Ray Tune: pip install "glassnet[tune]"') from None
    return ray, ray_tune


def _trainable(config, job: TrialJob):
    """One Ray trial: the glassnet trial ``config["trial"] = [trial_id, params]``, reporting each epoch."""
    _, ray_tune = _ray()
    trial_id, params = config["trial"]
    every_epoch = TrialJob(
        job.build_model,
        job.x,
        job.y,
        job.fit_args,
        job.objective,
        job.seed,
        frozenset(range(1, job.fit_args.get("epochs", 1) + 1)),
        job.common_seed,
    )

    def report(epoch, score):
        ray_tune.report({"score": score, "epoch": epoch})
        return True  # Ray's scheduler stops the trial itself

    result, _ = run_trial(every_epoch, trial_id, params, report)
    if result.status == FAILED:
        raise TrialFailed(_FAILED_MARK + result.error)


def run_ray(job: TrialJob, pending, record, mode: str, scheduler, address, n_workers, directory) -> None:
    """Run the ``pending`` (trial_id, params) with Ray Tune, at most ``n_workers`` at once (None: as many
    as the cluster's CPUs allow); ``record`` gets each ended trial, in trial order, at the end."""
    ray, ray_tune = _ray()
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    epochs = job.fit_args.get("epochs", 1)
    ray_scheduler = None
    if scheduler is not None:
        from ray.tune.schedulers import ASHAScheduler  # noqa: PLC0415

        ray_scheduler = ASHAScheduler(
            time_attr="training_iteration",
            max_t=scheduler.max_epochs or epochs,
            grace_period=scheduler.grace_period,
            reduction_factor=scheduler.reduction_factor,
            brackets=1,
        )
    scratch = None if directory is not None else tempfile.mkdtemp(prefix="glassnet-ray-")
    storage = Path(directory) / "ray" if directory is not None else Path(scratch)
    tuner = ray_tune.Tuner(
        ray_tune.with_resources(ray_tune.with_parameters(_trainable, job=job), {"cpu": 1}),
        param_space={"trial": ray_tune.grid_search([[i, p] for i, p in pending])},
        tune_config=ray_tune.TuneConfig(
            metric="score",
            mode=mode,
            scheduler=ray_scheduler,
            max_concurrent_trials=n_workers,
            reuse_actors=True,  # a worker process runs trial after trial instead of one process each
        ),
        run_config=ray_tune.RunConfig(storage_path=str(storage.resolve()), name="search", verbose=0),
    )
    try:
        grid = tuner.fit()
        results = [_result(grid[k], epochs) for k in range(len(grid))]
    finally:
        if started:
            ray.shutdown()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    for result in sorted(results, key=lambda r: r.trial_id):
        record(result)


def _result(ray_result, epochs: int) -> TrialResult:
    trial_id, params = ray_result.config["trial"]
    frame = ray_result.metrics_dataframe
    scores = [] if frame is None or "score" not in frame else [float(s) for s in frame["score"]]
    seconds = float(frame["time_total_s"].iloc[-1]) if frame is not None and len(frame) else 0.0
    if ray_result.error is not None:
        text = str(ray_result.error)
        error = text[text.rindex(_FAILED_MARK) + len(_FAILED_MARK) :] if _FAILED_MARK in text else text
        return TrialResult(trial_id, params, FAILED, scores, seconds, error.strip().splitlines()[0])
    return TrialResult(trial_id, params, FINISHED if len(scores) >= epochs else PRUNED, scores, seconds)
