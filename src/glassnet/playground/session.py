"""One browser tab's playground: its data, its network, its training, and what the page draws.

A ``Session`` is plain Python (no web library): the server (``playground.server``) keeps one per tab and
calls it. Every glassnet computation of every session runs under one lock (``COMPUTE``): glassnet's
recording and no-grad switches are global, so two tabs computing at the same moment would see each other's
ops. Each request is short (a few steps), so two tabs still train side by side, taking turns.
"""

from __future__ import annotations

import copy
import os
import tempfile
import threading
import time

import numpy as np

from glassnet import nn, optim
from glassnet.autograd.grad_mode import no_grad
from glassnet.autograd.tensor import Tensor
from glassnet.backend import fork_rng
from glassnet.data import feature_columns, logic_gate, train_test_split
from glassnet.data.datasets import toy
from glassnet.data.features import FEATURES
from glassnet.data.schema import Field, Schema
from glassnet.explain.batch_step import parameter_symbol, worked_batch_step
from glassnet.io.model_file import save_model
from glassnet.train.loop import run_epoch

__all__ = ["Session", "SettingsError", "DEFAULTS", "SETTINGS", "COMPUTE", "check_settings"]

COMPUTE = threading.Lock()  # glassnet's recorder and grad mode are process-wide: one computation at a time

GATES = ("xor", "and", "or", "nand", "nor")
DATASETS = ("spirals", "moons", "circles", "blobs", *GATES)
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "leaky_relu", "elu")
LOSSES = ("binary_crossentropy", "mse")
OPTIMIZERS = ("SGD", "Adam", "RMSProp", "Adagrad", "Adadelta", "Nadam")
GRID = 40  # the decision boundary is drawn from GRID × GRID predictions
MAX_STEPS = 200  # steps one request may ask for
MAX_HISTORY = 2000  # loss points kept per curve

#: The page's settings and their defaults (the page starts from these).
DEFAULTS = {
    "dataset": "spirals",
    "samples": 200,
    "noise": 0.1,
    "test_fraction": 0.5,
    "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"],
    "hidden": [8, 8],
    "activation": "tanh",
    "loss": "binary_crossentropy",
    "optimizer": "Adam",
    "convention": "notes",
    "lr": 0.03,
    "batch_size": 10,
    "regularization": "none",
    "rate": 0.001,
    "seed": 0,
}

#: What the page may send: each setting's type and range (anything else is refused with one line).
SETTINGS = Schema(
    {
        "dataset": Field((str,), choices=DATASETS),
        "samples": Field((int,), minimum=20, maximum=2000),
        "noise": Field((float,), minimum=0, maximum=2),
        "test_fraction": Field((float,), minimum=0.1, maximum=0.9),
        "features": Field(
            (list,), minimum=1, maximum=len(FEATURES), items=Field((str,), choices=tuple(FEATURES))
        ),
        "hidden": Field((list,), minimum=0, maximum=6, items=Field((int,), minimum=1, maximum=8)),
        "activation": Field((str,), choices=ACTIVATIONS),
        "loss": Field((str,), choices=LOSSES),
        "optimizer": Field((str,), choices=OPTIMIZERS),
        "convention": Field((str,), choices=("notes", "pytorch", "keras")),
        "lr": Field((float,), minimum=1e-6, maximum=10),
        "batch_size": Field((int,), minimum=1, maximum=2000),
        "regularization": Field((str,), choices=("none", "l1", "l2")),
        "rate": Field((float,), minimum=0, maximum=1),
        "seed": Field((int,), minimum=0, maximum=2**31 - 1),
    }
)


class SettingsError(ValueError):
    """Settings from the page that cannot be used: one line naming the setting, what was expected and
    what was found."""


def check_settings(raw) -> dict:
    """The defaults updated with ``raw`` (a dict from the page), checked; a ``SettingsError`` otherwise.

    Example:
        >>> check_settings({"lr": "fast"})
        Traceback (most recent call last):
        ...
        glassnet.playground.session.SettingsError: settings: lr: expected a number in [1e-06, 10], found ...
    """
    SETTINGS.check(raw, SettingsError, "settings")
    settings = {**DEFAULTS, **raw}
    for key, value in settings.items():
        if isinstance(value, float) and not np.isfinite(value):
            raise SettingsError(f"settings: {key}: expected a finite number, found {value}")
    if len(set(settings["features"])) != len(settings["features"]):
        raise SettingsError(f"settings: features: each feature once, found {settings['features']}")
    return settings


def _make_data(settings: dict):
    """((x_train, y_train), (x_test, y_test)) as 2-D points and 0/1 labels (columns); gates: the four
    rows, which are also the test set."""
    name = settings["dataset"]
    if name in GATES:
        x, y = logic_gate(name)
        return (x, y), (x, y)
    n, noise = settings["samples"], settings["noise"]
    if name == "blobs":
        x, y = toy.make_blobs(n, centers=2, cluster_std=0.4 + noise)
    elif name == "circles":
        x, y = toy.make_circles(n, noise=noise)
    else:
        x, y = getattr(toy, f"make_{name}")(n, noise=noise)
    y = y.astype(np.float64).reshape(-1, 1)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=settings["test_fraction"], stratify=y.ravel().astype(int)
    )
    return (x_train, y_train), (x_test, y_test)


class Session:
    """A tab's playground: built from checked settings (``check_settings``), trained a few steps at a
    time by ``train(steps)``; ``state()`` is what the page draws, ``explain`` a parameter's worked step."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.lock = threading.Lock()
        self.touched = time.monotonic()
        with COMPUTE, fork_rng(settings["seed"]):
            (self.points_train, self.y_train), (self.points_test, self.y_test) = _make_data(settings)
            self.x_train = feature_columns(self.points_train, settings["features"])
            self.x_test = feature_columns(self.points_test, settings["features"])
            self.model = self._build()
        self._rng = np.random.default_rng(settings["seed"])
        self._order, self._cursor = np.zeros(0, dtype=int), 0
        self.steps, self.epochs = 0, 0
        self.history = {"step": [], "train_loss": [], "test_loss": []}
        self.last = None  # (model before the last step, its batch): what ``explain`` works through
        self._box = self._view_box()
        with COMPUTE:
            self._record_losses()

    def _build(self) -> nn.Sequential:
        s = self.settings
        regularizer = None if s["regularization"] == "none" else nn.regularizers.get(s["regularization"])
        if regularizer is not None:
            regularizer = type(regularizer)(s["rate"])
        layers = [
            nn.Dense(units, activation=s["activation"], weight_regularizer=regularizer, dtype="float64")
            for units in s["hidden"]
        ]
        layers.append(nn.Dense(1, activation="sigmoid", weight_regularizer=regularizer, dtype="float64"))
        model = nn.Sequential(layers, input_shape=(len(s["features"]),))
        optimizer = getattr(optim, s["optimizer"])(lr=s["lr"], convention=s["convention"])
        model.compile(optimizer=optimizer, loss=s["loss"])
        return model

    def _view_box(self) -> list:
        points = np.concatenate([self.points_train, self.points_test])
        low, high = points.min(axis=0), points.max(axis=0)
        margin = 0.15 * np.maximum(high - low, 1e-3)
        return [*(low - margin).tolist(), *(high + margin).tolist()]

    def _next_batch(self):
        size = min(self.settings["batch_size"], len(self.x_train))
        if self._cursor + size > len(self._order):
            self.epochs += len(self._order) > 0  # a pass over the training set ended
            self._order, self._cursor = self._rng.permutation(len(self.x_train)), 0
        rows = self._order[self._cursor : self._cursor + size]
        self._cursor += size
        return self.x_train[rows], self.y_train[rows]

    def train(self, steps: int) -> None:
        """Take ``steps`` steps of the fit loop, one mini-batch each; the last is kept for ``explain``."""
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
            raise SettingsError(f"steps: expected an integer in [1, {MAX_STEPS}], found {steps!r}")
        with COMPUTE:
            batches = [self._next_batch() for _ in range(steps)]
            if steps > 1:
                run_epoch(self.model, [(Tensor(x), Tensor(y)) for x, y in batches[:-1]], training=True)
            self.last = (_copy_model(self.model), batches[-1])
            run_epoch(self.model, [(Tensor(batches[-1][0]), Tensor(batches[-1][1]))], training=True)
            self.steps += steps
            self._record_losses()
        if not np.isfinite(self.history["train_loss"][-1]):
            raise SettingsError(
                f"the training loss became {self.history['train_loss'][-1]} at step {self.steps}: the steps "
                "diverged; lower the learning rate and reset"
            )

    def _loss(self, x, y) -> float:
        """The data loss on ``x``, as ``evaluate`` reports it (the penalty is not part of it)."""
        with no_grad():
            return float(self.model.loss(self.model(Tensor(x)), Tensor(y)).item())

    def _record_losses(self) -> None:
        for key, value in (
            ("step", self.steps),
            ("train_loss", self._loss(self.x_train, self.y_train)),
            ("test_loss", self._loss(self.x_test, self.y_test)),
        ):
            self.history[key] = (self.history[key] + [value])[-MAX_HISTORY:]

    def state(self, since: int = 0) -> dict:
        """What the page draws: the weights, the decision boundary, the loss curves (from point ``since``)."""
        with COMPUTE:
            x0, y0, x1, y1 = self._box
            gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y1, y0, GRID))
            grid = feature_columns(np.stack([gx.ravel(), gy.ravel()], axis=1), self.settings["features"])
            with no_grad():
                probabilities = self.model(Tensor(grid)).data.ravel()
            weights = [
                {"weight": layer.weight.data.tolist(), "bias": layer.bias.data.tolist()}
                for layer in self.model
            ]
        return {
            "steps": self.steps,
            "epochs": self.epochs,
            "layers": weights,
            "features": self.settings["features"],
            "grid": np.round(probabilities, 4).tolist(),
            "grid_size": GRID,
            "box": self._box,
            "history": {key: values[since:] for key, values in self.history.items()},
            "history_length": len(self.history["step"]),
            "test_loss": self.history["test_loss"][-1],
            "train_loss": self.history["train_loss"][-1],
        }

    def points(self) -> dict:
        """The data set's points and labels, train and test, drawn under the boundary."""
        return {
            "train": self.points_train.round(5).tolist(),
            "train_labels": self.y_train.ravel().astype(int).tolist(),
            "test": self.points_test.round(5).tolist(),
            "test_labels": self.y_test.ravel().astype(int).tolist(),
        }

    def explain(self, parameter: str, index, fmt: str = "html") -> dict:
        """The worked last step for one parameter element (``("1.weight", [i, j])``, 0-based): the document
        in ``fmt`` (html, md or tex) and the gradient the optimizer used."""
        if self.last is None:
            raise SettingsError("no step taken yet: press play or step first, then click a weight")
        if fmt not in ("html", "md", "tex"):
            raise SettingsError(f"format: expected 'html', 'md' or 'tex', found {fmt!r}")
        names = [name for name, _ in self.last[0].named_parameters()]
        if parameter not in names:
            raise SettingsError(f"parameter: expected one of {', '.join(names)}, found {parameter!r}")
        integers = isinstance(index, list) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in index
        )
        if not integers:
            raise SettingsError(f"index: expected a list of integers, found {index!r}")
        model, (x, y) = self.last
        with COMPUTE:
            try:
                worked = worked_batch_step(
                    _copy_model(model),
                    x,
                    y,
                    focus=(parameter, tuple(index)),
                    title=f"Step {self.steps}: the last step, for {parameter_symbol(parameter, index).text}",
                )
            except ValueError as error:
                raise SettingsError(str(error)) from None
        text = {"html": worked.to_html, "md": worked.to_markdown, "tex": worked.to_latex}[fmt](6)
        return {
            "document": text,
            "gradient": worked.gradient,
            "before": worked.before,
            "after": worked.after,
            "step": self.steps,
        }

    def last_step(self) -> dict:
        """The last step's inputs: the parameters before it and its batch (to check a gradient by hand)."""
        if self.last is None:
            raise SettingsError("no step taken yet")
        model, (x, y) = self.last
        return {
            "parameters": {name: p.data.tolist() for name, p in model.named_parameters()},
            "x": x.tolist(),
            "y": y.tolist(),
            "loss": self.settings["loss"],
            "regularization": self.settings["regularization"],
            "rate": self.settings["rate"],
        }

    def model_file(self) -> bytes:
        """The network as a glassnet model file (``glassnet.io.save_model``), as bytes."""
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "playground.glassnet")
            with COMPUTE:
                save_model(self.model, path)
            with open(path, "rb") as file:
                return file.read()

    def run_file(self) -> str:
        """The network's settings as a ``glassnet train`` run file (``glassnet.io.config``)."""
        s = self.settings
        lines = [
            "# From glassnet playground; run it with: glassnet train THIS_FILE",
            f'name = "playground-{s["dataset"]}"',
            f"seed = {s['seed']}",
            "",
            "[data]",
        ]
        if s["dataset"] in GATES:
            lines += ['source = "gate"', f'name = "{s["dataset"]}"']
        else:
            lines += [f'source = "{s["dataset"]}"', f"n_samples = {s['samples']}"]
            if s["dataset"] == "blobs":
                lines += ["centers = 2", f"cluster_std = {0.4 + s['noise']!r}"]
            else:
                lines.append(f"noise = {float(s['noise'])!r}")
            lines.append(f"test_size = {float(s['test_fraction'])!r}")
        lines += ["features = [" + ", ".join(f'"{name}"' for name in s["features"]) + "]", ""]
        penalty = ""
        if s["regularization"] != "none":
            kind = s["regularization"]
            penalty = f', weight_regularizer = {{ type = "{kind.upper()}", {kind} = {float(s["rate"])!r} }}'
        lines += ["[model]", "layers = ["]
        for units in s["hidden"]:
            lines.append(
                f'    {{ type = "Dense", units = {units}, activation = "{s["activation"]}"{penalty} }},'
            )
        lines += [f'    {{ type = "Dense", units = 1, activation = "sigmoid"{penalty} }},', "]", ""]
        optimizer = f'type = "{s["optimizer"]}", lr = {float(s["lr"])!r}, convention = "{s["convention"]}"'
        lines += [
            "[compile]",
            f"optimizer = {{ {optimizer} }}",
            f'loss = "{s["loss"]}"',
            'metrics = ["accuracy"]',
        ]
        lines += ["", "[fit]", f"epochs = {max(1, self.epochs)}", f"batch_size = {s['batch_size']}", ""]
        return "\n".join(lines)


def _copy_model(model):
    """A copy of a compiled model, its optimizer's state with it (one step on it is the same step)."""
    return copy.deepcopy(model)
