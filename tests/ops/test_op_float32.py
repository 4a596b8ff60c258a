"""float32 stays float32: every row of the op table run on float32 inputs gives a float32 output (casts
aside) and float32 gradients, with values that agree with the float64 run to float32 precision."""

import numpy as np
import pytest
from op_table import ROWS, case_id, glassnet_inputs


@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_float32_in_float32_out(row):
    arrays = row.draw(1)
    single, double = glassnet_inputs(row, arrays, np.float32), glassnet_inputs(row, arrays, np.float64)
    out, reference = row.op(*single), row.op(*double)
    if row.keeps_dtype:
        assert out.dtype == np.float32, f"{row.name}: float32 inputs gave a {out.dtype} output"
    np.testing.assert_allclose(out.data, reference.data, rtol=1e-4, atol=1e-5)

    weights = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(weights.astype(out.dtype))
    reference.backward(weights.astype(reference.dtype))
    for i in row.differentiable(arrays):
        grad_dtype = single[i].grad.dtype
        assert grad_dtype == np.float32, f"{row.name}: input {i} got a {grad_dtype} gradient"
        np.testing.assert_allclose(single[i].grad, double[i].grad, rtol=1e-4, atol=1e-4,
                                   err_msg=f"{row.name}: gradient of input {i}")
