"""How activations and losses are written in worked solutions: their formulas as text and LaTeX, with the
numbers put in. Only the display lives here; every value shown comes from the ops' own forward and
backward (``glassnet.ops``), the one home of each formula."""

from __future__ import annotations

from glassnet.explain.document import Template

# activation name -> (a = f(z) with the number z, f'(z) written with the numbers z and a)
ACTIVATIONS = {
    "Sigmoid": (
        ("σ(z) = 1 / (1 + e^(-{z}))", r"\sigma(z) = \frac{{1}}{{1 + e^{{-{z}}}}}"),
        ("σ(z)(1 - σ(z)) = {a}·(1 - {a})", r"\sigma(z)(1 - \sigma(z)) = {a} \cdot (1 - {a})"),
    ),
    "Tanh": (("tanh({z})", r"\tanh({z})"), ("1 - tanh²(z) = 1 - {a}²", r"1 - \tanh^2(z) = 1 - {a}^2")),
    "ReLU": (("max(0, {z})", r"\max(0, {z})"), ("1 if z > 0 else 0, z = {z}", r"[z > 0],\ z = {z}")),
    "LeakyReLU": (
        ("z if z > 0 else αz, z = {z}", r"z \text{{ if }} z > 0 \text{{ else }} \alpha z,\ z = {z}"),
        ("1 if z > 0 else α, z = {z}", r"1 \text{{ if }} z > 0 \text{{ else }} \alpha,\ z = {z}"),
    ),
    "ELU": (
        (
            "z if z > 0 else α(e^z - 1), z = {z}",
            r"z \text{{ if }} z > 0 \text{{ else }} \alpha(e^z - 1),\ z = {z}",
        ),
        ("1 if z > 0 else a + α, z = {z}", r"1 \text{{ if }} z > 0 \text{{ else }} a + \alpha,\ z = {z}"),
    ),
    "SELU": (
        (
            "λ(z if z > 0 else α(e^z - 1)), z = {z}",
            r"\lambda(z \text{{ if }} z > 0 \text{{ else }} \alpha(e^z - 1)),\ z = {z}",
        ),
        (
            "λ if z > 0 else a + λα, z = {z}",
            r"\lambda \text{{ if }} z > 0 \text{{ else }} a + \lambda\alpha,\ z = {z}",
        ),
    ),
    "Identity": (("{z}", "{z}"), ("1", "1")),
    "Step": (("1 if z > θ else 0, z = {z}", r"[z > \theta],\ z = {z}"), ("0", "0")),
    "Softmax": (
        ("e^(z_k) / Σ_j e^(z_j), z_k = {z}", r"\frac{{e^{{z_k}}}}{{\sum_j e^{{z_j}}}},\ z_k = {z}"),
        ("a_k([k = m] - a_m)", r"a_k([k = m] - a_m)"),
    ),
}
GENERIC_ACTIVATION = (("f({z})", "f({z})"), ("f'(z), z = {z}", "f'(z),\\ z = {z}"))


def activation_value(name: str, z: float) -> Template:
    (text, latex), _ = ACTIVATIONS.get(name, GENERIC_ACTIVATION)
    return Template(text, latex, z=z)


def activation_derivative(name: str, z: float, a: float) -> Template:
    _, (text, latex) = ACTIVATIONS.get(name, GENERIC_ACTIVATION)
    return Template(text, latex, z=z, a=a)


# loss class name (+ "/logits") -> (L with the numbers, dL/dŷ_k with the numbers); n is the output count
LOSSES = {
    "BinaryCrossEntropy": (
        (
            "-[y log ŷ + (1 - y) log(1 - ŷ)] = -[{y}·log {p} + (1 - {y})·log(1 - {p})]",
            r"-[y \log \hat y + (1 - y) \log(1 - \hat y)] = -[{y} \log {p} + (1 - {y}) \log(1 - {p})]",
        ),
        (
            "(1/n)(-y/ŷ + (1 - y)/(1 - ŷ)) = (1/{n})(-{y}/{p} + (1 - {y})/(1 - {p}))",
            r"\frac{{1}}{{n}}\left(-\frac{{y}}{{\hat y}} + \frac{{1 - y}}{{1 - \hat y}}\right) = "
            r"\frac{{1}}{{{n}}}\left(-\frac{{{y}}}{{{p}}} + \frac{{1 - {y}}}{{1 - {p}}}\right)",
        ),
    ),
    "BinaryCrossEntropy/logits": (
        (
            "max(z, 0) - zy + log(1 + e^(-|z|)), z = {p}, y = {y}",
            r"\max(z, 0) - zy + \log(1 + e^{{-|z|}}),\ z = {p},\ y = {y}",
        ),
        ("(1/n)(σ(z) - y), z = {p}, y = {y}", r"\frac{{1}}{{n}}(\sigma(z) - y),\ z = {p},\ y = {y}"),
    ),
    "MSE": (
        (
            "(1/n) Σ (ŷ - y)², ŷ = {p}, y = {y}",
            r"\frac{{1}}{{n}} \sum (\hat y - y)^2,\ \hat y = {p},\ y = {y}",
        ),
        ("(2/n)(ŷ - y) = (2/{n})({p} - {y})", r"\frac{{2}}{{n}}(\hat y - y) = \frac{{2}}{{{n}}}({p} - {y})"),
    ),
    "MAE": (
        ("(1/n) Σ |ŷ - y|, ŷ = {p}, y = {y}", r"\frac{{1}}{{n}} \sum |\hat y - y|,\ \hat y = {p},\ y = {y}"),
        (
            "sign(ŷ - y)/n = sign({p} - {y})/{n}",
            r"\operatorname{{sign}}(\hat y - y)/n = \operatorname{{sign}}({p} - {y})/{n}",
        ),
    ),
    "Huber": (
        (
            "(1/n) Σ h(ŷ - y), ŷ = {p}, y = {y}",
            r"\frac{{1}}{{n}} \sum h(\hat y - y),\ \hat y = {p},\ y = {y}",
        ),
        ("h'(ŷ - y)/n, ŷ = {p}, y = {y}", r"h'(\hat y - y)/n,\ \hat y = {p},\ y = {y}"),
    ),
    "CategoricalCrossEntropy": (
        ("-Σ_k y_k log ŷ_k, ŷ_k = {p}, y_k = {y}", r"-\sum_k y_k \log \hat y_k,\ \hat y_k = {p},\ y_k = {y}"),
        ("-y_k/ŷ_k = -{y}/{p}", r"-\frac{{y_k}}{{\hat y_k}} = -\frac{{{y}}}{{{p}}}"),
    ),
    "CategoricalCrossEntropy/logits": (
        (
            "-Σ_k y_k log softmax(z)_k, z_k = {p}, y_k = {y}",
            r"-\sum_k y_k \log \mathrm{{softmax}}(z)_k,\ z_k = {p},\ y_k = {y}",
        ),
        (
            "softmax(z)_k - y_k, z_k = {p}, y_k = {y}",
            r"\mathrm{{softmax}}(z)_k - y_k,\ z_k = {p},\ y_k = {y}",
        ),
    ),
    "SparseCategoricalCrossEntropy": (
        ("-log ŷ_c, ŷ_k = {p}, [k = c] = {y}", r"-\log \hat y_c,\ \hat y_k = {p},\ [k = c] = {y}"),
        ("-[k = c]/ŷ_k = -{y}/{p}", r"-\frac{{[k = c]}}{{\hat y_k}} = -\frac{{{y}}}{{{p}}}"),
    ),
    "SparseCategoricalCrossEntropy/logits": (
        (
            "logsumexp(z) - z_c, z_k = {p}, [k = c] = {y}",
            r"\log\sum_j e^{{z_j}} - z_c,\ z_k = {p},\ [k = c] = {y}",
        ),
        (
            "softmax(z)_k - [k = c], z_k = {p}, [k = c] = {y}",
            r"\mathrm{{softmax}}(z)_k - [k = c],\ z_k = {p},\ [k = c] = {y}",
        ),
    ),
}


def _loss_key(loss) -> str:
    name = type(loss).__name__
    return f"{name}/logits" if getattr(loss, "from_logits", False) else name


def loss_value(loss, prediction: float, target: float, n: int) -> Template:
    (text, latex), _ = LOSSES.get(
        _loss_key(loss), (("L(ŷ = {p}, y = {y})", "L(\\hat y = {p}, y = {y})"), None)
    )
    return Template(text, latex, p=prediction, y=target, n=n)


def loss_derivative(loss, prediction: float, target: float, n: int) -> Template:
    entry = LOSSES.get(_loss_key(loss))
    text, latex = (
        entry[1]
        if entry
        else ("∂L/∂ŷ, ŷ = {p}, y = {y}", r"\partial L/\partial \hat y,\ \hat y = {p},\ y = {y}")
    )
    return Template(text, latex, p=prediction, y=target, n=n)
