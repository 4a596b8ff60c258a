"""CharRNN: shapes, that stepping with carried states equals one pass, sampling rules, saving, and a tiny
model that learns a text by heart."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import CharTokenizer, language_model_dataset
from glassnet.models import CharRNN, sample_logits


def test_stepping_with_states_equals_one_pass():
    gn.manual_seed(0)
    model = CharRNN(12, embedding_dim=4, units=8, dtype="float64")
    ids = np.random.default_rng(0).integers(0, 12, (2, 6))
    whole = model(ids).data
    first, states = model.step(ids[:, :4])
    second, _ = model.step(ids[:, 4:], states)
    np.testing.assert_allclose(np.concatenate([first.data, second.data], 1), whole, rtol=1e-12)


def test_sampling_rules():
    gn.manual_seed(0)
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.4]] * 20000))
    draws = sample_logits(logits)
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / len(draws), [0.1, 0.2, 0.3, 0.4], atol=0.015)
    assert set(sample_logits(logits, top_k=2).tolist()) == {2, 3}
    assert sample_logits(logits[:3], temperature=0).tolist() == [3, 3, 3]
    cold = sample_logits(logits, temperature=0.25)  # p^4 renormalised: 0.4 -> 0.71
    assert np.mean(cold == 3) == pytest.approx(0.256 / 0.354, abs=0.015)


def test_learns_a_short_text_and_generates_it(tmp_path):
    gn.manual_seed(0)
    text = "hello world. " * 40
    tok = CharTokenizer().fit(text)
    ids = tok.encode(text)
    x, y = language_model_dataset(ids, seq_len=12, stride=3).arrays
    model = CharRNN(tok.vocab_size, embedding_dim=8, units=32, num_layers=1)
    model.compile(optimizer=optim.Adam(lr=1e-2), loss=nn.SparseCategoricalCrossEntropy(from_logits=True))
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert model.history.history["loss"][-1] < 0.1
    generated = tok.decode(model.generate(tok.encode("hello "), 13, temperature=0))
    assert generated == "world. hello "
    model.save(tmp_path / "lm.glassnet")
    loaded = nn.load_model(tmp_path / "lm.glassnet", compile=False)
    np.testing.assert_allclose(loaded(x[:2]).data, model(x[:2]).data, rtol=1e-5)
