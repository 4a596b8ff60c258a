"""The one training loop: an epoch of batches, forward, loss, backward, update, metrics, callbacks.

``fit``, ``evaluate`` and custom training code all run epochs through ``run_epoch``.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from glassnet.autograd.grad_mode import no_grad
from glassnet.train.multi_output import MultiOutputLoss, split_batch
from glassnet.train.sample_weights import weighted_loss

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
    if isinstance(x, list):
        x = x[0]
    return x.shape[0] if x.ndim else 1


def _values(tensors):
    """The arrays of a tensor, or of a list of tensors (a model with several outputs)."""
    return [item.data for item in tensors] if isinstance(tensors, list) else tensors.data


def _loss(loss_fn, output, y, weights=None) -> tuple:
    """The loss to minimise, and for several outputs each output's own loss (for the logs); with
    ``weights``, each example's share (``train.sample_weights``)."""
    if weights is not None:
        return weighted_loss(loss_fn, output, y, weights), []
    if isinstance(loss_fn, MultiOutputLoss):
        terms = loss_fn.terms(output, y)
        return loss_fn.combine(terms), terms
    return loss_fn(output, y), []


def run_epoch(
    model, batches, training: bool, callbacks=None, interrupt: InterruptFlag | None = None, epoch: int = 0
) -> dict:
    """Run one pass over ``batches`` (tuples of tensors: the inputs, then the targets) and return the
    epoch's logs: the mean loss per example (regularization penalties included), for a model with several
    outputs each output's loss ("<output>_loss"), and each compiled metric over the whole pass.

    In training each batch takes one step: forward, loss + ``model.regularization_loss()``, zero the
    gradients, backward, ``optimizer.step()``. Otherwise the model runs in evaluation mode without a graph.
    """
    model.train(training)
    loss_fn, optimizer = model.loss, model.optimizer
    metrics = model.compiled_metrics
    for metric in metrics:
        metric.reset()
    total, count = 0.0, 0
    term_totals = [0.0] * len(getattr(loss_fn, "losses", []))
    weighted = getattr(batches, "weighted", False)  # fit(sample_weight=...): each batch ends with them
    for step, batch in enumerate(batches):
        weights = batch[-1] if weighted else None
        x, y = split_batch(model, batch[:-1] if weighted else batch)
        if callbacks is not None:
            callbacks.on_batch_begin(step)
        if training:
            output = model(x)
            loss, terms = _loss(loss_fn, output, y, weights)
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
                loss, terms = _loss(loss_fn, output, y)
        value, n = loss.item(), _batch_size(x)
        total += value * n
        count += n
        for k, term in enumerate(terms):
            term_totals[k] += term.item() * n
        for metric in metrics:
            metric.update(_values(output), _values(y))
        if callbacks is not None:
            callbacks.on_batch_end(step, {"loss": value})
        if interrupt is not None and interrupt.raised:
            raise KeyboardInterrupt
    logs = {"loss": total / count if count else float("nan")}
    for name, term_total in zip(getattr(loss_fn, "output_names", []), term_totals):
        logs[f"{name}_loss"] = term_total / count if count else float("nan")
    logs.update((metric.name, metric.result()) for metric in metrics)
    return logs
