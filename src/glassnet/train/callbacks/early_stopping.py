"""``EarlyStopping``: stop when the monitored quantity stops improving (CURRICULUM section 8)."""

from __future__ import annotations

import math

from glassnet.train.callbacks.base import Callback

__all__ = ["EarlyStopping"]


def improvement_sign(monitor: str, mode: str) -> int:
    """+1 when larger is better, -1 when smaller is better ("auto": losses and errors go down)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        lower_is_better = any(word in monitor for word in ("loss", "mae", "mse", "error"))
        return -1 if lower_is_better else 1
    return 1 if mode == "max" else -1


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Args:
        monitor: a key of the epoch logs, "val_loss" by default (falls back with an error listing the keys).
        patience: epochs without improvement to tolerate.
        min_delta: the smallest change that counts as an improvement.
        mode: "min", "max" or "auto" (min for losses and errors, max otherwise).
        restore_best_weights: put back the weights of the best epoch when stopping (or at the end).
        baseline: stop if the monitored value does not beat this within ``patience`` epochs.

    After training, ``stopped_epoch`` is the epoch it stopped at (None if it did not) and ``best_epoch``
    the best one.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        baseline: float | None = None,
    ):
        if patience < 0 or min_delta < 0:
            raise ValueError(
                f"EarlyStopping: patience and min_delta must be >= 0, got {patience}, {min_delta}"
            )
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(min_delta)
        self.sign = improvement_sign(monitor, mode)
        self.restore_best_weights, self.baseline = restore_best_weights, baseline

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.best = -math.inf * self.sign if self.baseline is None else self.baseline
        self.best_epoch, self.stopped_epoch, self.best_state = None, None, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which is not among the epoch's logs "
                f"{sorted(logs)}; for 'val_*' give validation_data or validation_split"
            )
        value = logs[self.monitor]
        if self.sign * (value - self.best) > self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = self.model.state_dict()
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_state is not None:
            self.model.load_state_dict(self.best_state)
