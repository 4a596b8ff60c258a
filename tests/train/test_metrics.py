"""Metrics accumulate exactly over batches and equal scikit-learn's definitions."""

import numpy as np
import pytest

from glassnet import nn
from glassnet.train import metrics as M

sklearn_metrics = pytest.importorskip(
    "sklearn.metrics", reason="scikit-learn is the reference: pip install scikit-learn"
)

rng = np.random.default_rng(0)
PROBS = rng.dirichlet(np.ones(4), size=50)
LABELS = rng.integers(0, 4, size=50)
BINARY_P = rng.random(40)
BINARY_Y = (rng.random(40) > 0.4).astype(float)
REG_Y, REG_P = rng.normal(size=30), rng.normal(size=30)


def in_batches(metric, prediction, target, size=7):
    metric.reset()
    for start in range(0, len(prediction), size):
        metric.update(prediction[start : start + size], target[start : start + size])
    return metric.result()


def test_accuracies():
    predicted = PROBS.argmax(1)
    expected = sklearn_metrics.accuracy_score(LABELS, predicted)
    assert in_batches(M.SparseCategoricalAccuracy(), PROBS, LABELS) == pytest.approx(expected)
    assert in_batches(M.CategoricalAccuracy(), PROBS, np.eye(4)[LABELS]) == pytest.approx(expected)
    binary = sklearn_metrics.accuracy_score(BINARY_Y, BINARY_P > 0.5)
    assert in_batches(M.BinaryAccuracy(), BINARY_P[:, None], BINARY_Y[:, None]) == pytest.approx(binary)
    logits = np.log(BINARY_P / (1 - BINARY_P))
    assert in_batches(M.BinaryAccuracy(logits=True), logits, BINARY_Y) == pytest.approx(binary)


@pytest.mark.parametrize(
    "name, reference", [("precision", "precision_score"), ("recall", "recall_score"), ("f1", "f1_score")]
)
def test_precision_recall_f1_binary_and_macro(name, reference):
    ref = getattr(sklearn_metrics, reference)
    metric = M.get(name)
    assert in_batches(metric, BINARY_P, BINARY_Y) == pytest.approx(ref(BINARY_Y, BINARY_P > 0.5))
    macro = ref(LABELS, PROBS.argmax(1), average="macro", zero_division=0)
    assert in_batches(metric, PROBS, LABELS) == pytest.approx(macro)
    assert in_batches(metric, PROBS, np.eye(4)[LABELS]) == pytest.approx(macro)


def test_regression_metrics():
    assert in_batches(M.get("mae"), REG_P, REG_Y) == pytest.approx(
        sklearn_metrics.mean_absolute_error(REG_Y, REG_P)
    )
    assert in_batches(M.get("mse"), REG_P, REG_Y) == pytest.approx(
        sklearn_metrics.mean_squared_error(REG_Y, REG_P)
    )
    assert in_batches(M.get("r2"), REG_P, REG_Y) == pytest.approx(sklearn_metrics.r2_score(REG_Y, REG_P))


def test_accuracy_follows_the_loss():
    assert isinstance(M.get("accuracy", nn.BinaryCrossEntropy()), M.BinaryAccuracy)
    assert isinstance(M.get("accuracy", nn.CategoricalCrossEntropy()), M.CategoricalAccuracy)
    assert isinstance(M.get("acc", nn.SparseCategoricalCrossEntropy()), M.SparseCategoricalAccuracy)
    assert M.get("accuracy", nn.BinaryCrossEntropy(from_logits=True)).threshold == 0.0
    assert M.get("accuracy", nn.BinaryCrossEntropy()).name == "accuracy"
    with pytest.raises(ValueError, match="'accuracy' needs a classification loss"):
        M.get("accuracy", nn.MSE())
    with pytest.raises(ValueError, match="unknown metric 'auc'; valid names: accuracy, binary_accuracy"):
        M.get("auc")


def test_calling_a_metric_does_not_touch_its_running_state():
    metric = M.SparseCategoricalAccuracy()
    metric.update(PROBS[:10], LABELS[:10])
    before = metric.result()
    assert metric(PROBS, LABELS) == pytest.approx(np.mean(PROBS.argmax(1) == LABELS))
    assert metric.result() == before
