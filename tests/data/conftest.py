"""Fixtures for the data tests: the shared real data sets, an isolated cache, and a local HTTP mirror."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from pathlib import Path

import pytest

from glassnet.data.datasets import idx

# ../shared/data beside the project's checkout: MNIST and Fashion-MNIST as published.
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _shared_dir(name: str) -> Path:
    """The shared copy of a data set, or skip the test with the reason."""
    directory = SHARED_DATA / name
    if not (directory / "train-labels-idx1-ubyte.gz").is_file():
        pytest.skip(f"the real data sets are not at {directory} (../shared/data beside the checkout)")
    return directory


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The four published MNIST files."""
    return _shared_dir("mnist")


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    """The four published Fashion-MNIST files."""
    return _shared_dir("fashion-mnist")


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """An empty glassnet cache, no GLASSNET_DATA, and no system copy of Fashion-MNIST: nothing found."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    monkeypatch.setattr(idx, "FASHION_MNIST", dataclasses.replace(idx.FASHION_MNIST, system_dirs=()))
    return cache / "glassnet"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture
def serve():
    """``serve(directory)`` -> the base URL of a local HTTP server for it (127.0.0.1, a free port)."""
    servers = []

    def start(directory) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.timeout = 5
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
