"""The plots of ``glassnet.explain.plots``: the numbers behind each picture, and a PNG that is not blank."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.explain import plots


def assert_png_has_content(path):
    """The file is a PNG with a drawing in it: many colours, and a fair share of pixels not white."""
    image_module = pytest.importorskip("matplotlib.image", reason="plots need matplotlib")
    image = image_module.imread(str(path))
    rgb = image[..., :3].reshape(-1, 3)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert len(np.unique(np.round(rgb, 2), axis=0)) > 10
    assert (rgb.min(axis=1) < 0.9).mean() > 0.01


@pytest.fixture
def pyplot():
    pytest.importorskip("matplotlib", reason="plots need matplotlib: pip install 'glassnet[plot]'")
    import matplotlib.pyplot as plt

    plt.switch_backend("Agg")
    yield plt
    plt.close("all")


# --- activations ---

GRID = np.array([-2.0, -0.5, 0.3, 1.7])
SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772
CLOSED_FORMS = {  # f'(x) written out here, as an independent oracle for autograd's derivative
    "step": lambda x: 0 * x,
    "identity": lambda x: 1 + 0 * x,
    "sigmoid": lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
    "tanh": lambda x: 1 / np.cosh(x) ** 2,
    "relu": lambda x: (x > 0) * 1.0,
    "leaky_relu": lambda x: np.where(x > 0, 1.0, 0.01),
    "rrelu": lambda x: np.where(x >= 0, 1.0, (1 / 8 + 1 / 3) / 2),
    "prelu": lambda x: np.where(x > 0, 1.0, 0.25),
    "elu": lambda x: np.where(x > 0, 1.0, np.exp(x)),
    "selu": lambda x: SELU_LAMBDA * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(x)),
    "softmax": lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,  # softmax([x, 0])₀ = σ(x)
    "gelu": lambda x: np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi),
    "silu": lambda x: (1 + np.exp(-x) + x * np.exp(-x)) / (1 + np.exp(-x)) ** 2,
}


def test_every_registered_activation_is_drawn_once():
    assert plots.activation_names() == list(CLOSED_FORMS)


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_the_derivative_drawn_is_autograd_and_equals_the_closed_form(name):
    y, dy = plots.activation_curve(name, GRID)
    np.testing.assert_allclose(dy, CLOSED_FORMS[name](GRID), rtol=1e-12, atol=1e-15)
    assert y.dtype == np.float64 and y.shape == GRID.shape


def test_sigmoid_curve_at_zero_is_one_half_with_slope_one_quarter():
    y, dy = plots.activation_curve("sigmoid", [0.0])
    assert (y[0], dy[0]) == (0.5, 0.25)


def test_plot_activations_has_one_panel_per_activation_and_writes_a_png(pyplot, tmp_path):
    figure = plots.plot_activations(["relu", "tanh", "softmax"])
    visible = [axis for axis in figure.axes if axis.get_visible()]
    assert [axis.get_title() for axis in visible] == ["relu", "tanh", "softmax([x, 0])₀"]
    np.testing.assert_allclose(visible[1].lines[1].get_ydata()[200], 1.0)  # tanh'(0) on the dashed line
    path = plots.plot_activations(path=tmp_path / "activations.png")
    assert path == tmp_path / "activations.png"
    assert_png_has_content(path)


# --- decision boundary ---


def _linear_classifier(weights, bias, activation=None):
    model = nn.Sequential([nn.Dense(len(bias), activation=activation)], input_shape=(2,))
    model[0].weight.data[:] = weights
    model[0].bias.data[:] = bias
    return model


def test_decision_grid_of_a_logit_classifier_is_the_half_plane_above_the_diagonal():
    model = _linear_classifier([[-1.0], [1.0]], [0.0])
    x = np.array([[0.0, 0.0], [2.0, 2.0]])
    xx, yy, classes = plots.decision_grid(model, x, resolution=9, margin=0.0)
    assert xx.shape == classes.shape == (9, 9)
    np.testing.assert_array_equal(classes, (yy > xx).astype(int))


def test_decision_grid_of_a_sigmoid_output_thresholds_at_one_half():
    # σ(x₁ - 1) > 0.5 exactly where x₁ > 1 (a logit threshold of 0 would give x₁ > ... everywhere)
    model = _linear_classifier([[1.0], [0.0]], [-1.0], activation="sigmoid")
    xx, _, classes = plots.decision_grid(model, np.array([[0.0, 0.0], [2.0, 1.0]]), resolution=5, margin=0)
    np.testing.assert_array_equal(classes, (xx > 1).astype(int))


def test_decision_grid_of_three_classes_takes_the_argmax():
    # scores (x₁, x₂, 1.5): class 2 near the origin, class 0 where x₁ is largest, 1 where x₂ is
    model = _linear_classifier([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [0.0, 0.0, 1.5], activation="softmax")
    xx, yy, classes = plots.decision_grid(model, np.array([[0.0, 0.0], [3.0, 3.0]]), resolution=7, margin=0)
    scores = np.stack([xx, yy, np.full_like(xx, 1.5)])
    np.testing.assert_array_equal(classes, scores.argmax(axis=0))


def test_decision_grid_refuses_inputs_that_are_not_2d():
    with pytest.raises(ValueError, match=r"shape \(n, 2\), got shape \(4, 3\)"):
        plots.decision_grid(_linear_classifier([[1.0], [1.0]], [0.0]), np.zeros((4, 3)))


def test_plot_decision_boundary_of_a_trained_moons_classifier(pyplot, tmp_path):
    x, y = gn.data.make_moons(120, noise=0.1)
    model = nn.Sequential(
        [nn.Dense(16, activation="relu"), nn.Dense(1, activation="sigmoid")], input_shape=(2,)
    )
    model.compile(optimizer=optim.Adam(lr=0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y.reshape(-1, 1), epochs=30, batch_size=32, verbose=0)
    assert history["accuracy"][-1] > 0.95
    path = plots.plot_decision_boundary(model, x, y, path=tmp_path / "boundary.png", resolution=80)
    assert_png_has_content(path)


# --- gradient norms during training ---


def _regression_model():
    model = nn.Sequential(
        [nn.Dense(4, activation="tanh"), nn.Dense(3, activation="tanh"), nn.Dense(1)],
        input_shape=(2,),
    )
    model.compile(optimizer=optim.SGD(lr=0.0), loss="mse")
    return model


def test_gradient_norm_recorder_keeps_every_batch_and_the_mean_per_epoch(float64):
    x = gn.randn(12, 2, dtype="float64").numpy()
    y = x[:, :1] * x[:, 1:]
    model = _regression_model()
    recorder = plots.GradientNormRecorder()
    model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0, callbacks=[recorder])
    assert recorder.layers == [layer.name for layer in model.layers]
    for layer in recorder.layers:
        assert len(recorder.batch_norms[layer]) == 9  # 3 epochs x 3 batches
        batches = np.reshape(recorder.batch_norms[layer], (3, 3))
        np.testing.assert_allclose(recorder.epoch_norms[layer], batches.mean(axis=1), rtol=1e-15)
    # lr = 0 keeps the weights, so the first batch's norms can be recomputed by hand
    loss = nn.MSE()(model(gn.tensor(x[:4])), gn.tensor(y[:4]))
    model.zero_grad()
    loss.backward()
    for layer in model.layers:
        expected = np.linalg.norm(layer.weight.grad)
        assert recorder.batch_norms[layer.name][0] == pytest.approx(expected, rel=1e-12)


def test_gradient_norm_recorder_with_biases_takes_the_norm_of_all_parameters_together(float64):
    x = gn.randn(6, 2, dtype="float64").numpy()
    model = _regression_model()
    recorder = plots.GradientNormRecorder(weights_only=False, add_to_logs=True)
    history = model.fit(x, x[:, :1], epochs=1, batch_size=6, verbose=0, callbacks=[recorder])
    loss = nn.MSE()(model(gn.tensor(x)), gn.tensor(x[:, :1]))
    model.zero_grad()
    loss.backward()
    first = model.layers[0]
    expected = np.sqrt((first.weight.grad**2).sum() + (first.bias.grad**2).sum())
    assert history[f"grad_norm/{first.name}"] == [pytest.approx(expected, rel=1e-12)]


def test_plot_gradient_norms_from_a_recorder_and_from_a_history(pyplot, tmp_path):
    x = gn.randn(16, 2, dtype="float64").numpy()
    model = _regression_model()
    recorder = plots.GradientNormRecorder(add_to_logs=True)
    history = model.fit(x, x[:, :1], epochs=4, batch_size=8, verbose=0, callbacks=[recorder])
    figure = plots.plot_gradient_norms(recorder, per="batch")
    lines = figure.axes[0].lines
    assert [line.get_label() for line in lines] == ["layer 1", "layer 2", "layer 3"]  # by place, input first
    np.testing.assert_allclose(lines[0].get_ydata(), recorder.batch_norms[recorder.layers[0]])
    for name, source in (("recorder", recorder), ("history", history)):
        path = plots.plot_gradient_norms(source, path=tmp_path / f"{name}.png")
        assert_png_has_content(path)
    with pytest.raises(ValueError, match="add_to_logs=True"):
        plots.plot_gradient_norms(model.fit(x, x[:, :1], epochs=1, verbose=0))


# --- weight histograms ---


def test_weight_histograms_count_every_weight_once(pyplot, tmp_path):
    model = nn.Sequential([nn.Dense(8, activation="relu"), nn.Dense(3)], input_shape=(5,))
    figure = plots.plot_weight_histograms(model, bins=10)
    visible = [axis for axis in figure.axes if axis.get_visible()]
    parameters = model.parameters()
    assert len(visible) == len(parameters) == 4
    for axis, parameter in zip(visible, parameters):
        assert sum(patch.get_height() for patch in axis.patches) == parameter.size
    path = plots.plot_weight_histograms(model, path=tmp_path / "weights.png", weights_only=True)
    assert_png_has_content(path)


# --- t-SNE ---


def test_layer_outputs_run_the_model_up_to_that_layer(float64):
    model = nn.Sequential([nn.Dense(3, activation="relu"), nn.Dense(2)], input_shape=(4,))
    x = gn.randn(5, 4, dtype="float64").numpy()
    first = model[0]
    expected = np.maximum(x @ first.weight.data + first.bias.data, 0)
    np.testing.assert_allclose(plots.layer_outputs(model, x), expected, rtol=1e-15)
    np.testing.assert_allclose(plots.layer_outputs(model, x, layer=first.name), expected, rtol=1e-15)
    np.testing.assert_allclose(plots.layer_outputs(model, x, layer=-1), model(gn.tensor(x)).data, rtol=1e-15)
    with pytest.raises(ValueError, match="no layer 'nope'"):
        plots.layer_outputs(model, x, layer="nope")


def test_tsne_of_a_hidden_layer_keeps_two_blobs_apart(pyplot, tmp_path):
    pytest.importorskip("sklearn", reason="t-SNE needs scikit-learn")
    x, y = gn.data.make_blobs(60, centers=[[-3.0, -3.0, 0.0], [3.0, 3.0, 0.0]], cluster_std=0.5)
    model = nn.Sequential([nn.Dense(8, activation="tanh"), nn.Dense(2)], input_shape=(x.shape[1],))
    embedding = plots.tsne_embedding(model, x, perplexity=10)
    distances = np.linalg.norm(embedding[:, None] - embedding[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    assert (
        y[distances.argmin(axis=1)] == y
    ).mean() == 1.0  # every point's nearest neighbour shares its label
    path = plots.plot_tsne(model, x, y, path=tmp_path / "tsne.png", perplexity=10)
    assert_png_has_content(path)


def test_plot_history_draws_training_and_validation_curves(pyplot, tmp_path):
    x = gn.randn(40, 2, dtype="float64").numpy()
    model = _regression_model()
    model.compile(optimizer=optim.SGD(lr=0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, x[:, :1] - x[:, 1:], epochs=3, batch_size=10, validation_split=0.25, verbose=0)
    figure = plots.plot_history(history)
    loss_axis = figure.axes[0]
    np.testing.assert_allclose(loss_axis.lines[0].get_ydata(), history["loss"])
    np.testing.assert_allclose(loss_axis.lines[1].get_ydata(), history["val_loss"])
    assert [axis.get_ylabel() for axis in figure.axes] == ["loss", "mae"]
    assert_png_has_content(plots.plot_history(history, path=tmp_path / "history.png"))


def test_plots_read_as_plots(pyplot):
    """Whole-number epoch ticks, a long series as a line, layers named by place in a legend beside the
    curves, the validation curve drawn (issue 15)."""
    from glassnet.train.callbacks import History  # noqa: PLC0415

    history = History()
    history.epochs = list(range(8))
    history.history = {
        "loss": [1.0 / (k + 1) for k in range(8)],
        "val_loss": [1.2 / (k + 1) for k in range(8)],
    }
    axis = plots.plot_history(history).axes[0]
    ticks = [tick for tick in axis.get_xticks() if 1 <= tick <= 8]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
    assert [line.get_label() for line in axis.lines] == ["training loss", "validation loss"]
    assert axis.lines[0].get_marker() == "o"  # 8 points: each marked
    history.epochs = list(range(300))
    history.history = {"loss": list(np.linspace(1, 0, 300))}
    assert plots.plot_history(history).axes[0].lines[0].get_marker() in ("None", None, "")
    norms = {f"dense_{20 + k}": list(np.linspace(1, 2, 300) * 10.0**-k) for k in range(10)}
    figure = plots.plot_gradient_norms(norms, per="batch")
    axis = figure.axes[0]
    assert [text.get_text() for text in axis.get_legend().get_texts()] == [f"layer {k}" for k in range(1, 11)]
    assert axis.lines[0].get_marker() in ("None", None, "")
    figure.canvas.draw()
    legend, panel = axis.get_legend().get_window_extent(), axis.get_window_extent()
    assert legend.x0 >= panel.x1  # beside the panel, covering no curve


# --- attention maps of a language model ---


@pytest.fixture(scope="module")
def char_lm():
    """A small GPT trained for a few steps on a repeated sentence, with its tokenizer and losses."""
    from glassnet.data import CharTokenizer, language_model_dataset
    from glassnet.models import TransformerLM

    gn.manual_seed(0)
    text = "the cat sat on the mat. " * 20
    tokenizer = CharTokenizer().fit(text)
    x, y = language_model_dataset(tokenizer.encode(text), seq_len=16, stride=4).arrays
    model = TransformerLM(tokenizer.vocab_size, context=16, d_model=16, num_layers=2, num_heads=2)
    opt = optim.AdamW(model.parameters(), lr=1e-2, convention="pytorch")
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    losses = []
    for _ in range(30):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, tokenizer, losses


def test_lm_attention_gives_each_heads_causal_softmax_rows(char_lm):
    model, tokenizer, losses = char_lm
    assert losses[-1] < 0.6 * losses[0]  # it learned something: the maps are a trained model's
    tokens, maps = plots.lm_attention(model, "the cat sat", tokenizer)
    assert tokens == list("the cat sat") and len(maps) == 2
    expected = model.attention_maps(tokenizer.encode("the cat sat")[None])
    for ours, theirs in zip(maps, expected):
        assert ours.shape == (2, 11, 11)
        np.testing.assert_array_equal(ours, theirs[0])
        assert np.all(np.triu(ours, k=1) == 0)  # causal: no query sees a later key
        np.testing.assert_allclose(ours.sum(axis=-1), 1.0, rtol=1e-5)
    assert model.training  # the mode is put back
    same_ids = plots.lm_attention(model, tokenizer.encode("the cat sat"))
    assert same_ids[0] == [int(i) for i in tokenizer.encode("the cat sat")]


def test_plot_lm_attention_draws_every_block_and_head_lower_triangular(pyplot, char_lm, tmp_path):
    model, tokenizer, _ = char_lm
    figure = plots.plot_lm_attention(model, "on the mat", tokenizer)
    _, maps = plots.lm_attention(model, "on the mat", tokenizer)
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["block 1, head 1", "block 1, head 2", "block 2, head 1", "block 2, head 2"]
    for k, axis in enumerate(figure.axes):
        drawn = np.asarray(axis.images[0].get_array())
        assert np.all(np.triu(drawn, k=1) == 0) and np.all(np.diag(drawn) > 0)
        np.testing.assert_array_equal(drawn, maps[k // 2][k % 2])
    assert [label.get_text() for label in figure.axes[0].get_xticklabels()] == list("on the mat")
    path = plots.plot_lm_attention(model, "the mat", tokenizer, path=tmp_path / "lm.png", blocks=[1])
    assert_png_has_content(path)


def test_lm_attention_bad_input(char_lm):
    model, tokenizer, _ = char_lm
    with pytest.raises(ValueError, match="needs the tokenizer that encodes it"):
        plots.lm_attention(model, "the cat")
    with pytest.raises(ValueError, match=r"the sample has 17 tokens; give 1 to 16 \(the model's context"):
        plots.lm_attention(model, "the cat sat on th", tokenizer)
    with pytest.raises(TypeError, match="needs a language model with attention_maps.*got Sequential"):
        plots.lm_attention(nn.Sequential([nn.Dense(1)]), "abc", tokenizer)
    with pytest.raises(TypeError, match="a string or integer ids, got float64"):
        plots.lm_attention(model, [0.5, 1.0])
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    with pytest.raises(ValueError, match=r"blocks must be numbers in 0..1, got \[2\]"):
        plots.plot_lm_attention(model, "the", tokenizer, blocks=[2])
