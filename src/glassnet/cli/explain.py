"""``glassnet explain FILE``: print the worked solution that a small TOML file describes.

Kinds of file (``kind = ...``, "network" by default):

- "network": layers with given weights (``weights``, ``bias``) or drawn with ``seed``, an ``input`` (or
  several ``inputs``), ``target``/``targets``, ``loss``, ``optimizer`` and ``steps``. One step on one example
  prints the full worked solution; more steps add a per-step table of the loss and every parameter.
- "perceptron": a logic ``gate`` learned by Rosenblatt's rule (``threshold``, ``learning_rate``,
  ``initial_weights``, ``use_bias``), printed as the case-by-case table of the notes.
- "derivative": ``function`` (an activation, a loss or "chain_rule_drill") decomposed into primitive ops
  at ``x``, each local derivative and their product.
- "bptt": a SimpleRNN (``units``, ``activation``, ``w_i``, ``w_h``, ``b``) and a dense head (``w_o``, ``b_o``,
  ``output_activation``) on a ``sequence`` with a ``target`` and ``loss``: backpropagation through time,
  ∂L/∂W_h and ∂L/∂W_i as sums over the time steps.
- "gan": the GAN objective on a 1-D toy: data x from N(``mu``, ``sigma``) (``m`` points drawn with ``seed``,
  or given as ``x``), noise ``z`` (drawn, or given), a generator g(z) = ``a`` z + ``b`` and a logistic
  discriminator σ(``w`` x + ``c``): one discriminator step and one generator step (``loss``, ``lr_d``,
  ``lr_g``, ``label_smoothing``), each loss and gradient with its factors.
- "gcn": one GCN layer on a small graph (``x``, ``edges`` as pairs [j, i], made undirected unless
  ``directed``, ``weight``, ``target``, ``loss``): A, A + I, the degree matrix, the normalized adjacency,
  each node's aggregated message, the output, and ∂L/∂W[``grad_weight``] as a sum over the nodes.
- "gat": one GAT attention coefficient (``x``, ``edges``, ``weight``, ``attention_source``,
  ``attention_target``, ``target``, ``node``, ``neighbour``): the scores with LeakyReLU 0.2, the softmax
  over the node's neighbourhood, and the gradient of the coefficient and of its score.
- "optimizer": an ``optimizer`` (type and hyperparameters) over given ``gradients`` from ``w0``: the table of
  its state and effective learning rate, step by step.

The files of the notes' examples are in examples/explain/.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from glassnet import backend, nn, optim
from glassnet.cli.help import plain
from glassnet.explain import Document, derive, optimizer_table, worked_step
from glassnet.explain.bptt import worked_bptt
from glassnet.explain.document import Table, Text
from glassnet.explain.gan import worked_gan_step
from glassnet.explain.gnn import worked_gat, worked_gcn
from glassnet.io.config import read_toml
from glassnet.models.exercises import perceptron_document


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "explain",
        help="print the worked solution a TOML file describes (examples/explain/)",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the TOML description")
    parser.add_argument(
        "--format",
        default="text",
        choices=["text", "md", "tex", "html"],
        help="terminal text (default), Markdown, LaTeX or HTML",
    )
    parser.add_argument("--precision", type=int, default=6, help="decimals printed (default 6)")
    parser.add_argument("--output", help="write to this file instead of the terminal")
    parser.set_defaults(run=run)


def run(args) -> int:
    path = Path(args.file)
    spec = read_toml(path, "explain file")
    document = explain_document(spec, str(path))
    if args.format == "tex" and args.output:
        text = document.to_latex(args.precision, standalone=True)
    elif args.format == "html":  # for a file or a browser: a whole page, with its charset
        text = document.to_html(args.precision, standalone=True)
    else:
        text = document.render(args.format, args.precision)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


def explain_document(spec: dict, source: str = "<spec>") -> Document:
    """The Document for an explain description (a parsed TOML table)."""
    kind = spec.get("kind", "network")
    builders = {
        "network": _network,
        "perceptron": _perceptron,
        "derivative": _derivative,
        "optimizer": _optimizer_table,
        "bptt": _bptt,
        "gan": _gan,
        "gcn": _gcn,
        "gat": _gat,
    }
    if kind not in builders:
        raise ValueError(f"{source}: kind {kind!r}; valid: {', '.join(builders)}")
    return builders[kind](spec, source)


def _network(spec: dict, source: str) -> Document:
    layers = spec.get("layers")
    if not layers:
        raise ValueError(f"{source}: a network needs [[layers]] with units (and weights or a seed)")
    inputs = spec.get("inputs", [spec["input"]] if "input" in spec else None)
    targets = spec.get("targets", [spec["target"]] if "target" in spec else None)
    if inputs is None or targets is None or len(inputs) != len(targets):
        raise ValueError(f"{source}: give input and target (or inputs and targets of the same length)")
    previous = backend.get_default_dtype()
    backend.set_default_dtype("float64")  # worked solutions are exact
    try:
        model = _build(layers, len(inputs[0]), spec.get("seed", 0), source)
        optimizer = _optimizer(spec.get("optimizer", {"type": "SGD", "lr": 0.01}), source)
        optimizer.bind(model.parameters())
        loss = spec.get("loss", "mse")
        steps = int(spec.get("steps", 1))
        document, rows = None, []
        for step in range(1, steps + 1):
            for number, (x, y) in enumerate(zip(inputs, targets), 1):
                title = (
                    spec.get("title")
                    if len(inputs) == 1
                    else f"{spec.get('title', 'Example')}, case {number}"
                )
                solution = worked_step(model, x, y, loss=loss, optimizer=optimizer, title=title)
                if step == 1:
                    document = _join(document, solution.document)
                rows.append([step, number, solution.loss] + [solution.after[k] for k in solution.after])
        if steps > 1 or len(inputs) > 1:
            names = [name for name, _ in model.named_parameters()]
            section = document.section("Per step")
            section.add(Text("The loss of each step and every parameter after its update:"))
            section.add(Table(["step", "case", "loss", *names], rows))
        return document
    finally:
        backend.set_default_dtype(previous)


def _join(first: Document | None, second: Document) -> Document:
    if first is None:
        return second
    for section in second.sections:
        section.title = f"{second.title}: {section.title}"
    first.sections += second.sections
    return first


def _build(layers: list, inputs: int, seed: int, source: str) -> nn.Sequential:
    backend.manual_seed(seed)
    dense, state = [], {}
    for number, layer in enumerate(layers):
        if "units" not in layer:
            raise ValueError(f"{source}: layer {number + 1} needs units")
        use_bias = layer.get("use_bias", True)
        dense.append(nn.Dense(int(layer["units"]), activation=layer.get("activation"), use_bias=use_bias))
        if "weights" in layer:
            state[f"{number}.weight"] = np.array(layer["weights"], dtype=float)
        if use_bias:
            state[f"{number}.bias"] = np.array(layer.get("bias", [0.0] * int(layer["units"])), dtype=float)
    model = nn.Sequential(dense, input_shape=(inputs,))
    if state:
        model.load_state_dict({**model.state_dict(), **state})
    return model


def _optimizer(spec, source: str):
    if isinstance(spec, str):
        return optim.get(spec)
    spec = dict(spec)
    cls = getattr(optim, spec.pop("type", "SGD"), None)
    if not (isinstance(cls, type) and issubclass(cls, optim.Optimizer)):
        raise ValueError(f"{source}: optimizer type must be one of SGD, Adagrad, Adadelta, RMSProp, Adam")
    return cls(**spec)


def _perceptron(spec: dict, source: str) -> Document:
    spec = {**spec, "weights": spec.get("initial_weights", spec.get("weights"))}
    document, _ = perceptron_document(spec, spec.get("title", "The perceptron"))
    return document


def _derivative(spec: dict, source: str) -> Document:
    return derive(spec.get("function", "sigmoid"), x=spec.get("x", 0.5)).to_document()


def _optimizer_table(spec: dict, source: str) -> Document:
    if "gradients" not in spec:
        raise ValueError(f"{source}: an optimizer explanation needs gradients = [...]")
    table = optimizer_table(
        _optimizer(spec.get("optimizer", "sgd"), source), spec["gradients"], w0=spec.get("w0", 0.0)
    )
    document = table.to_document()
    if "title" in spec:
        document.title = spec["title"]
    return document


def _bptt(spec: dict, source: str) -> Document:
    if "sequence" not in spec or "target" not in spec:
        raise ValueError(f"{source}: a bptt explanation needs sequence = [[...], ...] and target")
    sequence = np.array(spec["sequence"], dtype=float)
    sequence = sequence.reshape(len(sequence), -1)
    units = int(spec.get("units", 1))
    previous = backend.get_default_dtype()
    backend.set_default_dtype("float64")
    try:
        rnn = nn.SimpleRNN(units, activation=spec.get("activation", "tanh"))
        rnn.build((None, len(sequence), sequence.shape[1]))
        head = nn.Dense(np.size(spec["target"]), activation=spec.get("output_activation"))
        head.build((None, units))
        for name, parameter in (
            ("w_i", rnn.kernel),
            ("w_h", rnn.recurrent_kernel),
            ("b", rnn.bias),
            ("w_o", head.weight),
            ("b_o", head.bias),
        ):
            if name in spec:
                parameter.data[...] = np.array(spec[name], dtype=float).reshape(parameter.shape)
        solution = worked_bptt(rnn, head, sequence, spec["target"], loss=spec.get("loss", "mse"))
    finally:
        backend.set_default_dtype(previous)
    if "title" in spec:
        solution.document.title = spec["title"]
    return solution.document


def _gan(spec: dict, source: str) -> Document:
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    m = int(spec.get("m", 4))
    x = spec.get("x")
    if x is None:
        x = rng.normal(float(spec.get("mu", 2.0)), float(spec.get("sigma", 0.5)), m)
    z = spec.get("z")
    if z is None:
        z = rng.standard_normal(np.size(x))
    try:
        parameters = [float(spec.get(name, default)) for name, default in zip("abwc", (1.0, 0.0, 0.5, 0.0))]
        solution = worked_gan_step(
            *parameters, x=np.round(x, 4), z=np.round(z, 4), loss=spec.get("loss", "non_saturating"),
            lr_d=float(spec.get("lr_d", 0.1)), lr_g=float(spec.get("lr_g", 0.1)),
            label_smoothing=float(spec.get("label_smoothing", 0.0)), title=spec.get("title"),
        )  # fmt: skip
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source}: {error}") from None
    return solution.document


def _graph_spec(spec: dict, source: str, kind: str, keys: tuple) -> dict:
    missing = [key for key in ("x", "edges", "weight", "target", *keys) if key not in spec]
    if missing:
        raise ValueError(f"{source}: a {kind} explanation needs {', '.join(missing)} (see examples/explain/)")
    return {key: spec[key] for key in ("x", "edges", "weight", "target", *keys)}


def _gcn(spec: dict, source: str) -> Document:
    arguments = _graph_spec(spec, source, "gcn", ())
    solution = worked_gcn(**arguments, grad_weight=tuple(spec.get("grad_weight", (0, 0))),
                          directed=spec.get("directed", False), loss=spec.get("loss", "mse"))
    if "title" in spec:
        solution.document.title = spec["title"]
    return solution.document


def _gat(spec: dict, source: str) -> Document:
    arguments = _graph_spec(spec, source, "gat", ("attention_source", "attention_target"))
    solution = worked_gat(
        **arguments,
        node=spec.get("node", 0),
        neighbour=spec.get("neighbour"),
        directed=spec.get("directed", False),
        negative_slope=spec.get("negative_slope", 0.2),
        loss=spec.get("loss", "mse"),
    )
    if "title" in spec:
        solution.document.title = spec["title"]
    return solution.document
