"""Small callbacks Keras users reach for: ``TerminateOnNaN`` and ``LambdaCallback``."""

from __future__ import annotations

import math

from glassnet.train.callbacks.base import Callback

__all__ = ["TerminateOnNaN", "LambdaCallback"]


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite (``fit`` stops at the end of that epoch; the
    parameters are then NaN too, so keep a ``ModelCheckpoint``), and say so; ``self.stopped_at`` is
    (epoch, batch) of the first such batch, both from 0. ``fit`` itself already stops with a
    FloatingPointError at a non-finite loss, before backward would spread it; this callback serves code
    written for Keras and loops that log their own losses."""

    stopped_at = None

    def on_epoch_begin(self, epoch: int, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch: int, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss) and self.stopped_at is None:
            self.stopped_at = (self.epoch, batch)
            print(
                f"TerminateOnNaN: the loss is {loss} at epoch {self.epoch + 1}, batch {batch + 1}; stopping"
            )
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions, as Keras's: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Each argument is the hook of that name (``on_train_begin``, ``on_train_end``, ``on_epoch_begin``,
    ``on_epoch_end``, ``on_batch_begin``, ``on_batch_end``), called with the same arguments.
    """

    HOOKS = (
        "on_train_begin",
        "on_train_end",
        "on_epoch_begin",
        "on_epoch_end",
        "on_batch_begin",
        "on_batch_end",
    )

    def __init__(self, **hooks):
        unknown = sorted(set(hooks) - set(self.HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hooks {unknown}; valid: {', '.join(self.HOOKS)}")
        for name, function in hooks.items():
            setattr(self, name, function)
