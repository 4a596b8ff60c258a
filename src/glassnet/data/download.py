"""Downloading data files: where they are cached, and how they arrive whole or not at all.

A file is written to a temporary name in its final directory, checked, and only then renamed into place
(``os.replace`` is atomic), so an interrupted download or a corrupt mirror never leaves a file that looks
complete. The cache is ``$XDG_CACHE_HOME/glassnet`` (``~/.cache/glassnet`` when that is unset).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

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


class ChecksumError(ValueError):
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


def download(urls, destination, verify, timeout: float = 60.0) -> Path:
    """Fetch a file from the first of ``urls`` that delivers a verified copy, into ``destination``.

    Args:
        urls: URLs to try in order (mirrors of the same file).
        destination: the final path; its directory is created when missing.
        verify: called with the path of the downloaded temporary file; raises ``ChecksumError`` when the
            file is not the expected one (the next mirror is then tried).
        timeout: seconds to wait for a server before giving up on it.

    Returns:
        ``destination``, which holds the verified file.

    Raises:
        DownloadError: no mirror could be reached or none served the file (offline, say).
        ChecksumError: the mirrors answered, but with files that fail ``verify``.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures, checksum_failures, http_failures = [], 0, 0
    for url in urls:
        handle, temporary = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
        )
        try:
            print(f"glassnet: downloading {url}", file=sys.stderr)
            with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, out, 1 << 20)
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
    details = "\n  ".join(failures)
    if failures and checksum_failures == len(failures):
        raise ChecksumError(f"every mirror served a wrong {destination.name}:\n  {details}")
    if failures and checksum_failures + http_failures == len(failures):
        hint = "The mirrors answered but do not serve the file: try another mirror (mirror=...), or "
    else:
        hint = "Are you offline? Try again when connected, or try another mirror (mirror=...), or "
    raise DownloadError(
        f"could not download {destination.name}:\n  {details}\n{hint}download the file yourself and put it "
        "in a directory that the loader searches (pass path=..., or set GLASSNET_DATA to that directory)."
    )
