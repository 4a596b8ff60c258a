"""Toy 2-D data sets for classification: moons, circles, spirals and blobs.

Small, drawable, and each hard for a different reason: moons and circles are not linearly separable,
spirals need a deep enough network, blobs are easy. The noise comes from glassnet's generator, so
``gn.manual_seed`` fixes them. Each returns ``(X, y)``: X float64 of shape (n_samples, 2) (blobs:
n_features), y int64 class labels 0, 1, ...; the rows are shuffled unless ``shuffle=False``, so that a
split by position (Keras' ``validation_split``) takes every class.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_rng

__all__ = ["make_moons", "make_circles", "make_spirals", "make_blobs"]


def make_moons(n_samples: int = 200, noise: float = 0.1, shuffle: bool = True):
    """Two interleaving half circles of radius 1, as scikit-learn's ``make_moons``.

    Class 0 is the upper half circle centred at (0, 0); class 1 the lower half circle centred at
    (1, 0.5). Points are evenly spaced along each arc, then Gaussian noise is added to both coordinates.

    Args:
        n_samples: points in all (>= 2); class 0 gets ``n_samples // 2``, class 1 the rest.
        noise: standard deviation of the Gaussian noise (>= 0).
        shuffle: shuffle the rows (else class 0 comes first).

    Returns:
        ``(X, y)``: float64 (n_samples, 2) and int64 (n_samples,).

    Example:
        >>> X, y = make_moons(4, noise=0.0, shuffle=False)
        >>> X.round(3).tolist(), y.tolist()
        ([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], [0, 0, 1, 1])
    """
    counts = _halves(_check_count(n_samples, 2, "make_moons"))
    _check_noise(noise)
    upper = np.linspace(0.0, math.pi, counts[0])
    lower = np.linspace(0.0, math.pi, counts[1])
    X = np.concatenate(
        [
            np.stack([np.cos(upper), np.sin(upper)], axis=1),
            np.stack([1.0 - np.cos(lower), 0.5 - np.sin(lower)], axis=1),
        ]
    )
    return _finish(X, _labels(counts), noise, shuffle)


def make_circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, shuffle: bool = True):
    """A large circle (class 0, radius 1) around a small one (class 1, radius ``factor``), both centred at 0.

    Points are evenly spaced around each circle, then Gaussian noise is added to both coordinates.

    Args:
        n_samples: points in all (>= 2); the outer circle gets ``n_samples // 2``, the inner the rest.
        noise: standard deviation of the Gaussian noise (>= 0).
        factor: radius of the inner circle relative to the outer, in (0, 1).
        shuffle: shuffle the rows (else class 0 comes first).

    Returns:
        ``(X, y)``: float64 (n_samples, 2) and int64 (n_samples,).

    Example:
        >>> X, y = make_circles(4, noise=0.0, shuffle=False)
        >>> np.hypot(X[:, 0], X[:, 1]).tolist(), y.tolist()
        ([1.0, 1.0, 0.5, 0.5], [0, 0, 1, 1])
    """
    counts = _halves(_check_count(n_samples, 2, "make_circles"))
    _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor}")
    circles = []
    for count, radius in zip(counts, (1.0, factor)):
        angle = np.linspace(0.0, 2 * math.pi, count, endpoint=False)
        circles.append(radius * np.stack([np.cos(angle), np.sin(angle)], axis=1))
    return _finish(np.concatenate(circles), _labels(counts), noise, shuffle)


#: How far each spiral arm turns, in radians, from the centre (r = 0) to the rim (r = 1).
SPIRAL_TURN = 4.0


def make_spirals(n_samples: int = 200, n_classes: int = 2, noise: float = 0.2, shuffle: bool = True):
    r"""Spiral arms, one per class, winding out from the centre (the CS231n spiral, arms evenly spaced).

    Arm k holds points at radius r evenly spaced in [0, 1] and angle
    :math:`\theta = 2\pi k / K + 4 r + \epsilon`, ε ~ N(0, noise²): the noise jitters the angle, not the
    radius, so a point's radius is exact. Every arm turns 4 radians (about 230 degrees).

    Args:
        n_samples: points in all (>= n_classes), split as evenly as possible (the first arms get one more).
        n_classes: the number of arms K (>= 2).
        noise: standard deviation of the angle's Gaussian noise in radians (>= 0).
        shuffle: shuffle the rows (else arm 0 comes first).

    Returns:
        ``(X, y)``: float64 (n_samples, 2) and int64 (n_samples,).

    Example:
        >>> X, y = make_spirals(6, n_classes=3, noise=0.0, shuffle=False)
        >>> np.hypot(X[:, 0], X[:, 1]).round(6).tolist(), y.tolist()
        ([0.0, 1.0, 0.0, 1.0, 0.0, 1.0], [0, 0, 1, 1, 2, 2])
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes (the number of spiral arms) must be an integer >= 2, got {n_classes!r}")
    counts = _split_counts(_check_count(n_samples, n_classes, "make_spirals"), n_classes)
    _check_noise(noise)
    rng = get_rng()
    arms = []
    for k, count in enumerate(counts):
        radius = np.linspace(0.0, 1.0, count)
        angle = 2 * math.pi * k / n_classes + SPIRAL_TURN * radius
        if noise:
            angle = angle + rng.normal(0.0, noise, size=count)
        arms.append(radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1))
    return _finish(np.concatenate(arms), _labels(counts), 0.0, shuffle)


def make_blobs(n_samples: int = 200, centers=3, cluster_std=1.0, n_features: int = 2, shuffle: bool = True):
    """Gaussian clusters, one per class, as scikit-learn's ``make_blobs``.

    Args:
        n_samples: points in all (>= the number of centers), split as evenly as possible.
        centers: the number of clusters, whose centres are then drawn uniformly in [-10, 10] per
            coordinate; or the centres themselves, an array of shape (clusters, n_features).
        cluster_std: the standard deviation of every cluster, or one per cluster.
        n_features: the dimension of the points when ``centers`` is a number (ignored otherwise).
        shuffle: shuffle the rows (else cluster 0 comes first).

    Returns:
        ``(X, y)``: float64 (n_samples, n_features) and int64 (n_samples,), y the cluster of each point.

    Example:
        >>> X, y = make_blobs(4, centers=[[0.0, 0.0], [5.0, 5.0]], cluster_std=0.0, shuffle=False)
        >>> X.tolist(), y.tolist()
        ([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 5.0]], [0, 0, 1, 1])
    """
    rng = get_rng()
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        if centers < 1 or n_features < 1:
            raise ValueError(f"centers and n_features must be >= 1, got {centers} and {n_features}")
        center_array = rng.uniform(-10.0, 10.0, size=(int(centers), int(n_features)))
    else:
        center_array = np.asarray(centers, dtype=np.float64)
        if center_array.ndim != 2 or center_array.shape[0] < 1:
            raise ValueError(
                f"centers must be a count or an array of shape (clusters, features), got shape "
                f"{center_array.shape}"
            )
    clusters = center_array.shape[0]
    stds = np.asarray(cluster_std, dtype=np.float64)
    if stds.ndim == 0:
        stds = np.full(clusters, float(stds))
    if stds.shape != (clusters,) or (stds < 0).any():
        raise ValueError(
            f"cluster_std must be >= 0, one number or one per cluster ({clusters}), got {cluster_std!r}"
        )
    counts = _split_counts(_check_count(n_samples, clusters, "make_blobs"), clusters)
    points = [
        center + rng.normal(0.0, 1.0, size=(count, center_array.shape[1])) * std
        for center, std, count in zip(center_array, stds, counts)
    ]
    return _finish(np.concatenate(points), _labels(counts), 0.0, shuffle)


def _check_count(n_samples, minimum: int, who: str) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(
            f"{who}: n_samples must be an integer >= {minimum} (one per class), got {n_samples!r}"
        )
    return int(n_samples)


def _check_noise(noise) -> None:
    if not noise >= 0:
        raise ValueError(f"noise (a standard deviation) must be >= 0, got {noise}")


def _split_counts(n_samples: int, classes: int) -> list:
    """As even a split as possible; the first classes get one more when it does not divide."""
    base, extra = divmod(n_samples, classes)
    return [base + (1 if k < extra else 0) for k in range(classes)]


def _halves(n_samples: int) -> list:
    """Moons and circles split as scikit-learn's: n // 2 for class 0, the rest for class 1."""
    return [n_samples // 2, n_samples - n_samples // 2]


def _labels(counts) -> np.ndarray:
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _finish(X, y, noise: float, shuffle: bool):
    rng = get_rng()
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    return X, y
