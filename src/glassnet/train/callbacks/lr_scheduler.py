"""``LearningRateScheduler``: step a learning-rate schedule (``optim.schedules``) per batch or per epoch."""

from __future__ import annotations

from glassnet.optim.schedules import as_schedule
from glassnet.train.callbacks.base import Callback, batches_per_epoch

__all__ = ["LearningRateScheduler"]

_FREQUENCIES = ("epoch", "batch")


class LearningRateScheduler(Callback):
    """Set the learning rate from a schedule before each epoch or each batch; the rate at the end of each
    epoch is recorded in the logs as "lr".

    Args:
        schedule: a schedule of ``optim.schedules`` (``CosineAnnealingLR(None, T_max=1000)``, bound here to
            the model's optimizer if it is not bound yet), or Keras's function ``schedule(epoch, lr) -> lr``
            (wrapped as ``schedules.FunctionLR``).
        verbose: print the rate at the start of each epoch.
        update_freq: ``"epoch"`` (Keras's and the default: step t is the epoch number) or ``"batch"`` (step
            t counts the updates: epoch × batches per epoch + batch).

    The step is worked out from the epoch and batch numbers (``schedule.step_to(t)``), so a run resumed
    with ``fit(initial_epoch=k)`` continues the schedule at epoch k.

    Example: ``LearningRateScheduler(lambda epoch, lr: lr * 0.9)`` decays the rate by 10 % per epoch;
    ``LearningRateScheduler(schedules.WarmupCosine(None, 100, 2000, 1e-4), update_freq="batch")`` is
    nanoGPT's warm-up and cosine decay, per iteration.
    """

    def __init__(self, schedule, verbose: int = 0, update_freq: str = "epoch"):
        if update_freq not in _FREQUENCIES:
            raise ValueError(
                f"LearningRateScheduler: update_freq must be 'epoch' or 'batch', got {update_freq!r}"
            )
        self.schedule, self.verbose, self.update_freq = as_schedule(schedule), verbose, update_freq
        self._epoch = 0

    def on_train_begin(self, logs=None):
        if getattr(self.model.optimizer, "schedule", None) is self.schedule:
            raise ValueError(
                "LearningRateScheduler: the optimizer already steps this schedule (it was given as lr=); "
                "drop the callback, or give the optimizer a number as lr"
            )
        self.schedule.bind(self.model.optimizer)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self.update_freq == "epoch":
            self.schedule.step_to(epoch)
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {self.schedule.optimizer.param_groups[0]['lr']:.6g}")

    def on_batch_begin(self, batch, logs=None):
        if self.update_freq == "batch":
            self.schedule.step_to(self._epoch * self._batches_per_epoch() + batch)

    def _batches_per_epoch(self) -> int:
        steps = batches_per_epoch(self.model)
        if not steps:
            raise RuntimeError(
                "LearningRateScheduler(update_freq='batch') needs the number of batches per epoch, "
                "which fit() records in model.history.params['steps']"
            )
        return steps

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = self.model.optimizer.param_groups[0]["lr"]
