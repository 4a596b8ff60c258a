"""benchmarks/suite.py writes the whole suite's table to RESULTS.md, and a subset's only where asked."""

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _suite():
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("glassnet_benchmarks_suite", BENCHMARKS / "suite.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_subset_does_not_replace_the_whole_suites_table(tmp_path):
    suite = _suite()
    assert suite.table_path(None, None) == BENCHMARKS / "RESULTS.md"
    assert suite.table_path(None, ["gpt_train"]) is None
    assert suite.table_path(tmp_path / "t.md", ["gpt_train"]) == tmp_path / "t.md"
    assert suite.table_path(tmp_path / "t.md", None) == tmp_path / "t.md"
