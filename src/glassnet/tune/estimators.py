"""glassnet models as scikit-learn estimators: ``GlassnetClassifier`` and ``GlassnetRegressor`` wrap a
model-building function, as scikeras does for Keras, so that a network can sit in a ``Pipeline``, be
searched by ``GridSearchCV`` or ``RandomizedSearchCV`` and scored by ``cross_val_score``.

Parameters are routed by prefix, scikeras's way: ``model__units=32`` is the build function's ``units``,
``optimizer__lr=0.01`` the optimizer's ``lr``, ``loss__...`` the loss's arguments; the others (``epochs``,
``batch_size``, ``validation_split``, ``shuffle``) are ``fit``'s::

    from glassnet.tune import GlassnetClassifier
    from sklearn.model_selection import GridSearchCV
    grid = {"model__units": [16, 64], "optimizer__lr": [1e-3, 1e-2]}
    search = GridSearchCV(GlassnetClassifier(epochs=10), grid).fit(x, y)

The build function receives its ``model__`` parameters and, when it names them, ``n_features_in`` and
``n_outputs`` (the classes of a classifier, the targets of a regressor); it returns a model, compiled or
not (the estimator compiles what is not). A classifier's model outputs one logit per class; the loss is
sparse categorical cross-entropy from the logits, ``predict_proba`` their softmax. Labels of any kind
are encoded as scikit-learn does (``classes_`` sorted, ``predict`` returns the original labels).
Cloning needs no pickle: every parameter is a plain value read back by ``get_params``.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from glassnet import nn, optim
from glassnet.autograd.tensor import Tensor
from glassnet.backend import manual_seed

__all__ = ["GlassnetClassifier", "GlassnetRegressor", "mlp"]

ROUTES = ("model__", "optimizer__", "loss__")


def mlp(
    n_features_in: int, n_outputs: int, units: int = 32, hidden_layers: int = 1, activation: str = "relu"
):
    """The default build function: ``hidden_layers`` Dense layers of ``units`` and a linear output."""
    layers = [nn.Dense(units, activation=activation) for _ in range(hidden_layers)]
    return nn.Sequential([*layers, nn.Dense(n_outputs)], input_shape=(n_features_in,))


class _GlassnetEstimator(BaseEstimator):
    """What both estimators share: routed parameters, building, fitting, predicting."""

    _default_loss = None  # (loss class, its arguments) when ``loss`` is None

    def __init__(
        self,
        model=None,
        *,
        optimizer="adam",
        loss=None,
        epochs: int = 20,
        batch_size=32,
        validation_split: float = 0.0,
        shuffle: bool = True,
        warm_start: bool = False,
        random_state=None,
        verbose: int = 0,
        **routed,
    ):
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        for name, value in routed.items():
            setattr(self, name, value)

    @classmethod
    def _check_routed(cls, params: dict) -> None:
        known = inspect.signature(_GlassnetEstimator.__init__).parameters
        for name in params:
            if name not in known and not name.startswith(ROUTES):
                raise TypeError(
                    f"{cls.__name__} got an unknown parameter {name!r}; routed parameters start with "
                    f"{', '.join(ROUTES)} (model__units=32 is the build function's units)"
                )

    def get_params(self, deep: bool = True) -> dict:
        params = super().get_params(deep=False)
        params.update({name: value for name, value in vars(self).items() if name.startswith(ROUTES)})
        return params

    def set_params(self, **params):
        routed = {name: value for name, value in params.items() if name.startswith(ROUTES)}
        for name, value in routed.items():
            setattr(self, name, value)
        rest = {name: value for name, value in params.items() if name not in routed}
        return super().set_params(**rest) if rest else self

    def _routed(self, prefix: str) -> dict:
        return {
            name[len(prefix) :]: value for name, value in self.get_params().items() if name.startswith(prefix)
        }

    # ----- building -----
    def _build(self, n_features_in: int, n_outputs: int):
        self._check_routed(self.get_params())
        build = self.model if self.model is not None else mlp
        arguments = self._routed("model__")
        accepted = inspect.signature(build).parameters
        meta = {"n_features_in": n_features_in, "n_outputs": n_outputs}
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
        arguments.update({k: v for k, v in meta.items() if k in accepted or takes_any})
        model = build(**arguments)
        if not isinstance(model, nn.Module):
            raise TypeError(f"the build function must return a glassnet model, got {type(model).__name__}")
        if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
            model.compile(optimizer=self._optimizer(), loss=self._loss(), metrics=[])
        return model

    def _optimizer(self):
        options = self._routed("optimizer__")
        if isinstance(self.optimizer, type):
            return self.optimizer(**options)
        if isinstance(self.optimizer, str):
            optimizer = optim.get(self.optimizer)
            return type(optimizer)(**options) if options else optimizer
        return copy.deepcopy(self.optimizer)  # an object's state never carries from one fit to the next

    def _loss(self):
        options = self._routed("loss__")
        if self.loss is None:
            kind, defaults = self._default_loss
            return kind(**{**defaults, **options})
        if isinstance(self.loss, type):
            return self.loss(**options)
        return nn.losses.get(self.loss) if isinstance(self.loss, str) else self.loss

    def _seed(self) -> None:
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            seed = int(seed.randint(2**31 - 1))
        manual_seed(int(np.random.SeedSequence().entropy % 2**63) if seed is None else int(seed))

    # ----- fitting -----
    def _fit(self, x, y, epochs: int, n_outputs: int, keep: bool):
        if not keep or not hasattr(self, "model_"):
            self._seed()
            self.model_ = self._build(x.shape[1], n_outputs)
        fit_args = {"epochs": epochs, "batch_size": self.batch_size, "shuffle": self.shuffle}
        if self.validation_split:
            fit_args["validation_split"] = self.validation_split
        history = self.model_.fit(x.astype(np.float32), y, verbose=self.verbose, **fit_args)
        self.history_ = {key: list(values) for key, values in history.history.items()}
        return self

    def _outputs(self, x) -> np.ndarray:
        check_is_fitted(self, "model_")
        x = validate_data(self, x, reset=False)
        return np.asarray(self.model_.predict(x.astype(np.float32)), dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class GlassnetClassifier(ClassifierMixin, _GlassnetEstimator):
    """A glassnet network as a scikit-learn classifier (one logit per class).

    Args:
        model: the build function (default ``mlp``: ``model__units``, ``model__hidden_layers``,
            ``model__activation``).
        optimizer: a name, an optimizer class (with ``optimizer__`` arguments) or an optimizer object.
        loss: default sparse categorical cross-entropy from the logits.
        epochs, batch_size, validation_split, shuffle: ``fit``'s.
        warm_start: a second ``fit`` goes on from the fitted model instead of building a new one.
        random_state: seeds the weights and the shuffling (``gn.manual_seed``); None draws a seed.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> x, y = load_iris(return_X_y=True)
        >>> clf = GlassnetClassifier(epochs=60, optimizer__lr=0.02, random_state=0).fit(x, y)
        >>> float(clf.score(x, y)) > 0.9, clf.classes_.tolist()
        (True, [0, 1, 2])
    """

    _default_loss = (nn.SparseCategoricalCrossEntropy, {"from_logits": True})

    def fit(self, X, y):
        """Build (unless ``warm_start``) and train on (X, y) for ``epochs``."""
        x, y = validate_data(self, X, y)
        encoded = self._encode(y, reset=True)
        return self._fit(x, encoded, self.epochs, len(self.classes_), keep=self.warm_start)

    def partial_fit(self, X, y, classes=None):
        """One epoch on (X, y) from the current model; the first call needs ``classes`` (all labels)."""
        first = not hasattr(self, "model_")
        x, y = validate_data(self, X, y, reset=first)
        if first:
            if classes is None:
                raise ValueError("the first partial_fit needs classes=, every label that y may hold")
            self.classes_ = np.unique(np.asarray(classes))
        encoded = self._encode(y, reset=False)
        return self._fit(x, encoded, 1, len(self.classes_), keep=True)

    def _encode(self, y, reset: bool) -> np.ndarray:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y)
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"y holds labels {unknown.tolist()} that are not in classes_ {self.classes_.tolist()}"
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def predict_proba(self, X) -> np.ndarray:
        """The softmax of the model's logits, one column per class of ``classes_``."""
        return Tensor(self._outputs(X)).softmax(axis=-1).data

    def predict(self, X) -> np.ndarray:
        """The class with the largest logit, as the original label."""
        outputs = self._outputs(X)  # first: an unfitted estimator says so
        return self.classes_[np.argmax(outputs, axis=1)]


class GlassnetRegressor(RegressorMixin, _GlassnetEstimator):
    """A glassnet network as a scikit-learn regressor (mean squared error by default); y of one column or
    several. The arguments are ``GlassnetClassifier``'s."""

    _default_loss = (nn.MSE, {})

    def fit(self, X, y):
        """Build (unless ``warm_start``) and train on (X, y) for ``epochs``."""
        x, y = validate_data(self, X, y, multi_output=True, y_numeric=True)
        targets = self._targets(y, reset=True)
        return self._fit(x, targets, self.epochs, targets.shape[1], keep=self.warm_start)

    def partial_fit(self, X, y):
        """One epoch on (X, y) from the current model (built at the first call)."""
        first = not hasattr(self, "model_")
        x, y = validate_data(self, X, y, multi_output=True, y_numeric=True, reset=first)
        targets = self._targets(y, reset=first)
        return self._fit(x, targets, 1, targets.shape[1], keep=True)

    def _targets(self, y, reset: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float32)
        if reset:
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            self.y_one_column_ = y.ndim == 1
        return y.reshape(len(y), -1)

    def predict(self, X) -> np.ndarray:
        """The model's outputs: shape (n,) for a y of one column, (n, n_outputs) otherwise."""
        outputs = self._outputs(X)
        return outputs[:, 0] if self.y_one_column_ else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
