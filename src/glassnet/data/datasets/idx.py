"""MNIST and Fashion-MNIST from their original IDX files, and the IDX format itself.

An IDX file is a big-endian header, then the values row-major: two zero bytes, a type code (0x08 for
unsigned bytes), the number of dimensions, one 32-bit size per dimension. MNIST's images start with
0x00000803 (2051: bytes, 3 dimensions: count, rows, columns), its labels with 0x00000801 (2049).

Where the loaders look for the four files, in order:

1. ``path``, when given (then only there; a download goes there too);
2. ``$GLASSNET_DATA/mnist`` (``fashion-mnist``), then ``$GLASSNET_DATA`` itself;
3. glassnet's cache, ``$XDG_CACHE_HOME/glassnet/mnist`` or ``~/.cache/glassnet/mnist``;
4. for Fashion-MNIST, Debian's ``/usr/share/datasets/fashion-mnist`` (``apt install dataset-fashion-mnist``).

A file is found as ``name.gz`` or uncompressed, and must be the published one: its SHA-256 must equal the
published ``.gz``'s, or the SHA-256 of its decompressed content the published content's (Debian's copies
carry other gzip headers around the same bytes). Missing files are downloaded into the cache (or ``path``)
when ``download=True``.

Nothing is inflated beyond what the format needs: a published file's digest is compared before it is
decompressed, and its content is decompressed in chunks up to the published content's size; ``read_idx``
decompresses any other file in chunks up to the size its header implies, which may not exceed what gzip
can legitimately produce from the file (1032 bytes per compressed byte). A gzip bomb is one
``IdxFileError``, never a ``MemoryError``.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet.data.download import (
    ChecksumError,
    cache_dir,
    data_dirs,
    download,
    mirrors_of,
    not_found,
    sha256_of,
)
from glassnet.data.schema import IdxFileError

__all__ = ["load_mnist", "load_fashion_mnist", "read_idx", "parse_idx", "FASHION_MNIST_CLASSES"]

#: Fashion-MNIST's label names, by label.
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_RATIO = 1032  # deflate's most: 258 bytes from one 2-bit code (and a little for the gzip header)
_CHUNK = 1 << 20


def parse_idx(buffer: bytes, source: str = "the IDX data") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into an array, checking header against length.

    Args:
        buffer: the file's bytes.
        source: what to call it in error messages (a file name).

    Returns:
        A new, writable array of the header's shape, in native byte order.

    Example:
        >>> parse_idx(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]))
        array([[1, 2, 3],
               [4, 5, 6]], dtype=uint8)
    """
    if len(buffer) < 4 or buffer[:2] != b"\x00\x00" or buffer[2] not in _IDX_TYPES or buffer[3] == 0:
        magic = buffer[:4].hex() if len(buffer) >= 4 else f"{len(buffer)} bytes"
        raise IdxFileError(
            f"{source} is not an IDX file: it starts with {magic}, but an IDX file starts with two zero "
            "bytes, a type code and the number of dimensions (0x00000803 = 2051 for MNIST images, "
            "0x00000801 = 2049 for labels)"
        )
    dims_count = buffer[3]
    header_size = 4 + 4 * dims_count
    if len(buffer) < header_size:
        raise IdxFileError(f"{source} is truncated: {len(buffer)} bytes, shorter than its own header")
    shape = struct.unpack(f">{dims_count}I", buffer[4:header_size])
    dtype = _IDX_TYPES[buffer[2]]
    expected = math.prod(shape) * dtype.itemsize
    found = len(buffer) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "longer than its header says"
        raise IdxFileError(
            f"{source} is {problem}: the header gives shape {shape} of {dtype.name}, {expected} bytes of "
            f"data, but {found} bytes follow the header"
        )
    array = np.frombuffer(buffer, dtype=dtype, count=math.prod(shape), offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a copy: writable and in native byte order


def read_idx(path) -> np.ndarray:
    """Read an IDX file, gzip-compressed (as published) or not, into an array.

    Args:
        path: the file.

    Returns:
        The array, shaped by the file's header (MNIST images: (count, 28, 28) uint8).

    Raises:
        IdxFileError: not an IDX file, damaged, or a header (or gzip stream) that claims more data than
            the file can hold.
    """
    path = Path(path)
    if not path.is_file():
        found = "a directory" if path.is_dir() else "nothing"
        raise IdxFileError(f"{path}: expected an IDX file, found {found}")
    data = path.read_bytes()
    if not data.startswith(_GZIP_MAGIC):
        return parse_idx(data, str(path))
    header = _inflate(data, str(path), limit=4 + 4 * 255)[:4]
    if len(header) == 4 and header[2] in _IDX_TYPES:
        head = _inflate(data, str(path), limit=4 + 4 * header[3])
        limit = _idx_size(head, str(path))
    else:
        limit = 4
    ceiling = len(data) * _GZIP_RATIO
    if limit > ceiling:
        raise IdxFileError(
            f"{path}: its IDX header promises {limit:,} bytes, but gzip cannot inflate its {len(data):,} "
            f"bytes to more than {ceiling:,} (a damaged header, or a gzip bomb)"
        )
    return parse_idx(_inflate(data, str(path), limit=limit, whole=True), str(path))


def _idx_size(head: bytes, source: str) -> int:
    """The total bytes (header and values) that an IDX header promises."""
    dims = head[3] if len(head) >= 4 else 0
    if len(head) < 4 + 4 * dims:
        raise IdxFileError(f"{source} is truncated: {len(head)} bytes, shorter than its own header")
    shape = struct.unpack(f">{dims}I", head[4 : 4 + 4 * dims])
    return 4 + 4 * dims + math.prod(shape) * _IDX_TYPES[head[2]].itemsize


def _inflate(data: bytes, source: str, limit: int, whole: bool = False) -> bytes:
    """At most ``limit`` bytes of the gzip stream ``data``, inflated in chunks.

    With ``whole``, the stream must end within ``limit`` bytes (one more is an error: longer than the
    size its header or the published file gives) and be complete; without it, the first ``limit`` bytes
    are enough (to read a header).
    """
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pieces, size, pending = [], 0, data
    try:
        while pending and size <= limit:
            piece = inflater.decompress(pending, min(_CHUNK, limit + 1 - size))
            pieces.append(piece)
            size += len(piece)
            pending = inflater.unconsumed_tail
            if inflater.eof or (not piece and not pending):
                break
    except zlib.error as err:
        raise IdxFileError(f"{source} is not a valid gzip file ({err}): truncated or damaged") from None
    out = b"".join(pieces)
    if not whole:
        return out[:limit]
    if size > limit:
        raise IdxFileError(f"{source}: its gzip stream inflates to more than the {limit:,} bytes expected")
    if not inflater.eof:
        raise IdxFileError(f"{source} is not a valid gzip file (the stream ends early): truncated or damaged")
    return out


@dataclass(frozen=True)
class _PublishedFile:
    name: str
    gz_sha256: str  # of the .gz as published
    gz_md5: str  # the digest the authors publish, for reference
    content_sha256: str  # of the decompressed IDX bytes: the same for any gzip header around them
    gz_size: int  # bytes of the .gz as published: the most a download may bring
    content_size: int  # bytes of the IDX content: the most a copy may inflate to


@dataclass(frozen=True)
class _Collection:
    title: str
    subdir: str
    mirrors: tuple
    files: dict  # "train_images" ... -> _PublishedFile
    system_dirs: tuple = ()


MNIST = _Collection(
    title="MNIST",
    subdir="mnist",
    mirrors=(
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ),
    files={
        "train_images": _PublishedFile(
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            9912422,
            47040016,
        ),
        "train_labels": _PublishedFile(
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "d53e105ee54ea40749a09fcbcd1e9432",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            28881,
            60008,
        ),
        "test_images": _PublishedFile(
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "9fb629c4189551a2d022fa330f9573f3",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            1648877,
            7840016,
        ),
        "test_labels": _PublishedFile(
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "ec29112dd5afa0611ce80d1b7f02629c",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            4542,
            10008,
        ),
    },
)

FASHION_MNIST = _Collection(
    title="Fashion-MNIST",
    subdir="fashion-mnist",
    mirrors=(
        # the publisher's repository (https), then its S3 website (http only; the digests guard it)
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    files={
        "train_images": _PublishedFile(
            "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            26421880,
            47040016,
        ),
        "train_labels": _PublishedFile(
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "25c81989df183df01b3e8a0aad5dffbe",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            29515,
            60008,
        ),
        "test_images": _PublishedFile(
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "bef4ecab320f06d8554ea6380940ec79",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            4422102,
            7840016,
        ),
        "test_labels": _PublishedFile(
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "bb300cfdad3c16e7a12a480ee83cd310",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            5148,
            10008,
        ),
    },
    system_dirs=("/usr/share/datasets/fashion-mnist",),
)


def load_mnist(path=None, download: bool = True, mirror=None):
    """MNIST: 70,000 28x28 grey images of handwritten digits 0-9 (LeCun, Cortes and Burges).

    Args:
        path: a directory holding the four files (``train-images-idx3-ubyte.gz``, ...); when given, the only
            place looked in, and where missing files are downloaded to.
        download: fetch missing files (into the cache, or ``path``), checksum verified.
        mirror: a base URL (or several, tried in order) to download from instead of the public mirrors.

    Returns:
        ``((x_train, y_train), (x_test, y_test))`` as Keras gives them: images uint8 (60000, 28, 28) and
        (10000, 28, 28) with pixels 0-255, labels int64 (60000,) and (10000,).

    Raises:
        FileNotFoundError: a file is missing and ``download=False``.
        ChecksumError: a file found (or downloaded) is not the published one.
        DownloadError: a missing file could not be downloaded (offline).
    """
    return _load(MNIST, path, download, mirror)


def load_fashion_mnist(path=None, download: bool = True, mirror=None):
    """Fashion-MNIST: 70,000 28x28 grey images of clothing in 10 classes (Xiao, Rasul and Vollgraf, Zalando).

    The class names are ``FASHION_MNIST_CLASSES``. Arguments, results and errors as ``load_mnist``; the
    files are also found in Debian's ``/usr/share/datasets/fashion-mnist``.
    """
    return _load(FASHION_MNIST, path, download, mirror)


def _search_dirs(collection: _Collection, path) -> list:
    return data_dirs(collection.subdir, path, collection.system_dirs)


def _find(published: _PublishedFile, dirs: list):
    for directory in dirs:
        for name in (published.name, published.name.removesuffix(".gz")):
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None


def _verified_content(path: Path, published: _PublishedFile, title: str) -> bytes:
    """The decompressed IDX bytes of ``path``, after checking them against the published digests.

    The file's own digest is compared first; only a file that is not the published ``.gz`` is inflated
    (a copy with another gzip header), in chunks and never beyond the published content's size.
    """
    if path.stat().st_size > max(published.gz_size, published.content_size):
        raise ChecksumError(
            f"{path} is not {title}'s {published.name}: {path.stat().st_size:,} bytes, more than the "
            f"published file's {published.gz_size:,} (or {published.content_size:,} uncompressed)"
        )
    data = path.read_bytes()
    file_digest = sha256_of(data)
    if file_digest == published.gz_sha256:
        return _inflate(data, str(path), limit=published.content_size, whole=True)
    try:
        content = data if not data.startswith(_GZIP_MAGIC) else _inflate(
            data, str(path), limit=published.content_size, whole=True
        )
    except IdxFileError as err:
        content, content_digest = None, f"none: {err}"
    else:
        content_digest = sha256_of(content)
    if content_digest == published.content_sha256:
        return content
    raise ChecksumError(
        f"{path} is not {title}'s {published.name}: its SHA-256 is {file_digest}, the published .gz's is "
        f"{published.gz_sha256}; the SHA-256 of its decompressed content is {content_digest}, the published "
        f"content's is {published.content_sha256}. The file is corrupt, truncated or another file: delete it "
        "(a missing file is downloaded again) or replace it with the published one."
    )


def _load(collection: _Collection, path, allow_download: bool, mirror):
    dirs = _search_dirs(collection, path)
    mirrors = mirrors_of(mirror, collection.mirrors)
    arrays = {}
    for key, published in collection.files.items():
        found = _find(published, dirs)
        if found is None:
            if not allow_download:
                raise not_found(f"{collection.title} file {published.name}", dirs)
            target = dirs[0] if path is not None else cache_dir(collection.subdir)
            found = download(
                [base.rstrip("/") + "/" + published.name for base in mirrors],
                target / published.name,
                max_bytes=published.gz_size,
                verify=lambda file, published=published: _verified_content(file, published, collection.title),
            )
        content = _verified_content(found, published, collection.title)
        arrays[key] = parse_idx(content, str(found))
    x_train, y_train = arrays["train_images"], arrays["train_labels"].astype(np.int64)
    x_test, y_test = arrays["test_images"], arrays["test_labels"].astype(np.int64)
    return (x_train, y_train), (x_test, y_test)
