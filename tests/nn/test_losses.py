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


# --- clamped probabilities: BCE and CCE differentiate the function they compute ---------------------------
EDGE_P = np.array([0.0, 1.0, 1e-50, 1.0 - 1e-17, 0.0, 1e-50, 0.3, 0.999, 1e-9])
EDGE_Y = np.array([1.0, 0.0, 1.0, 1.0, 0.3, 0.0, 0.6, 0.0, 1.0])


def bce_and_two_class_cce(p, y):
    """BCE on p, and CCE on the two classes [p, 1 - p]: value and gradient of each, per element."""
    from glassnet.ops import loss

    first, second = gn.tensor(p, requires_grad=True), gn.tensor(p, requires_grad=True)
    bce = loss.BinaryCrossEntropy.apply(first, y)
    two_classes = gn.stack([second, 1 - second], axis=-1)
    cce = loss.CategoricalCrossEntropy.apply(two_classes, np.stack([y, 1 - y], axis=-1))
    bce.sum().backward()
    cce.sum().backward()
    return bce.data, first.grad, cce.data, second.grad


def test_bce_and_cce_agree_at_clamped_probabilities(float64):
    bce, bce_grad, cce, cce_grad = bce_and_two_class_cce(EDGE_P, EDGE_Y)
    np.testing.assert_allclose(bce, cce, rtol=1e-14)
    np.testing.assert_allclose(bce_grad, cce_grad, rtol=1e-14)
    # p = 0 and y = 1: the loss is the constant 100 near p = 0 (log clamped at -100), so its slope is 0, not
    # PyTorch's -1e12; p = 1 and y = 0 likewise; p = 0 and y = 0.3: only the unclamped term's 0.7/(1 - p)
    np.testing.assert_allclose(bce[:3], [100.0, 100.0, 100.0])
    np.testing.assert_array_equal(bce_grad[:3], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(bce_grad[4:6], [0.7, 1.0], rtol=1e-15)
    assert bce_grad[3] == pytest.approx(-1.0, rel=1e-15)  # 1 - 1e-17 rounds to 1: log p = 0, not clamped
    np.testing.assert_allclose(bce_grad[6:], [-0.6 / 0.3 + 0.4 / 0.7, 1 / 0.001, -1 / 1e-9], rtol=1e-9)


def test_bce_gradient_matches_pytorch_where_pytorch_does_not_floor_it(float64):
    torch = pytest.importorskip(
        "torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0"
    )
    _, ours, _, _ = bce_and_two_class_cce(EDGE_P, EDGE_Y)
    p = torch.tensor(EDGE_P, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(p, torch.tensor(EDGE_Y), reduction="sum").backward()
    theirs = p.grad.numpy()
    unfloored = EDGE_P * (1 - EDGE_P) >= 1e-12
    assert unfloored.sum() == 3
    np.testing.assert_allclose(ours[unfloored], theirs[unfloored], rtol=1e-10)
    # where PyTorch floors p(1 - p) at 1e-12 it returns (p - y)/1e-12: -1e12 at p = 0, y = 1 (the difference
    # documented in glassnet/ops/loss.py)
    assert theirs[0] == pytest.approx(-1e12) and ours[0] == 0.0
