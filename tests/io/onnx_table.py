"""The ONNX export table: one row per exportable layer family (and interesting case of it) and per ready
model, run by tests/io/test_onnx_export.py: ONNX Runtime's output against glassnet's (float32, evaluation
mode, random weights and running statistics) at two batch sizes. A public layer class needs a row here or
an entry in ``glassnet.io.onnx.NOT_EXPORTABLE`` with the reason; a test fails, naming it, otherwise.
This module imports without onnx.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from glassnet import nn
from glassnet.models import DCGAN, GAT, GCN, CharRNN, GraphSAGE, LeNet5, ResNet18, TransformerLM, ViT
from glassnet.models.resnet import BasicBlock


@dataclass(frozen=True)
class ExportRow:
    """One case: ``make`` gives a fresh model or layer, ``shape`` one example's input shape (no batch
    axis; a list of them for several inputs), ``ids`` > 0 draws integer ids in [0, ids) instead of normal
    floats. ``feed(rng, k)`` (k = 0, 1, 2: three sizes) draws the inputs of a model of several, one array
    each in the file's input order; glassnet gets them as one list, or spread (``model(x, edge_index)``)."""

    name: str
    make: Callable
    shape: tuple | list
    ids: int = 0
    feed: Callable | None = None
    spread: bool = False
    opset: int = 17  # the oldest opset the row exports at (SAGEConv's max: 18)


Row = ExportRow


def seq(*layers):
    return lambda: nn.Sequential(list(layers))


def functional_residual():
    inputs = nn.Input((4,))
    hidden = nn.Dense(4, activation="tanh")(inputs)
    joined = nn.Concatenate()([nn.Add()([inputs, hidden]), nn.Multiply()([inputs, hidden])])
    both = nn.Average()([nn.Dense(3)(joined), nn.Dense(3)(joined)])
    return nn.Model(inputs, [both, hidden])


def target_and_memory(rng, k):
    """tgt (N, L, 4) and memory (N, S, 4) of a different batch and lengths for each k."""
    n, length, keys = ((2, 3, 5), (1, 4, 6), (3, 2, 3))[k]
    return [rng.standard_normal((n, length, 4)).astype(np.float32),
            rng.standard_normal((n, keys, 4)).astype(np.float32)]  # fmt: skip


def graph_of(rng, k):
    """x (N, 3) and edge_index (2, E) of a different graph for each k: repeated edges, a self-loop,
    nodes no edge reaches (an empty max and mean)."""
    nodes, edges = ((6, 9), (5, 7), (9, 20))[k]
    edge_index = rng.integers(0, nodes - 1, (2, edges)).astype(np.int64)
    edge_index[:, :2] = [[1, 2], [1, 2]]  # a self-loop, twice the same edge
    edge_index[:, 2] = [2, 1]
    return [rng.standard_normal((nodes, 3)).astype(np.float32), edge_index]


def decoder_model(norm_first: bool, **call):
    """A functional Model of two inputs (tgt, memory) through a decoder stack and a Dense head."""
    target, memory = nn.Input((None, 4)), nn.Input((None, 4))
    block = nn.TransformerDecoderLayer(4, 2, dim_feedforward=5, norm_first=norm_first, activation="gelu")
    hidden = nn.TransformerDecoder(block, 2, norm=nn.LayerNorm())([target, memory], **call)
    return nn.Model([target, memory], nn.Dense(3)(hidden))


def decoder_fixed_masks():
    """A decoder layer called with fixed masks: a boolean memory_mask (True = may not attend), a float
    tgt_mask added to the scores, and causal self-attention on top."""
    target, memory = nn.Input((3, 4)), nn.Input((5, 4))
    blocked = np.triu(np.ones((3, 5), bool), k=2)
    tgt_mask = np.array([[0.0, -1.0, -2.0], [0.5, 0.0, -1.0], [0.0, 0.0, 0.0]], np.float32)
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=5)
    out = layer([target, memory], memory_mask=blocked, tgt_mask=tgt_mask, tgt_is_causal=True)
    return nn.Model([target, memory], out)


def fixed_lengths(rng, k):
    n = (2, 1, 3)[k]
    return [rng.standard_normal((n, length, 4)).astype(np.float32) for length in (3, 5)]


def graphs_of_nodes(rng, k):
    """x (N, 3) and batch (N,): nodes of several graphs, graph 2 with no node (an empty row)."""
    batch = np.array(([0, 0, 1, 3, 3, 3], [0, 1, 1, 1, 2, 2, 4], [1, 1, 0, 0, 3])[k], dtype=np.int64)
    return [rng.standard_normal((len(batch), 3)).astype(np.float32), batch]


POOL = dict(feed=graphs_of_nodes, spread=True, shape=(3,))
DECODER = dict(feed=target_and_memory, shape=[(None, 4), (None, 4)])
GRAPH = dict(feed=graph_of, spread=True, shape=(3,))

ACTIVATIONS = [
    ("Step", lambda: nn.Step(0.1)),
    ("Identity", nn.Identity),
    ("Sigmoid", nn.Sigmoid),
    ("Tanh", nn.Tanh),
    ("ReLU", nn.ReLU),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2)),
    ("LeakyReLU_keras", lambda: nn.LeakyReLU(convention="keras")),
    ("RReLU", nn.RReLU),
    ("PReLU", lambda: nn.PReLU(3, init=0.3)),
    ("PReLU_shared", nn.PReLU),
    ("PReLU_keras", lambda: nn.PReLU(convention="keras")),
    ("PReLU_keras_shared_axis1", lambda: nn.PReLU(convention="keras", shared_axes=1)),
    ("ELU", lambda: nn.ELU(0.7)),
    ("SELU", nn.SELU),
    ("SiLU", nn.SiLU),
    ("GELU", nn.GELU),
    ("GELU_tanh", lambda: nn.GELU("tanh")),
    ("Softmax", nn.Softmax),
    ("Softmax_axis1", lambda: nn.Softmax(axis=1)),
]

ROWS = [Row(name, make, (3, 4)) for name, make in ACTIVATIONS] + [
    Row("Dense", seq(nn.Dense(3, activation="relu"), nn.Dense(2, use_bias=False)), (4,)),
    Row("Dense_3d", lambda: nn.Dense(3, activation="sigmoid"), (2, 4)),
    Row("Dropout", seq(nn.Dense(3), nn.Dropout(0.5)), (4,)),
    Row("BatchNorm_notes_2d", lambda: nn.BatchNorm(), (3,)),
    Row("BatchNorm_pytorch_4d", lambda: nn.BatchNorm(convention="pytorch"), (2, 3, 2)),
    Row("BatchNorm_keras_eps", lambda: nn.BatchNorm(convention="keras", epsilon=0.1), (2, 5)),
    Row("BatchNorm_axis_last_2d", lambda: nn.BatchNorm(axis=-1), (3,)),
    Row("BatchNorm_channels_last_4d", lambda: nn.BatchNorm(data_format="channels_last"), (2, 3, 4)),
    Row("BatchNorm_axis2_3d", lambda: nn.BatchNorm(axis=2, convention="pytorch"), (2, 5)),
    Row("PReLU_keras_image_shared_c", lambda: nn.PReLU(convention="keras", shared_axes=[1]), (3, 2, 4)),
    Row("LayerNorm", nn.LayerNorm, (2, 5)),
    Row("LayerNorm_two_axes_keras", lambda: nn.LayerNorm((2, 3), convention="keras"), (2, 3)),
    Row("LayerNorm_no_bias", lambda: nn.LayerNorm(bias=False), (2, 5)),
    Row("LayerNorm_no_affine", lambda: nn.LayerNorm(elementwise_affine=False), (5,)),
    Row("Conv2D", lambda: nn.Conv2D(2, 3, strides=2, padding=1, activation="relu"), (2, 5, 4)),
    Row("Conv2D_same_dilated",
        lambda: nn.Conv2D(2, 3, strides=2, padding="same", dilation=2), (2, 7, 6)),
    Row("Conv2D_channels_last",
        lambda: nn.Conv2D(2, (2, 3), padding="same", data_format="channels_last"),
        (4, 5, 3)),  # fmt: skip
    Row("Conv1D", lambda: nn.Conv1D(2, 3, strides=2, padding=(1, 2)), (3, 7)),
    Row("Conv1D_causal_dilated", lambda: nn.Conv1D(2, 3, padding="causal", dilation=2), (3, 7)),
    Row("Conv1D_same_channels_last",
        lambda: nn.Conv1D(2, 4, padding="same", data_format="channels_last"),
        (7, 3)),  # fmt: skip
    Row("Conv2DTranspose", lambda: nn.Conv2DTranspose(2, 3, strides=2, padding=1, output_padding=1),
        (3, 4, 3)),  # fmt: skip
    Row("Conv2DTranspose_same_channels_last",
        lambda: nn.Conv2DTranspose(2, 5, strides=2, padding="same", data_format="channels_last"),
        (3, 4, 3)),  # fmt: skip
    Row("MaxPool2D", lambda: nn.MaxPool2D(2), (2, 4, 5)),
    Row("MaxPool2D_same", lambda: nn.MaxPool2D(3, strides=2, padding="same"), (2, 5, 4)),
    Row("AvgPool2D_padded", lambda: nn.AvgPool2D(3, strides=2, padding=1), (2, 5, 4)),
    Row("AvgPool2D_same_channels_last",
        lambda: nn.AvgPool2D(2, padding="same", data_format="channels_last"),
        (5, 3, 2)),  # fmt: skip
    Row("MaxPool1D", lambda: nn.MaxPool1D(2), (2, 7)),
    Row("AvgPool1D", lambda: nn.AvgPool1D(3, strides=2), (2, 7)),
    Row("GlobalAvgPool2D", nn.GlobalAvgPool2D, (2, 3, 4)),
    Row("GlobalAvgPool1D_channels_last",
        lambda: nn.GlobalAvgPool1D(data_format="channels_last"), (5, 3)),
    Row("UpSampling2D", lambda: nn.UpSampling2D((2, 3)), (2, 3, 2)),
    Row("UpSampling2D_bilinear", lambda: nn.UpSampling2D(2, interpolation="bilinear"), (2, 3, 4)),
    Row("Flatten", seq(nn.Flatten(), nn.Dense(2)), (2, 3, 2)),
    Row("Reshape", lambda: nn.Reshape((3, -1)), (2, 6)),
    Row("ZeroPadding2D", lambda: nn.ZeroPadding2D(((1, 2), (0, 1))), (2, 3, 3)),
    Row("Cropping2D", lambda: nn.Cropping2D(((1, 0), (1, 2))), (2, 4, 5)),
    Row("Embedding", seq(nn.Embedding(7, 3), nn.Flatten()), (4,), ids=7),
    Row("SimpleRNN_relu_pytorch",
        lambda: nn.SimpleRNN(3, activation="relu", return_sequences=True, convention="pytorch"),
        (4, 2)),  # fmt: skip
    Row("SimpleRNN_keras_reverse", lambda: nn.SimpleRNN(3, reverse=True), (4, 2)),
    Row("LSTM_keras_states", lambda: nn.LSTM(3, return_sequences=True, return_state=True), (4, 2)),
    Row("LSTM_pytorch", lambda: nn.LSTM(3, convention="pytorch"), (4, 2)),
    Row("LSTM_no_bias", lambda: nn.LSTM(3, use_bias=False, return_sequences=True), (4, 2)),
    Row("GRU_keras", lambda: nn.GRU(3, return_sequences=True), (4, 2)),
    Row("GRU_pytorch_states", lambda: nn.GRU(3, return_state=True, convention="pytorch"), (4, 2)),
    Row("GRU_pytorch_reverse",
        lambda: nn.GRU(3, reverse=True, return_sequences=True, convention="pytorch"),
        (4, 2)),  # fmt: skip
    Row("SimpleRNN_go_backwards_sequences_states",
        lambda: nn.SimpleRNN(3, go_backwards=True, return_sequences=True, return_state=True), (4, 2)),
    Row("LSTM_go_backwards_states", lambda: nn.LSTM(3, go_backwards=True, return_state=True), (4, 2)),
    Row("LSTM_go_backwards_sequences_states",
        lambda: nn.LSTM(3, go_backwards=True, return_sequences=True, return_state=True), (4, 2)),
    Row("LSTM_zero_output_for_mask_unmasked",
        lambda: nn.LSTM(3, return_sequences=True, zero_output_for_mask=True), (4, 2)),
    Row("GRU_pytorch_go_backwards", lambda: nn.GRU(3, go_backwards=True, convention="pytorch"), (4, 2)),
    Row("GRU_reset_before_states",
        lambda: nn.GRU(3, reset_after=False, return_sequences=True, return_state=True), (4, 2)),
    Row("GRU_reset_before_go_backwards",
        lambda: nn.GRU(3, reset_after=False, go_backwards=True, return_sequences=True), (4, 2)),
    Row("GRU_reset_before_no_bias", lambda: nn.GRU(3, reset_after=False, use_bias=False), (4, 2)),
    Row("Bidirectional_concat",
        lambda: nn.Bidirectional(nn.GRU(2, return_sequences=True, convention="pytorch")), (3, 2)),
    Row("Bidirectional_ave_states",
        lambda: nn.Bidirectional(nn.LSTM(2, return_state=True), "ave"), (3, 2)),
    Row("Bidirectional_sum", lambda: nn.Bidirectional(nn.SimpleRNN(2), "sum"), (3, 2)),
    Row("Bidirectional_mul", lambda: nn.Bidirectional(nn.SimpleRNN(2), "mul"), (3, 2)),
    Row("TimeDistributed", lambda: nn.TimeDistributed(nn.Dense(2, activation="tanh")), (3, 4)),
    Row("MultiHeadAttention", lambda: nn.MultiHeadAttention(2), (3, 4)),
    Row("MultiHeadAttention_keras",
        lambda: nn.MultiHeadAttention(2, key_dim=3, convention="keras"), (3, 4)),
    Row("PositionalEncoding", lambda: nn.PositionalEncoding(10), (3, 4)),
    Row("PositionEmbedding", lambda: nn.PositionEmbedding(5), (3, 4)),
    Row("TransformerEncoderLayer", lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=5), (3, 4)),
    Row("TransformerEncoderLayer_pre_norm_gelu",
        lambda: nn.TransformerEncoderLayer(4, 2, 5, activation="gelu", norm_first=True), (3, 4)),
    Row("TransformerEncoder",
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 5), 2, norm=nn.LayerNorm(4)),
        (3, 4)),  # fmt: skip
    Row("TransformerDecoderLayer", make=lambda: nn.TransformerDecoderLayer(4, 2, 5), **DECODER),
    Row("TransformerDecoderLayer_pre_norm_gelu", **DECODER,
        make=lambda: nn.TransformerDecoderLayer(4, 2, 5, norm_first=True, activation="gelu")),
    Row("TransformerDecoder_norm", **DECODER,
        make=lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 5), 2, nn.LayerNorm())),
    Row("Model_decoder_causal", make=lambda: decoder_model(True, tgt_is_causal=True), **DECODER),
    Row("Model_decoder_post_norm", make=lambda: decoder_model(False), **DECODER),
    Row("Model_decoder_fixed_masks", decoder_fixed_masks, [(3, 4), (5, 4)], feed=fixed_lengths),
    Row("GCNConv", make=lambda: nn.GCNConv(4), **GRAPH),
    Row("GCNConv_no_self_loops", make=lambda: nn.GCNConv(4, add_self_loops=False, use_bias=False), **GRAPH),
    Row("GCNConv_unnormalized", make=lambda: nn.GCNConv(4, normalize=False), **GRAPH),
    Row("SAGEConv_mean", make=lambda: nn.SAGEConv(4), **GRAPH),
    Row("SAGEConv_sum_no_root", make=lambda: nn.SAGEConv(4, aggregator="sum", root_weight=False), **GRAPH),
    Row("SAGEConv_max", make=lambda: nn.SAGEConv(4, aggregator="max"), opset=18, **GRAPH),
    Row("GATConv_heads_concat", make=lambda: nn.GATConv(2, heads=3), **GRAPH),
    Row("GATConv_mean_no_loops", make=lambda: nn.GATConv(2, heads=2, concat=False, add_self_loops=False),
        **GRAPH),
    Row("GlobalSumPool", make=nn.GlobalSumPool, **POOL),
    Row("GlobalMeanPool", make=nn.GlobalMeanPool, **POOL),
    Row("GlobalMaxPool", make=nn.GlobalMaxPool, opset=18, **POOL),
    Row("GCN", make=lambda: GCN(3, hidden=4, num_features=3), **GRAPH),
    Row("GraphSAGE", make=lambda: GraphSAGE(3, hidden=4, num_features=3), **GRAPH),
    Row("GAT", make=lambda: GAT(3, hidden=2, heads=2, output_heads=2, num_features=3), **GRAPH),
    Row("Sequential_conv_net",
        seq(nn.Conv2D(3, 3, padding="same"), nn.BatchNorm(), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
            nn.Dropout(0.3), nn.Dense(2, activation="softmax")), (2, 6, 6)),  # fmt: skip
    Row("Model_functional_merges", functional_residual, (4,)),
    Row("BasicBlock_projection", lambda: BasicBlock(4, strides=2), (3, 5, 5)),
    # the ready models
    Row("LeNet5", LeNet5, (1, 32, 32)),
    Row("ResNet18", lambda: ResNet18(num_classes=5, input_shape=(3, 16, 16)), (3, 16, 16)),
    Row("CharRNN_lstm", lambda: CharRNN(9, embedding_dim=4, units=5), (6,), ids=9),
    Row("CharRNN_gru_pytorch", lambda: CharRNN(9, 4, 5, cell="gru", convention="pytorch"), (6,), ids=9),
    Row("TransformerLM",
        lambda: TransformerLM(11, context=8, d_model=8, num_layers=2, num_heads=2), (5,),
        ids=11),  # fmt: skip
    Row("TransformerLM_tied_no_bias",
        lambda: TransformerLM(11, 8, 8, num_layers=1, num_heads=2, bias=False, tie_weights=True), (8,),
        ids=11),  # fmt: skip
    Row("DCGAN_generator", lambda: DCGAN(latent_dim=3, width=2), (3,)),
    # the test randomizes the average apart from the generator: the file must hold the average
    Row("DCGAN_generator_ema", lambda: DCGAN(latent_dim=3, width=2, ema_decay=0.5), (3,)),
    Row("ViT",
        lambda: ViT((1, 8, 8), patch_size=4, num_classes=3, d_model=8, num_layers=2, num_heads=2),
        (1, 8, 8)),  # fmt: skip
]


# The constructor options each converter was written for (besides name and dtype). A layer that gains one
# (Keras's GRU reset_after, go_backwards, ...) fails test_converters_know_every_option until its converter
# in glassnet/io/onnx handles it (or refuses it) and the option is added here: a new option must never be
# silently exported as if it were absent.
KNOWN_OPTIONS = {
    "Add": "",
    "Average": "",
    "AvgPool1D": "data_format padding pool_size strides",
    "AvgPool2D": "data_format padding pool_size strides",
    "BasicBlock": "filters strides weight_init",
    "BatchNorm": "axis convention data_format epsilon momentum",
    "Bidirectional": "backward_layer layer merge_mode",
    "CharRNN": "cell convention embedding_dim num_layers units vocab_size",
    "Concatenate": "axis",
    "Conv1D": (
        "activation bias_init bias_regularizer data_format dilation filters kernel_size padding "
        "strides use_bias weight_init weight_regularizer"
    ),
    "Conv2D": (
        "activation bias_init bias_regularizer data_format dilation filters kernel_size padding "
        "strides use_bias weight_init weight_regularizer"
    ),
    "Conv2DTranspose": (
        "activation bias_init bias_regularizer data_format dilation filters kernel_size "
        "output_padding padding strides use_bias weight_init weight_regularizer"
    ),
    "Cropping2D": "amounts cropping data_format",
    "Dense": "activation bias_init bias_regularizer units use_bias weight_init weight_regularizer",
    "Dropout": "rate",
    "ELU": "alpha",
    "Embedding": "dim embeddings_init mask_zero vocab_size",
    "Flatten": "",
    "GAN": "discriminator generator latent_dim output_range ema_decay",
    "GELU": "approximate",
    "GRU": (
        "bias_init convention fused go_backwards kernel_init recurrent_init reset_after return_sequences "
        "return_state reverse stateful units use_bias zero_output_for_mask"
    ),
    "GlobalAvgPool1D": "data_format",
    "GlobalAvgPool2D": "data_format",
    "Identity": "",
    "InputLayer": "shape",
    "LSTM": (
        "bias_init convention fused go_backwards kernel_init recurrent_init return_sequences return_state "
        "reverse stateful unit_forget_bias units use_bias zero_output_for_mask"
    ),
    "LayerNorm": "bias convention elementwise_affine eps normalized_shape",
    "LeakyReLU": "alpha convention",
    "MaxPool1D": "data_format padding pool_size strides",
    "MaxPool2D": "data_format padding pool_size strides",
    "Model": "inputs outputs",
    "MultiHeadAttention": "convention dropout embed_dim kdim key_dim num_heads use_bias value_dim vdim",
    "Multiply": "",
    "PReLU": "convention init num_parameters shared_axes",
    "PositionEmbedding": "embeddings_init max_len",
    "PositionalEncoding": "max_len",
    "RReLU": "lower upper",
    "ReLU": "",
    "Reshape": "target_shape",
    "SELU": "",
    "Sequential": "input_shape layers",
    "SiLU": "",
    "Sigmoid": "",
    "SimpleRNN": (
        "activation bias_init convention fused go_backwards kernel_init recurrent_init return_sequences "
        "return_state reverse stateful units use_bias zero_output_for_mask"
    ),
    "Softmax": "axis",
    "Step": "threshold",
    "Tanh": "",
    "TimeDistributed": "layer",
    "TransformerEncoder": "layer norm num_layers",
    "TransformerDecoder": "layer norm num_layers",
    "TransformerDecoderLayer": (
        "activation bias d_model dim_feedforward dropout layer_norm_eps nhead norm_first"
    ),
    "GCNConv": "add_self_loops bias_init normalize units use_bias weight_init weight_regularizer",
    "SAGEConv": "aggregator bias_init root_weight units use_bias weight_init weight_regularizer",
    "GATConv": (
        "add_self_loops bias_init concat dropout heads negative_slope units use_bias weight_init "
        "weight_regularizer"
    ),
    "GlobalSumPool": "",
    "GlobalMeanPool": "",
    "GlobalMaxPool": "",
    "GCN": "dropout hidden num_classes num_features weight_decay",
    "GraphSAGE": "dropout hidden num_classes num_features weight_decay",
    "GAT": "dropout heads hidden num_classes num_features output_heads",
    "TransformerEncoderLayer": (
        "activation bias d_model dim_feedforward dropout layer_norm_eps nhead norm_first"
    ),
    "TransformerLM": (
        "bias context d_model dim_feedforward dropout num_heads num_layers tie_weights vocab_size"
    ),
    "UpSampling2D": "data_format interpolation size",
    "ViT": "d_model dim_feedforward dropout input_shape num_classes num_heads num_layers patch_size",
    "ZeroPadding2D": "amounts data_format padding",
}
