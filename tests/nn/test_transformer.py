"""Multi-head attention, position signals and Transformer layers: PyTorch 2.13 parity in float64 (outputs,
returned weights and every gradient, with PyTorch's weights loaded through ``load_torch_state_dict``), the
Keras convention against a NumPy transcription of Keras 3's layer, and the errors."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0")

RTOL, ATOL = 1e-10, 1e-12
N, L, S, E, HEADS, FF = 2, 4, 5, 6, 3, 7


def close(ours, theirs, label):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=label)


def torch_name(name: str):
    """glassnet's parameter name -> (PyTorch's, transposed)."""
    name = name.replace("out_proj_weight", "out_proj.weight").replace("out_proj_bias", "out_proj.bias")
    name = name.replace(".gamma", ".weight").replace(".beta", ".bias")
    if name in ("gamma", "beta"):
        name = {"gamma": "weight", "beta": "bias"}[name]
    return name, ".linear" in f".{name}" and name.endswith("weight")


def jiggle(module, seed=0):
    """Move PyTorch's parameters away from their initial values (zero biases, unit γ)."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(torch.from_numpy(rng.uniform(-0.3, 0.3, tuple(parameter.shape))))
    return module


def check_gradients(ours, theirs):
    named = dict(theirs.named_parameters())
    checked = 0
    for name, parameter in ours.named_parameters():
        their_name, transposed = torch_name(name)
        expected = named[their_name].grad.numpy()
        close(parameter.grad, expected.T if transposed else expected, name)
        checked += 1
    assert checked == len(named)


def inputs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    return [gn.tensor(a, requires_grad=True) for a in arrays], [
        torch.tensor(a, requires_grad=True) for a in arrays
    ]


def backward_both(ours, theirs, seed=9):
    """Backward of the same random weighting of each output (a tensor or a list of them) on both sides."""
    ours, theirs = (list(x) if isinstance(x, (list, tuple)) else [x] for x in (ours, theirs))
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(out.shape) for out in ours]
    sum((out * gn.tensor(w)).sum() for out, w in zip(ours, weights)).backward()
    sum((out * torch.from_numpy(w)).sum() for out, w in zip(theirs, weights)).backward()


# --- MultiHeadAttention, convention "pytorch" --------------------------------------------------------------
RNG = np.random.default_rng(1)
PADDING = np.array([[False] * 3 + [True] * 2, [False] * 5])
BOOL_MASK = RNG.random((L, S)) < 0.4
BOOL_MASK[:, 0] = False  # True = may not attend; key 0 open to every query
PER_HEAD_MASK = RNG.random((N * HEADS, L, S)) < 0.4
PER_HEAD_MASK[:, :, 1] = False
ADDITIVE = RNG.standard_normal((L, S))
SELF_MASK = RNG.random((S, S)) < 0.4
np.fill_diagonal(SELF_MASK, False)  # each token may attend to itself
MHA_CASES = {
    "self": dict(cross=False),
    "self_causal": dict(cross=False, is_causal=True),
    "cross": dict(),
    "cross_key_padding": dict(key_padding_mask=PADDING),
    "cross_bool_mask": dict(attn_mask=BOOL_MASK, key_padding_mask=PADDING),
    "cross_per_head_mask_weights_per_head": dict(attn_mask=PER_HEAD_MASK, average_attn_weights=False),
    "cross_additive_mask": dict(attn_mask=ADDITIVE),
}


@pytest.mark.parametrize("case", MHA_CASES, ids=str)
def test_multihead_attention_matches_pytorch(float64, case):
    options = dict(MHA_CASES[case])
    cross = options.pop("cross", True)
    module = jiggle(torch.nn.MultiheadAttention(E, HEADS, batch_first=True, dtype=torch.float64))
    layer = nn.MultiHeadAttention(HEADS)
    (x, memory), (tx, tmemory) = inputs((N, L, E), (N, S, E))
    layer(x)
    layer.load_torch_state_dict(module.state_dict())
    torch_options = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    if options.get("is_causal"):
        torch_options["attn_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(
            L, dtype=torch.float64
        )
    key = memory if cross else x
    out, weights = layer(x, key, key, need_weights=True, **options)
    expected, expected_weights = module(
        tx, tmemory if cross else tx, tmemory if cross else tx, **torch_options
    )
    close(out.data, expected, "output")
    close(weights.data, expected_weights, "weights")
    backward_both([out, weights], [expected, expected_weights])
    close(x.grad, tx.grad, "dL/dquery")
    if cross:
        close(memory.grad, tmemory.grad, "dL/dmemory")
    check_gradients(layer, module)


def test_multihead_attention_without_bias_matches_pytorch(float64):
    module = jiggle(torch.nn.MultiheadAttention(E, HEADS, bias=False, batch_first=True, dtype=torch.float64))
    layer = nn.MultiHeadAttention(HEADS, use_bias=False)
    (x,), (tx,) = inputs((N, L, E))
    layer(x)
    layer.load_torch_state_dict(module.state_dict())
    out, expected = layer(x), module(tx, tx, tx, need_weights=False)[0]
    close(out.data, expected, "output")
    backward_both(out, expected)
    check_gradients(layer, module)


# --- MultiHeadAttention, convention "keras": a NumPy transcription of Keras 3 ------------------------------
def keras_multi_head_attention(query, value, weights, attention_mask=None):
    """keras.layers.MultiHeadAttention.call (Keras 3.x, src/layers/attention/multi_head_attention.py) with
    key = value, dropout 0: EinsumDense projections "abc,cde->abde", the query scaled by 1/sqrt(key_dim),
    scores "aecd,abcd->acbe", the masked softmax (Keras's Softmax adds (1 - mask)·(-1e9)), the weighted sum
    "acbe,aecd->abcd" and the output EinsumDense "abcd,cde->abe"."""
    q = np.einsum("abc,cde->abde", query, weights["query_kernel"]) + weights["query_bias"]
    k = np.einsum("abc,cde->abde", value, weights["key_kernel"]) + weights["key_bias"]
    v = np.einsum("abc,cde->abde", value, weights["value_kernel"]) + weights["value_bias"]
    q = q * (1.0 / math.sqrt(weights["query_kernel"].shape[-1]))
    scores = np.einsum("aecd,abcd->acbe", k, q)
    if attention_mask is not None:
        mask = attention_mask[:, None].astype(scores.dtype)  # (B, 1, T, S): the heads axis added
        scores = scores + (1.0 - mask) * -1e9
    scores = scores - scores.max(axis=-1, keepdims=True)
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    attended = np.einsum("acbe,aecd->abcd", probabilities, v)
    return np.einsum("abcd,cde->abe", attended, weights["output_kernel"]) + weights[
        "output_bias"
    ], probabilities


@pytest.mark.parametrize("masked", [False, True], ids=["no_mask", "mask_1_attends"])
def test_keras_convention_matches_a_transcription_of_keras(float64, masked):
    rng = np.random.default_rng(2)
    query, value = rng.standard_normal((N, L, E)), rng.standard_normal((N, S, 5))
    layer = nn.MultiHeadAttention(HEADS, key_dim=2, value_dim=4, vdim=5, kdim=5, convention="keras")
    layer(gn.tensor(query), gn.tensor(value))
    state = {name: rng.uniform(-0.5, 0.5, p.shape) for name, p in layer.state_dict().items()}
    layer.load_state_dict(state)
    assert state["query_kernel"].shape == (E, HEADS, 2) and state["output_kernel"].shape == (HEADS, 4, E)
    mask = None
    if masked:
        mask = (rng.random((N, L, S)) < 0.6).astype(np.int64)  # Keras's polarity: 1 = attend
        mask[:, :, 2] = 1
    out, scores = layer(gn.tensor(query), gn.tensor(value), attn_mask=mask, return_attention_scores=True)
    expected, expected_scores = keras_multi_head_attention(query, value, state, mask)
    close(out.data, expected, "output")
    close(scores.data, expected_scores, "attention scores (N, heads, L, S)")


def test_the_two_polarities_mean_the_same_when_flipped(float64):
    rng = np.random.default_rng(3)
    x = gn.tensor(rng.standard_normal((N, L, E)))
    pytorch = nn.MultiHeadAttention(HEADS)
    keras = nn.MultiHeadAttention(HEADS, key_dim=E // HEADS, convention="keras")
    pytorch(x), keras(x)
    w = pytorch.in_proj_weight.data  # the same weights in each layout
    for k, part in enumerate(("query", "key", "value")):
        getattr(keras, f"{part}_kernel").data[...] = w[k * E : (k + 1) * E].T.reshape(E, HEADS, E // HEADS)
        getattr(keras, f"{part}_bias").data[...] = pytorch.in_proj_bias.data[k * E : (k + 1) * E].reshape(
            HEADS, -1
        )
    keras.output_kernel.data[...] = pytorch.out_proj_weight.data.T.reshape(HEADS, E // HEADS, E)
    may_not = rng.random((L, L)) < 0.5
    np.fill_diagonal(may_not, False)
    close(pytorch(x, attn_mask=may_not).data, keras(x, attn_mask=~may_not).data, "flipped masks")


# --- encoder and decoder layers ---------------------------------------------------------------------------
LAYER_CASES = [(False, "relu"), (False, "gelu"), (True, "relu"), (True, "gelu")]


def case_name(case):
    return f"{'pre' if case[0] else 'post'}_norm_{case[1]}"


@pytest.mark.parametrize("case", LAYER_CASES, ids=case_name)
def test_encoder_layer_matches_pytorch_with_masks(float64, case):
    norm_first, activation = case
    options = dict(dropout=0.0, activation=activation, norm_first=norm_first)
    module = jiggle(
        torch.nn.TransformerEncoderLayer(E, HEADS, FF, batch_first=True, dtype=torch.float64, **options)
    )
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, **options)
    (x,), (tx,) = inputs((N, S, E))
    layer(x)
    layer.load_torch_state_dict(module.state_dict())
    out = layer(x, mask=SELF_MASK, key_padding_mask=PADDING)
    expected = module(tx, src_mask=torch.from_numpy(SELF_MASK),
                      src_key_padding_mask=torch.from_numpy(PADDING))  # fmt: skip
    close(out.data, expected, "output")
    again, weights = layer(x, mask=SELF_MASK, key_padding_mask=PADDING, need_weights=True)
    np.testing.assert_array_equal(again.data, out.data)
    assert weights.shape == (N, HEADS, S, S) and np.all(weights.data[:, :, SELF_MASK] == 0)
    backward_both(out, expected)
    close(x.grad, tx.grad, "dL/dx")
    check_gradients(layer, module)


@pytest.mark.parametrize("case", LAYER_CASES, ids=case_name)
def test_decoder_layer_matches_pytorch(float64, case):
    norm_first, activation = case
    options = dict(dropout=0.0, activation=activation, norm_first=norm_first)
    module = jiggle(
        torch.nn.TransformerDecoderLayer(E, HEADS, FF, batch_first=True, dtype=torch.float64, **options)
    )
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, **options)
    (x, memory), (tx, tmemory) = inputs((N, L, E), (N, S, E))
    layer(x, memory)
    layer.load_torch_state_dict(module.state_dict())
    out = layer(x, memory, tgt_is_causal=True, memory_key_padding_mask=PADDING)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    expected = module(tx, tmemory, tgt_mask=causal, tgt_is_causal=True,
                      memory_key_padding_mask=torch.from_numpy(PADDING))  # fmt: skip
    close(out.data, expected, "output")
    backward_both(out, expected)
    close(x.grad, tx.grad, "dL/dx")
    close(memory.grad, tmemory.grad, "dL/dmemory")
    check_gradients(layer, module)


def test_decoder_stack_loads_a_pytorch_decoder_and_matches(float64):
    block = torch.nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0, batch_first=True, dtype=torch.float64)
    module = jiggle(torch.nn.TransformerDecoder(block, 2, norm=torch.nn.LayerNorm(E, dtype=torch.float64)))
    stack = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0), 2, norm=nn.LayerNorm(E)
    )
    (x, memory), (tx, tmemory) = inputs((N, L, E), (N, S, E))
    stack(x, memory)
    stack.load_torch_state_dict(module.state_dict())
    out, expected = (
        stack(x, memory, tgt_is_causal=True),
        module(
            tx,
            tmemory,
            tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64),
            tgt_is_causal=True,
        ),
    )
    close(out.data, expected, "output")
    backward_both(out, expected)
    close(memory.grad, tmemory.grad, "dL/dmemory")
    named = dict(module.named_parameters())
    for name, parameter in stack.named_parameters():
        their_name, transposed = torch_name(name)
        grad = named[their_name].grad.numpy()
        close(parameter.grad, grad.T if transposed else grad, name)


def test_decoder_round_trips_its_config(float64):
    stack = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, norm_first=True), 3)
    clone = nn.TransformerDecoder.from_config(stack.get_config())
    assert clone.get_config() == stack.get_config() and len(clone.layers) == 3
    assert clone.layers[2].norm_first and clone.layers[2].dim_feedforward == 8


# --- positions ---------------------------------------------------------------------------------------------
def test_positional_encoding_is_the_vaswani_table(float64):
    x = gn.tensor(np.zeros((1, 6, 8)))
    table = nn.PositionalEncoding(50)(x).data[0]
    for position in range(6):
        for i in range(4):
            angle = position / 10000 ** (2 * i / 8)
            assert table[position, 2 * i] == pytest.approx(math.sin(angle), abs=1e-15)
            assert table[position, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-15)


def test_position_embedding_adds_rows_and_sums_their_gradients_over_the_batch(float64):
    layer = nn.PositionEmbedding(7)
    x = gn.tensor(np.random.default_rng(0).standard_normal((3, 4, 2)), requires_grad=True)
    out = layer(x, start=2)
    close(out.data, x.data + layer.weight.data[2:6], "x + P[2:6]")
    out.sum().backward()
    expected = np.zeros((7, 2))
    expected[2:6] = 3  # three examples
    close(layer.weight.grad, expected, "dL/dP")


# --- errors -------------------------------------------------------------------------------------------------
def test_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="d_model 10 is not divisible by nhead 3"):
        nn.TransformerEncoderLayer(10, 3)
    with pytest.raises(
        ValueError, match=r"'mha_bad': embed_dim \(d_model\) 10 is not divisible by num_heads 4"
    ):
        nn.MultiHeadAttention(4, name="mha_bad")(gn.ones(2, 3, 10))


@pytest.mark.parametrize(
    "mask, message",
    [
        (
            np.zeros((4, 4), bool),
            r"attn_mask of shape \(L, S\) = \(3, 3\) or \(N·heads, L, S\) = \(4, 3, 3\), got \(4, 4\)",
        ),
        (np.zeros((3, 3), np.int64), "attn_mask of booleans .True = may not attend. or floats"),
    ],
)
def test_a_bad_mask_names_the_layer_and_the_shapes(mask, message):
    layer = nn.MultiHeadAttention(2, name="attention_x")
    with pytest.raises((ValueError, TypeError), match="'attention_x' expects " + message):
        layer(gn.ones(2, 3, 4), attn_mask=mask)


def test_keras_masks_must_be_zeros_and_ones():
    layer = nn.MultiHeadAttention(2, key_dim=2, convention="keras", name="keras_mha")
    with pytest.raises(TypeError, match=r"'keras_mha' .* booleans or 0/1 \(1 = attend\), got dtype float"):
        layer(gn.ones(2, 3, 4), attn_mask=np.full((2, 3, 3), 0.5))


def test_key_padding_mask_of_the_wrong_shape():
    with pytest.raises(
        ValueError, match=r"key_padding_mask of booleans \(True = padding\) of shape \(N, S\) = \(2, 3\)"
    ):
        nn.MultiHeadAttention(2)(gn.ones(2, 3, 4), key_padding_mask=np.zeros((2, 4), bool))


def test_a_sequence_longer_than_the_position_table():
    with pytest.raises(ValueError, match=r"'pe': a sequence of length 12 .*\(1, 12, 4\).* max_len 10"):
        nn.PositionalEncoding(10, name="pe")(gn.zeros(1, 12, 4))
    with pytest.raises(ValueError, match=r"length 3 \(from position 5.*max_len 7"):
        nn.PositionEmbedding(7)(gn.zeros(1, 3, 4), start=5)


def test_a_decoder_takes_target_and_memory_as_one_list():
    """layer([x, memory]) is layer(x, memory): how a functional Model (and an exported file) feeds it."""
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    x, memory = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    block = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0)
    for layer in (block, nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0), 2)):
        together = layer([x, memory], tgt_is_causal=True).data
        np.testing.assert_array_equal(together, layer(x, memory, tgt_is_causal=True).data)
        target, source = nn.Input((None, 4)), nn.Input((None, 4))
        model = nn.Model([target, source], layer([target, source], tgt_is_causal=True))
        np.testing.assert_array_equal(model([x, memory]).data, together)
        with pytest.raises(ValueError, match=r"needs the encoder's output: call it as layer\(x, memory\)"):
            layer(x)
