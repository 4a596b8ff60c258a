"""Why a deep sigmoid network stops learning: the vanishing-gradient demonstration (CURRICULUM section 4).

Backpropagation multiplies one local derivative per layer on the way from the loss to a weight. The
sigmoid's derivative is at most σ'(0) = 0.25 and much smaller once a unit saturates, so a product such as
the notes' 0.25 · 0.15 · 0.10 · 0.05 · 0.02 = 3.75e−6 reaches the first layers: their gradients, and so
their updates, are millions of times smaller than the last layer's, and the early weights stay where
they started. ReLU's derivative is 1 for every active unit, and He initialization (variance 2/fan_in)
keeps the size of the backward signal from layer to layer, so every layer gets a gradient of the same
order. (The opposite, exploding gradients, is the same product with factors above 1: (1.01)^365 ≈ 37.8
against (0.99)^365 ≈ 0.026.)

``vanishing_gradient_demo()`` builds both networks on the same data and measures each layer's
weight-gradient norm ‖∂L/∂W‖ after one backward pass; ``gradient_norms_by_layer`` does it for any model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassnet import nn as nn_module
from glassnet.autograd.tensor import Tensor, randn, tensor
from glassnet.backend import get_rng, manual_seed
from glassnet.explain.document import Document, Equation, Sym, Table, Text
from glassnet.explain.recorder import record
from glassnet.nn import losses
from glassnet.nn.containers import Sequential
from glassnet.nn.layers import Dense

__all__ = [
    "gradient_norms_by_layer",
    "vanishing_gradient_demo",
    "VanishingGradientResult",
    "gradient_norms_over_time",
    "plot_gradient_norms_over_time",
]

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _weighted_layers(model) -> list:
    """The modules that own a ``weight`` parameter, input side first."""
    return [module for _, module in model.named_modules() if "weight" in dict(module.named_parameters())]


def gradient_norms_by_layer(model, x, y, loss="binary_crossentropy") -> dict:
    """Each layer's weight-gradient norm ‖∂L/∂W‖ (Frobenius) for one batch, input side first.

    Runs one forward and backward pass; the model's ``.grad`` buffers are cleared first and hold this
    batch's gradients afterwards. Nothing is updated.

    Args:
        model: a module; every sub-module with a ``weight`` counts as a layer.
        x, y: the batch (arrays or tensors).
        loss: a loss name or object (as ``compile`` takes).

    Returns:
        ``{layer name: norm}``.

    Example:
        >>> import numpy as np; from glassnet import nn
        >>> model = nn.Sequential([nn.Dense(1)], input_shape=(2,))
        >>> model[0].weight.data[:] = 0.0
        >>> norms = gradient_norms_by_layer(model, np.array([[3.0, 4.0]]), np.array([[1.0]]), "mse")
        >>> round(norms[model[0].name], 6)  # dL/dW = 2 (ŷ - y) x = (-6, -8), norm 10
        10.0
    """
    loss_fn = losses.get(loss)
    model.zero_grad()
    prediction = model(x if isinstance(x, Tensor) else tensor(np.asarray(x)))  # float64 arrays stay float64
    loss_fn(prediction, y).backward()
    return {
        layer.name: float(np.linalg.norm(np.asarray(layer.weight.grad, dtype=np.float64)))
        for layer in _weighted_layers(model)
    }


@dataclass
class VanishingGradientResult:
    """The numbers of ``vanishing_gradient_demo``.

    Attributes:
        depth, width, samples, seed: the set-up.
        sigmoid_init: the initializer of the sigmoid network ("xavier_normal" or "normal").
        sigmoid, relu: weight-gradient norms per layer (layer 1 = input side), float64 arrays.
        sigmoid_local_derivative: the mean local derivative σ'(z) of each sigmoid layer, read from a
            ``record()`` trace of the backward pass (gradient passed / upstream gradient).
    """

    depth: int
    width: int
    samples: int
    seed: int
    sigmoid_init: str
    sigmoid: np.ndarray
    relu: np.ndarray
    sigmoid_local_derivative: np.ndarray = field(repr=False)

    @property
    def sigmoid_ratio(self) -> float:
        """First layer's norm / last layer's, sigmoid network (orders of magnitude below 1)."""
        return float(self.sigmoid[0] / self.sigmoid[-1])

    @property
    def relu_ratio(self) -> float:
        """First layer's norm / last layer's, ReLU + He network (of order 1)."""
        return float(self.relu[0] / self.relu[-1])

    def rows(self) -> list:
        """One row per layer: (layer, sigmoid norm, mean σ'(z), ReLU + He norm)."""
        return [
            (layer + 1, self.sigmoid[layer], self.sigmoid_local_derivative[layer], self.relu[layer])
            for layer in range(self.depth)
        ]

    def table(self, precision: int = 3) -> str:
        """The per-layer norms and the two ratios as plain text."""
        header = f"{'layer':>5}  {'sigmoid ‖∂L/∂W‖':>16}  {'mean σ′(z)':>10}  {'ReLU+He ‖∂L/∂W‖':>16}"
        lines = [header, "-" * len(header)]
        for layer, sigmoid, local, relu in self.rows():
            lines.append(f"{layer:>5}  {sigmoid:>16.{precision}e}  {local:>10.4f}  {relu:>16.{precision}e}")
        lines.append(
            f"first / last layer: sigmoid {self.sigmoid_ratio:.{precision}e}, "
            f"ReLU+He {self.relu_ratio:.{precision}e}"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def to_document(self) -> Document:
        """The table and the explanation as an ``explain.document.Document`` (four formats)."""
        document = Document(f"Vanishing gradients in a {self.depth}-layer network")
        setup = document.section("Set-up")
        setup.add(
            Text(
                f"The same {self.samples} examples of {self.width} features (seed {self.seed}) go "
                f"through two {self.depth}-layer networks of width {self.width}: sigmoid units with "
                f"{self.sigmoid_init} weights, and ReLU units with he_normal weights (both end in one "
                "sigmoid unit, binary cross-entropy). One backward pass; no update."
            )
        )
        norms = document.section("Weight-gradient norm per layer (layer 1 = input side)")
        norm = Sym("‖∂L/∂W‖", r"\|\partial L / \partial W\|")
        headers = [
            "layer",
            Sym(f"sigmoid {norm.text}", rf"\text{{sigmoid }} {norm.latex}"),
            Sym("mean σ′(z)", r"\text{mean } \sigma'(z)"),
            Sym(f"ReLU + He {norm.text}", rf"\text{{ReLU + He }} {norm.latex}"),
        ]
        norms.add(Table(headers, [list(row) for row in self.rows()]))
        first_last = Sym(
            f"‖∂L/∂W⁽¹⁾‖ / ‖∂L/∂W⁽{self.depth}⁾‖".translate(_SUPERSCRIPTS),
            rf"\|\partial L/\partial W^{{[1]}}\| \,/\, \|\partial L/\partial W^{{[{self.depth}]}}\|",
        )
        norms.add(
            Equation(
                Sym(f"sigmoid: {first_last.text}", rf"\text{{sigmoid: }} {first_last.latex}"),
                self.sigmoid_ratio,
            )
        )
        norms.add(
            Equation(
                Sym(f"ReLU + He: {first_last.text}", rf"\text{{ReLU + He: }} {first_last.latex}"),
                self.relu_ratio,
            )
        )
        norms.add(
            Text(
                "Each sigmoid layer multiplies the backward signal by ",
                Sym("σ′(z) ≤ 0.25", r"\sigma'(z) \le 0.25"),
                " (the notes' product ",
                Sym(
                    "0.25 · 0.15 · 0.10 · 0.05 · 0.02 = 3.75e−6",
                    r"0.25 \cdot 0.15 \cdot 0.10 \cdot 0.05 \cdot 0.02 = 3.75 \times 10^{-6}",
                ),
                "), so the first layers barely learn; ReLU passes the signal unchanged through active units "
                "and He weights keep its size.",
            )
        )
        return document

    def plot(self, path=None):
        """Both networks' norms per layer on a log scale; returns the path written or the figure."""
        from glassnet.explain.plots import _pyplot, _save  # noqa: PLC0415 - matplotlib only when drawn

        plt = _pyplot()
        figure, axis = plt.subplots(figsize=(6.5, 4.2))
        layers = np.arange(1, self.depth + 1)
        axis.semilogy(layers, self.sigmoid, marker="o", label=f"sigmoid, {self.sigmoid_init}")
        axis.semilogy(layers, self.relu, marker="s", label="ReLU, he_normal")
        axis.set_xticks(layers)
        axis.set_xlabel("layer (1 = input side)")
        axis.set_ylabel("‖∂L/∂W‖")
        axis.set_title(
            f"first/last: sigmoid {self.sigmoid_ratio:.1e}, ReLU+He {self.relu_ratio:.1e}", fontsize=10
        )
        axis.grid(alpha=0.3, which="both")
        axis.legend()
        return _save(plt, figure, path)


def _network(depth: int, width: int, activation: str, init: str) -> Sequential:
    hidden = [
        Dense(width, activation=activation, weight_init=init, dtype="float64") for _ in range(depth - 1)
    ]
    output = Dense(1, activation="sigmoid", weight_init=init, dtype="float64")
    return Sequential([*hidden, output], input_shape=(width,))


def vanishing_gradient_demo(
    depth: int = 10, width: int = 32, samples: int = 256, seed: int = 0, sigmoid_init: str = "xavier_normal"
) -> VanishingGradientResult:
    """A deep sigmoid MLP against a ReLU + He one, on the same data: each layer's gradient norm.

    Data: ``samples`` standard-normal rows of ``width`` features, label 1 where the features sum to more
    than 0. Network 1: ``depth`` dense layers of ``width`` sigmoid units (``sigmoid_init`` weights:
    Xavier/Glorot normal by default, or "normal" for the small N(0, 0.05²) weights of older texts, which
    vanish faster still). Network 2: the same with ReLU units and He-normal weights. Both end in one sigmoid
    unit with binary cross-entropy, all in float64. ``gn.manual_seed(seed)`` is called first, so a seed
    gives the same numbers every time (and glassnet's generator is left in that seeded state).

    With the defaults the sigmoid network's first layer gets a gradient about 1e-5 times its last layer's
    (every sigmoid layer multiplies the backward signal by σ'(z) ≤ 0.25: the notes'
    0.25 · 0.15 · 0.10 · 0.05 · 0.02 = 3.75e−6 is such a product), while the ReLU + He network's ratio is
    of order 1.

    Args:
        depth: dense layers per network (the output unit included), >= 2.
        width: units per hidden layer (and input features).
        samples: examples in the batch.
        seed: the seed of the weights and the data.
        sigmoid_init: the sigmoid network's weight initializer.

    Returns:
        A ``VanishingGradientResult`` (print it for the table; ``.plot(path)`` draws it).

    Example:
        >>> result = vanishing_gradient_demo(depth=10, seed=0)
        >>> result.sigmoid_ratio < 1e-3 < 1e-1 < result.relu_ratio < 10
        True
    """
    if not isinstance(depth, int) or depth < 2:
        raise ValueError(f"vanishing_gradient_demo: depth must be an integer >= 2, got {depth!r}")
    manual_seed(seed)
    x = randn(samples, width, dtype="float64").numpy()
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float64)
    sigmoid_net = _network(depth, width, "sigmoid", sigmoid_init)
    relu_net = _network(depth, width, "relu", "he_normal")
    with record() as trace:
        sigmoid_norms = gradient_norms_by_layer(sigmoid_net, x, y)
    local = []
    for op in trace.ops:
        if op.name == "sigmoid":
            local.append(float(np.nanmean(op.local_derivative())))  # NaN where the upstream gradient is 0
    relu_norms = gradient_norms_by_layer(relu_net, x, y)
    return VanishingGradientResult(
        depth=depth,
        width=width,
        samples=samples,
        seed=seed,
        sigmoid_init=sigmoid_init,
        sigmoid=np.array(list(sigmoid_norms.values())),
        relu=np.array(list(relu_norms.values())),
        sigmoid_local_derivative=np.array(local),
    )


def gradient_norms_over_time(
    kind: str = "SimpleRNN", steps: int = 50, units: int = 16, features: int = 4, seed: int = 0
) -> np.ndarray:
    """The vanishing gradient over time: ‖∂L/∂x_t‖ for t = 1..steps, where L is the sum of a recurrent
    layer's last output on a random sequence. For a SimpleRNN (tanh) the norm falls roughly geometrically
    going back in time (each step multiplies by f'(z) W_h); an LSTM's cell state carries it further.

    Args:
        kind: "SimpleRNN", "LSTM" or "GRU" (glassnet.nn layers, default initialization, float64).
        steps, units, features: the sequence length and sizes; seed: glassnet's seed for weights and data.

    Returns:
        The norms, oldest step first (a NumPy array of length ``steps``).
    """
    manual_seed(seed)
    layer = getattr(nn_module, kind)(units, dtype="float64")
    x = Tensor(get_rng().standard_normal((1, steps, features)), requires_grad=True)
    layer(x).sum().backward()
    return np.linalg.norm(x.grad[0], axis=-1)


def plot_gradient_norms_over_time(path=None, steps: int = 50, kinds=("SimpleRNN", "LSTM"), seed: int = 0):
    """Plot ``gradient_norms_over_time`` for each kind on a log scale; returns the path or the figure."""
    from glassnet.explain.plots import _pyplot  # noqa: PLC0415 - matplotlib is optional

    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6.5, 3.8))
    for kind in kinds:
        axis.semilogy(range(1, steps + 1), gradient_norms_over_time(kind, steps, seed=seed), label=kind)
    axis.set_xlabel("time step t (the loss is at the last step)")
    axis.set_ylabel("‖∂L/∂x_t‖")
    axis.set_title("Gradient reaching each time step")
    axis.grid(alpha=0.3, which="both")
    axis.legend()
    figure.tight_layout()
    if path is None:
        return figure
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
