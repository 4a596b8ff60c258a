"""Layers, one family per file."""

from glassnet.nn.layers.conv import Conv2D
from glassnet.nn.layers.dense import Dense
from glassnet.nn.layers.embedding import Embedding
from glassnet.nn.layers.normalization import BatchNorm, LayerNorm
from glassnet.nn.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from glassnet.nn.layers.recurrent import GRU, LSTM, SimpleRNN, from_torch_state_dict
from glassnet.nn.layers.regularization import Dropout
from glassnet.nn.layers.reshaping import Flatten, Reshape
from glassnet.nn.layers.wrappers import Bidirectional, TimeDistributed

__all__ = ["Dense", "Dropout", "BatchNorm", "LayerNorm"]
__all__ += ["Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed"]
__all__ += ["from_torch_state_dict"]
__all__ += ["Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten", "Reshape"]
