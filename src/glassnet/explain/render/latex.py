"""LaTeX, for a teacher's handout: a fragment, or with ``standalone=True`` a complete document."""

from __future__ import annotations

from glassnet.explain.document import Equation, Sym, Table, Text
from glassnet.explain.render.common import Style

_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}


class LatexStyle(Style):
    times, minus, equals = r" \cdot ", "-", " = "

    def symbol(self, s: Sym) -> str:
        return s.latex

    def template(self, item) -> str:
        return item.latex

    def vector(self, values, precision: int) -> str:
        return r"\begin{bmatrix} " + " & ".join(self.number(v, precision) for v in values) + r" \end{bmatrix}"

    def matrix(self, rows, precision: int) -> str:
        body = r" \\ ".join(" & ".join(self.number(v, precision) for v in row) for row in rows)
        return r"\begin{bmatrix} " + body + r" \end{bmatrix}"

    def number(self, value, precision: int) -> str:
        text = super().number(value, precision)
        if "e" in text:
            mantissa, exponent = text.split("e")
            return f"{mantissa} \\times 10^{{{int(exponent)}}}"
        return text

    def escape(self, text: str) -> str:
        return r"\text{" + _plain(text) + "}"


STYLE = LatexStyle()


# Unicode that the text forms use, as LaTeX math, so that plain pdflatex typesets every document.
_UNICODE = {
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "δ": r"\delta",
    "ε": r"\varepsilon",
    "η": r"\eta",
    "θ": r"\theta",
    "λ": r"\lambda",
    "μ": r"\mu",
    "σ": r"\sigma",
    "Σ": r"\Sigma",
    "∂": r"\partial",
    "·": r"\cdot",
    "−": "-",
    "←": r"\leftarrow",
    "→": r"\rightarrow",
    "⊙": r"\odot",
    "≤": r"\le",
    "≥": r"\ge",
    "≈": r"\approx",
    "×": r"\times",
    "ŷ": r"\hat y",
    "ᵀ": r"^\top",
    "ˡ": "^l",
    "⁻": "^-",
    "⁽": "^(",
    "⁾": "^)",
    "√": r"\sqrt{}",
    **{sup: f"^{digit}" for sup, digit in zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")},
    **{sub: f"_{digit}" for sub, digit in zip("₀₁₂₃₄₅₆₇₈₉", "0123456789")},
}


def _plain(text: str) -> str:
    out = []
    for c in text:
        if c in _UNICODE:
            out.append(f"${_UNICODE[c]}$")
        else:
            out.append(_SPECIAL.get(c, c))
    return "".join(out)


def _text(item: Text, precision: int) -> str:
    return "".join(
        f"${STYLE.value(p, precision)}$" if isinstance(p, Sym) else _plain(str(p)) for p in item.items
    )


def _cell(item, precision: int) -> str:
    return _plain(item) if isinstance(item, str) else f"${STYLE.value(item, precision)}$"


def render(document, precision: int, standalone: bool = False) -> str:
    lines = [f"\\section*{{{_plain(document.title)}}}"]
    for section in document.sections:
        lines += ["", f"\\subsection*{{{_plain(section.title)}}}"]
        for item in section.items:
            if isinstance(item, Table):
                if item.title:
                    lines.append(f"\\paragraph{{{_plain(item.title)}}}")
                lines.append("\\begin{tabular}{" + "r" * len(item.headers) + "}")
                lines.append(" & ".join(_cell(h, precision) for h in item.headers) + r" \\ \hline")
                lines += [" & ".join(_cell(c, precision) for c in row) + r" \\" for row in item.rows]
                lines.append("\\end{tabular}")
            elif isinstance(item, Equation):
                lines.append(f"\\[ {STYLE.value(item, precision)} \\]")
            elif isinstance(item, Text):
                lines += [_text(item, precision), ""]
            else:
                lines.append(_plain(str(item)))
    body = "\n".join(lines) + "\n"
    if not standalone:
        return body
    return (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage[margin=2cm]{geometry}\n"
        "\\begin{document}\n" + body + "\\end{document}\n"
    )
