"""The small vision Transformer: equal to the same network written with PyTorch's layers (float64,
outputs and every gradient), finite differences on a tiny one, a run file builds it, and bad shapes."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.io.config import parse_config
from glassnet.models import ViT


def test_equals_the_same_vit_built_from_pytorch_layers(float64):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity")
    gn.manual_seed(0)
    model = ViT((2, 8, 8), patch_size=4, num_classes=3, d_model=8, num_layers=2, num_heads=2)
    rng = np.random.default_rng(1)
    for parameter in model.parameters():  # away from zeros and ones
        parameter.data[...] = rng.uniform(-0.5, 0.5, parameter.shape)
    blocks = [
        torch.nn.TransformerEncoderLayer(8, 2, 32, dropout=0.0, activation="gelu", batch_first=True,
                                         norm_first=True, dtype=torch.float64)
        for _ in range(2)
    ]  # fmt: skip
    for k, (ours, theirs) in enumerate(zip(model.blocks, blocks)):  # PyTorch's block weights, loaded
        with torch.no_grad():
            for parameter in theirs.parameters():
                parameter.add_(torch.from_numpy(np.random.default_rng(k).uniform(-0.3, 0.3, parameter.shape)))
        ours.load_torch_state_dict(theirs.state_dict())
    images = rng.standard_normal((3, 2, 8, 8))
    x, tx = gn.tensor(images, requires_grad=True), torch.tensor(images, requires_grad=True)
    conv_w, conv_b = (
        torch.tensor(p.data, requires_grad=True) for p in (model.patches.weight, model.patches.bias)
    )
    token = torch.tensor(model.class_token.data, requires_grad=True)
    positions = torch.tensor(model.position_embedding.weight.data, requires_grad=True)
    patches = torch.nn.functional.conv2d(tx, conv_w, conv_b, stride=4).flatten(2).transpose(1, 2)
    h = torch.cat([token.expand(3, 1, 8), patches], dim=1) + positions
    for block in blocks:
        h = block(h)
    h = torch.nn.functional.layer_norm(
        h, (8,), torch.tensor(model.norm.gamma.data), torch.tensor(model.norm.beta.data)
    )
    expected = h[:, 0] @ torch.tensor(model.head.weight.data) + torch.tensor(model.head.bias.data)
    out = model(x)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = rng.standard_normal(out.shape)
    out.backward(weights)
    expected.backward(torch.from_numpy(weights))
    for ours, theirs in [(x, tx), (model.patches.weight, conv_w), (model.class_token, token),
                         (model.position_embedding.weight, positions)]:  # fmt: skip
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradients_match_finite_differences(float64):
    gn.manual_seed(3)
    model = ViT(
        (1, 4, 4), patch_size=2, num_classes=2, d_model=4, num_layers=1, num_heads=2, dim_feedforward=4
    )
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 1, 4, 4)), requires_grad=True)
    model.class_token.data[...] = 0.3  # not zero: its gradient path shows
    assert gn.gradcheck(lambda x, *_: model(x), [x, *model.parameters()]) is True


def test_a_run_file_builds_it_for_the_images():
    run = """
[data]
source = "moons"
[model]
architecture = "ViT"
patch_size = 7
d_model = 16
num_layers = 1
num_heads = 2
[compile]
loss = "sparse_categorical_crossentropy"
"""
    model = parse_config(run, "vit.toml").build_model((1, 28, 28))
    assert isinstance(model, ViT) and model.num_patches == 16
    assert model(gn.zeros(2, 1, 28, 28)).shape == (2, 10)
    clone = ViT.from_config(model.get_config())
    assert clone.get_config() == model.get_config()


def test_bad_shapes():
    with pytest.raises(ValueError, match="images of 28×28 do not split into patches of 5×5"):
        ViT((1, 28, 28), patch_size=5)
    model = ViT((1, 8, 8), patch_size=4, d_model=8, num_layers=1, num_heads=2, name="vit_small")
    with pytest.raises(
        ValueError, match=r"'vit_small' expects images \(N, \(1, 8, 8\)\), got shape \(2, 1, 9, 8\)"
    ):
        model(gn.zeros(2, 1, 9, 8))
    with pytest.raises(ValueError, match="d_model 8 is not divisible by nhead 3"):
        ViT((1, 8, 8), patch_size=4, d_model=8, num_heads=3)
