"""examples/random_vs_grid.py runs and prints its table (a small version: 1 seed, 4 trials, 1 epoch)."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "random_vs_grid.py"


def test_the_example_prints_a_row_per_seed_and_the_means(capsys, monkeypatch, tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    plot = tmp_path / "rvg.png"
    argv = ["random_vs_grid.py", "--seeds", "2", "--side", "2", "--epochs", "1", "--plot", str(plot)]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "4 trials each, 1 epochs, validation accuracy of the best trial"
    rows = [line.split() for line in lines[2:4]]
    assert [row[0] for row in rows] == ["0", "1"] and all(0 < float(v) <= 1 for row in rows for v in row[1:3])
    assert all(row[3] == "4" for row in rows)  # 4 random trials, 4 different learning rates
    assert lines[4].startswith("mean") and "of 2 seeds" in lines[4] and plot.stat().st_size > 1000
