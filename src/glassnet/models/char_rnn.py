"""A character-level language model (Karpathy's char-rnn): Embedding -> stacked LSTMs -> Dense logits,
trained to predict the next character, and sampling from it with temperature and top-k."""

from __future__ import annotations

import numpy as np

from glassnet.autograd.grad_mode import no_grad
from glassnet.backend import get_rng
from glassnet.nn.layers.dense import Dense
from glassnet.nn.layers.embedding import Embedding
from glassnet.nn.layers.recurrent import GRU, LSTM
from glassnet.nn.module import Module

__all__ = ["CharRNN", "sample_logits", "sample_ids"]


def sample_logits(logits, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Draw one id per row of ``logits`` (B, V) from softmax(logits / temperature), restricted to the
    ``top_k`` most likely ids when given; ``temperature=0`` takes the most likely id (greedy).

    Lower temperatures sharpen the distribution (safer, more repetitive text), higher ones flatten it.
    Draws come from the generator seeded by ``gn.manual_seed``.

    Example:
        >>> sample_logits(np.array([[0.0, 5.0, 1.0]]), temperature=0).tolist()
        [1]
    """
    logits = np.asarray(logits, dtype=np.float64)
    if temperature < 0:
        raise ValueError(f"sample_logits: temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(axis=-1)
    scaled = logits / temperature
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"sample_logits: top_k must be >= 1, got {top_k}")
        top_k = min(top_k, scaled.shape[-1])
        kth = np.partition(scaled, -top_k, axis=-1)[:, -top_k][:, None]
        scaled = np.where(scaled >= kth, scaled, -np.inf)
    scaled -= scaled.max(axis=-1, keepdims=True)
    probabilities = np.exp(scaled)
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    rng = get_rng()
    cumulative = probabilities.cumsum(axis=-1)
    draws = rng.random((len(probabilities), 1))
    return np.minimum((cumulative < draws).sum(axis=-1), probabilities.shape[-1] - 1)


class CharRNN(Module):
    """Next-character model: ids (B, T) -> logits (B, T, vocab_size).

        e_t = Embedding(x_t);  h_t^(1..L) = LSTM layers (every step);  logits_t = h_t^(L) W + b

    Train with ``SparseCategoricalCrossEntropy(from_logits=True)`` on targets = inputs shifted by one
    (``data.language_model_dataset``); the loss in nats per character is the validation figure.

    Args:
        vocab_size: number of ids (``tokenizer.vocab_size``).
        embedding_dim: size of the character vectors (default 64).
        units: LSTM units per layer (default 256).
        num_layers: stacked recurrent layers (default 2).
        cell: "lstm" (default) or "gru".
        convention: the recurrent layers' weight convention ("keras" or "pytorch").

    Example:
        >>> import numpy as np
        >>> model = CharRNN(vocab_size=10, embedding_dim=4, units=8)
        >>> model(np.zeros((2, 5), dtype=int)).shape
        (2, 5, 10)
    """

    takes_token_ids = True  # fit, predict and the ONNX export keep integer inputs as they are

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 64,
        units: int = 256,
        num_layers: int = 2,
        cell: str = "lstm",
        convention: str = "keras",
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if cell not in ("lstm", "gru"):
            raise ValueError(f"CharRNN: cell must be 'lstm' or 'gru', got {cell!r}")
        self.vocab_size, self.embedding_dim, self.units = vocab_size, embedding_dim, units
        self.num_layers, self.cell, self.convention = num_layers, cell, convention
        kind = LSTM if cell == "lstm" else GRU
        self.embedding = Embedding(vocab_size, embedding_dim, dtype=dtype)
        self.recurrent = []
        for number in range(num_layers):
            layer = kind(units, return_sequences=True, return_state=True, convention=convention, dtype=dtype)
            setattr(self, f"recurrent_{number}", layer)
            self.recurrent.append(layer)
        self.head = Dense(vocab_size, dtype=dtype)
        self.build((None, None))  # every shape is known from the arguments: built at once, any length

    def build(self, input_shape):
        if self.built:  # built in __init__; building again would make new weights
            return
        shape = (None, None)
        self.embedding.build(shape)
        shape = (None, None, self.embedding_dim)
        for layer in self.recurrent:
            layer.build(shape)
            shape = (None, None, self.units)
        self.head.build(shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.vocab_size,)

    def step(self, ids, states=None):
        """Logits (B, T, V) and the final states of every layer, from ``states`` (None: zeros)."""
        x = self.embedding(ids)
        new_states = []
        for number, layer in enumerate(self.recurrent):
            x, *final = layer(x, initial_state=None if states is None else states[number])
            new_states.append(final)
        return self.head(x), new_states

    def forward(self, ids):
        return self.step(ids)[0]

    def generate(self, prompt_ids, length: int, temperature: float = 1.0, top_k: int | None = None):
        """``length`` new ids after ``prompt_ids`` (1-D), drawn one at a time with ``sample_logits``.

        The prompt is read once; each new id then costs one step of every layer (states carried).
        """
        prompt = np.asarray(prompt_ids, dtype=np.int64).reshape(1, -1)
        if prompt.size == 0:
            raise ValueError("CharRNN.generate needs a prompt of at least one id")
        was_training = self.training
        self.eval()
        out = []
        try:
            with no_grad():
                logits, states = self.step(prompt)
                for _ in range(length):
                    next_id = sample_logits(logits.data[:, -1], temperature, top_k)
                    out.append(int(next_id[0]))
                    logits, states = self.step(next_id.reshape(1, 1), states)
        finally:
            self.train(was_training)
        return np.array(out, dtype=np.int64)

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "num_layers": self.num_layers,
            "cell": self.cell,
            "convention": self.convention,
        }


def sample_ids(
    model, prompt_ids, length: int, temperature: float = 1.0, top_k: int | None = None, window=None
):
    """``length`` new ids after ``prompt_ids`` (1-D) from any language model that maps ids (B, T) to
    logits (B, T, V): ``model.generate`` where the model has one (``CharRNN`` carries its states), else
    the model re-reads the last ``window`` ids (default: all of them) for each new id.

    Example:
        >>> import glassnet as gn
        >>> from glassnet import nn
        >>> _ = gn.manual_seed(0)
        >>> model = nn.Sequential([nn.Embedding(5, 3), nn.Dense(5)], input_shape=(None,))
        >>> sample_ids(model, [1, 2], length=4).shape
        (4,)
    """
    if hasattr(model, "generate"):
        return model.generate(prompt_ids, length, temperature, top_k)
    ids = [int(i) for i in np.asarray(prompt_ids).reshape(-1)]
    if not ids:
        raise ValueError("sample_ids needs a prompt of at least one id")
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for _ in range(length):
                recent = np.array(ids[-window:] if window else ids, dtype=np.int64)[None]
                logits = model(recent).data
                ids.append(int(sample_logits(logits[:, -1], temperature, top_k)[0]))
    finally:
        model.train(was_training)
    return np.array(ids[-length:] if length else [], dtype=np.int64)
