"""glassnet's data layer: data sets, the loader that batches them, and scalers.

- Batching: ``DataLoader`` over a ``Dataset`` or a tuple ``(X, y)``; ``TensorDataset`` for arrays.
- Data sets (``glassnet.data.datasets``): ``logic_gate``; ``make_moons``, ``make_circles``,
  ``make_spirals``, ``make_blobs``; ``load_sklearn`` (an optional extra); ``read_csv``; ``load_mnist``,
  ``load_fashion_mnist``; ``load_tiny_shakespeare``; ``load_sunspots``.
- Preparing: ``StandardScaler``, ``MinMaxScaler``, ``train_test_split``, ``check_finite``.

Arrays come back as NumPy arrays; the loader wraps batches in tensors. Every random draw (shuffling, toy
noise, splits) comes from the generator seeded by ``gn.manual_seed``.
"""

from glassnet.data import augmentation
from glassnet.data.augmentation import (
    Compose,
    GaussianNoise,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
    RandomZoom,
)
from glassnet.data.datasets import (
    FASHION_MNIST_CLASSES,
    GATE_INPUTS,
    GATE_OUTPUTS,
    MISSING_VALUES,
    SKLEARN_DATASETS,
    CSVInfo,
    PlanetoidFileError,
    karate_club,
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_fashion_mnist,
    load_iris,
    load_mnist,
    load_planetoid,
    load_sklearn,
    load_sunspots,
    load_tiny_shakespeare,
    load_wine,
    logic_gate,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    parse_idx,
    read_csv,
    read_idx,
    stochastic_block_model,
)
from glassnet.data.download import ChecksumError, DownloadError, cache_dir
from glassnet.data.features import FEATURES, feature_columns
from glassnet.data.graph import Graph, GraphLoader, batch_graphs
from glassnet.data.loader import DataLoader, Dataset, TensorDataset
from glassnet.data.scalers import MinMaxScaler, NotFittedError, StandardScaler
from glassnet.data.schema import (
    CsvFileError,
    FileFormatError,
    IdxFileError,
    TextFileError,
    TokenizerFileError,
)
from glassnet.data.split import Subset, random_split, train_test_split
from glassnet.data.text import (
    CharTokenizer,
    WordTokenizer,
    language_model_dataset,
    load_tokenizer,
    pad_sequences,
)
from glassnet.data.timeseries import WindowedSeries, make_windows, windowed_series
from glassnet.data.validation import check_finite, check_same_length

__all__ = [
    "Dataset",
    "TensorDataset",
    "DataLoader",
    "StandardScaler",
    "MinMaxScaler",
    "NotFittedError",
    "train_test_split",
    "random_split",
    "Subset",
    "check_finite",
    "check_same_length",
    "logic_gate",
    "GATE_INPUTS",
    "GATE_OUTPUTS",
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_blobs",
    "load_sklearn",
    "SKLEARN_DATASETS",
    "load_digits",
    "load_iris",
    "load_breast_cancer",
    "load_wine",
    "load_diabetes",
    "read_csv",
    "CSVInfo",
    "MISSING_VALUES",
    "load_mnist",
    "load_fashion_mnist",
    "load_tiny_shakespeare",
    "load_sunspots",
    "FASHION_MNIST_CLASSES",
    "read_idx",
    "parse_idx",
    "cache_dir",
    "ChecksumError",
    "FileFormatError",
    "CsvFileError",
    "IdxFileError",
    "TextFileError",
    "TokenizerFileError",
    "DownloadError",
    "augmentation",
    "Compose",
    "RandomShift",
    "RandomRotation",
    "RandomZoom",
    "RandomHorizontalFlip",
    "GaussianNoise",
    "CharTokenizer",
    "WordTokenizer",
    "load_tokenizer",
    "pad_sequences",
    "language_model_dataset",
    "make_windows",
    "windowed_series",
    "WindowedSeries",
]
__all__ += ["Graph", "GraphLoader", "batch_graphs", "load_planetoid", "PlanetoidFileError"]
__all__ += ["stochastic_block_model", "karate_club", "FEATURES", "feature_columns"]
