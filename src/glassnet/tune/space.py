"""Search spaces: what each hyperparameter of a search may be, and the trials a grid or a seed gives.

A space is a dict from a hyperparameter's name to a domain (or to a fixed value)::

    space = {
        "layers": tune.grid([1, 2, 3]),
        "units": tune.choice([32, 64, 128]),
        "lr": tune.loguniform(1e-4, 1e-1),
        "activation": tune.choice(["relu", "tanh"]),
        **tune.per_layer("units", tune.choice([16, 64]), count="layers", most=3),  # units_2, units_3
    }

The words are Ray Tune's (``choice``, ``uniform``, ``loguniform``, ``randint``, ``grid_search`` written
``grid``): a random search draws ``choice`` and ``grid`` alike, a grid search enumerates every finite
domain. A domain made ``.when(key, at_least=n)`` exists only in trials whose ``key`` is at least n (the units
of a third layer exist only when there are three layers); its condition names a key declared before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Domain",
    "choice",
    "grid",
    "uniform",
    "loguniform",
    "randint",
    "per_layer",
    "grid_points",
    "random_points",
    "describe",
]


@dataclass(frozen=True)
class Condition:
    """The domain exists in a trial only when ``trial[key] >= at_least``."""

    key: str
    at_least: float

    def holds(self, point: dict) -> bool:
        return self.key in point and point[self.key] >= self.at_least


class Domain:
    """One hyperparameter's possible values; ``sample(rng)`` draws one, ``values()`` lists a finite one."""

    kind = "domain"
    condition: Condition | None = None

    def sample(self, rng: np.random.Generator):
        raise NotImplementedError

    def values(self) -> list:
        raise ValueError(
            f"a grid search enumerates finite domains; {self!r} is continuous: give grid([...]) values"
        )

    def when(self, key: str, at_least) -> Domain:
        """This domain, existing only in trials whose ``key`` is at least ``at_least``."""
        conditioned = _copy(self)
        conditioned.condition = Condition(key, at_least)
        return conditioned

    def __repr__(self) -> str:
        text = f"{self.kind}({self._arguments()})"
        if self.condition is not None:
            text += f".when({self.condition.key!r}, at_least={self.condition.at_least!r})"
        return text

    def _arguments(self) -> str:
        return ""


def _copy(domain: Domain) -> Domain:
    copy = object.__new__(type(domain))
    copy.__dict__.update(domain.__dict__)
    return copy


class Choice(Domain):
    """One of ``options``, each equally likely in a random search; all of them in a grid."""

    kind = "choice"

    def __init__(self, options):
        self.options = list(options)
        if not self.options:
            raise ValueError(f"{self.kind}() needs at least one value, got {options!r}")

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))]

    def values(self) -> list:
        return list(self.options)

    def _arguments(self) -> str:
        return repr(self.options)


class Grid(Choice):
    """Ray Tune's ``grid_search``: values a grid search enumerates (a random search draws them)."""

    kind = "grid"


class Uniform(Domain):
    """A float drawn uniformly from [low, high)."""

    kind = "uniform"

    def __init__(self, low: float, high: float):
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"{self.kind}(low, high) needs finite low < high, got ({low}, {high})")
        self.low, self.high = float(low), float(high)

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def _arguments(self) -> str:
        return f"{self.low!r}, {self.high!r}"


class LogUniform(Uniform):
    """A float whose logarithm is uniform on [log low, log high): as many draws in [1e-4, 1e-3) as in
    [1e-2, 1e-1), the right prior for a learning rate."""

    kind = "loguniform"

    def __init__(self, low: float, high: float):
        super().__init__(low, high)
        if low <= 0:
            raise ValueError(f"loguniform(low, high) needs 0 < low, got low={low}")

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))


class RandInt(Domain):
    """An integer in [low, high) (high excluded, as NumPy's and Ray's randint); a grid takes them all."""

    kind = "randint"

    def __init__(self, low: int, high: int):
        if not (isinstance(low, int) and isinstance(high, int) and low < high):
            raise ValueError(f"randint(low, high) needs integers low < high, got ({low!r}, {high!r})")
        self.low, self.high = low, high

    def sample(self, rng):
        return int(rng.integers(self.low, self.high))

    def values(self) -> list:
        return list(range(self.low, self.high))

    def _arguments(self) -> str:
        return f"{self.low}, {self.high}"


def choice(options) -> Domain:
    """One of ``options``: drawn with equal chances, enumerated by a grid search."""
    return Choice(options)


def grid(values) -> Domain:
    """Values that a grid search enumerates (Ray Tune's ``grid_search``)."""
    return Grid(values)


def uniform(low: float, high: float) -> Domain:
    """A float uniform on [low, high)."""
    return Uniform(low, high)


def loguniform(low: float, high: float) -> Domain:
    """A float uniform in log scale on [low, high)."""
    return LogUniform(low, high)


def randint(low: int, high: int) -> Domain:
    """An integer in [low, high)."""
    return RandInt(low, high)


def per_layer(name: str, domain: Domain, count: str, most: int, first: int = 2) -> dict:
    """Entries ``name_<k>`` for k = first..most, each existing only when ``count`` reaches k: the units of
    layer 2 and 3 when a trial has that many layers (layer 1 uses ``name`` itself).

    Example:
        >>> for name, domain in per_layer("units", choice([16, 64]), count="layers", most=3).items():
        ...     print(name, domain)
        units_2 choice([16, 64]).when('layers', at_least=2)
        units_3 choice([16, 64]).when('layers', at_least=3)
    """
    return {f"{name}_{k}": domain.when(count, at_least=k) for k in range(first, most + 1)}


def _check(space: dict) -> None:
    if not isinstance(space, dict) or not space:
        raise TypeError(f"a search space is a dict of name -> domain or value, got {space!r}")
    seen = set()
    for key, domain in space.items():
        if isinstance(domain, Domain) and domain.condition is not None and domain.condition.key not in seen:
            raise ValueError(
                f"search space: {key!r} depends on {domain.condition.key!r}, which must be declared before it"
            )
        seen.add(key)


def _active(domain, point: dict) -> bool:
    return not isinstance(domain, Domain) or domain.condition is None or domain.condition.holds(point)


def grid_points(space: dict) -> list:
    """Every trial of a grid search: the product of the finite domains, in declaration order (the last key
    varies fastest); a conditional entry takes part only where its condition holds, so ``layers = 1`` does
    not repeat once per value of ``units_2``.

    Example:
        >>> grid_points({"layers": grid([1, 2]), "units_2": grid([8, 16]).when("layers", at_least=2)})
        [{'layers': 1}, {'layers': 2, 'units_2': 8}, {'layers': 2, 'units_2': 16}]
    """
    _check(space)
    points = [{}]
    for key, domain in space.items():
        options = domain.values() if isinstance(domain, Domain) else [domain]
        points = [
            {**point, key: value} if _active(domain, point) else point
            for point in points
            for value in (options if _active(domain, point) else [None])
        ]
    return points


def random_points(space: dict, n_trials: int, seed: int) -> list:
    """``n_trials`` trials drawn from ``space`` with NumPy's generator seeded by ``seed``: the same seed
    gives the same trials, on any machine and with any executor."""
    _check(space)
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(n_trials):
        point = {}
        for key, domain in space.items():
            if _active(domain, point):
                point[key] = domain.sample(rng) if isinstance(domain, Domain) else domain
        points.append(point)
    return points


def describe(space: dict) -> dict:
    """The space as text, for the results folder's record of what was searched."""
    return {key: repr(domain) for key, domain in space.items()}
