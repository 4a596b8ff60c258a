"""Ops with several outputs and gradients by name: one backward per op, after every consumer of every output.

The test op ``SinCos`` has two named outputs, s = w ⊙ sin(x) and c = w ⊙ cos(x), and returns its input
gradients by name:

    dL/dx = (g_s ⊙ cos(x) - g_c ⊙ sin(x)) ⊙ w,    dL/dw = g_s ⊙ sin(x) + g_c ⊙ cos(x)

where g_s, g_c are the upstream gradients (None, read as 0, for an output that no path reached).
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import Function, hooks
from glassnet.explain.recorder import record


class SinCos(Function):
    name = "sincos"
    input_names = ("x", "w")
    output_names = ("s", "c")
    received = []  # the upstream gradients of every backward call, for the tests to read

    def forward(self, x, w):
        self.saved.update(x=x, w=w)
        return w * np.sin(x), w * np.cos(x)

    def backward(self, grad):
        SinCos.received.append({name: None if g is None else g.copy() for name, g in grad.items()})
        x, w = self.saved["x"], self.saved["w"]
        g_s, g_c = (0.0 if grad[name] is None else grad[name] for name in ("s", "c"))
        grads = {"w": g_s * np.sin(x) + g_c * np.cos(x)} if self.needs_grad("w") else {}
        if self.needs_grad("x"):
            grads["x"] = (g_s * np.cos(x) - g_c * np.sin(x)) * w
        return grads


@pytest.fixture(autouse=True)
def _clear_received():
    SinCos.received.clear()


def leaf(values):
    return gn.tensor(np.asarray(values, dtype="float64"), requires_grad=True)


X, W = [0.3, -1.2, 2.0], [1.5, -0.5, 0.8]


def test_apply_returns_one_tensor_per_named_output():
    s, c = SinCos.apply(leaf(X), leaf(W))
    np.testing.assert_array_equal(s.data, np.array(W) * np.sin(X))
    np.testing.assert_array_equal(c.data, np.array(W) * np.cos(X))
    assert s.op is c.op and "op=sincos.c" in repr(c)


def test_gradcheck_through_both_outputs():
    assert gn.gradcheck(lambda x, w: SinCos.apply(x, w), [leaf(X), leaf(W)])


def test_an_unused_output_gets_none_and_the_gradient_is_that_of_the_other():
    assert gn.gradcheck(lambda x, w: SinCos.apply(x, w)[1], [leaf(X), leaf(W)])
    SinCos.received.clear()
    x, w = leaf(X), leaf(W)
    SinCos.apply(x, w)[1].sum().backward()
    [grad] = SinCos.received
    assert grad["s"] is None
    np.testing.assert_array_equal(grad["c"], np.ones(3))
    np.testing.assert_allclose(x.grad, -np.sin(X) * np.array(W), rtol=1e-15)
    np.testing.assert_allclose(w.grad, np.cos(X), rtol=1e-15)


def test_both_outputs_into_one_consumer_run_backward_once_with_both_gradients():
    x, w = leaf(X), leaf(W)
    s, c = SinCos.apply(x, w)
    (s * c).sum().backward()  # L = w² sin x cos x = w² sin(2x) / 2
    [grad] = SinCos.received
    np.testing.assert_array_equal(grad["s"], c.data)
    np.testing.assert_array_equal(grad["c"], s.data)
    np.testing.assert_allclose(x.grad, np.array(W) ** 2 * np.cos(2 * np.array(X)), rtol=1e-14)
    np.testing.assert_allclose(w.grad, np.array(W) * np.sin(2 * np.array(X)), rtol=1e-14)
    assert gn.gradcheck(lambda x, w: (lambda s, c: s * c)(*SinCos.apply(x, w)), [leaf(X), leaf(W)])


def test_outputs_reached_at_different_depths_wait_for_each_other():
    # s reaches the loss through a chain of 50 ops, c directly: the op's backward must run once, last.
    x, w = leaf(X), leaf(W)
    s, c = SinCos.apply(x, w)
    deep = s
    for _ in range(50):
        deep = deep * 1.01
    (deep + c * c).sum().backward()
    [grad] = SinCos.received
    np.testing.assert_allclose(grad["s"], np.full(3, 1.01**50), rtol=1e-14)
    np.testing.assert_array_equal(grad["c"], 2 * c.data)

    def f(x, w):
        s, c = SinCos.apply(x, w)
        for _ in range(50):
            s = s * 1.01
        return s + c * c

    assert gn.gradcheck(f, [leaf(X), leaf(W)])


def test_an_output_used_as_the_input_of_the_same_kind_of_op():
    def f(x, w):
        s, c = SinCos.apply(x, w)
        s2, c2 = SinCos.apply(s, c)  # both outputs of the first op feed the second, crossed roles
        return s2 * c + c2

    assert gn.gradcheck(f, [leaf(X), leaf(W)])


def test_retain_graph_runs_the_op_again_and_doubles_the_gradients():
    x, w = leaf(X), leaf(W)
    s, c = SinCos.apply(x, w)
    loss = (s + 2 * c).sum()
    loss.backward(retain_graph=True)
    first = x.grad.copy(), w.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(x.grad, 2 * first[0])
    np.testing.assert_array_equal(w.grad, 2 * first[1])
    assert len(SinCos.received) == 2
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_retain_grad_on_each_output():
    x, w = leaf(X), leaf(W)
    s, c = SinCos.apply(x, w)
    s.retain_grad(), c.retain_grad()
    (3 * s + c * c).sum().backward()
    np.testing.assert_array_equal(s.grad, np.full(3, 3.0))
    np.testing.assert_array_equal(c.grad, 2 * c.data)


def test_a_deep_chain_of_two_output_ops():
    # x_{k+1} = x_k + w sin(x_k) + w cos(x_k): 3,334 steps of three ops, 10,002 ops in all.
    steps, w_value = 3_334, 1e-4
    x0 = leaf([0.5, -1.0])
    w = gn.tensor(np.full(2, w_value))  # a constant: only x needs a gradient
    y = x0
    for _ in range(steps):
        s, c = SinCos.apply(y, w)
        y = y + s + c
    y.sum().backward()
    value, derivative = np.array([0.5, -1.0]), np.ones(2)
    for _ in range(steps):
        derivative *= 1 + w_value * (np.cos(value) - np.sin(value))
        value = value + w_value * np.sin(value) + w_value * np.cos(value)
    np.testing.assert_allclose(y.data, value, rtol=1e-12)
    np.testing.assert_allclose(x0.grad, derivative, rtol=1e-12)
    assert len(SinCos.received) == steps


def test_the_listener_hears_one_backward_with_gradients_by_name():
    x, w = leaf(X), leaf(W)
    with record() as trace:
        s, c = SinCos.apply(x, w)
        (s * c).sum().backward()
    op = trace.op_for(c)
    assert op is trace.op_for(s) and op.name == "sincos"
    np.testing.assert_array_equal(op.output[0], s.data)
    np.testing.assert_array_equal(op.grad_output["s"], c.data)
    np.testing.assert_array_equal(op.grad_output["c"], s.data)
    np.testing.assert_array_equal(op.grad_input[0], x.grad)

    calls = []

    class Listener:
        def on_forward(self, fn, inputs, output):
            pass

        def on_backward(self, fn, grad_output, input_grads):
            calls.append((fn.name, sorted(grad_output) if isinstance(grad_output, dict) else None))

    with hooks.listening(Listener()):
        s, c = SinCos.apply(leaf(X), leaf(W))
        (s * c).sum().backward()
    assert calls == [("sum", None), ("mul", None), ("sincos", ["c", "s"])]


class _TwoOutputsWrongCount(SinCos):
    def forward(self, x, w):
        return (x,)


class _UnknownName(SinCos):
    def backward(self, grad):
        return {"y": grad["s"]}


def test_mistakes_in_an_op_with_names_say_what_was_expected():
    with pytest.raises(TypeError, match=r"sincos takes 2 inputs \(x, w\), got 1"):
        SinCos.apply(leaf(X))
    with pytest.raises(TypeError, match=r"must return 2 arrays \(s, c\), got tuple"):
        _TwoOutputsWrongCount.apply(leaf(X), leaf(W))
    s, _ = _UnknownName.apply(leaf(X), leaf(W))
    with pytest.raises(RuntimeError, match=r"gradients for \['y'\].*input_names \('x', 'w'\)"):
        s.sum().backward()


def test_unbind_names_as_many_outputs_as_the_axis_has_slices():
    x = gn.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    parts = gn.unbind(x, 1)
    assert len(parts) == 3 and all(p.shape == (2, 4) for p in parts)
    np.testing.assert_array_equal(parts[2].data, x.data[:, 2])
    assert "op=unbind.2" in repr(parts[2])
    (parts[0] * 2 + parts[2]).sum().backward()
    expected = np.zeros((2, 3, 4))
    expected[:, 0], expected[:, 2] = 2, 1  # the middle slice fed nothing: zeros
    np.testing.assert_array_equal(x.grad, expected)


def test_unbind_refuses_an_axis_the_tensor_does_not_have():
    with pytest.raises(ValueError, match=r"unbind: axis 3 is out of range for a tensor of shape \(2, 3\)"):
        gn.unbind(gn.tensor(np.zeros((2, 3))), 3)


def test_unbind_is_recorded_with_its_gradients_by_output_name():
    # explain's trace shows the op's formula and derivative, each slice's upstream gradient (None for a
    # slice that fed nothing) and the stacked gradient of x
    x = gn.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    with record() as trace:
        first, _, last = gn.unbind(x, 0)
        (first * last).sum().backward()
    op = trace.ops[0]
    assert op.name == "unbind" and op.derivative.startswith("∂L/∂x = stack(")
    assert op.params == {"axis": 0} and [list(o) for o in op.output] == [[0, 1], [2, 3], [4, 5]]
    np.testing.assert_array_equal(op.grad_output["0"], [4, 5])  # d(first·last)/d first = last
    assert op.grad_output["1"] is None
    np.testing.assert_array_equal(op.grad_input[0], [[4, 5], [0, 0], [0, 1]])
