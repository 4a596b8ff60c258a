"""Datasets and the loader that cuts them into batches.

A ``Dataset`` answers two questions: how many samples (``len``) and what is sample ``i`` (``ds[i]`` gives a
tuple such as ``(x, y)``). ``TensorDataset`` holds whole arrays, which the ``DataLoader`` batches by indexing
all of them at once (one gather per array and batch, no per-sample Python loop). One pass over the loader is
one epoch; with ``shuffle=True`` each pass draws a new order from glassnet's seeded generator.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from glassnet.autograd import Tensor
from glassnet.backend import fork_rng, get_rng, num_threads
from glassnet.data.validation import as_array, check_same_length

__all__ = ["Dataset", "TensorDataset", "DataLoader"]


class Dataset:
    """The base class of datasets: ``len(ds)`` samples, ``ds[i]`` the ``i``-th as a tuple ``(x, y)``.

    Subclass it for data that is made or read one sample at a time; ``DataLoader`` stacks the samples of a
    batch. Data already in arrays belongs in a ``TensorDataset``, which batches faster.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Samples stored as arrays of equal first length: sample ``i`` is ``(arrays[0][i], arrays[1][i], ...)``.

    Args:
        *arrays: NumPy arrays (or tensors, or lists) with one entry per sample along the first axis, usually
            ``X`` and ``y``. Kept as they are: no copy, no change of dtype.

    Example:
        >>> ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
        >>> x, y = ds[3]
        >>> len(ds), x.shape, int(y)
        (5, (2,), 3)
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array (e.g. TensorDataset(X, y))")
        self.arrays = tuple(as_array(array) for array in arrays)
        check_same_length(self.arrays, _array_names(len(self.arrays)))

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(array[index] for array in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{array.dtype}{list(array.shape)}" for array in self.arrays)
        return f"TensorDataset({shapes})"


def _array_names(count: int) -> list:
    """``X`` and ``y`` for the usual pair, else ``arrays[i]``."""
    if count <= 2:
        return ["X", "y"][:count]
    return [f"arrays[{i}]" for i in range(count)]


class DataLoader:
    """Iterate over a dataset in batches, as tuples of ``Tensor``; one full pass is one epoch.

    Args:
        data: a ``Dataset``, or a tuple ``(X, y)`` (or ``(X,)``) of arrays of equal first length, or one
            array.
        batch_size: samples per batch (>= 1), or ``"full"`` / ``None`` for the whole set in one batch
            (gradient descent). 1 gives stochastic gradient descent, anything between mini-batches.
        shuffle: draw a new order of the samples at the start of every epoch (every ``iter(loader)``), from
            the generator seeded by ``gn.manual_seed``, so that a seeded run repeats exactly.
        drop_last: leave out the last batch when it is smaller than ``batch_size``; by default it is kept.
        transform: a function applied to each batch's inputs (the first array) as it is drawn, e.g. an
            augmentation from ``glassnet.data.augmentation``; it gets and returns a NumPy array. Give it to
            the training loader only: ``fit`` builds its validation batches without one, and a loader for
            ``evaluate`` or ``validation_data`` should have none.
        num_workers: processes that prepare batches (gather and transform) while the main process trains
            on earlier ones; 0 (the default) prepares each batch in the main process when it is asked for.
            Each batch's transform draws from its own generator, seeded from glassnet's at the start of
            the epoch, so that the batches are the same for any number of workers.
        trainer_threads: while workers run, the most threads NumPy's BLAS may use in the training process
            (needs threadpoolctl, ``glassnet[threads]``; otherwise nothing changes). ``"auto"`` (the
            default): the cores the workers leave, ``os.cpu_count() - num_workers``, at least 1, so that
            BLAS threads waiting for the next product do not hold the cores the workers need; an int sets
            it; ``None`` leaves BLAS as it is. The earlier count comes back when the epoch ends.

    Each batch is a tuple with one ``Tensor`` per array (``(xb, yb)``); the tensors wrap the gathered rows
    with their dtype unchanged and do not require gradients. ``len(loader)`` is the number of batches.

    Example:
        >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
        >>> loader = DataLoader((X, y), batch_size=2)
        >>> len(loader), [yb.tolist() for xb, yb in loader]
        (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(
        self,
        data,
        batch_size=32,
        shuffle: bool = False,
        drop_last: bool = False,
        transform=None,
        num_workers: int = 0,
        trainer_threads="auto",
    ):
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be a function of a batch of inputs, got {transform!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"num_workers must be a whole number >= 0, got {num_workers!r}")
        if trainer_threads not in (None, "auto") and (
            isinstance(trainer_threads, bool)
            or not isinstance(trainer_threads, (int, np.integer))
            or trainer_threads < 1
        ):
            raise ValueError(
                f'trainer_threads must be "auto", None or a whole number >= 1, got {trainer_threads!r}'
            )
        self.transform = transform
        self.num_workers = int(num_workers)
        self.trainer_threads = trainer_threads
        self.dataset = _as_dataset(data)
        self.batch_size = _check_batch_size(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)

    def _step(self) -> int:
        """The number of samples per batch, the whole set for ``batch_size=None``."""
        if self.batch_size is None:
            return max(len(self.dataset), 1)
        return self.batch_size

    def __len__(self) -> int:
        samples, step = len(self.dataset), self._step()
        return samples // step if self.drop_last else -(-samples // step)

    def __iter__(self):
        # The order and the batches' seeds are drawn here, when the epoch starts, not lazily.
        samples = len(self.dataset)
        order = get_rng().permutation(samples) if self.shuffle else None
        indices = self._indices(samples, order)
        seeds = [None] * len(indices)
        if self.transform is not None:
            seeds = get_rng().integers(0, 2**63 - 1, size=len(indices)).tolist()
        if self.num_workers == 0:
            return (self._gather(index, seed) for index, seed in zip(indices, seeds))
        return self._from_workers(indices, seeds)

    def _indices(self, samples: int, order) -> list:
        """Each batch's rows: a slice (a view, no copy) in order, or an array of the shuffled ids."""
        step = self._step()
        stop = samples - samples % step if self.drop_last else samples
        if order is None:
            return [slice(start, min(start + step, samples)) for start in range(0, stop, step)]
        return [order[start : start + step] for start in range(0, stop, step)]

    def _from_workers(self, indices: list, seeds: list):
        """The batches in order, prepared by ``num_workers`` processes up to two batches per worker ahead."""
        methods = multiprocessing.get_all_start_methods()  # fork shares the data without copying it
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        threads = self.trainer_threads
        if threads == "auto":
            threads = max(1, (os.cpu_count() or 1) - self.num_workers)
        limit = contextlib.nullcontext() if threads is None else num_threads(threads)
        with (
            limit,
            ProcessPoolExecutor(
                self.num_workers, mp_context=context, initializer=_start_worker, initargs=(self,)
            ) as pool,
        ):
            pending, jobs = deque(), iter(zip(indices, seeds))
            for index, seed in jobs:
                pending.append(pool.submit(_prepare_in_worker, index, seed))
                if len(pending) >= 2 * self.num_workers:
                    break
            while pending:
                arrays = pending.popleft().result()
                for index, seed in jobs:  # keep the workers busy: one new job per batch taken
                    pending.append(pool.submit(_prepare_in_worker, index, seed))
                    break
                yield tuple(Tensor(array) for array in arrays)

    def _gather(self, index, seed=None) -> tuple:
        """The batch of rows ``index``, its inputs transformed with draws from a generator seeded ``seed``."""
        if isinstance(self.dataset, TensorDataset):
            batch = tuple(Tensor(array[index]) for array in self.dataset.arrays)
        else:
            positions = range(index.start, index.stop) if isinstance(index, slice) else index.tolist()
            batch = _collate([self.dataset[i] for i in positions])
        if self.transform is None:
            return batch
        with fork_rng(seed):
            inputs = np.asarray(self.transform(batch[0].data))
        return (Tensor(inputs),) + batch[1:]

    def __repr__(self) -> str:
        size = "'full'" if self.batch_size is None else self.batch_size
        return (
            f"DataLoader({len(self.dataset)} samples, batch_size={size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, {len(self)} batches"
            + (f", transform={self.transform!r})" if self.transform is not None else ")")
        )


_WORKER_LOADER = None  # in a worker process: the loader whose batches it prepares


def _start_worker(loader) -> None:
    global _WORKER_LOADER
    _WORKER_LOADER = loader


def _prepare_in_worker(index, seed) -> tuple:
    return tuple(tensor.data for tensor in _WORKER_LOADER._gather(index, seed))


def _as_dataset(data) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, tuple):
        return TensorDataset(*data)
    if isinstance(data, (np.ndarray, Tensor)):
        return TensorDataset(data)
    raise TypeError(
        f"DataLoader expects a Dataset or a tuple of arrays such as (X, y), got {type(data).__name__}"
    )


def _check_batch_size(batch_size):
    if batch_size is None or (isinstance(batch_size, str) and batch_size == "full"):
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be a positive integer or 'full', got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 (or 'full' for the whole set), got {batch_size}")
    return int(batch_size)


def _collate(samples: list) -> tuple:
    """Stack a list of samples (each a tuple, or a single value) into one tensor per field."""
    if not isinstance(samples[0], (tuple, list)):
        samples = [(sample,) for sample in samples]
    fields = len(samples[0])
    for position, sample in enumerate(samples):
        if len(sample) != fields:
            raise ValueError(
                f"the dataset's samples differ in length: the batch's first has {fields} fields, "
                f"sample {position} of the batch has {len(sample)}"
            )
    return tuple(
        Tensor(np.stack([np.asarray(as_array(sample[k])) for sample in samples])) for k in range(fields)
    )
