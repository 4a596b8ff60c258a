"""Checking what a file holds against a declared schema, with one error type per file format.

Every reader of a file that a user (or an attacker) hands to glassnet checks what it parsed here, at the
edge, and then trusts it inside. A schema is a table of ``Field`` rows: the accepted types, a range, the
allowed values, the rows of a nested table or the items of a list. A key that is not in the schema is
refused with the closest known key as a suggestion (``optimiser`` -> ``compile.optimizer``), a missing
required key or a value of the wrong type with a message that names the file, the key, what was expected
and what was found::

    run.toml: fit.epochs: expected an integer >= 1, found the string 'ten'

Each format raises its own subclass of ``FileFormatError`` (``ModelFileError``, ``RunFileError``,
``IdxFileError``, ``CsvFileError``, ``TokenizerFileError``, ``TextFileError``), so that a caller can catch
one format, or every file a user gave (the command line prints that one line and exits with status 2).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FileFormatError",
    "IdxFileError",
    "CsvFileError",
    "TokenizerFileError",
    "TextFileError",
    "Field",
    "Schema",
    "check_value",
    "describe",
    "closest",
    "read_text_file",
]


class FileFormatError(ValueError):
    """A file that glassnet cannot use: the message names the file, the key or member, what was expected
    and what was found. Each file format has its own subclass."""


class IdxFileError(FileFormatError):
    """An IDX file (MNIST's format) that is damaged, a bomb, or not the published one."""


class CsvFileError(FileFormatError):
    """A CSV file whose rows or cells cannot be read as the table asked for."""


class TokenizerFileError(FileFormatError):
    """A saved tokenizer whose vocabulary is damaged (duplicated tokens, missing special tokens)."""


class TextFileError(FileFormatError):
    """A text file (a corpus) that is not the text it should be (not UTF-8, a directory)."""


_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a table",
    type(None): "nothing",
}


def describe(value, limit: int = 40) -> str:
    """What ``value`` is, for a message: its kind and a short repr ("the string 'ten'", "a list of 3").

    Example:
        >>> describe("ten"), describe([1, 2, 3]), describe(10**8)
        ("the string 'ten'", 'a list of 3 items', 'the integer 100000000')
    """
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the {'integer' if isinstance(value, int) else 'number'} {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= limit else value[:limit] + "..."
        return f"the string {shown!r}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        keys = ", ".join(map(str, list(value)[:5])) + (", ..." if len(value) > 5 else "")
        return f"a table with keys {keys}" if value else "an empty table"
    if value is None:
        return "nothing"
    return f"a {type(value).__name__}"


def closest(word: str, choices) -> str | None:
    """The choice closest to ``word`` (``difflib``'s ratio of at least 0.6), or ``None``.

    Example:
        >>> closest("optimiser", ["optimizer", "loss", "metrics"])
        'optimizer'
    """
    matches = difflib.get_close_matches(str(word), [str(choice) for choice in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class Field:
    """One key of a table, or the items of a list.

    Args:
        types: the accepted types; ``int`` never accepts a boolean, ``float`` accepts integers too.
        required: the key must be present.
        minimum, maximum: an inclusive range for a number, or for the length of a string or list.
        choices: the allowed values.
        items: the field every item of a list must satisfy.
        table: the schema of a nested table.
        pattern: a regular expression that a whole string must match.
        label: the words for "expected ..." (default: built from the types, range and choices).
    """

    types: tuple
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple | None = None
    items: Field | None = None
    table: Schema | None = None
    pattern: str | None = None
    label: str | None = None

    def expected(self) -> str:
        if self.label is not None:
            return self.label
        if self.choices is not None:
            return "one of " + ", ".join(map(repr, self.choices))
        words = " or ".join(_NAMES.get(kind, kind.__name__) for kind in self.types)
        sized = list in self.types or str in self.types
        unit = " in length" if sized and not set(self.types) & {int, float} else ""
        if self.minimum is not None and self.maximum is not None:
            return f"{words} in [{self.minimum}, {self.maximum}]{unit}"
        if self.minimum is not None:
            return f"{words} >= {self.minimum}{unit}"
        if self.maximum is not None:
            return f"{words} <= {self.maximum}{unit}"
        return words

    def accepts_type(self, value) -> bool:
        for kind in self.types:
            if kind is int and isinstance(value, bool):
                continue
            if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
                return True
            if isinstance(value, kind):
                return True
        return False


class Schema:
    """The keys a table may hold: ``{key: Field}``; ``open=True`` lets other keys through unchecked.

    Example:
        >>> fit = Schema({"epochs": Field((int,), minimum=1)})
        >>> Schema({"fit": Field((dict,), table=fit)}).check(
        ...     {"fit": {"epochs": "ten"}}, FileFormatError, "run.toml")
        Traceback (most recent call last):
        ...
        glassnet.data.schema.FileFormatError: run.toml: fit.epochs: expected an integer >= 1, found ...
    """

    def __init__(self, fields: dict, open: bool = False):  # noqa: A002 - the schema's own word
        self.fields = dict(fields)
        self.open = open

    def check(self, data, error: type, source: str, where: str = ""):
        """``data`` itself when it matches; else raise ``error`` naming ``source`` and the key."""
        if not isinstance(data, dict):
            raise error(f"{source}: {where or 'the top level'}: expected a table, found {describe(data)}")
        for key, value in data.items():
            field = self.fields.get(key)
            if field is None:
                if not self.open:
                    raise error(self._unknown(key, source, where))
                continue
            check_value(value, field, error, source, _join(where, key))
        for key, field in self.fields.items():
            if field.required and key not in data:
                raise error(f"{source}: {_join(where, key)}: missing; expected {field.expected()}")
        return data

    def _unknown(self, key, source: str, where: str) -> str:
        """The message for an unknown key, suggesting a close key here or in a nested table."""
        candidates = {name: name for name in self.fields}
        for name, field in self.fields.items():
            if field.table is not None:
                candidates.update({sub: _join(name, sub) for sub in field.table.fields})
        match = closest(key, candidates)
        hint = f" (did you mean {_join(where, candidates[match])!r}?)" if match is not None else ""
        return (
            f"{source}: unknown key {_join(where, str(key))!r}{hint}; expected one of: "
            f"{', '.join(self.fields)}"
        )


def check_value(value, field: Field, error: type, source: str, where: str):
    """``value`` when it satisfies ``field``; else raise ``error`` naming ``where``."""

    def fail():
        raise error(f"{source}: {where}: expected {field.expected()}, found {describe(value)}")

    if not field.accepts_type(value):
        fail()
    if field.choices is not None and value not in field.choices:
        fail()
    if field.pattern is not None and not re.fullmatch(field.pattern, value):
        fail()
    size = len(value) if isinstance(value, (str, list)) else value
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        if field.minimum is not None and size < field.minimum:
            fail()
        if field.maximum is not None and size > field.maximum:
            fail()
    if isinstance(value, list) and field.items is not None:
        for index, item in enumerate(value):
            check_value(item, field.items, error, source, f"{where}[{index}]")
    if isinstance(value, dict) and field.table is not None:
        field.table.check(value, error, source, where)
    return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else str(key)


def read_text_file(path, error: type, what: str = "text file", encoding: str = "utf-8", limit=None) -> str:
    """The text of the file at ``path``, with one clear ``error`` for a directory, a file larger than
    ``limit`` bytes, or bytes that are not ``encoding`` (naming the byte offset).

    A missing file is a ``FileNotFoundError`` naming ``what``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no {what} at {path}")
    if not path.is_file():
        found = "a directory" if path.is_dir() else "a special file (a device or a pipe)"
        raise error(f"{path}: expected a {what}, found {found}")
    if limit is not None and path.stat().st_size > limit:
        raise error(f"{path}: expected a {what} of at most {limit:,} bytes, found {path.stat().st_size:,}")
    with open(path, "rb") as file:
        data = file.read() if limit is None else file.read(limit + 1)
    if limit is not None and len(data) > limit:  # grew while we looked (a pipe, /dev/zero)
        raise error(f"{path}: expected a {what} of at most {limit:,} bytes, found more")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise error(
            f"{path}: expected a {what} in {encoding}, found the byte 0x{data[err.start]:02x} at offset "
            f"{err.start} that is not {encoding} (save the file as {encoding})"
        ) from None
