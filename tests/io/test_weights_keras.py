"""Keras both ways, against real Keras 3 (torch backend, float64): a model built in Keras with its weights
moved to glassnet (``set_weights(keras_model.get_weights())``) gives the same outputs and gradients, a
glassnet model's ``get_weights()`` set into Keras gives glassnet's outputs, and a ``.keras`` file saved by
Keras loads into the matching glassnet model; a file of another architecture, or a damaged one, is a clear
error. Keras is imported once, here."""

import os
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.io import KerasFileError, load_keras_weights

os.environ["KERAS_BACKEND"] = "torch"  # before the import: Keras picks its backend once
pytest.importorskip("torch", reason="Keras runs on its torch backend here: pip install torch==2.13.0")
pytest.importorskip("h5py", reason="reading .keras files needs h5py: pip install 'glassnet[keras]'")
keras = pytest.importorskip(
    "keras", reason="real Keras 3 is a test dependency: pip install 'glassnet[keras]'"
)
torch = pytest.importorskip("torch")

TOLERANCE = 1e-9
BATCH = 3
# Keras 3.15's variables and torch tensors implement __array__ without NumPy 2's copy keyword.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept:DeprecationWarning")


@pytest.fixture(autouse=True, scope="module")
def _keras_float64():
    """Keras's variables and computations in float64. floatx "float64" makes float64 variables, but Keras 3
    promotes float64 with float64 to float32 outside TensorFlow (``BIT64_TO_BIT32_DTYPE``, to follow JAX's
    default), so ``ops.matmul`` of two float64 tensors computes in float32 (1e-7 apart from NumPy); the
    table is put right for this module and restored after it."""
    from keras.src.backend.common import dtypes

    before, narrowed = keras.config.floatx(), dtypes.BIT64_TO_BIT32_DTYPE.get("float64")
    keras.config.set_floatx("float64")
    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"
    yield
    keras.config.set_floatx(before)
    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = narrowed


def test_keras_computes_float64_here():
    """The fixture's repair is needed and works: a float64 product as NumPy's, to the last bits."""
    x = np.random.default_rng(0).standard_normal((3, 40))
    w = np.random.default_rng(1).standard_normal((40, 5))
    product = keras.ops.convert_to_numpy(keras.ops.matmul(torch.from_numpy(x), torch.from_numpy(w)))
    assert product.dtype == np.float64
    np.testing.assert_allclose(product, x @ w, rtol=1e-13, atol=1e-13)


def dense_batchnorm():
    k = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="tanh"),
                          keras.layers.BatchNormalization(), keras.layers.Dense(3)])  # fmt: skip
    g = nn.Sequential([nn.Dense(5, activation="tanh"), nn.BatchNorm(convention="keras"), nn.Dense(3)])
    return k, g, (6,)


def recurrent():
    k = keras.Sequential([
        keras.Input((5, 3)),
        keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True)),
        keras.layers.SimpleRNN(3, return_sequences=True),
        keras.layers.LSTM(2),
        keras.layers.Dense(2),
    ])  # fmt: skip
    g = nn.Sequential([nn.Bidirectional(nn.GRU(4, return_sequences=True)),
                       nn.SimpleRNN(3, return_sequences=True), nn.LSTM(2), nn.Dense(2)])  # fmt: skip
    return k, g, (5, 3)


def embedding_lstm():
    k = keras.Sequential([keras.Input((5,), dtype="int32"), keras.layers.Embedding(9, 4),
                          keras.layers.LSTM(3), keras.layers.Dense(2)])  # fmt: skip
    g = nn.Sequential([nn.Embedding(9, 4), nn.LSTM(3), nn.Dense(2)])
    return k, g, "ids"


def convolutions():
    k = keras.Sequential([
        keras.Input((7, 6, 2)),
        keras.layers.Conv2D(3, (3, 2), activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Conv2DTranspose(2, 3, strides=2),
        keras.layers.Flatten(),
        keras.layers.Dense(2),
    ])  # fmt: skip
    last = {"data_format": "channels_last"}
    g = nn.Sequential([nn.Conv2D(3, (3, 2), activation="relu", **last),
                       nn.BatchNorm(convention="keras", axis=-1),  # channels last, as Keras's
                       nn.Conv2DTranspose(2, 3, strides=2, **last), nn.Flatten(), nn.Dense(2)])  # fmt: skip
    return k, g, (7, 6, 2)


def gru_reset_before():
    """Keras's older GRU (reset gate before the recurrent product): one bias (3·units,)."""
    k = keras.Sequential([keras.Input((5, 3)), keras.layers.GRU(4, reset_after=False), keras.layers.Dense(2)])
    g = nn.Sequential([nn.GRU(4, reset_after=False), nn.Dense(2)])
    return k, g, (5, 3)


def conv1d():
    k = keras.Sequential([keras.Input((8, 3)), keras.layers.Conv1D(4, 3),
                          keras.layers.TimeDistributed(keras.layers.Dense(2))])  # fmt: skip
    g = nn.Sequential([nn.Conv1D(4, 3, data_format="channels_last"), nn.TimeDistributed(nn.Dense(2))])
    return k, g, (8, 3)


def dense_prelu():
    """PReLU's slopes: one per feature of a (N, F) input in both (Keras's alpha has the input's shape)."""
    layers = keras.layers
    k = keras.Sequential([keras.Input((6,)), layers.Dense(4), layers.PReLU(), layers.Dense(2)])
    g = nn.Sequential([nn.Dense(4), nn.PReLU(4), nn.Dense(2)])
    return k, g, (6,)


def attention(convention):
    def make():
        x = keras.Input((5, 4))
        y = keras.layers.MultiHeadAttention(2, key_dim=2 if convention == "pytorch" else 3)(x, x)
        y = keras.layers.LayerNormalization()(y)
        k = keras.Model(x, keras.layers.Dense(2)(y))
        mha = nn.MultiHeadAttention(2, key_dim=3, convention="keras") if convention == "keras" else (
            nn.MultiHeadAttention(2, convention="pytorch"))  # fmt: skip
        return k, nn.Sequential([mha, nn.LayerNorm(convention="keras"), nn.Dense(2)]), (5, 4)

    return make


MODELS = {
    "dense_batchnorm": dense_batchnorm,
    "recurrent": recurrent,
    "embedding_lstm": embedding_lstm,
    "conv2d_transpose_channels_last": convolutions,
    "conv1d_time_distributed": conv1d,
    "gru_reset_before": gru_reset_before,
    "dense_prelu": dense_prelu,
    "attention_keras": attention("keras"),
    "attention_pytorch_convention": attention("pytorch"),
}


def draw(shape, seed=0):
    rng = np.random.default_rng(seed)
    if shape == "ids":
        return rng.integers(0, 9, (BATCH, 5)).astype(np.int32)
    return rng.standard_normal((BATCH, *shape))


def build(glass, x):
    glass.build((None, *x.shape[1:]))
    glass(gn.tensor(x) if x.dtype.kind == "f" else x)
    glass.eval()


def keras_randomize(model, seed=1):
    rng = np.random.default_rng(seed)
    model.set_weights(
        [
            rng.uniform(0.5, 1.5, w.shape) if "variance" in v.path else rng.uniform(-0.5, 0.5, w.shape)
            for v, w in zip(model.weights, model.get_weights())
        ]
    )


def keras_outputs(model, x):
    tensor = torch.from_numpy(x)
    return keras.ops.convert_to_numpy(model(tensor, training=False))


def glass_outputs(model, x):
    return model(gn.tensor(x) if x.dtype.kind == "f" else x).data


def assert_close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs, rtol=TOLERANCE, atol=TOLERANCE, err_msg=what)


@pytest.mark.parametrize("name", list(MODELS))
def test_keras_weights_move_to_glassnet_and_back(name, float64):
    k, g, shape = MODELS[name]()
    x = draw(shape)
    build(g, x)
    keras_randomize(k)
    assert all(w.dtype == np.float64 for w in k.get_weights()), "Keras's variables are not float64"
    assert [w.shape for w in g.get_weights()] == [w.shape for w in k.get_weights()]
    g.set_weights(k.get_weights())
    expected = keras_outputs(k, x)
    assert expected.dtype == np.float64
    assert_close(glass_outputs(g, x), expected, f"{name}: glassnet's outputs with Keras's weights")
    for ours, theirs in zip(g.get_weights(), k.get_weights()):  # and back, bit for bit
        np.testing.assert_array_equal(ours, theirs)

    for parameter in g.parameters():  # glassnet's weights into Keras
        parameter.data[...] = np.random.default_rng(5).uniform(-0.4, 0.4, parameter.shape)
    k.set_weights(g.get_weights())
    assert_close(keras_outputs(k, x), glass_outputs(g, x), f"{name}: Keras's outputs with glassnet's weights")


@pytest.mark.parametrize("name", ["dense_batchnorm", "recurrent", "gru_reset_before", "attention_keras"])
def test_gradients_agree_in_keras_layout(name, float64):
    """The gradient of the sum of the outputs with respect to every trainable weight, glassnet's mapped
    through the same layout (the layouts are linear: a copy holding the gradients maps them)."""
    k, g, shape = MODELS[name]()
    x = draw(shape)
    build(g, x)
    keras_randomize(k)
    g.set_weights(k.get_weights())
    g.zero_grad()
    g(gn.tensor(x)).sum().backward()
    _, grads, _ = MODELS[name]()
    build(grads, x)
    for (_, parameter), (_, holder) in zip(g.named_parameters(), grads.named_parameters()):
        holder.data[...] = parameter.grad
    ours = grads.get_weights()
    output = k(torch.from_numpy(x), training=False)
    output.sum().backward()
    trainable = {id(v) for v in k.trainable_weights}
    compared = 0
    for index, variable in enumerate(k.weights):
        if id(variable) in trainable:
            assert_close(ours[index], variable.value.grad.numpy(), f"{name}: gradient of {variable.path}")
            compared += 1
    assert compared == len(k.trainable_weights) > 0


def test_a_keras_file_loads_into_the_matching_glassnet_model(tmp_path, float64):
    k, g, shape = recurrent()
    x = draw(shape)
    build(g, x)
    keras_randomize(k, seed=3)
    k.save(tmp_path / "model.keras")
    load_keras_weights(g, tmp_path / "model.keras")
    assert_close(glass_outputs(g, x), keras_outputs(k, x), "outputs after loading the .keras file")
    k, g, shape = attention("keras")()  # a functional model, an attention layer's four projections
    x = draw(shape)
    build(g, x)
    keras_randomize(k, seed=4)
    k.save(tmp_path / "attention.keras")
    g.load_weights(tmp_path / "attention.keras")
    assert_close(glass_outputs(g, x), keras_outputs(k, x), "outputs after loading the functional .keras file")


def test_a_keras_file_of_another_architecture_lists_the_first_mismatches(tmp_path, float64):
    k, _, _ = dense_batchnorm()
    k.save(tmp_path / "model.keras")
    other = nn.Sequential([nn.Dense(4, activation="tanh"), nn.Dense(3)], input_shape=(6,))
    with pytest.raises(ValueError) as caught:
        load_keras_weights(other, tmp_path / "model.keras")
    message = str(caught.value)
    assert "the Keras file model.keras does not fit Sequential" in message
    assert "8 arrays given, the model has 4" in message
    assert "weight 0 for '0/kernel' has shape (6, 5), the model's (6, 4)" in message


def test_damaged_keras_files_are_refused(tmp_path, float64):
    _, g, _ = dense_batchnorm()
    build(g, draw((6,)))
    (tmp_path / "text.keras").write_text("not a zip")
    with pytest.raises(KerasFileError, match="text.keras is not a .keras file"):
        load_keras_weights(g, tmp_path / "text.keras")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(KerasFileError, match="expected a Keras 3 archive with model.weights.h5"):
        load_keras_weights(g, tmp_path / "empty.keras")
    k, _, _ = dense_batchnorm()
    k.save(tmp_path / "model.keras")
    with pytest.raises(KerasFileError, match="model.weights.h5: expected at most 100 bytes"):
        load_keras_weights(g, tmp_path / "model.keras", max_bytes=100)
    with (
        zipfile.ZipFile(tmp_path / "model.keras") as source,
        zipfile.ZipFile(tmp_path / "bad.keras", "w") as out,
    ):
        out.writestr("config.json", source.read("config.json"))
        out.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(KerasFileError, match="model.weights.h5 is not an HDF5 file"):
        load_keras_weights(g, tmp_path / "bad.keras")
    import h5py

    with h5py.File(tmp_path / "linked.h5", "w") as weights:
        weights["layers/dense/vars/0"] = h5py.ExternalLink("/etc/secrets.h5", "/data")
    linked = tmp_path / "link.keras"
    with zipfile.ZipFile(tmp_path / "model.keras") as source, zipfile.ZipFile(linked, "w") as out:
        out.writestr("config.json", source.read("config.json"))
        out.writestr("model.weights.h5", (tmp_path / "linked.h5").read_bytes())
    with pytest.raises(KerasFileError, match="layers/dense/vars/0: expected an array or group of this file"):
        load_keras_weights(g, linked)
