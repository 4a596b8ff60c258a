"""GlassnetClassifier and GlassnetRegressor in scikit-learn's machinery: nested parameters, cloning,
label encoding, partial_fit, Pipeline, the searches and cross-validation, and the same answer as
glassnet.tune for the same grid."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from glassnet import nn, optim, tune  # noqa: E402
from glassnet.tune.estimators import GlassnetClassifier, GlassnetRegressor  # noqa: E402


def two_moons_like(n=200):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4))
    y = np.where(x[:, 0] + 0.5 * x[:, 1] > 0, "yes", "no")
    return x, y


def test_nested_parameters_are_read_set_and_routed_to_the_build_function():
    seen = {}

    def build(n_features_in, n_outputs, units=4, activation="relu"):
        seen.update(n_features_in=n_features_in, n_outputs=n_outputs, units=units, activation=activation)
        return nn.Sequential(
            [nn.Dense(units, activation=activation), nn.Dense(n_outputs)], input_shape=(n_features_in,)
        )

    clf = GlassnetClassifier(build, model__units=8, optimizer__lr=0.05, epochs=2, random_state=0)
    assert clf.get_params()["model__units"] == 8 and clf.get_params()["optimizer__lr"] == 0.05
    clf.set_params(model__activation="tanh", optimizer__lr=0.01, epochs=3)
    x, y = two_moons_like()
    clf.fit(x, y)
    assert seen == {"n_features_in": 4, "n_outputs": 2, "units": 8, "activation": "tanh"}
    assert clf.model_.optimizer.defaults["lr"] == 0.01 and len(clf.history_["loss"]) == 3


def test_clone_copies_parameters_without_pickle_and_drops_the_fit():
    clf = GlassnetClassifier(epochs=3, model__units=8, random_state=0).fit(*two_moons_like())
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "model_")


def test_labels_of_any_kind_come_back_as_given():
    x, y = two_moons_like()
    clf = GlassnetClassifier(epochs=30, optimizer__lr=0.02, random_state=0).fit(x, y)
    assert clf.classes_.tolist() == ["no", "yes"]
    predicted = clf.predict(x)
    assert set(predicted) <= {"no", "yes"} and np.mean(predicted == y) > 0.9
    proba = clf.predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert np.array_equal(clf.classes_[proba.argmax(axis=1)], predicted)
    assert clf.score(x, y) == pytest.approx(np.mean(predicted == y))


def test_partial_fit_trains_one_epoch_at_a_time_from_where_it_was():
    x, y = two_moons_like()
    clf = GlassnetClassifier(optimizer__lr=0.02, random_state=0)
    with pytest.raises(ValueError, match="the first partial_fit needs classes="):
        clf.partial_fit(x, y)
    losses = []
    for _ in range(5):
        clf.partial_fit(x, y, classes=["no", "yes"])
        losses.append(clf.history_["loss"][0])
    assert losses == sorted(losses, reverse=True)  # each epoch goes on from the last one's weights
    with pytest.raises(ValueError, match=r"labels \['maybe'\] that are not in classes_"):
        clf.partial_fit(x[:2], np.array(["maybe", "no"]))


def test_regressor_one_and_several_targets():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    y = x @ np.array([1.0, -2.0, 0.5])
    reg = GlassnetRegressor(epochs=60, optimizer__lr=0.02, random_state=0).fit(x, y)
    assert reg.predict(x).shape == (200,) and reg.score(x, y) > 0.95
    two = GlassnetRegressor(epochs=60, optimizer__lr=0.02, random_state=0).fit(x, np.stack([y, -y], axis=1))
    assert two.predict(x).shape == (200, 2) and two.n_outputs_ == 2


def test_pipeline_searches_and_cross_validation():
    x, y = two_moons_like(150)
    pipeline = make_pipeline(
        StandardScaler(), GlassnetClassifier(epochs=20, optimizer__lr=0.02, random_state=0)
    )
    scores = cross_val_score(pipeline, x, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.7
    grid = GridSearchCV(
        GlassnetClassifier(epochs=5, random_state=0), {"optimizer__lr": [1e-4, 0.05]}, cv=2
    ).fit(x, y)
    assert grid.best_params_ == {"optimizer__lr": 0.05}
    randomized = RandomizedSearchCV(
        GlassnetClassifier(epochs=3, random_state=0),
        {"model__units": [4, 8], "optimizer__lr": [0.01, 0.05]},
        n_iter=2,
        cv=2,
        random_state=0,
    ).fit(x, y)
    assert len(randomized.cv_results_["params"]) == 2


def digits_build(n_features_in, n_outputs, units=32):
    return nn.Sequential(
        [nn.Dense(units, activation="relu"), nn.Dense(n_outputs)], input_shape=(n_features_in,)
    )


def test_grid_search_cv_on_digits_agrees_with_glassnet_tune_within_a_point():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    held = int(len(x) * 0.2)
    split = [(np.arange(len(x) - held), np.arange(len(x) - held, len(x)))]  # tune's validation_split
    grid = {"units": [16, 64], "lr": [0.003, 0.03]}
    sklearn_search = GridSearchCV(
        GlassnetClassifier(digits_build, epochs=6, random_state=0),
        {"model__units": grid["units"], "optimizer__lr": grid["lr"]},
        cv=split,
    ).fit(x, y)

    def build(hp):
        model = digits_build(64, 10, units=hp["units"])
        model.compile(
            optimizer=optim.Adam(lr=hp["lr"]),
            loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model

    space = {key: tune.grid(values) for key, values in grid.items()}
    # every trial from seed 0, as GridSearchCV's estimator with random_state=0: the same training runs
    search = tune.GridSearch(
        build, space, executor="serial", seed=0, common_seed=True, refit=False, verbose=0
    )
    result = search.search(x, y, epochs=6, validation_split=0.2)
    final = max(t.scores[-1] for t in result.trials)  # GridSearchCV scores the model after the last epoch
    assert abs(sklearn_search.best_score_ - final) <= 0.01
    assert sklearn_search.best_score_ > 0.85
    best = max(result.trials, key=lambda t: (t.scores[-1], -t.trial_id))  # ties: the first, as sklearn
    assert sklearn_search.best_params_ == {
        "model__" + key if key == "units" else "optimizer__lr": value for key, value in best.params.items()
    }
