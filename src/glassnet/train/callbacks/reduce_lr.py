"""``ReduceLROnPlateau``: lower the learning rate when the monitored quantity stops improving (Keras's)."""

from __future__ import annotations

import math

from glassnet.optim.schedules import scale_lr
from glassnet.train.callbacks.base import Callback
from glassnet.train.callbacks.early_stopping import improvement_sign

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(Callback):
    """Multiply every parameter group's learning rate by ``factor`` after ``patience`` epochs in which
    ``monitor`` did not improve by more than ``min_delta``, as Keras does:

        wait <- 0 on an improvement, else wait + 1;  when wait = patience:  lr <- max(lr · factor, min_lr),
        wait <- 0, and the next ``cooldown`` epochs count no waiting.

    (PyTorch's scheduler of that name reduces one epoch later, after ``patience + 1`` bad epochs, and by
    default calls a relative change an improvement.)

    Args:
        monitor: a key of the epoch logs ("val_loss" by default).
        factor: in (0, 1): the new rate is lr · factor.
        patience: epochs without improvement before a reduction (at least 1).
        min_delta: the smallest change that counts as an improvement.
        mode: "min", "max" or "auto" (min for losses and errors).
        cooldown: epochs after a reduction in which the count does not run.
        min_lr: the rate is never set below this.
        verbose: print each reduction.

    The rate of each epoch is recorded in the logs as "lr"; ``reductions`` lists (epoch, new lr). With a
    schedule running (``LearningRateScheduler``), a reduction also scales the schedule's base rate
    (``optim.schedules.scale_lr``), so the schedule goes on from the lowered rate instead of undoing it.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        mode: str = "auto",
        cooldown: int = 0,
        min_lr: float = 0.0,
        verbose: int = 0,
    ):
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        if patience < 1 or cooldown < 0 or min_delta < 0 or min_lr < 0:
            raise ValueError(
                "ReduceLROnPlateau: patience must be >= 1 and cooldown, min_delta, min_lr >= 0, got "
                f"patience={patience}, cooldown={cooldown}, min_delta={min_delta}, min_lr={min_lr}"
            )
        self.monitor, self.factor, self.patience, self.min_delta = monitor, factor, patience, min_delta
        self.sign = improvement_sign(monitor, mode)
        self.cooldown, self.min_lr, self.verbose = cooldown, min_lr, verbose

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooling, self.reductions = -math.inf * self.sign, 0, 0, []

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        groups = self.model.optimizer.param_groups
        logs["lr"] = groups[0]["lr"]
        if self.monitor not in logs:
            raise KeyError(
                f"ReduceLROnPlateau monitors {self.monitor!r}, which is not among the epoch's logs "
                f"{sorted(logs)}; for 'val_*' give validation_data or validation_split"
            )
        if self.cooling > 0:
            self.cooling -= 1
            self.wait = 0
        value = logs[self.monitor]
        if self.sign * (value - self.best) > self.min_delta:
            self.best, self.wait = value, 0
            return
        if self.cooling > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.wait, self.cooling = 0, self.cooldown
            old = groups[0]["lr"]
            if old > self.min_lr:
                new = scale_lr(self.model.optimizer, self.factor, self.min_lr)
                self.reductions.append((epoch, new))
                if self.verbose:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau lowers the learning rate to {new:.6g}")
