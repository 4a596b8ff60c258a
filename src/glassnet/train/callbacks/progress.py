"""The progress display of ``fit``: a live bar in a terminal, one line per epoch in a log, nothing at 0.

``verbose``: "auto" (the default: a bar when standard output is a terminal, else one line per epoch),
1 (a bar), 2 (one line per epoch), 0 (silent). The bar uses rich when it is installed
(``pip install "glassnet[rich]"``); without it, a plain one-line bar is redrawn in place. The bar shows
the epoch, the batches done, the time and the batch's loss (it fits in 80 columns); when an epoch ends it
gives way to the epoch's line, with every metric.
"""

from __future__ import annotations

import sys
import time

from glassnet.train.callbacks.base import Callback

__all__ = ["ProgressBar", "format_logs"]


def format_seconds(seconds: float) -> str:
    """An epoch's duration: "1.5s", or for one under a second "35ms" (not 0.0s).

    Example:
        >>> format_seconds(1.53), format_seconds(0.0349), format_seconds(0.0002)
        ('1.5s', '35ms', '0.2ms')
    """
    if seconds >= 1:
        return f"{seconds:.1f}s"
    milliseconds = 1000 * seconds
    return f"{milliseconds:.0f}ms" if milliseconds >= 1 else f"{milliseconds:.1f}ms"


def format_logs(logs: dict) -> str:
    """The numbers of an epoch's logs on one line: "loss 0.3125  accuracy 0.9000"."""
    return "  ".join(f"{key} {value:.4f}" for key, value in logs.items() if isinstance(value, (int, float)))


class ProgressBar(Callback):
    """Shows training progress; see the module docstring for ``verbose``."""

    def __init__(self, verbose="auto", stream=None):
        self.stream = stream or sys.stdout
        interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        if verbose not in ("auto", 0, 1, 2):
            raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
        self.mode = {"auto": "bar" if interactive else "line", 0: "quiet", 1: "bar", 2: "line"}[verbose]
        self._progress = None

    def on_train_begin(self, logs=None):
        self.epochs = self.model.history.params.get("epochs", 0)
        self.steps = self.model.history.params.get("steps", 0)
        if self.mode == "bar":
            try:
                from rich.console import Console  # noqa: PLC0415 - optional extra
                from rich.progress import (  # noqa: PLC0415 - optional extra
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )
            except ImportError:
                self._progress = None
            else:
                console = None if self.stream is sys.stdout else Console(file=self.stream)
                self._progress = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(bar_width=30),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    TextColumn("{task.fields[info]}"),
                    console=console,
                    transient=False,
                )
                self._progress.start()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.start, self.seen = epoch, time.perf_counter(), 0
        description = f"Epoch {epoch + 1}/{self.epochs}"
        if self._progress is not None:
            self.task = self._progress.add_task(description, total=self.steps or None, info="")

    def on_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.mode != "bar":
            return
        info = f"loss {logs['loss']:.4f}" if logs and "loss" in logs else ""
        if self._progress is not None:
            self._progress.update(self.task, advance=1, info=info)
        elif self.seen % 10 == 0 or self.seen == self.steps:
            done = int(30 * self.seen / max(self.steps, 1))
            self.stream.write(
                f"\rEpoch {self.epoch + 1}/{self.epochs} [{'=' * done}{'.' * (30 - done)}] "
                f"{self.seen}/{self.steps} {info}"
            )
            self.stream.flush()

    def on_epoch_end(self, epoch, logs=None):
        if self.mode == "quiet":
            return
        seconds = time.perf_counter() - self.start
        line = f"Epoch {epoch + 1}/{self.epochs}  {format_seconds(seconds)}  {format_logs(logs or {})}"
        if self._progress is not None:  # the bar gives way to the epoch's line, which may be long
            self._progress.remove_task(self.task)
            self._progress.console.print(line, highlight=False, soft_wrap=True)
            return
        elif self.mode == "bar":
            self.stream.write("\r" + line + " " * 10 + "\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if logs and logs.get("interrupted") and self.mode != "quiet":
            self.stream.write("\nTraining interrupted (Ctrl-C): the model and the history so far are kept.\n")
