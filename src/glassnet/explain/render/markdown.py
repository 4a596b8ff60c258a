"""Markdown with LaTeX math ($...$), as GitHub, Jupyter and most note tools display it."""

from __future__ import annotations

from glassnet.explain.document import Equation, Table, Text
from glassnet.explain.render.latex import STYLE as LATEX


def _cell(item, precision: int) -> str:
    if isinstance(item, str):
        return item.replace("|", "\\|")
    return f"${LATEX.value(item, precision)}$"


def _text(item: Text, precision: int) -> str:
    """Words as they are; symbols, numbers and arrays as inline math (never NumPy's own printing)."""
    return "".join(p if isinstance(p, str) else f"${LATEX.value(p, precision)}$" for p in item.items)


def render(document, precision: int) -> str:
    lines = [f"# {document.title}"]
    for section in document.sections:
        lines += ["", f"## {section.title}", ""]
        for item in section.items:
            if isinstance(item, Table):
                if item.title:
                    lines += [f"**{item.title}**", ""]
                lines.append("| " + " | ".join(_cell(h, precision) for h in item.headers) + " |")
                lines.append("|" + "|".join("---" for _ in item.headers) + "|")
                lines += ["| " + " | ".join(_cell(c, precision) for c in row) + " |" for row in item.rows]
                lines.append("")
            elif isinstance(item, Equation):
                lines += [f"$$ {LATEX.value(item, precision)} $$", ""]
            elif isinstance(item, Text):
                lines += [_text(item, precision), ""]
            else:
                lines += [str(item), ""]
    return "\n".join(lines).rstrip() + "\n"
