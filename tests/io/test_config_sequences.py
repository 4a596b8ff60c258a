"""Run files for sequences: a text source for language models, a series source for forecasting."""

from pathlib import Path

import numpy as np
import pytest

from glassnet import models, nn
from glassnet.cli.main import main
from glassnet.data import load_tokenizer
from glassnet.io import load_model
from glassnet.io.config import ConfigError, load_config, parse_config

TEXT = "the cat sat on the mat. the dog sat on the log.\n" * 30

TEXT_RUN = """
name = "chars"
seed = 0
[data]
source = "text"
path = "{path}"
seq_len = 20
{extra}
[model]
layers = [
    {{ type = "Embedding", vocab_size = "vocab_size", dim = 8 }},
    {{ type = "LSTM", units = 16, return_sequences = true }},
    {{ type = "Dense", units = "vocab_size" }},
]
[compile]
optimizer = {{ type = "Adam", lr = 0.01 }}
loss = {{ type = "SparseCategoricalCrossEntropy", from_logits = true }}
metrics = ["accuracy"]
[fit]
epochs = 2
batch_size = 16
"""

SERIES_RUN = """
name = "series"
seed = 0
[data]
source = "series"
{source}
lookback = 6
test_size = 0.25
[model]
layers = [{{ type = "GRU", units = 8 }}, {{ type = "Dense", units = 1 }}]
[compile]
optimizer = {{ type = "Adam", lr = 0.01 }}
loss = "mse"
[fit]
epochs = 30
batch_size = 16
"""


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _text_config(path, extra=""):
    return parse_config(TEXT_RUN.format(path=path, extra=extra), "chars.toml")


def test_text_source_gives_shifted_windows_and_a_tokenizer_fitted_on_the_training_part(text_file):
    config = _text_config(text_file, "test_size = 0.2\nstride = 10")
    (x, y), (x_test, y_test) = config.load_data()
    tokenizer = config.prepared["tokenizer"]
    split = int(len(TEXT) * 0.8)
    ids = tokenizer.encode(TEXT[:split])
    # windows every 10 ids, 20 long; targets are the inputs shifted by one
    assert x.shape == ((len(ids) - 21) // 10 + 1, 20) and y.shape == x.shape
    np.testing.assert_array_equal(x[3], ids[30:50])
    np.testing.assert_array_equal(y[3], ids[31:51])
    assert x_test.shape[1] == 20 and len(x_test) == (len(TEXT) - split - 1) // 20
    assert tokenizer.decode(x_test[0]) == TEXT[split : split + 20]
    assert set(tokenizer.tokens_[2:]) == set(TEXT[:split])


def test_vocab_size_in_layers_is_the_tokenizers(text_file):
    config = _text_config(text_file)
    (x, _), _ = config.load_data()
    model = config.build_model(x.shape[1:])
    vocab = config.prepared["tokenizer"].vocab_size
    assert model.layers[0].weight.shape == (vocab, 8)
    assert model(x[:2]).shape == (2, 20, vocab)


def test_word_tokenizer_and_char_rnn_architecture(text_file):
    run = TEXT_RUN.format(path=text_file, extra='tokenizer = "word"\nmax_words = 5').replace(
        '[model]\nlayers = [\n    { type = "Embedding", vocab_size = "vocab_size", dim = 8 },\n'
        '    { type = "LSTM", units = 16, return_sequences = true },\n'
        '    { type = "Dense", units = "vocab_size" },\n]',
        '[model]\narchitecture = "CharRNN"\nembedding_dim = 4\nunits = 8\nnum_layers = 1',
    )
    config = parse_config(run.replace("seq_len = 20", "seq_len = 5"), "words.toml")
    (x, _), _ = config.load_data()
    tokenizer = config.prepared["tokenizer"]
    assert tokenizer.vocab_size == 2 + 5  # padding, unknown, the five most frequent words
    model = config.build_model(x.shape[1:])
    assert isinstance(model, models.CharRNN) and model.vocab_size == 7
    assert model(x[:3]).shape == (3, 5, 7)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('source = "text"', 'a text source needs path \\(a text file\\) or name = "tinyshakespeare"'),
        ('source = "text"\nname = "hamlet"', "text name 'hamlet'"),
        ('source = "text"\npath = "{path}"\nwindow = 3', r"unknown \[data\] keys \['window'\].*valid: "),
        ('source = "text"\npath = "{path}"\ntokenizer = "bpe"', 'tokenizer must be "char" or "word"'),
        ('source = "text"\npath = "{path}"\nmax_words = 9', 'max_words is for tokenizer = "word"'),
        ('source = "text"\npath = "{path}"\nseq_len = 5000', "too few for windows of 5000"),
        (
            'source = "text"\npath = "{path}"\ntest_size = 1.5',
            r"data\.test_size: expected a number in \[0, 1\), found the number 1\.5",
        ),
        ('source = "series"\nlookback = 3', 'needs path \\(with column\\) or name = "sunspots"'),
        ('source = "series"\npath = "{path}"', "needs column"),
        ('source = "series"\nname = "lynx"', "series name 'lynx'"),
    ],
)
def test_bad_sequence_sources_give_clear_errors(text_file, data, message):
    run = f"[data]\n{data.format(path=text_file)}\n[model]\nlayers = [{{ type = 'Dense', units = 1 }}]\n"
    run += '[compile]\nloss = "mse"\n'
    with pytest.raises(ConfigError, match=message):
        parse_config(run, "bad.toml").load_data()


def test_vocab_size_without_a_text_source_is_an_error():
    run = """
[data]
source = "moons"
[model]
layers = [{ type = "Dense", units = "vocab_size" }]
[compile]
loss = "mse"
"""
    config = parse_config(run, "moons.toml")
    (x, _), _ = config.load_data()
    with pytest.raises(ConfigError, match=r'layer 1 \(Dense.units\) is "vocab_size", which only a text'):
        config.build_model(x.shape[1:])


def _write_series(tmp_path, steps=120):
    t = np.arange(steps)
    values = 50 + 10 * np.sin(2 * np.pi * t / 12) + 0.5 * t
    path = tmp_path / "series.csv"
    path.write_text(
        "month,value\n" + "".join(f"{i},{float(v)!r}\n" for i, v in enumerate(values)), encoding="utf-8"
    )
    return path, values


def test_series_source_splits_in_time_and_scales_on_the_training_steps(tmp_path):
    path, values = _write_series(tmp_path)
    config = parse_config(SERIES_RUN.format(source=f'path = "{path}"\ncolumn = "value"'), "series.toml")
    (x, y), (x_test, y_test) = config.load_data()
    series = config.prepared["series"]
    split = int(len(values) * 0.75)
    assert series.split == split
    np.testing.assert_allclose(series.scaler.mean_, [values[:split].mean()], rtol=1e-12)
    scaled = (values - values[:split].mean()) / values[:split].std()
    assert x.shape == (split - 6, 6, 1) and x_test.shape == (len(values) - split, 6, 1)
    np.testing.assert_allclose(x[5, :, 0], scaled[5:11], rtol=1e-6)
    np.testing.assert_allclose(y_test[:, 0], scaled[split:], rtol=1e-6)


def test_a_series_column_must_hold_numbers(tmp_path):
    path = tmp_path / "words.csv"
    path.write_text("day,word\n1,up\n2,down\n3,up\n", encoding="utf-8")
    for column, message in (("word", "column 'word' is not numeric"), ("price", "price")):
        config = parse_config(SERIES_RUN.format(source=f'path = "{path}"\ncolumn = "{column}"'), "s.toml")
        with pytest.raises(ConfigError, match=message):
            config.load_data()


def test_glassnet_train_on_a_text_file_saves_the_tokenizer_and_prints_a_sample(tmp_path, text_file, capsys):
    run_file = tmp_path / "chars.toml"
    run_file.write_text(TEXT_RUN.format(path=text_file, extra=""), encoding="utf-8")
    assert main(["train", str(run_file), "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    tokenizer = load_tokenizer(tmp_path / "chars.tokenizer.json")
    model = load_model(tmp_path / "chars.glassnet")
    assert tokenizer.vocab_size == model.layers[-1].units
    prompt = out.split("--- prompt ---\n")[1].split("\n--- generated ---\n")[0]
    assert "\\n" not in prompt and "'" not in prompt[:1]  # the text itself, not a Python repr
    sample = out.split("--- generated ---\n")[1]
    sample = sample.split("\nsaved the loss curve")[0].split("\nno loss curve")[0]
    assert len(sample) >= 250  # 300 characters (fewer only where padding was drawn)
    assert set(sample) <= set(TEXT) | set("<unk>")


def test_glassnet_train_on_a_series_reports_the_naive_baseline(tmp_path, capsys):
    path, values = _write_series(tmp_path)
    run_file = tmp_path / "series.toml"
    run_file.write_text(SERIES_RUN.format(source=f'path = "{path}"\ncolumn = "value"'), encoding="utf-8")
    assert main(["train", str(run_file), "--output", str(tmp_path), "--epochs", "5"]) == 0
    out = capsys.readouterr().out
    report = next(line for line in out.splitlines() if line.startswith("test MAE"))
    split = int(len(values) * 0.75)
    naive = np.abs(values[split:] - values[split - 1 : -1]).mean()
    assert f"naive last value {naive:.4f}" in report
    # the model's MAE, from the saved model's predictions brought back to the series' units by hand
    train = values[:split]
    scaled = (values - train.mean()) / train.std()
    windows = np.stack([scaled[t - 6 : t] for t in range(split, len(values))])[:, :, None]
    model = load_model(tmp_path / "series.glassnet")
    predicted = model.predict(windows.astype(np.float32))[:, 0] * train.std() + train.mean()
    assert f"test MAE {np.abs(predicted - values[split:]).mean():.4f} in the series' units" in report


def test_sunspots_from_statsmodels(tmp_path):
    pytest.importorskip("statsmodels", reason="the sunspots series comes with glassnet[timeseries]")
    config = parse_config(SERIES_RUN.format(source='name = "sunspots"'), "sunspots.toml")
    (x, _), (x_test, _) = config.load_data()
    assert len(x) + len(x_test) + 6 == 309  # the yearly numbers 1700-2008
    assert isinstance(config.build_model(x.shape[1:]).layers[0], nn.GRU)


RUNS = Path(__file__).resolve().parents[2] / "examples" / "runs"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_the_shakespeare_example_run_builds_its_char_lm(monkeypatch):
    if not (SHARED_DATA / "tinyshakespeare" / "input.txt").is_file():
        pytest.skip(f"tiny Shakespeare is not at {SHARED_DATA} (../shared/data beside the checkout)")
    monkeypatch.setenv("GLASSNET_DATA", str(SHARED_DATA))
    config = load_config(RUNS / "shakespeare.toml")
    (x, y), (x_test, _) = config.load_data()
    assert x.shape == (int(1_115_394 * 0.9) // 100, 100) and x_test.shape[1] == 100
    model = config.build_model(x.shape[1:])
    vocab = config.prepared["tokenizer"].vocab_size
    assert (model.units, model.num_layers, model.vocab_size) == (256, 2, vocab)
    assert config.compile_arguments()["optimizer"].global_clipnorm == 5.0


def test_the_sunspots_example_run_trains_and_beats_the_naive_forecast(tmp_path, capsys):
    pytest.importorskip("statsmodels", reason="the sunspots series comes with glassnet[timeseries]")
    assert main(["train", str(RUNS / "sunspots.toml"), "--output", str(tmp_path)]) == 0
    report = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("test MAE"))
    assert report.endswith("(beats it)"), report


def test_summary_of_a_model_that_is_not_a_sequential(tmp_path, capsys):
    model = models.CharRNN(vocab_size=10, embedding_dim=4, units=8, num_layers=2)
    text = model.format_summary()
    assert "Output Shape" not in text  # unknown without data
    rows = [line.split() for line in text.splitlines()[4:8]]
    assert rows == [  # an LSTM of 8 units: F·32 + 8·32 + 32 for F = 4, then 8 inputs
        ["embedding", "(Embedding)", "40"],
        ["recurrent_0", "(LSTM)", "416"],
        ["recurrent_1", "(LSTM)", "544"],
        ["head", "(Dense)", "90"],
    ]
    assert f"Total params: {model.count_params():,}" in text and "Non-trainable params: 0" in text
    with pytest.raises(ValueError, match="needs each layer's input shape, which only a Sequential knows"):
        model.format_summary(explain=True)
    model.save(tmp_path / "lm.glassnet")
    assert main(["summary", str(tmp_path / "lm.glassnet")]) == 0
    assert capsys.readouterr().out.strip() == text
