"""The graph examples run as they are and print what they promise."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PLANETOID = Path(__file__).resolve().parents[2] / "shared" / "data" / "planetoid"


def run(name, capsys, argv=()):
    old = sys.argv
    sys.argv = [name, *argv]
    try:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    finally:
        sys.argv = old
    return capsys.readouterr().out


def test_karate_club_places_all_but_member_8_from_four_labels(capsys):
    pytest.importorskip("networkx", reason="the karate club comes from networkx: pip install networkx")
    out = run("karate_club.py", capsys)
    assert "29 of the 30 others placed in their faction (97 %)" in out
    assert "misplaced: [8]" in out


def test_gcn_on_cora_reaches_the_papers_accuracy_with_one_seed(capsys):
    if not (PLANETOID / "ind.cora.x").is_file():
        pytest.skip(f"the Planetoid files are not at {PLANETOID} (../shared/data beside the checkout)")
    out = run("gcn_cora.py", capsys, ["--seeds", "1", "--data", str(PLANETOID)])
    assert "glassnet seed 0: test accuracy 0.824" in out  # seeded: the same every run
