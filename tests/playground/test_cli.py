"""``glassnet playground`` on the command line: it starts the server, prints the address, serves the page."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from glassnet.cli.main import main


def test_help_and_a_bad_port(capsys):
    with pytest.raises(SystemExit):
        main(["playground", "--help"])
    assert "can be clicked for the worked solution" in capsys.readouterr().out
    assert main(["playground", "--port", "70000"]) == 2
    assert "--port must be in [0, 65535], got 70000" in capsys.readouterr().err


def test_the_command_serves_the_page():
    pytest.importorskip("aiohttp")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-c",
        "from glassnet.cli.main import main; main()",
        "playground",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        assert f"open http://127.0.0.1:{port}/ in a browser" in line
        deadline, page = time.monotonic() + 30, None
        while page is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
            except OSError:
                time.sleep(0.1)
        assert page is not None and "glassnet playground" in page
    finally:
        process.terminate()
        process.wait(10)
