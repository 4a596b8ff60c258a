"""The Planetoid citation graphs (Cora, Citeseer) in the files of the GCN paper's code (Kipf & Welling,
``tkipf/gcn``, from Yang, Cohen & Salakhutdinov's Planetoid), read safely.

The files are Python 2 pickles, and ``pickle.load`` runs whatever a pickle asks for. They are read only
through ``SafeUnpickler``, which hands out exactly the six globals the published files name (the NumPy array
machinery, a CSR matrix, ``defaultdict`` and ``list``) and refuses any other with a ``PlanetoidFileError``,
before anything is called. The CSR matrix is not SciPy's: its state goes into a small NumPy-only holder
(no SciPy code runs, and SciPy is not needed). Every file is checked against its published SHA-256 first,
and what it holds against the layout the loader expects (types, shapes, bounds).
"""

from __future__ import annotations

import collections
import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet.data.download import ChecksumError, cache_dir, data_dirs, download, mirrors_of, not_found
from glassnet.data.download import sha256_of as _sha256
from glassnet.data.graph import Graph
from glassnet.data.schema import FileFormatError

__all__ = ["load_planetoid", "PlanetoidFileError", "SafeUnpickler", "PLANETOID_FILES"]


class PlanetoidFileError(FileFormatError):
    """A Planetoid file that names a global it may not, or holds something other than the published data."""


MIRRORS = (
    "https://raw.githubusercontent.com/tkipf/gcn/master/gcn/data/",
    "https://raw.githubusercontent.com/kimiyoung/planetoid/master/data/",
)
PARTS = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")

# (bytes, SHA-256) of each published file, as ../shared/data/README.md lists them.
PLANETOID_FILES = {
    "cora": {
        "allx": (257305, "9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543"),
        "ally": (47959, "2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71"),
        "graph": (59847, "58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d"),
        "test.index": (5000, "297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875"),
        "tx": (148025, "b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a"),
        "ty": (28135, "41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad"),
        "x": (22119, "23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab"),
        "y": (4054, "94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1"),
    },
    "citeseer": {
        "allx": (595021, "2ac30345d95c9ec933a817ee0bdd6a5f077f8c184a20e696910192d534414668"),
        "ally": (55623, "f704b2d986dde6c2669934de1f3ae5696a6cf9455c0f6b2646a2d135ea0a1c95"),
        "graph": (61987, "d79a4ef9d3e7169aee8946145f6b7306e35bc79bffad26346cfb94e10e9912a7"),
        "test.index": (5000, "2af990671580b6b2df5d158d1038f8292e30c9cd821b5453f399659b25b723d4"),
        "tx": (260321, "539a8906a2da97628d212f2fdd668c109a8b3f0d36574b59e5d3fd5b5303da21"),
        "ty": (24135, "55e5bd1ba1e733a04598753ad1a8d57957f4b8f89e74519f41f4f4938767e4ce"),
        "x": (31087, "d20de19150741e555de0ed037195630fc194114ebc7fd72ced62810148aa22f6"),
        "y": (3014, "8ba87e515d8e3ee3cf52f6d2c5b86aa73f11ecad825a808455209ec26cd54924"),
    },
}
VALIDATION_NODES = 500  # the Planetoid split: the 500 nodes after the training ones


class CSRState:
    """What a pickled ``scipy.sparse.csr_matrix`` holds (``data``, ``indices``, ``indptr``, ``_shape``),
    kept as NumPy arrays and checked before use; ``dense()`` builds the matrix. No SciPy involved."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise PlanetoidFileError(f"a CSR matrix's state must be a dict, got {type(state).__name__}")
        self.state = state

    def dense(self, source: str) -> np.ndarray:
        state = self.state
        try:
            data, indices, indptr = (np.asarray(state[key]) for key in ("data", "indices", "indptr"))
            rows, columns = (int(n) for n in state["_shape"])
        except (KeyError, TypeError, ValueError) as error:
            raise PlanetoidFileError(f"{source}: a CSR matrix without data, indices, indptr and _shape "
                                     f"({error})") from None
        if (indptr.shape != (rows + 1,) or indptr[0] != 0 or np.any(np.diff(indptr) < 0)
                or indptr[-1] != len(indices) or data.shape != indices.shape
                or (indices.size and (indices.min() < 0 or indices.max() >= columns))):
            raise PlanetoidFileError(f"{source}: a CSR matrix ({rows} x {columns}) whose indices or indptr "
                                     "are out of bounds")
        dense = np.zeros((rows, columns), dtype=np.float32)
        dense[np.repeat(np.arange(rows), np.diff(indptr)), indices] = data
        return dense


def _reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct  # noqa: PLC0415 - NumPy 2's home
    except ImportError:  # NumPy 1
        from numpy.core.multiarray import _reconstruct  # noqa: PLC0415
    return _reconstruct


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the six globals of the Planetoid files, under their Python 2 and
    old NumPy/SciPy names; any other global (``os.system``, ``builtins.eval``, ...) raises
    ``PlanetoidFileError`` before it is looked up, so a crafted file runs nothing."""

    ALLOWED = {
        ("numpy", "ndarray"): lambda: np.ndarray,
        ("numpy", "dtype"): lambda: np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("scipy.sparse.csr", "csr_matrix"): lambda: CSRState,
        ("collections", "defaultdict"): lambda: collections.defaultdict,
        ("__builtin__", "list"): lambda: list,
    }

    def __init__(self, file, source: str):
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            allowed = ", ".join(f"{m}.{n}" for m, n in self.ALLOWED)
            raise PlanetoidFileError(f"{self.source}: the pickle asks for {module}.{name}; a Planetoid file "
                                     f"may name only {allowed}")
        return self.ALLOWED[(module, name)]()


def _unpickle(content: bytes, source: str):
    try:
        return SafeUnpickler(io.BytesIO(content), source).load()
    except PlanetoidFileError:
        raise
    except Exception as error:  # a damaged pickle: any of pickle's many errors
        kind = type(error).__name__
        raise PlanetoidFileError(f"{source}: not a readable pickle ({kind}: {error})") from None


@dataclass
class _Parts:
    source: str
    arrays: dict

    def features(self, key: str) -> np.ndarray:
        value = self.arrays[key]
        if not isinstance(value, CSRState):
            raise PlanetoidFileError(f"{self.source}.{key}: expected a CSR feature matrix, got "
                                     f"{type(value).__name__}")
        return value.dense(f"{self.source}.{key}")

    def labels(self, key: str, rows: int) -> np.ndarray:
        value = self.arrays[key]
        if not isinstance(value, np.ndarray) or value.ndim != 2 or len(value) != rows:
            raise PlanetoidFileError(f"{self.source}.{key}: expected one-hot labels of {rows} rows, got "
                                     f"{getattr(value, 'shape', type(value).__name__)}")
        return value


def _read(name: str, key: str, dirs: list, allow_download: bool, mirror) -> bytes:
    filename = f"ind.{name}.{key}"
    size, digest = PLANETOID_FILES[name][key]
    found = next((d / filename for d in dirs if (d / filename).is_file()), None)

    def verify(path: Path) -> bytes:
        if path.stat().st_size != size:
            raise ChecksumError(f"{path} is not the published {filename}: {path.stat().st_size:,} bytes, "
                                f"expected {size:,}")
        content = path.read_bytes()
        if _sha256(content) != digest:
            raise ChecksumError(f"{path} is not the published {filename}: its SHA-256 is {_sha256(content)}, "
                                f"expected {digest}")
        return content

    if found is None:
        if not allow_download:
            raise not_found(f"Planetoid file {filename}", dirs)
        target = dirs[0] if len(dirs) == 1 else cache_dir("planetoid")
        urls = [base.rstrip("/") + "/" + filename for base in mirrors_of(mirror, MIRRORS)]
        found = download(urls, target / filename, verify=verify, max_bytes=size)
    return verify(found)


def load_planetoid(
    name: str, path=None, download: bool = True, mirror=None, normalize_features: bool = False
) -> Graph:
    """Cora or Citeseer with the Planetoid split of the GCN paper, as a ``Graph``.

    Cora: 2,708 papers, 1,433 binary word features, 7 classes, 10,556 directed edges (5,278 undirected,
    self-links and duplicates dropped, as PyTorch Geometric does). Citeseer: 3,327 papers (15 isolated
    test-range nodes missing from the files are added with zero features and label 0, as the GCN code
    and PyTorch Geometric do), 3,703 features, 6 classes. Masks: the first 20 per class for training
    (Cora: the first 140 nodes), the next 500 for validation, the 1,000 of ``test.index`` for testing.

    Args:
        name: "cora" or "citeseer".
        path: a directory holding the ``ind.NAME.*`` files; else ``$GLASSNET_DATA/planetoid``,
            ``$GLASSNET_DATA`` and the cache are searched.
        download: fetch missing files (SHA-256 checked) from ``mirror`` or the GCN repository.
        normalize_features: divide each node's features by their sum (the GCN code's preprocessing).

    Raises:
        PlanetoidFileError: a file names a global other than the six allowed, or is not the published data.
        ChecksumError: a file is not byte for byte the published one.
    """
    if name not in PLANETOID_FILES:
        raise ValueError(f"load_planetoid: name must be one of {sorted(PLANETOID_FILES)}, got {name!r}")
    dirs = data_dirs("planetoid", path)
    raw = {key: _read(name, key, dirs, download, mirror) for key in PARTS}
    source = f"ind.{name}"
    parts = _Parts(source, {key: _unpickle(raw[key], f"{source}.{key}") for key in PARTS[:-1]})
    x, tx, allx = (parts.features(key) for key in ("x", "tx", "allx"))
    y, ty, ally = parts.labels("y", len(x)), parts.labels("ty", len(tx)), parts.labels("ally", len(allx))
    try:
        test_index = np.array([int(line) for line in raw["test.index"].decode("ascii").split()])
    except ValueError as error:
        raise PlanetoidFileError(f"{source}.test.index: not one node number a line ({error})") from None
    if len(test_index) != len(tx) or test_index.min() < len(allx):
        raise PlanetoidFileError(f"{source}.test.index: {len(test_index)} test nodes from "
                                 f"{test_index.min()}, expected {len(tx)} after the {len(allx)} others")
    test_range = np.sort(test_index)
    full = np.arange(test_range[0], test_range[-1] + 1)  # Citeseer: some of these are missing
    tx_full = np.zeros((len(full), tx.shape[1]), dtype=tx.dtype)
    ty_full = np.zeros((len(full), ty.shape[1]), dtype=ty.dtype)
    tx_full[test_range - test_range[0]], ty_full[test_range - test_range[0]] = tx, ty
    features, labels = np.vstack([allx, tx_full]), np.vstack([ally, ty_full])
    features[test_index], labels[test_index] = features[test_range], labels[test_range]
    nodes = len(features)
    edge_index = _edges(parts.arrays["graph"], nodes, f"{source}.graph")
    if normalize_features:
        sums = features.sum(axis=1, keepdims=True)
        features = np.divide(features, sums, out=np.zeros_like(features), where=sums > 0)
    masks = [np.zeros(nodes, dtype=bool) for _ in range(3)]
    masks[0][: len(y)] = True
    masks[1][len(y) : len(y) + VALIDATION_NODES] = True
    masks[2][test_index] = True
    graph = Graph(features, edge_index, y=labels.argmax(axis=1), num_nodes=nodes)
    graph = graph.remove_self_loops().to_undirected()
    return Graph(graph.x, graph.edge_index, y=graph.y, train_mask=masks[0], val_mask=masks[1],
                 test_mask=masks[2])


def _edges(adjacency, nodes: int, source: str) -> np.ndarray:
    """The dict {node: [neighbours]} as (2, E), checked: integer node numbers below ``nodes``."""
    if not isinstance(adjacency, dict):
        raise PlanetoidFileError(f"{source}: expected a dict of neighbour lists, got "
                                 f"{type(adjacency).__name__}")
    sources, targets = [], []
    for node, neighbours in adjacency.items():
        if not isinstance(node, int) or not isinstance(neighbours, list):
            raise PlanetoidFileError(f"{source}: expected int -> list entries, got {node!r} -> "
                                     f"{type(neighbours).__name__}")
        sources += [node] * len(neighbours)
        targets += neighbours
    edges = np.array([sources, targets])
    if edges.size and (edges.dtype.kind not in "iu" or edges.min() < 0 or edges.max() >= nodes):
        raise PlanetoidFileError(f"{source}: neighbours must be node numbers from 0 to {nodes - 1}")
    return edges.astype(np.int64).reshape(2, -1)
