"""Every row of the op table against central finite differences (``gn.gradcheck``, float64). No PyTorch."""

import pytest
from op_table import ROWS, SEEDS, case_id, glassnet_inputs

import glassnet as gn
from glassnet.autograd import Function, hooks
from glassnet.ops import dropout


@pytest.mark.parametrize("seed", SEEDS, ids=case_id)
@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_gradients_match_finite_differences(row, seed):
    inputs = glassnet_inputs(row, row.draw(seed))
    assert gn.gradcheck(row.op, inputs, **row.gradcheck_options) is True


class _OpRecorder:
    """Collects the class of every op that runs (through the listener registry the explain layer uses)."""

    def __init__(self):
        self.seen = set()

    def on_forward(self, fn, inputs, output):
        self.seen.add(type(fn))

    def on_backward(self, fn, grad_output, input_grads):
        pass


def _op_classes(cls=Function):
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("glassnet.ops."):
            yield sub
        yield from _op_classes(sub)


def test_table_covers_every_op():
    recorder = _OpRecorder()
    with hooks.listening(recorder):
        for row in ROWS:
            row.op(*glassnet_inputs(row, row.draw(0)))
    missing = {cls.__qualname__ for cls in _op_classes()} - {cls.__qualname__ for cls in recorder.seen}
    assert not missing, f"ops with no row in tests/ops/op_table.py: {sorted(missing)}"
    assert dropout.Dropout in recorder.seen

