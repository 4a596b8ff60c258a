"""Decaying optimizer state is kept out of the subnormal range, where x86 arithmetic is slow (issue 13).

A state array that decays geometrically while its gradient is 0 (V <- β V) passes below the smallest normal
float, tiny = finfo(dtype).tiny, on its way to 0. Every ``FLUSH_EVERY`` updates the optimizer sets such
entries to 0. Each test runs the optimizer beside a control that never flushes: the control must reach
subnormals (else the test shows nothing), the flushed run must not keep them, and the weights must agree.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.optim import SGD, Adadelta, Adam, RMSProp
from glassnet.optim.optimizer import FLUSH_EVERY


class P:
    """A stand-in parameter: exactly what the optimizer contract needs (.data, .grad, .requires_grad)."""

    def __init__(self, data):
        self.data = np.array(data)
        self.grad = None
        self.requires_grad = True


def subnormal(array) -> np.ndarray:
    """Where ``array`` holds a subnormal float: 0 < |x| < tiny."""
    magnitude = np.abs(array)
    return (magnitude > 0) & (magnitude < np.finfo(array.dtype).tiny)


def unflushed(cls):
    """The same optimizer with no decaying state declared, so it never flushes: the control."""
    return type(f"Unflushed{cls.__name__}", (cls,), {"decaying": ()})


# Options that make each optimizer keep every decaying state array, with decays of 0.5 so that a value of
# about 1 reaches the subnormal range within 130 steps (float32) or 1,030 steps (float64).
DECAYING = [
    (SGD, {"lr": 0.1, "momentum": 0.5}, ("momentum_buffer",)),
    (RMSProp, {"lr": 0.01, "rho": 0.5, "momentum": 0.5, "centered": True},
     ("square_avg", "grad_avg", "momentum_buffer")),
    (Adadelta, {"rho": 0.5}, ("square_avg", "acc_delta")),
    (Adam, {"lr": 0.01, "beta_1": 0.5, "beta_2": 0.5}, ("exp_avg", "exp_avg_sq")),
]


@pytest.mark.parametrize("dtype, steps", [(np.float32, 180), (np.float64, 1100)])
@pytest.mark.parametrize("convention", ["notes", "pytorch", "keras"])
@pytest.mark.parametrize("cls, options, names", DECAYING, ids=[row[0].__name__ for row in DECAYING])
def test_decaying_state_is_flushed_and_the_weights_do_not_change(cls, options, names, convention, dtype,
                                                                 steps):
    assert cls.decaying == names
    flushed, control = P(np.full((2, 3), 0.5, dtype)), P(np.full((2, 3), 0.5, dtype))
    optimizer = cls([flushed], convention=convention, **options)
    reference = unflushed(cls)([control], convention=convention, **options)
    control_had_subnormals, age = 0, np.zeros((len(names), 2, 3), int)
    for step in range(1, steps + 1):
        grad = np.full((2, 3), (-1.0) ** step, dtype)
        grad[:, 0] = 1.0 if step == 1 else 0.0  # column 0: one gradient, then its state only decays
        flushed.grad, control.grad = grad, grad.copy()
        optimizer.step()
        reference.step()
        np.testing.assert_array_equal(flushed.data, control.data)  # flushing moves no weight
        for index, name in enumerate(names):
            ours, theirs = optimizer.state[id(flushed)][name], reference.state[id(control)][name]
            control_had_subnormals += int(subnormal(theirs).any())
            # where the control is normal (or 0) the states agree exactly; where it is subnormal, ours is
            # the same or already 0
            assert np.all((ours == theirs) | (subnormal(theirs) & (ours == 0))), (step, name)
            age[index] = np.where(subnormal(ours), age[index] + 1, 0)
            if step % FLUSH_EVERY == 0:
                assert not subnormal(ours).any(), (step, name)
    assert age.max() < FLUSH_EVERY  # no entry stayed subnormal for FLUSH_EVERY updates
    assert control_had_subnormals >= FLUSH_EVERY, "the control never reached the subnormal range"


@pytest.mark.parametrize("cls, options", [(RMSProp, {"rho": 0.5}), (Adadelta, {"rho": 0.5}),
                                          (Adam, {"beta_1": 0.5, "beta_2": 0.5})])
def test_no_flush_when_epsilon_is_too_small_for_it(cls, options):
    """With ε = 0 the step divides by √S itself: a flushed S would turn V / √S into 0 / 0 or V / 0, so the
    state is left as it is and the run is the control's, subnormals and all."""
    flushed, control = P(np.full(3, 0.5, np.float32)), P(np.full(3, 0.5, np.float32))
    optimizer = cls([flushed], eps=0.0, **options)
    reference = unflushed(cls)([control], eps=0.0, **options)
    for step in range(1, 130):
        grad = np.array([1.0 if step == 1 else 0.0, 1.0, -1.0], np.float32)
        flushed.grad, control.grad = grad, grad.copy()
        optimizer.step()
        reference.step()
    np.testing.assert_array_equal(flushed.data, control.data)
    assert np.isfinite(flushed.data).all()
    assert subnormal(reference.state[id(control)][cls.decaying[0]]).any()  # there was something to flush
    for name in cls.decaying:
        if name in reference.state[id(control)]:
            np.testing.assert_array_equal(optimizer.state[id(flushed)][name],
                                          reference.state[id(control)][name])


def test_adagrads_sum_only_grows_so_it_declares_nothing_decaying():
    """G <- G + g² never decreases: a G that was normal stays normal, so Adagrad has nothing to flush."""
    assert optim.Adagrad.decaying == ()
    w = P(np.array([0.5, 0.5], np.float32))
    optimizer = optim.Adagrad([w], lr=0.1)
    sums = []
    for step in range(40):
        w.grad = np.array([1.0 if step == 0 else 0.0, 1.0], np.float32)
        optimizer.step()
        sums.append(optimizer.state[id(w)]["sum_sq"].copy())
    assert np.all(np.diff(sums, axis=0) >= 0) and sums[-1][0] == 1.0


# --- a Keras-style fit that reaches the subnormal range, as the Fashion-MNIST MLP of issue 13 does ---------
EPOCHS = 12


def rare_feature_data(epoch: int):
    """1,024 samples, 128 features; features 32-127 are non-zero in the first epoch only (as pixels that are
    almost always black: afterwards their weights get zero gradients and Adam's moments only decay)."""
    rng = np.random.default_rng(epoch)
    x = rng.normal(size=(1024, 128)).astype(np.float32)
    if epoch > 0:
        x[:, 32:] = 0.0
    return x, (x[:, :4].sum(axis=1) > 0).astype(np.int64) + 2 * (x[:, 4] > 0)


def fit_epochs(optimizer):
    """Train the MLP one epoch at a time, BLAS on this thread alone; returns each epoch's CPU seconds (of
    this thread: other processes on a loaded machine do not count) and its count of subnormal state."""
    try:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415 - with scikit-learn, not a dependency
    except ImportError:  # the BLAS workers' time is then not counted, in early and late epochs alike
        threadpool_limits = contextlib.nullcontext
    gn.manual_seed(0)
    model = nn.Sequential([nn.Dense(128, activation="relu"), nn.Dense(4, activation="softmax")],
                          input_shape=(128,))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    seconds, counts = [], []
    with threadpool_limits(1):
        for epoch in range(EPOCHS):
            x, y = rare_feature_data(epoch)
            start = time.thread_time()
            model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)  # 32 steps: 2 x FLUSH_EVERY
            seconds.append(time.thread_time() - start)
            counts.append(sum(int(subnormal(state[name]).sum())
                              for state in optimizer.state.values() for name in ("exp_avg", "exp_avg_sq")))
    return seconds, counts


def test_fit_keeps_adams_moments_normal_and_later_epochs_as_fast_as_early_ones():
    # β₁ = β₂ = 0.7: the moments of the rare features' weights reach the subnormal range after about 200
    # steps, in epoch 7 (with Adam's defaults, V takes about 800 steps and S tens of thousands)
    options = {"lr": 1e-3, "beta_1": 0.7, "beta_2": 0.7}
    _, control_counts = fit_epochs(unflushed(Adam)(**options))
    assert max(control_counts) > 1000, f"the control never reached the subnormal range: {control_counts}"
    seconds, counts = fit_epochs(Adam(**options))
    assert counts == [0] * EPOCHS
    # the first epoch warms up; the rest do the same work. min() of three epochs each side and a generous
    # margin, so that a loaded machine does not fail the test
    ratio = min(seconds[-3:]) / min(seconds[1:4])
    assert ratio < 1.5, f"later epochs took {ratio:.2f} times as long as early ones: {seconds}"
