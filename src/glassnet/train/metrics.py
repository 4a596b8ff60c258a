"""Metrics: numbers that say how good a model is, accumulated over the batches of an epoch.

A metric keeps running sums (``update(prediction, target)``), gives its value over everything seen
(``result()``), and starts over with ``reset()``; so an epoch's accuracy is over all its examples, not a
mean of batch accuracies. Predictions are arrays of the model's outputs: probabilities, or logits when the
loss was compiled with ``from_logits=True`` (then ``logits=True`` here puts the binary threshold at 0).

| name                         | value                                   | targets                      |
|------------------------------|-----------------------------------------|------------------------------|
| binary_accuracy              | share of [ŷ > 0.5] = y                  | 0/1, same shape as ŷ         |
| categorical_accuracy         | share of argmax ŷ = argmax y            | one-hot (N, classes)         |
| sparse_categorical_accuracy  | share of argmax ŷ = y                   | integer labels (N,)          |
| precision, recall, f1        | TP/(TP+FP), TP/(TP+FN), 2PR/(P+R)       | 0/1; or classes (macro mean) |
| mae, mse                     | mean of abs(ŷ - y), of (ŷ - y)²          | numbers                      |
| r2                           | 1 - Σ(y - ŷ)² / Σ(y - ȳ)²                | numbers                      |

``"accuracy"`` (and ``"acc"``) picks the accuracy that fits the compiled loss, as Keras does.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "Metric",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "Precision",
    "Recall",
    "F1Score",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "R2Score",
    "OutputMetric",
    "get",
    "metric_config",
]


class Metric:
    """Base class: ``update`` with each batch, ``result`` over all of them, ``reset`` between epochs."""

    name = "metric"

    def __init__(self, name: str | None = None):
        if name is not None:
            self.name = name
        self.reset()

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, prediction, target) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def __call__(self, prediction, target) -> float:
        """The metric of one batch alone (does not touch the running state)."""
        fresh = type(self).__new__(type(self))
        fresh.__dict__.update(self.__dict__)
        fresh.reset()
        fresh.update(prediction, target)
        return fresh.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _arrays(prediction, target):
    prediction = getattr(prediction, "data", prediction)
    target = getattr(target, "data", target)
    return np.asarray(prediction), np.asarray(target)


class _Counting(Metric):
    """A share of correct answers: correct / total."""

    def reset(self):
        self.correct, self.total = 0, 0

    def result(self):
        return self.correct / self.total if self.total else 0.0

    def _add(self, hits):
        self.correct += int(np.count_nonzero(hits))
        self.total += hits.size


class BinaryAccuracy(_Counting):
    """Share of predictions on the right side of the threshold (0.5 for probabilities, 0 for logits)."""

    name = "binary_accuracy"

    def __init__(self, threshold: float | None = None, logits: bool = False, name=None):
        self.threshold = (0.0 if logits else 0.5) if threshold is None else threshold
        super().__init__(name)

    def update(self, prediction, target):
        prediction, target = _arrays(prediction, target)
        self._add((prediction > self.threshold) == (target.reshape(prediction.shape) > 0.5))


class CategoricalAccuracy(_Counting):
    """Share of examples whose highest score is at the one-hot target's class."""

    name = "categorical_accuracy"

    def update(self, prediction, target):
        prediction, target = _arrays(prediction, target)
        self._add(prediction.argmax(axis=-1) == target.argmax(axis=-1))


class SparseCategoricalAccuracy(_Counting):
    """Share of examples whose highest score is at the integer label."""

    name = "sparse_categorical_accuracy"

    def update(self, prediction, target):
        prediction, target = _arrays(prediction, target)
        self._add(prediction.argmax(axis=-1) == target.reshape(prediction.shape[:-1]))


class _Confusion(Metric):
    """True positives, false positives and false negatives per class, for precision, recall and F1.

    Binary outputs (one column or a flat vector) count class 1 against 0 with the threshold; multi-class
    outputs take the argmax and average the per-class values (macro average, each class weighing the same).
    """

    def __init__(self, threshold: float | None = None, logits: bool = False, name=None):
        self.threshold = (0.0 if logits else 0.5) if threshold is None else threshold
        super().__init__(name)

    def reset(self):
        self.tp = self.fp = self.fn = None

    def update(self, prediction, target):
        prediction, target = _arrays(prediction, target)
        if prediction.ndim <= 1 or prediction.shape[-1] == 1:
            predicted = (prediction.reshape(-1) > self.threshold).astype(np.int64)
            actual = (target.reshape(-1) > 0.5).astype(np.int64)
            classes = np.array([1])
        else:
            predicted = prediction.argmax(axis=-1).reshape(-1)
            if target.shape == prediction.shape:
                actual = target.argmax(axis=-1).reshape(-1)
            else:
                actual = target.reshape(-1).astype(np.int64)
            classes = np.arange(prediction.shape[-1])
        p, a = predicted[:, None] == classes, actual[:, None] == classes
        tp, fp, fn = (p & a).sum(0), (p & ~a).sum(0), (~p & a).sum(0)
        if self.tp is None:
            self.tp, self.fp, self.fn = tp, fp, fn
        else:
            self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    def _per_class(self):
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(self.tp + self.fp > 0, self.tp / (self.tp + self.fp), 0.0)
            recall = np.where(self.tp + self.fn > 0, self.tp / (self.tp + self.fn), 0.0)
        return precision, recall


class Precision(_Confusion):
    """Precision TP / (TP + FP): of the examples called positive, the share that are."""

    name = "precision"

    def result(self):
        return 0.0 if self.tp is None else float(self._per_class()[0].mean())


class Recall(_Confusion):
    """Recall TP / (TP + FN): of the positive examples, the share found."""

    name = "recall"

    def result(self):
        return 0.0 if self.tp is None else float(self._per_class()[1].mean())


class F1Score(_Confusion):
    """F1 = 2 P R / (P + R), the harmonic mean of precision and recall (per class, then averaged)."""

    name = "f1"

    def result(self):
        if self.tp is None:
            return 0.0
        precision, recall = self._per_class()
        with np.errstate(divide="ignore", invalid="ignore"):
            f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        return float(f1.mean())


class _MeanError(Metric):
    def reset(self):
        self.sum, self.count = 0.0, 0

    def update(self, prediction, target):
        prediction, target = _arrays(prediction, target)
        error = prediction - target.reshape(prediction.shape)
        self.sum += float(self._error(error).sum())
        self.count += error.size

    def result(self):
        return self.sum / self.count if self.count else 0.0


class MeanAbsoluteError(_MeanError):
    """Mean of |ŷ - y| over all outputs."""

    name = "mae"

    def _error(self, error):
        return np.abs(error)


class MeanSquaredError(_MeanError):
    """Mean of (ŷ - y)² over all outputs."""

    name = "mse"

    def _error(self, error):
        return error * error


class R2Score(Metric):
    """Coefficient of determination R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)² over all outputs (1 is perfect,
    0 is as good as predicting the mean). Computed from running sums, so it is exact over the epoch."""

    name = "r2"

    def reset(self):
        self.residual, self.sum, self.sum_sq, self.count = 0.0, 0.0, 0.0, 0

    def update(self, prediction, target):
        prediction, target = _arrays(prediction, target)
        target = target.reshape(prediction.shape).astype(np.float64)
        self.residual += float(((target - prediction) ** 2).sum())
        self.sum += float(target.sum())
        self.sum_sq += float((target * target).sum())
        self.count += target.size

    def result(self):
        if self.count == 0:
            return 0.0
        total = self.sum_sq - self.sum * self.sum / self.count
        return 1.0 - self.residual / total if total > 0 else 0.0


class OutputMetric(Metric):
    """A metric of one output of a model with several: ``metric`` applied to prediction and target number
    ``output`` (named "<output name>_<metric>" by ``compile``).

    Args:
        metric: a metric object, or its saved config {"class": ..., "config": ...}.
        output: the output's position.
        name: the name in the logs.
    """

    def __init__(self, metric, output: int, name: str):
        if isinstance(metric, dict):
            metric = _CLASSES[metric["class"]](**metric["config"])
        self.metric, self.output = metric, int(output)
        super().__init__(name)

    def reset(self):
        self.metric.reset()

    def update(self, prediction, target):
        self.metric.update(prediction[self.output], target[self.output])

    def result(self):
        return self.metric.result()

    def get_config(self) -> dict:
        return {"metric": metric_config(self.metric), "output": self.output, "name": self.name}


def metric_config(metric) -> dict:
    """A metric as {"class": ..., "config": ...}, as the model file stores it (``Class(**config)``
    rebuilds it)."""
    config = metric.get_config() if hasattr(metric, "get_config") else {"name": metric.name}
    if hasattr(metric, "threshold"):
        config["threshold"] = metric.threshold
    return {"class": type(metric).__name__, "config": config}


_NAMES = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "precision": Precision,
    "recall": Recall,
    "f1": F1Score,
    "f1_score": F1Score,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "r2": R2Score,
    "r2_score": R2Score,
}
_ACCURACY_FOR_LOSS = {
    "BinaryCrossEntropy": BinaryAccuracy,
    "CategoricalCrossEntropy": CategoricalAccuracy,
    "SparseCategoricalCrossEntropy": SparseCategoricalAccuracy,
}
_THRESHOLDED = (BinaryAccuracy, Precision, Recall, F1Score)
_CLASSES = {cls.__name__: cls for cls in [*_NAMES.values(), OutputMetric]}


def get(identifier, loss=None) -> Metric:
    """A metric from a name or an instance. ``"accuracy"`` picks the accuracy that fits ``loss``; metrics
    with a threshold use 0 when the loss takes logits (``from_logits=True``)."""
    if isinstance(identifier, Metric):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"expected a metric name or Metric, got {identifier!r}")
    key = identifier.lower()
    logits = bool(getattr(loss, "from_logits", False))
    if key in ("accuracy", "acc"):
        cls = _ACCURACY_FOR_LOSS.get(type(loss).__name__)
        if cls is None:
            raise ValueError(
                f"'accuracy' needs a classification loss to choose binary, categorical or sparse accuracy; "
                f"the loss is {loss!r}. Name one of binary_accuracy, categorical_accuracy, "
                "sparse_categorical_accuracy"
            )
        return cls(logits=logits, name="accuracy") if cls is BinaryAccuracy else cls(name="accuracy")
    if key not in _NAMES:
        raise ValueError(f"unknown metric {identifier!r}; valid names: accuracy, {', '.join(sorted(_NAMES))}")
    cls = _NAMES[key]
    return cls(logits=logits) if cls in _THRESHOLDED else cls()
