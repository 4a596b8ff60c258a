"""ResNet-18 written with the functional API (examples/resnet_functional.py) is models.ResNet18: the same
parameter count as torchvision, and with the same weights the same outputs, gradients and running
statistics; it saves and loads as any model."""

import runpy
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import models, nn

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "resnet_functional.py"


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(EXAMPLE))


def test_parameter_count_equals_torchvision_at_224_and_1000_classes(example):
    model = example["resnet18"](num_classes=1000, input_shape=(3, 224, 224), weight_init="zeros")
    assert model.count_params() == 11_689_512
    assert model.compute_output_shape((None, 3, 224, 224)) == (None, 1000)
    rows = {row.split()[0]: row for row in model.format_summary().splitlines()}
    assert rows["layer2_0_add"].split()[-2:] == ["layer2_0_bn2[0][0],", "layer2_0_shortcut_bn[0][0]"]
    assert rows["layer1_1_add"].split()[-2:] == ["layer1_1_bn2[0][0],", "layer1_0_relu2[0][0]"]


def test_same_outputs_gradients_and_statistics_as_models_resnet18(example, float64):
    shape = (3, 32, 32)
    functional = example["resnet18"](10, shape)
    sequential = models.ResNet18(10, shape)
    functional.load_state_dict(example["state_from_sequential"](sequential))
    x = np.random.default_rng(0).standard_normal((2, *shape))
    labels = np.array([3, 8])
    loss = nn.SparseCategoricalCrossEntropy(from_logits=True)
    ours, theirs = gn.tensor(x, requires_grad=True), gn.tensor(x, requires_grad=True)
    out, expected = functional(ours), sequential(theirs)  # training mode: batch statistics
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-10, atol=1e-12)
    loss(out, labels).backward()
    loss(expected, labels).backward()
    np.testing.assert_allclose(ours.grad, theirs.grad, rtol=1e-10, atol=1e-14)
    gradients = {name: parameter.grad for name, parameter in sequential.named_parameters()}
    grads = example["state_from_sequential"](sequential, gradients)
    assert len(grads) == len(functional.parameters()) == 62
    for name, parameter in functional.named_parameters():
        np.testing.assert_allclose(parameter.grad, grads[name], rtol=1e-10, atol=1e-14, err_msg=name)
    state = functional.state_dict()
    for name, value in example["state_from_sequential"](sequential).items():
        np.testing.assert_allclose(state[name], value, rtol=1e-12, err_msg=name)  # running statistics too
    functional.eval()
    sequential.eval()
    np.testing.assert_allclose(functional(x).data, sequential(x).data, rtol=1e-10, atol=1e-12)


def test_functional_resnet_saves_and_loads(example, tmp_path):
    model = example["resnet18"](5, (3, 16, 16))
    model.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, 16, 16)).astype(np.float32)
    loaded = nn.load_model(model.save(tmp_path / "resnet.glassnet"))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_example_prints_the_count_and_no_difference(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["resnet_functional.py", "--size", "32"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "1000 classes: 11,689,512 parameters" in out
    assert "eval mode: largest difference from models.ResNet18 with the same weights = 0.0e+00" in out
    assert "train mode: largest difference from models.ResNet18 with the same weights = 0.0e+00" in out
