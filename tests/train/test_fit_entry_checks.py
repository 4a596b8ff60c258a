"""What fit and predict refuse at the door, each with the fix in the message (issue 15)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from glassnet import nn
from glassnet.train.callbacks import ProgressBar


def classifier():
    model = nn.Sequential([nn.Dense(2)], input_shape=(4,))
    model.compile("sgd", nn.losses.SparseCategoricalCrossEntropy(from_logits=True))
    return model


X = np.random.default_rng(0).random((20, 4), dtype=np.float32)
Y = np.arange(20) % 2


@pytest.mark.parametrize(
    "epochs, error, message",
    [
        (
            -1,
            ValueError,
            "epochs must be more than initial_epoch (0): it is the number of the last epoch, got -1",
        ),
        (0, ValueError, "nothing would be trained"),
        (2.5, TypeError, "epochs must be a whole number, got 2.5 (float)"),
        (True, TypeError, "epochs must be a whole number, got True"),
    ],
)
def test_fit_refuses_epochs_that_train_nothing(epochs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        classifier().fit(X, Y, epochs=epochs, verbose=0)


def test_string_labels_are_told_how_to_become_ids():
    with pytest.raises(TypeError, match=re.escape("classes, y = np.unique(y, return_inverse=True)")):
        classifier().fit(X, np.array(["cat", "dog"] * 10), verbose=0)


def test_sparse_cross_entropy_names_the_dtype_passed():
    with pytest.raises(
        TypeError, match="got dtype float64 with shape \\(20,\\); convert labels with y.astype"
    ):
        classifier().fit(X, Y.astype(np.float64), verbose=0)


@pytest.mark.parametrize("input_shape", [None, (3, 32, 32)])
def test_channels_last_images_given_to_an_nchw_convolution_are_refused(input_shape):
    model = nn.Sequential([nn.Conv2D(4, 3), nn.Flatten(), nn.Dense(2)], input_shape=input_shape)
    model.compile("sgd", nn.losses.SparseCategoricalCrossEntropy(from_logits=True))
    images = np.zeros((16, 32, 32, 3), np.float32)
    expected = (
        "looks channels-last (NHWC); transpose it with x.transpose(0, 3, 1, 2), or build the layer with "
        'data_format="channels_last"'
    )
    for call in (lambda: model.fit(images, np.zeros(16, int), verbose=0), lambda: model.predict(images)):
        with pytest.raises(ValueError, match=re.escape(expected)):
            call()
    assert model.predict(images.transpose(0, 3, 1, 2)).shape == (16, 2)  # NCHW as told: it runs


def test_summary_returns_the_table_and_models_show_it_in_notebooks():
    model = classifier()
    printed = []
    table = model.summary(print_fn=printed.append)
    assert printed == [table] and repr(table) == str(table) == model.format_summary()
    assert "Total params: 10" in table
    assert model._repr_html_().startswith("<pre>Model: &quot;") and "Total params: 10" in model._repr_html_()


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_keeps_bar_count_and_time_at_80_columns(monkeypatch):
    pytest.importorskip("rich")
    monkeypatch.setenv("COLUMNS", "80")
    stream, seen = Terminal(), []

    class Watch(ProgressBar):
        def on_batch_end(self, batch, logs=None):
            super().on_batch_end(batch, logs)
            if batch == 20:
                self._progress.refresh()
                seen.append(re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", stream.getvalue()).split("\r")[-1])

    model = classifier()
    model.compile("sgd", model.loss, metrics=["accuracy"])
    x, y = np.tile(X, (100, 1)), np.tile(Y, 100)
    model.fit(x, y, epochs=1, batch_size=32, validation_split=0.2, verbose=0, callbacks=[Watch(1, stream)])
    bar = seen[0].strip()
    assert (
        len(bar) <= 80 and "━" in bar and "21/50" in bar and re.search(r"\d:\d\d:\d\d", bar) and "loss" in bar
    )
    last = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", stream.getvalue())
    assert re.search(r"Epoch 1/1  \d+(ms|\.\ds)  loss \d\.\d{4}  accuracy .* val_accuracy", last)


def test_piped_epoch_lines_show_milliseconds_not_zero_seconds():
    stream = io.StringIO()
    classifier().fit(X, Y, epochs=2, verbose=0, callbacks=[ProgressBar(2, stream)])
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and all(
        re.match(r"Epoch \d/2  (\d+ms|\d+\.\dms|\d+\.\ds)  loss ", line) for line in lines
    )
    assert "0.0s" not in stream.getvalue()
