"""A small document model for worked solutions, tables and derivations, rendered in four formats.

Content is built once as data and rendered by ``glassnet.explain.render`` to terminal text, Markdown (with
LaTeX math), LaTeX and HTML. Numbers stay numbers until rendering, so the precision is chosen then.

- ``Sym(text, latex)``: a symbol or formula fragment in both notations, e.g. ``Sym("z₁⁽¹⁾", "z_1^{[1]}")``;
- ``Expr(items)``: a sequence of numbers, symbols and operators ("+", "-", "*", "/", "(", ")", "=", ","),
  e.g. ``Expr([2.0, "*", 1.0, "+", 3.0, "*", 2.0])``;
- ``Equation(parts)``: parts joined by "=": symbol = formula = numbers substituted = value;
- ``Text(items)``: a sentence (strings and symbols); ``Table(headers, rows)``; ``Section(title, items)``;
- ``Document(title, sections)``: ``to_text()``, ``to_markdown()``, ``to_latex()``, ``to_html()``,
  ``save(path)`` (format from the suffix), and ``_repr_html_`` so that it shows in Jupyter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "Sym",
    "Template",
    "Expr",
    "Equation",
    "Text",
    "Table",
    "Section",
    "Document",
    "ShowsDocument",
    "ChecksAutograd",
    "sym",
    "format_number",
]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


@dataclass(frozen=True)
class Sym:
    """A symbol or formula fragment, written once in plain (Unicode) text and once in LaTeX."""

    text: str
    latex: str


def sym(name: str, layer: int | None = None, index=(), latex_name: str | None = None) -> Sym:
    """The notes' notation: ``sym("w", 2, (1, 3))`` is w₁₃⁽²⁾ / w_{13}^{[2]} (layer as a superscript in
    brackets, unit indices as subscripts)."""
    index = tuple(index) if isinstance(index, (tuple, list)) else (index,)
    joined = "".join(str(i) for i in index) if all(i < 10 for i in index) else ",".join(str(i) for i in index)
    text = name + joined.translate(_SUBSCRIPTS).replace(",", "‚")
    latex = latex_name or name
    if index:
        latex += "_{" + joined + "}"
    if layer is not None:
        text += f"({layer})".translate(_SUPERSCRIPTS)
        latex += "^{[" + str(layer) + "]}"
    return Sym(text, latex)


@dataclass(frozen=True)
class Template:
    """A formula with numbers in it, put in at render time with the document's precision, e.g.
    ``Template("1/(1 + e^(-{z}))", r"\\frac{{1}}{{1 + e^{{-{z}}}}}", z=35)``. Both templates use
    ``str.format`` placeholders, so the LaTeX one doubles the braces that are not placeholders."""

    text: str
    latex: str
    values: tuple

    def __init__(self, text: str, latex: str, **values):
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "latex", latex)
        object.__setattr__(self, "values", tuple(values.items()))


@dataclass(frozen=True)
class Expr:
    """Numbers, symbols and operators in a row; numbers are formatted when rendered."""

    items: tuple

    def __init__(self, items):
        object.__setattr__(self, "items", tuple(items))


@dataclass(frozen=True)
class Equation:
    """Parts joined by "=", e.g. (symbol, formula, numbers substituted, value)."""

    parts: tuple

    def __init__(self, *parts):
        object.__setattr__(self, "parts", tuple(parts))


@dataclass(frozen=True)
class Text:
    """A sentence: strings and symbols."""

    items: tuple

    def __init__(self, *items):
        object.__setattr__(self, "items", tuple(items))


@dataclass
class Table:
    """A table: headers and rows of cells (strings, numbers, arrays, symbols, expressions)."""

    headers: list
    rows: list
    title: str | None = None


@dataclass
class Section:
    title: str
    items: list = field(default_factory=list)

    def add(self, item):
        self.items.append(item)
        return item


@dataclass
class Document:
    """A titled list of sections, printable in four formats."""

    title: str
    sections: list = field(default_factory=list)
    precision: int = 6

    def section(self, title: str) -> Section:
        section = Section(title)
        self.sections.append(section)
        return section

    def to_text(self, precision: int | None = None) -> str:
        from glassnet.explain.render import text  # noqa: PLC0415 - render imports this module

        return text.render(self, self.precision if precision is None else precision)

    def to_markdown(self, precision: int | None = None) -> str:
        from glassnet.explain.render import markdown  # noqa: PLC0415

        return markdown.render(self, self.precision if precision is None else precision)

    def to_latex(self, precision: int | None = None, standalone: bool = False) -> str:
        from glassnet.explain.render import latex  # noqa: PLC0415

        return latex.render(self, self.precision if precision is None else precision, standalone=standalone)

    def to_html(self, precision: int | None = None, standalone: bool = False) -> str:
        """HTML: a fragment (for a notebook), or with ``standalone`` a whole page with its charset."""
        from glassnet.explain.render import html  # noqa: PLC0415

        return html.render(self, self.precision if precision is None else precision, standalone=standalone)

    def render(self, format: str = "text", precision: int | None = None) -> str:  # noqa: A002
        """``format``: "text", "md", "tex" or "html"."""
        renderers = {
            "text": self.to_text,
            "txt": self.to_text,
            "md": self.to_markdown,
            "markdown": self.to_markdown,
            "tex": self.to_latex,
            "latex": self.to_latex,
            "html": self.to_html,
        }
        if format not in renderers:
            raise ValueError(f"unknown format {format!r}; valid: text, md, tex, html")
        return renderers[format](precision)

    def save(self, path, precision: int | None = None) -> Path:
        """Write the document; the format comes from the suffix (.txt, .md, .tex, .html)."""
        path = Path(path)
        suffix = path.suffix.lstrip(".") or "text"
        if suffix in ("tex", "html"):  # a file holds a whole document
            content = self.to_latex(precision, True) if suffix == "tex" else self.to_html(precision, True)
        else:
            content = self.render(suffix, precision)
        path.write_text(content, encoding="utf-8")
        return path

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()


class ShowsDocument:
    """For a result that holds its worked solution in ``self.document``: ``render``, ``to_text``,
    ``to_markdown``, ``to_latex``, ``to_html``, ``save``, ``str()`` and Jupyter's HTML view come from the
    document."""

    document: Document

    def render(self, format="text", precision=None):  # noqa: A002
        return self.document.render(format, precision)

    def to_text(self, precision=None) -> str:
        return self.document.to_text(precision)

    def to_markdown(self, precision=None) -> str:
        return self.document.to_markdown(precision)

    def to_latex(self, precision=None, standalone: bool = False) -> str:
        return self.document.to_latex(precision, standalone)

    def to_html(self, precision=None, standalone: bool = False) -> str:
        return self.document.to_html(precision, standalone)

    def save(self, path, precision=None) -> Path:
        return self.document.save(path, precision)

    def __str__(self) -> str:
        return self.document.to_text()

    def _repr_html_(self) -> str:
        return self.document.to_html()


class ChecksAutograd:
    """For a worked solution whose printed terms add up to ``total``, beside autograd's ``autograd``."""

    total: float
    autograd: float

    def discrepancy(self) -> float:
        """|printed sum - autograd|: what the tests hold to 1e-9."""
        return abs(self.total - self.autograd)


def format_number(value, precision: int = 6) -> str:
    """A number as the documents print it: integers without decimals, numbers with few decimals as they
    are (0.01), others with ``precision`` decimals (trailing zeros kept, as the notes write 0.765580), very
    small or large ones in scientific notation."""
    value = float(value)
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    # A number given as 0.01 or 2.5 is printed as given, and so is one that differs from such a short
    # decimal by rounding error alone (0.8 - 0.1 = 0.7000000000000001 prints as 0.7).
    rounded = round(value, precision)
    short = repr(rounded)
    if (
        "e" not in short
        and len(short.split(".")[1]) < precision
        and abs(rounded - value) <= 1e-12 * abs(value)
    ):
        return short
    if abs(value) < 10.0 ** -min(precision, 4) or abs(value) >= 1e9:
        return f"{value:.{precision}e}"
    return f"{value:.{precision}f}"


def as_list(value):
    """Array-like values as nested lists of floats (scalars pass through)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
