"""Asynchronous successive halving (ASHA): stop a trial early when, at a rung, its validation score is in
the worst part of the scores that earlier trials had at the same rung.

The rule is Ray Tune's ``ASHAScheduler`` (``AsyncHyperBandScheduler`` with one bracket; Li et al., "A
System for Massively Parallel Hyperparameter Tuning", MLSys 2020), so that the same search stops the same
way here and on Ray:

- the rungs are the epochs r_k = grace_period · η^k, k = 0, 1, 2, ..., that are below ``max_epochs``
  (η is ``reduction_factor``);
- at rung r a trial whose score is s continues unless

      s < percentile_{100 (1 - 1/η)}(S_r)

  where S_r holds the scores at epoch r of the trials before it (by trial number, not by finishing time:
  the decision is the same whatever order parallel workers finish in) that reached r; the percentile is
  NumPy's, with linear interpolation; with S_r empty it continues. Scores are "higher is better"
  (a loss is negated first). About 1/η of the trials pass each rung.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ASHA", "RungBook"]


@dataclass(frozen=True)
class ASHA:
    """Successive halving that stops bad trials at the rungs ``grace_period · reduction_factor^k``.

    Args:
        grace_period: the first rung, in epochs: no trial stops before it (Ray's ``grace_period``).
        reduction_factor: η; at each rung a trial must beat the worst 1 - 1/η of the earlier trials.
        max_epochs: the last epoch; None takes ``search(epochs=...)``.

    Example:
        >>> ASHA(grace_period=1, reduction_factor=3).rungs(20)
        [1, 3, 9]
    """

    grace_period: int = 1
    reduction_factor: float = 3
    max_epochs: int | None = None

    def __post_init__(self):
        if not isinstance(self.grace_period, int) or self.grace_period < 1:
            raise ValueError(f"ASHA grace_period must be an integer >= 1, got {self.grace_period!r}")
        if not self.reduction_factor > 1:
            raise ValueError(f"ASHA reduction_factor must be > 1, got {self.reduction_factor!r}")

    def rungs(self, epochs: int) -> list:
        """The epochs (counted from 1) at which a trial may be stopped: r_k = grace_period · η^k < epochs."""
        last = self.max_epochs or epochs
        rungs, rung = [], float(self.grace_period)
        while round(rung) < last:
            rungs.append(round(rung))
            rung *= self.reduction_factor
        return rungs

    def cutoff(self, earlier_scores) -> float | None:
        """The score a trial must reach at a rung: the 100 (1 - 1/η) percentile of the earlier trials'
        scores there (None when there are none)."""
        scores = [s for s in earlier_scores if np.isfinite(s)]
        if not scores:
            return None
        return float(np.percentile(scores, 100 * (1 - 1 / self.reduction_factor)))

    def keeps(self, score: float, earlier_scores) -> bool:
        """Whether a trial with ``score`` at a rung goes on."""
        cutoff = self.cutoff(earlier_scores)
        return cutoff is None or not score < cutoff


class RungBook:
    """The scores each trial had at each rung, and which trials are over; decides in trial order.

    A trial asks at a rung; ``ready`` says whether every trial before it has either recorded its score at
    that rung or ended, and only then ``decide`` answers, so parallel workers get the serial answer.
    """

    def __init__(self, scheduler: ASHA | None, epochs: int, trial_ids):
        self.scheduler = scheduler  # None: no rungs, every trial runs to the end
        self.rungs = set(scheduler.rungs(epochs)) if scheduler is not None else set()
        self.trial_ids = sorted(trial_ids)
        self.scores = {rung: {} for rung in self.rungs}
        self.ended = set()

    def replay(self, trial_id: int, scores) -> None:
        """A trial that ended in an earlier run (resuming): its per-epoch scores fill the rungs."""
        for epoch, score in enumerate(scores, 1):
            if epoch in self.rungs:
                self.scores[epoch][trial_id] = score
        self.ended.add(trial_id)

    def ready(self, trial_id: int, rung: int) -> bool:
        recorded = self.scores[rung]
        return all(j in self.ended or j in recorded for j in self.trial_ids if j < trial_id)

    def decide(self, trial_id: int, rung: int, score: float) -> bool:
        """Record the trial's score at the rung; True to go on, False to stop it."""
        earlier = [s for j, s in self.scores[rung].items() if j < trial_id]
        self.scores[rung][trial_id] = score
        return self.scheduler.keeps(score, earlier)

    def end(self, trial_id: int) -> None:
        self.ended.add(trial_id)
