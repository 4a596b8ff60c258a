"""``CSVLogger``: one row per epoch of what ``fit`` logs, in a CSV file (Keras's callback)."""

from __future__ import annotations

import csv
import numbers
from pathlib import Path

from glassnet.train.callbacks.base import Callback

__all__ = ["CSVLogger"]

_HEADER_LIMIT = 1 << 16  # bytes: the header of a file appended to is one line of column names


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: the column ``epoch`` (from 0, as Keras writes it),
    then the logs' names in alphabetical order (``loss``, ``lr``, ``val_loss``, ...), as Keras's
    ``CSVLogger`` does; a value an epoch lacks is written ``NA``. The numbers are written in full
    (``repr``), so reading the file back gives the ``History``'s values exactly.

    A row is written once every callback has added to the epoch's logs (at the next epoch's start, or at
    the end of training), so it holds the same entries as ``History`` whatever the order of the callbacks.

    Args:
        filename: the CSV file.
        separator: the character between values.
        append: add rows to an existing file (a resumed run, ``fit(initial_epoch=k)``): its header is
            kept and not written again, and the rows follow its columns; a run that logs a quantity the
            header lacks is refused (``ValueError``), as the file's rows could no longer be read as one
            table. Without ``append`` the file is overwritten.
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        if not isinstance(separator, str) or len(separator) != 1 or separator in "\r\n\"":
            raise ValueError(
                f"CSVLogger: separator must be one character (not a quote or newline), got {separator!r}"
            )
        self.filename, self.separator, self.append = Path(filename), separator, bool(append)
        self._file = self._writer = self._columns = self._pending = None

    def on_train_begin(self, logs=None):
        self._columns = self._existing_header() if self.append else None
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, delimiter=self.separator, lineterminator="\n")
        self._pending = None

    def _existing_header(self) -> list | None:
        """The column names of the file appended to, or None if it is missing or empty."""
        if not self.filename.exists() or self.filename.stat().st_size == 0:
            return None
        with open(self.filename, encoding="utf-8", newline="") as file:
            line = file.readline(_HEADER_LIMIT)
        if not line.endswith("\n"):
            raise ValueError(
                f"CSVLogger: {self.filename} does not start with a header line of at most {_HEADER_LIMIT} "
                "bytes; append to a file that CSVLogger wrote, or write a new one"
            )
        columns = next(csv.reader([line], delimiter=self.separator))
        if not columns or columns[0] != "epoch":
            raise ValueError(
                f"CSVLogger: {self.filename} has the header {columns[:5]}, not one that starts with 'epoch'; "
                "append to a file that CSVLogger wrote (with the same separator), or write a new one"
            )
        return columns

    def on_epoch_begin(self, epoch, logs=None):
        self._write_pending()

    def on_epoch_end(self, epoch, logs=None):
        self._pending = (epoch, logs if logs is not None else {})  # the dict the later callbacks add to

    def _write_pending(self) -> None:
        if self._pending is None or self._writer is None:
            return
        epoch, logs = self._pending
        self._pending = None
        if self._columns is None:
            self._columns = ["epoch", *sorted(logs)]
            self._writer.writerow(self._columns)
        extra = sorted(set(logs) - set(self._columns))
        if extra:
            raise ValueError(
                f"CSVLogger: {self.filename} has the columns {', '.join(self._columns)}; this run also logs "
                f"{', '.join(extra)}: write to a new file, or log the same quantities"
            )
        row = {"epoch": epoch, **logs}
        self._writer.writerow([_cell(row[name]) if name in row else "NA" for name in self._columns])
        self._file.flush()

    def on_train_end(self, logs=None):
        try:
            self._write_pending()
        finally:
            if self._file is not None:
                self._file.close()
            self._file = self._writer = None


def _cell(value) -> str:
    """A value as written: whole numbers as they are, other numbers in full (``repr`` of the float)."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)
