"""One trial: build the model for a point of the space, fit it, and report its validation score each
epoch, asking at each rung whether to go on. Whatever the trial raises is its own failure."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from glassnet.backend import manual_seed
from glassnet.train.callbacks import Callback

__all__ = ["TrialResult", "TrialJob", "run_trial", "trial_seed"]

FINISHED, PRUNED, FAILED = "finished", "pruned", "failed"


def trial_seed(seed: int, trial_id: int) -> int:
    """The seed of trial ``trial_id`` of a search seeded with ``seed`` (weights, shuffling, dropout):
    NumPy's SeedSequence of the pair, so that trials are independent and any one can be rerun alone."""
    return int(np.random.SeedSequence([seed, trial_id]).generate_state(1)[0])


@dataclass
class TrialResult:
    """What a trial left: its hyperparameters, its score after each epoch, how it ended and why."""

    trial_id: int
    params: dict
    status: str = FINISHED  # finished, pruned (stopped at a rung) or failed (``error`` says why)
    scores: list = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    def best_score(self, sign: float) -> float | None:
        """The best of the epoch scores (``sign`` is +1 when higher is better, -1 for a loss)."""
        finite = [s for s in self.scores if math.isfinite(s)]
        return max(finite, key=lambda s: sign * s) if finite else None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrialJob:
    """Everything a trial needs, the same for every trial of a search (handed to worker processes)."""

    build_model: object
    x: object
    y: object
    fit_args: dict
    objective: str
    seed: int
    rungs: frozenset = frozenset()
    common_seed: bool = False  # every trial seeded with ``seed`` itself

    def seed_of(self, trial_id: int) -> int:
        return self.seed if self.common_seed else trial_seed(self.seed, trial_id)


class _Report(Callback):
    """After each epoch: the objective's value, refused when missing or not finite; at a rung, the
    scheduler's answer (``ask(epoch, score)`` -> go on?)."""

    def __init__(self, job: TrialJob, result: TrialResult, ask):
        self.job, self.result, self.ask = job, result, ask

    def on_epoch_end(self, epoch: int, logs=None):
        logs = logs or {}
        if self.job.objective not in logs:
            raise KeyError(
                f"the objective {self.job.objective!r} is not among the epoch's logs {sorted(logs)}; "
                "give validation_split or validation_data, or another objective"
            )
        for name, value in logs.items():
            if not math.isfinite(value):
                raise FloatingPointError(f"{name} became {value} at epoch {epoch + 1}: the trial diverged")
        score = float(logs[self.job.objective])
        self.result.scores.append(score)
        if epoch + 1 in self.job.rungs and not self.ask(epoch + 1, score):
            self.result.status = PRUNED
            self.model.stop_training = True


def run_trial(job: TrialJob, trial_id: int, params: dict, ask=None, keep_model: bool = False):
    """Seed, build, fit and score one trial. Returns (TrialResult, model or None); the result's status is
    "interrupted" when Ctrl-C stopped the fit (the caller then drops it: only ended trials are kept)."""
    result = TrialResult(trial_id, dict(params))
    start = time.perf_counter()
    model = None
    try:
        manual_seed(job.seed_of(trial_id))
        model = job.build_model(dict(params))
        if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
            raise TypeError(
                f"build_model must return a compiled model (model.compile(...)), got {type(model).__name__}"
            )
        # hyperparameters named "fit.<argument>" (fit.batch_size) are fit's arguments for this trial
        trial_fit = {key[4:]: value for key, value in params.items() if key.startswith("fit.")}
        fit_args = {"verbose": 0, **job.fit_args, **trial_fit}
        callbacks = [*fit_args.pop("callbacks", []), _Report(job, result, ask or (lambda epoch, score: True))]
        history = model.fit(job.x, job.y, callbacks=callbacks, **fit_args)
        if history.interrupted:
            result.status = "interrupted"
    except Exception as error:  # noqa: BLE001 - a trial's failure is recorded, the search goes on
        result.status = FAILED
        result.error = _one_line(error)
        model = None
    result.seconds = time.perf_counter() - start
    return result, (model if keep_model else None)


def _one_line(error: BaseException) -> str:
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
