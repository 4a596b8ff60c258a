"""The generator measures on cases with known values: the Frechet distance of Gaussians in closed form
(and estimated from samples), the classifier score of uniform and one-hot predictions, class coverage;
and the measures through a classifier's penultimate layer."""

import numpy as np
import pytest

from glassnet import nn
from glassnet.train.generative_metrics import (
    class_coverage,
    classifier_score,
    feature_statistics,
    frechet_distance,
    generator_scores,
    penultimate_features,
)


def test_frechet_distance_of_gaussians_in_closed_form():
    # commuting (diagonal) covariances: ‖Δμ‖² + Σ_k (√a_k − √b_k)²
    mean_a, mean_b = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 0.5])
    a, b = np.array([4.0, 1.0, 9.0]), np.array([1.0, 1.0, 2.25])
    expected = 1 + 9 + 0 + (2 - 1) ** 2 + 0 + (3 - 1.5) ** 2
    assert frechet_distance(mean_a, np.diag(a), mean_b, np.diag(b)) == pytest.approx(expected, rel=1e-12)
    # a general pair, rotated: the distance does not change when both are rotated alike
    rotation = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    rotated = frechet_distance(
        rotation @ mean_a,
        rotation @ np.diag(a) @ rotation.T,
        rotation @ mean_b,
        rotation @ np.diag(b) @ rotation.T,
    )
    assert rotated == pytest.approx(expected, rel=1e-10)
    # a Gaussian against itself
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    assert frechet_distance([1.0, 2.0], cov, [1.0, 2.0], cov) == pytest.approx(0.0, abs=1e-12)


def test_frechet_distance_against_scipy_for_non_commuting_covariances():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(1)
    m = rng.standard_normal((4, 4))
    n = rng.standard_normal((4, 4))
    cov_a, cov_b = m @ m.T + 0.1 * np.eye(4), n @ n.T + 0.1 * np.eye(4)
    mu_a, mu_b = rng.standard_normal(4), rng.standard_normal(4)
    reference = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * linalg.sqrtm(cov_a @ cov_b).real)
    assert frechet_distance(mu_a, cov_a, mu_b, cov_b) == pytest.approx(reference, rel=1e-9)


def test_frechet_distance_estimated_from_samples_approaches_the_closed_form():
    rng = np.random.default_rng(2)
    x = rng.normal([0.0, 0.0], [1.0, 2.0], size=(200_000, 2))
    y = rng.normal([1.0, 0.0], [1.0, 1.0], size=(200_000, 2))
    estimate = frechet_distance(*feature_statistics(x), *feature_statistics(y))
    assert estimate == pytest.approx(1.0 + (2.0 - 1.0) ** 2, abs=0.02)


def test_classifier_score_of_uniform_and_one_hot_predictions():
    assert classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1.0, rel=1e-12)
    assert classifier_score(np.eye(10)[np.arange(50) % 10]) == pytest.approx(10.0, rel=1e-12)
    assert classifier_score(np.eye(10)[np.zeros(50, dtype=int)]) == pytest.approx(1.0, rel=1e-12)
    # half the samples class 0, half class 1, all confident: exp(log 2) = 2
    assert classifier_score(np.eye(3)[np.arange(8) % 2]) == pytest.approx(2.0, rel=1e-12)
    with pytest.raises(ValueError, match="rows of class probabilities"):
        classifier_score(np.ones((3, 4)))


def test_class_coverage_counts_the_most_probable_class():
    coverage = class_coverage(np.eye(4)[[0, 0, 0, 2, 3, 3]] * 0.7 + 0.075)
    np.testing.assert_allclose(coverage, [0.5, 0.0, 1 / 6, 1 / 3])


def test_measures_through_a_classifier(float64):
    classifier = nn.Sequential([nn.Flatten(), nn.Dense(3), nn.Dense(4)], input_shape=(1, 2, 2))
    images = np.random.default_rng(3).standard_normal((20, 1, 2, 2))
    features = penultimate_features(classifier, images)
    hidden, last = classifier.layers[1], classifier.layers[2]
    expected = images.reshape(20, 4) @ hidden.weight.data + hidden.bias.data
    np.testing.assert_allclose(features, expected, rtol=1e-12)
    logits = expected @ last.weight.data + last.bias.data
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scores = generator_scores(classifier, images, images)
    assert scores["frechet_distance"] == pytest.approx(0.0, abs=1e-9)
    assert scores["classifier_score"] == pytest.approx(classifier_score(probabilities), rel=1e-12)
    np.testing.assert_allclose(scores["coverage"], class_coverage(probabilities))
