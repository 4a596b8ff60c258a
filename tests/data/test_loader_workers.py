"""DataLoader(num_workers=...): batches prepared in worker processes are the batches the main process
would prepare, for the same seed (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader, Dataset, augmentation

RNG = np.random.default_rng(0)
IMAGES = RNG.random((150, 1, 28, 28), dtype=np.float32)
LABELS = np.arange(150) % 10
AUGMENT = augmentation.Compose(
    [augmentation.RandomShift(0.1), augmentation.RandomRotation(10), augmentation.GaussianNoise(0.05)]
)


class Squares(Dataset):
    """A dataset read one sample at a time (no TensorDataset fast path)."""

    def __len__(self):
        return 37

    def __getitem__(self, i):
        return np.full((1, 4, 4), float(i), np.float32), i


def epochs_of_batches(data, workers: int, epochs: int = 2, **options) -> list:
    gn.manual_seed(11)
    batches = []
    for _ in range(epochs):
        loader = DataLoader(data, num_workers=workers, **options)
        batches += [tuple(t.data.copy() for t in batch) for batch in loader]
    batches.append(gn.backend.get_rng().random())  # and the main generator is left in the same state
    return batches


@pytest.mark.parametrize(
    "data, options",
    [
        ((IMAGES, LABELS), {"batch_size": 32, "shuffle": True, "transform": AUGMENT}),
        (Squares(), {"batch_size": 8, "shuffle": True, "transform": augmentation.GaussianNoise(1.0)}),
        ((IMAGES, LABELS), {"batch_size": 64, "drop_last": True}),
    ],
)
def test_two_workers_give_the_batches_of_none(data, options):
    serial, parallel = epochs_of_batches(data, 0, **options), epochs_of_batches(data, 2, **options)
    assert len(serial) == len(parallel) > 2
    for one, other in zip(serial[:-1], parallel[:-1]):
        assert all(np.array_equal(a, b) for a, b in zip(one, other))
    assert serial[-1] == parallel[-1]
    if "transform" in options:  # the draws differ from batch to batch and epoch to epoch
        first_epoch = len(serial[:-1]) // 2
        assert not np.array_equal(serial[0][0], serial[first_epoch][0][: len(serial[0][0])])


def test_fit_on_a_loader_with_workers_trains_as_without():
    def train(workers):
        gn.manual_seed(3)
        model = nn.Sequential([nn.Flatten(), nn.Dense(10)], input_shape=(1, 28, 28))
        model.compile(optim.SGD(lr=0.1), nn.SparseCategoricalCrossEntropy(from_logits=True))
        loader = DataLoader((IMAGES, LABELS), 50, shuffle=True, transform=AUGMENT, num_workers=workers)
        return model.fit(loader, epochs=2, verbose=0).history["loss"], model.state_dict()

    (loss_0, state_0), (loss_2, state_2) = train(0), train(2)
    assert loss_0 == loss_2
    assert all(np.array_equal(state_0[k], state_2[k]) for k in state_0)


@pytest.mark.parametrize("workers", [-1, 1.5, True])
def test_num_workers_is_a_count(workers):
    with pytest.raises(ValueError, match="num_workers must be a whole number >= 0"):
        DataLoader((IMAGES, LABELS), num_workers=workers)


def test_the_trainer_uses_the_cores_the_workers_leave_and_gets_its_threads_back():
    pytest.importorskip("threadpoolctl", reason="trainer_threads acts through threadpoolctl")
    before = gn.get_num_threads()
    seen = []
    loader = DataLoader((IMAGES, LABELS), batch_size=50, num_workers=1, trainer_threads=1)
    for _ in loader:
        seen.append(gn.get_num_threads())
    assert seen == [1, 1, 1]
    assert gn.get_num_threads() == before
    untouched = DataLoader((IMAGES, LABELS), batch_size=50, num_workers=1, trainer_threads=None)
    assert [gn.get_num_threads() for _ in untouched] == [before] * 3


@pytest.mark.parametrize("threads", [0, 1.5, "all", True])
def test_trainer_threads_is_auto_none_or_a_count(threads):
    with pytest.raises(ValueError, match='trainer_threads must be "auto", None or a whole number >= 1'):
        DataLoader((IMAGES, LABELS), num_workers=2, trainer_threads=threads)


def test_set_num_threads_sets_what_get_num_threads_reads():
    pytest.importorskip("threadpoolctl", reason="set_num_threads acts through threadpoolctl")
    before = gn.get_num_threads()
    try:
        gn.set_num_threads(1)
        assert gn.get_num_threads() == 1
    finally:
        gn.set_num_threads(before)
    assert gn.get_num_threads() == before
    with pytest.raises(ValueError, match="whole number >= 1"):
        gn.set_num_threads(0)
