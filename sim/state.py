"""Agent attributes that are views of arrays held for all agents of a kind.

The monthly processes update state for every county, post or R&D unit at once (Starsim's way of keeping a
model's state in arrays); an agent reads and writes its own row through these properties, so that it still
reads like the ODD's entity (``structure.exists``, ``unit.linked``).
"""

from __future__ import annotations


def row_view(holder: str, array: str, cast=float, writable: bool = False, doc: str = "") -> property:
    """A property giving this agent's entry (``self.index``) of ``self.model.<holder>.<array>``."""

    def get(self):
        return cast(getattr(getattr(self.model, holder), array)[self.index])

    def set_(self, value):
        getattr(getattr(self.model, holder), array)[self.index] = value

    return property(get, set_ if writable else None, doc=doc or f"this agent's entry of {holder}.{array}")
