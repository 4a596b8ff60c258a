"""Weights in and out through safetensors and PyTorch: the round trip glassnet -> safetensors -> PyTorch ->
safetensors -> glassnet (bit-identical weights, PyTorch's outputs equal to glassnet's) for an MLP, LeNet-5,
an LSTM model and a Transformer encoder block, in float32 and float64; and the bad inputs (another
architecture, an unknown layout, a model not built, a damaged file)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.io import weights as W
from glassnet.models import LeNet5

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is needed for the round trips: pip install torch==2.13.0"
)
safetensors_torch = pytest.importorskip("safetensors.torch", reason="pip install 'glassnet[safetensors]'")

TOLERANCE = {"float32": 1e-6, "float64": 1e-10}  # relative to the largest output (float32 sums round apart)


class _Activated:
    """A PyTorch layer followed by ReLU inside the same module: the state-dict names stay the layer's own
    (glassnet's Dense/Conv2D take ``activation=`` and so keep Sequential's indices)."""

    def forward(self, x):
        return torch.relu(super().forward(x))


def _relu(cls):
    return type(f"{cls.__name__}ReLU", (_Activated, cls), {})


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    for parameter in model.parameters():
        parameter.data[...] = rng.uniform(-0.5, 0.5, parameter.shape)


def mlp(dtype):
    ours = nn.Sequential([nn.Dense(8), nn.ReLU(), nn.Dense(3)], input_shape=(5,))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    return ours, theirs.to(dtype), (4, 5)


def lenet(dtype):
    ours = LeNet5(num_classes=10, input_shape=(1, 28, 28))
    conv, linear = _relu(torch.nn.Conv2d), _relu(torch.nn.Linear)
    theirs = torch.nn.Sequential(
        conv(1, 6, 5, padding=2), torch.nn.MaxPool2d(2), conv(6, 16, 5), torch.nn.MaxPool2d(2),
        conv(16, 120, 5), torch.nn.Flatten(), linear(120, 84), torch.nn.Linear(84, 10),
    )  # fmt: skip
    return ours, theirs.to(dtype), (2, 1, 28, 28)


class GlassLSTM(nn.Module):
    def __init__(self, convention):
        super().__init__()
        self.lstm = nn.LSTM(6, convention=convention)
        self.head = nn.Dense(2)

    def forward(self, x):
        return self.head(self.lstm(x))


class TorchLSTM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 6, batch_first=True)
        self.head = torch.nn.Linear(6, 2)

    def forward(self, x):
        return self.head(self.lstm(x)[0][:, -1])


def lstm(dtype, convention="pytorch"):
    ours = GlassLSTM(convention)
    ours(gn.ones(1, 4, 3))
    return ours, TorchLSTM().to(dtype), (3, 4, 3)


def transformer(dtype):
    ours = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    ours(gn.ones(1, 5, 8))
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    return ours, theirs.to(dtype), (3, 5, 8)


MODELS = {"mlp": mlp, "lenet5": lenet, "lstm": lstm, "lstm_keras_convention": lambda d: lstm(d, "keras"),
          "transformer_block": transformer}  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_through_pytorch_is_bit_identical_and_outputs_agree(tmp_path, name, dtype):
    gn.set_default_dtype(dtype)
    torch_dtype = getattr(torch, dtype)
    ours, theirs, shape = MODELS[name](torch_dtype)
    _randomize(ours)
    before = ours.state_dict()
    ours.save_weights(tmp_path / "ours.safetensors", layout="pytorch")
    theirs.load_state_dict(safetensors_torch.load_file(tmp_path / "ours.safetensors"))  # strict
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    error = np.max(np.abs(ours(gn.tensor(x)).data - expected)) / max(1.0, np.max(np.abs(expected)))
    assert error <= TOLERANCE[dtype], (
        f"{name}: PyTorch's outputs differ from glassnet's by {error:.2e} (relative)"
    )

    safetensors_torch.save_file(theirs.state_dict(), tmp_path / "theirs.safetensors")
    back, _, _ = MODELS[name](torch_dtype)
    _randomize(back, seed=7)
    back.load_weights(tmp_path / "theirs.safetensors", layout="pytorch")
    after = back.state_dict()
    assert list(after) == list(before)
    for key in before:
        assert after[key].dtype == before[key].dtype and np.array_equal(after[key], before[key]), key


def test_glassnet_layout_round_trip_and_the_layout_noted_in_the_file(tmp_path, float64):
    ours, _, _ = mlp(torch.float64)
    _randomize(ours)
    ours.save_weights(tmp_path / "w.safetensors")  # glassnet's names
    theirs_names = set(safetensors_torch.load_file(tmp_path / "w.safetensors"))
    assert theirs_names == {"0.weight", "0.bias", "2.weight", "2.bias"}
    back, _, _ = mlp(torch.float64)
    back.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(back[0].weight.data, ours[0].weight.data)
    ours.save_weights(tmp_path / "p.safetensors", layout="pytorch")  # noted: read back without layout=
    back.load_weights(tmp_path / "p.safetensors")
    np.testing.assert_array_equal(back[2].weight.data, ours[2].weight.data)
    assert safetensors_torch.load_file(tmp_path / "p.safetensors")["0.weight"].shape == (8, 5)


def test_from_torch_state_dict_picks_a_prefix_and_reads_tensors(float64):
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.LayerNorm(4)).double()
    ours = nn.LayerNorm()
    ours.build((None, 4))
    with torch.no_grad():
        theirs[1].weight.uniform_(0.5, 1.5)
    W.from_torch_state_dict(ours, theirs.state_dict(), prefix="1.")
    np.testing.assert_array_equal(ours.gamma.data, theirs[1].weight.detach().numpy())
    model = nn.Sequential([nn.Dense(4), nn.LayerNorm()], input_shape=(2,))
    assert nn.from_torch_state_dict(model, theirs.state_dict()) is model  # the same, from nn, any family
    np.testing.assert_array_equal(model[0].weight.data, theirs[0].weight.detach().numpy().T)
    np.testing.assert_array_equal(model.to_torch_state_dict()["1.weight"], theirs[1].weight.detach().numpy())
    with pytest.raises(TypeError, match=r"takes \(model, state_dict\) or \(state_dict\)"):
        nn.from_torch_state_dict(theirs.state_dict(), theirs.state_dict())


# --- bad input ---------------------------------------------------------------------------------------------
def test_weights_of_another_architecture_list_the_first_mismatches(tmp_path, float64):
    ours, _, _ = mlp(torch.float64)
    ours.save_weights(tmp_path / "mlp.safetensors", layout="pytorch")
    other = nn.Sequential([nn.Dense(8), nn.ReLU(), nn.Dense(4), nn.Dense(2)], input_shape=(5,))
    before = other[0].weight.data.copy()
    with pytest.raises(ValueError) as caught:
        other.load_weights(tmp_path / "mlp.safetensors")
    message = str(caught.value)
    assert "missing '3.weight' (2, 4)" in message
    assert "'2.weight' has shape (3, 8), the model's (4, 8)" in message
    assert "different architecture" in message
    np.testing.assert_array_equal(other[0].weight.data, before)  # nothing copied, not even the fitting 0.*
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Linear(8, 3)).double()
    with pytest.raises(ValueError, match=r"missing '2.weight' \(3, 8\).*unexpected '1.weight' \(3, 8\)"):
        ours.load_torch_state_dict(theirs.state_dict())


def test_unknown_layout_and_unbuilt_model_are_refused(tmp_path):
    model = nn.Sequential([nn.Dense(3)])
    with pytest.raises(ValueError, match="its layer '0' \\(Dense\\) is not built.*call the model once"):
        model.save_weights(tmp_path / "w.safetensors")
    model(gn.ones(2, 4))
    with pytest.raises(
        ValueError, match="unknown weights layout 'torch': expected one of 'glassnet', 'pytorch'"
    ):
        model.save_weights(tmp_path / "w.safetensors", layout="torch")
    with pytest.raises(ValueError, match="layout 'keras' is a list"):
        model.save_weights(tmp_path / "w.safetensors", layout="keras")


def test_a_damaged_weights_file_is_a_clear_error(tmp_path):
    model = nn.Sequential([nn.Dense(3)], input_shape=(4,))
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(W.WeightsFileError, match="w.safetensors: not a safetensors file"):
        model.load_weights(path)
    (tmp_path / "big.safetensors").write_bytes((10**12).to_bytes(8, "little") + b"{}")
    with pytest.raises(W.WeightsFileError, match="big.safetensors"):
        model.load_weights(tmp_path / "big.safetensors")
    with pytest.raises(FileNotFoundError, match="no weights file at"):
        model.load_weights(tmp_path / "absent.safetensors")


def test_a_weights_file_larger_than_the_model_can_take_is_refused_before_reading(tmp_path):
    from safetensors.numpy import save_file

    model = nn.Sequential([nn.Dense(3)], input_shape=(4,))  # 15 numbers
    fits, stray = tmp_path / "fits.safetensors", tmp_path / "stray.safetensors"
    save_file({"0.weight": np.zeros((4, 3)), "0.bias": np.ones(3)}, str(fits))  # float64: the largest
    model.load_weights(fits)
    np.testing.assert_array_equal(model[0].bias.data, 1.0)
    save_file({"0.weight": np.zeros((4, 3)), "0.bias": np.zeros(3), "x": np.zeros(1 << 18)}, str(stray))
    with pytest.raises(W.WeightsFileError, match=r"stray.safetensors: 2,097,[0-9,]+ bytes, more than this "
                       r"model's weights can take \(15 numbers"):
        model.load_weights(stray)
    np.testing.assert_array_equal(model[0].bias.data, 1.0)  # nothing read into the model
