"""Image augmentation: exact geometry on small images, seeded repetition, and the DataLoader applying it to
training inputs only."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import (
    Compose,
    DataLoader,
    GaussianNoise,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
    RandomZoom,
)
from glassnet.data.augmentation import affine_warp


def images(n=3, channels=2, size=5):
    return np.random.default_rng(0).random((n, channels, size, size)).astype(np.float32)


def test_whole_pixel_shifts_move_the_image_and_fill_with_zeros():
    x = images()
    gn.manual_seed(0)
    out = RandomShift(2)(x)  # pixels
    gn.manual_seed(0)
    rng = gn.backend.get_rng()
    dr, dc = rng.uniform(-1, 1, 3) * 2, rng.uniform(-1, 1, 3) * 2
    identity = np.array([[[1.0, 0, 0], [0, 1.0, 0]]])
    shifted = affine_warp(x[:1], identity + np.array([[[0, 0, -1.0], [0, 0, 0]]]))
    np.testing.assert_allclose(shifted[0, :, 1:], x[0, :, :-1], atol=1e-6)  # one row down
    assert (shifted[0, :, 0] == 0).all()
    assert out.shape == x.shape and out.dtype == np.float32
    assert abs(dr).max() <= 2 and abs(dc).max() <= 2


def test_rotation_by_90_degrees_is_rot90():
    x = images()
    out = RandomRotation((90, 90))(x)
    np.testing.assert_allclose(out, np.rot90(x, k=1, axes=(2, 3)), atol=1e-5)


def test_zoom_by_one_is_the_identity_and_zoom_out_pads():
    x = images(size=6)
    np.testing.assert_allclose(RandomZoom((1.0, 1.0))(x), x, atol=1e-6)
    ones = np.ones((1, 1, 9, 9), dtype=np.float32)
    shrunk = RandomZoom((0.5, 0.5))(ones)[0, 0]
    assert shrunk[4, 4] == 1.0 and shrunk[0, 0] == 0.0 and shrunk.sum() < 81
    assert RandomZoom(0.1).scale == (0.9, 1.1)


def test_flip_noise_and_compose_are_seeded():
    x = images(n=64)
    gn.manual_seed(3)
    flipped = RandomHorizontalFlip()(x)
    which = [np.array_equal(f, o[..., ::-1]) for f, o in zip(flipped, x)]
    assert 16 < sum(which) < 48 and all(w or np.array_equal(f, o) for w, f, o in zip(which, flipped, x))
    noisy = GaussianNoise(0.1)(x)
    assert abs((noisy - x).std() - 0.1) < 0.01
    augment = Compose([RandomShift(0.1), RandomRotation(15), RandomZoom(0.1), GaussianNoise(0.01)])
    gn.manual_seed(7)
    first = augment(x)
    gn.manual_seed(7)
    np.testing.assert_array_equal(augment(x), first)
    assert augment(x[:, 0]).shape == x[:, 0].shape  # (N, H, W) grey images too


def test_bad_arguments():
    with pytest.raises(ValueError, match="images"):
        RandomShift()(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="p must be in"):
        RandomHorizontalFlip(1.5)
    with pytest.raises(TypeError, match="transform must be a function"):
        DataLoader((np.zeros((2, 1)), np.zeros(2)), transform="flip")


def test_loader_applies_the_transform_to_inputs_only_and_fit_validates_without_it():
    x = np.zeros((8, 1, 4, 4), dtype=np.float32)
    y = np.arange(8)
    calls = []

    def mark(batch):
        calls.append(batch.shape)
        return batch + 1

    loader = DataLoader((x, y), batch_size=4, transform=mark)
    batches = list(loader)
    assert calls == [(4, 1, 4, 4), (4, 1, 4, 4)]
    assert all((xb.data == 1).all() for xb, _ in batches) and batches[1][1].tolist() == [4, 5, 6, 7]

    model = nn.Sequential([nn.Flatten(), nn.Dense(8)], input_shape=(1, 4, 4))
    model.compile(optimizer=optim.SGD(lr=0.0), loss=nn.SparseCategoricalCrossEntropy(from_logits=True))
    calls.clear()
    model.fit(loader, epochs=1, validation_data=(x, y), verbose=0)
    assert len(calls) == 2  # the two training batches; the validation batches were not transformed
