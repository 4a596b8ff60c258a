"""The table of layers and losses: one row per public layer and loss (and per interesting case of it), run
by tests/nn/test_layer_table.py: output shape against ``compute_output_shape`` and ``summary()``, the
``get_config`` round trip, the save/load round trip, gradcheck through the layer (float64) and PyTorch
parity where PyTorch has a counterpart. Adding a layer or a loss means adding a row here; a test fails,
naming it, when a public one has none.

A layer row builds a fresh layer (``make``), draws an input of ``shape`` (batch first), and may give
``torch``: a function of the built glassnet layer returning the PyTorch module with the same weights (it may
load PyTorch's weights into the glassnet layer instead, as the recurrent layers do) and the pairs
(glassnet parameter, PyTorch parameter, transpose) whose gradients must agree. This module imports
without PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from glassnet import nn

BATCH = 3

# Exported from glassnet.nn and subclasses of Module or Loss, yet no row: the reason for each.
NOT_LAYERS = {
    "Module": "the abstract base of every layer and model",
    "Loss": "the abstract base of the losses",
    "Activation": "the base of the activation modules (each one has a row)",
    "Sequential": "a container: its layers have rows, and every row runs inside one (save/load, summary)",
    "Model": "a container (the functional API): tests/nn/test_functional_model.py, test_resnet_functional.py",
    "ModuleList": "a container of layers, not a layer: tests/nn/test_containers.py",
    "ModuleDict": "a container of layers, not a layer: tests/nn/test_containers.py",
    "InputLayer": "a placeholder with no computation: tests/nn/test_functional_model.py",
    # Merge layers take several inputs, which the single-input rows below cannot feed yet; their values,
    # gradcheck and PyTorch parity are in tests/nn/test_functional_model.py.
    "Add": "several inputs: tests/nn/test_functional_model.py",
    "Multiply": "several inputs: tests/nn/test_functional_model.py",
    "Average": "several inputs: tests/nn/test_functional_model.py",
    "Concatenate": "several inputs: tests/nn/test_functional_model.py",
    # Graph layers take (x, edge_index) or (x, batch); gradcheck and PyTorch Geometric parity of outputs and
    # every gradient are in tests/nn/test_graph_layers.py.
    "GCNConv": "(x, edge_index): tests/nn/test_graph_layers.py",
    "SAGEConv": "(x, edge_index): tests/nn/test_graph_layers.py",
    "GATConv": "(x, edge_index): tests/nn/test_graph_layers.py",
    "GlobalSumPool": "(x, batch): tests/nn/test_graph_layers.py",
    "GlobalMeanPool": "(x, batch): tests/nn/test_graph_layers.py",
    "GlobalMaxPool": "(x, batch): tests/nn/test_graph_layers.py",
    # Decoders take the target and the encoder's memory: tests/nn/test_transformer.py checks them.
    "TransformerDecoderLayer": "two inputs (target, memory): tests/nn/test_transformer.py",
    "TransformerDecoder": "two inputs (target, memory): tests/nn/test_transformer.py",
}


def _torch():
    import torch

    return torch


@dataclass(frozen=True)
class LayerRow:
    """One case of one layer.

    Args:
        name: the test id.
        make: a fresh, unbuilt layer (float64 parameters: the tests run with float64 as the default).
        shape: the input's shape without the batch axis.
        labels: draw integer ids in [0, labels) instead of normal floats (Embedding's input).
        torch: the PyTorch counterpart (see the module docstring), or None with ``no_torch`` saying why.
        training: the mode of the gradcheck and the parity run (False where the training pass is random
            and PyTorch's randomness cannot be matched).
        seeded: re-seed before every call, so that a random layer (Dropout, RReLU) draws the same mask for
            each of gradcheck's evaluations.
    """

    name: str
    make: Callable
    shape: tuple
    labels: int = 0
    torch: Callable | None = None
    no_torch: str = ""
    training: bool = True
    seeded: bool = False

    def draw(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        if self.labels:
            return rng.integers(0, self.labels, (BATCH,) + self.shape)
        return rng.standard_normal((BATCH,) + self.shape)


def _params(pairs):
    return lambda layer, module: [
        (getattr(layer, ours), dict(module.named_parameters())[theirs], transpose)
        for ours, theirs, transpose in pairs
    ]


def _copy_into(module, layer, pairs):
    """Copy the glassnet layer's parameters into the PyTorch module (transposed where marked)."""
    torch = _torch()
    named = dict(module.named_parameters())
    with torch.no_grad():
        for ours, theirs, transpose in pairs:
            value = getattr(layer, ours).data
            named[theirs].copy_(torch.from_numpy(value.T.copy() if transpose else value.copy()))
    return module, _params(pairs)(layer, module)


def torch_dense(layer):
    torch = _torch()
    module = torch.nn.Linear(layer.weight.shape[0], layer.units, dtype=torch.float64)
    return _copy_into(module, layer, [("weight", "weight", True), ("bias", "bias", False)])


def torch_conv(layer):
    torch = _torch()
    out_channels, in_channels, kh, kw = layer.weight.shape
    module = torch.nn.Conv2d(in_channels, out_channels, (kh, kw), stride=2, padding=1, dtype=torch.float64)
    return _copy_into(module, layer, [("weight", "weight", False), ("bias", "bias", False)])


def torch_conv_transpose(layer):
    torch = _torch()
    in_channels, out_channels, kh, kw = layer.weight.shape
    module = torch.nn.ConvTranspose2d(
        in_channels, out_channels, (kh, kw), stride=2, padding=1, output_padding=1, dtype=torch.float64
    )
    return _copy_into(module, layer, [("weight", "weight", False), ("bias", "bias", False)])


def torch_conv1d(layer):
    torch = _torch()
    out_channels, in_channels, kernel = layer.weight.shape
    module = torch.nn.Conv1d(in_channels, out_channels, kernel, stride=2, padding=1, dtype=torch.float64)
    return _copy_into(module, layer, [("weight", "weight", False), ("bias", "bias", False)])


def torch_batch_norm(layer):
    torch = _torch()
    kind = torch.nn.BatchNorm1d if len(layer.input_shape) == 2 else torch.nn.BatchNorm2d
    module = kind(layer.gamma.shape[0], dtype=torch.float64)
    layer.gamma.data[...] = np.linspace(0.5, 1.5, layer.gamma.size)  # not ones: γ's place shows
    return _copy_into(module, layer, [("gamma", "weight", False), ("beta", "bias", False)])


def torch_layer_norm(layer):
    torch = _torch()
    module = torch.nn.LayerNorm(layer.normalized_shape, dtype=torch.float64)
    layer.gamma.data[...] = np.linspace(0.5, 1.5, layer.gamma.size).reshape(layer.gamma.shape)
    return _copy_into(module, layer, [("gamma", "weight", False), ("beta", "bias", False)])


def torch_layer_norm_no_bias(layer):
    torch = _torch()
    module = torch.nn.LayerNorm(layer.normalized_shape, bias=False, dtype=torch.float64)
    layer.gamma.data[...] = np.linspace(0.5, 1.5, layer.gamma.size).reshape(layer.gamma.shape)
    return _copy_into(module, layer, [("gamma", "weight", False)])


def torch_embedding(layer):
    torch = _torch()
    module = torch.nn.Embedding(layer.vocab_size, layer.dim, dtype=torch.float64)
    return _copy_into(module, layer, [("weight", "weight", False)])


def torch_prelu(layer):
    torch = _torch()
    module = torch.nn.PReLU(layer.num_parameters, dtype=torch.float64)
    return _copy_into(module, layer, [("slope", "weight", False)])


@dataclass(frozen=True)
class TorchModule:
    """A parameter-free PyTorch module by name (``"ReLU"``), with fixed arguments."""

    name: str
    kwargs: dict = field(default_factory=dict)

    def __call__(self, layer):
        return getattr(_torch().nn, self.name)(**self.kwargs), []


# glassnet's recurrent weights (convention "pytorch") and PyTorch's: (ours, theirs, transposed)
RECURRENT_WEIGHTS = [
    ("kernel", "weight_ih", True),
    ("recurrent_kernel", "weight_hh", True),
    ("bias", "bias_ih", False),
    ("recurrent_bias", "bias_hh", False),
]


@dataclass(frozen=True)
class TorchRecurrent:
    """nn.RNN/LSTM/GRU (batch_first) whose weights are loaded into the glassnet layer (convention
    "pytorch"), through the layers' own ``load_torch_state_dict``."""

    kind: str
    bidirectional: bool = False

    def __call__(self, layer):
        torch = _torch()
        parts = [layer.forward_layer, layer.backward_layer] if self.bidirectional else [layer]
        features = parts[0].kernel.shape[0]
        rnn = getattr(torch.nn, self.kind)(
            features, parts[0].units, batch_first=True, bidirectional=self.bidirectional, dtype=torch.float64
        )
        names = dict(rnn.named_parameters())
        pairs = []
        for reverse, part in zip((False, True), parts):
            part.load_torch_state_dict(rnn.state_dict(), 0, reverse)
            suffix = "_l0_reverse" if reverse else "_l0"
            for ours, theirs, transpose in RECURRENT_WEIGHTS:
                pairs.append((getattr(part, ours), names[theirs + suffix], transpose))

        class Output(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = rnn

            def forward(self, x):
                return self.rnn(x)[0]

        return Output(), pairs


def torch_global_average(layer):
    torch = _torch()
    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()), []


def torch_global_average_1d(layer):
    torch = _torch()
    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten()), []


def torch_reshape(layer):
    torch = _torch()
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Unflatten(1, layer.target_shape)), []


def dense_on_time(layer):
    """TimeDistributed(Dense): nn.Linear applies on the last axis of (N, T, F) already."""
    return torch_dense(layer.layer)


def _attention_pairs(prefix, attention, torch_named):
    return [
        (getattr(attention, ours), torch_named[prefix + theirs], False)
        for ours, theirs in (("in_proj_weight", "in_proj_weight"), ("in_proj_bias", "in_proj_bias"),
                             ("out_proj_weight", "out_proj.weight"), ("out_proj_bias", "out_proj.bias"))
    ]  # fmt: skip


def torch_multihead_attention(layer):
    """nn.MultiheadAttention (batch first) as self-attention, its weights loaded into the layer."""
    torch = _torch()
    module = torch.nn.MultiheadAttention(
        layer.embed_dim, layer.num_heads, batch_first=True, dtype=torch.float64
    )
    with torch.no_grad():
        for parameter in module.parameters():  # biases away from PyTorch's zeros
            parameter.add_(torch.from_numpy(np.random.default_rng(3).uniform(-0.5, 0.5, parameter.shape)))
    layer.load_torch_state_dict(module.state_dict())

    class SelfAttention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = module

        def forward(self, x):
            return self.attention(x, x, x, need_weights=False)[0]

    return SelfAttention(), _attention_pairs("", layer, dict(module.named_parameters()))


def _encoder_pairs(prefix, layer, named):
    pairs = _attention_pairs(prefix + "self_attn.", layer.self_attn, named)
    for linear in ("linear1", "linear2"):
        pairs += [(getattr(layer, linear).weight, named[f"{prefix}{linear}.weight"], True),
                  (getattr(layer, linear).bias, named[f"{prefix}{linear}.bias"], False)]  # fmt: skip
    for norm in ("norm1", "norm2"):
        pairs += [(getattr(layer, norm).gamma, named[f"{prefix}{norm}.weight"], False),
                  (getattr(layer, norm).beta, named[f"{prefix}{norm}.bias"], False)]  # fmt: skip
    return pairs


def torch_encoder_layer(layer):
    """nn.TransformerEncoderLayer (batch first, the layer's options), its weights loaded into the layer."""
    torch = _torch()
    module = torch.nn.TransformerEncoderLayer(
        layer.d_model, layer.nhead, layer.dim_feedforward, dropout=0.0, activation=layer.activation_name,
        norm_first=layer.norm_first, batch_first=True, dtype=torch.float64,
    )  # fmt: skip
    layer.load_torch_state_dict(module.state_dict())
    return module, _encoder_pairs("", layer, dict(module.named_parameters()))


def torch_encoder(stack):
    """nn.TransformerEncoder of copies of the first layer's config, with a final LayerNorm."""
    torch = _torch()
    first = stack.layers[0]
    block = torch.nn.TransformerEncoderLayer(
        first.d_model, first.nhead, first.dim_feedforward, dropout=0.0, activation=first.activation_name,
        norm_first=first.norm_first, batch_first=True, dtype=torch.float64,
    )  # fmt: skip
    module = torch.nn.TransformerEncoder(
        block, stack.num_layers, norm=torch.nn.LayerNorm(first.d_model, dtype=torch.float64),
        enable_nested_tensor=False,
    )  # fmt: skip
    with torch.no_grad():
        for parameter in module.parameters():  # the copies apart from each other
            parameter.add_(torch.from_numpy(np.random.default_rng(4).uniform(-0.2, 0.2, parameter.shape)))
    stack.load_torch_state_dict(module.state_dict())
    named = dict(module.named_parameters())
    pairs = [(stack.norm.gamma, named["norm.weight"], False), (stack.norm.beta, named["norm.bias"], False)]
    for k, layer in enumerate(stack.layers):
        pairs += _encoder_pairs(f"layers.{k}.", layer, named)
    return module, pairs


LAYERS = [
    LayerRow(
        "Dense",
        lambda: nn.Dense(3, activation="tanh"),
        (4,),
        no_torch="the activation is a second module in PyTorch; see Dense_linear",
    ),
    LayerRow("Dense_linear", lambda: nn.Dense(3), (4,), torch=torch_dense),
    LayerRow("Conv2D", lambda: nn.Conv2D(2, 3, strides=2, padding=1), (2, 5, 4), torch=torch_conv),
    LayerRow(
        "Conv2DTranspose",
        lambda: nn.Conv2DTranspose(2, 3, strides=2, padding=1, output_padding=1),
        (3, 4, 3),
        torch=torch_conv_transpose,
    ),
    LayerRow(
        "Conv2DTranspose_channels_last_same",
        lambda: nn.Conv2DTranspose(2, 5, strides=2, padding="same", data_format="channels_last"),
        (3, 4, 3),
        no_torch="PyTorch has no NHWC layer nor 'same'; tests/ops rows compare the op's 'same' with PyTorch",
    ),
    LayerRow(
        "UpSampling2D",
        lambda: nn.UpSampling2D((2, 3)),
        (2, 3, 2),
        torch=TorchModule("Upsample", {"scale_factor": (2, 3), "mode": "nearest"}),
    ),
    LayerRow(
        "UpSampling2D_bilinear",
        lambda: nn.UpSampling2D(2, interpolation="bilinear"),
        (2, 3, 4),
        torch=TorchModule("Upsample", {"scale_factor": 2, "mode": "bilinear", "align_corners": False}),
    ),
    LayerRow(
        "MaxPool2D", lambda: nn.MaxPool2D(2), (2, 4, 5), torch=TorchModule("MaxPool2d", {"kernel_size": 2})
    ),
    LayerRow(
        "AvgPool2D",
        lambda: nn.AvgPool2D(2, strides=1),
        (2, 3, 4),
        torch=TorchModule("AvgPool2d", {"kernel_size": 2, "stride": 1}),
    ),
    LayerRow("GlobalAvgPool2D", nn.GlobalAvgPool2D, (2, 3, 4), torch=torch_global_average),
    LayerRow("Conv1D", lambda: nn.Conv1D(2, 3, strides=2, padding=1), (3, 7), torch=torch_conv1d),
    LayerRow(
        "MaxPool1D", lambda: nn.MaxPool1D(2), (2, 7), torch=TorchModule("MaxPool1d", {"kernel_size": 2})
    ),
    LayerRow(
        "AvgPool1D",
        lambda: nn.AvgPool1D(3, strides=2),
        (2, 7),
        torch=TorchModule("AvgPool1d", {"kernel_size": 3, "stride": 2}),
    ),
    LayerRow("GlobalAvgPool1D", nn.GlobalAvgPool1D, (3, 5), torch=torch_global_average_1d),
    LayerRow(
        "ZeroPadding2D",
        lambda: nn.ZeroPadding2D(((1, 2), (0, 1))),
        (2, 3, 3),
        torch=TorchModule("ZeroPad2d", {"padding": (0, 1, 1, 2)}),
    ),
    LayerRow(
        "Cropping2D",
        lambda: nn.Cropping2D(((1, 0), (1, 2))),
        (2, 4, 5),
        no_torch="PyTorch crops by slicing, no module; tests/nn/test_layers_1d_and_borders.py",
    ),
    LayerRow(
        "Conv2D_channels_last",
        lambda: nn.Conv2D(2, 3, padding="same", data_format="channels_last"),
        (4, 5, 3),
        no_torch="PyTorch has no NHWC layer; tests/nn/test_channels_last.py compares with channels_first",
    ),
    LayerRow("Flatten", nn.Flatten, (2, 3, 2), torch=TorchModule("Flatten")),
    LayerRow(
        "Reshape",
        lambda: nn.Reshape((3, 4)),
        (2, 6),
        torch=torch_reshape,
    ),
    LayerRow(
        "Dropout",
        lambda: nn.Dropout(0.5),
        (6,),
        training=True,
        seeded=True,
        no_torch="PyTorch draws its own mask; tests/ops checks the op against the same mask",
    ),
    LayerRow("BatchNorm_2d", lambda: nn.BatchNorm(convention="pytorch"), (4,), torch=torch_batch_norm),
    LayerRow("BatchNorm_4d", lambda: nn.BatchNorm(convention="pytorch"), (2, 3, 2), torch=torch_batch_norm),
    LayerRow("BatchNorm_notes", nn.BatchNorm, (3,), no_torch="Keras's running update; see BatchNorm_2d"),
    LayerRow(
        "BatchNorm_channels_last_keras",
        lambda: nn.BatchNorm(convention="keras", axis=-1),
        (2, 3, 4),
        no_torch="Keras's axis=-1; tests/nn/test_keras_conventions.py checks it against Keras 3",
    ),
    LayerRow("LayerNorm", nn.LayerNorm, (2, 5), torch=torch_layer_norm),
    LayerRow("LayerNorm_no_bias", lambda: nn.LayerNorm(bias=False), (2, 5), torch=torch_layer_norm_no_bias),
    LayerRow("LayerNorm_two_axes", lambda: nn.LayerNorm((2, 3)), (2, 3), torch=torch_layer_norm),
    LayerRow("Embedding", lambda: nn.Embedding(7, 3), (4,), labels=7, torch=torch_embedding),
    LayerRow(
        "SimpleRNN",
        lambda: nn.SimpleRNN(3, return_sequences=True, convention="pytorch"),
        (4, 2),
        torch=TorchRecurrent("RNN"),
    ),
    LayerRow(
        "LSTM",
        lambda: nn.LSTM(3, return_sequences=True, convention="pytorch"),
        (4, 2),
        torch=TorchRecurrent("LSTM"),
    ),
    LayerRow(
        "GRU",
        lambda: nn.GRU(3, return_sequences=True, convention="pytorch"),
        (4, 2),
        torch=TorchRecurrent("GRU"),
    ),
    LayerRow("LSTM_keras_last_state", lambda: nn.LSTM(3), (4, 2), no_torch="Keras's gate layout; see LSTM"),
    LayerRow(
        "GRU_keras_reset_before_go_backwards",
        lambda: nn.GRU(3, reset_after=False, go_backwards=True, return_sequences=True),
        (4, 2),
        no_torch="PyTorch has no reset_after=False GRU; tests/nn/test_keras_conventions.py checks Keras 3",
    ),
    LayerRow(
        "Bidirectional",
        lambda: nn.Bidirectional(nn.GRU(2, return_sequences=True, convention="pytorch")),
        (3, 2),
        torch=TorchRecurrent("GRU", bidirectional=True),
    ),
    LayerRow("TimeDistributed", lambda: nn.TimeDistributed(nn.Dense(2)), (3, 4), torch=dense_on_time),
    LayerRow("MultiHeadAttention", lambda: nn.MultiHeadAttention(2), (3, 4), torch=torch_multihead_attention),
    LayerRow(
        "MultiHeadAttention_keras",
        lambda: nn.MultiHeadAttention(2, key_dim=3, convention="keras"),
        (3, 4),
        no_torch="Keras layout; tests/nn/test_transformer.py checks it against a NumPy Keras 3",
    ),
    LayerRow(
        "PositionalEncoding",
        lambda: nn.PositionalEncoding(10),
        (3, 4),
        no_torch="PyTorch has no such module (its tutorial's); tests/nn/test_transformer.py checks the table",
    ),
    LayerRow(
        "PositionEmbedding",
        lambda: nn.PositionEmbedding(5),
        (3, 4),
        no_torch="x + a learned table; tests/nn/test_transformer.py checks it by hand",
    ),
    LayerRow(
        "TransformerEncoderLayer",
        lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=5, dropout=0.0),
        (3, 4),
        torch=torch_encoder_layer,
    ),
    LayerRow(
        "TransformerEncoderLayer_pre_norm_gelu",
        lambda: nn.TransformerEncoderLayer(4, 2, 5, dropout=0.0, activation="gelu", norm_first=True),
        (3, 4),
        torch=torch_encoder_layer,
    ),
    LayerRow(
        "TransformerEncoder",
        lambda: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(4, 2, 5, dropout=0.0), 2, norm=nn.LayerNorm(4)
        ),
        (3, 4),
        torch=torch_encoder,
    ),
    # activations (modules)
    LayerRow("Step", nn.Step, (5,), no_torch="PyTorch has no step module"),
    LayerRow("Identity", nn.Identity, (5,), torch=TorchModule("Identity")),
    LayerRow("Sigmoid", nn.Sigmoid, (5,), torch=TorchModule("Sigmoid")),
    LayerRow("Tanh", nn.Tanh, (5,), torch=TorchModule("Tanh")),
    LayerRow("ReLU", nn.ReLU, (5,), torch=TorchModule("ReLU")),
    LayerRow(
        "LeakyReLU", lambda: nn.LeakyReLU(0.2), (5,), torch=TorchModule("LeakyReLU", {"negative_slope": 0.2})
    ),
    LayerRow("RReLU", nn.RReLU, (5,), training=False, torch=TorchModule("RReLU")),
    LayerRow(
        "RReLU_training",
        nn.RReLU,
        (5,),
        seeded=True,
        no_torch="PyTorch draws its own slopes; see RReLU (evaluation)",
    ),
    LayerRow("PReLU", lambda: nn.PReLU(2, init=0.3), (2, 3), torch=torch_prelu),
    LayerRow(
        "PReLU_keras_shared_axes",
        lambda: nn.PReLU(init=0.2, convention="keras", shared_axes=[1]),
        (2, 3),
        no_torch="Keras's layout; tests/nn/test_keras_conventions.py checks it against Keras 3",
    ),
    LayerRow("ELU", lambda: nn.ELU(0.7), (5,), torch=TorchModule("ELU", {"alpha": 0.7})),
    LayerRow("SELU", nn.SELU, (5,), torch=TorchModule("SELU")),
    LayerRow("SiLU", nn.activations.SiLU, (5,), torch=TorchModule("SiLU")),
    LayerRow("GELU", nn.GELU, (5,), torch=TorchModule("GELU")),
    LayerRow("GELU_tanh", lambda: nn.GELU("tanh"), (5,), torch=TorchModule("GELU", {"approximate": "tanh"})),
    LayerRow("Softmax", nn.Softmax, (5,), torch=TorchModule("Softmax", {"dim": -1})),
]


# --- losses -----------------------------------------------------------------------------------------------
def _normal(rng, shape):
    return rng.standard_normal(shape)


def _unit(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


def _probabilities(rng, shape):
    e = np.exp(rng.standard_normal(shape))
    return e / e.sum(-1, keepdims=True)


def _one_hot(rng, shape):
    return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]


def _bits(rng, shape):
    return rng.integers(0, 2, shape).astype(np.float64)


def _labels(rng, shape):
    return rng.integers(0, shape[-1], shape[:-1])


def _torch_cce(p, y):
    return -(y * p.log()).sum(-1).mean()


@dataclass(frozen=True)
class TorchLoss:
    """A ``torch.nn.functional`` loss by name; ``log_first`` feeds it log p (nll_loss on probabilities)."""

    name: str
    kwargs: dict = field(default_factory=dict)
    log_first: bool = False

    def __call__(self, prediction, target):
        import torch.nn.functional as F

        return getattr(F, self.name)(
            prediction.log() if self.log_first else prediction, target, **self.kwargs
        )


@dataclass(frozen=True)
class LossRow:
    """One case of one loss: predictions and targets of ``shape`` (batch first) drawn by the functions
    given, and the PyTorch loss of (prediction, target) with the same reduction."""

    name: str
    make: Callable
    prediction: Callable
    target: Callable
    torch: Callable | None
    shape: tuple = (4, 3)
    no_torch: str = ""

    def draw(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        return self.prediction(rng, self.shape), self.target(rng, self.shape)


LOSSES = [
    LossRow("MSE", nn.MSE, _normal, _normal, TorchLoss("mse_loss")),
    LossRow("MAE", nn.MAE, _normal, _normal, TorchLoss("l1_loss")),
    LossRow("Huber", lambda: nn.Huber(delta=0.7), _normal, _normal, TorchLoss("huber_loss", {"delta": 0.7})),
    LossRow(
        "MSE_sum",
        lambda: nn.MSE(reduction="sum"),
        _normal,
        _normal,
        TorchLoss("mse_loss", {"reduction": "sum"}),
    ),
    LossRow("BinaryCrossEntropy", nn.BinaryCrossEntropy, _unit, _bits, TorchLoss("binary_cross_entropy")),
    LossRow(
        "BinaryCrossEntropy_logits",
        lambda: nn.BinaryCrossEntropy(from_logits=True),
        _normal,
        _unit,
        TorchLoss("binary_cross_entropy_with_logits"),
    ),
    LossRow("CategoricalCrossEntropy", nn.CategoricalCrossEntropy, _probabilities, _one_hot, _torch_cce),
    LossRow(
        "CategoricalCrossEntropy_logits",
        lambda: nn.CategoricalCrossEntropy(from_logits=True),
        _normal,
        _probabilities,
        TorchLoss("cross_entropy"),
    ),
    LossRow(
        "SparseCategoricalCrossEntropy",
        nn.SparseCategoricalCrossEntropy,
        _probabilities,
        _labels,
        TorchLoss("nll_loss", log_first=True),
    ),
    LossRow(
        "SparseCategoricalCrossEntropy_logits",
        lambda: nn.SparseCategoricalCrossEntropy(from_logits=True),
        _normal,
        _labels,
        TorchLoss("cross_entropy"),
    ),
]
