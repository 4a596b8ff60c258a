"""``History``: what happened in ``fit``, epoch by epoch."""

from __future__ import annotations

from glassnet.train.callbacks.base import Callback

__all__ = ["History"]


class History(Callback):
    """The record of a ``fit``: ``history.history`` maps "loss", each metric, "val_loss", ... to one value
    per epoch; ``epochs`` lists the epoch numbers run; ``iterations`` counts the parameter updates (epochs x
    batches per epoch: one per epoch for gradient descent, one per example for SGD); ``params`` holds the
    run's settings; ``interrupted`` is True when Ctrl-C stopped the run (the epochs before it are kept).
    """

    def __init__(self):
        self.history: dict = {}
        self.epochs: list = []
        self.iterations = 0
        self.params: dict = {}
        self.interrupted = False

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def on_batch_end(self, batch, logs=None):
        self.iterations += 1

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self.epochs)}, iterations={self.iterations}, last: {last})"
