"""Loss modules: the notes' numbers, reductions, and errors for wrong labels."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


@pytest.mark.parametrize("y, p, expected", [(1, 0.6, 0.510826), (0, 0.2, 0.223144), (1, 0.4, 0.916291)])
def test_bce_values_of_the_notes(float64, y, p, expected):
    assert nn.BinaryCrossEntropy()(gn.tensor([p]), gn.tensor([float(y)])).item() == pytest.approx(
        expected, abs=5e-7
    )


def test_sparse_cce_value_of_the_notes(float64):
    loss = nn.SparseCategoricalCrossEntropy()(gn.tensor([[0.6, 0.2, 0.2]]), np.array([0]))
    assert loss.item() == pytest.approx(0.510826, abs=5e-7)
    onehot = nn.CategoricalCrossEntropy()(gn.tensor([[0.6, 0.2, 0.2]]), np.array([[1.0, 0, 0]]))
    assert onehot.item() == pytest.approx(0.510826, abs=5e-7)


def test_reductions(float64):
    p, y = gn.tensor([[1.0, 2.0], [3.0, 5.0]]), gn.tensor([[0.0, 0.0], [1.0, 1.0]])
    errors = np.array([[1.0, 4.0], [4.0, 16.0]])
    assert nn.MSE()(p, y).item() == pytest.approx(errors.mean())
    assert nn.MSE(reduction="sum")(p, y).item() == pytest.approx(errors.sum())
    np.testing.assert_allclose(nn.MSE(reduction="none")(p, y).data, errors)
    np.testing.assert_allclose(nn.MAE(reduction="none")(p, y).data, np.sqrt(errors))
    huber = np.where(np.sqrt(errors) <= 1.5, 0.5 * errors, 1.5 * (np.sqrt(errors) - 0.75))
    np.testing.assert_allclose(nn.Huber(delta=1.5, reduction="none")(p, y).data, huber)
    logits = gn.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    per_example = nn.SparseCategoricalCrossEntropy(from_logits=True, reduction="none")(
        logits, np.array([0, 2])
    )
    assert per_example.shape == (2,)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSE(reduction="avg")


def test_from_logits_equals_probabilities_path(float64):
    z = gn.tensor([[2.0, -1.0, 0.5], [0.3, 0.2, -3.0]])
    labels = np.array([2, 0])
    onehot = np.eye(3)[labels]
    a = nn.SparseCategoricalCrossEntropy(from_logits=True)(z, labels).item()
    b = nn.SparseCategoricalCrossEntropy()(z.softmax(), labels).item()
    c = nn.CategoricalCrossEntropy(from_logits=True)(z, onehot).item()
    d = nn.BinaryCrossEntropy(from_logits=True)(z, gn.tensor(onehot)).item()
    e = nn.BinaryCrossEntropy()(z.sigmoid(), gn.tensor(onehot)).item()
    assert a == pytest.approx(b, rel=1e-12) and a == pytest.approx(c, rel=1e-12)
    assert d == pytest.approx(e, rel=1e-12)


def test_integer_labels_to_categorical_crossentropy_are_refused():
    with pytest.raises(
        ValueError,
        match="CategoricalCrossEntropy expects one-hot targets of shape \\(2, 3\\), got "
        "integer labels of shape \\(2,\\); use SparseCategoricalCrossEntropy",
    ):
        nn.CategoricalCrossEntropy()(gn.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), np.array([2, 0]))


def test_probabilities_outside_unit_interval_to_bce_are_refused():
    with pytest.raises(
        ValueError,
        match=r"BinaryCrossEntropy expects predicted probabilities in \[0, 1\], got "
        r"values in \[-0.5, 2\]; pass raw scores with from_logits=True",
    ):
        nn.BinaryCrossEntropy()(gn.tensor([-0.5, 2.0]), gn.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"expects targets in \[0, 1\]"):
        nn.BinaryCrossEntropy()(gn.tensor([0.5, 0.5]), gn.tensor([0.0, 2.0]))


def test_sparse_label_errors():
    probs = gn.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    with pytest.raises(TypeError, match="expects integer class labels, got dtype float64"):
        nn.SparseCategoricalCrossEntropy()(probs, np.array([2.0, 0.0]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\), got values in \[0, 3\]"):
        nn.SparseCategoricalCrossEntropy()(probs, np.array([3, 0]))
    with pytest.raises(ValueError, match=r"expected labels of shape \(2,\)"):
        nn.SparseCategoricalCrossEntropy()(probs, np.array([1, 0, 2]))
    # Keras's (N, 1) label column is accepted
    a = nn.SparseCategoricalCrossEntropy()(probs, np.array([[2], [0]])).item()
    assert a == pytest.approx(nn.SparseCategoricalCrossEntropy()(probs, np.array([2, 0])).item())


def test_shape_mismatch_is_refused_but_a_column_of_targets_is_read_as_such(float64):
    with pytest.raises(ValueError, match=r"MSE: prediction shape \(4, 2\) and target shape \(4,\) differ"):
        nn.MSE()(gn.zeros(4, 2), np.zeros(4))
    with pytest.raises(ValueError, match=r"MSE: prediction shape \(4,\) and target shape \(4, 1\) differ"):
        nn.MSE()(gn.zeros(4), np.zeros((4, 1)))
    prediction = gn.tensor([[1.0], [2.0], [3.0]])
    assert nn.MSE()(prediction, np.array([1.0, 1.0, 1.0])).item() == pytest.approx(
        5 / 3
    )  # not a 3x3 broadcast


def test_unknown_loss_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown loss 'hinge'; valid names: .*binary_crossentropy.*mse"):
        nn.losses.get("hinge")
    assert isinstance(
        nn.losses.get("sparse_categorical_crossentropy", from_logits=True), nn.SparseCategoricalCrossEntropy
    )


def test_probability_zero_gives_finite_clamped_loss(float64):
    p = gn.tensor([0.0, 1.0], requires_grad=True)
    loss = nn.BinaryCrossEntropy()(p, gn.tensor([1.0, 1.0]))
    assert loss.item() == pytest.approx(50.0)  # (-log clamped at 100 + 0) / 2
    loss.backward()
    assert np.isfinite(p.grad).all()
