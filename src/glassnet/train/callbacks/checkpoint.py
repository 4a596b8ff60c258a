"""``ModelCheckpoint``: save the model during training, atomically."""

from __future__ import annotations

import math

from glassnet.train.callbacks.base import Callback
from glassnet.train.callbacks.early_stopping import improvement_sign

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save the model (``model.save``: architecture, weights, optimizer state, written atomically) after
    each epoch, or only when ``monitor`` improved (``save_best_only``).

    Args:
        filepath: where to write; may hold format fields of the epoch logs and ``epoch`` (1-based), e.g.
            "model-{epoch:02d}-{val_loss:.3f}.glassnet".
        monitor, mode: what counts as better (see ``EarlyStopping``).
        save_best_only: write only when the monitored value improves.

    A crash or Ctrl-C in the middle of writing leaves the previous file intact: the model is written to a
    temporary file beside it and renamed over it in one step.
    """

    def __init__(self, filepath, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto"):
        self.filepath, self.monitor, self.save_best_only = str(filepath), monitor, save_best_only
        self.sign = improvement_sign(monitor, mode)
        self.best = -math.inf * self.sign
        self.saved: list = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            if self.monitor not in logs:
                raise KeyError(
                    f"ModelCheckpoint monitors {self.monitor!r}, not among the logs {sorted(logs)}"
                )
            if not self.sign * (logs[self.monitor] - self.best) > 0:
                return
            self.best = logs[self.monitor]
        path = self.filepath.format(epoch=epoch + 1, **logs)
        self.model.save(path)
        self.saved.append(path)
