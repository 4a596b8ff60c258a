"""Layers, one family per file."""

from glassnet.nn.layers.attention import MultiHeadAttention, PositionalEncoding, PositionEmbedding
from glassnet.nn.layers.conv import Conv1D, Conv2D
from glassnet.nn.layers.conv_transpose import Conv2DTranspose
from glassnet.nn.layers.dense import Dense
from glassnet.nn.layers.embedding import Embedding
from glassnet.nn.layers.graph import GATConv, GCNConv, GlobalMaxPool, GlobalMeanPool, GlobalSumPool, SAGEConv
from glassnet.nn.layers.merge import Add, Average, Concatenate, Multiply
from glassnet.nn.layers.normalization import BatchNorm, LayerNorm
from glassnet.nn.layers.pooling import (
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    MaxPool1D,
    MaxPool2D,
)
from glassnet.nn.layers.recurrent import GRU, LSTM, SimpleRNN, from_torch_state_dict
from glassnet.nn.layers.regularization import Dropout
from glassnet.nn.layers.reshaping import Cropping2D, Flatten, Reshape, ZeroPadding2D
from glassnet.nn.layers.transformer import (
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from glassnet.nn.layers.upsampling import UpSampling2D
from glassnet.nn.layers.wrappers import Bidirectional, TimeDistributed

__all__ = ["Dense", "Dropout", "BatchNorm", "LayerNorm"]
__all__ += ["Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed"]
__all__ += ["from_torch_state_dict"]
__all__ += ["Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten", "Reshape"]
__all__ += ["Add", "Multiply", "Average", "Concatenate"]
__all__ += ["Conv1D", "MaxPool1D", "AvgPool1D", "GlobalAvgPool1D", "ZeroPadding2D", "Cropping2D"]
__all__ += ["GlobalAveragePooling1D", "GlobalAveragePooling2D"]
__all__ += ["GCNConv", "SAGEConv", "GATConv", "GlobalSumPool", "GlobalMeanPool", "GlobalMaxPool"]
__all__ += ["Conv2DTranspose", "UpSampling2D"]
__all__ += ["MultiHeadAttention", "PositionalEncoding", "PositionEmbedding"]
__all__ += ["TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder"]
