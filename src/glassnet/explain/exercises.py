"""Generated exercises: fresh numerical problems with worked solutions, and checking a student's answers.

``generate(kind, seed)`` draws a problem from a seed (so a teacher can hand out seed 7 and mark it later):

| kind       | the problem                                                                          |
|------------|--------------------------------------------------------------------------------------|
| forward    | a small network with small integer or one-decimal weights: every z, a and ŷ          |
| backprop   | the same, with a loss, a target and a learning rate: the loss, every gradient, the update |
| optimizer  | an optimizer (SGD with momentum, Adagrad, RMSProp, Adam) over three given gradients   |
| perceptron | a logic gate learned by Rosenblatt's rule: the final weights (kind added by glassnet.models) |
| shapes     | the output shape and parameter count of each layer of a network                        |

The answers are always computed by glassnet itself (its autograd, optimizers and layers); the question and
the worked solution are ``Document``s, printable in all four formats. ``check(exercise, answers)`` compares
a student's numbers with the solution and says which are wrong and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassnet import backend, nn, optim
from glassnet.autograd.tensor import Tensor
from glassnet.explain.document import Document, Equation, Sym, Table, Text, sym
from glassnet.explain.recorder import record
from glassnet.explain.worked import worked_step
from glassnet.ops.linalg import linear

__all__ = ["Exercise", "KINDS", "generate", "check", "CheckResult", "register_kind", "small_value"]

KINDS = ["forward", "backprop", "optimizer", "shapes"]
# Kinds that need layers above explain (the perceptron lives in glassnet.models) register themselves here.
_REGISTERED: dict = {}
_ACTIVATIONS = ("sigmoid", "relu", "tanh", "linear")
_LOSSES = {"mse": "mean squared error", "binary_crossentropy": "binary cross-entropy"}


@dataclass
class Exercise:
    """A generated problem: ``question`` and ``solution`` documents and the expected ``answers`` by name
    (z1_2 is unit 2 of layer 1, dL/dw2_11 the gradient of w₁₁⁽²⁾, w2_11_new its updated value, ...)."""

    kind: str
    seed: int
    question: Document
    solution: Document
    answers: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)


@dataclass
class CheckResult:
    """Per answer: (name, given, expected, ok); ``missing`` names the answers not given."""

    rows: list
    missing: list

    @property
    def correct(self) -> int:
        return sum(1 for row in self.rows if row[3])

    @property
    def all_correct(self) -> bool:
        return not self.missing and all(row[3] for row in self.rows)

    def __str__(self) -> str:
        lines = []
        for name, given, expected, ok in self.rows:
            if ok:
                lines.append(f"  right  {name} = {given:g}")
            else:
                lines.append(
                    f"  WRONG  {name} = {given:g}: expected {expected:.6g} (off by {given - expected:+.4g})"
                )
        for name in self.missing:
            lines.append(f"  missing {name}")
        total = len(self.rows) + len(self.missing)
        lines.append(f"{self.correct} of {total} right")
        return "\n".join(lines)


def small_value(rng, low=-3, high=3, decimals=False) -> float:
    """A small integer, or with ``decimals`` a one-decimal number, never 0 (so that every weight matters)."""
    while True:
        value = rng.integers(low, high + 1) if not decimals else round(rng.uniform(low, high), 1)
        if value != 0:
            return float(value)


def _network_spec(rng) -> dict:
    inputs, hidden = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    decimals = bool(rng.integers(0, 2))
    activation = str(rng.choice(_ACTIVATIONS[:3]))
    output_activation = str(rng.choice(["sigmoid", "linear"]))
    return {
        "x": [small_value(rng, -2, 3) for _ in range(inputs)],
        "w1": [[small_value(rng, decimals=decimals) for _ in range(hidden)] for _ in range(inputs)],
        "b1": [small_value(rng, -1, 1, decimals) for _ in range(hidden)],
        "w2": [[small_value(rng, decimals=decimals)] for _ in range(hidden)],
        "b2": [small_value(rng, -1, 1, decimals)],
        "activation": activation,
        "output_activation": output_activation,
        "loss": "binary_crossentropy" if output_activation == "sigmoid" else "mse",
        "target": float(rng.integers(0, 2))
        if output_activation == "sigmoid"
        else small_value(rng, -2, 2, True),
        "lr": float(rng.choice([0.1, 0.05, 0.01, 0.5])),
    }


def build_network(spec: dict) -> nn.Sequential:
    """The float64 network of a forward/backprop exercise spec."""
    previous = backend.get_default_dtype()
    backend.set_default_dtype("float64")
    try:
        model = nn.Sequential(
            [
                nn.Dense(len(spec["b1"]), activation=spec["activation"]),
                nn.Dense(1, activation=spec["output_activation"]),
            ],
            input_shape=(len(spec["x"]),),
        )
    finally:
        backend.set_default_dtype(previous)
    model.load_state_dict(
        {
            "0.weight": np.array(spec["w1"]),
            "0.bias": np.array(spec["b1"]),
            "1.weight": np.array(spec["w2"]),
            "1.bias": np.array(spec["b2"]),
        }
    )
    return model


def _network_question(spec: dict, title: str, backprop: bool) -> Document:
    document = Document(title)
    section = document.section("Given")
    section.add(
        Text(
            "Input ",
            sym("x", None, ()),
            " = ",
            np.array(spec["x"]),
            f"; hidden layer: {spec['activation']}, output: {spec['output_activation']}.",
        )
    )
    section.add(
        Table(
            ["layer", "W (rows: inputs, columns: units)", "b"],
            [
                ["1", np.array(spec["w1"]), np.array(spec["b1"])],
                ["2", np.array(spec["w2"]), np.array(spec["b2"])],
            ],
        )
    )
    ask = document.section("Find")
    if backprop:
        ask.add(
            Text(
                f"With target y = {spec['target']:g}, the {_LOSSES[spec['loss']]} loss and one "
                "gradient-descent "
                f"step of learning rate η = {spec['lr']:g}: the loss L, every ∂L/∂w and ∂L/∂b, and the "
                "updated weights."
            )
        )
    else:
        ask.add(Text("Every pre-activation z and activation a, layer by layer, and the output ŷ."))
    return document


def _network_exercise(kind: str, seed: int, rng) -> Exercise:
    spec = _network_spec(rng)
    model = build_network(spec)
    answers = _forward_answers(model, spec)
    backprop = kind == "backprop"
    step = worked_step(
        model,
        spec["x"],
        spec["target"],
        loss=spec["loss"],
        lr=spec["lr"] if backprop else 0.0,
        title=f"Solution of exercise {kind} #{seed}",
    )
    if backprop:
        answers["L"] = step.loss
        for name, gradient in step.autograd_gradients.items():
            layer, kind_ = name.split(".")
            letter = "w" if kind_ == "weight" else "b"
            for index in np.ndindex(gradient.shape):
                key = f"{letter}{int(layer) + 1}_{''.join(str(i + 1) for i in index)}"
                answers[f"dL/d{key}"] = float(gradient[index])
                answers[f"{key}_new"] = float(step.after[name][index])
    solution = step.document
    if not backprop:
        solution.sections = [s for s in solution.sections if s.title in ("The network", "Forward pass")]
    title = "Forward propagation" if not backprop else "Backpropagation and one update"
    return Exercise(
        kind,
        seed,
        _network_question(spec, f"Exercise {kind} #{seed}: {title}", backprop),
        solution,
        answers,
        spec,
    )


def _forward_answers(model, spec: dict) -> dict:
    """Every z and a of the network, by the layers' own ops, before any update."""
    answers, out = {}, Tensor(np.array([spec["x"]], dtype=np.float64))
    for number, layer in enumerate(model, 1):
        z = linear(out, layer.weight, layer.bias)
        out = layer.activation(z)
        for j, (z_j, a_j) in enumerate(zip(z.data.ravel(), out.data.ravel()), 1):
            answers[f"z{number}_{j}"], answers[f"a{number}_{j}"] = float(z_j), float(a_j)
    answers["yhat"] = float(out.data.ravel()[0])
    return answers


_OPTIMIZERS = (
    (
        "SGD",
        {"momentum": 0.9},
        "SGD with momentum β = 0.9 (the notes' exponentially weighted average, V₀ = 0)",
    ),
    ("Adagrad", {"eps": 1e-8}, "Adagrad, ε = 1e-8 inside the square root"),
    ("RMSProp", {"rho": 0.9, "eps": 1e-8}, "RMSProp, β = 0.9, ε = 1e-8 inside the square root"),
    ("Adam", {}, "Adam, β₁ = 0.9, β₂ = 0.999, ε = 1e-8, with bias correction"),
)


def _optimizer_exercise(seed: int, rng) -> Exercise:
    name, options, description = _OPTIMIZERS[int(rng.integers(0, len(_OPTIMIZERS)))]
    lr = float(rng.choice([0.1, 0.01, 0.5]))
    w0 = small_value(rng, -2, 2, True)
    gradients = [small_value(rng, -3, 3, True) for _ in range(3)]
    parameter = nn.Parameter(np.array([w0]))
    optimizer = getattr(optim, name)([parameter], lr=lr, **options)
    rows, answers = [], {}
    with record() as trace:
        for t, g in enumerate(gradients, 1):
            parameter.grad = np.array([g])
            optimizer.step()
            answers[f"w{t}"] = float(parameter.data[0])
    state_names = sorted({k for step in trace.steps for k in step.state})
    for t, step in enumerate(trace.steps, 1):
        rows.append(
            [
                t,
                float(step.grad[0]),
                float(step.value_before[0]),
                *[np.asarray(step.state.get(k, np.nan)).reshape(-1)[0] for k in state_names],
                float(step.value_after[0]),
            ]
        )
    question = Document(f"Exercise optimizer #{seed}: {name}")
    given = question.section("Given")
    given.add(Text(f"{description}; learning rate η = {lr:g}; the weight starts at w₀ = {w0:g}."))
    given.add(
        Text("The gradients of the first three steps: g₁, g₂, g₃ = " + ", ".join(f"{g:g}" for g in gradients))
    )
    question.section("Find").add(Text("The weight after each step: w1, w2, w3 (and the optimizer's state)."))
    solution = Document(f"Solution of exercise optimizer #{seed}")
    section = solution.section(f"{name}, step by step")
    section.add(Text(optimizer.__class__.__doc__.strip().splitlines()[0]))
    section.add(Table(["t", "g", "w before", *state_names, "w after"], rows))
    return Exercise(
        "optimizer",
        seed,
        question,
        solution,
        answers,
        {"optimizer": name, "lr": lr, "w0": w0, "gradients": gradients, **options},
    )


def _shapes_exercise(seed: int, rng) -> Exercise:
    inputs = int(rng.integers(2, 100))
    units = [int(rng.integers(2, 300)) for _ in range(int(rng.integers(2, 4)))]
    model = nn.Sequential([nn.Dense(u) for u in units], input_shape=(inputs,))
    question = Document(f"Exercise shapes #{seed}")
    question.section("Given").add(
        Text(
            f"Inputs of {inputs} features into Dense layers of "
            + ", ".join(str(u) for u in units)
            + " units (with biases)."
        )
    )
    question.section("Find").add(Text("Each layer's output shape and parameter count, and the total."))
    solution = Document(f"Solution of exercise shapes #{seed}")
    section = solution.section("Layer by layer")
    answers, shape = {}, model.input_shape
    for number, layer in enumerate(model, 1):
        section.add(Text(f"layer {number}: {layer.explain_shape(shape)}"))
        shape = layer.compute_output_shape(shape)
        answers[f"units{number}"], answers[f"params{number}"] = shape[-1], layer.count_params()
    answers["total"] = model.count_params()
    section.add(Equation(Sym("total", "\\text{total}"), float(answers["total"])))
    return Exercise("shapes", seed, question, solution, answers, {"inputs": inputs, "units": units})


def register_kind(kind: str, generator) -> None:
    """Add an exercise kind: ``generator(seed, rng) -> Exercise`` (used by glassnet.models for the
    perceptron, which explain cannot import)."""
    if kind not in KINDS:
        KINDS.append(kind)
    _REGISTERED[kind] = generator


def generate(kind: str = "backprop", seed: int = 0) -> Exercise:
    """A fresh exercise of ``kind`` drawn from ``seed`` (the same seed always gives the same exercise)."""
    if kind not in KINDS:
        raise ValueError(f"unknown exercise kind {kind!r}; valid: {', '.join(KINDS)}")
    rng = np.random.default_rng([seed, sum(map(ord, kind))])
    if kind in ("forward", "backprop"):
        return _network_exercise(kind, seed, rng)
    generators = {"optimizer": _optimizer_exercise, "shapes": _shapes_exercise, **_REGISTERED}
    return generators[kind](seed, rng)


def check(exercise: Exercise, answers: dict, rtol: float = 1e-3, atol: float = 5e-4) -> CheckResult:
    """Compare a student's ``answers`` (name -> number) with the exercise's; a number is right within
    ``atol + rtol·|expected|`` (hand computation rounds). Unknown names raise an error listing the valid."""
    unknown = sorted(set(answers) - set(exercise.answers))
    if unknown:
        raise KeyError(
            f"unknown answer names {unknown}; this exercise asks for: {', '.join(exercise.answers)}"
        )
    rows = []
    for name, expected in exercise.answers.items():
        if name in answers:
            given = float(answers[name])
            rows.append((name, given, float(expected), abs(given - expected) <= atol + rtol * abs(expected)))
    missing = [name for name in exercise.answers if name not in answers]
    return CheckResult(rows, missing)
