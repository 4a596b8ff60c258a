"""Every row of the op table against PyTorch 2.13 in float64: the forward value, and the gradient of every
differentiable input after backward of the same random weighting of the output."""

import numpy as np
import pytest
from op_table import ROWS, SEEDS, case_id, glassnet_inputs

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is needed for the parity tests: pip install torch==2.13.0"
)

RTOL, ATOL = 1e-10, 1e-12


def torch_inputs(row, arrays) -> list:
    differentiable = row.differentiable(arrays)
    return [
        torch.tensor(a, requires_grad=i in differentiable) if a.dtype.kind == "f" else torch.from_numpy(a)
        for i, a in enumerate(arrays)
    ]


@pytest.mark.parametrize("seed", SEEDS, ids=case_id)
@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_matches_pytorch(row, seed):
    arrays = row.draw(seed)
    ours, theirs = glassnet_inputs(row, arrays), torch_inputs(row, arrays)
    out, expected = row.op(*ours), row.reference(*theirs)

    assert out.shape == tuple(expected.shape), f"{row.name}: output shape"
    assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch.")), f"{row.name}: output dtype"
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=RTOL, atol=ATOL,
                               err_msg=f"{row.name}: forward value")

    weights = np.asarray(np.random.default_rng(100 + seed).standard_normal(out.shape), dtype=out.dtype)
    out.backward(weights)
    expected.backward(torch.from_numpy(weights))
    differentiable = row.differentiable(arrays)
    assert differentiable, f"{row.name}: a row needs at least one differentiable input"
    for i in differentiable:
        assert ours[i].grad is not None, f"{row.name}: input {i} got no gradient"
        np.testing.assert_allclose(ours[i].grad, theirs[i].grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{row.name}: gradient of input {i}")
