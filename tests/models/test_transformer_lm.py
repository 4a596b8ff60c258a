"""The decoder-only TransformerLM: the cached path equals the full forward (float64, 1e-10), cached and
uncached generation draw the same ids, the model equals the same GPT written with PyTorch's layers, it
learns a short text, saves and loads, runs from a run file, and says what is wrong with bad ids."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import CharTokenizer, language_model_dataset
from glassnet.io.config import parse_config
from glassnet.models import TransformerLM


def small(**options):
    return TransformerLM(11, **{"context": 12, "d_model": 8, "num_layers": 2, "num_heads": 2, **options})


@pytest.mark.parametrize("tie_weights", [False, True], ids=["own_head", "tied"])
def test_cached_steps_give_the_full_forward_logits(float64, tie_weights):
    gn.manual_seed(0)
    model = small(tie_weights=tie_weights)
    ids = np.random.default_rng(0).integers(0, 11, (2, 10))
    full = model(ids).data
    caches = [{} for _ in model.blocks]
    pieces = [model.step(ids[:, :4], caches).data]  # the prompt at once, then one id per step
    pieces += [model.step(ids[:, t : t + 1], caches).data for t in range(4, 10)]
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, rtol=1e-10, atol=1e-13)
    assert caches[0]["k"].shape == (2, 2, 10, 4)  # (N, heads, positions, d_k)


def test_cached_and_uncached_generation_draw_the_same_ids(float64):
    gn.manual_seed(0)
    model = small(dropout=0.1)  # dropout is off while generating
    runs = []
    for use_cache in (True, False):
        gn.manual_seed(5)
        runs.append(model.generate([1, 2, 3], 20, temperature=1.0, top_k=5, use_cache=use_cache))
    np.testing.assert_array_equal(runs[0], runs[1])  # 23 ids > context 12: the cache is rebuilt, too
    assert runs[0].shape == (20,) and len(set(runs[0].tolist())) > 2
    assert model.training  # the mode is restored


def test_equals_the_same_gpt_built_from_pytorch_layers(float64):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity")
    gn.manual_seed(1)
    model = small(tie_weights=True, bias=False)
    blocks = [
        torch.nn.TransformerEncoderLayer(8, 2, 32, dropout=0.0, activation="gelu", batch_first=True,
                                         norm_first=True, bias=False, dtype=torch.float64)
        for _ in range(2)
    ]  # fmt: skip
    for k, (ours, theirs) in enumerate(zip(model.blocks, blocks)):
        with torch.no_grad():
            for parameter in theirs.parameters():
                parameter.add_(torch.from_numpy(np.random.default_rng(k).uniform(-0.3, 0.3, parameter.shape)))
        ours.load_torch_state_dict(theirs.state_dict())
    ids = np.random.default_rng(2).integers(0, 11, (3, 7))
    token = torch.tensor(model.token_embedding.weight.data, requires_grad=True)
    position = torch.tensor(model.position_embedding.weight.data)
    norm_weight = torch.tensor(model.norm.gamma.data)
    h = token[torch.from_numpy(ids)] + position[:7]
    causal = torch.nn.Transformer.generate_square_subsequent_mask(7, dtype=torch.float64)
    for block in blocks:
        h = block(h, src_mask=causal, is_causal=True)
    expected = torch.nn.functional.layer_norm(h, (8,), norm_weight) @ token.T
    logits = model(ids)
    np.testing.assert_allclose(logits.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(3).standard_normal(logits.shape)
    logits.backward(weights)
    expected.backward(torch.from_numpy(weights))
    np.testing.assert_allclose(  # the tied embedding's gradient: its lookups and the output projection
        model.token_embedding.weight.grad, token.grad.numpy(), rtol=1e-10, atol=1e-12
    )


def test_gradients_match_finite_differences(float64):
    gn.manual_seed(2)
    model = TransformerLM(
        5, context=4, d_model=4, num_layers=1, num_heads=2, dim_feedforward=6, tie_weights=True
    )
    ids = np.array([[1, 4, 0, 2]])
    targets = np.array([[4, 0, 2, 3]])
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    assert gn.gradcheck(lambda *_: loss_fn(model(ids), targets), model.parameters()) is True


def test_learns_a_short_text_saves_and_loads(tmp_path):
    gn.manual_seed(0)
    text = "hello world. " * 40
    tokenizer = CharTokenizer().fit(text)
    x, y = language_model_dataset(tokenizer.encode(text), seq_len=12, stride=3).arrays
    model = TransformerLM(tokenizer.vocab_size, context=12, d_model=16, num_layers=1, num_heads=2)
    model.compile(optimizer=optim.Adam(lr=1e-2), loss=nn.SparseCategoricalCrossEntropy(from_logits=True))
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert model.history.history["loss"][-1] < 0.1
    generated = tokenizer.decode(model.generate(tokenizer.encode("hello "), 13, temperature=0))
    assert generated == "world. hello "
    loaded = nn.load_model(model.save(tmp_path / "gpt.glassnet"), compile=False)
    assert isinstance(loaded, TransformerLM) and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded(x[:2]).data, model(x[:2]).data)


def test_a_run_file_builds_it_from_the_text(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    run = f"""
[data]
source = "text"
path = "{path}"
seq_len = 10
[model]
architecture = "TransformerLM"
context = 10
d_model = 8
num_layers = 1
num_heads = 2
[compile]
optimizer = {{ type = "Adam", lr = 0.01 }}
loss = {{ type = "SparseCategoricalCrossEntropy", from_logits = true }}
"""
    config = parse_config(run, "gpt.toml")
    (x, _), _ = config.load_data()
    model = config.build_model(x.shape[1:])
    vocab = config.prepared["tokenizer"].vocab_size
    assert isinstance(model, TransformerLM) and model.vocab_size == vocab and model.context == 10
    assert model(x[:3]).shape == (3, 10, vocab)


def test_bad_ids_and_long_sequences_name_the_layer():
    model = small()
    with pytest.raises(ValueError, match=r"Embedding '.*' got token ids in \[0, 11\] .* vocab_size is 11"):
        model(np.array([[0, 11]]))
    with pytest.raises(ValueError, match=r"PositionEmbedding '.*': a sequence of length 13 .* max_len 12"):
        model(np.zeros((1, 13), dtype=int))
    with pytest.raises(ValueError, match="d_model 10 is not divisible by nhead 4"):
        TransformerLM(5, d_model=10, num_heads=4)


def test_attention_maps_are_causal_softmax_rows_of_each_head(float64):
    gn.manual_seed(4)
    model = small()
    ids = np.array([[3, 1, 4, 1, 5, 9]])
    maps = model.attention_maps(ids)
    assert len(maps) == 2 and maps[0].shape == (1, 2, 6, 6)
    for weights in maps:
        assert np.all(np.triu(weights, k=1) == 0)  # the future is hidden
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
    # block 1, head 1 by hand: LN(E[ids] + P), its query and key columns, softmax of the causal scores
    block = model.blocks[0]
    h = model.token_embedding.weight.data[ids[0]] + model.position_embedding.weight.data[:6]
    h = (h - h.mean(-1, keepdims=True)) / np.sqrt(h.var(-1, keepdims=True) + 1e-5) * block.norm1.gamma.data
    h = h + block.norm1.beta.data
    w, b = block.self_attn.in_proj_weight.data, block.self_attn.in_proj_bias.data
    q, k = h @ w[0:4].T + b[0:4], h @ w[8:12].T + b[8:12]  # head 1 of 2: the first 4 of 8 columns
    scores = np.where(np.tril(np.ones((6, 6), bool)), q @ k.T / 2.0, -np.inf)
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    np.testing.assert_allclose(maps[0][0, 0], expected / expected.sum(-1, keepdims=True), rtol=1e-10)
