"""``convention="keras"`` against real Keras 3 (torch backend, float64): the losses, masked and backwards
recurrent layers, GRU with ``reset_after`` False and True, channels-last BatchNorm (training, inference,
moving statistics) and the activations' defaults; outputs and gradients to 1e-9 relative.

Keras 3 on the torch backend maps float64 to float32 in its type-promotion table
(``keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE``), so a loss of float64 tensors quietly comes out
in float32; the module fixture undoes that (and restores it after), and every comparison checks that
Keras's result really is float64.
"""

import os

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported

import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

import glassnet as gn  # noqa: E402
from glassnet import nn  # noqa: E402

RTOL, ATOL = 1e-9, 1e-12


@pytest.fixture(scope="module", autouse=True)
def keras_float64():
    if keras.backend.backend() != "torch":
        pytest.skip(f"these tests need Keras on the torch backend, keras runs on {keras.backend.backend()}")
    from keras.src.backend.common import dtypes

    floatx, demoted = keras.config.floatx(), dtypes.BIT64_TO_BIT32_DTYPE["float64"]
    keras.config.set_floatx("float64")
    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"
    yield
    keras.config.set_floatx(floatx)
    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = demoted


def _close(ours, theirs, what=""):
    theirs = theirs.detach() if hasattr(theirs, "detach") else theirs
    dtype = str(getattr(theirs, "dtype", "float64"))
    assert dtype.endswith("float64"), f"Keras computed {what} in {dtype}"
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=RTOL, atol=ATOL, err_msg=what)


def _seed(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def _both(ours_fn, keras_fn, x):
    """Value and input gradient of Σ w ⊙ f(x) for glassnet's f and Keras's (a fixed random w)."""
    ours_x = gn.tensor(x, requires_grad=True)
    ours = ours_fn(ours_x)
    weights = _seed(ours.shape)
    (ours * gn.tensor(weights)).sum().backward()
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = keras_fn(theirs_x)
    (theirs * torch.tensor(weights)).sum().backward()
    return (ours.data, ours_x.grad), (theirs, theirs_x.grad)


# --- losses ---------------------------------------------------------------------------------------------
def _probabilities():
    """Rows with exact 0 and 1 and values inside Keras's clip margin, so the clip is exercised."""
    p = np.random.default_rng(0).uniform(0.05, 0.9, (4, 3))
    p[0, 0], p[1, 2], p[2, 1], p[3, 0] = 0.0, 1.0, 3e-9, 1 - 1e-9
    return p


def _loss_cases():
    rng = np.random.default_rng(2)
    p = _probabilities()
    soft = rng.uniform(0, 1, (4, 3))
    rows = soft / soft.sum(1)[:, None]
    one_hot = np.eye(3)[[0, 2, 1, 1]]
    labels = np.array([0, 2, 1, 1])
    logits, real = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    logit = {"from_logits": True}
    K, S = keras.losses, nn.SparseCategoricalCrossEntropy
    return [
        ("bce", nn.BinaryCrossEntropy, {}, K.BinaryCrossentropy, p, soft),
        ("bce_logits", nn.BinaryCrossEntropy, logit, K.BinaryCrossentropy, logits, soft),
        ("cce_unnormalized", nn.CategoricalCrossEntropy, {}, K.CategoricalCrossentropy, p, one_hot),
        ("cce_soft", nn.CategoricalCrossEntropy, {}, K.CategoricalCrossentropy, p, rows),
        ("cce_logits", nn.CategoricalCrossEntropy, logit, K.CategoricalCrossentropy, logits, one_hot),
        ("scce", S, {}, K.SparseCategoricalCrossentropy, p, labels),
        ("scce_logits", S, logit, K.SparseCategoricalCrossentropy, logits, labels),
        ("mse", nn.MSE, {}, K.MeanSquaredError, logits, real),
        ("mae", nn.MAE, {}, K.MeanAbsoluteError, logits, real),
        ("huber", nn.Huber, {"delta": 0.7}, K.Huber, logits, real),
    ]


KERAS_REDUCTIONS = {"mean": "sum_over_batch_size", "sum": "sum", "none": None}


@pytest.mark.parametrize("reduction", list(KERAS_REDUCTIONS))
@pytest.mark.parametrize("case", _loss_cases(), ids=lambda case: case[0])
def test_keras_convention_loss_equals_keras(case, reduction):
    name, ours_cls, options, keras_cls, prediction, target = case
    ours = ours_cls(reduction=reduction, convention="keras", **options)
    theirs = keras_cls(reduction=KERAS_REDUCTIONS[reduction], **options)
    (value, grad), (keras_value, keras_grad) = _both(
        lambda p: ours(p, target), lambda p: theirs(torch.tensor(target), p), prediction
    )
    _close(value, keras_value, f"{name} loss")
    _close(grad, keras_grad, f"{name} gradient")


# --- recurrent layers -----------------------------------------------------------------------------------
KERAS_RNN = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
OURS_RNN = {"rnn": nn.SimpleRNN, "lstm": nn.LSTM, "gru": nn.GRU}
MASK = np.array([[1, 1, 0, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]], dtype=bool)  # post, pre, middle, none


def _recurrent_pair(kind, seed=0, **options):
    """A Keras layer (random nonzero weights, float64) and the glassnet layer holding the same weights."""
    theirs = KERAS_RNN[kind](3, dtype="float64", **options)
    theirs.build((None, 5, 2))
    rng = np.random.default_rng(seed)
    for variable in theirs.weights:
        variable.assign(rng.uniform(-0.6, 0.6, variable.shape))
    ours = OURS_RNN[kind](3, dtype="float64", **options)
    ours.build((None, 5, 2))
    kernel, recurrent, bias = (w.detach().numpy() for w in (v.value for v in theirs.weights))
    ours.kernel.data[...], ours.recurrent_kernel.data[...] = kernel, recurrent
    if bias.ndim == 2:  # GRU reset_after=True: Keras's bias (2, 3·units) = [b_ih; b_hh]
        ours.bias.data[...], ours.recurrent_bias.data[...] = bias
    else:
        ours.bias.data[...] = bias
    return ours, theirs


RECURRENT_CASES = [
    ("rnn", {}),
    ("lstm", {}),
    ("gru", {}),
    ("gru", {"reset_after": False}),
    ("lstm", {"go_backwards": True}),
    ("gru", {"reset_after": False, "go_backwards": True}),
    ("rnn", {"go_backwards": True}),
]


@pytest.mark.parametrize("masked", [True, False], ids=["masked", "unmasked"])
@pytest.mark.parametrize("sequences", [True, False], ids=["sequences", "last"])
@pytest.mark.parametrize("kind, options", RECURRENT_CASES, ids=lambda v: v if isinstance(v, str) else
                         "-".join(f"{k}={w}" for k, w in v.items()) or "default")  # fmt: skip
def test_keras_recurrent_layer_equals_keras(kind, options, sequences, masked):
    """Outputs (every step, or the last), final states, and the gradients of the input and every weight."""
    ours, theirs = _recurrent_pair(kind, return_sequences=sequences, return_state=True, **options)
    x = np.random.default_rng(3).standard_normal((3, 5, 2))
    mask = MASK if masked else None
    ours_x = gn.tensor(x, requires_grad=True)
    ours_out = ours(ours_x, mask=mask)
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs_out = theirs(theirs_x, mask=None if mask is None else torch.tensor(mask))
    weights = [_seed(o.shape, seed=i) for i, o in enumerate(ours_out)]
    sum(((o * gn.tensor(w)).sum() for o, w in zip(ours_out, weights)), gn.tensor(0.0)).backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip(theirs_out, weights)).backward()
    for number, (o, t) in enumerate(zip(ours_out, theirs_out)):
        _close(o.data, t, f"output {number}")
    _close(ours_x.grad, theirs_x.grad, "input gradient")
    names = ["kernel", "recurrent_kernel", "bias"]
    for name, variable in zip(names, theirs.weights):
        grad = variable.value.grad.numpy()
        if grad.ndim == 2 and name == "bias":
            grad_ours = np.stack([ours.bias.grad, ours.recurrent_bias.grad])
        else:
            grad_ours = getattr(ours, name).grad
        _close(grad_ours, grad, f"{name} gradient")


def test_embedding_mask_zero_into_keras_lstm_equals_keras():
    """The mask made by Embedding(mask_zero=True) reaches the LSTM in both frameworks."""
    ids = np.array([[3, 1, 0, 0], [0, 2, 4, 1]])
    theirs = keras.Sequential(
        [keras.layers.Embedding(5, 2, mask_zero=True), keras.layers.LSTM(3, return_sequences=True)]
    )
    theirs(ids)
    ours = nn.Sequential(
        [nn.Embedding(5, 2, mask_zero=True), nn.LSTM(3, return_sequences=True)], dtype="float64"
    )
    ours(ids)
    embedding, lstm = ours.layers
    targets = [embedding.weight, lstm.kernel, lstm.recurrent_kernel, lstm.bias]
    for target, variable in zip(targets, theirs.weights):
        target.data[...] = variable.value.detach().numpy()
    _close(ours(ids).data, theirs(ids), "Embedding -> LSTM output")


# --- BatchNorm, channels last ---------------------------------------------------------------------------
def test_channels_last_batch_norm_equals_keras_in_training_and_inference():
    """Keras's BatchNormalization (axis=-1, momentum 0.99, ε 1e-3) on NHWC: two training steps (outputs,
    gradients of x, γ, β, moving statistics), then inference."""
    rng = np.random.default_rng(4)
    theirs = keras.layers.BatchNormalization(dtype="float64")
    ours = nn.BatchNorm(convention="keras", axis=-1, dtype="float64")
    gamma, beta = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    theirs.build((None, 4, 2, 3))
    ours.build((None, 4, 2, 3))
    theirs.gamma.assign(gamma)
    theirs.beta.assign(beta)
    ours.gamma.data[...], ours.beta.data[...] = gamma, beta
    for step in range(2):
        x = rng.standard_normal((2, 4, 2, 3)) * 2 + step
        (out, grad), (keras_out, keras_grad) = _both(ours, lambda t: theirs(t, training=True), x)
        _close(out, keras_out, f"training output, step {step}")
        _close(grad, keras_grad, f"input gradient, step {step}")
        _close(ours.gamma.grad, theirs.gamma.value.grad, "gamma gradient")
        _close(ours.beta.grad, theirs.beta.value.grad, "beta gradient")
        ours.zero_grad()
        theirs.gamma.value.grad, theirs.beta.value.grad = None, None
    _close(ours.running_mean, theirs.moving_mean.value, "moving mean")
    _close(ours.running_var, theirs.moving_variance.value, "moving variance")
    ours.eval()
    x = rng.standard_normal((3, 4, 2, 3))
    (out, grad), (keras_out, keras_grad) = _both(ours, lambda t: theirs(t, training=False), x)
    _close(out, keras_out, "inference output")
    _close(grad, keras_grad, "inference input gradient")


# --- activations ----------------------------------------------------------------------------------------
NAMES = ["leaky_relu", "elu", "gelu", "selu", "silu", "softmax", "relu", "sigmoid", "tanh"]


@pytest.mark.parametrize("name", NAMES)
def test_activation_name_under_keras_convention_equals_keras(name):
    x = np.random.default_rng(5).standard_normal((3, 4)) * 2
    (out, grad), (keras_out, keras_grad) = _both(
        nn.activations.get(name, convention="keras"), keras.activations.get(name), x
    )
    _close(out, keras_out, f"{name} output")
    _close(grad, keras_grad, f"{name} gradient")


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: nn.LeakyReLU(convention="keras"), lambda: keras.layers.LeakyReLU()),
        (lambda: nn.ELU(), lambda: keras.layers.ELU()),
        (lambda: nn.Softmax(), lambda: keras.layers.Softmax()),
    ],
    ids=["leaky_relu_layer", "elu_layer", "softmax_layer"],
)
def test_activation_layer_defaults_equal_keras(ours, theirs):
    x = np.random.default_rng(6).standard_normal((3, 4)) * 2
    (out, grad), (keras_out, keras_grad) = _both(ours(), theirs(), x)
    _close(out, keras_out, "output")
    _close(grad, keras_grad, "gradient")


@pytest.mark.parametrize("shared_axes", [None, [1]], ids=["per_element", "shared_axis_1"])
def test_keras_prelu_layout_equals_keras(shared_axes, float64):
    """keras.layers.PReLU: slopes of an example's shape (1 along shared axes), starting at 0; the same
    slopes give the same outputs and gradients (of x and of the slopes)."""
    x = np.random.default_rng(7).standard_normal((3, 4, 2))
    theirs = keras.layers.PReLU(shared_axes=shared_axes)
    theirs.build((None, 4, 2))
    ours = nn.PReLU(convention="keras", shared_axes=shared_axes)
    ours.build((None, 4, 2))
    assert ours.slope.shape == tuple(theirs.alpha.shape)
    np.testing.assert_array_equal(ours.slope.data, theirs.alpha.value.detach().numpy())  # both zeros
    slopes = np.random.default_rng(8).uniform(0.1, 0.5, ours.slope.shape)
    theirs.alpha.assign(slopes)
    ours.slope.data[...] = slopes
    (out, grad), (keras_out, keras_grad) = _both(ours, theirs, x)
    _close(out, keras_out, "output")
    _close(grad, keras_grad, "input gradient")
    _close(ours.slope.grad, theirs.alpha.value.grad, "slope gradient")


def test_keras_leaky_relu_defaults_are_those_documented():
    """Keras 3: 0.2 for the name and function, 0.3 for the layer; PyTorch and the notes 0.01."""
    assert keras.layers.LeakyReLU().negative_slope == pytest.approx(0.3)
    assert nn.activations.get("leaky_relu", convention="keras").alpha == 0.2
    assert nn.LeakyReLU(convention="keras").alpha == 0.3
    assert nn.LeakyReLU().alpha == nn.LeakyReLU(convention="pytorch").alpha == 0.01
