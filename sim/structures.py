"""The regional support structures of the 21 counties (their leaders are in ``leaders``).

Each county's structure is a Mesa agent, ``RegionalSupportStructure`` (``regional_structure``); what the
monthly processes update is held for all counties at once in ``SupportStructures`` here (arrays over
counties, areas and municipalities), and the agent is a view of its county's row. One month is then a
fixed number of vector operations whatever the number of counties (ODD process overview, step 2; submodel
"Regional support structure").

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

from typing import NamedTuple

import numpy as np

from .draws import MAX_PARTIES, rare_poisson_cells, structure_draws
from .funding import Budget
from .leaders import MAX_POSTS, DevelopmentLeader, PlatformLeader
from .parameters import AREAS
from .regional_structure import RegionalSupportStructure  # noqa: F401  (the agent, imported from here too)
from .state import Derived


class PlatformLinks(NamedTuple):
    """What follows from the links and who has a platform leader (a few changes a year)."""
    linked: np.ndarray  # (county, area) linked to a structure with a platform leader in post
    boost: np.ndarray  # (county, area) 1 + leaders.platform_uptake_boost there, else 1
    any_platform: np.ndarray  # (a 0-d bool) some county has a platform leader
    proximity: np.ndarray  # (county, area) the field proximity there, else 0


class SupportStructures:
    """The state and the monthly processes of every county's structure, as arrays over counties. Arrays
    derived from state that changes a few times a year (platforms, links, money) are kept until it changes
    (``_derived``, keyed by counters or by the bytes of the arrays they are made from) or updated where it
    changes, and a process skips what is provably a no-op (its draws are made all the same)."""

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
        self.platform: list = [None] * n  # a list: an object array would hide the agents from the cycle collector
        self.has_platform = np.zeros(n, dtype=bool)
        self.parties = np.ones(n, dtype=np.int64)  # set by the model: sub-regions + further R&D units (BRIEF §2)
        self.consented = np.zeros(n, dtype=np.int64)
        self.consenting = True  # some party may still have to agree
        self.time_load = np.zeros(n)  # share of staff time taken this month by national networks and parallel guidance
        self.next_load = np.zeros(n)
        self._staff_time = np.ones(n)  # 1 - time_load, made when time_load is (monthly)
        self.had_link = np.zeros(n, dtype=bool)  # a platform leader has asked for resource people here
        # per municipality, the monthly chance to lose / to appoint a resource person, -1 where it cannot happen
        # (set as platform leaders come and go)
        self._lose_person = np.full(model.n_municipalities, -1.0)
        self._appoint_person = np.full(model.n_municipalities, -1.0)
        self.money = np.zeros((n, 1 + n_a))  # SEK million this year: structure, then each area
        self.funding_ratio = np.zeros(n)
        self.state = np.zeros(n)
        self.principals = np.zeros(n)
        self.full_cost = np.zeros(n)
        self.budget = Budget(model.funding, self.exists)  # the year's money of every county, set each January
        self.upward_reports = np.zeros(n, dtype=np.int64)
        self.version = 0  # bumped when people or ties change: the ties picture is redrawn only then
        # what does not change during a run, looked up once
        self._declaration = model.month_of(p["declaration_date"])
        self._party = np.arange(MAX_PARTIES)
        self._leader_chances = np.array([model.p["leaders"]["uptake"], model.p["leaders"]["consolidation"]])
        self._draws = structure_draws(self)
        self._no_reports = np.zeros(n, dtype=np.int64)
        self._no_reports.flags.writeable = False
        # money enough for a platform leader (structure.platform_min_funding); set again by set_budgets
        self.funded = self.exists & (self.funding_ratio >= p["platform_min_funding"])
        self.epoch = 0  # bumped by restructured(): keys the arrays derived from the structures' state
        self._derived = Derived()
        self._posts = (None, None)  # (key, lists) of _platform_posts
        self._staff_gap = (None, None, None)  # (posts' epoch, target, what follows) of _staffing
        self._asked = False  # some platform leader has asked for resource people
        self._n_linked = 0  # areas linked in all: links are never undone, so this keys what follows from them

    def changed(self) -> None:
        self.version += 1

    def restructured(self) -> None:
        """Who has a platform leader, which areas are linked, a principle or the money changed."""
        self.epoch += 1
        self.changed()

    # -- what follows from the links: kept until they change (links are never undone, so the number made
    # keys them, with the areas open and, where it matters, who has a platform leader) -------------------
    def _munis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(municipality, area) linked in the municipality's county; linked and active (the platform's
        activity carries it); whether any is carried."""
        def make():
            linked_munis = self.linked.take(self.model.muni_county, axis=0)
            carried = linked_munis & self.area_active
            return linked_munis, carried, np.array(carried.any())
        return self._derived("munis", (self._n_linked, self.area_active.tobytes()), make)

    def _platform_links(self) -> PlatformLinks:
        def make():
            linked = self.linked & self.has_platform[:, None]
            boost = 1.0 + self.model.p["leaders"]["platform_uptake_boost"] * linked
            return PlatformLinks(linked, boost, np.array(self.has_platform.any()), self.field_proximity()[:, None] * linked)
        return self._derived("platform_links", (self._n_linked, self.has_platform.tobytes(), self.unit.tobytes()), make)

    def _unlinked(self) -> tuple[np.ndarray, np.ndarray]:
        """(county, area) active and not linked in a structure with 'auto' areas (its platform leader, when
        there is one, links them), and whether there is any."""
        def make():
            unlinked = (self.auto_areas & self.exists)[:, None] & ~self.linked & self.area_active
            return unlinked, np.array(unlinked.any())
        return self._derived("unlinked", (self._n_linked, self.area_active.tobytes()), make)

    # -- money and staff ---------------------------------------------------------------------------
    def set_budgets(self, year: int, takeover: np.ndarray) -> None:
        """January: every county's money for the year per component, from the state and the share the
        principals took over (`takeover`, per county)."""
        budget = self.budget
        budget.set_year(year, takeover)
        self.money[:] = budget.money
        self.funding_ratio[:] = budget.funding_ratio()
        self.funded[:] = self.exists & (self.funding_ratio >= self.model.p["structure"]["platform_min_funding"])
        self.state[:], self.principals[:], self.full_cost[:] = budget.state, budget.principals, budget.full_cost
        self.restructured()

    def target_fte(self) -> np.ndarray:
        """(county, area) FTE the year's money pays for, after administration (the principle's overhead)."""
        return self._targets()[0]

    def _targets(self) -> tuple[np.ndarray, np.ndarray]:
        """target_fte, and the staffing above which posts are cut (target + 1e-9)."""
        def make():
            p = self.model.p
            overhead = np.where(self.unit, p["structure"]["admin_overhead"]["unit"], p["structure"]["admin_overhead"]["network"])
            target = (self.area_active * self.money[:, 1:] * (1.0 - overhead)[:, None]) / p["leaders"]["cost_msek_per_fte"]
            return target, target + 1e-9
        return self._derived("target", (self.unit.tobytes(), self.area_active.tobytes(), self.money.tobytes()), make)

    def field_proximity(self) -> np.ndarray:
        fp = self.model.p["structure"]["field_proximity"]
        return self._derived("proximity", (self.unit.tobytes(),), lambda: np.where(self.unit, fp["unit"], fp["network"]))

    def staff_time(self) -> np.ndarray:
        return self._staff_time

    def functioning(self) -> np.ndarray:
        posts = self.model.leader_posts
        return self._derived("functioning", (self.epoch, posts.epoch),
                             lambda: self.has_platform & (self.money[:, 0] > 0) & (self.linked & (posts.held > 0)).any(axis=1))

    def set_platform(self, c: int, leader: PlatformLeader | None) -> None:
        """County c's platform leader came (`leader`) or left (None)."""
        self.platform[c], self.has_platform[c] = leader, leader is not None
        self.restructured()

    def ask_for_resource_people(self, c: int) -> None:
        """County c's platform leader came or left: while in post, the leader asks its municipalities for
        resource people (municipality.resource_person_rate x capacity a month); once asked, a person may
        leave (municipality.resource_person_loss) even after the leader has gone."""
        rows, p = self.model.structures[c].rows, self.model.p["municipality"]
        if self.has_platform[c]:
            self.had_link[c] = self._asked = True
            self._lose_person[rows] = p["resource_person_loss"]
            self._appoint_person[rows] = p["resource_person_rate"] * self.model.knowledge.capacity[rows]
        else:
            self._appoint_person[rows] = -1.0

    def link_area(self, c: int, area: int) -> None:
        if not self.linked[c, area]:
            self.linked[c, area] = True
            self._n_linked += 1
            self.model.leader_posts.join(c, area)
            self.restructured()

    # -- the month: ODD process overview, step 2, for every county at once ----------------------------
    def step(self) -> None:
        m, draws = self.model, self._draws
        np.minimum(0.9, self.next_load, out=self.time_load)
        self._staff_time = 1.0 - self.time_load
        self.next_load.fill(0.0)
        m.staff_time_lost += float(self.time_load.sum())
        hire, layoff, meeting, link, leave, rd_agrees = draws["structure"].next()
        if self.consenting:  # (once all parties have agreed the consent stream, used nowhere else, is left)
            self.seek_consent(*draws["consent"].next())
        self.staff_platform(hire, layoff, leave)
        self.negotiate_rd(rd_agrees)
        self.keep_resource_people(*draws["link-person"].next())
        self.staff_areas(*draws["leaders"].next())
        self.consider_linking(link)
        self.coordinate_leaders(meeting)
        self.support_municipalities(*draws["leaders-field"].next())
        self.run_platform_activity(*draws["platform"].next())
        self.report_upward(*draws["upward"].next())

    def seek_consent(self, agrees: np.ndarray) -> None:
        """After the declaration of intent every party (sub-region, further R&D unit) must agree to one joint
        platform; each does so with a monthly hazard, so counties with many parties take longer.
        agrees: (county, party) the party would agree this month (``structure.consent_rate``)."""
        if self.model.month < self._declaration:
            return
        waiting = self.parties - self.consented
        if not waiting.any():  # all have agreed, for good (the parties are set when the model is built)
            self.consenting = False
            return
        np.minimum(waiting, MAX_PARTIES, out=waiting)
        self.consented += (agrees & (self._party < waiting[:, None])).sum(axis=1)

    def staff_platform(self, hire: list, layoff: list, leave: list) -> None:
        """Fill the platform-leader post once all parties agree; lose the leader to turnover (the post is
        refilled) or end the post when the money stops (staff follow the money). Per county (lists), whether this
        month a vacancy would be filled (``structure.platform_hire_rate`` x readiness), an unfunded post
        ended (``leaders.layoff_rate``; the same draw), the leader leave (``structure.platform_turnover``)."""
        m, posts = self.model, self._platform_posts()
        for c in posts[0]:
            if leave[c]:
                self.platform[c].leave()
                posts = None
        # posts without money, vacant posts with money, after the leaves (a post ended below is not vacant)
        _, unfunded, vacant = posts or self._platform_posts()
        for c in unfunded:
            if layoff[c]:
                self.platform[c].leave()
        for c in vacant:
            if hire[c] and (not self.consenting or self.consented[c] >= self.parties[c]):  # (all agreed)
                PlatformLeader(m, m.structures[c])

    def _platform_posts(self) -> tuple[list, list, list]:
        """Counties with a platform leader, those of them without money, and those with money but no leader:
        Python lists (a loop over a few counties costs less than masks), kept until a leader comes or goes
        or the money changes."""
        have, funded = self.has_platform, self.funded
        key = (have.tobytes(), funded.tobytes())
        if self._posts[0] != key:
            have, funded = have.tolist(), funded.tolist()
            self._posts = key, ([c for c, h in enumerate(have) if h],
                                [c for c, (h, f) in enumerate(zip(have, funded)) if h and not f],
                                [c for c, (h, f) in enumerate(zip(have, funded)) if f and not h])
        return self._posts[1]

    def negotiate_rd(self, agrees: np.ndarray) -> None:
        """The platform leader brings the county's R&D units in one at a time (seed 001 §6.3: units with
        different owners compete and find it hard to cooperate). agrees: per county, the unit in talks
        joins this month (``rd.link_rate``)."""
        rd = self.model.rd
        # units waiting to join in counties where the one in talks (the first waiting) agrees this month
        joins = ~rd.linked & rd.active & (self.has_platform & agrees).take(rd.county)
        if not joins.any():
            return
        talks = set()
        for i, c in zip(np.flatnonzero(joins).tolist(), rd.county[joins].tolist()):
            if c not in talks:
                talks.add(c)
                rd.linked[i] = True

    def keep_resource_people(self, u: np.ndarray) -> None:
        """Municipalities appoint a resource person as their link to the structure when a platform leader
        asks (BRIEF §2, Jönköping), more readily the larger they are; the person may leave and is replaced
        only while the platform leader is in post (the chances: ``ask_for_resource_people``)."""
        if not self._asked:  # no platform leader has asked yet
            return
        kn = self.model.knowledge
        has = kn.has_link
        kn.has_link = has ^ (u < np.where(has, self._lose_person, self._appoint_person))  # one leaves, or is appointed

    def staff_areas(self, hire: list, layoff: list, leave: list) -> None:
        """Staff follows the money: fill funded posts, end unfunded ones, and lose leaders to turnover.
        hire, layoff: per (county, area), flat, a vacancy would be filled / a post cut this month
        (``leaders.hire_rate``, ``leaders.layoff_rate``; one draw); leave: the flat (county, area, post)
        indices whose leader would leave (``leaders.turnover``)."""
        m, n_a, posts = self.model, len(AREAS), self.model.leader_posts
        occupied = posts.occupied.reshape(-1)  # (a view)
        for i in leave:
            if occupied[i]:
                c, k = divmod(i, n_a * MAX_POSTS)
                posts.vacate(c, *divmod(k, MAX_POSTS))  # the post stays funded and is refilled below
        gap, over, short = self._staffing()
        cut = [divmod(i, n_a) for i in over if layoff[i]]
        if cut:
            posts.cut_back(cut, posts.staffed_fte() - self.target_fte())  # (where a post is held)
        # (an area with more staff than money never hires, so no area is both cut and hiring)
        for i in short:
            if hire[i]:
                c, a = divmod(i, n_a)
                if posts.free_post(c, a) is not None:
                    DevelopmentLeader(m, m.structures[c], a, fte=min(1.0, gap[c, a]))

    def _staffing(self) -> tuple[np.ndarray, list, list]:
        """(county, area) FTE the money pays for beyond the staff in post, and the flat (county, area) indices
        with more staff than money / with at least 0.05 FTE unfilled: kept until posts or money change."""
        posts, (target, over) = self.model.leader_posts, self._targets()
        made = self._staff_gap
        if made[0] != posts.epoch or made[1] is not target:
            staffed = posts.staffed_fte()
            gap = target - staffed  # (below, x.ravel().nonzero()[0]: np.flatnonzero(x) at a third of its cost)
            made = self._staff_gap = (posts.epoch, target, (gap, (staffed > over).ravel().nonzero()[0].tolist(),
                                                            (gap > 0.05).ravel().nonzero()[0].tolist()))
        return made[2]

    def consider_linking(self, link: np.ndarray) -> None:
        """Where the areas are not fixed, a platform leader brings each active area's leaders in with a
        monthly hazard (``structure.link_rate``). link: (county, area) it would happen this month."""
        unlinked, any_unlinked = self._unlinked()
        if not any_unlinked:  # (after the first years: every active area linked)
            return
        for i in (unlinked & link & self.has_platform[:, None]).ravel().nonzero()[0].tolist():  # (flatnonzero)
            self.link_area(*divmod(i, len(AREAS)))

    def coordinate_leaders(self, meets: np.ndarray) -> None:
        """Leader-leader ties: fixed under the unit principle, grown at meetings under the network principle.
        meets: per county, a joint meeting is held this month (``meetings_per_year`` / 12) if it has a platform."""
        p = self.model.p["structure"]
        network = self._derived("network", (self.unit.tobytes(),), lambda: np.flatnonzero(~self.unit & self.exists))
        if not len(network):
            return
        self.model.leader_posts.meet(network.tolist(), (self.has_platform & meets).tolist(), 1.0 - p["tie_decay"],
                                     p["tie_growth"])

    def support_municipalities(self, u: np.ndarray) -> None:
        """Development leaders learn, and work with the municipalities of their area; a county's leaders
        share its municipalities, and leaders linked to the structure count as the initiative's activity.
        u: (municipalities, areas)."""
        m = self.model
        posts = m.leader_posts
        if not m.p["channels"]["leaders"]:
            return
        posts.learn(posts.colleague_tie())  # (every post: only those in post are read)
        county = m.muni_county
        miss = posts.no_visit(self.field_proximity() * self.staff_time())
        contact = u < (1.0 - miss).take(county, axis=0)
        competence = posts.mean_competence()
        # (where linked, per municipality and area; every or no area linked: expose's cheaper path, the same result)
        linked = True if self._n_linked == self.linked.size else self._n_linked > 0 and self._munis()[0]
        # uptake and consolidation chances together: (2, county, area), then per municipality
        chance = np.multiply.outer(self._leader_chances, competence)
        chance *= self._platform_links().boost
        np.minimum(1.0, chance, out=chance)
        uptake, consolidation = chance.take(county, axis=1)
        m.knowledge.expose(contact, uptake=uptake, consolidation=consolidation, initiative=linked, structure=linked)

    def run_platform_activity(self, u: np.ndarray) -> None:
        """Network meetings, training and seminars open to every municipality of the county, in the areas
        linked to the structure. u: one uniform per municipality."""
        m = self.model
        if not m.p["channels"]["platform"]:
            return
        p = m.p["structure"]
        _, carried, any_carried = self._munis()
        if not (any_carried and self._platform_links().any_platform):  # no contact anywhere
            return
        # a small platform staff runs a fixed number of activities a month, shared by the county's municipalities
        # (kept negated: -(c * t / n) is (-c) * t / n exactly, so the month's rate needs no negation for exp)
        minus_capacity = self._derived("activity", (self.has_platform.tobytes(), self.funding_ratio.tobytes()), lambda: (
            -(p["platform_activity_capacity"] * self.has_platform * self.funding_ratio * self.readiness)))
        minus_rate = minus_capacity * self.staff_time() / m.county_sizes
        contact = (u < (1.0 - np.exp(minus_rate)).take(m.muni_county))[:, None] & carried
        m.knowledge.expose(contact, uptake=p["platform_uptake"], initiative=True, structure=True)

    def report_upward(self, u: np.ndarray) -> None:
        """Experience flows up from practice: leaders close to the field report more. u: (county, area)."""
        m = self.model
        # (not kept: the posts change nearly every month; x proximity where platform-linked, else x 0, is the
        # same as x proximity, then x 1 or 0)
        lam = m.p["leaders"]["upward_rate"] * m.leader_posts.staffed_fte() * self._platform_links().proximity
        lam *= m.county_using
        cells = rare_poisson_cells(u, lam)  # (streams.poisson's counts, where above zero)
        if not cells:  # (most months: a few reports among 105 county-areas, often none)
            self.upward_reports = self._no_reports
            return
        reports, by_area, n_a = np.zeros(len(self.unit), dtype=np.int64), {}, len(AREAS)
        for i, n in cells:
            c, a = divmod(i, n_a)
            reports[c] += n
            by_area[a] = by_area.get(a, 0) + n
        self.upward_reports = reports
        row = m.upward[m.month]  # received nationally: shapes the relevance of national guidance
        for a, n in by_area.items():
            row[a] += n
