"""The regional support structures of the 21 counties (their leaders are in ``leaders``).

Each county's structure is a Mesa agent, ``RegionalSupportStructure``; what the monthly processes update
is held for all counties at once in ``SupportStructures`` (arrays over counties, areas and municipalities),
and the agent is a view of its county's row. One month is then a fixed number of vector operations
whatever the number of counties (ODD process overview, step 2; submodel "Regional support structure").

The two organising principles differ only through the ties they create and what the ties carry:

* unit principle: linked leaders are co-located, so leader-leader ties have full strength every month
  (cross-area learning, shared administration), but their ties to the field are weaker
  (``structure.field_proximity.unit``);
* network principle: each leader sits in a field organisation (full field ties, more experience flowing
  up) and meets the others only at joint meetings (``meetings_per_year``); leader-leader ties grow at each
  meeting, decay between them, and vanish when a leader leaves.

The ties as a graph (``model.ties``) are drawn from this state when asked for (``sim/ties.py``); they are
the inspectable picture of the structures, not part of the monthly arithmetic.
"""

from __future__ import annotations

import mesa
import numpy as np

from .funding import REGIONAL, Budget
from .leaders import MAX_POSTS, DevelopmentLeader, PlatformLeader
from .parameters import AREAS
from .state import row_view
from .streams import poisson

MAX_PARTIES = 32  # consent draws per county and month are of this fixed size (common random numbers)


class RegionalSupportStructure(mesa.Agent):
    """The regional support structure for knowledge development (regional stödstruktur) of one county."""

    def __init__(self, model, county, settings: dict, county_council, municipality_agents):
        super().__init__(model)
        self.county = county
        self.index = county.index
        self.county_council = county_council
        self.municipality_agents = municipality_agents
        self.rows = np.array(county.municipalities, dtype=np.int64)
        self.budget = Budget(model.funding, county.index, bool(settings["structure"]))
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
    def area_active(self) -> np.ndarray:
        return self._all.area_active

    @property
    def platform_leader(self) -> PlatformLeader | None:
        return self._all.platform[self.index]

    @property
    def leaders(self) -> list[list[DevelopmentLeader]]:
        """Development leaders per area, in the order they were hired."""
        posts = self.model.leader_posts
        out = []
        for a in range(len(AREAS)):
            held = np.flatnonzero(posts.occupied[self.index, a])
            out.append([posts.agent[self.index, a, j] for j in held[np.argsort(posts.hired[self.index, a, held])]])
        return out

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
    def set_budget(self, year: int) -> None:
        """January: the year's money per component, from the state and the share the principals took over."""
        self.budget.set_year(year, self.county_council.takeover)
        self._all.read_budget(self.index, self.budget)

    def set_principle(self, principle: str) -> None:
        """A change of organising principle, dated (sim/data/principle_changes.csv) or chosen
        (`SupportStructures.reconsider_principle`): leaders move, ties change."""
        s = self._all
        if s.fixed_principle[self.index] or principle == self.principle:
            return
        s.unit[self.index] = principle == "unit"
        if principle == "unit":
            self.model.leader_posts.ties[self.index] = self.model.leader_posts.other_area  # co-located: full ties
        s.changed()

    def add_time_load(self, share: float) -> None:
        """National networks and guidance past the structure take this share of next month's staff time."""
        self._all.next_load[self.index] += share

    def link_area(self, area: int) -> None:
        self._all.link_area(self.index, area)


class SupportStructures:
    """The state and the monthly processes of every county's structure, as arrays over counties."""

    def __init__(self, model, settings: list[dict]):
        self.model = model
        n, n_a = len(settings), len(AREAS)
        p = model.p["structure"]
        self.unit = np.array([s["principle"] == "unit" for s in settings])
        self.exists = np.array([bool(s["structure"]) for s in settings])
        self.meetings = np.array([float(s["meetings_per_year"]) for s in settings])
        self.auto_areas = np.array([s["areas"] == "auto" for s in settings])
        self.fixed_areas = np.array([[s["areas"] != "auto" and k in s["areas"] for k in AREAS] for s in settings])
        self.platform_at_rd = np.array([bool(s["platform_at_rd"]) for s in settings])
        self.fixed_principle = np.zeros(n, dtype=bool)  # a scenario fixed the principle: dated changes do not apply
        self.principle_held_until = np.zeros(n, dtype=np.int64)  # the last year the data give the principle
        self.readiness = np.array([(p["readiness_meeting_places"] if s["meeting_places"] else 1.0)
                                   * (p["readiness_decision_paths"] if s["decision_paths"] else 1.0) for s in settings])
        self.linked = np.zeros((n, n_a), dtype=bool)
        self.area_active = np.zeros(n_a, dtype=bool)
        self.platform = np.full(n, None, dtype=object)
        self.has_platform = np.zeros(n, dtype=bool)
        self.parties = np.ones(n, dtype=np.int64)  # set by the model: sub-regions + further R&D units (BRIEF §2)
        self.consented = np.zeros(n, dtype=np.int64)
        self.time_load = np.zeros(n)  # share of staff time taken this month by national networks and parallel guidance
        self.next_load = np.zeros(n)
        self.had_link = np.zeros(n, dtype=bool)  # resource people were ever appointed here
        self.money = np.zeros((n, 1 + n_a))  # SEK million this year: structure, then each area
        self.funding_ratio = np.zeros(n)
        self.state = np.zeros(n)
        self.principals = np.zeros(n)
        self.full_cost = np.zeros(n)
        self.upward_reports = np.zeros(n, dtype=np.int64)
        self.version = 0  # bumped when people or ties change: the ties picture is redrawn only then

    def changed(self) -> None:
        self.version += 1

    # -- money and staff ---------------------------------------------------------------------------
    def read_budget(self, c: int, budget: Budget) -> None:
        self.money[c] = [budget.money(k) for k in REGIONAL]
        self.funding_ratio[c] = budget.funding_ratio()
        self.state[c], self.principals[c], self.full_cost[c] = budget.state, budget.principals, budget.full_cost

    def target_fte(self) -> np.ndarray:
        """(county, area) FTE the year's money pays for, after administration (the principle's overhead)."""
        p = self.model.p
        overhead = np.where(self.unit, p["structure"]["admin_overhead"]["unit"], p["structure"]["admin_overhead"]["network"])
        return (self.area_active * self.money[:, 1:] * (1.0 - overhead)[:, None]) / p["leaders"]["cost_msek_per_fte"]

    def field_proximity(self) -> np.ndarray:
        fp = self.model.p["structure"]["field_proximity"]
        return np.where(self.unit, fp["unit"], fp["network"])

    def staff_time(self) -> np.ndarray:
        return 1.0 - self.time_load

    def functioning(self) -> np.ndarray:
        staffed = self.model.leader_posts.held > 0
        return self.has_platform & (self.money[:, 0] > 0) & (self.linked & staffed).any(axis=1)

    def end_platform(self, c: int) -> None:
        self.platform[c] = None
        self.has_platform[c] = False
        self.changed()

    def link_area(self, c: int, area: int) -> None:
        if not self.linked[c, area]:
            self.linked[c, area] = True
            self.model.leader_posts.join(c, area)
            self.changed()

    # -- the year: choosing the organising principle (ODD submodel "Regional support structure") -------
    def gathering_chance(self) -> np.ndarray:
        """Per county, this year's chance that a network-principle structure gathers its development leaders
        in one unit: the cross-area contact its linked leaders lack (1 - their mean colleague tie, times the
        share of the other areas linked), times the field proximity a unit keeps relative to a network,
        times `structure.gather_rate`, divided by the parties that must agree (sub-regions, further R&D
        units). Seed 004 gives the need for cross-area collaboration as the reason for the drift."""
        posts = self.model.leader_posts
        p = self.model.p["structure"]
        members = posts.in_linked_areas()
        n_members = members.sum(axis=(1, 2))
        tie = (posts.colleague_tie() * members).sum(axis=(1, 2)) / np.maximum(1, n_members)
        others = np.maximum(0, self.linked.sum(axis=1) - 1) / (len(AREAS) - 1)
        fp = p["field_proximity"]
        keeps = fp["unit"] / fp["network"] if fp["network"] > 0 else 1.0
        need = np.where(n_members > 0, (1.0 - tie) * others, 0.0)
        return np.minimum(1.0, p["gather_rate"] * need * keeps / self.parties)

    def reconsider_principle(self, year: int, u: np.ndarray) -> None:
        """January: network-principle structures that work (and whose principle is not reported or fixed for
        this year) may move to the unit principle; u: one uniform per county, drawn every year."""
        free = ~self.unit & ~self.fixed_principle & (year > self.principle_held_until) & self.functioning()
        for c in np.flatnonzero(free & (u < self.gathering_chance())):
            self.model.structures[c].set_principle("unit")

    # -- the month: ODD process overview, step 2, for every county at once ----------------------------
    def step(self) -> None:
        m = self.model
        n, n_a = len(self.unit), len(AREAS)
        self.time_load, self.next_load = np.minimum(0.9, self.next_load), np.zeros(n)
        m.staff_time_lost += float(self.time_load.sum())
        # every process draws a fixed shape each month whatever the state (common random numbers)
        u = m.streams("structure").random((n, 4 + n_a))
        self.seek_consent(m.streams("consent").random((n, MAX_PARTIES)))
        self.staff_platform(u[:, 0], u[:, 2 + n_a])
        self.negotiate_rd(u[:, 3 + n_a])
        self.keep_resource_people(m.streams("link-person").random(m.n_municipalities))
        self.staff_areas(m.streams("leaders").random((n, n_a, MAX_POSTS + 1)))
        self.consider_linking(u[:, 2:2 + n_a])
        self.coordinate_leaders(u[:, 1])
        self.support_municipalities(m.streams("leaders-field").random((m.n_municipalities, n_a)))
        self.run_platform_activity(m.streams("platform").random(m.n_municipalities))
        self.report_upward()

    def seek_consent(self, u: np.ndarray) -> None:
        """After the declaration of intent every party (sub-region, further R&D unit) must agree to one joint
        platform; each does so with a monthly hazard, so counties with many parties take longer."""
        m, p = self.model, self.model.p["structure"]
        if m.month < m.month_of(p["declaration_date"]):
            return
        waiting = np.minimum(self.parties - self.consented, MAX_PARTIES)
        self.consented += ((u < p["consent_rate"]) & (np.arange(MAX_PARTIES) < waiting[:, None])).sum(axis=1)

    def staff_platform(self, u: np.ndarray, u_turnover: np.ndarray) -> None:
        """Fill the platform-leader post once all parties agree; lose the leader to turnover (the post is
        refilled) or end the post when the money stops (staff follow the money)."""
        m, p = self.model, self.model.p["structure"]
        funded = self.exists & (self.funding_ratio >= p["platform_min_funding"])
        for c in np.flatnonzero(self.has_platform & (u_turnover < p["platform_turnover"])):
            self.platform[c].leave()
        hire = ~self.has_platform & funded & (self.consented >= self.parties)
        layoff = self.has_platform & ~funded & (u < m.p["leaders"]["layoff_rate"])
        for c in np.flatnonzero(layoff):
            self.platform[c].leave()
        for c in np.flatnonzero(hire & (u < 1.0 - np.exp(-p["platform_hire_rate"] * self.readiness))):
            self.platform[c] = PlatformLeader(m, m.structures[c])
            self.has_platform[c] = True
            m.platform_hires += 1
            self.on_platform_start(c)
            self.changed()

    def on_platform_start(self, c: int) -> None:
        """A platform leader ties the county's universities, fixed areas and - where the R&D environment is
        the platform - its R&D units into one structure."""
        for area in np.flatnonzero(self.fixed_areas[c]):
            self.link_area(c, int(area))
        for uni in self.model.structures[c].universities:
            uni.linked = True
        if self.platform_at_rd[c]:
            for unit in self.model.structures[c].rd_units:
                unit.linked = True

    def negotiate_rd(self, u: np.ndarray) -> None:
        """The platform leader brings the county's R&D units in one at a time (seed 001 §6.3: units with
        different owners compete and find it hard to cooperate)."""
        rd = self.model.rd
        waiting = np.flatnonzero(~rd.linked & rd.active & self.has_platform[rd.county])
        counties, first = np.unique(rd.county[waiting], return_index=True)
        agree = u[counties] < self.model.p["rd"]["link_rate"]
        rd.linked[waiting[first[agree]]] = True

    def keep_resource_people(self, u: np.ndarray) -> None:
        """Municipalities appoint a resource person as their link to the structure when a platform leader
        asks (BRIEF §2, Jönköping), more readily the larger they are; the person may leave and is replaced
        only while the platform leader is in post."""
        m, p = self.model, self.model.p["municipality"]
        kn = m.knowledge
        self.had_link |= self.has_platform
        here = self.had_link[m.muni_county]
        has = kn.has_link
        lose = has & (u < p["resource_person_loss"])
        appoint = ~has & (u < p["resource_person_rate"] * kn.capacity) & self.has_platform[m.muni_county]
        kn.has_link = np.where(here, (has & ~lose) | appoint, has)

    def staff_areas(self, u: np.ndarray) -> None:
        """Staff follows the money: fill funded posts, end unfunded ones, and lose leaders to turnover.
        u: (county, area, 1 + posts): the hiring/lay-off draw, then one turnover draw per post."""
        m, p = self.model, self.model.p["leaders"]
        posts = m.leader_posts
        for c, a, j in zip(*np.nonzero(posts.occupied & (u[:, :, 1:] < p["turnover"]))):
            posts.vacate(c, a, j)  # the post stays funded and is refilled below
        target = self.target_fte()
        staffed = posts.staffed_fte()
        cut = (staffed > target + 1e-9) & (posts.held > 0) & (u[:, :, 0] < p["layoff_rate"])
        for c, a in zip(*np.nonzero(cut)):
            last = int(np.argmax(np.where(posts.occupied[c, a], posts.hired[c, a], -1)))
            excess = staffed[c, a] - target[c, a]
            if posts.fte[c, a, last] - excess > 0.05:
                posts.fte[c, a, last] -= excess  # less money: the last post is cut to part time rather than ended
            else:
                posts.vacate(c, a, last)
        hire = ~cut & (target - staffed > 0.05) & (u[:, :, 0] < p["hire_rate"]) & ~(posts.held == MAX_POSTS)
        for c, a in zip(*np.nonzero(hire)):
            DevelopmentLeader(m, m.structures[c], int(a), fte=min(1.0, target[c, a] - staffed[c, a]))

    def consider_linking(self, u: np.ndarray) -> None:
        """Where the areas are not fixed, a platform leader brings each active area's leaders in with a
        monthly hazard (``structure.link_rate``)."""
        rate = np.array([self.model.p["structure"]["link_rate"][k] for k in AREAS])
        link = (self.has_platform & self.auto_areas)[:, None] & ~self.linked & self.area_active & (u < rate)
        for c, a in zip(*np.nonzero(link)):
            self.link_area(int(c), int(a))

    def coordinate_leaders(self, u: np.ndarray) -> None:
        """Leader-leader ties: fixed under the unit principle, grown at meetings under the network principle."""
        p = self.model.p["structure"]
        network = ~self.unit & self.exists
        meeting = network & self.has_platform & (u < self.meetings / 12.0)
        decay = np.where(network, 1.0 - p["tie_decay"], 1.0)
        grow = np.where(meeting, p["tie_growth"], 0.0)
        self.model.leader_posts.meet(decay * (1.0 - grow), grow)

    def support_municipalities(self, u: np.ndarray) -> None:
        """Development leaders learn, and work with the municipalities of their area; a county's leaders
        share its municipalities, and leaders linked to the structure count as the initiative's activity.
        u: (municipalities, areas)."""
        m = self.model
        pl = m.p["leaders"]
        posts = m.leader_posts
        if not m.p["channels"]["leaders"]:
            return
        posts.learn(posts.colleague_tie(), posts.occupied)
        county = m.muni_county
        visits = np.minimum(1.0, pl["municipalities_per_fte"] * posts.fte / m.county_sizes[:, None, None])
        reach = (self.field_proximity() * self.staff_time())[:, None, None]
        miss = np.prod(1.0 - visits * reach * posts.occupied, axis=2)  # (county, area)
        fte = posts.staffed_fte()
        competence = (posts.competence * posts.fte * posts.occupied).sum(axis=2) / np.maximum(fte, 1e-12)
        boost = 1.0 + pl["platform_uptake_boost"] * (self.linked & self.has_platform[:, None])
        contact = u < (1.0 - miss)[county]
        m.knowledge.expose(contact, uptake=np.minimum(1.0, pl["uptake"] * competence * boost)[county],
                           consolidation=np.minimum(1.0, pl["consolidation"] * competence * boost)[county],
                           initiative=self.linked[county], structure=self.linked[county])

    def run_platform_activity(self, u: np.ndarray) -> None:
        """Network meetings, training and seminars open to every municipality of the county, in the areas
        linked to the structure. u: one uniform per municipality."""
        m = self.model
        if not m.p["channels"]["platform"]:
            return
        p = m.p["structure"]
        # a small platform staff runs a fixed number of activities a month, shared by the county's municipalities
        rate = (p["platform_activity_capacity"] * self.has_platform * self.funding_ratio * self.readiness
                * self.staff_time() / m.county_sizes)
        carried = self.linked & self.area_active
        contact = (u < 1.0 - np.exp(-rate)[m.muni_county])[:, None] & carried[m.muni_county]
        m.knowledge.expose(contact, uptake=p["platform_uptake"], initiative=True, structure=True)

    def report_upward(self) -> None:
        """Experience flows up from practice: leaders close to the field report more."""
        m = self.model
        posts = m.leader_posts
        rate = m.p["leaders"]["upward_rate"] * posts.staffed_fte() * self.field_proximity()[:, None]
        lam = rate * (self.linked & self.has_platform[:, None]) * m.county_using
        reports = poisson(m.streams("upward").random(lam.shape), lam)
        self.upward_reports = reports.sum(axis=1)
        m.upward[m.month] += reports.sum(axis=0)  # received nationally: shapes the relevance of national guidance
