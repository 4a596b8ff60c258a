r"""Recurrent ops over a whole sequence (SimpleRNN, LSTM, GRU), whose backward is backpropagation through
time: one masked BPTT loop shared by the three, each step's derivative from ``recurrent_cells``.

The ops take x (B, T, F) and the weights, as PyTorch's fused RNN ops do. The bias is the weight of a
constant input 1 (as the notes' perceptron keeps its threshold w_0 with x_0 = 1), so that dL/db comes out
of the same product as dL/dW. SimpleRNN and LSTM compute each step's pre-activation as ONE product,

    z_t = [W_ih; b; W_hh]^T [x_t; 1; h_{t-1}]        (G·H, B),  b = b_ih + b_hh,

and apply the cell; the GRU, whose reset gate keeps the recurrent part apart, computes the input part
P_t = [W_ih; b_ih]^T [x_t; 1] of every step with one batched product first. Backward, from the last step to
the first:

    dL/dh_{t-1} = W_hh dL/dz_t + (what h_{t-1} gave the output directly)
    dL/dW_hh = Σ_t h_{t-1} dL/dz_t^T,   dL/d[W_ih; b_ih] = Σ_t [x_t; 1] dL/dz_t^T   (sums over steps)

each sum over steps computed as one product of the steps side by side (``_merged``).

Masks (B, T) of booleans: where m_t is False the step is skipped: the state is carried over unchanged,
s_t = m_t · cell(s_{t-1}, x_t) + (1 - m_t) · s_{t-1}, so the gradient of s_t goes to s_{t-1} unchanged
there. The ops return the state at every step (or only the final one with ``sequence=False``); zeroing the
outputs of padded steps is the layer's business. ``reverse=True`` runs time from the last step to the
first; outputs stay aligned with the input's steps (output t is the state after reading x_t, ..., x_{T-1}),
as the backward half of PyTorch's bidirectional layers.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import errstate, get_array_module
from glassnet.ops.recurrent_cells import (
    gru_step,
    gru_step_backward,
    lstm_gate_scales,
    lstm_step,
    lstm_step_backward,
    rnn_step,
    rnn_step_backward,
)

__all__ = ["RNNSequence", "LSTMSequence", "GRUSequence"]


class _Sequence:
    """What the sequence ops share (a mixin): the stacked columns [x_t; 1; h_{t-1}] and the gradients of
    the weights from them, processing order, masks, the BPTT loop, outputs.

    Everything inside is in processing order k = 0 .. T-1 (time t = k, or T-1-k with ``reverse``):
    ``cols[k]`` (F + 1 + H, B) holds the inputs of step k, x_t (F rows), a row of ones (the bias's input,
    where there is a bias) and the state h_k the step reads (H rows); the step writes its new state into
    ``cols[k + 1]``'s state rows, so ``cols[:, F + 1:]`` is the sequence of states h_0 .. h_T.
    """

    input_names = ("x", "h0", "w_ih", "b_ih", "w_hh", "b_hh", "mask")

    @staticmethod
    def _columns(x, h0, with_bias: bool, reverse: bool):
        """cols (T + 1, F(+1) + H, B) with the inputs and the ones filled in, h_0 in place, and its offset."""
        xp = get_array_module(x)
        batch, steps, features = x.shape
        offset = features + int(with_bias)
        cols = xp.empty((steps + 1, offset + h0.shape[-1], batch), dtype=x.dtype)
        inputs = x.transpose(1, 2, 0)  # (T, F, B)
        cols[:steps, :features] = inputs[::-1] if reverse else inputs
        if with_bias:
            cols[:steps, features] = 1
        cols[steps, :offset] = 0  # the block after the last step holds only the final state
        cols[0, offset:] = h0.T
        return cols, offset

    @staticmethod
    def _stacked_kernel_t(w_ih, b_ih, w_hh=None, b_hh=None):
        """[W_ih; b; W_hh]^T (G·H, F(+1)(+H)), contiguous: one product with a step's columns gives
        z_t = W_ih^T x_t + b + W_hh^T h_{t-1}, where b = b_ih + b_hh (either one where the other is None;
        no row where both are). Ops whose z_t adds b_hh to the rest (SimpleRNN, LSTM) pass it, so that no
        step adds it on its own."""
        xp = get_array_module(w_ih)
        bias = b_ih if b_hh is None else b_hh if b_ih is None else b_ih + b_hh
        blocks = [w_ih] + ([] if bias is None else [bias[None, :]]) + ([] if w_hh is None else [w_hh])
        return xp.ascontiguousarray(xp.concatenate(blocks, axis=0).T)

    @staticmethod
    def _pre_activation(kernel, cols, k, offset, h0_is_zero: bool, out):
        """z_k = [W_ih; b; W_hh]^T cols[k] into ``out``: one GEMM; at the first step from a zero h_0 only
        the input rows, as W_hh^T h_0 adds nothing."""
        xp = get_array_module(cols)
        if k == 0 and h0_is_zero:
            return xp.matmul(kernel[:, :offset], cols[0, :offset], out=out)
        return xp.matmul(kernel, cols[k], out=out)

    def _weight_grads(self, cols, offset, features, steps, dgx, dgh=None):
        """dL/dW_ih, dL/db_ih (None without a bias row), dL/dW_hh as sums over steps (BPTT), from the
        first ``steps`` columns and dL/dz of the input part (``dgx``) and of the recurrent part (``dgh``;
        None where z_t adds the two, as in SimpleRNN and LSTM: then they are ``dgx``), both with the steps
        side by side (``_merged``, (G·H, T·B)):

            dL/d[W_ih; b_ih; W_hh] = Σ_t [x_t; 1; h_{t-1}] dL/dz_t^T = C dZ^T

        where C = [[x_1; 1; h_0] ... [x_T; 1; h_{T-1}]] (F+1+H, T·B): one product whose inner dimension is
        T·B, instead of T products of inner dimension B each added to a total (these gradients took 4.3
        instead of 12.3 ms, copies included, in the LSTM benchmark's step: 50 steps, batch 64, OpenBLAS).
        """
        xp = get_array_module(dgx)
        merged_cols = _merged(cols[:steps], xp)
        if dgh is None:
            stacked = merged_cols @ dgx.T
            inputs, recurrent = stacked[:offset], stacked[offset:]
        else:
            inputs, recurrent = merged_cols[:offset] @ dgx.T, merged_cols[offset:] @ dgh.T
        return inputs[:features], (inputs[features] if offset > features else None), recurrent

    def _grads(self, cols, offset, dgx, dgh, dh0, w_ih) -> dict:
        """The gradients of x, h_0 and the four weights by input name, from dL/dz of every step (T, G·H, B)
        in processing order; dL/dx_t = W_ih dL/dz_t, one product for all steps side by side."""
        xp = get_array_module(dgx)
        steps, _, batch = dgx.shape
        side_by_side_x = _merged(dgx, xp)  # (G·H, T·B)
        side_by_side_h = None if dgh is None else _merged(dgh, xp)
        grads = {}
        if self.needs_grad("x"):
            product = (w_ih @ side_by_side_x).reshape(w_ih.shape[0], steps, batch)  # (F, T, B)
            per_step = product.transpose(1, 0, 2)  # (T, F, B) in processing order
            grads["x"] = xp.ascontiguousarray(self._in_time_order(per_step).transpose(2, 0, 1))
        if self.needs_grad("h0"):
            grads["h0"] = xp.ascontiguousarray(dh0.T)
        weights = ("w_ih", "b_ih", "w_hh")
        if any(self.needs_grad(name) for name in weights):
            found = self._weight_grads(cols, offset, w_ih.shape[0], steps, side_by_side_x, side_by_side_h)
            for name, grad in zip(weights, found):
                grads[name] = grad if self.needs_grad(name) else None
        if self.needs_grad("b_hh"):
            grads["b_hh"] = (side_by_side_x if dgh is None else side_by_side_h).sum(axis=1)
        return grads

    # --- time ---
    def _times(self, steps: int):
        """The time index of each step in processing order."""
        return range(steps - 1, -1, -1) if self.params["reverse"] else range(steps)

    def _time(self, k: int, steps: int) -> int:
        """The time index of the k-th processed step."""
        return steps - 1 - k if self.params["reverse"] else k

    def _in_time_order(self, per_step):
        """(T, ...) in processing order -> time order (a view)."""
        return per_step[::-1] if self.params["reverse"] else per_step

    # --- masks ---
    @staticmethod
    def _keep(mask, t):
        """(1, B) booleans of the columns that read step t, or None when all do."""
        if mask is None:
            return None
        column = mask[:, t]
        return None if column.all() else column[None, :]

    @staticmethod
    def _carry(states, k: int, keep) -> None:
        """Forward: where ``keep`` is False, each of the state sequences ``states`` keeps step k's state
        at step k + 1."""
        if keep is None:
            return
        xp = get_array_module(states[0])
        for sequence in states:
            xp.copyto(sequence[k + 1], sequence[k], where=~keep)

    # --- backpropagation through time ---
    def _state_grads(self, grads, like):
        """From the output gradients (one per state the op returns, None for an output that no path
        reached), the gradients of the states before the loop, feature-major like ``like`` (H, B) and
        updated in place (the final states' gradients for a final-state output, else zeros), and the
        per-step ones that the loop adds (None where there are none)."""
        xp = get_array_module(like)
        upstream = [None if grad is None else self._upstream(grad) for grad in grads]
        if self.params["sequence"]:
            return [xp.zeros_like(like) for _ in grads], upstream
        return [xp.zeros_like(like) if final is None else final for final in upstream], [None] * len(grads)

    def _backprop_through_time(self, state_grads, upstream, step_backward) -> None:
        """The masked BPTT loop: from the last processed step to the first, add the output's gradient of
        step k to the states' gradients ``state_grads`` (dL/dh, or dL/dh and dL/dc), then
        ``step_backward(k, through_h)`` turns them into dL/ds_{k-1} through the cell (writing dL/dz_k on
        the way; ``through_h`` is False at the first step when h_0 needs no gradient, so the product with
        W_hh can be skipped). Where step k is padding, the gradients go to s_{k-1} unchanged instead:

            dL/ds_{k-1} = m_k ⊙ (through the cell) + (1 - m_k) ⊙ dL/ds_k
        """
        steps = self.saved["steps"]
        need_h0 = self.needs_grad("h0")
        for k in range(steps - 1, -1, -1):
            for grad, per_step in zip(state_grads, upstream):
                if per_step is not None:
                    grad += per_step[k]
            keep = self._keep(self.saved["mask"], self._time(k, steps))
            carried = None
            if keep is not None:
                carried = [grad * ~keep for grad in state_grads]
                for grad in state_grads:
                    grad *= keep
            step_backward(k, k > 0 or need_h0)
            if carried is not None:
                for grad, part in zip(state_grads, carried):
                    grad += part

    # --- outputs ---
    def _output(self, states, xp):
        """States (T+1, K, B) in processing order -> (B, T, K) in time order, or the final state (B, K)."""
        if not self.params["sequence"]:
            return xp.ascontiguousarray(states[-1].T)
        return xp.ascontiguousarray(self._in_time_order(states[1:]).transpose(2, 0, 1))

    def _upstream(self, grad):
        """A feature-major copy of an output gradient: (T, K, B) in processing order for a sequence, else
        (K, B)."""
        xp = get_array_module(grad)
        if not self.params["sequence"]:
            return xp.array(grad.T, order="C")
        return xp.array(self._in_time_order(grad.transpose(1, 2, 0)), order="C")


def _merged(per_step, xp):
    """(T, M, B) -> (M, T·B), the steps side by side: Σ_t a_t b_t^T over steps becomes one product
    merged(a) merged(b)^T. One copy; the per-step arrays stay contiguous (T, M, B), because the cells'
    element-wise passes run twice as slowly on rows of B values strided across steps."""
    steps, rows, batch = per_step.shape
    return xp.ascontiguousarray(per_step.transpose(1, 0, 2)).reshape(rows, steps * batch)


class RNNSequence(_Sequence, Function):
    """SimpleRNN over a whole sequence: h_t = f(W_ih^T x_t + b_ih + W_hh^T h_{t-1} + b_hh), t = 1..T, with
    backpropagation through time as its backward: dL/dz_t = dL/dh_t ⊙ f'(z_t) (``rnn_step_backward``).

    Inputs: x (B, T, F), h_0 (B, H), W_ih (F, H), b_ih (H,) or None, W_hh (H, H), b_hh (H,) or None, mask
    (B, T) booleans or None. Params: ``activation`` ("tanh" or "relu"), ``reverse``, ``sequence`` (return
    every state (B, T, H), or the final one (B, H)).
    """

    name = "rnn_sequence"
    formula = Formula(r"h_t = f(x_t W_{ih} + b_{ih} + h_{t-1} W_{hh} + b_{hh})")
    derivative = Formula(
        r"dz_t = (dh_t + W_{hh}\, dz_{t+1}) \odot f'(z_t);\; dW_{hh} = \sum_t h_{t-1}\, dz_t^{\top}"
    )

    def forward(self, x, h0, w_ih, b_ih, w_hh, b_hh, mask):
        xp = get_array_module(x)
        act = self.params["activation"]
        with_bias = b_ih is not None or b_hh is not None
        cols, offset = self._columns(x, h0, with_bias, self.params["reverse"])
        states = cols[:, offset:]  # h_0 .. h_T, each (H, B)
        kernel = self._stacked_kernel_t(w_ih, b_ih, w_hh, b_hh)
        h0_is_zero = not h0.any()
        for k, t in enumerate(self._times(x.shape[1])):
            z = self._pre_activation(kernel, cols, k, offset, h0_is_zero, out=states[k + 1])
            rnn_step(z, z, act)
            self._carry((states,), k, self._keep(mask, t))
        self.saved.update(cols=cols, offset=offset, w_ih=w_ih, w_hh=w_hh, mask=mask, steps=x.shape[1])
        return self._output(states, xp)

    def backward(self, grad):
        s = self.saved
        cols, offset, w_hh = s["cols"], s["offset"], s["w_hh"]
        states = cols[:, offset:]
        xp = get_array_module(grad)
        act = self.params["activation"]
        (dh,), upstream = self._state_grads((grad,), states[0])
        dz_all = xp.empty((s["steps"],) + states.shape[1:], dtype=states.dtype)

        def step_backward(k, through_h):
            rnn_step_backward(dh, states[k + 1], act, dz_all[k])
            if through_h:
                xp.matmul(w_hh, dz_all[k], out=dh)

        self._backprop_through_time((dh,), upstream, step_backward)
        return self._grads(cols, offset, dz_all, None, dh, s["w_ih"])


class LSTMSequence(_Sequence, Function):
    """LSTM over a whole sequence (gate order i, f, g, o), backward by BPTT through ``lstm_step_backward``;
    two outputs, h and c.

    Inputs: x (B, T, F), h_0, c_0 (B, H), W_ih (F, 4H), b_ih (4H,) or None, W_hh (H, 4H), b_hh (4H,) or
    None, mask (B, T) or None. Params: ``reverse``, ``sequence``: h and c at every step (B, T, H), or at
    the end (B, H).
    """

    name = "lstm_sequence"
    input_names = ("x", "h0", "c0", "w_ih", "b_ih", "w_hh", "b_hh", "mask")
    output_names = ("h", "c")
    formula = Formula(r"c_t = f_t \odot c_{t-1} + i_t \odot g_t;\; h_t = o_t \odot \tanh(c_t)")
    derivative = Formula(
        r"dz_t = \text{lstm\_step\_backward}(dh_t, dc_t),\; t = T, \ldots, 1;\; "
        r"dW_{hh} = \sum_t h_{t-1}\, dz_t^{\top}"
    )

    def forward(self, x, h0, c0, w_ih, b_ih, w_hh, b_hh, mask):
        xp = get_array_module(x)
        batch, steps, _ = x.shape
        units = h0.shape[-1]
        with_bias = b_ih is not None or b_hh is not None
        cols, offset = self._columns(x, h0, with_bias, self.params["reverse"])
        hs = cols[:, offset:]  # h_0 .. h_T, each (H, B)
        kernel = self._stacked_kernel_t(w_ih, b_ih, w_hh, b_hh)
        # Backward reads every step's gates and tanh(c_t); without a graph one step's buffers serve every
        # step and stay in cache (about 6.5 MB fewer bytes through memory at 50 steps, batch 64, H = 128).
        kept = steps if any(self.needs_input_grad) else 1
        gates = xp.empty((kept, 4 * units, batch), dtype=cols.dtype)  # z_t, then the activated gates
        cs = xp.empty((steps + 1, units, batch), dtype=cols.dtype)
        tanh_c = xp.empty((kept, units, batch), dtype=cols.dtype)
        cs[0] = c0.T
        h0_is_zero = not h0.any()
        with errstate(xp, over="ignore"):
            for k, t in enumerate(self._times(steps)):
                slot = k % kept
                z = self._pre_activation(kernel, cols, k, offset, h0_is_zero, out=gates[slot])
                lstm_step(z, cs[k], cs[k + 1], tanh_c[slot], hs[k + 1])
                self._carry((hs, cs), k, self._keep(mask, t))
        self.saved.update(cols=cols, offset=offset, gates=gates, cs=cs, tanh_c=tanh_c)
        self.saved.update(w_ih=w_ih, w_hh=w_hh, mask=mask, steps=steps)
        return self._output(hs, xp), self._output(cs, xp)

    def backward(self, grad):
        s = self.saved
        gates, cs, tanh_c, w_hh = s["gates"], s["cs"], s["tanh_c"], s["w_hh"]
        xp = get_array_module(gates)
        units = tanh_c.shape[1]
        (dh, dc), upstream = self._state_grads((grad["h"], grad["c"]), cs[0])
        dz_all = xp.empty_like(gates)
        scratch = xp.empty_like(gates[0])
        scales = lstm_gate_scales(units, gates.dtype, xp)

        def step_backward(k, through_h):
            lstm_step_backward(dh, dc, gates[k], cs[k], tanh_c[k], dz_all[k], scratch, scales)
            if through_h:
                xp.matmul(w_hh, dz_all[k], out=dh)

        self._backprop_through_time((dh, dc), upstream, step_backward)
        grads = self._grads(s["cols"], s["offset"], dz_all, None, dh, s["w_ih"])
        grads["c0"] = xp.ascontiguousarray(dc.T) if self.needs_grad("c0") else None
        return grads


class GRUSequence(_Sequence, Function):
    """GRU over a whole sequence (reset gate after the recurrent product), backward by BPTT through
    ``gru_step_backward``.

    Inputs: x (B, T, F), h_0 (B, H), W_ih (F, 3H), b_ih (3H,) or None, W_hh (H, 3H), b_hh (3H,) or None,
    mask (B, T) or None. Params: ``order`` ("rzn" PyTorch, "zrn" Keras), ``reverse``, ``sequence``.
    The input part P_t = W_ih^T x_t + b_ih of every step is one batched product before the loop (the
    reset gate keeps it apart from the recurrent part).
    """

    name = "gru_sequence"
    formula = Formula(r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}")
    derivative = Formula(
        r"dgh_t = \text{gru\_step\_backward}(dh_t),\; t = T, \ldots, 1;\; "
        r"dW_{hh} = \sum_t h_{t-1}\, dgh_t^{\top}"
    )

    def forward(self, x, h0, w_ih, b_ih, w_hh, b_hh, mask):
        xp = get_array_module(x)
        order = self.params["order"]
        steps = x.shape[1]
        cols, offset = self._columns(x, h0, b_ih is not None, self.params["reverse"])
        hs = cols[:, offset:]  # h_0 .. h_T, each (H, B)
        gates = xp.matmul(self._stacked_kernel_t(w_ih, b_ih), cols[:steps, :offset])  # P, then r, z, n
        width, batch = gates.shape[1:]
        units = width // 3
        gh_n = xp.empty((steps, units, batch), dtype=gates.dtype)
        gh = xp.empty((width, batch), dtype=gates.dtype)
        h0_is_zero = not h0.any()
        w_t = xp.ascontiguousarray(w_hh.T)
        bias = None if b_hh is None else b_hh[:, None]
        with errstate(xp, over="ignore"):
            for k, t in enumerate(self._times(steps)):
                if k == 0 and h0_is_zero:
                    gh.fill(0)
                else:
                    xp.matmul(w_t, hs[k], out=gh)
                if bias is not None:
                    gh += bias
                gh_n[k] = gh[2 * units :]
                gru_step(gates[k], gh, hs[k], hs[k + 1], order)
                self._carry((hs,), k, self._keep(mask, t))
        self.saved.update(
            cols=cols, offset=offset, gates=gates, gh_n=gh_n, w_ih=w_ih, w_hh=w_hh, mask=mask, steps=steps
        )
        return self._output(hs, xp)

    def backward(self, grad):
        s = self.saved
        gates, gh_n, w_hh, order = s["gates"], s["gh_n"], s["w_hh"], self.params["order"]
        hs = s["cols"][:, s["offset"] :]
        xp = get_array_module(grad)
        (dh,), upstream = self._state_grads((grad,), hs[0])
        dgx_all, dgh_all = xp.empty_like(gates), xp.empty_like(gates)
        scratch, recurrent = xp.empty_like(hs[0]), xp.empty_like(hs[0])

        def step_backward(k, through_h):
            gru_step_backward(dh, gates[k], gh_n[k], hs[k], dgx_all[k], dgh_all[k], order, scratch)
            if through_h:  # dh now holds the direct part dh ⊙ z
                xp.matmul(w_hh, dgh_all[k], out=recurrent)
                xp.add(dh, recurrent, out=dh)

        self._backprop_through_time((dh,), upstream, step_backward)
        return self._grads(s["cols"], s["offset"], dgx_all, dgh_all, dh, s["w_ih"])
