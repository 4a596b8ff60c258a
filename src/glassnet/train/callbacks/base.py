"""``Callback``: code that the fit loop calls at the start and end of training, epochs and batches."""

from __future__ import annotations

__all__ = ["Callback", "CallbackList", "batches_per_epoch"]


def batches_per_epoch(model) -> int | None:
    """The batches in one epoch of the running ``fit`` (``model.history.params["steps"]``), or None: what
    callbacks that count batches across epochs (step = epoch × batches per epoch + batch) multiply by."""
    params = getattr(getattr(model, "history", None), "params", None) or {}
    return params.get("steps") or None


class Callback:
    """Override the hooks you need. ``self.model`` is the model being trained (set by ``fit``).

    ``logs`` is a dict: after a batch {"loss", metrics...} of that batch; after an epoch the epoch's
    {"loss", metrics..., "val_loss", "val_<metric>"...}. Set ``self.model.stop_training = True`` to stop.
    """

    model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs=None): ...

    def on_train_end(self, logs=None): ...

    def on_epoch_begin(self, epoch: int, logs=None): ...

    def on_epoch_end(self, epoch: int, logs=None): ...

    def on_batch_begin(self, batch: int, logs=None): ...

    def on_batch_end(self, batch: int, logs=None): ...


class CallbackList:
    """Several callbacks called in order, as one."""

    def __init__(self, callbacks, model):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call_all(*args, **kwargs):
            for callback in self.callbacks:
                getattr(callback, hook)(*args, **kwargs)

        return call_all
