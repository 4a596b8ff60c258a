"""Text: tokenizers with a vocabulary, padding, and windows for language modelling.

Ids 0 and 1 are reserved in a vocabulary by default: 0 is padding (so that ``Embedding(mask_zero=True)``
and ``pad_sequences`` agree) and 1 stands for a token never seen by ``fit``; ``reserved=False`` gives a
vocabulary of the text's tokens alone (nanoGPT's characters: ids 0 .. V-1, and an unseen token is an
error). A tokenizer is plain data (``get_config()`` / ``from_config``, ``save(path)`` / ``load(path)`` as
JSON): keep it beside the model file (``model.glassnet`` + ``model.tokenizer.json``), as Keras keeps its
text vectorizer's vocabulary apart.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

from glassnet.data.loader import TensorDataset
from glassnet.data.schema import Field, Schema, TokenizerFileError, read_text_file

__all__ = [
    "CharTokenizer",
    "WordTokenizer",
    "load_tokenizer",
    "pad_sequences",
    "language_model_dataset",
    "PAD",
    "UNKNOWN",
]

PAD, UNKNOWN = "<pad>", "<unk>"


class _Tokenizer:
    """A vocabulary (``tokens_``, id = position) learned by ``fit``; ``encode`` / ``decode`` text."""

    def __init__(self, tokens=None, reserved: bool = True):
        self.tokens_ = None
        self.reserved = bool(reserved)
        if tokens is not None:
            self._set_vocabulary(list(tokens))

    def _set_vocabulary(self, tokens: list) -> None:
        if self.reserved and tokens[:2] != [PAD, UNKNOWN]:
            tokens = [PAD, UNKNOWN] + [t for t in tokens if t not in (PAD, UNKNOWN)]
        self.tokens_ = tokens
        self.index_ = {token: i for i, token in enumerate(tokens)}

    @property
    def vocab_size(self) -> int:
        """Number of ids, padding and unknown included when reserved (what ``Embedding`` and the output
        layer need)."""
        self._check_fitted("vocab_size")
        return len(self.tokens_)

    def _check_fitted(self, what: str) -> None:
        if self.tokens_ is None:
            raise ValueError(f"{type(self).__name__}.{what}: call fit(text) first (no vocabulary yet)")

    def fit(self, texts):
        """Learn the vocabulary from a string or a list of strings; returns self."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        self._set_vocabulary(self._vocabulary(Counter(t for text in texts for t in self.split(text))))
        return self

    def encode(self, text) -> np.ndarray:
        """The ids of ``text`` (int64); unseen tokens become 1 (an error without reserved ids)."""
        self._check_fitted("encode")
        index, tokens = self.index_, self.split(text)
        if not self.reserved:
            unseen = [token for token in tokens if token not in index]
            if unseen:
                raise ValueError(
                    f"{type(self).__name__}.encode: {unseen[0]!r} is not in the vocabulary, and with "
                    "reserved=False there is no unknown id; fit on text that has it, or keep reserved=True"
                )
        return np.array([index.get(token, 1) for token in tokens], dtype=np.int64)

    def decode(self, ids) -> str:
        """The text of ``ids``; padding (0, when reserved) is left out."""
        self._check_fitted("decode")
        skip = 0 if self.reserved else -1
        return self.join([self.tokens_[int(i)] for i in np.asarray(ids).reshape(-1) if int(i) != skip])

    def get_config(self) -> dict:
        reserved = {} if self.reserved else {"reserved": False}
        return {"class": type(self).__name__, "tokens": self.tokens_, **reserved, **self._options()}

    @classmethod
    def from_config(cls, config: dict):
        config = {k: v for k, v in config.items() if k != "class"}
        return cls(**config)

    def save(self, path) -> Path:
        """Write the config as JSON (UTF-8) to ``path``."""
        path = Path(path)
        path.write_text(json.dumps(self.get_config(), ensure_ascii=False), encoding="utf-8")
        return path

    def _options(self) -> dict:
        return {}


class CharTokenizer(_Tokenizer):
    """One token per character; the vocabulary is every character of the text, sorted, after the two
    reserved ids (``reserved=False``: the characters alone, as nanoGPT's).

    Example:
        >>> tok = CharTokenizer().fit("hello")
        >>> tok.vocab_size, tok.encode("hole").tolist(), tok.decode(tok.encode("he!"))
        (6, [3, 5, 4, 2], 'he<unk>')
    """

    @staticmethod
    def split(text: str) -> list:
        return list(text)

    @staticmethod
    def join(tokens: list) -> str:
        return "".join(tokens)

    @staticmethod
    def _vocabulary(counts: Counter) -> list:
        return sorted(counts)


class WordTokenizer(_Tokenizer):
    """Words and punctuation marks as tokens (``\\w+`` or one other non-space character), most frequent
    first (ties in order of appearance), as Keras's ``Tokenizer``.

    Args:
        lower: lower-case the text first.
        max_words: keep only this many most frequent words (the rest become 1, unknown).

    Example:
        >>> tok = WordTokenizer().fit(["The cat sat.", "the dog sat"])
        >>> tok.encode("the cat ran.").tolist(), tok.decode([2, 4])
        ([2, 4, 1, 5], 'the cat')
    """

    def __init__(self, tokens=None, lower: bool = True, max_words: int | None = None, reserved: bool = True):
        self.lower, self.max_words = bool(lower), max_words
        super().__init__(tokens, reserved)

    def split(self, text: str) -> list:
        return re.findall(r"\w+|[^\w\s]", text.lower() if self.lower else text)

    @staticmethod
    def join(tokens: list) -> str:
        return " ".join(tokens)

    def _vocabulary(self, counts: Counter) -> list:
        return [word for word, _ in counts.most_common(self.max_words)]

    def _options(self) -> dict:
        return {"lower": self.lower, "max_words": self.max_words}


_TOKENIZER_FILE_LIMIT = 256 << 20  # bytes: a vocabulary of millions of words fits many times over
_TOKENIZER_SCHEMA = Schema(
    {
        "class": Field((str,), required=True, choices=("CharTokenizer", "WordTokenizer")),
        "tokens": Field((list,), required=True, minimum=2, items=Field((str,))),
        "lower": Field((bool,)),
        "max_words": Field((int, type(None)), minimum=1),
        "reserved": Field((bool,)),
    }
)


def load_tokenizer(path):
    """Read a tokenizer written by ``save``.

    Raises:
        TokenizerFileError: not a saved tokenizer, or a vocabulary that would shift ids: a key of the wrong
            type, a token listed twice, the special tokens (``<pad>`` 0, ``<unk>`` 1) missing or moved, a
            character tokenizer's token longer than one character.
    """
    text = read_text_file(path, TokenizerFileError, "tokenizer file", limit=_TOKENIZER_FILE_LIMIT)
    try:
        config = json.loads(text)
    except RecursionError:
        raise TokenizerFileError(f"{path}: expected JSON, found nesting too deep to read") from None
    except ValueError as error:
        raise TokenizerFileError(f"{path}: expected JSON, found {error}") from None
    _TOKENIZER_SCHEMA.check(config, TokenizerFileError, str(path))
    tokens = config["tokens"]
    reserved = config.get("reserved", True)
    if reserved and tokens[:2] != [PAD, UNKNOWN]:
        raise TokenizerFileError(
            f"{path}: tokens: expected {PAD!r} and {UNKNOWN!r} first (ids 0 and 1), found {tokens[:2]}"
        )
    first = {}
    for index, token in enumerate(tokens):
        if token in first:
            raise TokenizerFileError(
                f"{path}: tokens[{index}]: expected each token once, found {token!r} again (first at "
                f"{first[token]}): every later id would shift"
            )
        first[token] = index
        if config["class"] == "CharTokenizer" and index >= (2 if reserved else 0) and len(token) != 1:
            raise TokenizerFileError(
                f"{path}: tokens[{index}]: expected one character (a CharTokenizer), found {token!r}"
            )
    classes = {"CharTokenizer": CharTokenizer, "WordTokenizer": WordTokenizer}
    try:
        return classes[config["class"]].from_config(config)
    except TypeError as error:  # an option of the other class (lower for a CharTokenizer)
        raise TokenizerFileError(f"{path}: {config['class']}: {error}") from None


def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0, dtype="int64"):
    """Sequences of different lengths as one (N, maxlen) array, as Keras's ``pad_sequences``.

    Args:
        sequences: a list of lists (or 1-D arrays) of ids.
        maxlen: the length of every row; default the longest sequence.
        padding: "pre" (default, Keras's) puts ``value`` before a short sequence, "post" after it.
        truncating: "pre" drops the beginning of a long sequence, "post" its end.
        value: the padding id (0: what ``Embedding(mask_zero=True)`` masks).

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], padding="post").tolist()
        [[1, 2, 3], [4, 0, 0]]
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
        [[2, 3], [0, 4]]
    """
    for name, option in (("padding", padding), ("truncating", truncating)):
        if option not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {option!r}")
    sequences = [np.asarray(s).reshape(-1) for s in sequences]
    if maxlen is None:
        maxlen = max((len(s) for s in sequences), default=0)
    out = np.full((len(sequences), maxlen), value, dtype=dtype)
    for row, sequence in enumerate(sequences):
        if maxlen == 0:
            break
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        if padding == "pre":
            out[row, maxlen - len(kept) :] = kept
        else:
            out[row, : len(kept)] = kept
    return out


def language_model_dataset(ids, seq_len: int, stride: int | None = None) -> TensorDataset:
    """Windows for next-token prediction: inputs ids[s : s+L] and targets ids[s+1 : s+L+1] (the input
    shifted by one), for s = 0, stride, 2·stride, ... (default stride = L: windows that do not overlap).

    The windows are views of ``ids`` (no copy); the loader gathers each batch.

    Example:
        >>> ds = language_model_dataset(np.arange(7), seq_len=3)
        >>> len(ds), [a.tolist() for a in ds[1]]
        (2, [[3, 4, 5], [4, 5, 6]])
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"language_model_dataset expects a 1-D array of ids, got shape {ids.shape}")
    stride = seq_len if stride is None else stride
    if seq_len < 1 or stride < 1:
        raise ValueError(f"language_model_dataset: seq_len and stride must be >= 1, got {seq_len}, {stride}")
    if len(ids) < seq_len + 1:
        raise ValueError(f"language_model_dataset: {len(ids)} ids are too few for windows of {seq_len} + 1")
    windows = np.lib.stride_tricks.sliding_window_view(ids, seq_len + 1)[::stride]
    return TensorDataset(windows[:, :-1], windows[:, 1:])
