"""``GridSearch`` and ``RandomSearch``: run a model-building function over the points of a search space,
score each trial on validation data every epoch, stop bad ones early (``ASHA``), keep the table.

KerasTuner's shape, Ray Tune's words::

    def build_model(hp):
        model = nn.Sequential([nn.Dense(hp["units"], activation=hp["activation"]), nn.Dense(10)],
                              input_shape=(64,))
        model.compile(optimizer=optim.Adam(lr=hp["lr"]), loss=..., metrics=["accuracy"])
        return model

    tuner = tune.RandomSearch(build_model, space, n_trials=20, seed=0, scheduler=tune.ASHA())
    result = tuner.search(x, y, epochs=10, validation_split=0.2)   # the rest goes to fit
    result.best_params, result.best_model

A hyperparameter named ``fit.<argument>`` (``"fit.batch_size": tune.choice([16, 64])``) is also passed
to that trial's ``fit``. Each trial is seeded with ``trial_seed(seed, trial number)`` and ends finished,
pruned (stopped at a rung) or failed (it raised: the error is in its row, the search goes on). Each
ended trial is appended to ``directory/trials.jsonl`` at once: Ctrl-C keeps every ended trial, and
running the same search with the same directory again skips them and runs the rest.
"""

from __future__ import annotations

import json
from pathlib import Path

from glassnet.tune import executors
from glassnet.tune.asha import ASHA, RungBook
from glassnet.tune.results import SearchResult, append_trial, read_trials
from glassnet.tune.space import _check, describe, grid_points, random_points
from glassnet.tune.trial import TrialJob, run_trial

__all__ = ["Search", "GridSearch", "RandomSearch"]

EXECUTORS = ("auto", "serial", "processes", "ray")
_LOWER_IS_BETTER = ("loss", "mae", "mse", "error")
SEARCH_FILE = "search.json"


class Search:
    """The common part of every search: trials, executors, the results folder, the best model.

    Args:
        build_model: a function of the trial's hyperparameters (a dict) returning a compiled model.
        space: name -> domain (``tune.choice``, ``grid``, ``uniform``, ...) or a fixed value.
        objective: the epoch log to rank by, a validation score ("val_accuracy", "val_loss", ...).
        mode: "max" or "min"; None: "min" for names ending in loss, mae, mse or error, else "max".
        scheduler: ``ASHA(...)`` to stop bad trials early, or None to run every trial to the end.
        executor: "serial" (this process), "processes" (local workers), "ray", or "auto": processes
            when more than one core is free, else serial. All give the same table for the same seed.
        n_workers: worker processes (default: the free cores).
        directory: the results folder (trials.jsonl, results.csv, best.glassnet, plots); None: no files
            and no resuming.
        seed: seeds the trials (and a random search's draws).
        common_seed: seed every trial with ``seed`` itself (common random numbers: the trials then differ
            by their hyperparameters alone, as in ``GridSearchCV`` with a fixed ``random_state``); by
            default trial k gets ``trial_seed(seed, k)``.
        refit: train the best trial again with its seed (the same model it had) and keep it.
        verbose: 0 silent, 1 a line per trial and the table at the end.
        ray_address: ``ray.init(address=...)`` for ``executor="ray"`` ("auto" joins a running cluster;
            None starts a local Ray).
    """

    def __init__(
        self,
        build_model,
        space: dict,
        objective: str = "val_accuracy",
        mode: str | None = None,
        scheduler: ASHA | None = None,
        executor: str = "auto",
        n_workers: int | None = None,
        directory=None,
        seed: int = 0,
        common_seed: bool = False,
        refit: bool = True,
        verbose: int = 1,
        ray_address: str | None = None,
    ):
        if not callable(build_model):
            raise TypeError(f"build_model must be a function of the hyperparameters, got {build_model!r}")
        _check(space)
        if mode is None:
            mode = "min" if objective.endswith(_LOWER_IS_BETTER) else "max"
        if mode not in ("max", "min"):
            raise ValueError(f'mode must be "max" or "min", got {mode!r}')
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
        if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
            raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}")
        if scheduler is not None and not isinstance(scheduler, ASHA):
            raise TypeError(f"scheduler must be tune.ASHA(...) or None, got {scheduler!r}")
        self.build_model, self.space, self.objective, self.mode = build_model, space, objective, mode
        self.scheduler, self.executor, self.n_workers = scheduler, executor, n_workers
        self.directory = None if directory is None else Path(directory)
        self.seed, self.common_seed, self.refit = seed, common_seed, refit
        self.verbose, self.ray_address = verbose, ray_address

    def points(self) -> list:
        """The hyperparameters of every trial, in trial order."""
        raise NotImplementedError

    def describe(self) -> dict:
        """What makes this search itself: a results folder holding another one is refused."""
        return {
            "algorithm": type(self).__name__,
            "space": describe(self.space),
            "seed": self.seed,
            "common_seed": self.common_seed,
            "objective": self.objective,
            "mode": self.mode,
            "scheduler": repr(self.scheduler),
            "trials": self.points(),
        }

    def search(self, x, y=None, **fit_args) -> SearchResult:
        """Run every trial not already in the results folder: ``fit(x, y, **fit_args)`` each, scored on
        the objective after each epoch. Returns the ``SearchResult`` (also written to the folder)."""
        points = self.points()
        epochs = fit_args.get("epochs", 1)
        done = self._open_directory(fit_args)
        trial_ids = range(len(points))
        book = RungBook(self.scheduler, epochs, trial_ids)
        rungs = frozenset(book.rungs)
        for trial in done.values():
            book.replay(trial.trial_id, trial.scores)
        job = TrialJob(
            self.build_model, x, y, dict(fit_args), self.objective, self.seed, rungs, self.common_seed
        )
        pending = [(i, points[i]) for i in trial_ids if i not in done]
        ended = dict(done)
        if self.verbose and done:
            print(f"resuming from {self.directory}: {len(done)} trials done, {len(pending)} to run")

        def record(result):
            ended[result.trial_id] = result
            if self.directory is not None:
                append_trial(self.directory, result)
            if self.verbose:
                self._say(result, len(points))

        interrupted = False
        try:
            self._run(job, pending, book, record)
        except KeyboardInterrupt:
            interrupted = True
            if self.verbose:
                print(f"interrupted: {len(ended)} of {len(points)} trials kept; run again to resume")
        result = SearchResult(
            [ended[i] for i in sorted(ended)],
            self.objective,
            self.mode,
            param_names=list(self.space),
            interrupted=interrupted,
            directory=self.directory,
        )
        if self.directory is not None:
            result.to_csv(self.directory / "results.csv")
        if self.refit and not interrupted and result.best is not None:
            result.best_model = self._refit(job, result.best)
        if self.verbose:
            self._show(result)
        return result

    def _run(self, job, pending, book, record) -> None:
        executor = self.executor
        workers = self.n_workers or executors.free_cores()
        if executor == "auto":
            executor = "processes" if min(workers, len(pending)) > 1 else "serial"
        if executor == "serial" or not pending:
            executors.run_serial(job, pending, book, record)
        elif executor == "processes":
            executors.run_processes(job, pending, book, record, workers)
        else:
            from glassnet.tune.ray_executor import run_ray  # noqa: PLC0415 - Ray is an optional extra

            run_ray(
                job,
                pending,
                record,
                self.mode,
                self.scheduler,
                self.ray_address,
                self.n_workers,
                self.directory,
            )

    def _open_directory(self, fit_args: dict) -> dict:
        """Create the results folder, or check that it holds this same search; its ended trials."""
        if self.directory is None:
            return {}
        self.directory.mkdir(parents=True, exist_ok=True)
        plain = {k: v for k, v in fit_args.items() if isinstance(v, (int, float, str, bool, type(None)))}
        description = json.loads(json.dumps({**self.describe(), "fit": plain}, default=repr))
        path = self.directory / SEARCH_FILE
        if path.exists():
            previous = json.loads(path.read_text(encoding="utf-8"))
            if previous != description:
                keys = {*previous, *description}
                changed = sorted(k for k in keys if previous.get(k) != description.get(k))
                raise ValueError(
                    f"results folder {self.directory} holds another search ({', '.join(changed)} differ); "
                    "give another directory, or delete it to start again"
                )
        else:
            path.write_text(json.dumps(description, indent=1), encoding="utf-8")
        return read_trials(self.directory)

    def _refit(self, job: TrialJob, best):
        """The best trial trained again with its seed for the epochs it ran: the model it ended with."""
        fit_args = {**job.fit_args, "epochs": len(best.scores)}
        refit_job = TrialJob(
            job.build_model, job.x, job.y, fit_args, job.objective, job.seed, common_seed=job.common_seed
        )
        _, model = run_trial(refit_job, best.trial_id, best.params, keep_model=True)
        if model is not None and self.directory is not None:
            model.save(self.directory / "best.glassnet")
        return model

    def _say(self, result, total: int) -> None:
        score = result.best_score(1.0 if self.mode == "max" else -1.0)
        text = f"{self.objective} {score:.4f}" if score is not None else result.error
        print(
            f"trial {result.trial_id + 1}/{total} {result.status} after {len(result.scores)} epochs: "
            f"{text}  {result.params}  ({result.seconds:.1f}s)"
        )

    def _show(self, result: SearchResult) -> None:
        try:
            from rich.console import Console  # noqa: PLC0415 - an optional extra

            Console().print(result.table())
        except ImportError:
            pass
        print(result.summary())


class GridSearch(Search):
    """Every combination of the space's finite domains (``grid``, ``choice``, ``randint``), in order.

    Example:
        >>> from glassnet import tune
        >>> space = {"lr": tune.grid([0.1, 0.01]), "units": tune.grid([8, 16, 32])}
        >>> len(tune.GridSearch(print, space).points())
        6
    """

    def points(self) -> list:
        return grid_points(self.space)


class RandomSearch(Search):
    """``n_trials`` points drawn from the space with NumPy's generator seeded by ``seed``: the same seed,
    the same trials (Bergstra and Bengio 2012: as good as a grid for the same budget, often better,
    because few hyperparameters matter).

    Args:
        n_trials: how many trials to draw. The other arguments are ``Search``'s.
    """

    def __init__(self, build_model, space: dict, n_trials: int = 10, **options):
        if not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(f"RandomSearch n_trials must be a positive integer, got {n_trials!r}")
        self.n_trials = n_trials
        super().__init__(build_model, space, **options)

    def points(self) -> list:
        return random_points(self.space, self.n_trials, self.seed)
