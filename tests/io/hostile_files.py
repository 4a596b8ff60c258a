"""Builders of hostile files, each small: archives written by hand (so that a header can lie), streams
compressed chunk by chunk (so that a bomb is never inflated while it is built), and the loader of the
harness for the test modules of other folders."""

from __future__ import annotations

import importlib.util
import struct
import sys
import zlib
from pathlib import Path


def load_harness():
    """The harness module (tests are not a package: it is loaded by path)."""
    spec = importlib.util.spec_from_file_location(
        "hostile_harness", Path(__file__).with_name("hostile_harness.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def deflated_zeros(count: int, prefix: bytes = b"", chunk: int = 1 << 20, gzip: bool = False) -> tuple:
    """(raw deflate stream, or a gzip file with ``gzip``; crc32; size) of ``prefix`` and ``count`` zero
    bytes, compressed chunk by chunk."""
    compressor = zlib.compressobj(9 if not gzip else 1, zlib.DEFLATED, 31 if gzip else -15)
    parts, crc = [compressor.compress(prefix)], zlib.crc32(prefix)
    zeros = bytes(min(chunk, count))
    left = count
    while left:
        piece = zeros[: min(left, len(zeros))]
        parts.append(compressor.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    parts.append(compressor.flush())
    return b"".join(parts), crc, len(prefix) + count


def raw_member(name: str, data: bytes, method: int = 8, declared=None) -> tuple:
    """A member for ``raw_zip``: deflated (method 8) or stored (0) ``data``; ``declared`` overrides the size
    the headers give (the crc stays the true one)."""
    body = data
    if method == 8:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = compressor.compress(data) + compressor.flush()
    size = len(data) if declared is None else declared
    return name, body, method, zlib.crc32(data), size


def raw_zip(path: Path, members) -> Path:
    """Write a zip archive of ``members`` (name, compressed body, method, crc, declared size) by hand:
    duplicated names and lying sizes go in as given."""
    local, central = bytearray(), bytearray()
    for name, body, method, crc, size in members:
        encoded = name.encode()
        offset = len(local)
        local += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(body), size, len(encoded), 0
        )
        local += encoded + body
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(body), size, len(encoded), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def zip_members(path: Path) -> list:
    """The (name, bytes) of every member of a zip archive, in order."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]
