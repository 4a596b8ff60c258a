"""Showing the work (layer 7 of glassnet): recording computations, worked solutions in four formats,
and plots.

- ``record()``: every op's values, local derivatives and upstream gradients, and every optimizer update;
- ``worked_step(model, x, y, loss, ...)``: one training step written out as the notes do;
- ``Document``: the model those are rendered from (text, Markdown, LaTeX, HTML);
- ``plot_history`` and the other plots (matplotlib, an optional extra).
"""

from glassnet.explain.document import Document
from glassnet.explain.plots import plot_history
from glassnet.explain.recorder import Trace, record
from glassnet.explain.worked import WorkedStep, worked_step

__all__ = ["Document", "record", "Trace", "worked_step", "WorkedStep", "plot_history"]
