r"""The recurrent family (SimpleRNN, LSTM, GRU), one file per role:

- ``recurrent_cells``: one time step of each cell and its derivative (``lstm_step``,
  ``lstm_step_backward``, ...), feature-major, and the one-step ops ``RNNCell``, ``LSTMCell`` (outputs h
  and c), ``GRUCell``;
- ``recurrent_sequence``: the whole-sequence ops ``RNNSequence``, ``LSTMSequence`` (outputs h and c),
  ``GRUSequence``, whose backward is backpropagation through time, one masked BPTT loop for the three.

Notation: batch-first input x of shape (B, T, F), H units, G gate blocks (1 for SimpleRNN, 4 for LSTM, 3
for GRU); gradients are returned by input name. The same computations written with primitive ops (the
``*_unrolled`` compositions beside the layers, ``glassnet.nn.layers.recurrent_unrolled``) give identical
values and gradients through plain autograd; they are what the explain layer shows step by step.
"""

from glassnet.ops.recurrent_cells import (
    GRU_GATE_ORDERS,
    GRUCell,
    LSTMCell,
    RNNCell,
    activation_fn,
    gru_step,
    gru_step_backward,
    lstm_gate_scales,
    lstm_step,
    lstm_step_backward,
    rnn_step,
    rnn_step_backward,
)
from glassnet.ops.recurrent_sequence import GRUSequence, LSTMSequence, RNNSequence

__all__ = [
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "RNNSequence",
    "LSTMSequence",
    "GRUSequence",
    "rnn_step",
    "rnn_step_backward",
    "lstm_step",
    "lstm_step_backward",
    "lstm_gate_scales",
    "gru_step",
    "gru_step_backward",
    "GRU_GATE_ORDERS",
    "activation_fn",
]
