"""What the renderers share: walking expressions, the operators' spellings."""

from __future__ import annotations

import numpy as np

from glassnet.explain.document import Equation, Expr, Sym, Template, Text, format_number


class Style:
    """How one format spells things; subclasses override."""

    times, minus, equals = "·", "-", " = "

    def symbol(self, s: Sym) -> str:
        return s.text

    def number(self, value, precision: int) -> str:
        return format_number(value, precision)

    def vector(self, values, precision: int) -> str:
        return "[" + ", ".join(self.number(v, precision) for v in values) + "]"

    def matrix(self, rows, precision: int) -> str:
        return "[" + "; ".join(self.vector(row, precision) for row in rows) + "]"

    def escape(self, text: str) -> str:
        return text

    def template(self, item: Template) -> str:
        return item.text

    def value(self, item, precision: int) -> str:
        """Any cell or expression item as this format's string."""
        if isinstance(item, Sym):
            return self.symbol(item)
        if isinstance(item, Template):
            numbers = {}
            for name, number in item.values:
                text = self.value(number, precision)
                numbers[name] = f"({text})" if text.startswith("-") and not text.startswith("-(") else text
            return self.template(item).format(**numbers)
        if isinstance(item, Expr):
            return self.expr(item, precision)
        if isinstance(item, Equation):
            return self.equation(item, precision)
        if isinstance(item, Text):
            return "".join(self.value(part, precision) for part in item.items)
        if isinstance(item, (bool, np.bool_)):
            return self.escape(str(bool(item)))
        if isinstance(item, (int, float, np.integer, np.floating)):
            return self.number(item, precision)
        if isinstance(item, np.ndarray):
            if item.ndim == 0:
                return self.number(item.item(), precision)
            if item.ndim == 1:
                return self.vector(item, precision)
            return self.matrix(item.reshape(item.shape[0], -1), precision)
        if isinstance(item, (list, tuple)):
            return self.value(np.asarray(item, dtype=float), precision)
        return self.escape(str(item))

    def expr(self, expr: Expr, precision: int) -> str:
        out, previous = [], None
        for item in expr.items:
            if isinstance(item, str) and item in {"+", "-", "*", "/", "=", ","}:
                out.append(
                    {
                        "+": " + ",
                        "-": f" {self.minus} ",
                        "*": self.times,
                        "/": " / ",
                        "=": self.equals,
                        ",": ", ",
                    }[item]
                )
            elif isinstance(item, str) and item in {"(", ")"}:
                out.append(item)
            else:
                text = self.value(item, precision)
                negative = isinstance(item, (int, float, np.integer, np.floating)) and float(item) < 0
                if negative and previous is not None and previous not in {"(", "="}:
                    text = f"({text})"
                out.append(text)
            previous = item if isinstance(item, str) else "value"
        return "".join(out)

    def equation(self, equation: Equation, precision: int) -> str:
        """The parts joined by "=", a part that reads as the one before it left out (a constant
        derivative's ``1 = 1``: the numbers put in change nothing)."""
        parts = []
        for part in equation.parts:
            text = self.value(part, precision)
            if not parts or text != parts[-1]:
                parts.append(text)
        return self.equals.join(parts)
