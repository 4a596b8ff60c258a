"""Worked solutions of training steps, in the notes' own layout (CURRICULUM section 2):

1. the forward pass layer by layer, each pre-activation with the numbers substituted
   (z₁⁽¹⁾ = x₁w₁₁⁽¹⁾ + ... + b₁⁽¹⁾ = 2·1 + 3·2 + 5·3 + 6·2 + 0 = 35) and then its activation;
2. the loss with numbers;
3. the local derivatives, each with its formula and value;
4. for each weight, the chain rule: dL/dw = dL/dŷ · dŷ/dz · dz/dw, one product per path from the weight
   to the loss, summed over paths where the weight reaches the output by several;
5. the same in matrix form (the delta rule): δ⁽ᴸ⁾ = dL/dz⁽ᴸ⁾, δ⁽ˡ⁾ = (δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾ᵀ) ⊙ f'(z⁽ˡ⁾),
   dL/dW⁽ˡ⁾ = a⁽ˡ⁻¹⁾ᵀ δ⁽ˡ⁾;
6. the update, w_new = w_old − η·dL/dw with numbers for SGD, and the optimizer's state for the others.

Every number comes from glassnet's own ops and autograd (the local derivatives are taken by backward
through the layer's activation and the loss); the path products are then summed independently and
checked against autograd's gradient, so a solution that printed a wrong product would say so.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.explain import notation
from glassnet.explain.document import Document, Equation, Expr, ShowsDocument, Sym, Table, Text, sym
from glassnet.explain.recorder import record
from glassnet.nn import losses as losses_module
from glassnet.nn.activations import Activation
from glassnet.nn.layers.dense import Dense
from glassnet.ops.linalg import linear
from glassnet.optim.sgd import SGD

__all__ = ["WorkedStep", "worked_step", "MAX_PATHS", "jacobian_by_backward", "gradient_by_backward"]

MAX_PATHS = 64  # beyond this many paths per weight, only the matrix form is written out


@dataclass
class _Layer:
    """The numbers of one dense layer in the step."""

    weight: np.ndarray
    bias: np.ndarray | None
    activation: str
    module: object = None  # the activation module, whose op holds the formula shown
    z: np.ndarray = None
    a: np.ndarray = None
    jacobian: np.ndarray = None  # d a / d z, (units, units): diagonal for element-wise activations


@dataclass
class WorkedStep(ShowsDocument):
    """One training step worked out: ``document`` (print it with ``to_text``/``to_markdown``/``to_latex``/
    ``to_html``), the gradients summed from the chain-rule products (``path_gradients``) and autograd's
    (``autograd_gradients``), by parameter name ("0.weight", ...), the loss, and the values before and after.
    """

    document: Document
    loss: float
    path_gradients: dict = field(default_factory=dict)
    autograd_gradients: dict = field(default_factory=dict)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)

    def max_discrepancy(self) -> float:
        """The largest |path sum − autograd| over all weights (0 up to rounding)."""
        return max(
            (
                float(np.max(np.abs(self.path_gradients[k] - self.autograd_gradients[k])))
                for k in self.path_gradients
            ),
            default=0.0,
        )


def _dense_layers(model) -> list:
    layers = list(model) if hasattr(model, "__iter__") else [model]
    for layer in layers:
        if not isinstance(layer, Dense):
            raise TypeError(
                f"worked solutions are written for networks of Dense layers; {layer.name!r} is a "
                f"{type(layer).__name__}"
            )
    return layers


def jacobian_by_backward(function, z: np.ndarray) -> np.ndarray:
    """d function(z) / d z by backward passes through glassnet's own op, one output unit at a time."""
    leaf = Tensor(z.copy(), requires_grad=True)
    out = function(leaf)
    rows = []
    for k in range(out.shape[-1]):
        leaf.grad = None
        seed = np.zeros_like(out.data)
        seed[..., k] = 1
        out.backward(seed, retain_graph=True)
        rows.append(leaf.grad.reshape(-1).copy())
    return np.array(rows)


def gradient_by_backward(function, value: np.ndarray) -> np.ndarray:
    """d function(value) / d value for a scalar function (the loss), by glassnet's own backward."""
    leaf = Tensor(value.copy(), requires_grad=True)
    function(leaf).backward()
    return leaf.grad.reshape(-1).copy()


def _activation_name(layer: Dense) -> str:
    activation = layer.activation
    return type(activation).__name__ if isinstance(activation, Activation) else "f"


def _activation_module(layer: Dense):
    """The layer's activation module (whose op holds its formula), or None for a plain callable."""
    return layer.activation if isinstance(layer.activation, Activation) else None


def worked_step(
    model,
    x,
    y,
    loss="binary_crossentropy",
    optimizer=None,
    lr: float = 0.01,
    precision: int = 6,
    title: str | None = None,
    focus: tuple | None = None,
) -> WorkedStep:
    """Take one training step of ``model`` on one example and write it out as the notes do.

    Args:
        model: a ``Sequential`` of ``Dense`` layers (any activations), built.
        x: one input example (a vector, or a batch of one).
        y: its target (a number, a vector, or an integer label for sparse categorical cross-entropy).
        loss: a loss name or object.
        optimizer: the optimizer to step with (bound to the model's parameters, or not yet bound); by
            default plain gradient descent with learning rate ``lr`` (the notes' η).
        precision: decimals printed.
        focus: one parameter element, ``(name, index)`` as ``("1.weight", (0, 2))`` (0-based, the names of
            ``model.named_parameters()``): the chain rule and the update are written for it alone (the
            forward pass and the local derivatives stay whole: its paths need them). Every gradient is
            still computed and checked.

    Returns:
        A ``WorkedStep``; the model's parameters are updated, as in a real step.

    Example:
        >>> import numpy as np, glassnet as gn
        >>> from glassnet import nn
        >>> gn.set_default_dtype("float64")
        >>> model = nn.Sequential([nn.Dense(1, activation="sigmoid", weight_init="ones")], input_shape=(2,))
        >>> step = worked_step(model, [1.0, 2.0], 1.0)
        >>> round(step.loss, 6), step.max_discrepancy() < 1e-12
        (0.048587, True)
        >>> gn.set_default_dtype("float32")
    """
    layers = _dense_layers(model)
    focus = _check_focus(model, focus)
    loss_fn = losses_module.get(loss)
    dtype = layers[0].weight.dtype
    x = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=dtype).reshape(1, -1)
    target = np.asarray(y.data if isinstance(y, Tensor) else y)
    if target.ndim == 0:
        target = target.reshape(1)
    if optimizer is None:
        optimizer = SGD(lr=lr)
    if not optimizer.param_groups:
        optimizer.bind(model.parameters())

    # Forward, with every pre-activation and activation kept; the loss; backward; the update.
    numbers = [
        _Layer(
            layer.weight.data.copy(),
            None if layer.bias is None else layer.bias.data.copy(),
            _activation_name(layer),
            _activation_module(layer),
        )
        for layer in layers
    ]
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    with record() as trace:
        out = Tensor(x)
        outputs = []
        for layer, info in zip(layers, numbers):
            z = linear(out, layer.weight, layer.bias)
            z.retain_grad()
            out = layer.activation(z)
            info.z, info.a = z.data.reshape(-1).copy(), out.data.reshape(-1).copy()
            outputs.append(z)
        prediction = out
        loss_tensor = loss_fn(
            prediction,
            target.reshape(prediction.shape[:-1])
            if target.dtype.kind in "iu"
            else target.reshape(prediction.shape).astype(dtype),
        )
        optimizer.zero_grad()
        loss_tensor.backward()
        autograd = {name: p.grad.copy() for name, p in model.named_parameters() if p.grad is not None}
        optimizer.step()
    after = {name: p.data.copy() for name, p in model.named_parameters()}

    for layer, info in zip(layers, numbers):
        info.jacobian = jacobian_by_backward(layer.activation, info.z.reshape(1, -1))
    loss_target = target if target.dtype.kind in "iu" else target.reshape(1, -1).astype(dtype)
    dloss = gradient_by_backward(
        lambda p: loss_fn(
            p, loss_target.reshape(p.shape[:-1]) if loss_target.dtype.kind in "iu" else loss_target
        ),
        numbers[-1].a.reshape(1, -1),
    )

    document = Document(
        title or f"One training step of a {'-'.join(str(w) for w in _widths(numbers))} network",
        precision=precision,
    )
    step = WorkedStep(
        document=document, loss=loss_tensor.item(), autograd_gradients=autograd, before=before, after=after
    )
    _write_network(document, numbers, x)
    _write_forward(document, numbers, x)
    _write_loss(document, loss_fn, numbers[-1].a, target, loss_tensor.item())
    _write_local_derivatives(document, loss_fn, numbers, target, dloss)
    step.path_gradients = _write_chain_rule(document, numbers, x, dloss, focus)
    _write_delta_rule(document, numbers, x, dloss)
    _write_update(document, trace, model, optimizer, focus)
    return step


def _check_focus(model, focus):
    """``focus`` as (name, index tuple), or a ValueError naming the parameters and their shapes."""
    if focus is None:
        return None
    shapes = {name: p.shape for name, p in model.named_parameters()}
    try:
        name, index = focus
        index = tuple(int(i) for i in np.atleast_1d(index))
    except (TypeError, ValueError):
        raise ValueError(
            f"focus must be (parameter name, index), e.g. ('0.weight', (1, 0)); got {focus!r}"
        ) from None
    if name not in shapes:
        raise ValueError(f"focus names parameter {name!r}; the model has {', '.join(shapes)}")
    shape = shapes[name]
    if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape)):
        raise ValueError(f"focus index {index} is outside {name} of shape {tuple(shape)} (0-based indices)")
    return name, index


def _shown(focus, name: str, index: tuple) -> bool:
    """Whether the element ``index`` of parameter ``name`` is written out (all are without a focus)."""
    return focus is None or (focus[0] == name and tuple(focus[1]) == tuple(index))


def _widths(numbers) -> list:
    return [numbers[0].weight.shape[0]] + [info.weight.shape[1] for info in numbers]


def _a(layer: int, index: int) -> Sym:
    """a_i⁽ˡ⁾, with a⁽⁰⁾ written x (the input)."""
    return sym("x", None, index) if layer == 0 else sym("a", layer, index)


def _activations(numbers, x, layer: int) -> np.ndarray:
    return x.reshape(-1) if layer == 0 else numbers[layer - 1].a


def _write_network(document, numbers, x) -> None:
    section = document.section("The network")
    section.add(
        Text(
            "Input ",
            sym("x", None, ()),
            " = ",
            np.array2string(x.reshape(-1), separator=", "),
            "; layers (weights w_ij from input i to unit j, as in the notes):",
        )
    )
    rows = []
    for l, info in enumerate(numbers, 1):
        rows.append(
            [
                f"layer {l}",
                info.weight.shape[1],
                info.activation,
                info.weight,
                info.bias if info.bias is not None else "none",
            ]
        )
    section.add(Table(["layer", "units", "activation", "W", "b"], rows))


def _write_forward(document, numbers, x) -> None:
    section = document.section("Forward pass")
    for l, info in enumerate(numbers, 1):
        inputs = _activations(numbers, x, l - 1)
        for j in range(info.weight.shape[1]):
            symbolic, substituted = [], []
            for i in range(info.weight.shape[0]):
                if i:
                    symbolic.append("+")
                    substituted.append("+")
                symbolic += [_a(l - 1, i + 1), "*", sym("w", l, (i + 1, j + 1))]
                substituted += [float(inputs[i]), "*", float(info.weight[i, j])]
            if info.bias is not None:
                symbolic += ["+", sym("b", l, j + 1)]
                substituted += ["+", float(info.bias[j])]
            section.add(Equation(sym("z", l, j + 1), Expr(symbolic), Expr(substituted), float(info.z[j])))
        for j in range(info.weight.shape[1]):
            section.add(
                Equation(
                    sym("a", l, j + 1),
                    notation.activation_value(info.module, float(info.z[j])),
                    float(info.a[j]),
                )
            )


def _write_loss(document, loss_fn, prediction, target, value: float) -> None:
    section = document.section("Loss")
    shown_target = (
        target
        if target.dtype.kind not in "iu" or target.size == prediction.size
        else np.eye(prediction.size)[int(target.reshape(-1)[0])]
    )
    p = float(prediction[0]) if prediction.size == 1 else prediction
    t = float(shown_target.reshape(-1)[0]) if prediction.size == 1 else shown_target.reshape(-1).astype(float)
    section.add(Equation(Sym("L", "L"), notation.loss_value(loss_fn, p, t, prediction.size), value))


def _write_local_derivatives(document, loss_fn, numbers, target, dloss) -> None:
    section = document.section("Local derivatives")
    last = numbers[-1]
    shown_target = (
        target.reshape(-1).astype(float)
        if target.dtype.kind not in "iu" or target.size == last.a.size
        else np.eye(last.a.size)[int(target.reshape(-1)[0])]
    )
    n = last.a.size
    for k in range(n):
        section.add(
            Equation(
                Sym(f"∂L/∂ŷ{_sub(k + 1, n)}", r"\frac{\partial L}{\partial \hat y" + _lsub(k + 1, n) + "}"),
                notation.loss_derivative(loss_fn, float(last.a[k]), float(shown_target[k]), n),
                float(dloss[k]),
            )
        )
    for l, info in enumerate(numbers, 1):
        diagonal = _is_diagonal(info.jacobian)
        for j in range(info.a.size):
            columns = [j] if diagonal else range(info.a.size)
            for m in columns:
                section.add(
                    Equation(
                        _partial(sym("a", l, j + 1), sym("z", l, m + 1)),
                        notation.activation_derivative(info.module, float(info.z[m]), float(info.a[j])),
                        float(info.jacobian[j, m]),
                    )
                )
    section.add(
        Text(
            "and dz_j⁽ˡ⁾/da_i⁽ˡ⁻¹⁾ = w_ij⁽ˡ⁾, dz_j⁽ˡ⁾/dw_ij⁽ˡ⁾ = a_i⁽ˡ⁻¹⁾ (x_i for the first layer), "
            "dz_j⁽ˡ⁾/db_j⁽ˡ⁾ = 1."
        )
    )


def _sub(k: int, n: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")) if n > 1 else ""


def _lsub(k: int, n: int) -> str:
    return f"_{{{k}}}" if n > 1 else ""


def _partial(top: Sym, bottom: Sym) -> Sym:
    return Sym(
        f"∂{top.text}/∂{bottom.text}", r"\frac{\partial " + top.latex + r"}{\partial " + bottom.latex + "}"
    )


def _is_diagonal(matrix: np.ndarray) -> bool:
    return bool(np.all(matrix == np.diag(np.diag(matrix))))


def _paths(numbers, layer: int, unit: int):
    """Every path from unit ``unit`` of layer ``layer`` (1-based layer) to an output of the loss: for each
    later layer the pre-activation unit m and the activation unit k it leads to."""
    choices = []
    for l in range(layer, len(numbers) + 1):
        info = numbers[l - 1]
        units = range(info.a.size)
        diagonal = _is_diagonal(info.jacobian)
        if l == layer:
            pairs = [(unit, unit)] if diagonal else [(unit, k) for k in units]
        else:
            pairs = [(m, m) for m in units] if diagonal else [(m, k) for m in units for k in units]
        choices.append(pairs)
    return itertools.product(*choices)


def _path_terms(numbers, layer: int, path, dloss):
    """The factors of one path, from dL/dŷ down to dz/dw (without it), as (symbol, value) pairs."""
    factors = []
    n = numbers[-1].a.size
    (m_last, k_last) = path[-1]
    factors.append(
        (
            Sym(
                f"∂L/∂ŷ{_sub(k_last + 1, n)}",
                r"\frac{\partial L}{\partial \hat y" + _lsub(k_last + 1, n) + "}",
            ),
            float(dloss[k_last]),
        )
    )
    for position in range(len(path) - 1, -1, -1):
        l = layer + position
        m, k = path[position]
        info = numbers[l - 1]
        factors.append((_partial(sym("a", l, k + 1), sym("z", l, m + 1)), float(info.jacobian[k, m])))
        if position > 0:
            _, k_below = path[position - 1]
            factors.append(
                (_partial(sym("z", l, m + 1), sym("a", l - 1, k_below + 1)), float(info.weight[k_below, m]))
            )
    return factors


def _write_chain_rule(document, numbers, x, dloss, focus=None) -> dict:
    section = document.section(
        "Backward pass: the chain rule for each weight" if focus is None else "Backward pass: the chain rule"
    )
    gradients = {}
    deltas = _deltas(numbers, dloss)
    for l in range(len(numbers), 0, -1):
        info = numbers[l - 1]
        inputs = _activations(numbers, x, l - 1)
        grad_w = np.zeros_like(info.weight, dtype=np.float64)
        grad_b = np.zeros(info.weight.shape[1])
        for j in range(info.weight.shape[1]):
            count = _path_count(numbers, l, j)
            if count > MAX_PATHS:
                # too many paths to write (or to enumerate): δ by the matrix form, still not autograd's
                per_path, delta = None, float(deltas[l][j])
                # a focus on a weight into this unit, or on its bias: both end in index j
                if focus is None or (focus[0].startswith(f"{l - 1}.") and focus[1][-1] == j):
                    note = f"unit {j + 1} of layer {l} reaches the loss by {count} paths: see the matrix form"
                    section.add(Text(note))
            else:
                per_path = [_path_terms(numbers, l, path, dloss) for path in _paths(numbers, l, j)]
                delta = sum(float(np.prod([v for _, v in factors])) for factors in per_path)
            grad_b[j] = delta
            for i in range(info.weight.shape[0]):
                grad_w[i, j] = delta * float(inputs[i])
                if per_path is not None and _shown(focus, f"{l - 1}.weight", (i, j)):
                    section.add(
                        _chain_equation(
                            sym("w", l, (i + 1, j + 1)),
                            per_path,
                            (_partial(sym("z", l, j + 1), sym("w", l, (i + 1, j + 1))), float(inputs[i])),
                            grad_w[i, j],
                        )
                    )
            shown = _shown(focus, f"{l - 1}.bias", (j,))
            if info.bias is not None and per_path is not None and shown:
                section.add(
                    _chain_equation(
                        sym("b", l, j + 1),
                        per_path,
                        (_partial(sym("z", l, j + 1), sym("b", l, j + 1)), 1.0),
                        grad_b[j],
                    )
                )
        gradients[f"{l - 1}.weight"] = grad_w
        if info.bias is not None:
            gradients[f"{l - 1}.bias"] = grad_b
    return gradients


def _path_count(numbers, layer: int, unit: int) -> int:
    """How many paths ``_paths`` would list, counted without listing them."""
    count = 1
    for l in range(layer, len(numbers) + 1):
        info = numbers[l - 1]
        units = info.a.size
        fan = 1 if _is_diagonal(info.jacobian) else units
        count *= fan if l == layer else units * fan
    return count


def _deltas(numbers, dloss) -> dict:
    """δ⁽ˡ⁾ = dL/dz⁽ˡ⁾ for each layer by the delta rule: δ⁽ᴸ⁾ = dL/dŷ · J⁽ᴸ⁾, δ⁽ˡ⁾ = (δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾ᵀ) J⁽ˡ⁾."""
    delta = dloss @ numbers[-1].jacobian
    deltas = {len(numbers): delta}
    for l in range(len(numbers) - 1, 0, -1):
        delta = (delta @ numbers[l].weight.T) @ numbers[l - 1].jacobian
        deltas[l] = delta
    return deltas


def _chain_equation(parameter: Sym, per_path, last_factor, value: float) -> Equation:
    symbolic, substituted = [], []
    for number, factors in enumerate(per_path):
        if number:
            symbolic.append("+")
            substituted.append("+")
        for position, (symbol, factor) in enumerate([*factors, last_factor]):
            if position:
                symbolic.append("*")
                substituted.append("*")
            symbolic.append(symbol)
            substituted.append(factor)
    return Equation(_partial(Sym("L", "L"), parameter), Expr(symbolic), Expr(substituted), value)


def _write_delta_rule(document, numbers, x, dloss) -> None:
    section = document.section("The same in matrix form (delta rule)")
    deltas = _deltas(numbers, dloss)
    for l in range(len(numbers), 0, -1):
        d_sym = Sym(f"δ{_sup(l)}", r"\delta^{[" + str(l) + "]}")
        if l == len(numbers):
            formula = Sym(
                f"(∂L/∂ŷ) · ∂a{_sup(l)}/∂z{_sup(l)}",
                r"\frac{\partial L}{\partial \hat y} \frac{\partial a^{["
                + str(l)
                + r"]}}{\partial z^{["
                + str(l)
                + "]}}",
            )
        else:
            formula = Sym(
                f"(δ{_sup(l + 1)} W{_sup(l + 1)}ᵀ) ⊙ f'(z{_sup(l)})",
                r"(\delta^{["
                + str(l + 1)
                + r"]} W^{["
                + str(l + 1)
                + r"]\top}) \odot f'(z^{["
                + str(l)
                + "]})",
            )
        section.add(Equation(d_sym, formula, deltas[l]))
        inputs = _activations(numbers, x, l - 1)
        previous = "x" if l == 1 else f"a{_sup(l - 1)}"
        previous_latex = "x" if l == 1 else "a^{[" + str(l - 1) + "]}"
        section.add(
            Equation(
                Sym(f"∂L/∂W{_sup(l)}", r"\frac{\partial L}{\partial W^{[" + str(l) + "]}}"),
                Sym(f"{previous}ᵀ δ{_sup(l)}", previous_latex + r"^\top \delta^{[" + str(l) + "]}"),
                np.outer(inputs, deltas[l]),
            )
        )


def _sup(layer: int) -> str:
    return f"({layer})".translate(str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾"))


def _write_update(document, trace, model, optimizer, focus=None) -> None:
    section = document.section("Update")
    names = {id(p): name for name, p in model.named_parameters()}
    plain_sgd = isinstance(optimizer, SGD) and all(
        g.get("momentum", 0) == 0 and g.get("weight_decay", 0) == 0 for g in optimizer.param_groups
    )
    if plain_sgd:
        lr = optimizer.param_groups[0]["lr"]
        section.add(Text(f"Gradient descent: w_new = w_old - η · ∂L/∂w with η = {lr:g}."))
    rows = []
    for step in trace.steps:
        name = names.get(id(step.param), "?")
        layer, kind = name.split(".")
        letter = "w" if kind == "weight" else "b"
        for index in np.ndindex(step.value_before.shape):
            if not _shown(focus, name, index):
                continue
            unit = tuple(i + 1 for i in index)
            symbol = sym(letter, int(layer) + 1, unit)
            old, grad, new = step.value_before[index], step.grad[index], step.value_after[index]
            if plain_sgd:
                section.add(
                    Equation(
                        Sym(symbol.text + " new", symbol.latex + r"_{\text{new}}"),
                        Expr([float(old), "-", float(step.hyperparameters["lr"]), "*", float(grad)]),
                        float(new),
                    )
                )
            else:
                rows.append([symbol, float(old), float(grad), float(new)])
    if rows:
        section.add(
            Text(f"{type(optimizer).__name__} (convention {optimizer.convention!r}) moved each parameter:")
        )
        section.add(Table(["parameter", "before", "gradient", "after"], rows))
