"""The convolutional architectures: parameter counts equal torchvision's (and LeNet-5's paper), shapes,
forward passes, PyTorch parity of LeNet-5 and of a residual block, saving a ResNet."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import models, nn
from glassnet.nn.initializers import Initializer


class _Free(Initializer):
    """Zeros that take no memory (a read-only broadcast view): counting VGG-16's 138 million parameters
    must not allocate 550 MB."""

    def sample(self, shape):
        return np.broadcast_to(np.zeros((), dtype=gn.get_default_dtype()), shape)


@pytest.mark.parametrize(
    "build, expected",
    [
        (models.AlexNet, 61_100_840),
        (models.VGG16, 138_357_544),
        (models.ResNet18, 11_689_512),
        (models.ResNet34, 21_797_672),
    ],
    ids=["alexnet", "vgg16", "resnet18", "resnet34"],
)
def test_parameter_counts_equal_torchvision_at_224_and_1000_classes(build, expected):
    model = build(num_classes=1000, input_shape=(3, 224, 224), weight_init=_Free())
    assert model.count_params() == expected
    assert model.compute_output_shape((None, 3, 224, 224)) == (None, 1000)


def test_lenet5_classic_and_mnist_variant_shapes_and_counts():
    expected = [
        ((None, 6, 28, 28), 156),
        ((None, 6, 14, 14), 0),
        ((None, 16, 10, 10), 2416),
        ((None, 16, 5, 5), 0),
        ((None, 120, 1, 1), 48120),
        ((None, 120), 0),
        ((None, 84), 10164),
        ((None, 10), 850),
    ]
    for shape in [(1, 32, 32), (1, 28, 28)]:
        rows = models.LeNet5(input_shape=shape).summary_rows()
        assert [(row[2], row[3]) for row in rows] == expected
    assert models.LeNet5(num_classes=5, input_shape=(3, 32, 32)).count_params() == 61706 - 425 + 2 * 150


def test_lenet5_matches_the_same_network_in_torch(float64):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity")
    ours = models.LeNet5(input_shape=(1, 28, 28), activation="tanh", pooling="avg")
    t = torch.nn
    theirs = t.Sequential(
        t.Conv2d(1, 6, 5, padding=2),
        t.Tanh(),
        t.AvgPool2d(2),
        t.Conv2d(6, 16, 5),
        t.Tanh(),
        t.AvgPool2d(2),
        t.Conv2d(16, 120, 5),
        t.Tanh(),
        t.Flatten(),
        t.Linear(120, 84),
        t.Tanh(),
        t.Linear(84, 10),
    ).double()
    state = {}
    for ours_key, (name, value) in zip(ours.state_dict(), theirs.state_dict().items()):
        value = value.detach().numpy()
        state[ours_key] = value.T if name.startswith(("9.", "11.")) and value.ndim == 2 else value
    ours.load_state_dict(state)
    x = np.random.default_rng(0).random((3, 1, 28, 28))
    logits, expected = ours(gn.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(logits.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    labels = np.array([1, 7, 3])
    nn.SparseCategoricalCrossEntropy(from_logits=True)(logits, labels).backward()
    torch.nn.functional.cross_entropy(expected, torch.tensor(labels)).backward()
    np.testing.assert_allclose(ours[0].weight.grad, theirs[0].weight.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours[6].weight.grad, theirs[9].weight.grad.numpy().T, rtol=1e-9, atol=1e-12)


def test_basic_block_matches_torchvision_style_block_in_training(float64):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity")
    t = torch.nn

    class TorchBlock(t.Module):  # torchvision's BasicBlock, written out
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1 = t.Conv2d(4, 8, 3, 2, 1, bias=False), t.BatchNorm2d(8)
            self.conv2, self.bn2 = t.Conv2d(8, 8, 3, 1, 1, bias=False), t.BatchNorm2d(8)
            self.downsample = t.Sequential(t.Conv2d(4, 8, 1, 2, bias=False), t.BatchNorm2d(8))

        def forward(self, x):
            out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
            return torch.relu(out + self.downsample(x))

    theirs = TorchBlock().double()
    ours = models.BasicBlock(8, strides=2)
    ours.build((None, 4, 7, 6))
    names = {
        "downsample.0.weight": "shortcut_conv.weight",
        "downsample.1.weight": "shortcut_bn.gamma",
        "downsample.1.bias": "shortcut_bn.beta",
        "downsample.1.running_mean": "shortcut_bn.running_mean",
        "downsample.1.running_var": "shortcut_bn.running_var",
    }
    state = {}
    for key, value in theirs.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        key = names.get(key, key.replace(".weight", ".gamma").replace(".bias", ".beta"))
        state[key.replace("conv1.gamma", "conv1.weight").replace("conv2.gamma", "conv2.weight")] = (
            value.numpy()
        )
    ours.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 6))
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(gx), theirs(tx)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(weights)
    expected.backward(torch.tensor(weights))
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        ours.conv1.weight.grad, theirs.conv1.weight.grad.numpy(), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        ours.shortcut_bn.running_var, theirs.downsample[1].running_var.numpy(), rtol=1e-10
    )


def test_identity_shortcut_block_gradcheck(float64):
    block = models.BasicBlock(3)
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4)), requires_grad=True)
    block(x)
    assert not block.projects
    assert gn.gradcheck(lambda x: block(x), [x])


@pytest.mark.parametrize(
    "build, shape",
    [
        (models.AlexNet, (3, 64, 64)),
        (models.VGG16, (3, 32, 32)),
        (models.ResNet18, (3, 64, 64)),
        (models.ResNet34, (3, 64, 64)),
    ],
    ids=["alexnet", "vgg16", "resnet18", "resnet34"],
)
def test_forward_pass_on_a_small_input(build, shape):
    model = build(num_classes=10, input_shape=shape).eval()
    x = np.random.default_rng(0).random((1, *shape), dtype=np.float32)
    with gn.no_grad():
        logits = model(x)
    assert logits.shape == (1, 10) and logits.dtype == np.float32
    assert np.isfinite(logits.data).all() and logits.data.std() > 0
    # Evaluation mode is deterministic (dropout off, running statistics).
    with gn.no_grad():
        np.testing.assert_array_equal(model(x).data, logits.data)


def test_resnet_saves_and_loads(tmp_path):
    model = models.ResNet((1, 1, 0, 0), num_classes=3, input_shape=(3, 16, 16))
    x = np.random.default_rng(0).random((2, 3, 16, 16), dtype=np.float32)
    model(x)  # a training step's statistics, so that the running averages are not the initial ones
    model.eval()
    model.save(tmp_path / "resnet.glassnet")
    loaded = nn.load_model(tmp_path / "resnet.glassnet").eval()
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    assert isinstance(loaded[5], models.BasicBlock) and loaded[5].projects


def test_explain_shape_of_a_block():
    text = models.BasicBlock(128, strides=2).explain_shape((None, 64, 56, 56))
    assert text.startswith("H: floor((56 + 2·1 − 3)/2) + 1 = 28")
    assert text.endswith("params = 3·3·64·128 + 3·3·128·128 + 2·2·128 + 1·1·64·128 + 2·128 = 230,144")
