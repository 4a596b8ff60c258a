"""The one training loop: an epoch of batches, forward, loss, backward, update, metrics, callbacks.

``fit``, ``evaluate`` and custom training code all run epochs through ``run_epoch``.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from glassnet.autograd.grad_mode import no_grad
from glassnet.train.graph import model_outputs
from glassnet.train.multi_output import MultiOutputLoss, split_batch
from glassnet.train.sample_weights import weighted_loss

__all__ = ["run_epoch", "custom_train_step", "deferred_interrupt", "InterruptFlag"]


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


def _batch_size(array) -> int:
    if isinstance(array, list):
        array = array[0]
    return array.shape[0] if array.ndim else 1


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


def custom_train_step(model):
    """The model's own ``train_step(batch)`` when it defines one (Keras's idea: a GAN, a model trained with
    two optimizers), else None: the loop's default step below."""
    step = getattr(model, "train_step", None)
    return step if callable(step) else None


def _step_logs(model, logs) -> dict:
    """A custom step's logs as {name: float}, or a TypeError naming the model."""
    if not isinstance(logs, dict) or not all(isinstance(key, str) for key in logs):
        raise TypeError(
            f"{model.name}.train_step must return its logs as a dict of numbers by name, got {logs!r}"
        )
    try:
        return {key: float(value) for key, value in logs.items()}
    except (TypeError, ValueError):
        raise TypeError(
            f"{model.name}.train_step must return its logs as a dict of numbers by name, got {logs!r}"
        ) from None


def _default_step(model, x, y, epoch: int, step: int, weights=None):
    """Forward, loss + ``model.regularization_loss()``, zero the gradients, backward, update: (output, loss,
    the per-output loss terms). ``weights``: each example's share of the loss (``fit(sample_weight=)``)."""
    output = model_outputs(model, x)
    loss, terms = _loss(model.loss, output, y, weights)
    penalty = model.regularization_loss()
    if not isinstance(penalty, float):
        loss = loss + penalty
    model.optimizer.zero_grad()
    try:
        loss.backward()
    except FloatingPointError as error:
        raise FloatingPointError(
            f"{error} (epoch {epoch + 1}, batch {step + 1}; model.history keeps the epochs before)"
        ) from None
    model.optimizer.step()
    return output, loss, terms


def run_epoch(
    model, batches, training: bool, callbacks=None, interrupt: InterruptFlag | None = None, epoch: int = 0
) -> dict:
    """Run one pass over ``batches`` (tuples of tensors: the inputs, then the targets) and return the
    epoch's logs: the mean loss per example (regularization penalties included), for a model with several
    outputs each output's loss ("<output>_loss"), and each compiled metric over the whole pass.

    In training each batch takes one step: the model's own ``train_step(batch)`` when it defines one (it
    updates the model and returns its logs, a dict of numbers, averaged over the epoch per example), else
    forward, loss + ``model.regularization_loss()``, zero the gradients, backward, ``optimizer.step()``.
    Otherwise the model runs in evaluation mode without a graph.
    """
    model.train(training)
    train_step = custom_train_step(model) if training else None
    loss_fn = model.loss
    metrics = model.compiled_metrics if train_step is None else []
    for metric in metrics:
        metric.reset()
    sums, count = {}, 0
    term_totals = [0.0] * len(getattr(loss_fn, "losses", []))
    weighted = getattr(batches, "weighted", False)
    for step, batch in enumerate(batches):
        if callbacks is not None:
            callbacks.on_batch_begin(step)
        if train_step is not None:
            batch_logs, n = _step_logs(model, train_step(batch)), _batch_size(batch[0])
        else:
            weights = batch[-1] if weighted else None  # fit(sample_weight=...): each batch ends with them
            x, y = split_batch(model, batch[:-1] if weighted else batch)
            if training:
                output, loss, terms = _default_step(model, x, y, epoch, step, weights)
            else:
                with no_grad():
                    output = model_outputs(model, x)
                    loss, terms = _loss(loss_fn, output, y)
            batch_logs, n = {"loss": loss.item()}, _batch_size(y)  # the targets: a graph's masked nodes
            for k, term in enumerate(terms):
                term_totals[k] += term.item() * n
            for metric in metrics:
                metric.update(_values(output), _values(y))
        count += n
        for key, value in batch_logs.items():
            sums[key] = sums.get(key, 0.0) + value * n
        if callbacks is not None:
            callbacks.on_batch_end(step, batch_logs)
        if interrupt is not None and interrupt.raised:
            raise KeyboardInterrupt
    logs = {key: total / count for key, total in sums.items()} if count else {"loss": float("nan")}
    for name, term_total in zip(getattr(loss_fn, "output_names", []), term_totals):
        logs[f"{name}_loss"] = term_total / count if count else float("nan")
    logs.update((metric.name, metric.result()) for metric in metrics)
    return logs
