"""Terminal text: titles underlined, one equation per line, aligned tables."""

from __future__ import annotations

from glassnet.explain.document import Equation, Table, Text
from glassnet.explain.render.common import Style

STYLE = Style()


def table(t: Table, precision: int, style: Style = STYLE) -> list:
    cells = [[style.value(h, precision) for h in t.headers]]
    cells += [[style.value(c, precision) for c in row] for row in t.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(t.headers))]
    lines = [t.title] if t.title else []
    lines.append("  ".join(h.ljust(w) for h, w in zip(cells[0], widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths)).rstrip())
    return lines


def render(document, precision: int) -> str:
    lines = [document.title, "=" * len(document.title)]
    for section in document.sections:
        lines += ["", section.title, "-" * len(section.title)]
        for item in section.items:
            if isinstance(item, Table):
                lines += table(item, precision)
            elif isinstance(item, (Equation, Text)):
                lines.append(STYLE.value(item, precision))
            else:
                lines.append(STYLE.value(item, precision))
    return "\n".join(lines) + "\n"
