"""The layout table (glassnet.io.layouts.LAYOUTS), family by family: every public layer with weights has a
row; each layer of the layer table (tests/nn/layer_table.py) goes out and back in every layout bit for bit
(or, where Keras keeps one bias for PyTorch's two, with the same outputs); and where PyTorch has the
counterpart, the PyTorch layout loads into it with ``load_state_dict(strict=True)`` and gives glassnet's
outputs. The graph layers' PyTorch Geometric twins load the same way in tests/nn/test_graph_layers.py."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nn"))  # the layer table

from layer_table import LAYERS  # noqa: E402 - after the path

import glassnet as gn  # noqa: E402
from glassnet import nn  # noqa: E402
from glassnet.io import layouts  # noqa: E402
from glassnet.io.weights import _slots, from_layout, to_layout, to_torch_state_dict  # noqa: E402
from glassnet.nn.module import Module  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12
# Rows whose layer has no PyTorch layout, and the error that says why.
NO_PYTORCH_LAYOUT = {
    "MultiHeadAttention_keras": "needs key_dim = value_dim = embed_dim / num_heads = 2",
    "GRU_keras_reset_before_go_backwards": "reset_after=False .* which torch.nn.GRU does not compute",
    "PReLU_keras_shared_axes": r"slopes of shape \(1, 3\) \(Keras's, one per element\)",
}


def _decoder_layer():
    return nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, dropout=0.0)


# Public layers with weights that the layer table cannot build (several inputs): built here by hand.
EXTRA = {
    "GCNConv": lambda: _built(nn.GCNConv(3), (None, 5)),
    "SAGEConv": lambda: _built(nn.SAGEConv(3), (None, 5)),
    "GATConv": lambda: _built(nn.GATConv(3, heads=2), (None, 5)),
    "TransformerDecoderLayer": lambda: _built(_decoder_layer(), (None, 3, 4)),
    "TransformerDecoder": lambda: _built(nn.TransformerDecoder(_decoder_layer(), 2), (None, 3, 4)),
}


def _built(layer, shape):
    layer.build(shape)
    return layer


def _randomize(layer, seed):
    rng = np.random.default_rng(seed)
    for parameter in layer.parameters():
        parameter.data[...] = rng.uniform(-0.5, 0.5, parameter.shape)


def built(row):
    layer, x = row.make(), row.draw()
    layer(gn.tensor(x))
    _randomize(layer, 1)
    return layer, x


def _has_weights(row) -> bool:
    layer = row.make()
    layer(gn.tensor(row.draw()))
    return bool(layer.state_dict())


WEIGHTED = [row for row in LAYERS if _has_weights(row)]  # the rows of layers with weights (or buffers)


def test_every_public_layer_with_weights_has_a_layout_row(float64):
    with_weights = {}
    for row in LAYERS:
        layer, _ = built(row)
        if layer.state_dict():
            with_weights[type(layer).__name__] = layer
    for name, make in EXTRA.items():
        with_weights[name] = make()
    public = {
        getattr(nn, name) for name in nn.__all__
        if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), Module)
    }  # fmt: skip
    missing = sorted(name for name, layer in with_weights.items() if layouts.row_for(layer) is None)
    assert not missing, f"public layers with weights and no row in glassnet.io.layouts.LAYOUTS: {missing}"
    unchecked = sorted(c.__name__ for c in public if c in layouts.LAYOUTS and c.__name__ not in with_weights)
    assert not unchecked, f"rows of LAYOUTS whose layer no test builds: {unchecked}"
    stale = [cls.__name__ for cls in layouts.LAYOUTS if cls not in public]
    assert not stale, f"LAYOUTS rows for classes glassnet.nn does not export: {stale}"


def _lossy(layer, layout) -> bool:
    """Keras keeps b_ih + b_hh as one bias for PyTorch-convention SimpleRNN/LSTM: back, b_hh is 0."""
    recurrent = [m for m in layer.modules() if isinstance(m, (nn.SimpleRNN, nn.LSTM))]
    return layout == "keras" and any(getattr(m, "recurrent_bias", None) is not None for m in recurrent)


@pytest.mark.parametrize("layout", ["glassnet", "pytorch", "keras"])
@pytest.mark.parametrize("row", WEIGHTED, ids=lambda r: r.name)
def test_each_family_goes_out_and_back_in_every_layout(float64, row, layout):
    layer, x = built(row)
    layer.eval()
    before_state, before_out = layer.state_dict(), layer(gn.tensor(x)).data
    if layout == "pytorch" and row.name in NO_PYTORCH_LAYOUT:
        with pytest.raises(ValueError, match=NO_PYTORCH_LAYOUT[row.name]):
            to_layout(layer, layout)
        return
    arrays = to_layout(layer, layout)
    _randomize(layer, 2)
    carried = set(layer.state_dict()) if layout == "glassnet" else {
        prefix + name for _, prefix, _, slot in _slots(layer, layout) for name in slot.ours
    }  # fmt: skip
    for name in carried:  # the buffers that the layout carries change too
        value = getattr_path(layer, name)
        value[...] = value + 0.25
    from_layout(layer, arrays, layout)
    for name, value in to_layout(layer, layout).items():
        np.testing.assert_array_equal(value, arrays[name], err_msg=f"{row.name}: {layout} {name}")
    np.testing.assert_allclose(layer(gn.tensor(x)).data, before_out, rtol=RTOL, atol=ATOL)
    if not _lossy(layer, layout):
        for name, value in layer.state_dict().items():
            np.testing.assert_array_equal(value, before_state[name], err_msg=f"{row.name}: {name}")


def _tensors(arrays):
    import torch

    return {name: torch.from_numpy(value) for name, value in arrays.items()}


def getattr_path(layer, dotted):
    value = layouts.attribute(layer, dotted)
    return value.data if isinstance(value, gn.Tensor) else value


def _match(ours: list, theirs: list) -> dict:
    """Our PyTorch-layout name -> the counterpart's (the parity table wraps some modules: "rnn.")."""
    mapping = {}
    for name in ours:
        found = [t for t in theirs if t == name or t.endswith("." + name) or name.endswith("." + t)]
        assert len(found) == 1, f"{name}: {found} among {theirs}"
        mapping[name] = found[0]
    return mapping


@pytest.mark.parametrize("row", [r for r in WEIGHTED if r.torch is not None], ids=lambda r: r.name)
def test_pytorch_layout_loads_strictly_into_the_counterpart_and_agrees(float64, row):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed: pip install torch==2.13.0")
    layer, x = built(row)
    module, _ = row.torch(layer)  # the parity table's counterpart (it may load its weights into ours)
    _randomize(layer, 3)  # then ours, to be carried over by the table alone
    ours = to_torch_state_dict(layer)
    mapping = _match(list(ours), list(module.state_dict()))
    module.load_state_dict({mapping[k]: torch.from_numpy(v) for k, v in ours.items()}, strict=True)
    layer.eval()
    module.eval()
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(layer(gn.tensor(x)).data, expected, rtol=RTOL, atol=ATOL, err_msg=row.name)


def test_a_keras_convention_attention_of_pytorch_sizes_loads_into_pytorch(float64):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed: pip install torch==2.13.0")
    ours = nn.MultiHeadAttention(2, key_dim=3, convention="keras")
    ours.build((None, 5, 6))
    _randomize(ours, 5)
    theirs = torch.nn.MultiheadAttention(6, 2, batch_first=True, dtype=torch.float64)
    theirs.load_state_dict(_tensors(ours.to_torch_state_dict()), strict=True)
    x = np.random.default_rng(0).standard_normal((2, 5, 6))
    with torch.no_grad():
        expected = theirs(*[torch.from_numpy(x)] * 3, need_weights=False)[0].numpy()
    np.testing.assert_allclose(ours(gn.tensor(x)).data, expected, rtol=RTOL, atol=ATOL)
    back = nn.MultiHeadAttention(2, key_dim=3, convention="keras")
    back.build((None, 5, 6))
    back.load_torch_state_dict(theirs.state_dict())
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name], value, err_msg=name)


def test_the_decoder_stack_loads_strictly_into_pytorch_and_agrees(float64):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed: pip install torch==2.13.0")
    ours = EXTRA["TransformerDecoder"]()
    _randomize(ours, 4)
    block = torch.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, batch_first=True, dtype=torch.float64)
    theirs = torch.nn.TransformerDecoder(block, 2)
    theirs.load_state_dict(_tensors(ours.to_torch_state_dict()), strict=True)
    rng = np.random.default_rng(0)
    target, memory = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(target), torch.from_numpy(memory)).numpy()
    out = ours(gn.tensor(target), gn.tensor(memory)).data
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)


def test_layout_table_is_the_readme_section():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert layouts.layout_table() in readme, "README's 'Weights in and out' table is not layout_table()'s"


def test_keras_prelu_slopes_per_element_have_no_pytorch_layout(float64):
    layer = nn.PReLU(convention="keras")
    layer(gn.ones(2, 3, 4))
    assert [w.shape for w in layer.get_weights()] == [(3, 4)]  # Keras's alpha: the example's shape
    with pytest.raises(ValueError, match=r"slopes of shape \(3, 4\).*torch.nn.PReLU"):
        layer.to_torch_state_dict()
    shared = nn.PReLU(convention="keras", shared_axes=[2, 3])  # one per channel, as PyTorch's
    shared(gn.ones(2, 3, 4, 5))
    assert shared.to_torch_state_dict()["weight"].shape == (3,)
