"""The functional API: Input, layers called on symbolic tensors, Model over a graph of layers, merge layers,
the summary's connections, and saving the graph (get_config / from_config)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn.serialization import deserialize, serialize


def _dense(x, layer):
    return x @ layer.weight.data + layer.bias.data


def test_symbolic_call_builds_the_layer_and_records_the_shape():
    x = nn.Input((4,), name="x")
    layer = nn.Dense(3)
    h = layer(x)
    assert x.shape == (None, 4) and h.shape == (None, 3)
    assert layer.built and layer.weight.shape == (4, 3)
    assert h.node.layer is layer and h.node.inputs == [x]
    image = nn.Input((1, 28, 28))
    assert nn.MaxPool2D(2)(nn.Conv2D(8, 3, padding="same")(image)).shape == (None, 8, 14, 14)


def test_graph_with_branches_and_a_shared_layer_computes_what_the_layers_compute(float64):
    a, b = nn.Input((4,), name="a"), nn.Input((3,), name="b")
    first, other, shared = nn.Dense(5, activation="relu"), nn.Dense(5), nn.Dense(5)
    h = first(a)
    joined = nn.Concatenate()([h, other(b)])
    summed = nn.Add()([shared(h), shared(nn.Dense(5, name="squeeze")(joined))])
    model = nn.Model([a, b], [nn.Dense(2, name="head")(summed), joined])
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    out, concatenated = model([xa, xb])
    layers = {layer.name: layer for layer in model.layers}
    hand_h = np.maximum(_dense(xa, first), 0)
    hand_joined = np.concatenate([hand_h, _dense(xb, other)], axis=1)
    hand_sum = _dense(hand_h, shared) + _dense(_dense(hand_joined, layers["squeeze"]), shared)
    np.testing.assert_allclose(concatenated.data, hand_joined, rtol=1e-12)
    np.testing.assert_allclose(out.data, _dense(hand_sum, layers["head"]), rtol=1e-12)
    # the shared layer is one layer: its weights once in the model, its gradient from both calls
    assert sum(layer is shared for layer in model.layers) == 1
    assert model.count_params() == 25 + 20 + 30 + 55 + 12
    params = model.parameters()
    assert gn.gradcheck(lambda xa, xb, *_: model([xa, xb])[0], [gn.tensor(xa), gn.tensor(xb), *params])


def test_layers_run_in_topological_order_and_state_dict_uses_layer_names():
    x = nn.Input((2,), name="x")
    late = nn.Dense(2, name="late")  # made first, called last
    early = nn.Dense(2, name="early")
    model = nn.Model(x, late(early(x)))
    assert [layer.name for layer in model.layers] == ["x", "early", "late"]
    assert list(model.state_dict()) == ["early.weight", "early.bias", "late.weight", "late.bias"]


def test_model_takes_inputs_as_list_or_dict_and_checks_them():
    a, b = nn.Input((2,), name="a"), nn.Input((3,), name="b")
    model = nn.Model([a, b], nn.Concatenate()([a, b]))
    xa, xb = np.ones((1, 2)), np.zeros((1, 3))
    np.testing.assert_array_equal(model({"b": xb, "a": xa}).data, [[1, 1, 0, 0, 0]])
    np.testing.assert_array_equal(model([xa, xb]).data, [[1, 1, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"takes 2 inputs \(a, b\), got 1"):
        model([xa])
    with pytest.raises(ValueError, match=r"missing \['b'\], unknown \['c'\]"):
        model({"a": xa, "c": xb})
    with pytest.raises(ValueError, match=r"input 'b' expects shape \(None, 3\), got \(1, 4\)"):
        model([xa, np.zeros((1, 4))])


def test_model_construction_errors_name_the_problem():
    a, b = nn.Input((2,), name="in_a"), nn.Input((2,), name="in_b")
    with pytest.raises(ValueError, match="depend on the input 'in_b', which is not among the model's inputs"):
        nn.Model(a, nn.Add()([a, b]))
    with pytest.raises(ValueError, match="two different layers are named 'twin'"):
        nn.Model(a, nn.Dense(2, name="twin")(nn.Dense(2, name="twin")(a)))
    with pytest.raises(ValueError, match="inputs must come from nn.Input"):
        nn.Model(nn.Dense(2)(a), a)
    with pytest.raises(TypeError, match="must be symbolic tensors"):
        nn.Model(a, np.zeros(2))
    with pytest.raises(ValueError, match=r"Input 'bad': shape must be positive sizes"):
        nn.Input((0, 3), name="bad")
    with pytest.raises(TypeError, match="has no values"):
        np.asarray(a)


@pytest.mark.parametrize(
    "layer, reference",
    [
        (nn.Add(), lambda xs: xs[0] + xs[1] + xs[2]),
        (nn.Multiply(), lambda xs: xs[0] * xs[1] * xs[2]),
        (nn.Average(), lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    ],
    ids=["add", "multiply", "average"],
)
def test_elementwise_merges_values_and_gradients(float64, layer, reference):
    rng = np.random.default_rng(1)
    xs = [gn.tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(3)]
    np.testing.assert_allclose(layer(xs).data, reference([x.data for x in xs]), rtol=1e-14)
    assert gn.gradcheck(lambda *xs: layer(list(xs)), xs)


def test_merge_gradients_match_torch(float64):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity")
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))]
    ours = [gn.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    seed = rng.standard_normal((2, 8, 4))
    out = nn.Concatenate(axis=1)(ours)
    (out * gn.tensor(seed)).sum().backward()
    expected = torch.cat(theirs, dim=1)
    (expected * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)
    a, b = (gn.tensor(arrays[0], requires_grad=True) for _ in range(2))
    ta, tb = (torch.tensor(arrays[0], requires_grad=True) for _ in range(2))
    (nn.Multiply()([a, b]) * gn.tensor(seed[:, :3])).sum().backward()
    (ta * tb * torch.tensor(seed[:, :3])).sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12)


def test_merge_shape_errors_name_the_layer_and_shapes():
    a, b = nn.Input((3,)), nn.Input((4,))
    with pytest.raises(
        ValueError, match=r"Add 'plus' needs inputs of one shape, got \(None, 3\), \(None, 4\)"
    ):
        nn.Add(name="plus")([a, b])
    with pytest.raises(ValueError, match=r"Concatenate 'join' joins along axis 1 .* got \(None, 2, 3\)"):
        nn.Concatenate(axis=1, name="join")([nn.Input((2, 3)), nn.Input((2, 4))])
    with pytest.raises(ValueError, match="merges a list of at least two tensors"):
        nn.Average()([a])
    with pytest.raises(ValueError, match="axis must be an int other than 0"):
        nn.Concatenate(axis=0)
    assert nn.Concatenate(axis=1)([nn.Input((2, 3)), nn.Input((5, 3))]).shape == (None, 7, 3)


def test_summary_shows_each_layers_connections_as_keras_does():
    a, b = nn.Input((4,), name="a"), nn.Input((4,), name="b")
    shared = nn.Dense(2, name="shared")
    out = nn.Add(name="add")([shared(a), shared(b)])
    model = nn.Model([a, b], out, name="siamese")
    lines = model.format_summary().splitlines()
    assert lines[0] == 'Model: "siamese"'
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "Connected", "to"]
    assert [line.split() for line in lines[4:8]] == [
        ["a", "(InputLayer)", "(None,", "4)", "0", "-"],
        ["b", "(InputLayer)", "(None,", "4)", "0", "-"],
        ["shared", "(Dense)", "(None,", "2)", "10", "a[0][0],", "b[0][0]"],
        ["add", "(Add)", "(None,", "2)", "0", "shared[0][0],", "shared[1][0]"],
    ]
    assert lines[-3] == "Total params: 10"
    explained = model.format_summary(explain=True).splitlines()
    assert explained[explained.index(lines[7]) + 1].strip() == "add of 2 inputs of one shape; params = 0"


def test_config_round_trip_rebuilds_the_same_graph(float64):
    a, b = nn.Input((3,), name="a"), nn.Input((2,), name="b")
    shared = nn.Dense(3, activation="tanh")
    h = nn.Multiply()([shared(a), nn.Dense(3)(b)])
    model = nn.Model([a, b], [nn.Dense(1, name="y")(shared(h)), nn.Average()([h, a])], name="graph")
    rebuilt = deserialize(serialize(model))
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert rebuilt.get_config() == model.get_config()
    rebuilt.load_state_dict(model.state_dict())
    x = [np.random.default_rng(3).standard_normal((4, 3)), np.random.default_rng(4).standard_normal((4, 2))]
    for ours, theirs in zip(model(x), rebuilt(x)):
        np.testing.assert_array_equal(ours.data, theirs.data)


def test_a_model_is_a_layer_of_a_larger_model(float64):
    inner_in = nn.Input((3,))
    inner = nn.Model(inner_in, nn.Dense(2, name="inner_dense")(inner_in), name="inner")
    x = nn.Input((3,))
    outer = nn.Model(x, nn.Add()([inner(x), inner(x)]), name="outer")
    data = np.random.default_rng(5).standard_normal((2, 3))
    np.testing.assert_allclose(outer(data).data, 2 * inner(data).data, rtol=1e-14)
    assert outer.count_params() == 8
    rebuilt = deserialize(serialize(outer))
    rebuilt.load_state_dict(outer.state_dict())
    np.testing.assert_array_equal(rebuilt(data).data, outer(data).data)


def test_padding_mask_flows_through_the_graph_as_in_sequential(float64):
    embedding, recurrent = nn.Embedding(10, 4, mask_zero=True), nn.LSTM(3)
    ids = nn.Input((5,), name="ids", dtype="int64")
    model = nn.Model(ids, nn.Dense(1, name="score")(recurrent(embedding(ids))))
    sequential = nn.Sequential([embedding, recurrent, model.layers[-1]])
    tokens = np.array([[3, 4, 0, 0, 0], [5, 6, 7, 8, 9]])
    out = model(tokens)
    np.testing.assert_array_equal(out.data, sequential(gn.tensor(tokens)).data)
    # without the mask the padded steps change the first sequence's score, and only its
    unmasked = nn.Model(ids, model.layers[-1](recurrent(nn.Embedding(10, 4, name="plain")(ids))))
    unmasked.layers[1].load_state_dict(embedding.state_dict())
    assert not np.allclose(unmasked(tokens).data[0], out.data[0])
    np.testing.assert_allclose(unmasked(tokens).data[1], out.data[1], rtol=1e-12)
    assert model.predict(tokens).shape == (2, 1)
