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

import numpy as np

from .parameters import AREAS

REGIONAL = ("structure",) + AREAS


def add_columns(a: np.ndarray) -> np.ndarray:
    """Per row, the columns added by Python's sum(): the very float a sum over a county's components gives
    (since 3.12 sum() compensates rounding errors; numpy's sum does not, and differs in the last bit)."""
    return np.array([sum(row) for row in a.tolist()])


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
        self.key = np.array([base / n + (1 - base) * c.population / total_pop for c in country.counties])
        self.schedule = sorted((int(y), float(s)) for y, s in self.p["state_share"].items())
        # looked up thousands of times a run (each county, component and year): remembered once computed
        self._national: dict[tuple[int, str], float] = {}
        self._share: dict[int, float] = {}
        self._regional: dict[int, np.ndarray] = {}

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

    def regional(self, year: int) -> np.ndarray:
        """`national` for each regional component (`REGIONAL`) in `year`."""
        value = self._regional.get(year)
        if value is None:
            value = self._regional[year] = np.array([self.national(year, c) for c in REGIONAL])
        return value

    def county_budgets(self, year: int, takeover: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(state, principals) SEK million per county and regional component in `year`, and each county's
        whole cost of the year (what the two would pay had the principals taken over everything);
        `takeover`: per county, the share of the cost the state no longer pays that the principals have
        decided to bear (0-1)."""
        full = self.key[:, None] * self.regional(year)
        share = self.state_share(year)
        withdrawn = full * (1.0 - share)
        return full * share, withdrawn * takeover[:, None], add_columns(full * share + withdrawn)

    def burden(self, year: int, population: np.ndarray) -> np.ndarray:
        """Per county, SEK per inhabitant the principals would pay in `year` to keep the whole structure."""
        msek = add_columns(self.key[:, None] * self.regional(year) * (1.0 - self.state_share(year)))
        return msek * 1e6 / np.maximum(1, population)


class Budget:
    """Every county's money for the current year: SEK million per county and component (`REGIONAL`), from
    the state and from the principals.

    Set each January from the national grants, the phase-out schedule and the principals' decisions; the
    structures read from it what they can pay for (posts, activity).
    """

    def __init__(self, funding: Funding, has_structure: np.ndarray):
        n = len(has_structure)
        self.funding = funding
        self.has_structure = has_structure
        self.money = np.zeros((n, len(REGIONAL)))  # both payers
        self.state = np.zeros(n)  # all components
        self.principals = np.zeros(n)
        self.full_cost = np.zeros(n)
        self.reference = np.zeros(n)  # the structure money of the first full year (2011), for funding_ratio

    def set_year(self, year: int, takeover: np.ndarray) -> None:
        state, principals, self.full_cost = self.funding.county_budgets(year, takeover)
        state[~self.has_structure, 0] = 0.0  # no structure, no money for it (its cost still counts in full_cost)
        principals[~self.has_structure, 0] = 0.0
        self.money = 0.0 + state + principals
        self.state, self.principals = add_columns(state), add_columns(principals)
        if year >= 2011:
            first = (self.reference == 0.0) & (self.money[:, 0] > 0)
            self.reference[first] = self.money[first, 0]

    def funding_ratio(self) -> np.ndarray:
        """Per county, current structure money relative to its first full year (2011), capped at 1."""
        structure = self.money[:, 0]
        before = np.where(structure > 0, 1.0, 0.0)  # no reference year yet
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.reference > 0, np.minimum(1.0, structure / self.reference), before)
