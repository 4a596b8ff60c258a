"""One registry per string-named family (activations, losses, initializers, regularizers, ...), with one
``get()`` that turns a name into an object and lists the valid names when a name is unknown."""

from __future__ import annotations

__all__ = ["Registry"]


class Registry:
    """Names to factories for one family. ``get(name)`` builds a fresh object; an object passes through."""

    def __init__(self, family: str, base: type | None = None):
        self.family = family
        self.base = base
        self._factories: dict = {}

    def register(self, *names: str):
        """Class decorator: make the class available under ``names`` (snake_case)."""

        def decorate(factory):
            for name in names:
                self._factories[name] = factory
            return factory

        return decorate

    def add(self, name: str, factory) -> None:
        self._factories[name] = factory

    def names(self) -> list:
        return sorted(self._factories)

    def factories(self) -> dict:
        """Name -> factory (a class, for the module families), in the order they were registered."""
        return dict(self._factories)

    def get(self, identifier, **kwargs):
        """An object for ``identifier``: a registered name (built with ``kwargs``), a saved config
        {"class": ..., "config": ...} of a registered class, or an object already of the family (as is)."""
        if isinstance(identifier, dict) and set(identifier) == {"class", "config"}:
            classes = {factory.__name__: factory for factory in self._factories.values()}
            if identifier["class"] not in classes:
                raise ValueError(
                    f"unknown {self.family} class {identifier['class']!r}; valid classes: "
                    f"{', '.join(sorted(classes))}"
                )
            return classes[identifier["class"]](**identifier["config"])
        if isinstance(identifier, str):
            key = identifier.lower()
            if key not in self._factories:
                raise ValueError(
                    f"unknown {self.family} {identifier!r}; valid names: {', '.join(self.names())}"
                )
            return self._factories[key](**kwargs)
        if self.base is not None and not isinstance(identifier, self.base) and not callable(identifier):
            raise TypeError(f"expected a {self.family} name or object, got {identifier!r}")
        return identifier
