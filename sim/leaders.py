"""The people of a regional support structure: its platform leader and its development leaders.

A development leader (utvecklingsledare) works in one programme area of one county; a platform leader
(plattformsledare) leads the county's structure. Both are Mesa agents and nodes of ``model.ties``: a leader
is tied to the structure, to the municipalities it serves (field ties, whose strength depends on the
organising principle) and, once its area is linked to the structure, to the leaders of the other areas
(colleague ties; ODD submodel "Regional support structure").
"""

from __future__ import annotations

import mesa

from .parameters import AREAS


class PlatformLeader(mesa.Agent):
    """Leads the county's structure: hired after the declaration of intent, paid from its 'structure' money."""

    def __init__(self, model, structure):
        super().__init__(model)
        self.structure = structure
        self.hired_month = model.month
        model.ties.add_node(self.unique_id, kind="platform_leader", county=structure.county.code)
        model.ties.add_edge(structure.unique_id, self.unique_id, kind="leads", strength=1.0)

    def leave(self) -> None:
        self.model.ties.remove_node(self.unique_id)
        self.structure.platform_leader = None
        self.remove()


class DevelopmentLeader(mesa.Agent):
    """A development leader (utvecklingsledare) of one programme area in one county."""

    def __init__(self, model, structure, area: int, fte: float):
        super().__init__(model)
        self.structure = structure
        self.area = area
        self.fte = fte
        self.competence = model.p["leaders"]["competence_start"]
        self.colleagues: dict[int, dict] = {}  # other leader's id -> the tie's data dict in model.ties
        self.hired_month = model.month
        model.ties.add_node(self.unique_id, kind="development_leader", area=AREAS[area], county=structure.county.code)
        # Field ties: how close the leader sits to the municipalities it serves.
        self.field_strength = structure.field_proximity()
        model.ties.add_edges_from(((self.unique_id, m.unique_id) for m in structure.municipality_agents),
                                  kind="field", strength=self.field_strength)
        structure.leaders[area].append(self)
        if structure.linked[area]:
            structure.join(self)

    # -- behaviour -------------------------------------------------------------------------------
    def contact_probability(self, n_municipalities: int, staff_time: float) -> float:
        """Chance that this leader works with a given municipality of its county this month: the leader's
        visits are shared among the county's municipalities, and national networks and parallel guidance
        take part of the leader's time (`staff_time`)."""
        visits = self.model.p["leaders"]["municipalities_per_fte"] * self.fte
        return min(1.0, visits / max(1, n_municipalities)) * self.field_strength * staff_time

    def learn(self, colleagues_tie: float) -> None:
        """Learning by doing, plus cross-area learning through ties to leaders of other areas."""
        p = self.model.p["leaders"]
        rate = p["learning_by_doing"] + p["cross_area_learning"] * colleagues_tie
        self.competence += rate * (1.0 - self.competence)

    def colleague_tie(self) -> float:
        """Mean strength of this leader's ties to leaders of *other* areas in its structure."""
        if not self.colleagues:
            return 0.0
        others = self.structure.n_linked - 1  # a leader with colleagues belongs to a linked area itself
        total = 0.0
        for data in self.colleagues.values():
            total += data["strength"]
        # normalised by the other areas that could be reached, so a lone leader learns nothing
        return min(1.0, total / max(1, others))

    def leave(self) -> None:
        for other in self.structure.all_leaders():
            other.colleagues.pop(self.unique_id, None)
        self.model.ties.remove_node(self.unique_id)
        self.structure.leaders[self.area].remove(self)
        self.remove()
