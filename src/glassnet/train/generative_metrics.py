"""How good a generator is, measured through a classifier trained on the real data (compare every number
with the same measure on real test images: its ceiling).

- Frechet distance: ‖μ_r - μ_g‖² + Tr(Σ_r + Σ_g - 2 (Σ_r Σ_g)^{1/2}) of the classifier's penultimate
  features, each set taken as a Gaussian N(μ, Σ); best 0.
- classifier score: exp(E_x KL(p(y|x) ‖ p(y))), p(y) = E_x p(y|x) (the Inception Score's formula, with
  the classifier in Inception's place); best the number of classes.
- class coverage: the share of samples the classifier puts in each class; best 1/classes each.

The score is high when each sample is confidently one class (p(y|x) sharp) and the classes are used
evenly (p(y) flat): between 1 (every sample alike) and the number of classes.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.grad_mode import no_grad
from glassnet.autograd.tensor import Tensor
from glassnet.ops.activation import softmax

__all__ = [
    "frechet_distance",
    "feature_statistics",
    "classifier_score",
    "class_coverage",
    "penultimate_features",
    "class_probabilities",
    "generator_scores",
    "rescale",
]


def rescale(images, source: tuple, target: tuple):
    """Images mapped linearly from the range ``source`` = (low, high) onto ``target``: a generator's tanh
    outputs (-1, 1) onto the (0, 1) pixels a classifier was trained on.

    Example:
        >>> rescale(np.array([-1.0, 0.0, 1.0]), (-1, 1), (0, 255)).tolist()
        [0.0, 127.5, 255.0]
    """
    (low, high), (new_low, new_high) = source, target
    return (np.asarray(images) - low) * ((new_high - new_low) / (high - low)) + new_low


def feature_statistics(features) -> tuple:
    """(μ, Σ) of features (N, D): the mean and the sample covariance (divided by N - 1)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(
            f"feature_statistics expects features (N, D) with N >= 2, got shape {features.shape}"
        )
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], -1)


def _psd_sqrt(matrix):
    """The symmetric square root of a symmetric positive semi-definite matrix (through its eigenvectors;
    rounding's tiny negative eigenvalues count as 0)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mean_a, cov_a, mean_b, cov_b) -> float:
    """‖μ_a - μ_b‖² + Tr(Σ_a + Σ_b - 2 (Σ_a Σ_b)^{1/2}): the squared 2-Wasserstein distance between
    N(μ_a, Σ_a) and N(μ_b, Σ_b).

    Tr (Σ_a Σ_b)^{1/2} is the sum of the square roots of the eigenvalues of Σ_a Σ_b, which are those of the
    symmetric S Σ_b S with S = Σ_a^{1/2}: no general matrix square root is needed.

    Example:
        >>> frechet_distance([0.0], [[1.0]], [3.0], [[4.0]])  # (0 - 3)² + (1 - 2)²
        10.0
    """
    mean_a, mean_b = np.asarray(mean_a, np.float64), np.asarray(mean_b, np.float64)
    cov_a, cov_b = np.atleast_2d(np.asarray(cov_a, np.float64)), np.atleast_2d(np.asarray(cov_b, np.float64))
    if mean_a.shape != mean_b.shape or cov_a.shape != cov_b.shape or cov_a.shape != mean_a.shape * 2:
        raise ValueError(
            f"frechet_distance: means {mean_a.shape}, {mean_b.shape} and covariances {cov_a.shape}, "
            f"{cov_b.shape} must describe Gaussians of the same dimension"
        )
    root = _psd_sqrt(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ cov_b @ root), 0, None)).sum()
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def classifier_score(probabilities) -> float:
    """exp(mean_i KL(p(y|x_i) ‖ p(y))) for class probabilities (N, classes), with 0·log 0 = 0.

    Example:
        >>> classifier_score(np.eye(4)), classifier_score(np.full((4, 4), 0.25))
        (4.0, 1.0)
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(
            f"classifier_score expects rows of class probabilities (N, classes), got shape {p.shape}"
        )
    marginal = p.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(marginal)), 0.0)
    return float(np.exp(terms.sum(axis=1).mean()))


def class_coverage(probabilities, num_classes: int | None = None) -> np.ndarray:
    """The share of samples whose most probable class is k, for each class k (sums to 1).

    Example:
        >>> class_coverage(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])).tolist()
        [0.75, 0.25]
    """
    p = np.asarray(probabilities)
    classes = p.shape[1] if num_classes is None else num_classes
    return np.bincount(p.argmax(axis=1), minlength=classes) / len(p)


def _batched(module, images, batch_size: int):
    was_training = module.training
    module.eval()
    try:
        with no_grad():
            parts = [
                module(Tensor(images[i : i + batch_size])).data for i in range(0, len(images), batch_size)
            ]
    finally:
        module.train(was_training)
    return np.concatenate(parts)


def penultimate_features(classifier, images, batch_size: int = 500) -> np.ndarray:
    """The inputs of a ``Sequential`` classifier's last layer (N, D) for ``images``, in evaluation mode."""
    layers = getattr(classifier, "layers", None)
    if not layers or len(layers) < 2:
        raise ValueError(
            "penultimate_features needs a Sequential classifier of at least two layers, "
            f"got {type(classifier).__name__}"
        )
    features = np.asarray(images, dtype=classifier.parameters()[0].dtype)
    for layer in layers[:-1]:
        features = _batched(layer, features, batch_size)
    return features.reshape(len(features), -1)


def class_probabilities(classifier, images, batch_size: int = 500) -> np.ndarray:
    """softmax of the classifier's logits for ``images`` (N, classes)."""
    logits = _batched(classifier, np.asarray(images, dtype=classifier.parameters()[0].dtype), batch_size)
    return softmax(Tensor(logits)).data


def generator_scores(classifier, samples, reference) -> dict:
    """The three measures of ``samples`` (images as the classifier reads them) against ``reference`` (real
    images): {"frechet_distance", "classifier_score", "coverage"} (coverage: the list of class shares)."""
    probabilities = class_probabilities(classifier, samples)
    ours = feature_statistics(penultimate_features(classifier, samples))
    theirs = feature_statistics(penultimate_features(classifier, reference))
    return {
        "frechet_distance": frechet_distance(*ours, *theirs),
        "classifier_score": classifier_score(probabilities),
        "coverage": class_coverage(probabilities).tolist(),
    }
