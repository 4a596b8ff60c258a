"""Layers, one family per file."""

from glassnet.nn.layers.dense import Dense
from glassnet.nn.layers.normalization import BatchNorm
from glassnet.nn.layers.regularization import Dropout

__all__ = ["Dense", "Dropout", "BatchNorm"]
