"""R&D units (FoU-enheter): local or regional units that serve their member municipalities.

Each unit is a Mesa agent, ``RDUnit``; what changes month by month — active, linked to the structure,
staff — is held for every unit at once in ``RDUnits``, and the unit is a view of its row. Memberships are
the founding members (``rd_units.csv``) and those that dated events add later (``rd_events.csv``): all of
them are known when the country is built, so the monthly draws have one fixed shape (common random
numbers) and a membership simply becomes active on its date (ODD submodel "R&D units").
"""

from __future__ import annotations

import mesa
import numpy as np

from .knowledge import CountFactors
from .parameters import AREAS
from .state import row_view


class RDUnit(mesa.Agent):
    """A local or regional R&D unit (FoU-enhet) serving its member municipalities."""

    def __init__(self, model, data: dict, structure, index: int):
        super().__init__(model)
        self.key = data["id"]
        self.name = data["name"]
        self.owner = data["owner"]
        self.structure = structure
        self.index = index

    @property
    def _all(self) -> "RDUnits":
        return self.model.rd

    @property
    def members(self) -> np.ndarray:
        """Indices of the municipalities the unit serves now."""
        rd = self._all
        return rd.pair_muni[(rd.pair_unit == self.index) & rd.pair_active]

    @property
    def areas(self) -> np.ndarray:
        """Per programme area: the unit works in it (rd_units.csv)."""
        return self._all.areas[self.index]

    staff_fte = row_view("rd", "staff_fte", float, doc="staff in FTE (dated events weaken or strengthen it)")
    active = row_view("rd", "active", bool, doc="the unit works (not yet opened, or closed, otherwise)")
    linked = row_view("rd", "linked", bool, writable=True, doc="the unit belongs to the county's structure")

    def apply_event(self, event: dict) -> None:
        """A dated change from sim/data/rd_events.csv (closure, weakening, new member ...)."""
        rd, i = self._all, self.index
        kind = event["event"]
        if kind == "close":
            rd.active[i] = False
        elif kind == "open":
            rd.active[i] = True
        elif kind in ("weaken", "strengthen"):
            rd.staff_fte[i] *= event["capacity_factor"]
        elif kind == "add_member" and event.get("member_idx") is not None:
            rd.pair_active[(rd.pair_unit == i) & (rd.pair_muni == event["member_idx"])] = True
        rd.update_capacity()


class RDUnits:
    """Every R&D unit's state as arrays, and their monthly activity with member municipalities."""

    def __init__(self, model, units: list[dict], events: list[dict]):
        self.model = model
        self.agents = [RDUnit(model, d, model.structures[d["county"]], i) for i, d in enumerate(units)]
        for unit in self.agents:
            unit.structure.rd_units.append(unit)
        self.county = np.array([d["county"] for d in units], dtype=np.int64)
        self.staff_fte = np.array([d["staff_fte"] for d in units], dtype=float)
        self.areas = np.array([[a in d.get("areas", AREAS) for a in AREAS] for d in units], dtype=bool).reshape(len(units), len(AREAS))
        self.active = np.array([d["active_from"] is None or d["active_from"] <= model.start_date for d in units], dtype=bool)
        self.linked = np.zeros(len(units), dtype=bool)
        index = {d["id"]: i for i, d in enumerate(units)}
        pairs = [(i, m, True) for i, d in enumerate(units) for m in d["member_idx"]]
        pairs += [(index[e["unit_id"]], e["member_idx"], False) for e in events
                  if e["event"] == "add_member" and e.get("member_idx") is not None]
        self.pair_unit = np.array([p[0] for p in pairs], dtype=np.int64)
        self.pair_muni = np.array([p[1] for p in pairs], dtype=np.int64)
        self.pair_active = np.array([p[2] for p in pairs], dtype=bool)
        n_a = len(AREAS)
        self._cell = (self.pair_muni[:, None] * n_a + np.arange(n_a)).ravel()  # (pair, area) -> municipality x area
        # a municipality-area gets at most one contact a month (of each part) per unit it belongs to: its counts
        # are at most its number of memberships
        most = np.bincount(self.pair_muni).max() if len(self.pair_muni) else 0
        p = model.p["rd"]
        self._rng = model.streams("rd")
        self._factors = CountFactors(model.knowledge.level.shape, most, p["uptake"], p["consolidation"])
        self.update_capacity()

    def update_capacity(self) -> None:
        """Recompute what only dated events change (`RDUnit.apply_event`): each unit's contact rate (shared
        among its members) and the (member, area) pairs it works with (its areas, members, active time)."""
        members = np.bincount(self.pair_unit, weights=self.pair_active, minlength=len(self.county))
        self.rate = self.model.p["rd"]["contacts_per_fte"] / np.maximum(members, 1) * self.staff_fte
        working = np.flatnonzero((self.pair_active & self.active[self.pair_unit])[:, None] & self.areas[self.pair_unit])
        self._working = working  # flat (pair, area) indices
        self._working_unit = self.pair_unit[working // len(AREAS)]
        self._working_cell = self._cell[working]
        self._working_cell_own = self._working_cell + self.model.knowledge.level.size  # the owners' part, after
        self._linked_as = None  # the `linked` for which the owners' part below was computed

    def _owners_part(self) -> tuple[np.ndarray, np.ndarray]:
        """Per unit: -(contact rate) x the share of its work the initiative pays for, and the monthly contact
        chance of the rest (both change only when a unit is linked or an event changes its staff or members)."""
        key = self.linked.tobytes()
        if key != self._linked_as:
            share = np.where(self.linked, self.model.p["rd"]["initiative_share"], 0.0)
            self._minus_initiative_rate = -self.rate * share
            self._p_own = 1.0 - np.exp(-self.rate * (1.0 - share))
            self._linked_as = key
        return self._minus_initiative_rate, self._p_own

    def run_activities(self) -> None:
        """Training, evaluation workshops, local projects and combined posts with member municipalities.

        Part of a unit's capacity (``rd.initiative_share``) is paid by the initiative once the unit is
        linked to the structure, and follows the structure's money; only contacts from that part count
        as the initiative's activity. The rest is the owners' own R&D work. A unit's contacts are shared
        among its members, in the areas it works in.
        """
        m = self.model
        u = self._rng.random((len(self.pair_unit), len(AREAS)))
        if not m.p["channels"]["rd"] or len(u) == 0:
            return
        minus_rate, p_own = self._owners_part()
        structure = m.regional
        p_init = 1.0 - np.exp(minus_rate * (structure.funding_ratio * structure.staff_time()).take(self.county))
        # a unit contacts only its members, in its areas, while active: of those (pair, area) uniforms, one
        # below p_init is a contact of the initiative's part, from there to p_init + p_own one of the owners'
        # part (p_own >= 0)
        u = u.ravel().take(self._working)
        contact = np.flatnonzero(u < (p_init + p_own).take(self._working_unit))
        initiative = u.take(contact) < p_init.take(self._working_unit.take(contact))
        # contacts per part (the initiative's, the owners'), municipality and area, counted at once
        kn = m.knowledge
        cells = np.where(initiative, self._working_cell.take(contact), self._working_cell_own.take(contact))
        n = kn.count_contacts(cells)  # those that count: the initiative's part via the structure
        for part, counts in ((True, n[0]), (False, n[1])):
            kn.expose_counted(counts, self._factors, initiative=part, structure=part, counted=True)
