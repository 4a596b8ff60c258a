"""Text corpora for language models: tiny Shakespeare (Karpathy's char-rnn data set).

Where ``load_tiny_shakespeare`` looks for ``input.txt``, in order: ``path`` when given (a file, or a
directory holding it); ``$GLASSNET_DATA/tinyshakespeare``, ``$GLASSNET_DATA``; glassnet's cache,
``~/.cache/glassnet/tinyshakespeare``. A missing file is downloaded into the cache (or ``path``'s
directory), and every copy must be the published one (its SHA-256).
"""

from __future__ import annotations

from pathlib import Path

from glassnet.data.download import ChecksumError, data_dirs, mirrors_of, not_found, sha256_of
from glassnet.data.download import download as fetch
from glassnet.data.schema import TextFileError, read_text_file

__all__ = ["load_tiny_shakespeare", "TINY_SHAKESPEARE_SHA256"]

TINY_SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
_SIZE = 1_115_394  # bytes of the published file (all ASCII): the most a download may bring
_NAME = "input.txt"
_MIRRORS = ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/",)


def load_tiny_shakespeare(path=None, download: bool = True, mirror=None) -> str:
    """Tiny Shakespeare: 1,115,394 characters of Shakespeare's plays, speakers' names and lines (Karpathy,
    "The Unreasonable Effectiveness of Recurrent Neural Networks", 2015), as one string.

    Args:
        path: ``input.txt`` itself, or a directory holding it; when given, the only place looked in.
        download: fetch a missing file (into the cache, or ``path``), checksum verified.
        mirror: a base URL (or several, tried in order) instead of the char-rnn repository.

    Raises:
        FileNotFoundError: the file is missing and ``download=False``.
        ChecksumError: the file found (or downloaded) is not the published one.
        DownloadError: a missing file could not be downloaded (offline).
    """
    given = None if path is None else Path(path).expanduser()
    if given is not None and given.suffix == ".txt":
        dirs, name = [given.parent], given.name
    else:
        dirs, name = data_dirs("tinyshakespeare", given), _NAME
    found = next((d / name for d in dirs if (d / name).is_file()), None)
    if found is None:
        if not download:
            raise not_found(f"tiny Shakespeare's {name}", dirs)
        mirrors = mirrors_of(mirror, _MIRRORS)
        urls = [base.rstrip("/") + "/" + _NAME for base in mirrors]
        found = fetch(urls, dirs[0] / name, _verify, max_bytes=_SIZE)
    _verify(found)
    return read_text_file(found, TextFileError, "text file")


def _verify(path: Path) -> None:
    if not path.is_file() or path.stat().st_size != _SIZE:
        found = "a directory" if path.is_dir() else f"{path.stat().st_size:,} bytes"
        raise ChecksumError(
            f"{path} is not tiny Shakespeare's input.txt: expected {_SIZE:,} bytes, found {found}. "
            "Delete it (a missing file is downloaded again) or replace it."
        )
    digest = sha256_of(path.read_bytes())
    if digest != TINY_SHAKESPEARE_SHA256:
        raise ChecksumError(
            f"{path} is not tiny Shakespeare's input.txt: its SHA-256 is {digest}, the published file's is "
            f"{TINY_SHAKESPEARE_SHA256}. Delete it (a missing file is downloaded again) or replace it."
        )
