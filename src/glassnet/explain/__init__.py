"""Showing the work (layer 7 of glassnet): plots now; traces, worked solutions and exercises to come."""

from glassnet.explain.plots import plot_history

__all__ = ["plot_history"]
