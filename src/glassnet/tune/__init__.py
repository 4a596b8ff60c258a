"""Hyperparameter search: grid and random search over networks, successive halving (ASHA), local worker
processes or a Ray cluster, and glassnet models as scikit-learn estimators (``glassnet.tune.sklearn``).

    from glassnet import tune
    space = {"layers": tune.grid([1, 2]), "lr": tune.loguniform(1e-4, 1e-1), "act": tune.choice(["relu"])}
    tuner = tune.RandomSearch(build_model, space, n_trials=12, seed=0)
    result = tuner.search(x, y, epochs=10, validation_split=0.2)
"""

from glassnet.tune.asha import ASHA
from glassnet.tune.results import SearchResult
from glassnet.tune.search import GridSearch, RandomSearch, Search
from glassnet.tune.space import (
    choice,
    grid,
    grid_points,
    loguniform,
    per_layer,
    randint,
    random_points,
    uniform,
)
from glassnet.tune.trial import TrialResult, trial_seed

# The scikit-learn estimators need scikit-learn (an extra): imported when first asked for.
_ESTIMATORS = ("GlassnetClassifier", "GlassnetRegressor")


def __getattr__(name):
    if name in _ESTIMATORS:
        from glassnet.tune import estimators  # noqa: PLC0415 - scikit-learn is an optional extra

        return getattr(estimators, name)
    raise AttributeError(f"module 'glassnet.tune' has no attribute {name!r}")


__all__ = [
    "GlassnetClassifier",
    "GlassnetRegressor",
    "ASHA",
    "GridSearch",
    "RandomSearch",
    "Search",
    "SearchResult",
    "TrialResult",
    "choice",
    "grid",
    "grid_points",
    "loguniform",
    "per_layer",
    "randint",
    "random_points",
    "trial_seed",
    "uniform",
]
