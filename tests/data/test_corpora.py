"""Tiny Shakespeare: found locally, checked against its published SHA-256, downloaded from a local mirror;
the sunspot numbers that statsmodels ships."""

from __future__ import annotations

import pytest

from glassnet.data import ChecksumError, load_tiny_shakespeare
from glassnet.data.download import sha256_of

from .conftest import SHARED_DATA


@pytest.fixture(scope="session")
def shakespeare_dir():
    directory = SHARED_DATA / "tinyshakespeare"
    if not (directory / "input.txt").is_file():
        pytest.skip(f"tiny Shakespeare is not at {directory} (../shared/data beside the checkout)")
    return directory


def test_found_by_file_by_directory_and_through_glassnet_data(shakespeare_dir, isolated_cache, monkeypatch):
    text = load_tiny_shakespeare(shakespeare_dir / "input.txt")
    assert len(text) == 1_115_394 and text.startswith("First Citizen:\nBefore we proceed any further")
    assert load_tiny_shakespeare(shakespeare_dir) == text
    monkeypatch.setenv("GLASSNET_DATA", str(shakespeare_dir.parent))
    assert load_tiny_shakespeare(download=False) == text


def test_missing_without_download_names_where_it_looked(isolated_cache):
    with pytest.raises(FileNotFoundError, match=r"input.txt not found; looked in: .*tinyshakespeare"):
        load_tiny_shakespeare(download=False)


def test_a_different_file_is_refused(tmp_path):
    (tmp_path / "input.txt").write_text("To be, or not to be", encoding="utf-8")
    with pytest.raises(ChecksumError, match="input.txt: expected 1,115,394 bytes, found 19"):
        load_tiny_shakespeare(tmp_path)
    (tmp_path / "input.txt").write_text("x" * 1_115_394, encoding="utf-8")  # the size, not the text
    with pytest.raises(ChecksumError, match="is not tiny Shakespeare's input.txt: its SHA-256 is"):
        load_tiny_shakespeare(tmp_path)


def test_downloaded_into_the_cache_from_a_mirror(shakespeare_dir, isolated_cache, serve, tmp_path):
    text = load_tiny_shakespeare(mirror=serve(shakespeare_dir))
    cached = isolated_cache / "tinyshakespeare"
    assert [p.name for p in cached.iterdir()] == ["input.txt"]  # no temporary file left
    assert sha256_of((cached / "input.txt").read_bytes()) == sha256_of(text.encode("utf-8"))
    assert load_tiny_shakespeare(mirror="http://127.0.0.1:9/", download=False) == text  # from the cache
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "input.txt").write_text("not Shakespeare", encoding="utf-8")
    with pytest.raises(ChecksumError, match="every mirror served a wrong input.txt"):
        load_tiny_shakespeare(tmp_path / "elsewhere", mirror=serve(wrong))
    assert not (tmp_path / "elsewhere" / "input.txt").exists()


def test_the_sunspot_numbers_from_statsmodels():
    pytest.importorskip("statsmodels", reason="the sunspots series comes with glassnet[timeseries]")
    from glassnet.data import load_sunspots

    values = load_sunspots()
    assert values.shape == (309,) and values.dtype == "float64"  # the years 1700 to 2008
    assert values[:3].tolist() == [5.0, 11.0, 16.0] and values[-1] == 2.9
