"""data.Graph: the checks on what it is given, self-loops, undirected edges, GCN's normalized adjacency,
networkx, batching graphs, the loader that feeds fit, and the stochastic block model."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import Graph, GraphLoader, batch_graphs, stochastic_block_model

PATH = [[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]  # the path 0 - 1 - 2 - 3, both directions


def path_graph(**kwargs):
    return Graph(np.arange(8.0).reshape(4, 2), PATH, **kwargs)


@pytest.mark.parametrize("arguments, message", [
    ({"edge_index": [[0, 4], [1, 0]]},
     r"refers to node 4 \(at edge 1\), but the graph has 4 nodes, numbered 0 to 3"),
    ({"edge_index": [[0, -1], [1, 0]]}, r"negative node number \(-1, at edge 1\)"),
    ({"edge_index": [[0, 1, 2]]}, r"edge_index must have shape \(2, E\), got \(1, 3\)"),
    ({"edge_index": np.zeros((3, 2), dtype=int)}, r"edge_index must have shape \(2, E\), got \(3, 2\)"),
    ({"edge_index": [[0.0, 1.0], [1.0, 0.0]]}, "must hold integer node numbers, got dtype float64"),
    ({"y": [0, 1, 0]}, "x has 4 nodes but y has 3 labels"),
    ({"train_mask": [True, False, True]},
     r"train_mask must have one entry per node, shape \(4,\), got \(3,\)"),
    ({"val_mask": [1, 0, 0, 1]}, "val_mask must be a boolean array of 4 entries, got dtype int64"),
    ({"edge_weight": [1.0, 2.0]}, r"edge_weight must have one weight per edge, shape \(6,\), got \(2,\)"),
])
def test_bad_input_is_refused_in_one_line(arguments, message):
    arguments = {"edge_index": PATH, **arguments}
    with pytest.raises(ValueError, match=message) as error:
        Graph(np.zeros((4, 2)), **arguments)
    assert "\n" not in str(error.value)


def test_self_loops_leave_exactly_one_per_node_and_keep_a_loops_weight():
    graph = Graph(np.zeros((3, 1)), [[0, 1, 1], [1, 1, 0]], edge_weight=[2.0, 5.0, 3.0])
    looped = graph.add_self_loops()
    assert looped.edge_index.tolist() == [[0, 1, 0, 1, 2], [1, 0, 0, 1, 2]]
    assert looped.edge_weight.tolist() == [2.0, 3.0, 1.0, 5.0, 1.0]
    assert looped.remove_self_loops().edge_index.tolist() == [[0, 1], [1, 0]]


def test_to_undirected_adds_the_reverse_edges_once():
    graph = Graph(num_nodes=3, edge_index=[[0, 1, 2, 1], [1, 0, 1, 2]]).remove_self_loops()
    undirected = Graph(num_nodes=3, edge_index=[[0, 2], [1, 1]]).to_undirected()
    assert undirected.edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert graph.is_undirected() and not Graph(num_nodes=3, edge_index=[[0], [1]]).is_undirected()


def test_normalized_adjacency_is_d_to_the_minus_half_a_plus_i_d_to_the_minus_half():
    a_tilde = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]], dtype=float)
    degree = a_tilde.sum(axis=1)  # 2, 3, 3, 2
    expected = a_tilde / np.sqrt(np.outer(degree, degree))
    np.testing.assert_allclose(path_graph().normalized_adjacency(), expected, rtol=1e-15)
    assert expected[0, 1] == pytest.approx(1 / np.sqrt(6))


def test_networkx_round_trip_keeps_nodes_edges_and_weights():
    networkx = pytest.importorskip("networkx")
    graph = Graph(num_nodes=3, edge_index=[[0, 1], [1, 2]], edge_weight=[0.5, 2.0])
    directed = graph.to_networkx()
    assert sorted(directed.edges(data="weight")) == [(0, 1, 0.5), (1, 2, 2.0)]
    back = Graph.from_networkx(directed, weight="weight")
    assert back.edge_index.tolist() == [[0, 1], [1, 2]] and back.edge_weight.tolist() == [0.5, 2.0]
    undirected = Graph.from_networkx(networkx.path_graph(3))
    assert undirected.edge_index.tolist() == [[0, 1, 1, 2], [1, 2, 0, 1]]


def test_batching_shifts_node_numbers_and_names_each_nodes_graph():
    first = Graph(np.ones((2, 3)), [[0], [1]], y=np.array(1))
    second = Graph(np.zeros((3, 3)), [[0, 2], [1, 1]], y=np.array(0))
    batch = batch_graphs([first, second])
    assert batch.edge_index.tolist() == [[0, 2, 4], [1, 3, 3]]
    assert batch.batch.tolist() == [0, 0, 1, 1, 1]
    assert batch.y.tolist() == [1, 0] and batch.num_graphs == 2
    np.testing.assert_array_equal(batch.x.sum(axis=1), [3, 3, 0, 0, 0])


def test_the_loader_of_one_graph_gives_the_whole_graph_and_the_masked_labels():
    mask = np.array([True, False, True, False])
    graph = path_graph(y=np.array([3, 1, 2, 0]), train_mask=mask)
    (view, targets), = list(GraphLoader(graph, mask="train_mask"))
    assert view.num_nodes == 4 and view.output_mask.tolist() == mask.tolist()
    assert targets.data.tolist() == [3, 2]
    with pytest.raises(ValueError, match="the graph has no val_mask"):
        GraphLoader(graph, mask="val_mask")


def test_the_loader_of_many_graphs_shuffles_them_from_the_seed():
    graphs = [Graph(np.full((1, 1), k), num_nodes=1, y=np.array(k)) for k in range(5)]
    loader = GraphLoader(graphs, batch_size=2, shuffle=True)
    gn.manual_seed(3)
    first = [targets.data.tolist() for _, targets in loader]
    gn.manual_seed(3)
    assert [targets.data.tolist() for _, targets in loader] == first
    assert len(loader) == 3 and sorted(sum(first, [])) == [0, 1, 2, 3, 4]


def test_stochastic_block_model_links_communities_as_asked():
    gn.manual_seed(0)
    graph = stochastic_block_model((40, 40), p_in=0.3, p_out=0.0, features=4)
    same = graph.y[graph.edge_index[0]] == graph.y[graph.edge_index[1]]
    assert same.all() and graph.is_undirected()
    # about p_in of the 2 · C(40, 2) pairs inside the communities, both directions
    assert 0.2 < graph.num_edges / (2 * 2 * 780) < 0.4
    assert graph.train_mask.sum() == 10 and graph.val_mask.sum() == 30
    assert not (graph.train_mask & graph.test_mask).any()


def test_karate_club_has_its_members_friendships_and_factions():
    pytest.importorskip("networkx", reason="the karate club comes from networkx: pip install networkx")
    from glassnet.data import karate_club

    club = karate_club()
    assert (club.num_nodes, club.num_edges) == (34, 156) and club.is_undirected()
    assert np.bincount(club.y).tolist() == [17, 17] and club.y[0] == 0 and club.y[33] == 1
    assert np.flatnonzero(club.train_mask).tolist() == [0, 1, 32, 33]
    np.testing.assert_array_equal(club.x, np.eye(34))
