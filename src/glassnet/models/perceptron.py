"""Rosenblatt's perceptron (1957): one neuron with a step activation, trained by the perceptron rule.

For each case x with target t (0 or 1), in order, epoch after epoch:

    z = w·x + b                      (the weighted sum)
    ŷ = step(z) = 1 if z > θ else 0  (glassnet.ops.step, the one home of the step)
    w ← w + η (t − ŷ) x
    b ← b + η (t − ŷ)                (the bias is a weight on a constant input 1)

A correct prediction changes nothing (t − ŷ = 0); a miss moves w towards or away from x. Training stops
after the first epoch without a miss. If the two classes can be split by a line (a hyperplane), that epoch
comes after finitely many updates (the perceptron convergence theorem): AND, OR, NAND and NOR are learned,
XOR never is.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from glassnet.autograd import Tensor
from glassnet.backend import get_rng
from glassnet.ops import step

__all__ = ["Perceptron", "PerceptronTrace", "PerceptronStep", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """A training run stopped at its epoch limit before it converged."""


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_positive_real(value) -> bool:
    return _is_real(value) and value > 0


def _is_positive_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def _is_bool(value) -> bool:
    return isinstance(value, bool)


# The hyperparameter constraints, one row each: (check, what is expected). __init__ runs them all.
_CONSTRAINTS = {
    "learning_rate": (_is_positive_real, "a finite number > 0"),
    "threshold": (_is_real, "a finite number"),
    "use_bias": (_is_bool, "True or False"),
    "max_epochs": (_is_positive_int, "an integer >= 1"),
    "initial_bias": (_is_real, "a finite number"),
    "shuffle": (_is_bool, "True or False"),
}


@dataclass(frozen=True)
class PerceptronStep:
    """One case seen in one epoch: what the perceptron computed and how its weights changed.

    ``case`` is the row of X (0-based); ``error`` is t − ŷ; the ``*_before``/``*_after`` values bracket
    the update (equal when the prediction was right). Values are exact float64, rounded only for display.
    """

    epoch: int
    case: int
    inputs: tuple[float, ...]
    weighted_sum: float
    predicted: int
    target: int
    error: int
    weights_before: tuple[float, ...]
    bias_before: float
    weights_after: tuple[float, ...]
    bias_after: float


def format_number(value: float) -> str:
    """A number with at most 4 decimals and no float noise: 0.7000000001 -> '0.7', 1.0 -> '1', -0.0 -> '0'.

    Example:
        >>> format_number(1.2 - 0.5), format_number(0.1 + 0.2), format_number(-1e-9), format_number(2)
        ('0.7', '0.3', '0', '2')
    """
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _format_vector(values) -> str:
    return "(" + ", ".join(format_number(v) for v in values) + ")"


class PerceptronTrace:
    """Every step of a perceptron's training: one ``PerceptronStep`` per case per epoch.

    ``str(trace)`` is a plain-text table; ``rows`` holds the exact values and ``table()`` the formatted
    cells, for other renderers (Markdown, LaTeX, HTML).

    Args:
        rows: the steps, in the order they happened.
        learning_rate, threshold, use_bias: the perceptron's settings (to caption the table).
    """

    def __init__(self, rows: list[PerceptronStep], learning_rate: float, threshold: float, use_bias: bool):
        self.rows = rows
        self.learning_rate = learning_rate
        self.threshold = threshold
        self.use_bias = use_bias

    @property
    def epochs(self) -> int:
        """How many epochs the trace covers."""
        return self.rows[-1].epoch if self.rows else 0

    def table(self) -> tuple[list[str], list[list[str]]]:
        """The column headers and, per step, the cells as text (the bias columns only with a bias)."""
        bias = self.use_bias
        headers = ["epoch", "case", "x", "w.x + b" if bias else "w.x", "predicted", "target", "error"]
        headers += ["w before", "b before", "w after", "b after"] if bias else ["w before", "w after"]
        cells = []
        for row in self.rows:
            line = [str(row.epoch), str(row.case), _format_vector(row.inputs)]
            line += [format_number(row.weighted_sum), str(row.predicted), str(row.target), str(row.error)]
            line.append(_format_vector(row.weights_before))
            if bias:
                line.append(format_number(row.bias_before))
            line.append(_format_vector(row.weights_after))
            if bias:
                line.append(format_number(row.bias_after))
            cells.append(line)
        return headers, cells

    def __str__(self) -> str:
        headers, cells = self.table()
        widths = [max(len(text) for text in column) for column in zip(headers, *cells)]
        lines = ["  ".join(text.rjust(width) for text, width in zip(headers, widths))]
        lines.append("  ".join("-" * width for width in widths))
        lines += ["  ".join(text.rjust(width) for text, width in zip(line, widths)) for line in cells]
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"PerceptronTrace(epochs={self.epochs}, steps={len(self.rows)})"


class Perceptron:
    r"""Rosenblatt's perceptron: a step neuron trained by the perceptron rule.

    .. math::
        z = w \cdot x + b, \qquad \hat y = 1 \text{ if } z > \theta \text{ else } 0, \\
        w \leftarrow w + \eta\,(t - \hat y)\,x, \qquad b \leftarrow b + \eta\,(t - \hat y)

    ``fit`` goes through the cases in order (or shuffled with ``gn.manual_seed``'s generator), one update
    per case, and stops after the first epoch with no error (``converged_``) or after ``max_epochs``, with
    a ``ConvergenceWarning`` then: the data may not be linearly separable (XOR is not).

    Unlike an MLP, the perceptron may start from zero weights: its rule moves w by the error times the
    input, not through hidden units that zeros would keep identical, so there is no symmetry to break.

    Conventions: the threshold θ and the bias b do the same job (1 iff w·x > θ is 1 iff w·x − θ > 0);
    both are offered because the notes use θ with no bias in one example and a bias with θ = 0 in another.
    ``sklearn.linear_model.Perceptron`` fixes θ = 0, η = 1, and shuffles by default. Arithmetic is float64
    whatever the default dtype, so hand-worked numbers come out exactly.

    Args:
        learning_rate: η, the step of each update (default 0.5).
        threshold: θ, the output is 1 iff w·x + b > θ (default 0.0).
        use_bias: learn a bias b (default True); False keeps b = 0, as the notes' AND example.
        max_epochs: the most passes over the data (default 100).
        initial_weights: the starting w, one per input (default None: zeros).
        initial_bias: the starting b (default 0.0; must stay 0 when ``use_bias`` is False).
        shuffle: visit the cases in a new random order each epoch (default False: in order).

    Attributes:
        weights_, bias_: the current weights and bias: the initial ones until ``fit``, then the learned.
        epochs_: epochs run by the last ``fit``;  converged_: whether its last epoch had no error.
        errors_per_epoch_: the number of misclassified cases in each epoch.
        trace_: a ``PerceptronTrace`` of the last ``fit(..., trace=True)``, else None.

    Shape:
        X: (cases, inputs);  y: (cases,) of 0/1;  ``predict``, ``decision_function``: (cases,).

    Example:
        >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        >>> model = Perceptron().fit(X, [0, 0, 0, 1])
        >>> model.predict(X), model.converged_
        (array([0, 0, 0, 1]), True)
    """

    def __init__(
        self,
        learning_rate: float = 0.5,
        threshold: float = 0.0,
        use_bias: bool = True,
        max_epochs: int = 100,
        initial_weights=None,
        initial_bias: float = 0.0,
        shuffle: bool = False,
    ):
        config = dict(
            learning_rate=learning_rate,
            threshold=threshold,
            use_bias=use_bias,
            max_epochs=max_epochs,
            initial_bias=initial_bias,
            shuffle=shuffle,
        )
        for name, value in config.items():
            check, expected = _CONSTRAINTS[name]
            if not check(value):
                raise ValueError(f"Perceptron: {name} must be {expected}, got {value!r}")
        if not use_bias and initial_bias != 0:
            raise ValueError(f"Perceptron: initial_bias={initial_bias!r} needs use_bias=True (it is False)")
        self.learning_rate = float(learning_rate)
        self.threshold = float(threshold)
        self.use_bias = use_bias
        self.max_epochs = int(max_epochs)
        if initial_weights is not None:
            initial_weights = self._check_initial_weights(initial_weights)
        self.initial_weights = initial_weights
        self.initial_bias = float(initial_bias)
        self.shuffle = shuffle
        self.weights_ = None if self.initial_weights is None else self.initial_weights.copy()
        self.bias_ = self.initial_bias
        self.epochs_ = 0
        self.converged_ = False
        self.errors_per_epoch_: list[int] = []
        self.trace_: PerceptronTrace | None = None

    @staticmethod
    def _check_initial_weights(weights) -> np.ndarray:
        array = _as_float_array(weights, "initial_weights")
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"Perceptron: initial_weights must be 1-D, one per input, got shape {array.shape}"
            )
        return array

    def get_config(self) -> dict:
        """The hyperparameters, as keyword arguments that rebuild an untrained copy."""
        weights = None if self.initial_weights is None else self.initial_weights.tolist()
        return dict(
            learning_rate=self.learning_rate,
            threshold=self.threshold,
            use_bias=self.use_bias,
            max_epochs=self.max_epochs,
            initial_weights=weights,
            initial_bias=self.initial_bias,
            shuffle=self.shuffle,
        )

    def fit(self, X, y, trace: bool = False) -> Perceptron:
        """Train by the perceptron rule from the initial weights (each call starts afresh).

        Args:
            X: inputs, shape (cases, inputs), numbers.
            y: targets, shape (cases,), each 0 or 1.
            trace: record every step in ``trace_`` (a ``PerceptronTrace``); default False.

        Returns:
            self, so that ``Perceptron().fit(X, y).predict(X)`` chains.

        Example (the notes' AND gate: θ = 1, η = 0.5, w = (1.2, 0.6), no bias):
            >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
            >>> model = Perceptron(threshold=1, use_bias=False, initial_weights=[1.2, 0.6])
            >>> print(model.fit(X, [0, 0, 0, 1], trace=True).trace_)
            epoch  case       x  w.x  predicted  target  error    w before     w after
            -----  ----  ------  ---  ---------  ------  -----  ----------  ----------
                1     0  (0, 0)    0          0       0      0  (1.2, 0.6)  (1.2, 0.6)
                1     1  (0, 1)  0.6          0       0      0  (1.2, 0.6)  (1.2, 0.6)
                1     2  (1, 0)  1.2          1       0     -1  (1.2, 0.6)  (0.7, 0.6)
                1     3  (1, 1)  1.3          1       1      0  (0.7, 0.6)  (0.7, 0.6)
                2     0  (0, 0)    0          0       0      0  (0.7, 0.6)  (0.7, 0.6)
                2     1  (0, 1)  0.6          0       0      0  (0.7, 0.6)  (0.7, 0.6)
                2     2  (1, 0)  0.7          0       0      0  (0.7, 0.6)  (0.7, 0.6)
                2     3  (1, 1)  1.3          1       1      0  (0.7, 0.6)  (0.7, 0.6)
        """
        X = _check_X(X)
        y = _check_y(y, len(X))
        cases, inputs = X.shape
        if self.initial_weights is not None and self.initial_weights.size != inputs:
            raise ValueError(
                f"Perceptron: initial_weights has {self.initial_weights.size} values but X has {inputs} "
                f"inputs per case (shape {X.shape})"
            )
        weights = np.zeros(inputs) if self.initial_weights is None else self.initial_weights.copy()
        bias = self.initial_bias
        rate = self.learning_rate
        rows: list[PerceptronStep] = []
        self.errors_per_epoch_ = []
        self.converged_ = False
        for epoch in range(1, self.max_epochs + 1):
            order = get_rng().permutation(cases) if self.shuffle else range(cases)
            errors = 0
            for case in order:
                x, target = X[case], int(y[case])
                weighted_sum = float(x @ weights + bias)
                predicted = int(self._step(weighted_sum))
                error = target - predicted
                new_weights = weights + rate * error * x if error else weights
                new_bias = bias + rate * error if error and self.use_bias else bias
                if trace:
                    rows.append(
                        PerceptronStep(
                            epoch=epoch,
                            case=int(case),
                            inputs=tuple(x.tolist()),
                            weighted_sum=weighted_sum,
                            predicted=predicted,
                            target=target,
                            error=error,
                            weights_before=tuple(weights.tolist()),
                            bias_before=bias,
                            weights_after=tuple(new_weights.tolist()),
                            bias_after=new_bias,
                        )
                    )
                errors += error != 0
                weights, bias = new_weights, new_bias
            self.errors_per_epoch_.append(int(errors))
            if errors == 0:
                self.converged_ = True
                break
        self.weights_, self.bias_, self.epochs_ = weights, float(bias), epoch
        self.trace_ = PerceptronTrace(rows, rate, self.threshold, self.use_bias) if trace else None
        if not self.converged_:
            warnings.warn(
                f"Perceptron did not converge within max_epochs={self.max_epochs} "
                f"({self.errors_per_epoch_[-1]} errors in the last epoch): the data may not be linearly "
                "separable (as XOR is not)",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _step(self, weighted_sum):
        """ŷ = step(z): 1 where z > θ, else 0, by glassnet's Step op."""
        return step(np.asarray(weighted_sum, dtype=np.float64), threshold=self.threshold).data

    def decision_function(self, X) -> np.ndarray:
        """The weighted sums z = w·x + b, shape (cases,) (the output is 1 where z > θ).

        Example (the notes' NAND by hand: w = (−1, −1), b = 2):
            >>> nand = Perceptron(initial_weights=[-1, -1], initial_bias=2)
            >>> nand.decision_function([[0, 0], [0, 1], [1, 0], [1, 1]])
            array([2., 1., 1., 0.])
        """
        X = _check_X(X)
        if self.weights_ is None:
            raise ValueError("Perceptron has no weights yet: call fit(X, y) first or pass initial_weights")
        if X.shape[1] != self.weights_.size:
            raise ValueError(
                f"Perceptron has {self.weights_.size} weights but X has {X.shape[1]} inputs per case "
                f"(shape {X.shape})"
            )
        return X @ self.weights_ + self.bias_

    def predict(self, X) -> np.ndarray:
        """The outputs ŷ = 1 if w·x + b > θ else 0, as integers of shape (cases,).

        Example:
            >>> Perceptron(initial_weights=[-1, -1], initial_bias=2).predict([[0, 0], [0, 1], [1, 0], [1, 1]])
            array([1, 1, 1, 0])
        """
        return self._step(self.decision_function(X)).astype(int)

    def score(self, X, y) -> float:
        """Accuracy: the fraction of cases where ``predict(X)`` equals y."""
        X = _check_X(X)
        y = _check_y(y, len(X))
        return float(np.mean(self.predict(X) == y))

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value!r}" for name, value in self.get_config().items())
        return f"Perceptron({settings})"


def _as_float_array(values, name: str) -> np.ndarray:
    """``values`` as a float64 array, refusing what is not numbers (strings, objects, complex, NaN, inf)."""
    if isinstance(values, Tensor):
        values = values.numpy()
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":  # bool, signed and unsigned integers, floats
        raise TypeError(f"Perceptron: {name} must hold real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"Perceptron: {name} must be finite, got NaN or infinity")
    return array


def _check_X(X) -> np.ndarray:
    array = _as_float_array(X, "X")
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"Perceptron: X must be 2-D (cases, inputs) with at least one of each, got shape {array.shape}"
            + ("; for one case write [x], or X.reshape(1, -1)" if array.ndim == 1 else "")
        )
    return array


def _check_y(y, cases: int) -> np.ndarray:
    array = _as_float_array(y, "y")
    if array.ndim != 1:
        raise ValueError(f"Perceptron: y must be 1-D, one 0/1 target per case, got shape {array.shape}")
    if len(array) != cases:
        raise ValueError(f"Perceptron: X has {cases} cases but y has {len(array)} targets")
    wrong = np.unique(array[(array != 0) & (array != 1)])
    if wrong.size:
        shown = ", ".join(f"{v:g}" for v in wrong[:5]) + (", ..." if wrong.size > 5 else "")
        raise ValueError(f"Perceptron: y must hold only 0 and 1, got {shown}")
    return array.astype(int)
