"""Properties of the backward engine: accumulation, several paths, deep graphs, freed graphs, no_grad,
non-finite losses, dtypes, and broadcasting undone in backward (a hypothesis property)."""

import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import glassnet as gn


def leaf(values, dtype="float64"):
    return gn.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, -1.0, 9.0])
    x.zero_grad()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_a_tensor_on_several_paths_gets_the_sum():
    x = leaf([0.5, -1.5, 2.0])
    (x * x + x).sum().backward()  # d/dx (x^2 + x) = 2x + 1
    np.testing.assert_array_equal(x.grad, [2.0, -2.0, 5.0])


def test_paths_that_meet_again_below_the_leaf():
    x = leaf([2.0])
    h = x * 3.0
    (h * h + h.exp()).sum().backward()  # d/dx (9x^2 + e^(3x)) = 18x + 3 e^(3x)
    np.testing.assert_allclose(x.grad, [36.0 + 3 * np.exp(6.0)], rtol=1e-15)


def test_a_chain_of_ten_thousand_ops():
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**10_000] * 2, rtol=1e-12)


def test_backward_twice_needs_retain_graph():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward_that_doubles_the_gradient():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with gn.no_grad():
        y = (x * 2.0).exp().sum()
        with gn.enable_grad():
            z = x * 2.0
    assert y.requires_grad is False and y.is_leaf
    assert z.requires_grad is True and not z.is_leaf
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        y.backward()
    assert gn.is_grad_enabled()


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_backward_of_a_non_finite_loss_raises(bad):
    x = leaf([1.0, 2.0])
    loss = (x * bad).sum()
    with pytest.raises(FloatingPointError, match="before backward"):
        loss.backward()
    assert x.grad is None


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"one-element tensor.*shape \(2,\)"):
        (x * 2.0).backward()
    (x * 2.0).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])


# Each expression is evaluated with x a float32 leaf: Python and NumPy scalars must not promote it.
FLOAT32_EXPRESSIONS = [
    "x * 2.0", "2.0 * x", "x + 1", "2.0 - x", "x - np.float64(1.0)", "x / 3.0", "3.0 / x", "x ** 2",
    "x ** 0.5", "2.0 ** x", "x.mean()", "gn.where(x.data > 1, x, 0.0)", "x.maximum(1.5)", "x.clip(0.5, 2.5)",
    "x.sigmoid() * 0.5 + 0.25", "x.softmax() - 1e-3",
]


@pytest.mark.parametrize("expression", FLOAT32_EXPRESSIONS)
def test_python_numbers_keep_float32(expression):
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert x.dtype == np.float32
    y = eval(expression, {"x": x, "np": np, "gn": gn})
    assert y.dtype == np.float32, f"{expression} gave {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32, f"{expression}: the gradient is {x.grad.dtype}"


def test_float32_leaf_gets_a_float32_gradient_through_a_float64_cast():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * np.array([3.0, 4.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def _sum_to_shape(grad, shape):
    """The reference: entry j of an input receives the sum of the output gradients at every output
    position that read it (counted through an index map, not through the axes rule the ops use)."""
    positions = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), grad.shape)
    return np.bincount(positions.ravel(), weights=grad.ravel(), minlength=int(np.prod(shape))).reshape(shape)


@settings(max_examples=60, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       op=st.sampled_from(["add", "sub", "mul", "div"]), seed=st.integers(0, 2**32 - 1))
def test_broadcasting_is_undone_in_backward(shapes, op, seed):
    (shape_a, shape_b), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a_data, b_data = rng.uniform(0.5, 2.0, shape_a), rng.uniform(0.5, 2.0, shape_b)
    upstream = rng.standard_normal(out_shape)
    a, b = leaf(a_data), leaf(b_data)
    out = getattr(operator, {"div": "truediv"}.get(op, op))(a, b)
    assert out.shape == out_shape
    out.backward(upstream)

    a_wide, b_wide = np.broadcast_to(a_data, out_shape), np.broadcast_to(b_data, out_shape)
    local_a, local_b = {
        "add": (1.0, 1.0), "sub": (1.0, -1.0), "mul": (b_wide, a_wide),
        "div": (1 / b_wide, -a_wide / b_wide**2),
    }[op]
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    np.testing.assert_allclose(a.grad, _sum_to_shape(upstream * local_a, shape_a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad, _sum_to_shape(upstream * local_b, shape_b), rtol=1e-12, atol=1e-12)


def test_comparisons_and_argmax_are_outside_the_graph():
    x = gn.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    np.testing.assert_array_equal((x > 0).data, [[True, False], [True, True]])
    np.testing.assert_array_equal((x <= 0.5).data, [[False, True], [False, True]])
    np.testing.assert_array_equal((x < x.T).data, [[False, True], [False, False]])
    np.testing.assert_array_equal((x >= 1).data, [[True, False], [True, False]])
    assert x.argmax(axis=1).tolist() == [0, 0] and x.argmin().item() == 1
    assert not (x > 0).requires_grad
