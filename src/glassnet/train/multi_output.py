"""Training a model with several inputs or outputs (a functional ``nn.Model``): how the data, the losses
and the metrics line up with the model's inputs and outputs.

Keras's rules: data for several inputs (or targets for several outputs) is a list in the model's order or
a dict by name (the ``nn.Input`` names; for outputs the names of the layers that give them). The loss is
one for every output or one per output (a list or a dict), and the model minimises the weighted sum

    L = Σ_k w_k · L_k(ŷ_k, y_k)        (w_k = ``loss_weights``, 1 by default)

whose gradient reaches output k scaled by w_k. ``fit`` reports "loss" (the sum) and "<output>_loss" per
output; metrics are reported per output as "<output>_<metric>".
"""

from __future__ import annotations

import copy

from glassnet.nn import losses
from glassnet.nn.functional_model import Model
from glassnet.nn.losses import Loss
from glassnet.nn.serialization import deserialize, serialize
from glassnet.train import metrics as metrics_module

__all__ = ["MultiOutputLoss", "input_names", "output_names", "by_position", "output_metrics", "split_batch"]


def input_names(model) -> list | None:
    """The names of a functional model's inputs when it takes a list of them; None for one input."""
    return model.input_names if isinstance(model, Model) and model._inputs_as_list else None


def output_names(model) -> list | None:
    """The names of a functional model's outputs when it gives a list of them; None for one output."""
    return model.output_names if isinstance(model, Model) and model._outputs_as_list else None


def by_position(value, names: list, what: str) -> list:
    """``value`` (a list in order, or a dict by name) as a list in the order of ``names``."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        missing = [name for name in names if name not in value]
        if unknown or missing:
            raise ValueError(f"{what}: expected the names {names}; missing {missing}, unknown {unknown}")
        return [value[name] for name in names]
    if not isinstance(value, (list, tuple)) or len(value) != len(names):
        count = len(value) if isinstance(value, (list, tuple)) else "one"
        raise ValueError(
            f"{what}: the model has {len(names)} ({', '.join(names)}); give a list of {len(names)} or a "
            f"dict by name, got {count}"
        )
    return list(value)


def split_batch(model, batch) -> tuple:
    """(inputs, targets) of a batch: the model's inputs come first, then one target per output; each is a
    tensor, or a list for a model with several."""
    inputs, outputs = input_names(model), output_names(model)
    taking, giving = len(inputs or [0]), len(outputs or [0])
    if len(batch) != taking + giving:
        raise ValueError(
            f"a batch holds {len(batch)} arrays, but '{model.name}' takes {taking} input(s) and {giving} "
            "target(s): give a DataLoader of (inputs..., targets...)"
        )
    x = list(batch[:taking]) if inputs is not None else batch[0]
    y = list(batch[taking:]) if outputs is not None else batch[taking]
    return x, y


class MultiOutputLoss(Loss):
    """The loss of a model with several outputs: L = Σ_k w_k · L_k(ŷ_k, y_k).

    Args:
        losses: one loss per output (names, loss objects, or their saved configs), in the outputs' order.
        loss_weights: w_k per output (default 1 each).
        output_names: the outputs' names, for the logs ("<name>_loss").

    Made by ``compile`` from ``loss=`` and ``loss_weights=``; ``terms`` gives the L_k, ``__call__`` the sum.
    """

    def __init__(self, losses, loss_weights=None, output_names=None):
        super().__init__()
        self.losses = [_loss(item) for item in losses]
        count = len(self.losses)
        self.output_names = list(output_names) if output_names is not None else [str(k) for k in range(count)]
        weights = [1.0] * count if loss_weights is None else [float(w) for w in loss_weights]
        if len(weights) != count or len(self.output_names) != count:
            raise ValueError(
                f"MultiOutputLoss: {count} losses need {count} loss_weights and names, got {weights} and "
                f"{self.output_names}"
            )
        self.loss_weights = weights

    @classmethod
    def create(cls, loss, names: list, loss_weights=None):
        """From ``compile``'s arguments: one loss for all outputs, or a list or dict of them."""
        if isinstance(loss, (list, tuple, dict)):
            per_output = by_position(loss, names, "compile(loss=...)")
        else:
            per_output = [loss] * len(names)
        weights = (
            None if loss_weights is None else by_position(loss_weights, names, "compile(loss_weights=...)")
        )
        return cls(per_output, weights, names)

    def terms(self, predictions, targets) -> list:
        """L_k(ŷ_k, y_k) for each output k, unweighted."""
        return [loss(p, t) for loss, p, t in zip(self.losses, predictions, targets)]

    def combine(self, terms):
        """Σ_k w_k · L_k."""
        total = terms[0] * self.loss_weights[0]
        for weight, term in zip(self.loss_weights[1:], terms[1:]):
            total = total + term * weight
        return total

    def __call__(self, predictions, targets):
        return self.combine(self.terms(predictions, targets))

    def get_config(self):
        return {
            "losses": [serialize(loss) for loss in self.losses],
            "loss_weights": self.loss_weights,
            "output_names": self.output_names,
        }


def _loss(identifier) -> Loss:
    return losses.get(deserialize(identifier))  # a name, a loss object, or a saved config


def output_metrics(metrics, names: list, loss: MultiOutputLoss) -> list:
    """Metrics per output: a list applied to every output, a list of lists (one per output), or a dict by
    output name; each is named "<output>_<metric>"."""
    if isinstance(metrics, dict):
        unknown = sorted(set(metrics) - set(names))
        if unknown:
            raise ValueError(f"compile(metrics=...): no outputs named {unknown}; the outputs are {names}")
        per_output = [metrics.get(name, []) for name in names]
    elif metrics and all(isinstance(item, (list, tuple)) for item in metrics):
        per_output = by_position(metrics, names, "compile(metrics=...)")
    else:
        per_output = [metrics or []] * len(names)
    result = []
    for index, (name, wanted) in enumerate(zip(names, per_output)):
        for item in [wanted] if isinstance(wanted, str) else wanted:
            metric = copy.deepcopy(metrics_module.get(item, loss=loss.losses[index]))  # own running sums
            result.append(metrics_module.OutputMetric(metric, index, f"{name}_{metric.name}"))
    return result
