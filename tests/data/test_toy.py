"""The toy 2-D sets: the geometry each promises, class balance, and seeded noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import make_blobs, make_circles, make_moons, make_spirals


def distance_to_arc(points, center, start_angle):
    """Distance from each point to the half circle of radius 1 around ``center`` spanning
    [start_angle, start_angle + pi]."""
    offset = points - np.asarray(center)
    angle = np.mod(np.arctan2(offset[:, 1], offset[:, 0]) - start_angle, 2 * math.pi)
    on_arc = angle <= math.pi
    radial = np.abs(np.hypot(offset[:, 0], offset[:, 1]) - 1.0)
    ends = [np.asarray(center) + [math.cos(a), math.sin(a)] for a in (start_angle, start_angle + math.pi)]
    to_ends = np.min([np.hypot(*(points - end).T) for end in ends], axis=0)
    return np.where(on_arc, radial, to_ends)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = make_moons(201, noise=0.0)
    assert X.shape == (201, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 101]
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert (upper[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()


def test_noisy_moons_are_separated_by_their_arcs():
    X, y = make_moons(1000, noise=0.1)
    to_upper = distance_to_arc(X, (0.0, 0.0), 0.0)
    to_lower = distance_to_arc(X, (1.0, 0.5), math.pi)
    predicted = (to_lower < to_upper).astype(int)
    assert (predicted == y).mean() > 0.97
    # The noise has the requested size: radial distances to the own arc spread like |N(0, 0.1)|.
    own = np.where(y == 0, to_upper, to_lower)
    assert 0.06 < own.mean() < 0.1  # E|N(0, 0.1)| = 0.1 * sqrt(2 / pi) = 0.080
    # Not linearly separable: the best line through the data leaves errors (checked with least squares).
    design = np.column_stack([X, np.ones(len(X))])
    weights = np.linalg.lstsq(design, 2.0 * y - 1.0, rcond=None)[0]
    assert ((design @ weights > 0) == y).mean() < 0.95


def test_circles_have_their_radii():
    X, y = make_circles(300, noise=0.0, factor=0.3)
    assert np.bincount(y).tolist() == [150, 150]
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    X, y = make_circles(2000, noise=0.05)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert abs(radius[y == 0].mean() - 1.0) < 0.01
    assert abs(radius[y == 1].mean() - 0.5) < 0.01
    assert ((radius < 0.75) == (y == 1)).mean() > 0.99


def test_spirals_arms_follow_their_curve():
    X, y = make_spirals(200, n_classes=3, noise=0.0, shuffle=False)
    assert np.bincount(y).tolist() == [67, 67, 66]
    assert np.array_equal(y, np.sort(y))
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.min() == 0.0 and abs(radius.max() - 1.0) < 1e-12
    residual = angle_residual(X, y, 3)
    np.testing.assert_allclose(residual[radius > 0], 0.0, atol=1e-9)


def angle_residual(X, y, classes):
    """Each point's angle minus its arm's, 2 pi k / K + 4 r, wrapped to [-pi, pi)."""
    radius = np.hypot(X[:, 0], X[:, 1])
    expected = 2 * math.pi * y / classes + 4.0 * radius
    return np.mod(np.arctan2(X[:, 1], X[:, 0]) - expected + math.pi, 2 * math.pi) - math.pi


def test_spiral_noise_is_an_angle_jitter_of_the_given_size():
    X, y = make_spirals(4000, n_classes=2, noise=0.2)
    assert np.bincount(y).tolist() == [2000, 2000]
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0 + 1e-12  # the radius is exact
    residual = angle_residual(X, y, 2)
    assert abs(residual.std() - 0.2) < 0.01 and abs(residual.mean()) < 0.01


def test_blobs_with_given_centers_and_spreads():
    centers = np.array([[0.0, 0.0], [10.0, -5.0], [-4.0, 8.0]])
    X, y = make_blobs(3000, centers=centers, cluster_std=[0.5, 1.0, 2.0])
    assert np.bincount(y).tolist() == [1000, 1000, 1000]
    for k, std in enumerate([0.5, 1.0, 2.0]):
        members = X[y == k]
        np.testing.assert_allclose(members.mean(axis=0), centers[k], atol=4 * std / math.sqrt(1000))
        np.testing.assert_allclose(members.std(axis=0), std, rtol=0.08)


def test_blobs_with_drawn_centers():
    X, y = make_blobs(301, centers=4, cluster_std=0.1, n_features=5)
    assert X.shape == (301, 5)
    assert np.bincount(y).tolist() == [76, 75, 75, 75]
    means = np.array([X[y == k].mean(axis=0) for k in range(4)])
    assert (np.abs(means) < 10.1).all()  # centres drawn in [-10, 10]
    assert np.std(means) > 2.0  # and spread over that box, not all at one point


@pytest.mark.parametrize("make", [make_moons, make_circles, make_spirals, make_blobs])
def test_seeded_and_shuffled(make):
    gn.manual_seed(5)
    X1, y1 = make(100)
    gn.manual_seed(5)
    X2, y2 = make(100)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    gn.manual_seed(6)
    X3, _ = make(100)
    assert not np.array_equal(X1, X3)
    assert not np.array_equal(y1, np.sort(y1))  # shuffled, so a split by position gets every class
    _, ordered = make(100, shuffle=False)
    np.testing.assert_array_equal(ordered, np.sort(ordered))


def test_numpy_global_state_is_left_alone():
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    make_moons(50)
    make_blobs(50)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_samples must be an integer >= 2"):
        make_moons(1)
    with pytest.raises(ValueError, match="noise"):
        make_circles(10, noise=-0.1)
    with pytest.raises(ValueError, match="factor"):
        make_circles(10, factor=1.5)
    with pytest.raises(ValueError, match="n_classes"):
        make_spirals(10, n_classes=1)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 3"):
        make_spirals(2, n_classes=3)
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(10, centers=2, cluster_std=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="centers"):
        make_blobs(10, centers=np.zeros(3))
