"""Data sets: logic gates, toy 2-D sets, scikit-learn's bundled sets, CSV files, MNIST and Fashion-MNIST,
tiny Shakespeare, the sunspot numbers."""

from glassnet.data.datasets.corpora import TINY_SHAKESPEARE_SHA256, load_tiny_shakespeare
from glassnet.data.datasets.csv_file import MISSING_VALUES, CSVInfo, read_csv
from glassnet.data.datasets.gates import GATE_INPUTS, GATE_OUTPUTS, logic_gate
from glassnet.data.datasets.graphs import karate_club, stochastic_block_model
from glassnet.data.datasets.idx import (
    FASHION_MNIST_CLASSES,
    load_fashion_mnist,
    load_mnist,
    parse_idx,
    read_idx,
)
from glassnet.data.datasets.planetoid import PlanetoidFileError, load_planetoid
from glassnet.data.datasets.series import load_sunspots
from glassnet.data.datasets.sklearn_sets import (
    SKLEARN_DATASETS,
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_sklearn,
    load_wine,
)
from glassnet.data.datasets.toy import make_blobs, make_circles, make_moons, make_spirals

__all__ = [
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
    "FASHION_MNIST_CLASSES",
    "read_idx",
    "parse_idx",
    "load_tiny_shakespeare",
    "TINY_SHAKESPEARE_SHA256",
    "load_sunspots",
]
__all__ += ["load_planetoid", "PlanetoidFileError", "stochastic_block_model", "karate_club"]
