"""The regional support structure of one county (regional stödstruktur), as a Mesa agent.

The agent is a view of its county's row of the arrays that ``structures.SupportStructures`` holds for every
county and updates month by month (ODD process overview, step 2): what it reads (``principle``, ``linked``,
``functioning``, ...) and the dated changes made to it (the year's budget, a change of organising principle,
time taken by national networks, an area linked) go through those arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .leaders import DevelopmentLeader, PlatformLeader
from .state import row_view

if TYPE_CHECKING:
    from .structures import SupportStructures


class RegionalSupportStructure(mesa.Agent):
    """The regional support structure for knowledge development (regional stödstruktur) of one county."""

    def __init__(self, model, county, settings: dict, county_council, municipality_agents):
        super().__init__(model)
        self.county = county
        self.index = county.index
        self.county_council = county_council
        self.municipality_agents = municipality_agents
        self.rows = np.array(county.municipalities, dtype=np.int64)
        self.rd_units = []
        self.universities = []

    # -- views of the county's row -------------------------------------------------------------------
    @property
    def _all(self) -> "SupportStructures":
        return self.model.regional

    @property
    def principle(self) -> str:
        return "unit" if self._all.unit[self.index] else "network"

    exists = row_view("regional", "exists", bool, doc="the county has a regional support structure")
    meetings_per_year = row_view("regional", "meetings", float, doc="joint meetings a year (network principle)")

    @property
    def linked(self) -> np.ndarray:
        """Per area: its development leaders belong to the structure."""
        return self._all.linked[self.index]

    @property
    def money(self) -> np.ndarray:
        """SEK million this year per component (structure, then each area), from the state and the principals
        (the county's row of the year's ``Budget``)."""
        return self._all.money[self.index]

    @property
    def area_active(self) -> np.ndarray:
        return self._all.area_active

    @property
    def platform_leader(self) -> PlatformLeader | None:
        return self._all.platform[self.index]

    @property
    def leaders(self) -> list[list[DevelopmentLeader]]:
        """Development leaders per area, in the order they were hired."""
        return self.model.leader_posts.by_area(self.index)

    def all_leaders(self) -> list[DevelopmentLeader]:
        return [leader for group in self.leaders for leader in group]

    @property
    def n_leaders(self) -> float:
        return float(self.model.leader_posts.staffed_fte()[self.index].sum())

    @property
    def n_linked(self) -> int:
        return int(self.linked.sum())

    parties = row_view("regional", "parties", int, doc="sub-regions and further R&D units that must agree")
    consented = row_view("regional", "consented", int, doc="parties that have agreed to one joint platform")
    upward_reports = row_view("regional", "upward_reports", int, doc="experience reports sent up this month")
    time_load = row_view("regional", "time_load", float, doc="share of staff time taken this month by national networks")

    @property
    def functioning(self) -> bool:
        """A platform leader in post, at least one linked development leader, and money this year."""
        return bool(self._all.functioning()[self.index])

    def field_proximity(self) -> float:
        return float(self._all.field_proximity()[self.index])

    def staff_time(self) -> float:
        """Share of the staff's time left for the county's own work this month."""
        return float(self._all.staff_time()[self.index])

    def readiness(self) -> float:
        return float(self._all.readiness[self.index])

    def target_fte(self, area: int) -> float:
        return float(self._all.target_fte()[self.index, area])

    # -- dated changes -------------------------------------------------------------------------------
    def set_principle(self, principle: str) -> None:
        """A change of organising principle, dated (sim/data/principle_changes.csv) or chosen
        (`sim/principles.py`): leaders move, ties change."""
        s = self._all
        if s.fixed_principle[self.index] or principle == self.principle:
            return
        s.unit[self.index] = principle == "unit"
        if principle == "unit":
            self.model.leader_posts.ties[self.index] = self.model.leader_posts.other_area  # co-located: full ties
        s.restructured()

    def add_time_load(self, share: float) -> None:
        """National networks and guidance past the structure take this share of next month's staff time."""
        self._all.next_load[self.index] += share

    def link_area(self, area: int) -> None:
        self._all.link_area(self.index, area)
