"""benchmarks/op_profile.py times each op's forward and backward and puts the ops back as they were."""

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _op_profile():
    sys.path.insert(0, str(BENCHMARKS))
    path = BENCHMARKS / "op_profile.py"
    spec = importlib.util.spec_from_file_location("glassnet_benchmarks_op_profile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_mlp_step_is_mostly_its_linear_layers_and_the_ops_are_restored():
    from glassnet.ops.linalg import Linear

    forward, backward = Linear.forward, Linear.backward
    wall, totals = _op_profile().profile("mlp_train", 3)
    assert Linear.forward is forward and Linear.backward is backward  # the clocks are gone
    assert totals[("Linear", "forward")] > 0 and totals[("Linear", "backward")] > 0
    timed = sum(totals.values())
    assert 0 < timed < 1.5 * wall  # nested ops count twice, never the whole several times over


def test_the_torch_profile_ranks_the_mlp_steps_aten_ops(capsys):
    import pytest

    pytest.importorskip("torch", reason="--torch profiles PyTorch's side; install the [torch] extra")
    _op_profile().profile_torch("mlp_train", 3, top=5)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("mlp_train (PyTorch ") and "ms a step over 3 steps" in lines[0]
    rows = [line.split(" | ") for line in lines[3:]]
    assert 1 <= len(rows) <= 5 and any("aten::" in row[0] for row in rows)
    selfs = [float(row[2]) for row in rows]
    assert selfs == sorted(selfs, reverse=True) and selfs[0] > 0  # ranked by self time a step
