"""The examples run as they are and print what they promise."""

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_quickstart_prints_the_notes_numbers_and_learns_xor(capsys):
    runpy.run_path(str(EXAMPLES / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "y_hat = 0.765580, BCE = 0.267122" in out
    assert "W3 after one step = [4.000143 1.002201]" in out
    assert "-> [0 1 1 0]" in out
