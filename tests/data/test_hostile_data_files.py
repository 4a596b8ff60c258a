"""Hostile and broken data files and downloads: IDX (gzip bombs, lying headers), CSV, tokenizer files,
endless mirrors on a loopback server. Each ends in one line naming the file, within 1 GiB of address space
and a time limit, with nothing written outside the output folder (tests/io/hostile_harness.py)."""

from __future__ import annotations

import http.server
import importlib.util
import json
import struct
import threading
from pathlib import Path

import pytest

from glassnet.data import (
    WordTokenizer,
    load_mnist,
    load_tiny_shakespeare,
    load_tokenizer,
    read_csv,
    read_idx,
)

_spec = importlib.util.spec_from_file_location(
    "hostile_files", Path(__file__).parents[1] / "io" / "hostile_files.py"
)
hostile_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile_files)
harness = hostile_files.load_harness()

MNIST_IMAGES = "train-images-idx3-ubyte.gz"
IMAGES_HEADER = struct.pack(">IIII", 0x803, 60000, 28, 28)


# --- IDX ------------------------------------------------------------------------------------------


def gzip_bomb_named_as_mnist_images(root):
    data = root / "data"
    data.mkdir()
    body, _, _ = hostile_files.deflated_zeros(400 << 20, prefix=IMAGES_HEADER, gzip=True)  # 400 MB inflated
    (data / MNIST_IMAGES).write_bytes(body)
    return lambda: load_mnist(path=data, download=False)


def idx_header_promises_more_than_gzip_can_hold(root):
    body, _, _ = hostile_files.deflated_zeros(100, prefix=IMAGES_HEADER, gzip=True)
    (root / "images.gz").write_bytes(body)
    return lambda: read_idx(root / "images.gz")


def idx_gzip_longer_than_its_header(root):
    header = struct.pack(">II", 0x801, 10)
    body, _, _ = hostile_files.deflated_zeros(300 << 20, prefix=header, gzip=True)
    (root / "labels.gz").write_bytes(body)
    return lambda: read_idx(root / "labels.gz")


def idx_uncompressed_claims_huge_shape(root):
    (root / "images").write_bytes(struct.pack(">IIII", 0x803, 2**31, 2**16, 2**16) + bytes(64))
    return lambda: read_idx(root / "images")


def idx_flipped_byte_in_gzip(root):
    body, _, _ = hostile_files.deflated_zeros(5000, prefix=struct.pack(">II", 0x801, 5000), gzip=True)
    middle = len(body) // 2
    (root / "labels.gz").write_bytes(body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :])
    return lambda: read_idx(root / "labels.gz")


def idx_directory(root):
    (root / "labels.gz").mkdir()
    return lambda: read_idx(root / "labels.gz")


def idx_valid_small_file(root):
    body, _, _ = hostile_files.deflated_zeros(
        0, prefix=struct.pack(">II", 0x801, 3) + bytes([7, 8, 9]), gzip=True
    )
    (root / "labels.gz").write_bytes(body)
    return lambda: read_idx(root / "labels.gz").tolist()


# --- CSV ------------------------------------------------------------------------------------------


def _csv(root, text, name="data.csv"):
    path = root / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def csv_over_long_field(root):
    path = _csv(root, 'a,b\n1,"' + "x" * 300_000 + '"\n')
    return lambda: read_csv(path, "a")


def csv_one_word_in_a_numeric_column(root):
    rows = "".join(f"{i},{i * 0.5}\n" for i in range(100))
    path = _csv(root, "label,size\n" + rows.replace("57,28.5", "57,abc"))
    return lambda: read_csv(path, "label")


def csv_not_utf8(root):
    path = _csv(root, "name,size\ncaf\xe9,1\n".encode("latin-1"))
    return lambda: read_csv(path, "size")


def csv_directory(root):
    (root / "data.csv").mkdir()
    return lambda: read_csv(root / "data.csv", "a")


def csv_identifier_column_one_hot(root):
    path = _csv(root, "id,y\n" + "".join(f"user{i},{i % 2}\n" for i in range(5000)))
    return lambda: read_csv(path, "y")


def csv_categories_are_accepted(root):
    path = _csv(root, "colour,size,y\nred,1,0\nblue,2,1\nred,3,1\n")
    return lambda: read_csv(path, "y")[0].tolist()


# --- tokenizer files ------------------------------------------------------------------------------


def _tokenizer(root, config):
    path = root / "tok.json"
    path.write_text(json.dumps(config) if not isinstance(config, str) else config)
    return path


def tokenizer_duplicated_token(root):
    path = _tokenizer(root, {"class": "WordTokenizer", "tokens": ["<pad>", "<unk>", "the", "cat", "the"]})
    return lambda: load_tokenizer(path)


def tokenizer_without_special_tokens(root):
    path = _tokenizer(root, {"class": "CharTokenizer", "tokens": ["a", "b", "c"]})
    return lambda: load_tokenizer(path)


def tokenizer_tokens_is_a_string(root):
    path = _tokenizer(root, {"class": "CharTokenizer", "tokens": "abc"})
    return lambda: load_tokenizer(path)


def tokenizer_missing_tokens(root):
    path = _tokenizer(root, {"class": "CharTokenizer"})
    return lambda: load_tokenizer(path)


def tokenizer_unknown_class(root):
    path = _tokenizer(root, {"class": "os.system", "tokens": ["<pad>", "<unk>"]})
    return lambda: load_tokenizer(path)


def tokenizer_multi_character_char_token(root):
    path = _tokenizer(root, {"class": "CharTokenizer", "tokens": ["<pad>", "<unk>", "ab"]})
    return lambda: load_tokenizer(path)


def tokenizer_deeply_nested(root):
    path = _tokenizer(root, '{"class": "CharTokenizer", "tokens": ' + "[" * 100_000 + "]" * 100_000 + "}")
    return lambda: load_tokenizer(path)


def tokenizer_not_utf8(root):
    path = root / "tok.json"
    path.write_bytes(b'{"class": "CharTokenizer", "tokens": ["<pad>", "<unk>", "\xe9"]}')
    return lambda: load_tokenizer(path)


def tokenizer_directory(root):
    (root / "tok.json").mkdir()
    return lambda: load_tokenizer(root / "tok.json")


def tokenizer_round_trip(root):
    tokenizer = WordTokenizer().fit("the cat sat on the mat")
    path = tokenizer.save(root / "out" / "tok.json")
    return lambda: load_tokenizer(path).encode("the mat sat").tolist()


# --- downloads from a loopback server ---------------------------------------------------------------


class _Endless(http.server.BaseHTTPRequestHandler):
    """Answers every GET with zeros that never end (or, with ``?announce``, a huge Content-Length)."""

    def do_GET(self):  # noqa: N802 - the base class's name
        self.send_response(200)
        if self.server.announce:
            self.send_header("Content-Length", str(1 << 40))
        self.end_headers()
        zeros = bytes(1 << 16)
        try:
            while True:
                self.wfile.write(zeros)
        except OSError:  # the client hung up: what a bounded download does
            pass

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def _endless_mirror(announce: bool = False) -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    server.announce = announce
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def endless_mirror_for_mnist(root):
    mirror = _endless_mirror()
    return lambda: load_mnist(path=root / "out" / "mnist", mirror=mirror)


def endless_mirror_announcing_a_terabyte(root):
    mirror = _endless_mirror(announce=True)
    return lambda: load_mnist(path=root / "out" / "mnist", mirror=mirror)


def endless_mirror_for_tiny_shakespeare(root):
    mirror = _endless_mirror()
    return lambda: load_tiny_shakespeare(path=root / "out" / "corpus", mirror=mirror)


CASES = {
    "gzip_bomb_named_as_mnist_images": (
        "ChecksumError",
        r"is not MNIST's train-images-idx3-ubyte\.gz: .*more than",
    ),
    "idx_header_promises_more_than_gzip_can_hold": (
        "IdxFileError",
        r"images\.gz: its IDX header promises 47,040,016 bytes, but gzip cannot inflate its \d+ bytes",
    ),
    "idx_gzip_longer_than_its_header": (
        "IdxFileError",
        r"labels\.gz: its gzip stream inflates to more than the 18 ",
    ),
    "idx_uncompressed_claims_huge_shape": ("IdxFileError", r"images is truncated: the header gives shape"),
    "idx_flipped_byte_in_gzip": ("IdxFileError", r"labels\.gz is not a valid gzip file"),
    "idx_directory": ("IdxFileError", r"labels\.gz: expected an IDX file, found a directory"),
    "idx_valid_small_file": ("ok", r"^\[7, 8, 9\]$"),
    "csv_over_long_field": (
        "CsvFileError",
        r"data\.csv, line 2: expected fields of at most 131,072 characters",
    ),
    "csv_one_word_in_a_numeric_column": (
        "CsvFileError",
        r"data\.csv, line 59, column 'size': expected a number \(the column's other 99 values are numbers\), "
        r"found 'abc'",
    ),
    "csv_not_utf8": ("CsvFileError", r"data\.csv, line 2: expected UTF-8 text, found the byte 0xe9"),
    "csv_directory": ("CsvFileError", r"data\.csv: expected a CSV file, found a directory"),
    "csv_identifier_column_one_hot": (
        "CsvFileError",
        r"column 'id': expected at most 1,000 categories to one-hot encode, found 5,000",
    ),
    "csv_categories_are_accepted": (
        "ok",
        r"^\[\[0\.0, 1\.0, 1\.0\], \[1\.0, 0\.0, 2\.0\], \[0\.0, 1\.0, 3\.0\]\]$",
    ),
    "tokenizer_duplicated_token": (
        "TokenizerFileError",
        r"tok\.json: tokens\[4\]: expected each token once, found 'the' again \(first at 2\)",
    ),
    "tokenizer_without_special_tokens": (
        "TokenizerFileError",
        r"tokens: expected '<pad>' and '<unk>' first \(ids 0 and 1\), found \['a', 'b'\]",
    ),
    "tokenizer_tokens_is_a_string": (
        "TokenizerFileError",
        r"tok\.json: tokens: expected a list .*found the string",
    ),
    "tokenizer_missing_tokens": ("TokenizerFileError", r"tok\.json: tokens: missing; expected a list"),
    "tokenizer_unknown_class": (
        "TokenizerFileError",
        r"class: expected one of 'CharTokenizer', 'WordTokenizer'",
    ),
    "tokenizer_multi_character_char_token": ("TokenizerFileError", r"tokens\[2\]: expected one character"),
    "tokenizer_deeply_nested": ("TokenizerFileError", r"tok\.json: expected JSON, found nesting too deep"),
    "tokenizer_not_utf8": ("TokenizerFileError", r"expected a tokenizer file in utf-8, found the byte 0xe9"),
    "tokenizer_directory": ("TokenizerFileError", r"tok\.json: expected a tokenizer file, found a directory"),
    "tokenizer_round_trip": ("ok", r"^\[2, 6, 4\]$"),
    "endless_mirror_for_mnist": (
        "ChecksumError",
        r"every mirror served a wrong train-images-idx3-ubyte\.gz: .*sent more than the 9,912,422 bytes",
    ),
    "endless_mirror_announcing_a_terabyte": (
        "ChecksumError",
        r"announces 1,099,511,627,776 bytes, more than the 9,912,422 expected",
    ),
    "endless_mirror_for_tiny_shakespeare": ("ChecksumError", r"sent more than the 1,115,394 bytes expected"),
}


outcomes, test_hostile_data_file = harness.family(__file__, CASES, "hostile-data")


@pytest.mark.parametrize("name", [name for name in CASES if name.startswith("endless")])
def test_a_cut_off_download_leaves_no_file_and_no_folder(outcomes, name):
    assert outcomes[name].written == []  # not even the empty folder it had made for the file
