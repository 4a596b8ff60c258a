"""load_planetoid: the real Cora and Citeseer (../shared/data/planetoid), and the restricted unpickler that
reads them: a crafted pickle runs nothing, and data of the wrong layout is refused in one line."""

import os
import pickle
import shutil

import numpy as np
import pytest

from glassnet.data import PlanetoidFileError, load_planetoid
from glassnet.data.datasets import planetoid
from glassnet.data.download import ChecksumError

from .conftest import SHARED_DATA

PLANETOID = SHARED_DATA / "planetoid"


@pytest.fixture
def shared():
    if not (PLANETOID / "ind.cora.x").is_file():
        pytest.skip(f"the Planetoid files are not at {PLANETOID} (../shared/data beside the checkout)")
    return PLANETOID


def test_cora_is_the_gcn_papers_graph_and_split(shared):
    graph = load_planetoid("cora", path=shared, download=False)
    assert (graph.num_nodes, graph.num_edges, graph.num_features) == (2708, 10556, 1433)
    assert graph.is_undirected() and not (graph.edge_index[0] == graph.edge_index[1]).any()
    assert np.bincount(graph.y).tolist() == [351, 217, 418, 818, 426, 298, 180]
    assert np.flatnonzero(graph.train_mask).tolist() == list(range(140))
    assert np.flatnonzero(graph.val_mask).tolist() == list(range(140, 640))
    assert graph.test_mask.sum() == 1000 and np.flatnonzero(graph.test_mask).min() == 1708
    assert np.bincount(graph.y[graph.train_mask]).tolist() == [20] * 7
    assert set(np.unique(graph.x)) == {0.0, 1.0}
    normalized = load_planetoid("cora", path=shared, download=False, normalize_features=True)
    np.testing.assert_allclose(normalized.x.sum(axis=1), 1.0, rtol=1e-6)


def test_citeseer_gets_its_isolated_test_range_nodes_added(shared):
    graph = load_planetoid("citeseer", path=shared, download=False)
    assert (graph.num_nodes, graph.num_edges, graph.num_features) == (3327, 9104, 3703)
    assert graph.train_mask.sum() == 120 and graph.test_mask.sum() == 1000
    assert (graph.x.sum(axis=1) == 0).sum() >= 15  # the 15 added nodes have no features


def test_a_file_that_is_not_the_published_one_is_refused(shared, tmp_path):
    for path in shared.glob("ind.cora.*"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "ind.cora.y").write_bytes(b"not the labels")
    with pytest.raises(ChecksumError, match="ind.cora.y is not the published ind.cora.y"):
        load_planetoid("cora", path=tmp_path, download=False)


class _Payload:
    """Unpickled by a plain ``pickle.loads``, this would create ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_crafted_pickle_runs_nothing(tmp_path, protocol):
    created = tmp_path / "created"
    crafted = pickle.dumps(_Payload(created), protocol=protocol)
    with pytest.raises(PlanetoidFileError, match=r"the pickle asks for (posix|os)\.system; .* may name only"):
        planetoid._unpickle(crafted, "ind.cora.x")
    assert not created.exists()
    pickle.loads(crafted)  # the control: the same bytes, unrestricted, do create it
    assert created.exists()


def test_only_the_six_globals_are_allowed():
    assert set(planetoid.SafeUnpickler.ALLOWED) == {
        ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
        ("scipy.sparse.csr", "csr_matrix"), ("collections", "defaultdict"), ("__builtin__", "list"),
    }
    evil = b"cbuiltins\neval\n(S'1+1'\ntR."
    with pytest.raises(PlanetoidFileError, match=r"asks for builtins\.eval"):
        planetoid._unpickle(evil, "ind.cora.graph")


def test_data_of_the_wrong_layout_is_refused(monkeypatch):
    contents = {key: pickle.dumps([[0.0, 1.0]], protocol=2) for key in planetoid.PARTS}  # no globals
    monkeypatch.setattr(planetoid, "_read", lambda name, key, *rest: contents[key])
    with pytest.raises(PlanetoidFileError, match=r"ind\.cora\.x: expected a CSR feature matrix, got list"):
        load_planetoid("cora", download=False)


def test_a_csr_state_out_of_bounds_is_refused():
    state = planetoid.CSRState()
    state.__setstate__({"data": np.ones(2), "indices": np.array([0, 9]), "indptr": np.array([0, 1, 2]),
                        "_shape": (2, 3)})
    with pytest.raises(PlanetoidFileError, match=r"a CSR matrix \(2 x 3\) whose indices or indptr"):
        state.dense("ind.cora.x")
