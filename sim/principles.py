"""Choosing the organising principle: the drift toward the unit principle (ODD submodel "Regional support
structure", *Choosing the principle*).

Seed 004 ('Samordning med övrigt utvecklingsarbete') sees 'en viss tendens till att enhetsprincipen blir
allt vanligare', driven by 'ett ökat behov av samverkan mellan de olika utvecklingsområdena', and no move
the other way. Each January a functioning network-principle structure, whose principle is neither data for
the year nor fixed by a scenario, may gather its development leaders in one unit. The big-city counties
stay on the network principle because many parties must agree, not by a flag.
"""

from __future__ import annotations

import numpy as np

from .parameters import AREAS


def gathering_chance(regional) -> np.ndarray:
    """Per county, this year's chance that a network-principle structure gathers its development leaders in
    one unit: the cross-area contact its linked leaders lack (1 - their mean colleague tie, times the share
    of the other areas linked), times the field proximity a unit keeps relative to a network, times
    `structure.gather_rate`, divided by the parties that must agree (sub-regions, further R&D units)."""
    model = regional.model
    posts, p = model.leader_posts, model.p["structure"]
    members = posts.in_linked_areas()
    n_members = members.sum(axis=(1, 2))
    tie = (posts.colleague_tie() * members).sum(axis=(1, 2)) / np.maximum(1, n_members)
    others = np.maximum(0, regional.linked.sum(axis=1) - 1) / (len(AREAS) - 1)
    fp = p["field_proximity"]
    keeps = fp["unit"] / fp["network"] if fp["network"] > 0 else 1.0
    need = np.where(n_members > 0, (1.0 - tie) * others, 0.0)
    return np.minimum(1.0, p["gather_rate"] * need * keeps / regional.parties)


def reconsider_principle(regional, year: int, u: np.ndarray) -> None:
    """January: structures free to choose (see the module) move to the unit principle with
    `gathering_chance`; u: one uniform per county, drawn every year (common random numbers)."""
    free = ~regional.unit & ~regional.fixed_principle & (year > regional.principle_held_until) & regional.functioning()
    for c in np.flatnonzero(free & (u < gathering_chance(regional))):
        regional.model.structures[c].set_principle("unit")
