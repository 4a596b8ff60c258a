"""Rows of the op table for the recurrent cells (one step) and the whole-sequence ops (BPTT), and the
embedding lookup.

H = 3 units throughout (so an LSTM's gate width is 12, a GRU's 9), T = 4 steps, F = 2 features, batch
"N". The one-step cells take input projections P_t (N, G·H); the sequence ops take x (N, T, F), W_ih and
b_ih as PyTorch's fused RNN ops do. Masks are (N, T) booleans drawn with at least one real step. The
PyTorch side is the same recurrence written step by step with torch's own sigmoid, tanh and matmul, so
every row checks values and gradients of x (P_t), h_0 (c_0), W_ih, b_ih, W_hh and b_hh. The LSTM ops have
two outputs, h and c: a ``with_cell`` row joins them ([h, c] on the last axis) so that both are checked,
the others use h alone (c's gradient is then the engine's zeros).
"""

from __future__ import annotations

from dataclasses import dataclass

from op_table import Row, labels, mask, normal

from glassnet.ops import embedding as E
from glassnet.ops import recurrent as R
from glassnet.ops import shape

H, T, F = 3, 4, 2
GRU_BLOCKS = {"rzn": (0, 1), "zrn": (1, 0)}


def _cell(kind: str, x, h, c, w, b, activation="tanh", order="rzn", reset_after=True):
    """One step in PyTorch; returns the new (h, c)."""
    import torch

    if kind == "gru" and not reset_after:  # Keras's reset_after=False: r scales h before W_hn
        r_block, z_block = GRU_BLOCKS[order]
        gh = h @ w[:, : 2 * H] + (b[: 2 * H] if b is not None else 0)
        r = torch.sigmoid(x[:, r_block * H : (r_block + 1) * H] + gh[:, r_block * H : (r_block + 1) * H])
        z = torch.sigmoid(x[:, z_block * H : (z_block + 1) * H] + gh[:, z_block * H : (z_block + 1) * H])
        n = torch.tanh(x[:, 2 * H :] + (r * h) @ w[:, 2 * H :] + (b[2 * H :] if b is not None else 0))
        return (1 - z) * n + z * h, None
    if kind == "gru":
        gh = h @ w + (b if b is not None else 0)
        r_block, z_block = GRU_BLOCKS[order]

        def block(a, k):
            return a[:, k * H : (k + 1) * H]

        r = torch.sigmoid(block(x, r_block) + block(gh, r_block))
        z = torch.sigmoid(block(x, z_block) + block(gh, z_block))
        n = torch.tanh(block(x, 2) + r * block(gh, 2))
        return (1 - z) * n + z * h, None
    pre = x + h @ w + (b if b is not None else 0)
    if kind == "rnn":
        return (torch.tanh(pre) if activation == "tanh" else torch.relu(pre)), None
    i, f, g, o = (pre[:, k * H : (k + 1) * H] for k in range(4))
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new


@dataclass(frozen=True)
class Sequence:
    """A sequence op with fixed params, for glassnet (``torch_side=False``) or PyTorch."""

    kind: str
    reverse: bool = False
    sequence: bool = True
    with_cell: bool = False
    masked: bool = False
    bias: object = True  # True: b_ih and b_hh; False: neither; "ih" or "hh": that one alone
    order: str = "rzn"
    reset_after: bool = True
    torch_side: bool = False

    def split(self, inputs):
        inputs = list(inputs)
        m = inputs.pop() if self.masked else None
        b = inputs.pop() if self.bias in (True, "hh") else None
        b_ih = inputs.pop(4 if self.kind == "lstm" else 3) if self.bias in (True, "ih") else None
        if self.kind == "lstm":
            x, h, c, w_ih, w = inputs
        else:
            (x, h, w_ih, w), c = inputs, None
        return x, h, c, w_ih, b_ih, w, b, m

    def __call__(self, *inputs):
        x, h, c, w_ih, b_ih, w, b, m = self.split(inputs)
        if self.torch_side:
            return self.torch(x, h, c, w_ih, b_ih, w, b, m)
        params = dict(reverse=self.reverse, sequence=self.sequence)
        if self.kind == "lstm":
            h, c = R.LSTMSequence.apply(x, h, c, w_ih, b_ih, w, b, m, **params)
            return shape.concatenate([h, c], axis=-1) if self.with_cell else h
        if self.kind == "gru":
            op = R.GRUSequence if self.reset_after else R.GRUResetBeforeSequence
            return op.apply(x, h, w_ih, b_ih, w, b, m, order=self.order, **params)
        return R.RNNSequence.apply(x, h, w_ih, b_ih, w, b, m, activation="tanh", **params)

    def torch(self, x, h, c, w_ih, b_ih, w, b, m):
        import torch

        outputs = [None] * T
        for t in range(T - 1, -1, -1) if self.reverse else range(T):
            x_t = x[:, t] @ w_ih + (b_ih if b_ih is not None else 0)
            h_new, c_new = _cell(self.kind, x_t, h, c, w, b, order=self.order, reset_after=self.reset_after)
            if m is not None:
                keep = m[:, t : t + 1]
                h_new = torch.where(keep, h_new, h)
                c_new = torch.where(keep, c_new, c) if c is not None else None
            h, c = h_new, c_new
            outputs[t] = torch.cat([h, c], dim=-1) if self.with_cell else h
        if not self.sequence:
            return outputs[0 if self.reverse else T - 1]
        return torch.stack(outputs, dim=1)


def sequence_row(name, kind, **options):
    """Inputs in the op's order: x, h_0, (c_0), W_ih, (b_ih), W_hh, (b_hh), (mask)."""
    width = {"rnn": 1, "lstm": 4, "gru": 3}[kind] * H
    bias = options.get("bias", True)
    inputs = [normal("N", T, F), normal("N", H)]
    if kind == "lstm":
        inputs.append(normal("N", H))
    inputs.append(normal(F, width))
    if bias in (True, "ih"):
        inputs.append(normal(width))
    inputs.append(normal(H, width))
    if bias in (True, "hh"):
        inputs.append(normal(width))
    if options.get("masked", False):
        inputs.append(mask("N", T))
    return Row(name, tuple(inputs), Sequence(kind, **options), Sequence(kind, torch_side=True, **options))


@dataclass(frozen=True)
class Cell:
    """A one-step op for glassnet or PyTorch."""

    kind: str
    bias: bool = True
    order: str = "rzn"
    with_cell: bool = True
    torch_side: bool = False

    def __call__(self, *inputs):
        inputs = list(inputs)
        b = inputs.pop() if self.bias else None
        c = inputs.pop(2) if self.kind == "lstm" else None
        x, h, w = inputs
        if self.torch_side:
            import torch

            h_new, c_new = _cell(self.kind, x, h, c, w, b, order=self.order)
            return torch.cat([h_new, c_new], dim=-1) if c_new is not None and self.with_cell else h_new
        if self.kind == "lstm":
            h_new, c_new = R.LSTMCell.apply(x, h, c, w, b)
            return shape.concatenate([h_new, c_new], axis=-1) if self.with_cell else h_new
        if self.kind == "gru":
            return R.GRUCell.apply(x, h, w, b, order=self.order)
        return R.RNNCell.apply(x, h, w, b, activation="tanh")


def cell_row(name, kind, **options):
    width = {"rnn": 1, "lstm": 4, "gru": 3}[kind] * H
    inputs = [normal("N", width), normal("N", H)]
    if kind == "lstm":
        inputs.append(normal("N", H))
    inputs.append(normal(H, width))
    if options.get("bias", True):
        inputs.append(normal(width))
    return Row(name, tuple(inputs), Cell(kind, **options), Cell(kind, torch_side=True, **options))


def torch_embedding(weight, ids):
    import torch.nn.functional as F

    return F.embedding(ids, weight)


ROWS = [
    cell_row("rnn_cell", "rnn"),
    cell_row("rnn_cell_no_bias", "rnn", bias=False),
    cell_row("lstm_cell", "lstm"),
    cell_row("lstm_cell_no_bias", "lstm", bias=False),
    cell_row("lstm_cell_h_only", "lstm", with_cell=False),
    cell_row("gru_cell_pytorch_order", "gru"),
    cell_row("gru_cell_keras_order_no_bias", "gru", order="zrn", bias=False),
    sequence_row("rnn_sequence", "rnn"),
    sequence_row("rnn_sequence_reverse_masked_last", "rnn", reverse=True, masked=True, sequence=False),
    sequence_row("lstm_sequence", "lstm"),
    sequence_row("lstm_sequence_with_cell_masked", "lstm", with_cell=True, masked=True),
    sequence_row(
        "lstm_sequence_reverse_last_with_cell", "lstm", reverse=True, sequence=False, with_cell=True
    ),
    sequence_row("lstm_sequence_no_bias_masked_last", "lstm", bias=False, masked=True, sequence=False),
    # one bias alone: b_ih (Keras's layers) or b_hh (the op folds either into its one bias row)
    sequence_row("lstm_sequence_input_bias_only", "lstm", bias="ih", with_cell=True),
    sequence_row("lstm_sequence_recurrent_bias_only_reverse", "lstm", bias="hh", reverse=True),
    sequence_row("rnn_sequence_recurrent_bias_only_masked", "rnn", bias="hh", masked=True),
    sequence_row("gru_sequence", "gru"),
    sequence_row("gru_sequence_keras_order_reverse_masked", "gru", order="zrn", reverse=True, masked=True),
    sequence_row("gru_sequence_no_bias_last", "gru", bias=False, sequence=False),
    sequence_row("gru_reset_before_keras", "gru", order="zrn", reset_after=False),
    sequence_row(
        "gru_reset_before_reverse_masked_last", "gru", order="zrn", reset_after=False, reverse=True,
        masked=True, sequence=False,
    ),
    sequence_row("gru_reset_before_no_bias_masked", "gru", reset_after=False, bias=False, masked=True),
    Row("embedding_repeated_ids", (normal(5, "C"), labels("N", 6, classes=5)), E.embedding, torch_embedding),
]
