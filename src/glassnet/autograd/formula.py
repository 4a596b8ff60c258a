"""A formula written once, in LaTeX with named slots; its plain (Unicode) text is derived from it.

Every op carries its math as ``Formula`` objects (``Function.formula``, ``Function.derivative``), and
everything that shows the math reads them: the op's docstring, explain's traces, ``derive()``, the worked
solutions. A slot is ``#name`` (``#x``, ``#y``): shown as its symbol (``Formula(r"(#p - #y)^2",
p=r"\\hat{y}")`` shows ŷ for ``#p``), or filled with another symbol or with a number placeholder.

    >>> f = Formula(r"\\frac{1}{1 + e^{-#x}}")
    >>> f.text(), f.tex()
    ('1 / (1 + e^(-x))', '\\\\frac{1}{1 + e^{-x}}')
    >>> Formula(r"#y(1 - #y)").template(numbers=("y",))
    '{y}·(1 - {y})'

The text rules, so that a formula reads as the notes write it by hand:

- ``\\frac{a}{b}`` is ``a/b`` when both parts are single symbols or numbers (``(a/b)`` where a product
  follows), ``a / (b + c)`` when it is the whole formula, else ``(a)/(b)``;
- ``x^{2}`` is x², ``e^{-x}`` is ``e^(-x)``, ``x_{k}`` is xₖ where Unicode has the subscript;
- Greek letters, ``\\sum``, ``\\partial``, ``\\cdot``, ``\\odot``, ``\\hat{y}`` become their characters;
  ``\\log``, ``\\max``, ``\\text{ if }`` become words; ``\\,`` is an implicit product: a space in the
  symbolic form, ``·`` where a number stands next to it.
"""

from __future__ import annotations

import re

__all__ = ["Formula", "to_text"]

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|#[A-Za-z]+|\s+|.", re.DOTALL)

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "omega": "ω", "Sigma": "Σ", "Delta": "Δ", "sum": "Σ", "prod": "Π", "partial": "∂", "nabla": "∇",
    "cdot": "·", "odot": "⊙", "times": "×", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠",
    "neq": "≠", "to": "→", "infty": "∞", "approx": "≈", "top": "T", "in": "∈", "mid": "|", "lvert": "|",
    "rvert": "|", "ldots": "...", "dots": "...", "cdots": "...", "quad": "  ", "qquad": "    ",
}  # fmt: skip
_WORDS = {"log", "ln", "exp", "max", "min", "tanh", "sin", "cos", "sign", "erf", "sqrt", "arg"}
_SPACES = {",": "", ";": " ", ":": " ", "!": "", " ": " "}
_ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "dot": "\u0307"}
_PRECOMPOSED = {"y\u0302": "ŷ", "a\u0302": "â", "e\u0302": "ê", "o\u0302": "ô", "g\u0302": "ĝ"}
_SUPERSCRIPT = str.maketrans("0123456789+-()T", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ᵀ")
_SUBSCRIPT = str.maketrans("0123456789aehijklmnoprstuvx+-()", "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₊₋₍₎")
_NO_SPACE_BEFORE_PRODUCT = {"cdot", "times", "odot", "le", "leq", "ge", "geq", "ne", "neq", "to", "in", "mid"}


def _parse(tokens: list, stop: str | None = None) -> list:
    """Tokens to a tree: a group is a list; everything else stays a token string."""
    out = []
    while tokens:
        token = tokens.pop(0)
        if token == "{":
            out.append(_parse(tokens, "}"))
        elif token == stop:
            return out
        else:
            out.append(token)
    return out


class _Writer:
    """Renders a parsed formula as Unicode text or as LaTeX, with slots filled.

    ``fills`` maps a slot to ``(text, latex)`` for a symbol, or to ``None`` for a number placeholder
    (``{slot}`` in a ``str.format`` template, where literal braces are then doubled)."""

    def __init__(self, fills: dict, latex: bool, template: bool):
        self.fills, self.latex, self.template = fills, latex, template

    # --- helpers ---
    def _is_number_slot(self, token) -> bool:
        return isinstance(token, str) and token.startswith("#") and self.fills.get(token[1:], 0) is None

    def _brace(self, text: str) -> str:
        return text.replace("{", "{{").replace("}", "}}") if self.template else text

    def _atomic(self, node) -> bool:
        """A single symbol, number or slot (so a fraction of two of them needs no parentheses)."""
        items = [
            n
            for n in (node if isinstance(node, list) else [node])
            if not (isinstance(n, str) and n.isspace())
        ]
        if len(items) == 1 and isinstance(items[0], str):
            return True
        text = self.text_of(node)
        while re.search(r"\([^()]*\)|\[[^\[\]]*\]", text):  # a bracketed group is one factor
            text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", text)
        # a number, or one symbol (with its indices, a function's argument or a power): not a product
        return text == "" or bool(
            re.fullmatch(r"\d+(\.\d+)?|\{\w+\}|√|[∂√]?[^\W\d_][\w\u0302-\u0307ᵀ⁰-⁹₀-₉ₐ-ₜ′']*\^?", text)
        )

    def text_of(self, node) -> str:
        return _Writer(self.fills, latex=False, template=False).render(
            node if isinstance(node, list) else [node]
        )

    # --- rendering ---
    def render(self, nodes: list, whole: bool = False) -> str:
        """``whole``: these nodes are the whole formula (a fraction alone in it is spaced: a / (b + c))."""
        solid = [node for node in nodes if not (isinstance(node, str) and node.isspace())]
        whole = whole and len(solid) == 3 and solid[0] == "\\frac"
        out = []
        i = 0
        while i < len(nodes):
            i, piece = self._node(nodes, i, whole)
            out.append(piece)
        return "".join(out)

    def _group(self, node) -> str:
        body = self.render(node if isinstance(node, list) else [node])
        return self._brace("{") + body + self._brace("}") if self.latex else body

    def _next_is_product(self, nodes: list, i: int) -> bool:
        """Whether what follows position i (after spaces) is a factor: a letter, a command, a slot, '('."""
        j = i
        while j < len(nodes) and isinstance(nodes[j], str) and nodes[j].isspace():
            j += 1
        if j >= len(nodes):
            return False
        nxt = nodes[j]
        if isinstance(nxt, list):
            return True
        if nxt.startswith("\\"):
            name = nxt[1:]
            return name.isalpha() and name not in _NO_SPACE_BEFORE_PRODUCT and name != "text"
        return nxt.startswith("#") or nxt.isalpha() or nxt == "("

    def _product_sign(self) -> str:
        return " \\cdot " if self.latex else "·"

    def _node(self, nodes: list, i: int, whole: bool) -> tuple:
        node = nodes[i]
        if isinstance(node, list):
            return i + 1, self._group(node)
        if node.startswith("#"):
            name = node[1:]
            fill = self.fills.get(name, (name, name))
            piece = "{" + name + "}" if fill is None else self._brace(fill[1] if self.latex else fill[0])
            if fill is None and i + 2 < len(nodes) and nodes[i + 1] == "_":
                i += 2  # a number stands for the component itself: {y}, not {y}ₖ
            if fill is None and self._next_is_product(nodes, i + 1):
                nxt = nodes[i + 1] if i + 1 < len(nodes) else ""
                if isinstance(nxt, str) and nxt.isspace() or nxt == "(" or nxt == "\\left":
                    j = i + 1
                    while j < len(nodes) and isinstance(nodes[j], str) and nodes[j].isspace():
                        j += 1
                    return j, piece + self._product_sign()
            return i + 1, piece
        if node.isspace():
            previous = nodes[i - 1] if i else ""
            numeric_before = self._is_number_slot(previous) or (
                previous == ")" and self._has_number(nodes[:i])
            )
            if self.template and numeric_before and self._next_is_product(nodes, i):
                return i + 1, self._product_sign()
            return i + 1, node
        if node in ("^", "_") and i + 1 < len(nodes):
            return i + 2, self._script(node, nodes[i + 1])
        if node.startswith("\\"):
            return self._command(nodes, i, whole)
        if node in "{}" and self.template:
            return i + 1, node * 2
        return i + 1, node

    def _has_number(self, nodes: list) -> bool:
        """Whether the parenthesised run that ends these nodes holds a number slot."""
        depth = 0
        for node in reversed(nodes):
            if node == ")":
                depth += 1
            elif node == "(":
                depth -= 1
                if depth == 0:
                    return False
            elif self._is_number_slot(node) or (
                isinstance(node, list) and any(map(self._is_number_slot, node))
            ):
                return True
        return False

    def _script(self, mark: str, argument) -> str:
        if self.latex:
            return (
                mark + self._group(argument) if isinstance(argument, list) else mark + self.render([argument])
            )
        body = self.text_of(argument)
        table = _SUPERSCRIPT if mark == "^" else _SUBSCRIPT
        if body == "T" and mark == "^":
            return "ᵀ"
        if (
            mark == "^"
            and body.isdigit()
            or mark == "_"
            and all(c in "0123456789aehijklmnoprstuvx" for c in body)
        ):
            if "{" not in body:
                return body.translate(table)
        if len(body) == 1 or re.fullmatch(r"\w+", body) and mark == "_":
            return mark + body
        return f"{mark}({body})"

    def _command(self, nodes: list, i: int, whole: bool) -> tuple:
        name = nodes[i][1:]
        rest = nodes[i + 1 :]
        if self.latex:
            return self._command_latex(nodes, i)
        if name == "frac":
            numerator, denominator = rest[0], rest[1]
            a, b = self.text_of(numerator), self.text_of(denominator)
            if self._atomic(numerator) and self._atomic(denominator):
                text = f"{a}/{b}"
                if self._next_is_product(nodes, i + 3):  # (1/n)(...), (1/2)δ: a product follows
                    text = f"({text})"
                return i + 3, text
            a = a if self._atomic(numerator) else f"({a})"
            b = b if self._atomic(denominator) else f"({b})"
            return i + 3, f"{a} / {b}" if whole else f"{a}/{b}"
        if name in ("text", "mathrm", "operatorname", "mathbf", "mathit", "boldsymbol"):
            return i + 2, self._brace(self.text_of(rest[0]))
        if name in _ACCENTS:
            base = self.text_of(rest[0]) + _ACCENTS[name]
            return i + 2, _PRECOMPOSED.get(base, base)
        if name == "sqrt":
            body = self.text_of(rest[0])
            return i + 2, f"√{body}" if self._atomic(rest[0]) else f"√({body})"
        if name in ("left", "right", "big", "Big", "bigl", "bigr"):
            return i + 2, rest[0].lstrip("\\") if rest else ""
        if name == "partial":  # ∂y, not ∂ y: the space after a command name is LaTeX's, not the text's
            j = i + 1
            while j < len(nodes) and isinstance(nodes[j], str) and nodes[j].isspace():
                j += 1
            return j, "∂"
        if name in _SYMBOLS:
            return i + 1, _SYMBOLS[name]
        if name in _WORDS:
            return i + 1, name
        if len(name) == 1 and name in _SPACES:  # \, \; \! and friends
            if (
                self.template
                and i
                and self._is_number_slot(nodes[i - 1])
                and self._next_is_product(nodes, i + 1)
            ):
                j = i + 1
                while j < len(nodes) and isinstance(nodes[j], str) and nodes[j].isspace():
                    j += 1
                return j, "·"
            return i + 1, _SPACES[name]
        if len(name) == 1:  # \{ \} \| \%
            return i + 1, self._brace(name)
        raise ValueError(f"formula: no text rule for \\{name}; add it to glassnet.autograd.formula")

    def _command_latex(self, nodes: list, i: int) -> tuple:
        name = nodes[i][1:]
        if name == "," and self.template and i and self._is_number_slot(nodes[i - 1]):
            if self._next_is_product(nodes, i + 1):
                j = i + 1
                while j < len(nodes) and isinstance(nodes[j], str) and nodes[j].isspace():
                    j += 1
                return j, " \\cdot "
        return i + 1, self._brace(nodes[i])


class Formula:
    """Math written once in LaTeX, with ``#slot`` placeholders; ``text()`` derives the plain form.

    Args:
        latex: the LaTeX source; ``#x`` marks a slot.
        **symbols: the LaTeX symbol each slot shows when it is not filled (default: its own name).
    """

    __slots__ = ("source", "symbols", "_tree", "_plain")

    def __init__(self, latex: str, **symbols: str):
        self.source = latex
        self.symbols = symbols
        self._tree = _parse(_TOKEN.findall(latex))
        self._plain = None

    def slots(self) -> list:
        """The slot names, in order of first appearance."""
        return list(dict.fromkeys(re.findall(r"#([A-Za-z]+)", self.source)))

    def _fills(self, fills: dict, numbers=()) -> dict:
        resolved = {}
        for name in self.slots():
            latex = fills.get(name, self.symbols.get(name, name))
            resolved[name] = None if name in numbers else (to_text(latex), latex)
        return resolved

    def text(self, **fills: str) -> str:
        """The plain (Unicode) form; ``fills`` replace slots by LaTeX symbols."""
        if not fills:  # the form traces and docstrings show, worked out once
            if self._plain is None:
                writer = _Writer(self._fills({}), latex=False, template=False)
                self._plain = writer.render(self._tree, whole=True)
            return self._plain
        return _Writer(self._fills(fills), latex=False, template=False).render(self._tree, whole=True)

    def tex(self, **fills: str) -> str:
        """The LaTeX form; ``fills`` replace slots by LaTeX symbols."""
        return _Writer(self._fills(fills), latex=True, template=False).render(self._tree, whole=True)

    def template(self, numbers=(), latex: bool = False, **fills: str) -> str:
        """A ``str.format`` template in which the slots named in ``numbers`` are ``{slot}`` placeholders
        (a number placed next to a factor gets an explicit product sign: ``{a}·(1 - {a})``)."""
        writer = _Writer(self._fills(fills, numbers), latex=latex, template=True)
        return writer.render(self._tree, whole=True)

    def rhs(self) -> Formula:
        """What follows the first ``=`` outside any group: the value of a statement like dy/dx = ...."""
        depth = 0
        for position, char in enumerate(self.source):
            depth += {"{": 1, "}": -1}.get(char, 0)
            if char == "=" and depth == 0:
                return Formula(self.source[position + 1 :].strip(), **self.symbols)
        return self

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Formula({self.source!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Formula) and (self.source, self.symbols) == (other.source, other.symbols)

    def __hash__(self) -> int:
        return hash(self.source)


def to_text(latex: str) -> str:
    """The plain (Unicode) form of a LaTeX fragment: ``to_text(r"\\hat{y}_k")`` is 'ŷₖ'."""
    return Formula(latex).text()
