"""Turning modules, activations, initializers, regularizers and losses into plain data and back.

``serialize(obj)`` gives ``{"class": "Dense", "config": {...}}`` where the config holds the constructor's
arguments as JSON-able values (nested objects serialized the same way); ``deserialize`` finds the class
by name among glassnet's (and ``custom_objects``) and calls ``cls.from_config(config)``. The file format
that stores this lives in ``glassnet.io``; this module knows only the objects.
"""

from __future__ import annotations

from glassnet.nn.initializers import Initializer
from glassnet.nn.losses import Loss
from glassnet.nn.module import Module
from glassnet.nn.regularizers import Regularizer

__all__ = ["serialize", "deserialize", "known_classes"]

_BASES = (Module, Initializer, Regularizer, Loss)


def serialize(obj):
    """Plain data for ``obj``: None, a string name as given, or {"class": ..., "config": ...}."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if not isinstance(obj, _BASES):
        raise TypeError(
            f"cannot save {obj!r}: only glassnet modules, activations, initializers, "
            "regularizers and losses (or their subclasses) have a config"
        )
    return {"class": type(obj).__name__, "config": obj.get_config()}


def _subclasses(base):
    for cls in base.__subclasses__():
        yield cls
        yield from _subclasses(cls)


def known_classes(custom_objects=None) -> dict:
    """Class name -> class, for every glassnet object that can be rebuilt from a config."""
    classes = {}
    for base in _BASES:
        for cls in _subclasses(base):
            if not cls.__name__.startswith("_"):
                classes.setdefault(cls.__name__, cls)
    classes.update(custom_objects or {})
    return classes


def deserialize(data, custom_objects=None):
    """Rebuild what ``serialize`` produced (plain values pass through)."""
    if not isinstance(data, dict):
        return data
    if set(data) != {"class", "config"}:
        raise ValueError(f"not a serialized glassnet object: {data!r}")
    classes = known_classes(custom_objects)
    name = data["class"]
    if name not in classes:
        raise ValueError(
            f"unknown class {name!r} in the saved model; if it is your own, pass "
            f"custom_objects={{{name!r}: {name}}}"
        )
    cls = classes[name]
    config = dict(data["config"])
    from_config = getattr(cls, "from_config", None)
    return from_config(config, custom_objects) if from_config is not None else cls(**config)
