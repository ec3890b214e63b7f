"""The regional support structure of each county (its leaders are in ``leaders``).

A structure is an explicit network of ties held in ``model.ties`` (a networkx graph whose nodes are agent
ids): the structure and its platform leader, the development leaders of the areas that belong to it, the
R&D units and universities linked to it, the county council's meeting place, and each leader's ties to
the municipalities it serves. The two organising principles differ only through these ties and what
they carry (ODD submodel "Regional support structure"):

* unit principle: linked leaders are co-located, so leader-leader ties have full strength every month
  (cross-area learning, shared administration), but their ties to the field are weaker
  (``structure.field_proximity.unit``);
* network principle: each leader sits in a field organisation (full field ties, more experience flowing
  up) and meets the others only at joint meetings (``meetings_per_year``); leader-leader ties grow at each
  meeting, decay between them, and vanish when a leader leaves.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from .funding import Budget
from .leaders import DevelopmentLeader, PlatformLeader
from .parameters import AREAS

MAX_POSTS = 16  # turnover draws per area and month are of this fixed size (common random numbers)


MAX_PARTIES = 32  # consent draws per month are of this fixed size (common random numbers)


class RegionalSupportStructure(mesa.Agent):
    """The regional support structure for knowledge development (regional stödstruktur) of one county."""

    def __init__(self, model, county, settings: dict, county_council, municipality_agents):
        super().__init__(model)
        self.county = county
        self.county_council = county_council
        self.municipality_agents = municipality_agents
        self.rows = np.array(county.municipalities, dtype=np.int64)
        self.principle = settings["principle"]
        self.exists = settings["structure"]
        self.meetings_per_year = settings["meetings_per_year"]
        self.fixed_areas = settings["areas"]  # 'auto' or a list of area keys that belong to the structure
        self.platform_at_rd = bool(settings["platform_at_rd"])  # the R&D environment is the platform
        self.platform_leader: PlatformLeader | None = None
        self.leaders: list[list[DevelopmentLeader]] = [[] for _ in AREAS]
        self.linked = [False] * len(AREAS)
        self.area_active = [False] * len(AREAS)
        self.budget = Budget(model.funding, county.index, self.exists)
        self.upward_reports = 0
        self.rd_units = []
        self.universities = []
        self.n_linked = 0
        self.parties = 1  # set by the model: sub-regions + further R&D units that must agree (BRIEF §2)
        self.consented = 0
        self.time_load = 0.0  # share of staff time taken this month by national networks and parallel guidance
        self._next_load = 0.0
        self.had_link = False  # resource people were ever appointed here
        self.fixed_principle = False  # a scenario fixed the principle: dated changes do not apply
        model.ties.add_node(self.unique_id, kind="structure", county=county.code, principle=self.principle)
        model.ties.add_edge(self.unique_id, county_council.unique_id, kind="meeting_place",
                            strength=float(county_council.meeting_places), decision_paths=county_council.decision_paths)

    # -- ties --------------------------------------------------------------------------------------
    def field_proximity(self) -> float:
        return self.model.p["structure"]["field_proximity"][self.principle]

    def join(self, leader: DevelopmentLeader) -> None:
        """Tie a leader to the structure and to the linked leaders of the other areas."""
        ties = self.model.ties
        colocated = self.principle == "unit"
        ties.add_edge(self.unique_id, leader.unique_id, kind="member", colocated=colocated,
                      meetings_per_year=12 if colocated else self.meetings_per_year)
        for area, group in enumerate(self.leaders):
            if area == leader.area or not self.linked[area]:
                continue
            for other in group:
                ties.add_edge(leader.unique_id, other.unique_id, kind="colleague", strength=1.0 if colocated else 0.0)
                data = ties.edges[leader.unique_id, other.unique_id]
                leader.colleagues[other.unique_id] = data
                other.colleagues[leader.unique_id] = data

    def link_area(self, area: int) -> None:
        self.linked[area] = True
        for leader in self.leaders[area]:
            self.join(leader)

    def link_organisation(self, agent, kind: str) -> None:
        self.model.ties.add_edge(self.unique_id, agent.unique_id, kind=kind, strength=1.0)

    def set_principle(self, principle: str) -> None:
        """A dated change of organising principle (sim/data/principle_changes.csv): leaders move, ties change."""
        if self.fixed_principle or principle == self.principle:
            return
        self.principle = principle
        ties = self.model.ties
        ties.nodes[self.unique_id]["principle"] = principle
        colocated = principle == "unit"
        for leader in self.all_leaders():
            leader.field_strength = self.field_proximity()
            for m in self.municipality_agents:
                ties.edges[leader.unique_id, m.unique_id]["strength"] = leader.field_strength
            if ties.has_edge(self.unique_id, leader.unique_id):
                ties.edges[self.unique_id, leader.unique_id].update(
                    colocated=colocated, meetings_per_year=12 if colocated else self.meetings_per_year)
            if colocated:
                for data in leader.colleagues.values():
                    data["strength"] = 1.0

    # -- staff time --------------------------------------------------------------------------------
    def add_time_load(self, share: float) -> None:
        """National networks and guidance past the structure take this share of next month's staff time."""
        self._next_load += share

    def staff_time(self) -> float:
        """Share of the staff's time left for the county's own work this month."""
        return 1.0 - self.time_load

    # -- money ---------------------------------------------------------------------------------------
    def set_budget(self, year: int) -> None:
        """January: the year's money per component, from the state and the share the principals took over."""
        self.budget.set_year(year, self.county_council.takeover)

    def target_fte(self, area: int) -> float:
        if not self.area_active[area]:
            return 0.0
        overhead = self.model.p["structure"]["admin_overhead"][self.principle]
        return self.budget.money(AREAS[area]) * (1.0 - overhead) / self.model.p["leaders"]["cost_msek_per_fte"]

    @property
    def functioning(self) -> bool:
        """A platform leader in post, at least one linked development leader, and money this year."""
        return (self.platform_leader is not None and self.budget.money("structure") > 0
                and any(self.linked[a] and self.leaders[a] for a in range(len(AREAS))))

    # -- the month ---------------------------------------------------------------------------------
    def step(self) -> None:
        m = self.model
        self.time_load, self._next_load = min(0.9, self._next_load), 0.0
        m.staff_time_lost += self.time_load
        u = m.streams("structure", self.county.code).random(4 + len(AREAS))
        if self.consented < self.parties:  # its own stream: skipping the draws once agreed shifts no other
            self.seek_consent(m.streams("consent", self.county.code).random(MAX_PARTIES))
        self.staff_platform(u[0], u[2 + len(AREAS)])
        self.negotiate_rd(u[3 + len(AREAS)])
        self.keep_resource_people(m.streams("link-person", self.county.code).random(len(self.rows)))
        staffing = m.streams("leaders", self.county.code).random((len(AREAS), MAX_POSTS + 1))
        for area in range(len(AREAS)):
            self.staff_area(area, staffing[area])
            if self.platform_leader is not None and not self.linked[area] and self.area_active[area]:
                self.consider_linking(area, u[2 + area])
        self.n_linked = sum(self.linked)
        self.coordinate_leaders(u[1])
        self.support_municipalities()
        self.run_platform_activity()
        self.report_upward()

    def seek_consent(self, u: np.ndarray) -> None:
        """After the declaration of intent every party (sub-region, further R&D unit) must agree to one joint
        platform; each does so with a monthly hazard, so counties with many parties take longer."""
        m, p = self.model, self.model.p["structure"]
        if m.month < m.month_of(p["declaration_date"]):
            return
        waiting = min(self.parties - self.consented, MAX_PARTIES)
        self.consented += int((u[:waiting] < p["consent_rate"]).sum())

    def readiness(self) -> float:
        p = self.model.p["structure"]
        return ((p["readiness_meeting_places"] if self.county_council.meeting_places else 1.0)
                * (p["readiness_decision_paths"] if self.county_council.decision_paths else 1.0))

    def staff_platform(self, u: float, u_turnover: float) -> None:
        """Fill the platform-leader post once all parties agree; lose the leader to turnover (the post is
        refilled) or end the post when the money stops."""
        m, p = self.model, self.model.p["structure"]
        # the post needs enough of the reference money to pay for it (staff follow the money)
        funded = self.exists and self.budget.funding_ratio() >= p["platform_min_funding"]
        if self.platform_leader is not None and u_turnover < p["platform_turnover"]:
            self.platform_leader.leave()
        if self.platform_leader is None and funded and self.consented >= self.parties:
            if u < 1.0 - math.exp(-p["platform_hire_rate"] * self.readiness()):
                self.platform_leader = PlatformLeader(m, self)
                m.platform_hires += 1
                self.on_platform_start()
        elif self.platform_leader is not None and not funded and u < m.p["leaders"]["layoff_rate"]:
            self.platform_leader.leave()

    def keep_resource_people(self, u: np.ndarray) -> None:
        """Municipalities appoint a resource person as their link to the structure when a platform leader
        asks (BRIEF §2, Jönköping), more readily the larger they are; the person may leave and is replaced
        only while the platform leader is in post."""
        m, p = self.model, self.model.p["municipality"]
        kn = m.knowledge
        if self.platform_leader is None and not self.had_link:
            return
        self.had_link = True
        has = kn.has_link[self.rows]
        lose = has & (u < p["resource_person_loss"])
        if self.platform_leader is not None:
            appoint = ~has & (u < p["resource_person_rate"] * kn.capacity[self.rows])
            kn.has_link[self.rows] = (has & ~lose) | appoint
        elif lose.any():
            kn.has_link[self.rows] = has & ~lose

    def negotiate_rd(self, u: float) -> None:
        """The platform leader brings the county's R&D units in one at a time (seed 001 §6.3: units with
        different owners compete and find it hard to cooperate)."""
        if self.platform_leader is None:
            return
        waiting = [unit for unit in self.rd_units if not unit.linked and unit.active]
        if waiting and u < self.model.p["rd"]["link_rate"]:
            waiting[0].linked = True
            self.link_organisation(waiting[0], "rd_unit")

    def on_platform_start(self) -> None:
        """A platform leader ties the county's universities, fixed areas and - where the R&D environment is
        the platform - its R&D units into one structure."""
        if self.fixed_areas != "auto":
            for area, key in enumerate(AREAS):
                if key in self.fixed_areas and not self.linked[area]:
                    self.link_area(area)
        for uni in self.universities:
            self.link_organisation(uni, "university")
            uni.linked = True
        if self.platform_at_rd:
            for unit in self.rd_units:
                if not unit.linked:
                    unit.linked = True
                    self.link_organisation(unit, "rd_unit")

    def consider_linking(self, area: int, u: float) -> None:
        if self.fixed_areas != "auto":
            return
        if u < self.model.p["structure"]["link_rate"][AREAS[area]]:
            self.link_area(area)

    def staff_area(self, area: int, u: np.ndarray) -> None:
        """Staff follows the money: fill funded posts, end unfunded ones, and lose leaders to turnover."""
        m, p = self.model, self.model.p["leaders"]
        group = self.leaders[area]
        for i, leader in enumerate(list(group)):
            if u[1 + i % MAX_POSTS] < p["turnover"]:
                leader.leave()  # the post stays funded and is refilled below
        target = self.target_fte(area)
        staffed = sum(l.fte for l in group)
        if staffed > target + 1e-9 and group and u[0] < p["layoff_rate"]:
            last, excess = group[-1], staffed - target
            if last.fte - excess > 0.05:
                last.fte -= excess  # less money: the last post is cut to part time rather than ended
            else:
                last.leave()
        elif target - staffed > 0.05 and u[0] < p["hire_rate"]:
            DevelopmentLeader(m, self, area, fte=min(1.0, target - staffed))

    def coordinate_leaders(self, u: float) -> None:
        """Leader-leader ties: fixed under the unit principle, grown at meetings under the network principle."""
        if self.principle == "unit" or not self.exists:
            return
        p = self.model.p["structure"]
        meeting = self.platform_leader is not None and u < self.meetings_per_year / 12.0
        for leader in self.all_leaders():
            for nb, data in leader.colleagues.items():
                if leader.unique_id < nb:  # each tie once
                    s = data["strength"] * (1.0 - p["tie_decay"])
                    if meeting:
                        s += p["tie_growth"] * (1.0 - s)
                    data["strength"] = s

    def support_municipalities(self) -> None:
        """Development leaders work with the municipalities of their area; linked ones also learn from each other."""
        m = self.model
        n = len(self.rows)
        kn = m.knowledge
        pl = m.p["leaders"]
        draws = m.streams("leaders-field", self.county.code).random((len(AREAS), n))
        for area, group in enumerate(self.leaders):
            u = draws[area]
            if not group or not m.p["channels"]["leaders"]:
                continue
            miss, weighted, fte = 1.0, 0.0, 0.0
            time_left = self.staff_time()
            for leader in group:
                leader.learn(leader.colleague_tie())
                miss *= 1.0 - leader.contact_probability(n, time_left)
                weighted += leader.competence * leader.fte
                fte += leader.fte
            competence = weighted / fte
            contact = u < 1.0 - miss
            if not contact.any():
                continue
            boost = 1.0 + (pl["platform_uptake_boost"] if self.linked[area] and self.platform_leader else 0.0)
            # only leaders linked to the structure count as the initiative's activity (ODD 7: reach)
            kn.expose(self.rows, contact, uptake=min(1.0, pl["uptake"] * competence * boost),
                      consolidation=min(1.0, pl["consolidation"] * competence * boost),
                      initiative=self.linked[area], structure=self.linked[area], area=area)

    def run_platform_activity(self) -> None:
        """Network meetings, training and seminars open to every municipality of the county."""
        m = self.model
        u = m.streams("platform", self.county.code).random(len(self.rows))
        if self.platform_leader is None or not m.p["channels"]["platform"]:
            return
        p = m.p["structure"]
        carried = np.array([self.linked[a] and self.area_active[a] for a in range(len(AREAS))])
        # a small platform staff runs a fixed number of activities a month, shared by the county's municipalities
        rate = p["platform_activity_capacity"] * self.budget.funding_ratio() * self.readiness() * self.staff_time() / len(self.rows)
        contact = (u < 1.0 - math.exp(-rate))[:, None] & carried[None, :]
        m.knowledge.expose(self.rows, contact, uptake=p["platform_uptake"], initiative=True, structure=True)

    def report_upward(self) -> None:
        """Experience flows up from practice: leaders close to the field report more."""
        m = self.model
        lam = np.zeros(len(AREAS))
        if self.platform_leader is not None:
            using = m.county_using[self.county.index]
            rate = m.p["leaders"]["upward_rate"]
            for area, group in enumerate(self.leaders):
                if self.linked[area] and group:
                    lam[area] = sum(rate * l.fte * l.field_strength for l in group) * using[area]
        reports = m.streams("upward", self.county.code).poisson(lam)
        self.upward_reports = int(reports.sum())
        m.upward[m.month] += reports  # received nationally: shapes the relevance of national guidance

    def all_leaders(self):
        return [leader for group in self.leaders for leader in group]

    @property
    def n_leaders(self) -> float:
        return sum(l.fte for g in self.leaders for l in g)
