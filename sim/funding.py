"""Money: state grants by year and component, the principals' take-over, and who pays what.

State money by year comes from ``sim/data/state_funding.csv`` (the 2011 agreement as baseline, later
years as reported or assumed there). After the last year with data, each regional component costs what it
cost in that year (the *baseline cost*) and the state pays ``funding.state_share[year]`` of it; the
principals (the county council and its municipalities) pay the share of the rest they have decided to take
over, 0-100 % (see ``CountyCouncil.decide_cofinancing``). Grants are split among counties by
``funding.allocation_base_share`` equally and the rest by population (an assumption: the agreements do not
give a per-county key).
"""

from __future__ import annotations

from .parameters import AREAS

REGIONAL = ("structure",) + AREAS


class Funding:
    def __init__(self, country, params: dict):
        self.p = params["funding"]
        self.data = country.funding
        self.last_year = max(y for y, _ in self.data)
        self._last_year_of = {c: max((y for y, k in self.data if k == c), default=self.last_year) for c in REGIONAL}
        self.baseline = {c: self.data.get((self.last_year_of(c), c), 0.0) for c in REGIONAL}
        total_pop = sum(c.population for c in country.counties)
        base = self.p["allocation_base_share"]
        n = len(country.counties)
        self.key = [base / n + (1 - base) * c.population / total_pop for c in country.counties]
        self.schedule = sorted((int(y), float(s)) for y, s in self.p["state_share"].items())
        # looked up thousands of times a run (each county, component and year): remembered once computed
        self._national: dict[tuple[int, str], float] = {}
        self._share: dict[int, float] = {}

    def last_year_of(self, component: str) -> int:
        if component in self._last_year_of:
            return self._last_year_of[component]
        return max((y for y, c in self.data if c == component), default=self.last_year)

    def state_share(self, year: int) -> float:
        """Share of the baseline cost the state pays in `year` (1.0 before the first scheduled year)."""
        share = self._share.get(year)
        if share is None:
            share = 1.0
            for y, s in self.schedule:
                if y <= year:
                    share = s
            self._share[year] = share
        return share

    def full_takeover_year(self) -> int | None:
        """First year the state pays nothing, or None if it never stops."""
        for y, s in self.schedule:
            if s <= 0.0:
                return y
        return None

    def national(self, year: int, component: str) -> float:
        """State SEK million for a component nationally in `year`, before the phase-out schedule."""
        key = (year, component)
        value = self._national.get(key)
        if value is None:
            if key in self.data:
                value = self.data[key]
            elif component in REGIONAL and year > self.last_year_of(component):
                value = self.baseline[component]
            else:
                value = 0.0
            self._national[key] = value
        return value

    def county_budget(self, county_index: int, year: int, component: str, takeover: float) -> tuple[float, float]:
        """(state, principals) SEK million for one county, component and year; `takeover` is the share of
        the cost the state no longer pays that the principals have decided to bear (0-1)."""
        full = self.national(year, component) * self.key[county_index]
        share = self.state_share(year) if component in REGIONAL else 1.0
        state = full * share
        principals = full * (1.0 - share) * takeover
        return state, principals

    def burden(self, county_index: int, year: int, population: int) -> float:
        """SEK per inhabitant the county's principals would pay in `year` to keep the whole structure."""
        msek = sum(self.national(year, c) * self.key[county_index] * (1.0 - self.state_share(year)) for c in REGIONAL)
        return msek * 1e6 / max(1, population)


class Budget:
    """One county's money for the current year: (state, principals) SEK million per component.

    Set each January from the national grants, the phase-out schedule and the principals' decision; the
    structure reads from it what it can pay for (posts, activity).
    """

    def __init__(self, funding: Funding, county_index: int, has_structure: bool):
        self.funding = funding
        self.county_index = county_index
        self.has_structure = has_structure
        self.by_component: dict[str, tuple[float, float]] = {}
        self._total: dict[str, float] = {}
        self.reference = 0.0  # the structure money of the first full year (2011), for funding_ratio
        self.full_cost = 0.0

    def set_year(self, year: int, takeover: float) -> None:
        self.by_component = {c: self.funding.county_budget(self.county_index, year, c, takeover) for c in REGIONAL}
        # the whole cost of the year, had the principals taken over everything the state no longer pays
        self.full_cost = sum(state + principals for state, principals in
                             (self.funding.county_budget(self.county_index, year, c, 1.0) for c in REGIONAL))
        if not self.has_structure:
            self.by_component["structure"] = (0.0, 0.0)
        self._total = {c: sum(v) for c, v in self.by_component.items()}
        if self.reference == 0.0 and self._total["structure"] > 0 and year >= 2011:
            self.reference = self._total["structure"]

    def money(self, component: str) -> float:
        """SEK million this year for one component ('structure' or an area key), from both payers."""
        return self._total.get(component, 0.0)

    def funding_ratio(self) -> float:
        """Current structure money relative to its first full year (2011), capped at 1."""
        if self.reference <= 0:
            return 1.0 if self.money("structure") > 0 else 0.0
        return min(1.0, self.money("structure") / self.reference)

    @property
    def state(self) -> float:
        """State SEK million this year, all components."""
        return sum(v[0] for v in self.by_component.values())

    @property
    def principals(self) -> float:
        """Principals' SEK million this year, all components."""
        return sum(v[1] for v in self.by_component.values())
