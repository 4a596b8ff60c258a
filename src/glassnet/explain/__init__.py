"""Showing the work (layer 7 of glassnet): recording computations, worked solutions in four formats,
and plots.

- ``record()``: every op's values, local derivatives and upstream gradients, and every optimizer update;
- ``worked_step(model, x, y, loss, ...)``: one training step written out as the notes do;
- ``worked_gan_step(a, b, w, c, x, z)``: one step of the GAN game on a 1-D toy, with numbers;
- ``Document``: the model those are rendered from (text, Markdown, LaTeX, HTML);
- ``plot_history`` and the other plots (matplotlib, an optional extra).
"""

from glassnet.explain.derivatives import Derivation, derive
from glassnet.explain.document import Document
from glassnet.explain.gan import GANStepSolution, worked_gan_step
from glassnet.explain.graph import render_graph, to_dot, to_mermaid
from glassnet.explain.graph_plots import plot_graph, plot_node_embeddings
from glassnet.explain.optimizer_table import OptimizerTable, optimizer_table
from glassnet.explain.plots import (
    GANGameRecorder,
    GradientNormRecorder,
    plot_activations,
    plot_decision_boundary,
    plot_gan_game,
    plot_gradient_norms,
    plot_history,
    plot_tsne,
    plot_weight_histograms,
)
from glassnet.explain.recorder import Trace, record
from glassnet.explain.vanishing import gradient_norms_by_layer, vanishing_gradient_demo
from glassnet.explain.worked import WorkedStep, worked_step

__all__ = ["Document", "record", "Trace", "worked_step", "WorkedStep", "plot_history"]
__all__ += ["derive", "Derivation", "optimizer_table", "OptimizerTable"]
__all__ += ["to_dot", "to_mermaid", "render_graph", "plot_graph", "plot_node_embeddings"]
__all__ += ["gradient_norms_by_layer", "vanishing_gradient_demo", "GradientNormRecorder", "plot_activations"]
__all__ += ["plot_decision_boundary", "plot_gradient_norms", "plot_weight_histograms", "plot_tsne"]
__all__ += ["worked_gan_step", "GANStepSolution", "GANGameRecorder", "plot_gan_game"]
