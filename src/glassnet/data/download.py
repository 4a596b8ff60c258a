"""Downloading data files: where they are cached, and how they arrive whole or not at all.

A file is written to a temporary name in its final directory, checked, and only then renamed into place
(``os.replace`` is atomic), so an interrupted download or a corrupt mirror never leaves a file that looks
complete. Every download has a size limit (the published file's size): a mirror that announces or sends
more is cut off, so an endless stream fills neither memory nor disk. A download that fails removes the
folders it created. The cache is ``$XDG_CACHE_HOME/glassnet`` (``~/.cache/glassnet`` when that is unset).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from glassnet.data.schema import FileFormatError

__all__ = [
    "cache_dir",
    "data_dirs",
    "mirrors_of",
    "not_found",
    "download",
    "sha256_of",
    "DownloadError",
    "ChecksumError",
]


class DownloadError(OSError):
    """No mirror could deliver a file (offline, host unknown, HTTP error, connection cut)."""


class ChecksumError(FileFormatError):
    """A file's contents differ from the published ones: corrupt, truncated or a different file."""


def cache_dir(subdir: str | None = None) -> Path:
    """glassnet's cache directory, ``$XDG_CACHE_HOME/glassnet`` or ``~/.cache/glassnet`` (not created here).

    Example:
        >>> cache_dir("mnist").name
        'mnist'
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    path = Path(base).expanduser() / "glassnet"
    return path / subdir if subdir else path


def data_dirs(subdir: str, path=None, system_dirs=()) -> list:
    """Where a loader looks for the files of a data set, in order: only ``path`` when given; else
    ``$GLASSNET_DATA/subdir``, ``$GLASSNET_DATA`` itself, the cache (``cache_dir(subdir)``), and the
    ``system_dirs`` where an operating system's package puts a copy.

    Example:
        >>> data_dirs("mnist", path="/data/mnist")
        [PosixPath('/data/mnist')]
    """
    if path is not None:
        return [Path(path).expanduser()]
    dirs = []
    local = os.environ.get("GLASSNET_DATA")
    if local:
        dirs += [Path(local).expanduser() / subdir, Path(local).expanduser()]
    dirs.append(cache_dir(subdir))
    return dirs + [Path(system) for system in system_dirs]


def mirrors_of(mirror, default: tuple) -> tuple:
    """The base URLs to try: a loader's ``mirror`` argument (one URL or several), else its ``default``."""
    if mirror is None:
        return tuple(default)
    return (mirror,) if isinstance(mirror, str) else tuple(mirror)


def not_found(what: str, dirs) -> FileNotFoundError:
    """The error of a loader that found no copy of ``what`` in ``dirs`` and may not download it."""
    looked = ", ".join(str(directory) for directory in dirs)
    return FileNotFoundError(
        f"{what} not found; looked in: {looked}. Pass download=True to fetch it, or put the file in one of "
        "those directories (GLASSNET_DATA may point at a directory holding a copy)."
    )


def sha256_of(data: bytes) -> str:
    """The SHA-256 digest of ``data`` as hex.

    Example:
        >>> sha256_of(b"")[:16]
        'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


_CHUNK = 1 << 20


def download(urls, destination, verify, timeout: float = 60.0, max_bytes: int | None = None) -> Path:
    """Fetch a file from the first of ``urls`` that delivers a verified copy, into ``destination``.

    Args:
        urls: URLs to try in order (mirrors of the same file).
        destination: the final path; its directory is created when missing.
        verify: called with the path of the downloaded temporary file; raises ``ChecksumError`` when the
            file is not the expected one (the next mirror is then tried).
        timeout: seconds to wait for a server before giving up on it.
        max_bytes: the most a mirror may send (the published file's size); one that announces or sends
            more is cut off and the next mirror tried. None: no limit (for files of unknown size).

    Returns:
        ``destination``, which holds the verified file.

    Raises:
        DownloadError: no mirror could be reached or none served the file (offline, say).
        ChecksumError: the mirrors answered, but with files that fail ``verify``.
    """
    destination = Path(destination)
    created = [folder for folder in (destination.parent, *destination.parent.parents) if not folder.exists()]
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _first_verified(urls, destination, verify, timeout, max_bytes)
    except BaseException:
        for folder in created:  # deepest first; a folder that holds anything else stays
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _copy_limited(response, out, max_bytes) -> None:
    """Copy the response body to ``out`` in chunks, refusing more than ``max_bytes``."""
    announced = response.headers.get("Content-Length") if hasattr(response, "headers") else None
    if max_bytes is not None and announced and announced.isdigit() and int(announced) > max_bytes:
        raise ChecksumError(
            f"the mirror announces {int(announced):,} bytes, more than the {max_bytes:,} expected"
        )
    received = 0
    while chunk := response.read(_CHUNK):
        received += len(chunk)
        if max_bytes is not None and received > max_bytes:
            raise ChecksumError(f"the mirror sent more than the {max_bytes:,} bytes expected; cut off")
        out.write(chunk)


def _first_verified(urls, destination: Path, verify, timeout: float, max_bytes) -> Path:
    failures, checksum_failures, http_failures = [], 0, 0
    for url in urls:
        handle, temporary = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
        )
        try:
            print(f"glassnet: downloading {url}", file=sys.stderr)
            with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                _copy_limited(response, out, max_bytes)
            verify(Path(temporary))
            os.replace(temporary, destination)
            return destination
        except ChecksumError as err:
            checksum_failures += 1
            failures.append(f"{url}: {err}")
        except urllib.error.HTTPError as err:  # the server answered, without the file
            http_failures += 1
            failures.append(f"{url}: HTTP {err.code} {err.reason}")
        except (OSError, http.client.HTTPException) as err:  # no connection, timeouts, cut connections
            failures.append(f"{url}: {getattr(err, 'reason', None) or err}")
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    details = "; ".join(failures)  # one line, however many mirrors
    if failures and checksum_failures == len(failures):
        raise ChecksumError(f"every mirror served a wrong {destination.name}: {details}")
    if failures and checksum_failures + http_failures == len(failures):
        hint = "The mirrors answered but do not serve the file: try another mirror (mirror=...), or "
    else:
        hint = "Are you offline? Try again when connected, or try another mirror (mirror=...), or "
    raise DownloadError(
        f"could not download {destination.name}: {details}. {hint}download the file yourself and put it "
        "in a directory that the loader searches (pass path=..., or set GLASSNET_DATA to that directory)."
    )
