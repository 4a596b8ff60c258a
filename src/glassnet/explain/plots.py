"""Plots (matplotlib, an optional extra: ``pip install "glassnet[plot]"``).

Each ``plot_*`` function draws one picture of the issue's list and returns the path it wrote (PNG, or any
format matplotlib knows by the suffix) or, without a path, the figure. The numbers behind each picture come
from helpers that need no matplotlib, so they can be checked and printed on their own:

- ``activation_curve(name, x)``: an activation and its derivative, the derivative taken by autograd;
- ``decision_grid(model, x)``: the class a 2-D classifier predicts on a grid around the data;
- ``GradientNormRecorder``: a ``fit`` callback keeping each layer's gradient norm per batch and epoch;
- ``layer_outputs(model, x, layer)``: what a layer of a ``Sequential`` outputs (for t-SNE);
- ``lm_attention(model, text, tokenizer)``: each block's and head's attention weights of a language model
  (``models.TransformerLM``) over one sample, for ``plot_lm_attention``.
- ``GANGameRecorder``: a ``fit`` callback keeping a 1-D GAN's generated density and discriminator curve
  at chosen steps (``game_snapshot``, ``density_on_grid``), drawn by ``plot_gan_game``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from glassnet.autograd.grad_mode import no_grad
from glassnet.autograd.tensor import Tensor
from glassnet.nn import activations
from glassnet.nn.containers import Sequential
from glassnet.train.callbacks import Callback

__all__ = [
    "plot_history",
    "plot_activations",
    "plot_decision_boundary",
    "plot_gradient_norms",
    "plot_weight_histograms",
    "plot_tsne",
    "plot_attention",
    "plot_lm_attention",
    "lm_attention",
    "activation_curve",
    "activation_names",
    "decision_grid",
    "layer_outputs",
    "tsne_embedding",
    "tsne_2d",
    "GradientNormRecorder",
    "GANGameRecorder",
    "game_snapshot",
    "density_on_grid",
    "plot_gan_game",
]


def _pyplot():
    try:
        import matplotlib  # noqa: PLC0415 - an optional extra, imported when a plot is asked for
    except ImportError:
        raise ImportError('plots need matplotlib: pip install "glassnet[plot]"') from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


_MARKED = 50  # points: a series up to this long is drawn with a marker on each point, a longer one as a line


def _points(count: int, size: float = 3) -> dict:
    """Line-plot style for a series of ``count`` points: markers only where they can be told apart."""
    return {"marker": "o", "markersize": size} if count <= _MARKED else {}


def _whole_numbers(axis) -> None:
    """Ticks at whole numbers only on the x axis (epochs and batches have no 2.5)."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - optional extra

    axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_history(history, path=None, metrics=None):
    """Loss (and metric) curves of a ``History``, training and validation side by side, one panel each.

    Args:
        history: what ``fit`` returned.
        path: write a PNG (or any format matplotlib knows by the suffix) there; otherwise return the figure.
        metrics: the names to draw (default: every key without "val_" except "lr").

    Returns:
        The path written, or the matplotlib figure.
    """
    plt = _pyplot()
    records = history.history
    names = metrics or [key for key in records if not key.startswith("val_") and key != "lr"]
    epochs = [epoch + 1 for epoch in history.epochs]
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), squeeze=False)
    style = _points(len(epochs))
    for axis, name in zip(axes[0], names):
        axis.plot(epochs, records[name], label=f"training {name}", **style)
        if f"val_{name}" in records:
            axis.plot(epochs, records[f"val_{name}"], label=f"validation {name}", **style)
        _whole_numbers(axis)
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    if path is None:
        return figure
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _save(plt, figure, path):
    """Lay out ``figure``; write it to ``path`` (closing it) and return the path, or return the figure.
    A figure title (``suptitle``) keeps half an inch at the top, which ``tight_layout`` does not leave it."""
    titled = bool(getattr(figure, "get_suptitle", lambda: "")())
    top = 1 - 0.5 / figure.get_figheight() if titled else 1
    figure.tight_layout(rect=(0, 0, 1, top))
    if path is None:
        return figure
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _as_array(data) -> np.ndarray:
    return np.asarray(data.data if isinstance(data, Tensor) else data)


def _model_dtype(model):
    parameters = model.parameters()
    return parameters[0].dtype if parameters else np.dtype(np.float64)


def _run(model, inputs: np.ndarray, layers=None) -> np.ndarray:
    """The model's (or the first ``layers`` of a Sequential's) outputs in evaluation mode, without a graph."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = Tensor(inputs.astype(_model_dtype(model), copy=False))
            for layer in model.layers[:layers] if layers is not None else [model]:
                out = layer(out)
    finally:
        model.train(was_training)
    return np.asarray(out.data)


# --- every activation with its derivative ---

# The order the notes teach them in (CURRICULUM section 5); names the registry adds later come after.
_TEACHING_ORDER = (
    "step",
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "rrelu",
    "prelu",
    "elu",
    "selu",
    "softmax",
)


def activation_names() -> list:
    """One name per activation of ``nn.activations`` (``identity`` for identity/linear), in the notes' order.

    Example:
        >>> activation_names()[:4]
        ['step', 'identity', 'sigmoid', 'tanh']
    """
    names, classes = [], set()
    registered = activations.registry.names()
    for name in [*(n for n in _TEACHING_ORDER if n in registered), *registered]:
        kind = type(activations.get(name))
        if kind not in classes:
            classes.add(kind)
            names.append(name)
    return names


def activation_curve(name, x=None):
    """An activation f and its derivative f' at the points ``x``, f' taken by autograd (not a second formula).

    The activation module runs on a float64 tensor of the points and ``backward`` is seeded with ones: for
    an element-wise function the Jacobian is diagonal, so each point's gradient is f'(x) there. Softmax is
    not element-wise: it is shown on the 2-class slice s = softmax([x, 0])₀ = σ(x), whose derivative
    ∂s/∂x = s(1 − s) is read from the backward pass seeded with (1, 0). RReLU uses its evaluation slope
    (lower + upper)/2; PReLU its initial slope 0.25.

    Args:
        name: an activation name ("relu") or module.
        x: the points (default 401 points on [−5, 5]).

    Returns:
        ``(y, dy_dx)``: float64 arrays of the shape of ``x``.

    Example:
        >>> y, dy = activation_curve("sigmoid", [0.0, 2.0])
        >>> y.round(6).tolist(), dy.round(6).tolist()
        ([0.5, 0.880797], [0.25, 0.104994])
    """
    grid = np.linspace(-5.0, 5.0, 401) if x is None else np.array(x, dtype=np.float64)
    module = activations.get(name)
    module.eval()  # RReLU: the deterministic slope
    if isinstance(module, activations.Softmax):
        inputs = Tensor(np.stack([grid, np.zeros_like(grid)], axis=-1), requires_grad=True)
        seed = np.zeros(inputs.shape)
        seed[..., 0] = 1.0
        output = module(inputs)
        output.backward(seed)
        return output.data[..., 0].copy(), inputs.grad[..., 0].copy()
    inputs = Tensor(grid.copy(), requires_grad=True)
    output = module(inputs)
    output.backward(np.ones_like(grid))
    return np.asarray(output.data, dtype=np.float64).copy(), np.asarray(inputs.grad, dtype=np.float64).copy()


def plot_activations(names=None, path=None, x=None, columns: int = 4):
    """Every activation with its derivative, one panel each (CURRICULUM section 5).

    Args:
        names: activation names or modules (default: ``activation_names()``, all of them).
        path: where to write the picture; without it the figure is returned.
        x: the points (default 401 points on [−5, 5]).
        columns: panels per row.

    Returns:
        The path written, or the matplotlib figure.
    """
    plt = _pyplot()
    names = list(names or activation_names())
    grid = np.linspace(-5.0, 5.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.8 * rows), squeeze=False)
    for axis, name in zip(axes.flat, names):
        y, dy = activation_curve(name, grid)
        label = name if isinstance(name, str) else type(name).__name__.lower()
        axis.plot(grid, y, label="f(x)")
        axis.plot(grid, dy, linestyle="--", label="f'(x) (autograd)")
        axis.axhline(0, color="grey", linewidth=0.5)
        axis.axvline(0, color="grey", linewidth=0.5)
        is_softmax = isinstance(activations.get(name), activations.Softmax)
        axis.set_title("softmax([x, 0])₀" if is_softmax else label)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    for axis in list(axes.flat)[len(names) :]:
        axis.set_visible(False)
    return _save(plt, figure, path)


# --- the decision boundary of a 2-D classifier ---


def _classes(outputs: np.ndarray, threshold) -> np.ndarray:
    """Predicted classes: argmax over several outputs; one output compared with ``threshold``."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    scores = outputs.reshape(len(outputs))
    if threshold is None:  # probabilities (a sigmoid output) or logits
        threshold = 0.5 if scores.min() >= 0 and scores.max() <= 1 else 0.0
    return (scores > threshold).astype(np.int64)


def decision_grid(model, x, resolution: int = 200, margin: float = 0.5, threshold=None):
    """The class ``model`` predicts at each point of a grid covering the 2-D inputs ``x``.

    Args:
        model: a classifier of 2 inputs, with one output (a probability, or a logit) or one per class.
        x: the inputs, shape (n, 2): the grid spans their range plus ``margin`` on each side.
        resolution: points along each axis.
        threshold: for one output, the value above which class 1 is predicted. Default: 0.5 when every
            output on the grid lies in [0, 1] (a sigmoid), else 0 (a logit); give it to be explicit.

    Returns:
        ``(xx, yy, classes)``: arrays of shape (resolution, resolution), as ``np.meshgrid`` gives.

    Example (a fixed linear classifier of logits: class 1 above the diagonal):
        >>> import numpy as np; from glassnet import nn
        >>> model = nn.Sequential([nn.Dense(1)], input_shape=(2,))
        >>> model[0].weight.data[:] = [[-1.0], [1.0]]
        >>> xx, yy, classes = decision_grid(model, np.array([[0.0, 0.0], [1.0, 1.0]]), resolution=3)
        >>> classes.tolist()
        [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    """
    x = _as_array(x)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"decision_grid needs 2-D inputs of shape (n, 2), got shape {x.shape}")
    low, high = x.min(axis=0) - margin, x.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    outputs = _run(model, np.stack([xx.ravel(), yy.ravel()], axis=1))
    return xx, yy, _classes(outputs, threshold).reshape(xx.shape)


def plot_decision_boundary(model, x, y, path=None, resolution: int = 200, threshold=None, title=None):
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    Args:
        model: a classifier of 2 inputs (one sigmoid or logit output, or one output per class).
        x, y: the points, shape (n, 2), and their labels (integers, one-hot rows or a column of 0/1).
        path: where to write the picture; without it the figure is returned.
        resolution, threshold: as in ``decision_grid``.
        title: the panel's title.

    Returns:
        The path written, or the matplotlib figure.
    """
    plt = _pyplot()
    x, labels = _as_array(x), _as_array(y)
    labels = labels.argmax(axis=1) if labels.ndim == 2 and labels.shape[1] > 1 else labels.reshape(len(x))
    xx, yy, classes = decision_grid(model, x, resolution=resolution, threshold=threshold)
    count = int(max(classes.max(), labels.max())) + 1
    figure, axis = plt.subplots(figsize=(5.5, 4.6))
    levels = np.arange(count + 1) - 0.5
    axis.contourf(xx, yy, classes, levels=levels, cmap="coolwarm", alpha=0.35)
    axis.contour(xx, yy, classes, levels=levels[1:-1], colors="black", linewidths=0.8)
    scatter = axis.scatter(
        x[:, 0],
        x[:, 1],
        c=labels,
        cmap="coolwarm",
        vmin=0,
        vmax=max(count - 1, 1),
        edgecolors="black",
        linewidths=0.4,
        s=18,
    )
    axis.legend(*scatter.legend_elements(), title="class", fontsize=8)
    axis.set_xlabel("x₁")
    axis.set_ylabel("x₂")
    axis.set_title(title or "decision boundary")
    return _save(plt, figure, path)


# --- per-layer gradient norms during training ---


class GradientNormRecorder(Callback):
    """A ``fit`` callback recording each layer's gradient norm ‖∂L/∂W‖ after every batch, and its mean per
    epoch: the picture of vanishing gradients (``plot_gradient_norms``).

    Args:
        weights_only: only each layer's ``weight`` (default); False: all its parameters (bias, slopes...)
            together, as one norm √(Σ g²).
        add_to_logs: also put each epoch's means into the epoch logs as ``"grad_norm/<layer>"``, so that
            the ``History`` keeps them (and the progress bar shows them).

    Attributes:
        layers: the layers' names, input side first.
        batch_norms: layer name -> one norm per batch (update).
        epoch_norms: layer name -> the mean of that epoch's batch norms, one per epoch.

    Example:
        >>> recorder = GradientNormRecorder()
        >>> # model.fit(x, y, epochs=5, callbacks=[recorder]); recorder.epoch_norms["dense"]
    """

    def __init__(self, weights_only: bool = True, add_to_logs: bool = False):
        self.weights_only, self.add_to_logs = weights_only, add_to_logs
        self.layers: list = []
        self.batch_norms: dict = {}
        self.epoch_norms: dict = {}
        self._epoch_start = 0

    def _groups(self) -> dict:
        """Layer name -> the parameters whose gradients make its norm, input side first."""
        modules, groups = dict(self.model.named_modules()), {}
        for full_name, parameter in self.model.named_parameters():
            path, _, leaf = full_name.rpartition(".")
            if leaf == "weight" or not self.weights_only:
                groups.setdefault(modules[path].name, []).append(parameter)
        return groups

    def on_epoch_begin(self, epoch, logs=None):
        if not self.layers:
            self.layers = list(self._groups())
            self.batch_norms = {layer: [] for layer in self.layers}
            self.epoch_norms = {layer: [] for layer in self.layers}
        self._epoch_start = len(self.batch_norms[self.layers[0]]) if self.layers else 0

    def on_batch_end(self, batch, logs=None):
        for layer, parameters in self._groups().items():
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = (
                math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads)) if grads else math.nan
            )
            self.batch_norms.setdefault(layer, []).append(norm)

    def on_epoch_end(self, epoch, logs=None):
        for layer in self.layers:
            mean = float(np.mean(self.batch_norms[layer][self._epoch_start :]))
            self.epoch_norms[layer].append(mean)
            if self.add_to_logs and logs is not None:
                logs[f"grad_norm/{layer}"] = mean


def _norm_series(source, per: str) -> dict:
    if isinstance(source, GradientNormRecorder):
        return source.epoch_norms if per == "epoch" else source.batch_norms
    records = getattr(source, "history", None)
    if isinstance(records, dict):
        if per != "epoch":
            raise ValueError(
                "a History holds gradient norms per epoch only; pass the recorder for per='batch'"
            )
        series = {
            key.split("/", 1)[1]: values for key, values in records.items() if key.startswith("grad_norm/")
        }
        if not series:
            raise ValueError(
                "this History has no 'grad_norm/<layer>' entries: train with "
                "GradientNormRecorder(add_to_logs=True), or pass the recorder itself"
            )
        return series
    if isinstance(source, dict):
        return source
    raise TypeError(
        f"plot_gradient_norms expects a GradientNormRecorder, a History or a dict, got {source!r}"
    )


def plot_gradient_norms(source, path=None, per: str = "epoch", log_scale: bool = True, title=None):
    """Each layer's gradient norm over training, on a log scale: the vanishing-gradient picture.

    Args:
        source: a ``GradientNormRecorder``, a ``History`` recorded with ``add_to_logs=True``, or a dict
            layer -> values.
        path: where to write the picture; without it the figure is returned.
        per: "epoch" (the mean per epoch) or "batch" (every update; recorder only).
        log_scale: a logarithmic y axis (norms differ by orders of magnitude).
        title: the panel's title.

    Returns:
        The path written, or the matplotlib figure.
    """
    if per not in ("epoch", "batch"):
        raise ValueError(f"per must be 'epoch' or 'batch', got {per!r}")
    series = _norm_series(source, per)
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(7.5, 4.2))
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(len(series), 1)))
    # layers by their place in the network (the names' counters depend on what was built before)
    for number, (color, values) in enumerate(zip(colors, series.values()), 1):
        steps = np.arange(1, len(values) + 1)
        axis.plot(steps, values, color=color, label=f"layer {number}", **_points(len(values), 2))
    _whole_numbers(axis)
    if log_scale:
        axis.set_yscale("log")
    axis.set_xlabel(per if per == "epoch" else "batch (update)")
    axis.set_ylabel("‖∂L/∂W‖")
    axis.set_title(title or "gradient norm per layer (input side first)")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)  # beside
    return _save(plt, figure, path)


# --- weight histograms ---


def plot_weight_histograms(model, path=None, bins: int = 30, weights_only: bool = False):
    """A histogram of every parameter of ``model`` (one panel each, with its mean and standard deviation).

    Args:
        model: a built module.
        path: where to write the picture; without it the figure is returned.
        bins: bars per histogram.
        weights_only: only the parameters named ``weight``.

    Returns:
        The path written, or the matplotlib figure.
    """
    named = [(name, p) for name, p in model.named_parameters() if not weights_only or name.endswith("weight")]
    if not named:
        raise ValueError(f"{type(model).__name__} has no parameters to draw (is it built?)")
    plt = _pyplot()
    columns = min(len(named), 4)
    rows = math.ceil(len(named) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.8 * rows), squeeze=False)
    for axis, (name, parameter) in zip(axes.flat, named):
        values = np.asarray(parameter.data, dtype=np.float64).ravel()
        axis.hist(values, bins=bins, color="tab:blue", edgecolor="white", linewidth=0.3)
        axis.set_title(
            f"{name} {parameter.shape}\nmean {values.mean():.3g}, std {values.std():.3g}", fontsize=8
        )
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[len(named) :]:
        axis.set_visible(False)
    return _save(plt, figure, path)


# --- t-SNE of a layer's outputs ---


def _layer_index(model, layer) -> int:
    if not isinstance(model, Sequential):
        raise TypeError(f"layer outputs need a Sequential model, got {type(model).__name__}")
    count = len(model.layers)
    if layer is None:
        return count - 2 if count > 1 else 0
    if isinstance(layer, int) and not isinstance(layer, bool):
        if not -count <= layer < count:
            raise ValueError(f"layer {layer} is out of range for a model of {count} layers")
        return layer % count
    for index, module in enumerate(model.layers):
        if module is layer or module.name == layer:
            return index
    names = ", ".join(module.name for module in model.layers)
    raise ValueError(f"no layer {layer!r} in '{model.name}'; its layers: {names}")


def layer_outputs(model, x, layer=None) -> np.ndarray:
    """What a layer of a ``Sequential`` outputs for the inputs ``x`` (evaluation mode, no graph).

    Args:
        model: a ``Sequential``.
        x: the inputs.
        layer: an index (negative counts from the end), a layer name or the layer itself; default the last
            hidden layer (the one before the output).

    Returns:
        The outputs, flattened to shape (n, features).

    Example:
        >>> import numpy as np; from glassnet import nn
        >>> model = nn.Sequential([nn.Dense(3, activation="relu"), nn.Dense(1)], input_shape=(2,))
        >>> layer_outputs(model, np.ones((5, 2))).shape
        (5, 3)
    """
    index = _layer_index(model, layer)
    outputs = _run(model, _as_array(x), layers=index + 1)
    return outputs.reshape(len(outputs), -1)


def tsne_embedding(model, x, layer=None, perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    """A 2-D t-SNE (``tsne_2d``) of ``layer_outputs(model, x, layer)``; shape (n, 2)."""
    return tsne_2d(layer_outputs(model, x, layer), perplexity, seed)


def tsne_2d(features, perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    """A 2-D t-SNE of the rows of ``features`` (n, d) (scikit-learn's ``TSNE``, PCA start; exact up to 500
    points, Barnes-Hut beyond; the perplexity lowered to (n - 1)/3 for few points); shape (n, 2)."""
    try:
        from sklearn.manifold import TSNE  # noqa: PLC0415 - an optional extra, imported when asked for
    except ImportError:
        raise ImportError('t-SNE needs scikit-learn: pip install "glassnet[sklearn]"') from None
    features = _as_array(features).reshape(len(features), -1)
    if len(features) < 4:
        raise ValueError(f"t-SNE needs at least 4 points, got {len(features)}")
    perplexity = min(perplexity, (len(features) - 1) / 3)
    # Exact t-SNE up to a few hundred points: faster there than Barnes-Hut, whose threads can stall.
    method = "exact" if len(features) <= 500 else "barnes_hut"
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", method=method, random_state=seed)
    return tsne.fit_transform(features)


def plot_tsne(model, x, y, layer=None, path=None, perplexity: float = 30.0, seed: int = 0):
    """The t-SNE map of a layer's outputs, points coloured by label (CURRICULUM section 12).

    Args:
        model: a ``Sequential``.
        x, y: the inputs and their labels (integers or one-hot rows).
        layer: which layer's outputs (see ``layer_outputs``; default the last hidden layer).
        path: where to write the picture; without it the figure is returned.
        perplexity: t-SNE's perplexity (lowered to (n − 1)/3 for few points).
        seed: t-SNE's random state.

    Returns:
        The path written, or the matplotlib figure.
    """
    labels = _as_array(y)
    labels = labels.argmax(axis=1) if labels.ndim == 2 and labels.shape[1] > 1 else labels.reshape(-1)
    embedding = tsne_embedding(model, x, layer, perplexity, seed)
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.5, 4.6))
    scatter = axis.scatter(embedding[:, 0], embedding[:, 1], c=labels, cmap="tab10", s=12)
    axis.legend(*scatter.legend_elements(), title="label", fontsize=7)
    name = model.layers[_layer_index(model, layer)].name
    axis.set_title(f"t-SNE of the outputs of '{name}'")
    axis.set_xticks([])
    axis.set_yticks([])
    return _save(plt, figure, path)


# --- attention maps ---


def _attention_panel(axis, weights: np.ndarray, labels, title: str) -> None:
    """One map: row i is what query i takes from each key, 0 (dark) to 1 (bright)."""
    axis.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
    axis.set_title(title)
    axis.set_xlabel("key")
    axis.set_ylabel("query")
    if labels is not None and len(labels) == weights.shape[-1]:
        axis.set_xticks(range(len(labels)), labels, fontsize=6)
    if labels is not None and len(labels) == weights.shape[-2]:
        axis.set_yticks(range(len(labels)), labels, fontsize=6)


def _labels(tokens):
    return None if tokens is None else [repr(t)[1:-1] if isinstance(t, str) else str(t) for t in tokens]


def plot_attention(weights, tokens=None, path=None, title: str | None = None, columns: int = 4):
    """Attention maps, one panel per head: row i is what query i takes from each key (the weights of one
    example, (heads, L, S) or (L, S); ``TransformerLM.attention_maps(ids)[block][example]``). A causal
    model's maps are lower-triangular.

    Args:
        weights: the attention weights (rows sum to 1).
        tokens: labels of the positions (characters, words), for both axes when L = S.
        path: where to write the picture; without it the figure is returned.
        title: above the panels (default "attention").
        columns: panels per row.

    Returns:
        The path written, or the matplotlib figure.
    """
    maps = np.asarray(weights, dtype=np.float64)
    maps = maps[None] if maps.ndim == 2 else maps
    if maps.ndim != 3:
        raise ValueError(
            f"plot_attention expects weights (heads, L, S) or (L, S), got shape {np.shape(weights)}"
        )
    plt = _pyplot()
    heads = len(maps)
    columns = min(columns, heads)
    rows = math.ceil(heads / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.2 * rows), squeeze=False)
    labels = _labels(tokens)
    for head, axis in enumerate(axes.flat):
        if head >= heads:
            axis.set_visible(False)
            continue
        _attention_panel(axis, maps[head], labels, f"head {head + 1}")
    figure.suptitle(title or "attention")
    return _save(plt, figure, path)


_MOST_ATTENTION_TOKENS = 256  # a map of more positions than this is unreadable; pass a shorter sample


def lm_attention(model, text, tokenizer=None) -> tuple:
    """What each head of a language model attends to over one sample: ``(tokens, maps)``, the sample's
    tokens (each id decoded on its own, for labels) and one array (heads, T, T) per block, row i the
    softmax weights query i gives keys 1..T. For a causal model (``models.TransformerLM``) each map is
    lower-triangular: nothing above the diagonal, the future being masked.

    Args:
        model: a model with ``attention_maps(ids)`` (``models.TransformerLM``), in any mode (it is run in
            evaluation mode and put back).
        text: the sample, a string (encoded by ``tokenizer``) or a sequence of ids; at most the model's
            ``context`` tokens.
        tokenizer: the ``CharTokenizer`` (or ``WordTokenizer``) the model was trained with; None when
            ``text`` is ids already.
    """
    if not callable(getattr(model, "attention_maps", None)):
        raise TypeError(
            f"lm_attention needs a language model with attention_maps(ids) (models.TransformerLM), "
            f"got {type(model).__name__}"
        )
    if isinstance(text, str):
        if tokenizer is None:
            raise ValueError("lm_attention: text given as a string needs the tokenizer that encodes it")
        ids = np.asarray(tokenizer.encode(text), dtype=np.int64).reshape(-1)
    else:
        ids = np.asarray(text).reshape(-1)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"lm_attention: text must be a string or integer ids, got {ids.dtype} values")
    context = min(getattr(model, "context", _MOST_ATTENTION_TOKENS), _MOST_ATTENTION_TOKENS)
    if not 1 <= ids.size <= context:
        raise ValueError(
            f"lm_attention: the sample has {ids.size} tokens; give 1 to {context} (the model's context, "
            "at most 256 for a readable map): cut the text shorter"
        )
    tokens = [tokenizer.decode([int(i)]) for i in ids] if tokenizer is not None else [int(i) for i in ids]
    maps = [np.asarray(block)[0] for block in model.attention_maps(ids[None])]
    return tokens, maps


def plot_lm_attention(model, text, tokenizer=None, path=None, blocks=None, title: str | None = None):
    """Every head's attention map for one sample through a language model (``models.TransformerLM``):
    one row of panels per block, one column per head, the sample's tokens on both axes (see
    ``lm_attention``, which gives the numbers drawn).

    Args:
        model, text, tokenizer: as ``lm_attention``.
        path: where to write the picture; without it the figure is returned.
        blocks: the blocks to draw, counted from 0 (default: all).
        title: above the panels (default: the sample, shortened).

    Returns:
        The path written, or the matplotlib figure.
    """
    tokens, maps = lm_attention(model, text, tokenizer)
    chosen = list(range(len(maps))) if blocks is None else list(blocks)
    if not chosen or any(not isinstance(b, int) or not 0 <= b < len(maps) for b in chosen):
        raise ValueError(f"plot_lm_attention: blocks must be numbers in 0..{len(maps) - 1}, got {blocks!r}")
    plt = _pyplot()
    heads = maps[0].shape[0]
    size = 2.0 + 0.05 * len(tokens)
    figure, axes = plt.subplots(len(chosen), heads, figsize=(size * heads, size * len(chosen)), squeeze=False)
    labels = _labels(tokens)
    for row, block in enumerate(chosen):
        for head in range(heads):
            panel = f"block {block + 1}, head {head + 1}"
            _attention_panel(axes[row, head], maps[block][head], labels, panel)
    sample = "".join(map(str, tokens)) if tokenizer is not None else " ".join(map(str, tokens))
    figure.suptitle(title or f"attention over {sample[:60]!r}" + ("..." if len(sample) > 60 else ""))
    return _save(plt, figure, path)


# --- the picture of the GAN game (a 1-D toy) ---


def density_on_grid(samples, edges) -> np.ndarray:
    """The density of 1-D ``samples`` as a histogram over the bins ``edges``: the share of all samples in
    each bin divided by its width (samples outside the edges count in the whole, so the integral over the
    grid is the share inside it).

    Example:
        >>> density_on_grid([0.1, 0.2, 0.7, 5.0], [0.0, 0.5, 1.0]).tolist()
        [1.0, 0.5]
    """
    samples, edges = np.asarray(samples, dtype=np.float64).reshape(-1), np.asarray(edges, dtype=np.float64)
    counts, _ = np.histogram(samples, bins=edges)
    return counts / (max(samples.size, 1) * np.diff(edges))


def game_snapshot(gan, edges, noise) -> dict:
    """One picture's numbers for a 1-D GAN (images of shape (1,)): the density of the generator's samples
    from ``noise`` (a histogram over ``edges``) and the discriminator's D(x) at the bins' centres (σ of its
    logit; its output itself for the least-squares loss), both in evaluation mode."""
    if tuple(gan.image_shape) != (1,):
        raise ValueError(f"the picture of the game is drawn for 1-D data, shape (1,); got {gan.image_shape}")
    edges = np.asarray(edges, dtype=np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    generated = _run(gan.generator, np.asarray(noise)).reshape(-1)
    output = _run(gan.discriminator, centres.reshape(-1, 1)).reshape(-1).astype(np.float64)
    loss = (getattr(gan, "compile_settings", None) or {}).get("loss")
    judged = output if loss == "least_squares" else 1.0 / (1.0 + np.exp(-output))
    return {"centres": centres, "generated": density_on_grid(generated, edges), "discriminator": judged}


class GANGameRecorder(Callback):
    """A ``fit`` callback for a 1-D GAN: snapshots of the generated density and the discriminator's curve at
    the given steps (generator updates; 0 is before training), from fixed noise, for ``plot_gan_game``.

    Args:
        edges: the bins' edges on the x axis (e.g. ``np.linspace(-3, 5, 81)``).
        steps: the steps to take a snapshot after.
        samples: how many generated points make each density.
        seed: the fixed noise's own generator (the training's random stream is not touched).

    Attributes:
        snapshots: one ``game_snapshot`` dict per step taken, with its "step".
    """

    def __init__(self, edges, steps=(0, 10, 100, 1000), samples: int = 5000, seed: int = 0):
        self.edges, self.steps, self.samples, self.seed = np.asarray(edges, float), set(steps), samples, seed
        self.snapshots: list = []

    def on_train_begin(self, logs=None):
        noise = np.random.default_rng(self.seed).standard_normal((self.samples, self.model.latent_dim))
        self.noise, self.step, self.snapshots = noise, 0, []
        self._take()

    def on_batch_end(self, batch, logs=None):
        self.step += 1
        self._take()

    def _take(self):
        if self.step in self.steps:
            self.snapshots.append({"step": self.step, **game_snapshot(self.model, self.edges, self.noise)})


def plot_gan_game(snapshots, real, path=None, title=None):
    """The picture of the GAN game: for each snapshot, the real data's density (filled), the generator's
    density (line) and the discriminator's D(x) (dashed, right axis, with D = ½ dotted), side by side.

    Args:
        snapshots: a ``GANGameRecorder`` or its ``snapshots``.
        real: the real 1-D data (its histogram over the recorder's bins is drawn).
        path: where to write the picture; without it the figure is returned.
    """
    snapshots = getattr(snapshots, "snapshots", snapshots)
    if not snapshots:
        raise ValueError("plot_gan_game needs at least one snapshot (fit with a GANGameRecorder first)")
    plt = _pyplot()
    centres = snapshots[0]["centres"]
    width = centres[1] - centres[0] if len(centres) > 1 else 1.0
    edges = np.concatenate([centres - width / 2, centres[-1:] + width / 2])
    real_density = density_on_grid(real, edges)
    figure, axes = plt.subplots(1, len(snapshots), figsize=(3.2 * len(snapshots), 3.2), sharey=True)
    axes = np.atleast_1d(axes)
    for axis, snapshot in zip(axes, snapshots):
        axis.fill_between(centres, real_density, color="tab:blue", alpha=0.3, label="real data")
        axis.plot(centres, snapshot["generated"], color="tab:green", label="generated")
        right = axis.twinx()
        right.plot(centres, snapshot["discriminator"], "--", color="tab:red", label="D(x)")
        right.axhline(0.5, color="tab:red", lw=0.6, ls=":")
        right.set_ylim(-0.02, 1.02)
        axis.set_title(f"step {snapshot['step']}")
        axis.set_xlabel("x")
    axes[0].set_ylabel("density")
    handles = [*axes[0].get_legend_handles_labels()[0], *right.get_legend_handles_labels()[0]]
    axes[0].legend(handles, ["real data", "generated", "D(x)"], loc="upper left", fontsize=7)
    figure.suptitle(title or "the GAN game: real and generated densities and the discriminator")
    return _save(plt, figure, path)
