"""``LearningRateScheduler``: set the learning rate at the start of each epoch."""

from __future__ import annotations

from glassnet.train.callbacks.base import Callback

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Call ``schedule(epoch, lr)`` (epoch from 0, lr the current rate) before each epoch and set every
    parameter group's learning rate to what it returns; the rate used is recorded in the logs as "lr".

    Example: ``LearningRateScheduler(lambda epoch, lr: lr * 0.9)`` decays the rate by 10 % per epoch.
    """

    def __init__(self, schedule, verbose: int = 0):
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = float(self.schedule(epoch, optimizer.param_groups[0]["lr"]))
        if not lr >= 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned lr={lr} for epoch {epoch}")
        for group in optimizer.param_groups:
            group["lr"] = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {lr:.6g}")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = self.model.optimizer.param_groups[0]["lr"]
