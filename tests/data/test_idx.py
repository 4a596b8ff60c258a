"""MNIST and Fashion-MNIST from their IDX files: the parser, the published numbers, the search order,
checksums, and downloading (from a local HTTP mirror: no internet needed)."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import socket
import struct

import numpy as np
import pytest

from glassnet.data import (
    FASHION_MNIST_CLASSES,
    ChecksumError,
    DownloadError,
    load_fashion_mnist,
    load_mnist,
    parse_idx,
    read_idx,
)
from glassnet.data.datasets import idx

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]  # fmt: skip


# --- the IDX format ---
def idx_bytes(array: np.ndarray, code: int) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def test_parse_idx_reads_the_header_and_values():
    images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    parsed = parse_idx(idx_bytes(images, 0x08))
    np.testing.assert_array_equal(parsed, images)
    assert parsed.dtype == np.uint8 and parsed.flags.writeable
    big_endian = np.array([1, -2, 300], dtype=">i4")
    parsed = parse_idx(idx_bytes(big_endian, 0x0C))
    assert parsed.tolist() == [1, -2, 300] and parsed.dtype.isnative


def test_parse_idx_rejects_foreign_and_truncated_data():
    good = idx_bytes(np.zeros((2, 28, 28), dtype=np.uint8), 0x08)
    assert struct.unpack(">I", good[:4])[0] == 2051
    with pytest.raises(ValueError, match="labels.bin is truncated: the header gives shape"):
        parse_idx(good[:-1], "labels.bin")
    with pytest.raises(ValueError, match="longer than its header says"):
        parse_idx(good + b"\x00")
    with pytest.raises(ValueError, match="not an IDX file: it starts with 89504e47"):
        parse_idx(b"\x89PNG\r\n\x1a\n" + bytes(20))
    with pytest.raises(ValueError, match="shorter than its own header"):
        parse_idx(good[:10])


def test_read_idx_decompresses_and_reports_a_damaged_gzip(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(idx_bytes(labels, 0x08)))
    assert read_idx(path).tolist() == [3, 1, 4]
    damaged = tmp_path / "damaged.gz"
    damaged.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(ValueError, match="damaged.gz is not a valid gzip file"):
        read_idx(damaged)


# --- the real files (../shared/data) ---
@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir, download=False)


@pytest.fixture(scope="module")
def fashion(fashion_dir):
    return load_fashion_mnist(fashion_dir, download=False)


def check_shapes(dataset):
    (x_train, y_train), (x_test, y_test) = dataset
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert x_train.max() == 255 and x_train.min() == 0


def test_mnist(mnist):
    check_shapes(mnist)
    (x_train, y_train), (x_test, y_test) = mnist
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert int(x_train[0].sum()) == 27525 and int(x_test[0].sum()) == 18454
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert int(x_train.sum(dtype=np.int64)) == 1567298545


def test_fashion_mnist(fashion):
    check_shapes(fashion)
    (x_train, y_train), (x_test, y_test) = fashion
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert FASHION_MNIST_CLASSES[y_train[0]] == "Ankle boot"
    assert y_test[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    assert int(x_train[0].sum()) == 76247 and int(x_test[0].sum()) == 33456
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


# --- where the files are found ---
def copy_of(source, directory, names=FILES):
    """A directory with links to the shared files (no copying of megabytes)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).symlink_to(source / name)
    return directory


def test_glassnet_data_is_searched_with_and_without_the_subdirectory(
    mnist_dir, isolated_cache, monkeypatch, mnist
):
    source = mnist_dir
    monkeypatch.setenv("GLASSNET_DATA", str(source.parent))  # finds GLASSNET_DATA/mnist
    (_, y_train), _ = load_mnist(download=False)
    np.testing.assert_array_equal(y_train, mnist[0][1])
    monkeypatch.setenv("GLASSNET_DATA", str(source))  # finds the files in GLASSNET_DATA itself
    (_, y_train), _ = load_mnist(download=False)
    np.testing.assert_array_equal(y_train, mnist[0][1])


def test_glassnet_data_comes_before_the_cache(mnist_dir, isolated_cache, monkeypatch):
    source = mnist_dir
    cached = isolated_cache / "mnist"
    cached.mkdir(parents=True)
    (cached / FILES[1]).write_bytes(b"not the labels")  # would fail, but is never read
    monkeypatch.setenv("GLASSNET_DATA", str(source.parent))
    (_, y_train), _ = load_mnist(download=False)
    assert y_train[0] == 5


def test_missing_files_without_download(isolated_cache, tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"MNIST file train-images-idx3-ubyte.gz not found; looked in: .*"
        r"glassnet/mnist\. Pass download=True",
    ):
        load_mnist(download=False)
    with pytest.raises(FileNotFoundError, match=f"looked in: {tmp_path}. "):
        load_fashion_mnist(tmp_path, download=False)


def test_debian_style_and_uncompressed_files_pass_by_their_content(mnist_dir, tmp_path):
    """Debian rewrites the gzip headers: other .gz digests, the same decompressed bytes."""
    source = mnist_dir
    directory = copy_of(source, tmp_path / "debian", FILES[::2])  # the two image files as they are
    content = gzip.decompress((source / FILES[1]).read_bytes())
    rewritten = gzip.compress(content, mtime=0)  # no file name, no time: as Debian's build leaves them
    (directory / FILES[1]).write_bytes(rewritten)
    assert hashlib.md5(rewritten).hexdigest() != "d53e105ee54ea40749a09fcbcd1e9432"
    (directory / "t10k-labels-idx1-ubyte").write_bytes(gzip.decompress((source / FILES[3]).read_bytes()))
    (_, y_train), (_, y_test) = load_mnist(directory, download=False)
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9] and y_test[:3].tolist() == [7, 2, 1]


def test_a_corrupt_file_in_the_cache_fails_its_checksum(mnist_dir, isolated_cache):
    source = mnist_dir
    cached = copy_of(source, isolated_cache / "mnist", [FILES[0], FILES[2], FILES[3]])
    content = bytearray(gzip.decompress((source / FILES[1]).read_bytes()))
    content[100] = (content[100] + 1) % 10  # one label changed: a valid file, but not MNIST's
    (cached / FILES[1]).write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(ChecksumError) as caught:
        load_mnist()  # download=True does not paper over a corrupt file
    message = str(caught.value)
    assert f"{cached / FILES[1]} is not MNIST's train-labels-idx1-ubyte.gz" in message
    assert "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c" in message  # published .gz
    assert "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5" in message  # its content
    assert "delete it" in message
    (cached / FILES[1]).write_bytes((source / FILES[1]).read_bytes()[:-100])  # truncated .gz
    with pytest.raises(ChecksumError, match="decompressed content is none: .*not a valid gzip file"):
        load_mnist()


# --- downloading, from a local mirror ---
def test_download_into_the_cache_from_a_mirror(mnist_dir, isolated_cache, serve, mnist):
    source = mnist_dir
    url = serve(source)
    (x_train, y_train), (x_test, y_test) = load_mnist(mirror=url)
    np.testing.assert_array_equal(y_train, mnist[0][1])
    np.testing.assert_array_equal(x_test, mnist[1][0])
    cached = isolated_cache / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(FILES)  # no temporary files left
    for name in FILES:
        assert (cached / name).read_bytes() == (source / name).read_bytes()
    (_, y_again), _ = load_mnist(mirror="http://127.0.0.1:9/", download=False)  # now from the cache
    np.testing.assert_array_equal(y_again, y_train)


def test_download_to_an_explicit_path(mnist_dir, tmp_path, serve):
    source = mnist_dir
    target = tmp_path / "mine"
    copy_of(source, target, FILES[:1] + FILES[2:])  # only the training labels are missing
    load_mnist(target, mirror=serve(source))
    assert (target / FILES[1]).read_bytes() == (source / FILES[1]).read_bytes()


def test_a_mirror_serving_wrong_files_leaves_nothing_behind(isolated_cache, serve, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / FILES[0]).write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"))
    with pytest.raises(ChecksumError, match="every mirror served a wrong train-images-idx3-ubyte.gz"):
        load_mnist(mirror=serve(wrong))
    assert not (isolated_cache / "mnist").exists()  # the bad download and the folders it made were removed


def test_a_missing_file_on_the_mirror(isolated_cache, serve, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        DownloadError,
        match=r"could not download train-images-idx3-ubyte.gz: http.*: HTTP 404 .*"
        r"do not serve the file",
    ):
        load_fashion_mnist(mirror=[serve(empty)])


def test_offline_gives_a_clear_error(isolated_cache):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match=r"Connection refused(.|\n)*Are you offline\?.*GLASSNET_DATA"):
        load_mnist(mirror=f"http://127.0.0.1:{port}/")
    assert not isolated_cache.parent.exists()  # no empty cache folders left behind


def test_debian_directory_is_searched_for_fashion_mnist(
    fashion_dir, isolated_cache, monkeypatch, tmp_path, fashion
):
    system = copy_of(fashion_dir, tmp_path / "usr-share-datasets")
    monkeypatch.setattr(
        idx, "FASHION_MNIST", dataclasses.replace(idx.FASHION_MNIST, system_dirs=(str(system),))
    )
    (_, y_train), _ = load_fashion_mnist(download=False)
    np.testing.assert_array_equal(y_train, fashion[0][1])
