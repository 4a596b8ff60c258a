"""The playground's input features (x1, x2, x1², x2², x1·x2, sin x1, sin x2), computed in one place and
read by run files (``[data] features``), and nested weight penalties in a run file's layers."""

import numpy as np
import pytest

from glassnet import nn
from glassnet.data.features import FEATURES, check_features, feature_columns
from glassnet.io.config import RunFileError, parse_config


def test_every_feature_is_its_formula():
    X = np.array([[0.5, -2.0], [3.0, 0.25]])
    columns = feature_columns(X, list(FEATURES))
    x1, x2 = X[:, 0], X[:, 1]
    expected = np.stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)
    np.testing.assert_array_equal(columns, expected)
    np.testing.assert_array_equal(feature_columns(X, ["x2", "x1"]), X[:, ::-1])


def test_bad_features_are_one_clear_line():
    with pytest.raises(ValueError, match=r"unknown feature 'x3'; valid: x1, x2, x1\^2"):
        check_features(["x1", "x3"])
    with pytest.raises(ValueError, match="non-empty list"):
        check_features([])
    with pytest.raises(ValueError, match="non-empty list"):
        check_features("x1")
    with pytest.raises(ValueError, match="must not repeat"):
        check_features(["x1", "x1"])
    with pytest.raises(ValueError, match=r"2-D points of shape \(n, 2\), got shape \(4, 3\)"):
        feature_columns(np.zeros((4, 3)), ["x1"])


RUN = """
seed = 0
[data]
source = "{source}"
{extra}
features = ["x1", "x1^2", "x1*x2", "sin_x2"]
[model]
layers = [
    {{ type = "Dense", units = 3, activation = "tanh", weight_regularizer = {{ type = "L2", l2 = 0.003 }} }},
    {{ type = "Dense", units = 1, activation = "sigmoid" }},
]
[compile]
optimizer = {{ type = "SGD", lr = 0.1 }}
loss = "binary_crossentropy"
"""


def test_a_run_file_computes_the_features_of_a_plane_source():
    run = parse_config(RUN.format(source="moons", extra="n_samples = 40\nnoise = 0.1"), "run.toml")
    (x_train, _), (x_test, _) = run.load_data()
    assert x_train.shape[1] == 4 and x_test.shape[1] == 4
    np.testing.assert_allclose(x_train[:, 1], x_train[:, 0] ** 2)
    (gate_x, gate_y), test = parse_config(
        RUN.format(source="gate", extra='name = "xor"'), "run.toml"
    ).load_data()
    assert test is None
    np.testing.assert_array_equal(gate_x[:, 2], [0.0, 0.0, 0.0, 1.0])  # x1·x2 of (0,0), (0,1), (1,0), (1,1)
    model = run.build_model((4,))
    penalty = model[0].weight.regularizer
    assert isinstance(penalty, nn.L2) and penalty.l2 == 0.003


def test_features_of_another_source_and_bad_names_are_refused():
    with pytest.raises(RunFileError, match=r"run.toml: \[data\] features are computed from 2-D points"):
        parse_config(RUN.format(source="sklearn", extra='name = "iris"'), "run.toml").load_data()
    bad = RUN.format(source="moons", extra="").replace('"sin_x2"', '"cos_x2"')
    with pytest.raises(RunFileError, match="run.toml: data: unknown feature 'cos_x2'"):
        parse_config(bad, "run.toml").load_data()
    wrong_rate = RUN.format(source="moons", extra="").replace("l2 = 0.003", "l2 = -1.0")
    with pytest.raises(RunFileError, match="run.toml: .*l2 must be >= 0, got -1.0"):
        parse_config(wrong_rate, "run.toml").build_model((4,))
