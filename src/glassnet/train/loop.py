"""The one training loop: an epoch of batches, forward, loss, backward, update, metrics, callbacks.

``fit``, ``evaluate`` and custom training code all run epochs through ``run_epoch``.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from glassnet.autograd.grad_mode import no_grad

__all__ = ["run_epoch", "deferred_interrupt", "InterruptFlag"]


class InterruptFlag:
    """Set by the first Ctrl-C during ``fit``; the loop stops at the next batch boundary, so that no
    parameter update is left half done."""

    def __init__(self):
        self.raised = False


@contextlib.contextmanager
def deferred_interrupt():
    """Turn the first Ctrl-C into a flag checked between batches; a second Ctrl-C interrupts at once."""
    flag = InterruptFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if flag.raised:
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        flag.raised = True

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _batch_size(x) -> int:
    return x.shape[0] if x.ndim else 1


def run_epoch(
    model, batches, training: bool, callbacks=None, interrupt: InterruptFlag | None = None, epoch: int = 0
) -> dict:
    """Run one pass over ``batches`` (pairs of tensors) and return the epoch's logs: the mean loss per
    example (regularization penalties included) and each compiled metric over the whole pass.

    In training each batch takes one step: forward, loss + ``model.regularization_loss()``, zero the
    gradients, backward, ``optimizer.step()``. Otherwise the model runs in evaluation mode without a graph.
    """
    model.train(training)
    loss_fn, optimizer = model.loss, model.optimizer
    metrics = model.compiled_metrics
    for metric in metrics:
        metric.reset()
    total, count = 0.0, 0
    for step, (x, y) in enumerate(batches):
        if callbacks is not None:
            callbacks.on_batch_begin(step)
        if training:
            output = model(x)
            loss = loss_fn(output, y)
            penalty = model.regularization_loss()
            if not isinstance(penalty, float):
                loss = loss + penalty
            optimizer.zero_grad()
            try:
                loss.backward()
            except FloatingPointError as error:
                raise FloatingPointError(
                    f"{error} (epoch {epoch + 1}, batch {step + 1}; model.history keeps the epochs before)"
                ) from None
            optimizer.step()
        else:
            with no_grad():
                output = model(x)
                loss = loss_fn(output, y)
        value, n = loss.item(), _batch_size(x)
        total += value * n
        count += n
        for metric in metrics:
            metric.update(output.data, y.data)
        if callbacks is not None:
            callbacks.on_batch_end(step, {"loss": value})
        if interrupt is not None and interrupt.raised:
            raise KeyboardInterrupt
    logs = {"loss": total / count if count else float("nan")}
    logs.update((metric.name, metric.result()) for metric in metrics)
    return logs
