"""HTML (for Jupyter's ``_repr_html_`` and the web): headings, equations in Unicode text, tables.

A notebook gets a fragment; a file (``standalone=True``) a whole document that declares its encoding, so a
browser shows ∂, σ and ŷ as written. Table cells are padded; numbers align right, words left.
"""

from __future__ import annotations

import html as _html

import numpy as np

from glassnet.explain.document import Equation, Sym, Table, Text
from glassnet.explain.render.common import Style


class HtmlStyle(Style):
    times, minus, equals = "·", "−", " = "

    def escape(self, text: str) -> str:
        return _html.escape(text)

    def symbol(self, s) -> str:
        return _html.escape(s.text)

    def template(self, item) -> str:
        return _html.escape(item.text)


STYLE = HtmlStyle()


_STYLE = (
    "<style>.glassnet-explain td, .glassnet-explain th {padding: 2px 10px; border-bottom: 1px solid #ddd; "
    "text-align: left} .glassnet-explain td.number {text-align: right}</style>"
)
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
</head>
<body>
{body}</body>
</html>
"""


def _td(cell, precision: int) -> str:
    """A table cell: numbers (and arrays of them) right-aligned so that their digits line up, words and
    symbols left."""
    numeric = isinstance(cell, (int, float, np.integer, np.floating, np.ndarray, list, tuple))
    kind = ' class="number"' if numeric and not isinstance(cell, (bool, Sym)) else ""
    return f"<td{kind}>{STYLE.value(cell, precision)}</td>"


def render(document, precision: int, standalone: bool = False) -> str:
    """The document as HTML: a ``<div>`` for a notebook, or with ``standalone`` a whole page."""
    body = _fragment(document, precision)
    if not standalone:
        return body
    return _PAGE.format(title=_html.escape(document.title), body=body)


def _fragment(document, precision: int) -> str:
    parts = ['<div class="glassnet-explain">', _STYLE, f"<h3>{_html.escape(document.title)}</h3>"]
    for section in document.sections:
        parts.append(f"<h4>{_html.escape(section.title)}</h4>")
        for item in section.items:
            if isinstance(item, Table):
                if item.title:
                    parts.append(f"<p><b>{_html.escape(item.title)}</b></p>")
                parts.append('<table style="border-collapse: collapse">')
                header = "".join(f"<th>{STYLE.value(h, precision)}</th>" for h in item.headers)
                parts.append(f"<tr>{header}</tr>")
                for row in item.rows:
                    cells = "".join(_td(c, precision) for c in row)
                    parts.append(f"<tr>{cells}</tr>")
                parts.append("</table>")
            elif isinstance(item, (Equation, Text)):
                parts.append(f'<p style="font-family: monospace">{STYLE.value(item, precision)}</p>')
            else:
                parts.append(f"<p>{_html.escape(str(item))}</p>")
    parts.append("</div>")
    return "\n".join(parts) + "\n"
