"""The listener registry that the explain layer uses: every op's forward and backward is reported."""

import numpy as np

import glassnet as gn
from glassnet.autograd import hooks


class Recorder:
    def __init__(self):
        self.forward, self.backward = [], []

    def on_forward(self, fn, inputs, output):
        self.forward.append((fn.name, output.data.copy()))

    def on_backward(self, fn, grad_output, input_grads):
        self.backward.append(
            (fn.name, np.array(grad_output), [None if g is None else np.array(g) for g in input_grads])
        )


def test_listener_sees_forward_values_and_chain_rule_factors(float64):
    x = gn.tensor([2.0], requires_grad=True)
    with hooks.listening(Recorder()) as recorder:
        m = x * x  # the chain-rule drill of CURRICULUM section 4: m = x², z = m², y = z²
        z = m * m
        y = z * z
        y.backward()
    assert [name for name, _ in recorder.forward] == ["mul", "mul", "mul"]
    assert [value.item() for _, value in recorder.forward] == [4.0, 16.0, 256.0]
    # backward runs from y to x: dy/dz = 2z = 32, then dz/dm = 2m = 8 (so 256), then dm/dx = 2x = 4
    upstream = [grad.item() for _, grad, _ in recorder.backward]
    assert upstream == [1.0, 32.0, 256.0]
    assert x.grad.item() == 2 * 16 * 2 * 4 * 2 * 2 == 1024.0
    assert not hooks.listeners  # removed after the block


def test_no_listener_no_record():
    recorder = Recorder()
    x = gn.tensor([1.0], requires_grad=True)
    (x * 3).sum().backward()
    assert recorder.forward == [] and recorder.backward == []

