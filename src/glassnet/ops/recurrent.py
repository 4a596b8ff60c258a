r"""The recurrent family (SimpleRNN, LSTM, GRU), one file per role:

- ``recurrent_cells``: one time step of each cell and its derivative (``lstm_step``,
  ``lstm_step_backward``, ...), feature-major, and the one-step ops ``RNNCell``, ``LSTMCell`` (outputs h
  and c), ``GRUCell``;
- ``recurrent_sequence``: the whole-sequence ops ``RNNSequence``, ``LSTMSequence`` (outputs h and c),
  ``GRUSequence``, whose backward is backpropagation through time, one masked BPTT loop for the three;
- ``recurrent_reset_before``: ``GRUResetBeforeSequence``, Keras's GRU with ``reset_after=False`` (the reset
  gate applied before the recurrent product), on the same loop.

Notation: batch-first input x of shape (B, T, F), H units, G gate blocks (1 for SimpleRNN, 4 for LSTM, 3
for GRU); gradients are returned by input name. The same computations written with primitive ops (the
``*_unrolled`` compositions beside the layers, ``glassnet.nn.layers.recurrent_unrolled``) give identical
values and gradients through plain autograd; they are what the explain layer shows step by step.
"""

from glassnet.ops import recurrent_cells, recurrent_reset_before, recurrent_sequence
from glassnet.ops.recurrent_cells import *  # noqa: F403 - this module is the family's one import path
from glassnet.ops.recurrent_reset_before import *  # noqa: F403
from glassnet.ops.recurrent_sequence import *  # noqa: F403

__all__ = [*recurrent_cells.__all__, *recurrent_sequence.__all__, *recurrent_reset_before.__all__]
