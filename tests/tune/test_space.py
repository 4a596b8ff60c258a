"""Search spaces: a grid enumerates exactly its grid, a random search repeats from its seed."""

import itertools

import numpy as np
import pytest

from glassnet import tune


def test_grid_enumerates_exactly_the_product_in_order():
    space = {"layers": tune.grid([1, 2, 3]), "lr": tune.grid([0.1, 0.01]), "activation": "relu"}
    points = tune.grid_points(space)
    expected = [
        {"layers": layers, "lr": lr, "activation": "relu"}
        for layers, lr in itertools.product([1, 2, 3], [0.1, 0.01])
    ]
    assert points == expected


def test_grid_takes_choice_and_randint_values_and_refuses_continuous_domains():
    points = tune.grid_points({"units": tune.choice([8, 16]), "k": tune.randint(0, 3)})
    assert points == [{"units": u, "k": k} for u in (8, 16) for k in (0, 1, 2)]
    with pytest.raises(ValueError, match="loguniform.*continuous: give grid"):
        tune.grid_points({"lr": tune.loguniform(1e-4, 1e-1)})


def test_conditional_entries_exist_only_when_the_layer_count_reaches_them():
    space = {
        "layers": tune.grid([1, 2, 3]),
        "units": tune.grid([8, 32]),
        **tune.per_layer("units", tune.grid([4, 16]), count="layers", most=3),
    }
    points = tune.grid_points(space)
    # layers=1: 2 points; layers=2: 2*2; layers=3: 2*2*2 -- no point repeated for an absent layer's units
    assert len(points) == 2 + 4 + 8
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)
    assert all(
        ("units_2" in p) == (p["layers"] >= 2) and ("units_3" in p) == (p["layers"] >= 3) for p in points
    )
    assert points[:3] == [
        {"layers": 1, "units": 8},
        {"layers": 1, "units": 32},
        {"layers": 2, "units": 8, "units_2": 4},
    ]


def test_a_condition_on_a_later_key_is_refused():
    with pytest.raises(ValueError, match="'units_2' depends on 'layers', which must be declared before it"):
        tune.grid_points({"units_2": tune.grid([4]).when("layers", at_least=2), "layers": tune.grid([1, 2])})


def test_random_search_is_reproducible_from_its_seed_and_differs_with_another():
    space = {
        "layers": tune.randint(1, 4),
        "lr": tune.loguniform(1e-4, 1e-1),
        "dropout": tune.uniform(0.0, 0.5),
        "activation": tune.choice(["relu", "tanh", "elu"]),
        **tune.per_layer("units", tune.choice([16, 64]), count="layers", most=3),
    }
    first, again = tune.random_points(space, 20, seed=7), tune.random_points(space, 20, seed=7)
    assert first == again
    assert first != tune.random_points(space, 20, seed=8)
    # the same draws as NumPy's generator makes them, in declaration order
    rng = np.random.default_rng(7)
    layers = int(rng.integers(1, 4))
    lr = float(np.exp(rng.uniform(np.log(1e-4), np.log(1e-1))))
    assert first[0]["layers"] == layers and first[0]["lr"] == lr
    assert all(("units_3" in p) == (p["layers"] == 3) for p in first)
    assert all(1e-4 <= p["lr"] < 1e-1 and 0 <= p["dropout"] < 0.5 for p in first)


def test_loguniform_spreads_evenly_over_decades():
    draws = np.array([p["lr"] for p in tune.random_points({"lr": tune.loguniform(1e-4, 1.0)}, 4000, seed=0)])
    per_decade = np.histogram(np.log10(draws), bins=[-4, -3, -2, -1, 0])[0]
    assert np.all(np.abs(per_decade - 1000) < 100)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: tune.choice([]), r"choice\(\) needs at least one value"),
        (lambda: tune.uniform(1.0, 1.0), r"needs finite low < high, got \(1.0, 1.0\)"),
        (lambda: tune.loguniform(0.0, 1.0), "needs 0 < low, got low=0.0"),
        (lambda: tune.randint(3, 2), r"needs integers low < high, got \(3, 2\)"),
    ],
)
def test_bad_domains_say_what_was_expected(make, message):
    with pytest.raises(ValueError, match=message):
        make()
