"""Image augmentation (CURRICULUM section 8): random shifts, rotations, zooms (resize and crop), flips and
noise for batches of NCHW images, drawn from glassnet's seeded generator.

Each transform is a callable on an array (N, C, H, W) (or (N, H, W)) that returns a new array of the same
shape and dtype, with fresh random parameters per image. ``Compose`` chains them. Give one to a
``DataLoader(..., transform=...)`` for the training data, so that every epoch sees new variants::

    augment = Compose([RandomShift(0.1), RandomRotation(10), RandomZoom((0.9, 1.1))])
    train = DataLoader((x_train, y_train), batch_size=64, shuffle=True, transform=augment)
    model.fit(train, validation_data=(x_val, y_val))   # validation batches are never augmented

Geometric transforms share one engine, ``affine_warp``: each output pixel reads the input at the inversely
transformed position (about the image centre) by bilinear interpolation; positions outside the image read
``fill`` (0: black). No loop runs over pixels or images.
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import get_rng

__all__ = [
    "Compose",
    "RandomShift",
    "RandomRotation",
    "RandomZoom",
    "RandomHorizontalFlip",
    "GaussianNoise",
    "affine_warp",
]


def _as_images(batch) -> tuple:
    """(N, C, H, W) array and a function that gives results back the caller's shape."""
    batch = np.asarray(batch)
    if batch.ndim == 3:
        return batch[:, None], lambda out: out[:, 0]
    if batch.ndim != 4:
        raise ValueError(f"augmentation expects images (N, C, H, W) or (N, H, W), got shape {batch.shape}")
    return batch, lambda out: out


def affine_warp(batch, matrices, fill: float = 0.0):
    """Warp each image by its own 2x3 affine map about the image centre, with bilinear interpolation.

    Args:
        batch: images (N, C, H, W) or (N, H, W).
        matrices: (N, 2, 3): output pixel (row r, column c), taken relative to the centre, reads the input
            at (row, column) = A @ (r, c) + t, with A = matrices[:, :, :2] and t = matrices[:, :, 2]
            (relative to the centre too): the inverse map, as image warping needs it.
        fill: the value read outside the image.

    Example:
        >>> shift_right = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, -1.0]]])  # read one column to the left
        >>> affine_warp(np.arange(4.0).reshape(1, 1, 1, 4), shift_right)[0, 0, 0].tolist()
        [0.0, 0.0, 1.0, 2.0]
    """
    images, restore = _as_images(batch)
    n, channels, height, width = images.shape
    matrices = np.asarray(matrices, dtype=np.float64)
    centre_r, centre_c = (height - 1) / 2, (width - 1) / 2
    rows, cols = np.meshgrid(np.arange(height) - centre_r, np.arange(width) - centre_c, indexing="ij")
    grid = np.stack([rows.ravel(), cols.ravel(), np.ones(rows.size)])  # (3, H·W)
    source = matrices @ grid  # (N, 2, H·W)
    source_r, source_c = source[:, 0] + centre_r, source[:, 1] + centre_c
    # Pad by one pixel of ``fill`` so that every neighbour outside the image reads it after clipping.
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=fill)
    r0, c0 = np.floor(source_r), np.floor(source_c)
    weight_r, weight_c = (source_r - r0)[:, None], (source_c - c0)[:, None]  # (N, 1, H·W)
    r0 = np.clip(r0.astype(np.int64) + 1, 0, height + 1)
    c0 = np.clip(c0.astype(np.int64) + 1, 0, width + 1)
    r1, c1 = np.clip(r0 + 1, 0, height + 1), np.clip(c0 + 1, 0, width + 1)
    planes = padded.reshape(n, channels, -1)
    stride = width + 2

    def read(r, c):
        return np.take_along_axis(planes, (r * stride + c)[:, None, :].repeat(channels, axis=1), axis=2)

    top = read(r0, c0) * (1 - weight_c) + read(r0, c1) * weight_c
    bottom = read(r1, c0) * (1 - weight_c) + read(r1, c1) * weight_c
    out = (top * (1 - weight_r) + bottom * weight_r).reshape(n, channels, height, width)
    return restore(out.astype(images.dtype, copy=False))


def _range(value, name: str, symmetric_about: float = 0.0) -> tuple:
    """(low, high) from a pair, or from one number v as (about - v, about + v)."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = float(value[0]), float(value[1])
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = symmetric_about - float(value), symmetric_about + float(value)
    else:
        raise TypeError(f"{name} must be a number or a (low, high) pair, got {value!r}")
    if low > high:
        raise ValueError(f"{name}: low {low} is above high {high}")
    return low, high


class _Transform:
    """Base: a callable on a batch, with a readable repr of its settings."""

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({settings})"


class Compose(_Transform):
    """Apply transforms one after another.

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> Compose([RandomHorizontalFlip(), GaussianNoise(0.0)])(np.zeros((2, 1, 3, 3))).shape
        (2, 1, 3, 3)
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, batch):
        for transform in self.transforms:
            batch = transform(batch)
        return batch


class RandomShift(_Transform):
    """Translate each image by up to ``max_shift`` of its height and width (a fraction < 1) or pixels (>= 1),
    drawn uniformly per image and axis; uncovered pixels read ``fill``."""

    def __init__(self, max_shift=0.1, fill: float = 0.0):
        if not max_shift >= 0:
            raise ValueError(f"RandomShift: max_shift must be >= 0, got {max_shift}")
        self.max_shift, self.fill = max_shift, fill

    def __call__(self, batch):
        images, restore = _as_images(batch)
        n, _, height, width = images.shape
        scale = (1.0, 1.0) if self.max_shift >= 1 else (height, width)
        rng = get_rng()
        shift_r = rng.uniform(-1, 1, n) * self.max_shift * scale[0]
        shift_c = rng.uniform(-1, 1, n) * self.max_shift * scale[1]
        matrices = np.zeros((n, 2, 3))
        matrices[:, 0, 0] = matrices[:, 1, 1] = 1
        matrices[:, 0, 2], matrices[:, 1, 2] = -shift_r, -shift_c
        return restore(affine_warp(images, matrices, self.fill))


class RandomRotation(_Transform):
    """Rotate each image about its centre by an angle drawn uniformly from ``degrees`` (a number d means
    (-d, d)), in degrees, counter-clockwise for positive angles."""

    def __init__(self, degrees=10.0, fill: float = 0.0):
        self.degrees, self.fill = _range(degrees, "RandomRotation: degrees"), fill

    def __call__(self, batch):
        images, restore = _as_images(batch)
        n = images.shape[0]
        angle = np.deg2rad(get_rng().uniform(*self.degrees, n))
        cos, sin = np.cos(angle), np.sin(angle)
        matrices = np.zeros((n, 2, 3))
        # Rows grow downwards, so a counter-clockwise turn on screen reads the input turned the other way.
        matrices[:, 0, 0], matrices[:, 0, 1] = cos, sin
        matrices[:, 1, 0], matrices[:, 1, 1] = -sin, cos
        return restore(affine_warp(images, matrices, self.fill))


class RandomZoom(_Transform):
    """Resize each image about its centre by a factor drawn from ``scale`` and keep the original size:
    a factor above 1 enlarges and crops (a random resized crop of the centre), below 1 shrinks and pads
    with ``fill``. ``scale`` = 0.1 means (0.9, 1.1)."""

    def __init__(self, scale=(0.9, 1.1), fill: float = 0.0):
        self.scale, self.fill = _range(scale, "RandomZoom: scale", symmetric_about=1.0), fill
        if self.scale[0] <= 0:
            raise ValueError(f"RandomZoom: scale must be positive, got {scale!r}")

    def __call__(self, batch):
        images, restore = _as_images(batch)
        n = images.shape[0]
        factor = get_rng().uniform(*self.scale, n)
        matrices = np.zeros((n, 2, 3))
        matrices[:, 0, 0] = matrices[:, 1, 1] = 1 / factor
        return restore(affine_warp(images, matrices, self.fill))


class RandomHorizontalFlip(_Transform):
    """Mirror each image left-right with probability ``p`` (right for clothes and objects; wrong for digits
    and letters, whose meaning changes)."""

    def __init__(self, p: float = 0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, batch):
        batch = np.asarray(batch)
        flip = get_rng().random(batch.shape[0]) < self.p
        out = batch.copy()
        out[flip] = batch[flip][..., ::-1]
        return out


class GaussianNoise(_Transform):
    """Add N(0, std²) noise to every pixel (then clip to ``clip`` = (low, high) when given)."""

    def __init__(self, std: float = 0.05, clip=None):
        if not std >= 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std, self.clip = std, clip

    def __call__(self, batch):
        batch = np.asarray(batch)
        noisy = batch + get_rng().normal(0.0, self.std, batch.shape).astype(batch.dtype)
        if self.clip is not None:
            noisy = np.clip(noisy, *self.clip)
        return noisy.astype(batch.dtype, copy=False)

