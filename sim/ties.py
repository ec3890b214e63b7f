"""The structures as a network of ties: a networkx graph over agent ids, drawn from the model's state.

The monthly processes work on arrays (``structures``, ``leaders``, ``rd_units``); this graph is the
inspectable, drawable picture of the same state (ODD §2, "The structure as a network of ties"), built
when someone asks for ``model.ties`` and kept until people or ties change.

Nodes carry ``kind`` and ``county``; edges carry ``kind``:
national (SALAR - structure), meeting_place (structure - county council), leads (structure - platform
leader), member (structure - development leader of a linked area), colleague (leader - leader of another
linked area, with ``strength``), field (development leader - each municipality of its county, with
``strength``), serves (R&D unit - member municipality), rd_unit / university (structure - a linked
R&D unit or university).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .parameters import AREAS


class TiesPicture:
    def __init__(self, model):
        self.model = model
        self._graph = None
        self._drawn_at = None

    def graph(self) -> nx.Graph:
        m = self.model
        key = (m.steps, m.regional.version, int(m.rd.linked.sum()), int(m.rd.pair_active.sum()),
               sum(u.linked for u in m.universities))
        if self._graph is None or key != self._drawn_at:
            self._graph, self._drawn_at = self.draw(), key
        return self._graph

    def draw(self) -> nx.Graph:
        m = self.model
        g = nx.Graph()
        g.add_node(m.salar.unique_id, kind="salar")
        for cc in m.county_councils:
            g.add_node(cc.unique_id, kind="county_council", county=cc.county.code)
        for mu in m.municipality_agents:
            g.add_node(mu.unique_id, kind="municipality", county=mu.county.code, code=mu.code)
        for centre in m.centres:
            g.add_node(centre.unique_id, kind="knowledge_centre", name=centre.name)
        for s in m.structures:
            self._draw_structure(g, s)
        for unit in m.rd_units:
            g.add_node(unit.unique_id, kind="rd_unit", county=unit.structure.county.code, name=unit.name)
            for i in unit.members:
                g.add_edge(unit.unique_id, m.municipality_agents[i].unique_id, kind="serves", strength=1.0)
            if unit.linked:
                g.add_edge(unit.structure.unique_id, unit.unique_id, kind="rd_unit", strength=1.0)
        for uni in m.universities:
            g.add_node(uni.unique_id, kind="university", county=uni.structure.county.code, name=uni.name)
            if uni.linked:
                g.add_edge(uni.structure.unique_id, uni.unique_id, kind="university", strength=1.0)
        return g

    def _draw_structure(self, g: nx.Graph, s) -> None:
        m = self.model
        cc = s.county_council
        g.add_node(s.unique_id, kind="structure", county=s.county.code, principle=s.principle)
        g.add_edge(m.salar.unique_id, s.unique_id, kind="national")
        g.add_edge(s.unique_id, cc.unique_id, kind="meeting_place", strength=float(cc.meeting_places),
                   decision_paths=cc.decision_paths)
        if s.platform_leader is not None:
            g.add_node(s.platform_leader.unique_id, kind="platform_leader", county=s.county.code)
            g.add_edge(s.unique_id, s.platform_leader.unique_id, kind="leads", strength=1.0)
        colocated = s.principle == "unit"
        strength = s.field_proximity()
        posts = m.leader_posts
        for leader in s.all_leaders():
            g.add_node(leader.unique_id, kind="development_leader", area=AREAS[leader.area], county=s.county.code)
            g.add_edges_from(((leader.unique_id, mu.unique_id) for mu in s.municipality_agents), kind="field",
                             strength=strength)
            if s.linked[leader.area]:
                g.add_edge(s.unique_id, leader.unique_id, kind="member", colocated=colocated,
                           meetings_per_year=12 if colocated else s.meetings_per_year)
        members = posts.in_linked_areas()[s.index].reshape(-1)
        ties = posts.ties[s.index] * posts.other_area
        for i, j in zip(*np.nonzero(np.triu(members[:, None] & members[None, :] & (posts.other_area > 0)))):
            g.add_edge(posts.leader(s.index, i).unique_id, posts.leader(s.index, j).unique_id, kind="colleague",
                       strength=float(ties[i, j]))
