"""ModuleList and ModuleDict: registration (parameters, state dict), list and dict behaviour, saving."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn.serialization import deserialize, serialize


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Dense(3, activation="tanh") for _ in range(2)])
        self.heads = nn.ModuleDict({"score": nn.Dense(1), "label": nn.Dense(2)})

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.heads["score"](x) + self.heads["label"](x).sum(axis=1, keepdims=True)


def test_held_modules_are_the_owners_parameters_state_and_mode(float64):
    tower = Tower()
    x = np.random.default_rng(0).standard_normal((4, 3))
    out = tower(gn.tensor(x))
    assert list(tower.state_dict()) == [
        "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
        "heads.score.weight", "heads.score.bias", "heads.label.weight", "heads.label.bias",
    ]  # fmt: skip
    assert len(tower.parameters()) == 8
    hand = x
    for block in tower.blocks:
        hand = np.tanh(hand @ block.weight.data + block.bias.data)
    score, label = tower.heads["score"], tower.heads["label"]
    expected = hand @ score.weight.data + score.bias.data
    expected = expected + (hand @ label.weight.data + label.bias.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    tower.eval()
    assert not tower.blocks[1].training and not tower.heads["label"].training
    out.sum().backward()
    assert tower.blocks[0].weight.grad is not None


def test_module_list_behaves_as_a_list():
    a, b, c = nn.Dense(1, name="a"), nn.Dense(1, name="b"), nn.Dense(1, name="c")
    layers = nn.ModuleList([a, b])
    layers.append(c)
    assert [m.name for m in layers] == ["a", "b", "c"] and len(layers) == 3
    assert layers[-1] is c and [m.name for m in layers[1:]] == ["b", "c"]
    layers.insert(0, nn.Dense(1, name="z"))
    del layers[1]
    layers[0] = a
    assert list(layers._modules) == ["0", "1", "2"] and [m.name for m in layers] == ["a", "b", "c"]
    with pytest.raises(IndexError, match="has 3 modules; index 5 is out of range"):
        layers[5]
    with pytest.raises(TypeError, match=r"ModuleList .* holds modules \(nn.Module\), got 3"):
        layers.append(3)
    with pytest.raises(TypeError, match="only holds modules; call them from your forward"):
        layers(gn.ones(1, 1))


def test_module_dict_behaves_as_a_dict():
    heads = nn.ModuleDict([("x", nn.Dense(1)), ("y", nn.Dense(2))])
    heads["z"] = nn.Dense(3)
    assert list(heads) == ["x", "y", "z"] and "y" in heads and len(heads) == 3
    assert heads.pop("y").units == 2 and list(heads.keys()) == ["x", "z"]
    del heads["x"]
    assert [(k, m.units) for k, m in heads.items()] == [("z", 3)]
    with pytest.raises(KeyError, match=r"has no module 'q'; it has \['z'\]"):
        heads["q"]
    with pytest.raises(KeyError, match="keys are non-empty strings without dots"):
        heads["a.b"] = nn.Dense(1)


def test_containers_save_and_rebuild_from_config():
    layers = nn.ModuleList([nn.Dense(2, name="first"), nn.Dropout(0.5, name="drop")])
    rebuilt = deserialize(serialize(layers))
    assert [type(m).__name__ for m in rebuilt] == ["Dense", "Dropout"] and rebuilt[1].rate == 0.5
    heads = nn.ModuleDict({"out": nn.Dense(4, name="out_dense")})
    assert deserialize(serialize(heads))["out"].units == 4
