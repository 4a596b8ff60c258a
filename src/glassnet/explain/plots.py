"""Plots (matplotlib, an optional extra: ``pip install "glassnet[plot]"``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["plot_history"]


def _pyplot():
    try:
        import matplotlib  # noqa: PLC0415 - an optional extra, imported when a plot is asked for
    except ImportError:
        raise ImportError('plots need matplotlib: pip install "glassnet[plot]"') from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def plot_history(history, path=None, metrics=None):
    """Loss (and metric) curves of a ``History``, training and validation side by side, one panel each.

    Args:
        history: what ``fit`` returned.
        path: write a PNG (or any format matplotlib knows by the suffix) there; otherwise return the figure.
        metrics: the names to draw (default: every key without "val_" except "lr").

    Returns:
        The path written, or the matplotlib figure.
    """
    plt = _pyplot()
    records = history.history
    names = metrics or [key for key in records if not key.startswith("val_") and key != "lr"]
    epochs = [epoch + 1 for epoch in history.epochs]
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), squeeze=False)
    for axis, name in zip(axes[0], names):
        axis.plot(epochs, records[name], marker="o", markersize=3, label=f"training {name}")
        if f"val_{name}" in records:
            axis.plot(epochs, records[f"val_{name}"], marker="o", markersize=3, label=f"validation {name}")
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    if path is None:
        return figure
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
