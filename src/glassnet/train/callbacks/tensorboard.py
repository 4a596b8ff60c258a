"""``TensorBoard``: losses, metrics, learning rate and histograms of weights, as TensorBoard's event files."""

from __future__ import annotations

import itertools
import numbers
import os
from pathlib import Path

from glassnet.train.callbacks.base import Callback, batches_per_epoch

__all__ = ["TensorBoard", "learning_rates"]

_WRITERS = itertools.count()  # numbers the writers of this process, for unique file names


def learning_rates(model) -> dict:
    """{"learning_rate": rate} of the model's optimizer (the first group's), or {"<name>_learning_rate":
    rate} for each of several (a GAN's ``optimizers``); {} without one."""
    optimizer = getattr(model, "optimizer", None)
    if getattr(optimizer, "param_groups", None):
        return {"learning_rate": float(optimizer.param_groups[0]["lr"])}
    several = getattr(model, "optimizers", None) or {}
    return {
        f"{name}_learning_rate": float(opt.param_groups[0]["lr"])
        for name, opt in several.items()
        if getattr(opt, "param_groups", None)
    }


def _writer_class():
    try:
        from tensorboardX import SummaryWriter  # noqa: PLC0415 - an optional extra, imported when used
    except ImportError:
        raise ImportError(
            'the TensorBoard callback needs tensorboardX: pip install "glassnet[tensorboard]"'
        ) from None
    return SummaryWriter


class TensorBoard(Callback):
    """Write what ``fit`` logs as TensorBoard event files (Keras's callback, with the ``tensorboardX``
    writer); view them with ``tensorboard --logdir LOG_DIR`` (``pip install tensorboard``).

    Two runs, as Keras writes them: ``LOG_DIR/train`` and ``LOG_DIR/validation``. Each epoch's logs become
    the scalars ``epoch_<name>`` at step = the epoch number (from 0): the losses and metrics in ``train``,
    the ``val_*`` ones in ``validation`` under their names without ``val_``, and the learning rate as
    ``epoch_learning_rate`` (the logs' "lr" when a scheduler put one there, else the optimizer's rate).
    With ``update_freq="batch"`` (or a number N: every N-th batch) each batch's logs (its loss, or what a
    custom ``train_step`` returns) and the learning rate it ran at become ``batch_<name>`` at step =
    epoch × batches per epoch + batch. Every ``histogram_freq`` epochs (0: never), each parameter's values
    and its gradient from the epoch's last batch become histograms ``<parameter>`` and
    ``<parameter>/gradient`` at step = the epoch (``0/weight``: ``named_parameters``' name, / for .).

    Resuming (``fit(initial_epoch=k)`` with the same ``log_dir``) appends: the steps go on from epoch k,
    in new event files beside the old, which TensorBoard reads as one run. The model graph is not
    written: tensorboardX draws graphs by tracing a PyTorch module (or from an ONNX file), and glassnet's
    own graph drawing is ``explain.graph``.

    Args:
        log_dir: the folder of the runs (made if missing).
        histogram_freq: every how many epochs to write the histograms; 0 for never.
        update_freq: ``"epoch"`` (default), ``"batch"``, or an integer N >= 1 (batch scalars every N batches).
    """

    def __init__(self, log_dir="logs", histogram_freq: int = 0, update_freq="epoch"):
        if not _whole(histogram_freq, 0):
            raise ValueError(
                f"TensorBoard: histogram_freq must be a whole number >= 0, got {histogram_freq!r}"
            )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not _whole(update_freq, 1):
            raise ValueError(
                "TensorBoard: update_freq must be 'epoch', 'batch' or a whole number >= 1, "
                f"got {update_freq!r}"
            )
        self.log_dir, self.histogram_freq, self.update_freq = Path(log_dir), int(histogram_freq), update_freq
        self._writers: dict = {}
        self._epoch, self._batches_seen = 0, 0

    def _writer(self, run: str):
        if run not in self._writers:
            # tensorboardX names a file by the second and the host: a resumed run in the same second
            # would overwrite the first one's file without a suffix of its own
            suffix = f".{os.getpid()}.{next(_WRITERS)}"
            self._writers[run] = _writer_class()(logdir=str(self.log_dir / run), filename_suffix=suffix)
        return self._writers[run]

    def on_train_begin(self, logs=None):
        _writer_class()  # a missing tensorboardX says so before the first epoch, not after it
        self._batches_seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.update_freq == "epoch" or (batch + 1) % self.update_freq:
            return
        steps = batches_per_epoch(self.model)
        step = self._epoch * steps + batch if steps else self._batches_seen - 1
        writer = self._writer("train")
        for name, value in {**(logs or {}), **learning_rates(self.model)}.items():
            writer.add_scalar(f"batch_{name}", float(value), step)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        rates = learning_rates(self.model)
        if "lr" in logs:
            rates["learning_rate"] = logs.pop("lr")
        for name, value in {**logs, **rates}.items():
            run, name = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            self._writer(run).add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            self._histograms(epoch)
        for writer in self._writers.values():
            writer.flush()

    def _histograms(self, epoch: int) -> None:
        writer = self._writer("train")
        named = getattr(self.model, "named_parameters", None)
        for name, param in named() if named else []:
            name = name.replace(".", "/")  # 0.weight -> 0/weight: TensorBoard groups tags by their folder
            writer.add_histogram(name, _numpy(param.data), epoch)
            if param.grad is not None:
                writer.add_histogram(f"{name}/gradient", _numpy(param.grad), epoch)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _whole(value, minimum: int) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum


def _numpy(array):
    """A NumPy array of a parameter's data or gradient (CuPy's come back from the device)."""
    return array.get() if hasattr(array, "get") else array
