"""Tokenizers, pad_sequences and the language-model windows."""

import numpy as np
import pytest

from glassnet.data import CharTokenizer, WordTokenizer, language_model_dataset, load_tokenizer, pad_sequences


def test_char_tokenizer_round_trip_and_reserved_ids(tmp_path):
    tok = CharTokenizer().fit("abcab\n")
    assert tok.tokens_ == ["<pad>", "<unk>", "\n", "a", "b", "c"]
    ids = tok.encode("cab\nz")
    assert ids.tolist() == [5, 3, 4, 2, 1]
    assert tok.decode([0, 5, 3, 0]) == "ca"
    loaded = load_tokenizer(tok.save(tmp_path / "tok.json"))
    assert loaded.encode("cab\nz").tolist() == ids.tolist() and loaded.vocab_size == 6


def test_a_vocabulary_without_reserved_ids_is_the_characters_alone(tmp_path):
    """nanoGPT's: ids 0 .. V-1 for the sorted characters; 0 decodes like any id; an unseen one is an error."""
    tok = CharTokenizer(reserved=False).fit("abcab\n")
    assert tok.tokens_ == ["\n", "a", "b", "c"] and tok.vocab_size == 4
    assert tok.encode("cab\n").tolist() == [3, 1, 2, 0]
    assert tok.decode([0, 3, 1]) == "\nca"
    with pytest.raises(ValueError, match="'z' is not in the vocabulary, and with reserved=False"):
        tok.encode("cz")
    loaded = load_tokenizer(tok.save(tmp_path / "tok.json"))
    assert not loaded.reserved and loaded.tokens_ == tok.tokens_
    assert loaded.decode(loaded.encode("ab\nc")) == "ab\nc"


def test_word_tokenizer_orders_by_frequency_and_limits_words(tmp_path):
    tok = WordTokenizer(max_words=2).fit(["To be, or not to be.", "TO go"])
    assert tok.tokens_ == ["<pad>", "<unk>", "to", "be"]
    assert tok.encode("be to go").tolist() == [3, 2, 1]
    loaded = load_tokenizer(tok.save(tmp_path / "words.json"))
    assert loaded.tokens_ == tok.tokens_ and loaded.max_words == 2 and loaded.lower


def test_unfitted_tokenizer_says_so():
    with pytest.raises(ValueError, match=r"CharTokenizer.encode: call fit\(text\) first"):
        CharTokenizer().encode("a")


@pytest.mark.parametrize(
    "padding, truncating, expected",
    [
        ("pre", "pre", [[0, 0, 1, 2], [4, 5, 6, 7], [0, 0, 0, 9]]),
        ("post", "pre", [[1, 2, 0, 0], [4, 5, 6, 7], [9, 0, 0, 0]]),
        ("pre", "post", [[0, 0, 1, 2], [3, 4, 5, 6], [0, 0, 0, 9]]),
    ],
)
def test_pad_sequences(padding, truncating, expected):
    sequences = [[1, 2], [3, 4, 5, 6, 7], [9]]
    out = pad_sequences(sequences, maxlen=4, padding=padding, truncating=truncating)
    assert out.tolist() == expected and out.dtype == np.int64
    assert pad_sequences(sequences, value=-1).shape == (3, 5)
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        pad_sequences(sequences, padding="middle")


def test_language_model_windows_are_shifted_by_one():
    ds = language_model_dataset(np.arange(10), seq_len=4, stride=2)
    assert len(ds) == 3
    x, y = ds[2]
    assert x.tolist() == [4, 5, 6, 7] and y.tolist() == [5, 6, 7, 8]
    with pytest.raises(ValueError, match="too few"):
        language_model_dataset(np.arange(3), seq_len=3)
