"""HTML (for Jupyter's ``_repr_html_`` and the web): headings, equations in Unicode text, tables."""

from __future__ import annotations

import html as _html

from glassnet.explain.document import Equation, Table, Text
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


def render(document, precision: int) -> str:
    parts = ['<div class="glassnet-explain">', f"<h3>{_html.escape(document.title)}</h3>"]
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
                    cells = "".join(
                        f'<td style="text-align: right">{STYLE.value(c, precision)}</td>' for c in row
                    )
                    parts.append(f"<tr>{cells}</tr>")
                parts.append("</table>")
            elif isinstance(item, (Equation, Text)):
                parts.append(f'<p style="font-family: monospace">{STYLE.value(item, precision)}</p>')
            else:
                parts.append(f"<p>{_html.escape(str(item))}</p>")
    parts.append("</div>")
    return "\n".join(parts) + "\n"
