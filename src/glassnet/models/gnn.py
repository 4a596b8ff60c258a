"""Graph networks for node classification, the papers' two-layer setups as defaults: GCN (Kipf & Welling,
2017), GAT (Veličković et al., 2018) and GraphSAGE (Hamilton et al., 2017, mean aggregator).

Each is called on a whole ``Graph`` (``model(graph)``: logits for every node), or on its arrays
(``model(x, edge_index)``); ``fit`` reads the loss on the training mask's nodes (``glassnet.train.graph``).
``embed`` gives the hidden layer's node features (for a t-SNE plot of what the network learned).
"""

from __future__ import annotations

from glassnet.nn.activations import ELU
from glassnet.nn.layers.graph import GATConv, GCNConv, SAGEConv
from glassnet.nn.layers.regularization import Dropout
from glassnet.nn.module import Module
from glassnet.nn.regularizers import L2

__all__ = ["GCN", "GAT", "GraphSAGE"]


def _positive(owner: str, **values) -> None:
    for key, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{owner}: {key} must be a positive integer, got {value!r}")


def _rate(owner: str, dropout) -> None:
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"{owner}: dropout must be a rate in [0, 1), got {dropout!r}")


class _NodeClassifier(Module):
    """What the three share: dropout before each convolution, ``forward`` on a graph or on its arrays,
    ``embed``, and building at once when the number of input features is known."""

    def _arrays(self, graph, edge_index):
        if edge_index is not None:  # model(x, edge_index)
            return graph, edge_index
        if not hasattr(graph, "edge_index"):
            raise TypeError(
                f"{type(self).__name__} '{self.name}' is called on a Graph or on (x, edge_index), "
                f"got {type(graph).__name__} alone"
            )
        return graph.x, graph.edge_index

    def embed(self, graph, edge_index=None):
        """The hidden layer's features of every node (N, hidden · heads), after its activation."""
        x, edges = self._arrays(graph, edge_index)
        return self.activation(self.conv1(self.drop_input(x), edges))

    def forward(self, graph, edge_index=None):
        x, edges = self._arrays(graph, edge_index)
        hidden = self.activation(self.conv1(self.drop_input(x), edges))
        return self.conv2(self.drop_hidden(hidden), edges)

    def build(self, input_shape):
        if self.built:
            return
        if input_shape is not None:  # (None, F): the weights now; None (a Graph): on the first call
            self.conv1.build((None, int(input_shape[-1])))
            self.conv2.build(self.conv1.compute_output_shape((None, int(input_shape[-1]))))
        super().build(input_shape)

    def _features(self):
        weight = self.conv1._parameters.get("weight", self.conv1._parameters.get("neighbor_weight"))
        return None if weight is None else int(weight.shape[0])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)


class GCN(_NodeClassifier):
    r"""The GCN of Kipf & Welling (2017), their setup on Cora and Citeseer:

        Z = Â · dropout(ReLU(Â · dropout(X) W₁)) W₂,   Â = D̃^{-1/2} (A + I) D̃^{-1/2}

    (``nn.GCNConv``), logits Z for every node; an L2 penalty ``weight_decay`` · ½‖W₁‖² on the first
    layer's weights only (TensorFlow's ``l2_loss``, as the paper's code; PyTorch's ``weight_decay`` on W₁).
    Train with Adam lr 0.01, at most 200 epochs, early stopping on the validation loss (patience 10).

    Args:
        num_classes: outputs per node.
        hidden: units of the hidden layer (16).
        dropout: rate on the input features and on the hidden ones (0.5).
        weight_decay: the L2 factor on W₁ (5e-4; 0 for none).
        num_features: input features per node, to build the weights at once (else on the first call).

    Example:
        >>> import glassnet as gn
        >>> from glassnet.data import stochastic_block_model
        >>> _ = gn.manual_seed(0)
        >>> model = GCN(num_classes=3)
        >>> model(stochastic_block_model((5, 5, 5), features=4)).shape
        (15, 3)
    """

    _conv = GCNConv

    def __init__(
        self,
        num_classes: int,
        hidden: int = 16,
        dropout: float = 0.5,
        weight_decay: float = 5e-4,
        num_features: int | None = None,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        _positive(owner, num_classes=num_classes, hidden=hidden)
        _rate(owner, dropout)
        if not isinstance(weight_decay, (int, float)) or weight_decay < 0:
            raise ValueError(f"{owner}: weight_decay must be a number >= 0, got {weight_decay!r}")
        self.num_classes, self.hidden, self.dropout, self.weight_decay = (
            num_classes,
            hidden,
            dropout,
            weight_decay,
        )
        self.drop_input, self.drop_hidden = Dropout(dropout), Dropout(dropout)
        regularizer = L2(weight_decay / 2) if weight_decay else None
        self.conv1 = self._conv(hidden, weight_regularizer=regularizer, dtype=dtype)
        self.conv2 = self._conv(num_classes, dtype=dtype)
        self.activation = _relu
        if num_features is not None:
            _positive(owner, num_features=num_features)
            self.build((None, num_features))

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "hidden": self.hidden,
            "dropout": self.dropout,
            "weight_decay": self.weight_decay,
            "num_features": self._features(),
        }


class GraphSAGE(GCN):
    r"""GraphSAGE (Hamilton, Ying & Leskovec, 2017) in GCN's setup: two ``nn.SAGEConv`` layers (mean
    aggregator, root weight), x'_i = W_r x_i + W_l · mean_{j → i} x_j + b, with GCN's dropout, hidden
    size and L2 penalty on the first layer's weights. Arguments as for ``GCN``."""

    _conv = SAGEConv


def _relu(x):
    return x.relu()


class GAT(_NodeClassifier):
    r"""The GAT of Veličković et al. (2018), their setup on Cora and Citeseer: ``heads`` attention heads of
    ``hidden`` units (ELU, concatenated), then ``output_heads`` heads of one unit per class (averaged):

        H = ELU(‖_k GATConv_k(dropout(X))),   Z = mean_k GATConv_k(dropout(H))

    with dropout 0.6 on the features and on the attention coefficients (``nn.GATConv``: LeakyReLU 0.2,
    softmax over each node's neighbours, itself included). Train with Adam lr 0.005 and weight decay 5e-4
    on every parameter (the optimizer's ``weight_decay``), early stopping with patience 100.

    Args:
        num_classes: outputs per node.
        hidden: units per head of the first layer (8).
        heads: heads of the first layer (8).
        output_heads: heads of the output layer, averaged (1; the paper used 8 on PubMed).
        dropout: rate on the features and the attention coefficients (0.6).
        num_features: input features per node, to build the weights at once.
    """

    def __init__(
        self,
        num_classes: int,
        hidden: int = 8,
        heads: int = 8,
        output_heads: int = 1,
        dropout: float = 0.6,
        num_features: int | None = None,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        _positive("GAT", num_classes=num_classes, hidden=hidden, heads=heads, output_heads=output_heads)
        _rate("GAT", dropout)
        self.num_classes, self.hidden, self.heads, self.output_heads = (
            num_classes,
            hidden,
            heads,
            output_heads,
        )
        self.dropout = dropout
        self.drop_input, self.drop_hidden = Dropout(dropout), Dropout(dropout)
        self.conv1 = GATConv(hidden, heads=heads, dropout=dropout, dtype=dtype)
        self.conv2 = GATConv(num_classes, heads=output_heads, concat=False, dropout=dropout, dtype=dtype)
        self.activation = ELU()
        if num_features is not None:
            _positive("GAT", num_features=num_features)
            self.build((None, num_features))

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "hidden": self.hidden,
            "heads": self.heads,
            "output_heads": self.output_heads,
            "dropout": self.dropout,
            "num_features": self._features(),
        }
