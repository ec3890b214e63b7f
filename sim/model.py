"""EBPModel: Sweden's knowledge-support system for evidence-based practice, month by month.

One step is one month (January 2010 = month 0). Dated things — SALAR's events, R&D closures, funding
years, the announcement of the phase-out, a programme area getting its development leaders — are Mesa
events scheduled on the model's clock between steps; the step itself runs the monthly processes in the
order of the ODD's process overview.
"""

from __future__ import annotations

from datetime import date

import mesa
import numpy as np
import pandas as pd
from mesa.time import Priority

from .agents import (
    CountyCouncil,
    Guidance,
    Municipality,
    NationalCoordination,
    NationalKnowledgeCentre,
    PrivateProvider,
    University,
    peer_imitation_and_broadcast,
)
from .country import Country, county_settings, parse_date
from .funding import Funding
from .knowledge import USING, KnowledgeState
from .observables import Observables
from .parameters import AREAS, ParameterError, defaults, merge
from .principles import reconsider_principle
from .streams import Streams
from .leaders import LeaderPosts
from .rd_units import RDUnits
from .structures import RegionalSupportStructure, SupportStructures
from .ties import TiesPicture


def by_key_items(areas: list[dict]):
    return [(a["key"], a) for a in areas]


class DatedEvent:
    """A callback fixed to one month; kept alive by the model because Mesa holds events weakly."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def fire(self) -> None:
        self.fn(*self.args)


class EBPModel(mesa.Model):
    """The national model. `EBPModel(seed=1).run()` simulates the reported history 2010-2020."""

    def __init__(self, seed: int = 0, params: dict | None = None, country: Country | None = None, scale: int = 1):
        super().__init__(rng=int(seed))
        self.seed = int(seed)
        self.p = merge(defaults(), params)
        self.country = country if country is not None else Country.load(scale)
        self.streams = Streams(self.seed)
        self.start_date = parse_date(self.p["start"])
        self.end_date = parse_date(self.p["end"])
        self.start_year = self.start_date.year
        self.n_months = self.month_of(self.end_date) + 1
        if self.n_months < 1:
            raise ParameterError("end", self.p["end"], f"a month after start ({self.p['start']})")
        self.month = 0
        self.year = self.start_year
        self._ties = TiesPicture(self)
        self.funding = Funding(self.country, self.p)
        self._dated: list[DatedEvent] = []
        self._build_agents()
        self._schedule_dated_events()
        self.observables = Observables(self)

    @property
    def ties(self):
        """The structures as a networkx graph over agent ids (drawn from the current state when asked for)."""
        return self._ties.graph()

    # -- calendar ----------------------------------------------------------------------------------
    def month_of(self, when) -> int:
        d = parse_date(when) if isinstance(when, str) else when
        return (d.year - self.start_date.year) * 12 + d.month - self.start_date.month

    def date_of(self, month: int) -> date:
        y, mo = divmod(self.start_date.month - 1 + month, 12)
        return date(self.start_date.year + y, mo + 1, 1)

    def at_month(self, month: int, fn, *args, offset: float = 0.5) -> None:
        """Run fn(*args) before the step of `month` (months before the start run at once)."""
        ev = DatedEvent(fn, *args)
        if month < 0:
            ev.fire()
        elif month < self.n_months:
            self._dated.append(ev)
            self.schedule_event(ev.fire, at=month + offset, priority=Priority.HIGH)

    # -- building the country ----------------------------------------------------------------------
    def county_override(self, county) -> dict:
        out = {}
        for key, override in self.p["county_overrides"].items():
            if self.country.county(key) is county:
                out.update({k: v for k, v in override.items() if v is not None})
        return out

    def _build_agents(self) -> None:
        c = self.country
        self.n_municipalities = c.n_municipalities
        self.muni_county = c.muni_county
        self.county_sizes = np.bincount(c.muni_county, minlength=len(c.counties)).astype(float)
        # county x municipality, 1.0 where the municipality is the county's: a product with it counts exactly
        # (whole numbers in any order of summation), so shares made from it are the same on every processor
        self.county_members = np.zeros((len(c.counties), c.n_municipalities))
        self.county_members[c.muni_county, np.arange(c.n_municipalities)] = 1.0
        self._county_divisor = np.maximum(self.county_sizes, 1)[:, None]
        self.knowledge = KnowledgeState(self.n_municipalities, len(AREAS), self.p, c.muni_population)
        self.knowledge.seed_initial(self.streams("initial").random((self.n_municipalities, len(AREAS))))
        self._knowledge_stream = self.streams("knowledge")
        self._u_knowledge = np.empty((4, self.n_municipalities, len(AREAS)))  # refilled each month
        self._using = np.empty((self.n_municipalities, len(AREAS)))  # refilled each month: 1.0 where USING or above
        by_key = {a["key"]: a for a in c.areas}
        self.academic_fields = np.array([by_key[k]["academic_field"] for k in AREAS])
        # an area's national programme running (programme_areas.csv activity_from); before it, only spill-over
        self.areas_running = np.array([by_key[k]["activity_from"] <= self.start_date for k in AREAS])
        self.knowledge.area_open = np.where(self.areas_running, 1.0, self.p["knowledge"]["spillover"])
        self.platform_hires = 0  # platform leaders hired so far (turnover shows as more hires than counties)
        self.staff_time_lost = 0.0  # structure-months of staff time taken by national networks and parallel guidance
        self.upward = np.zeros((self.n_months, len(AREAS)))  # upward reports received nationally, by month
        self.duplication_muni = np.zeros(self.n_municipalities)  # this month's, made by the centres' guidance
        self.salar = NationalCoordination(self)
        settings = county_settings(c, self.p)
        self.county_councils = [CountyCouncil(self, county, settings[county.index]) for county in c.counties]
        # plain Python lists: indexing numpy arrays one element at a time is slow for ~300 agents
        codes, names, county_of, pops = (c.muni_code.tolist(), c.muni_name.tolist(), c.muni_county.tolist(),
                                         c.muni_population.tolist())
        self.municipality_agents = [Municipality(self, i, codes[i], names[i], c.counties[county_of[i]], pops[i])
                                    for i in range(self.n_municipalities)]
        self.regional = SupportStructures(self, settings)
        self.leader_posts = LeaderPosts(self, len(c.counties))
        self.structures = []
        for county in c.counties:
            munis = [self.municipality_agents[i] for i in county.municipalities]
            self.structures.append(RegionalSupportStructure(self, county, settings[county.index],
                                                            self.county_councils[county.index], munis))
        self.rd = RDUnits(self, c.rd_units, c.rd_events)
        self.rd_units = self.rd.agents
        self.universities = [University(self, u, self.structures[u["county"]]) for u in c.universities]
        for u in self.universities:
            u.structure.universities.append(u)
        self.university_county = np.array([u["county"] for u in c.universities], dtype=np.int64)
        self.university_social_work = np.array([u.social_work for u in self.universities], dtype=bool)
        self.university_reach = University.reach(self)
        # parties to agree on one platform: each sub-region, and each R&D unit beyond the first (BRIEF §2)
        active_units = np.bincount(self.rd.county[self.rd.active], minlength=len(c.counties))
        self.regional.parties = np.array([s.county.subregions for s in self.structures]) + np.maximum(0, active_units - 1)
        self.regional.fixed_principle = np.array(["principle" in self.county_override(s.county) for s in self.structures])
        # the principle is data through the year seed 004 reports it and through its last dated change
        self.regional.principle_held_until = np.array([
            max([s.county.principle_reported or 0] + [when.year for when, _ in s.county.principle_changes])
            for s in self.structures])
        self.centres = [NationalKnowledgeCentre(self, d) for d in c.centres]
        self.centre_areas = np.zeros((len(self.centres), len(AREAS)))
        for k, centre in enumerate(self.centres):
            self.centre_areas[k, centre.areas] = 1.0
        self.centre_founded = np.array([centre.founded or 0 for centre in self.centres])
        self.guidance = Guidance(self)  # what national guidance needs that is fixed for a run or a year
        self.university_year: list[tuple] = []  # a year's university contacts, drawn at once, month by month
        self.university_linked = None  # the mask expose takes for the universities linked, kept until one is
        # private providers in proportion to population (parameter providers.per_10k_inhabitants)
        per = self.p["providers"]["per_10k_inhabitants"]
        counts = np.maximum(0, np.rint(c.muni_population * per / 10_000)).astype(int)
        self.provider_muni = np.repeat(np.arange(self.n_municipalities), counts)
        self.providers_per_muni = counts  # (repeating a municipality's row this often gives its providers' rows)
        self.providers = [PrivateProvider(self, i) for i in self.provider_muni.tolist()]
        self.provider_reached = np.zeros((len(self.provider_muni), len(AREAS)), dtype=bool)

    def _schedule_dated_events(self) -> None:
        c = self.country
        for y in range(self.start_year, self.end_date.year + 1):
            self.at_month(self.month_of(date(y, 1, 1)), self.new_year, y, offset=0.2)
        if self.month_of(date(self.start_year, 1, 1)) < 0:  # a start in mid-year still needs a budget
            self.new_year(self.start_year)
        for a, area in enumerate(c.areas):
            self.at_month(self.month_of(area["leaders_from"]), self.activate_area, AREAS.index(area["key"]), offset=0.1)
        for key, area in by_key_items(c.areas):
            self.at_month(self.month_of(area["activity_from"]), self.start_programme, AREAS.index(key), offset=0.05)
        for s in self.structures:
            for when, principle in s.county.principle_changes:
                self.at_month(self.month_of(when), s.set_principle, principle, offset=0.15)
        for ev in c.events:
            self.at_month(self.month_of(ev["date"]), self.salar.hold_event, ev)
        units = {u.key: u for u in self.rd_units}
        for ev in c.rd_events:
            self.at_month(self.month_of(ev["date"]), units[ev["unit_id"]].apply_event, ev)
        for u, data in zip(self.rd_units, c.rd_units):
            if data["active_from"] is not None and data["active_from"] > self.start_date:
                self.at_month(self.month_of(data["active_from"]), u.apply_event, {"event": "open"})
        if self.funding.full_takeover_year() is not None or any(s < 1 for _, s in self.funding.schedule):
            first = self.month_of(self.p["funding"]["announced"])
            for m in range(max(first, 0), self.n_months, 12):
                self.at_month(m, self.decide_cofinancing, offset=0.6)

    # -- dated processes ---------------------------------------------------------------------------
    def new_year(self, year: int) -> None:
        self.year = year
        self.regional.set_budgets(year, np.array([cc.takeover for cc in self.county_councils]))
        u = self.streams("gather").random(len(self.structures))  # drawn every year: common random numbers
        if year > self.start_year:
            reconsider_principle(self.regional, year, u)

    def start_programme(self, area: int) -> None:
        self.areas_running[area] = True
        self.knowledge.open_area(area)

    def upward_recent(self, months: int = 12) -> np.ndarray:
        """Upward reports received nationally per area over the last `months` months."""
        return self.upward[max(0, self.month - months):self.month].sum(axis=0)

    def county_share(self, mask: np.ndarray) -> np.ndarray:
        """(county, ...): the share of each county's municipalities where `mask` (municipality, ...; 0/1) holds.
        The count is exact whatever the linear-algebra library sums first, so a Dask worker on another
        processor gets the same number to the last bit (tests/test_hardware.py)."""
        share = np.matmul(self.county_members, mask)
        share /= self._county_divisor
        return share

    def activate_area(self, area: int) -> None:
        self.regional.area_active[area] = True

    def decide_cofinancing(self) -> None:
        CountyCouncil.decide_cofinancing(self)

    # -- the month ---------------------------------------------------------------------------------
    def step(self) -> None:
        self.month = self.steps - 1
        self.year = self.start_year + (self.start_date.month - 1 + self.month) // 12  # (date_of's year, no date)
        # the month's transitions and who takes part, drawn at once (the same numbers whenever they are drawn)
        u_knowledge = self._knowledge_stream.random(out=self._u_knowledge)
        self.knowledge.set_participation(u_knowledge[3, :, 0])
        # county x area, start of month (the mask made as 1.0/0.0 at once: the same product as of the bools,
        # which matmul would first copy to floats)
        using = np.greater_equal(self.knowledge.level, USING, out=self._using, casting="unsafe")
        self.county_using = self.county_share(using)
        self.regional.step()
        self.rd.run_activities()
        University.teach(self)
        NationalKnowledgeCentre.publish_guidance(self)
        peer_imitation_and_broadcast(self)
        self.knowledge.end_month(self.month, u_knowledge[:3])
        PrivateProvider.receive_knowledge(self)
        self.observables.record(self.month)
        if self.steps >= self.n_months:
            self.running = False

    def run(self) -> "EBPModel":
        while self.running and self.steps < self.n_months:
            self.step()
        self.observables.compute()
        return self

    def results(self) -> pd.DataFrame:
        """The monthly observables as a tidy table: date, county ('national' or name), observable, value."""
        return self.observables.table()
