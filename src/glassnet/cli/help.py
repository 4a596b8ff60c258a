"""Help text for the terminal: the module docstrings that ``--help`` shows, without their markup."""

from __future__ import annotations

import re

_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)
_BLOCK = re.compile(r"::$", re.MULTILINE)


def plain(docstring: str) -> str:
    """``docstring`` as a terminal shows it: reStructuredText's ````literal```` marks dropped, and a
    paragraph's closing ``::`` (a literal block follows) written as one colon.

    Example:
        >>> plain("Kinds of file (``kind = ...``)::")
        'Kinds of file (kind = ...):'
    """
    return _BLOCK.sub(":", _LITERAL.sub(r"\1", docstring))
