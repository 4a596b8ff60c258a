"""``read_csv``: a CSV file with a header row as ``(X, y, info)``, read with the standard library alone.

Numeric columns become float features; other feature columns are encoded, one-hot (one 0/1 column per
category) or as integer labels; a non-numeric target becomes class indices. ``info`` keeps the names and
categories, so that a prediction can be mapped back to a class name. Missing values are an error that names
the column and the lines: glassnet does not guess how they should be filled. So is a stray word in a column
of numbers (a column mostly of numbers is numeric: ``"abc"`` among 99 numbers is a mistake, not one of
100 categories), a field longer than 131,072 characters, bytes that are not UTF-8, and more than 1,000
categories in a one-hot column (an identifier, most likely): each a ``CsvFileError`` naming the file, the
line and the column.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glassnet.data.schema import CsvFileError

__all__ = ["read_csv", "CSVInfo", "MISSING_VALUES", "MAX_ONEHOT_CATEGORIES"]

#: The most categories a one-hot encoded column may have (one float column each, for every row).
MAX_ONEHOT_CATEGORIES = 1000

#: Cells read as a missing value (after stripping spaces), as pandas' defaults plus UCI's "?".
MISSING_VALUES = frozenset(
    {"", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "-nan", "NULL", "null", "None", "<NA>", "#N/A", "?"}
)


@dataclass
class CSVInfo:
    """What ``read_csv`` learned about the file, to interpret X and y.

    Attributes:
        columns: every column name of the header, in order.
        target: the target column's name (``None`` without a target).
        feature_names: the name of each column of X: a numeric column keeps its name, a one-hot column is
            named ``"column=category"``.
        categories: for each encoded feature column, its categories in code order (code i is
            ``categories[column][i]``; one-hot column i stands for the same category).
        classes: the class names of a non-numeric target (``y == i`` means ``classes[i]``), else ``None``.
    """

    columns: list
    target: str | None
    feature_names: list = field(default_factory=list)
    categories: dict = field(default_factory=dict)
    classes: list | None = None


def read_csv(source, target, categorical: str = "onehot", features=None, delimiter: str = ","):
    """Read a CSV file whose first row names the columns.

    Args:
        source: a path, or an open text file.
        target: the name (or position, e.g. -1 for the last) of the column to predict; ``None`` for
            no target (y is then ``None``).
        categorical: how to encode non-numeric feature columns: ``"onehot"`` (one 0/1 column per category,
            categories sorted) or ``"label"`` (one column of codes 0, 1, ... in sorted order).
        features: the feature columns to use, by name (or position), in this order; by default every
            column except the target.
        delimiter: the field separator.

    Returns:
        ``(X, y, info)``: X float64 of shape (rows, encoded features); y int64 when the target column holds
        integers (or text: class indices, names in ``info.classes``), float64 when it holds other numbers;
        ``info`` a ``CSVInfo``.

    Raises:
        ValueError: a missing value (an empty cell, NA, NaN, ...) in a column used, naming the column and
            lines; a target or feature column not in the header, listing those that are; a row with the
            wrong number of fields.

    Example:
        >>> import io
        >>> text = "size,colour,label\\n1.5,red,yes\\n2.0,blue,no\\n0.5,red,yes\\n"
        >>> X, y, info = read_csv(io.StringIO(text), target="label")
        >>> X.tolist(), y.tolist()
        ([[1.5, 0.0, 1.0], [2.0, 1.0, 0.0], [0.5, 0.0, 1.0]], [1, 0, 1])
        >>> info.feature_names, info.classes
        (['size', 'colour=blue', 'colour=red'], ['no', 'yes'])
    """
    if categorical not in ("onehot", "label"):
        raise ValueError(f"categorical must be 'onehot' or 'label', got {categorical!r}")
    name, header, lines, rows = _read_table(source, delimiter)
    target_index = None if target is None else _column_index(target, header, name, "target")
    if features is None:
        feature_indices = [i for i in range(len(header)) if i != target_index]
    else:
        if isinstance(features, (str, int)):
            features = [features]
        feature_indices = [_column_index(column, header, name, "feature") for column in features]
        if target_index is not None and target_index in feature_indices:
            raise ValueError(f"the target column {header[target_index]!r} is also listed among the features")
    used = feature_indices + ([] if target_index is None else [target_index])
    _check_missing(name, header, lines, rows, used)

    info = CSVInfo(columns=list(header), target=None if target_index is None else header[target_index])
    blocks = []
    for index in feature_indices:
        cells = [row[index] for row in rows]
        numbers = _as_numbers(cells, header[index], lines, name)
        if numbers is not None:
            blocks.append(numbers[:, None])
            info.feature_names.append(header[index])
            continue
        categories = sorted(set(cells))
        if categorical == "onehot" and len(categories) > MAX_ONEHOT_CATEGORIES:
            raise CsvFileError(
                f"{name}, column {header[index]!r}: expected at most {MAX_ONEHOT_CATEGORIES:,} categories to "
                f"one-hot encode, found {len(categories):,} (an identifier? leave it out with features=, or "
                "use categorical='label')"
            )
        codes = _encode(cells, categories)
        info.categories[header[index]] = categories
        if categorical == "onehot":
            blocks.append((codes[:, None] == np.arange(len(categories))).astype(np.float64))
            info.feature_names.extend(f"{header[index]}={category}" for category in categories)
        else:
            blocks.append(codes[:, None].astype(np.float64))
            info.feature_names.append(header[index])
    X = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(rows), 0))

    y = None
    if target_index is not None:
        cells = [row[target_index] for row in rows]
        y = _as_numbers(cells, header[target_index], lines, name)
        if y is None:
            info.classes = sorted(set(cells))
            y = _encode(cells, info.classes)
        elif all(_is_integer(cell) for cell in cells):
            y = y.astype(np.int64)
    return X, y, info


def _read_table(source, delimiter: str):
    """The source's name, header, the line number of each data row, and the rows (cells stripped)."""
    if hasattr(source, "read"):
        return _parse(source, getattr(source, "name", "the CSV data"), delimiter)
    name = os.fspath(source)
    if os.path.isdir(name):
        raise CsvFileError(f"{name}: expected a CSV file, found a directory")
    try:
        with open(name, newline="", encoding="utf-8-sig") as file:
            return _parse(file, name, delimiter)
    except UnicodeDecodeError:
        data = Path(name).read_bytes()  # only on this path: to say where the stray byte is
        error = _first_decode_error(data)
        line = data.count(b"\n", 0, error.start) + 1
        raise CsvFileError(
            f"{name}, line {line}: expected UTF-8 text, found the byte 0x{data[error.start]:02x} that is "
            "not UTF-8 (save the file as UTF-8)"
        ) from None


def _first_decode_error(data: bytes) -> UnicodeDecodeError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error
    raise AssertionError("no decoding error")  # pragma: no cover - called only after one


def _parse(file, name: str, delimiter: str):
    reader = csv.reader(file, delimiter=delimiter)
    try:
        return _rows(reader, name)
    except csv.Error as error:
        line = reader.line_num
        if "field larger than field limit" in str(error):
            raise CsvFileError(
                f"{name}, line {line}: expected fields of at most {csv.field_size_limit():,} characters, "
                "found a longer one (an unclosed quote?)"
            ) from None
        raise CsvFileError(f"{name}, line {line}: not valid CSV ({error})") from None


def _rows(reader, name: str):
    header = next(reader, None)
    if header is None:
        raise CsvFileError(f"{name} is empty: a header row naming the columns is needed")
    header = [cell.strip() for cell in header]
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        raise CsvFileError(f"{name}: the header names these columns more than once: {', '.join(duplicates)}")
    lines, rows = [], []
    for row in reader:
        if not row:
            continue  # a blank line
        if len(row) != len(header):
            raise CsvFileError(
                f"{name}, line {reader.line_num}: {len(row)} fields, but the header has {len(header)} "
                f"({', '.join(header)})"
            )
        lines.append(reader.line_num)
        rows.append([cell.strip() for cell in row])
    if not rows:
        raise CsvFileError(f"{name} has a header but no data rows")
    return name, header, lines, rows


def _column_index(column, header: list, name: str, role: str) -> int:
    if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        if not -len(header) <= column < len(header):
            raise ValueError(
                f"{role} column position {column} is out of range: {name} has {len(header)} columns"
            )
        return int(column) % len(header)
    if column not in header:
        raise ValueError(
            f"{role} column {column!r} is not in {name}; available columns: {', '.join(map(repr, header))}"
        )
    return header.index(column)


def _check_missing(name: str, header: list, lines: list, rows: list, used: list) -> None:
    problems = []
    for index in used:
        missing = [line for line, row in zip(lines, rows) if row[index] in MISSING_VALUES]
        if missing:
            shown = ", ".join(map(str, missing[:10]))
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            plural = "line" if len(missing) == 1 else "lines"
            problems.append(f"column {header[index]!r} on {plural} {shown}{more}")
    if problems:
        raise CsvFileError(
            f"{name} has missing values (empty, NA, NaN, ...): {'; '.join(problems)} (line 1 is the header). "
            "Drop those rows, or fill them in (with the column's mean or most frequent value, say), "
            "before loading."
        )


def _as_numbers(cells: list, column: str, lines: list, name: str):
    """The cells as float64 when every one is a number; ``None`` when most are not (a categorical column);
    an error naming the first stray cell when most are numbers but not all."""
    numbers, stray = [], []
    for line, cell in zip(lines, cells):
        try:
            numbers.append(float(cell))
        except ValueError:
            stray.append((line, cell))
    if stray and len(stray) * 2 >= len(cells):
        return None
    if stray:
        (line, cell), more = stray[0], len(stray) - 1
        others = f" and {more} other line{'s' if more > 1 else ''}" if more else ""
        raise CsvFileError(
            f"{name}, line {line}, column {column!r}: expected a number (the column's other "
            f"{len(numbers):,} values are numbers), found {cell!r}{others}"
        )
    for line, number, cell in zip(lines, numbers, cells):
        if not math.isfinite(number):
            raise CsvFileError(f"{name}, line {line}: column {column!r} holds the non-finite value {cell!r}")
    return np.array(numbers, dtype=np.float64)


def _encode(cells: list, categories: list) -> np.ndarray:
    """Each cell's position in ``categories``, as int64."""
    code = {category: i for i, category in enumerate(categories)}
    return np.array([code[cell] for cell in cells], dtype=np.int64)


def _is_integer(cell: str) -> bool:
    try:
        int(cell)
    except ValueError:
        return False
    return True
