"""Agent attributes that are views of arrays held for all agents of a kind.

The monthly processes update state for every county, post or R&D unit at once (Starsim's way of keeping a
model's state in arrays); an agent reads and writes its own row through these properties, so that it still
reads like the ODD's entity (``structure.exists``, ``unit.linked``). Arrays derived from such state that
change only when it changes (a few times a year) are kept in a ``Derived`` cache instead of being made
again each month.
"""

from __future__ import annotations


def row_view(holder: str, array: str, cast=float, writable: bool = False, doc: str = "") -> property:
    """A property giving this agent's entry (``self.index``) of ``self.model.<holder>.<array>``."""

    def get(self):
        return cast(getattr(getattr(self.model, holder), array)[self.index])

    def set_(self, value):
        getattr(getattr(self.model, holder), array)[self.index] = value

    return property(get, set_ if writable else None, doc=doc or f"this agent's entry of {holder}.{array}")


class Derived:
    """Arrays made from state held in arrays, made again only when their key changes (the bytes of the arrays
    they come from, or a counter bumped by every change). They are shared by all callers, so read-only."""

    def __init__(self):
        self._made: dict[str, tuple] = {}

    def __call__(self, name: str, key: tuple, make):
        """The array (or tuple of arrays) `make()` gives for `key`."""
        hit = self._made.get(name)
        if hit is None or hit[0] != key:
            value = make()
            for a in value if isinstance(value, tuple) else (value,):
                a.flags.writeable = False
            hit = self._made[name] = (key, value)
        return hit[1]
