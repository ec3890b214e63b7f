"""What the model reports every month, for the nation and for each county (ODD: Observation).

Values are kept in one preallocated array ``values[month, place, observable]`` (place 0 is the nation,
1..21 the counties in code order) and turned into a tidy table only when asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .knowledge import ESTABLISHED, USING
from .parameters import AREAS

OBSERVABLES = {
    "reach_any": "share of municipalities reached by any activity of the initiative (cumulative)",
    "reach_12m": "share of municipalities that took part in an activity of the initiative in the last 12 months",
    "salar_event_share": "share of municipalities that took part in at least one SALAR national event (cumulative)",
    **{f"adoption_{a}": f"share of municipalities using or having established EBP in {a.replace('_', ' ')}" for a in AREAS},
    "adoption_mean": "mean over programme areas of the adoption share",
    "established_mean": "mean over programme areas of the share where practice is established",
    **{f"established_{a}": f"share of municipalities where EBP in {a.replace('_', ' ')} is established" for a in AREAS},
    "provider_reach": "share of private providers reached in any programme area (cumulative)",
    **{f"provider_reach_{a}": f"share of private providers reached in {a.replace('_', ' ')} (cumulative)" for a in AREAS},
    "functioning_structures": "counties with a functioning structure (platform leader, linked leaders, money)",
    "platform_leaders": "platform leaders employed",
    "development_leaders": "development leaders employed (FTE)",
    **{f"linked_{a}": f"counties whose {a.replace('_', ' ')} leaders belong to the regional structure" for a in AREAS},
    "state_spending": "state spending on the regional structures and leaders, SEK million per month",
    "principal_spending": "principals' spending on the regional structures and leaders, SEK million per month",
    "principal_cost_share": "share of the whole cost of the structures and leaders (as funded in 2013) that the principals bear",
    "cost_per_reached": "cumulative spending per municipality reached, SEK million",
    "upward_reports": "experience reports flowing up from practice, per month",
    "duplication": "municipality-areas reached by national-centre guidance beside recent regional support, per month",
}
COUNTS = {"functioning_structures", "platform_leaders", "development_leaders", "state_spending",
          "principal_spending", "upward_reports", "duplication"} | {f"linked_{a}" for a in AREAS}


class Observables:
    names = list(OBSERVABLES)

    def __init__(self, model):
        self.model = model
        n_places = len(model.structures) + 1
        self.values = np.full((model.n_months, n_places, len(self.names)), np.nan)
        self.col = {n: i for i, n in enumerate(self.names)}
        self.cumulative_spending = np.zeros(n_places)
        self.provider_county = model.muni_county[model.provider_muni] if len(model.provider_muni) else np.zeros(0, int)
        self.providers_per_county = np.bincount(self.provider_county, minlength=len(model.structures))
        n_c = len(model.structures)
        # place-by-unit averaging matrices: row 0 the nation, rows 1.. the counties
        self.muni_mean = self._mean_matrix(model.muni_county, n_c)
        self.adoption_cols = [self.col[f"adoption_{a}"] for a in AREAS]
        self.established_cols = [self.col[f"established_{a}"] for a in AREAS]
        self.provider_cols = [self.col[f"provider_reach_{a}"] for a in AREAS]
        self.provider_mean = self._mean_matrix(self.provider_county, n_c)

    @staticmethod
    def _mean_matrix(county: np.ndarray, n_counties: int) -> np.ndarray:
        n = len(county)
        out = np.zeros((n_counties + 1, n))
        if n == 0:
            return out
        out[0] = 1.0 / n
        out[1 + county, np.arange(n)] = 1.0
        sizes = out[1:].sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[1:] = np.where(sizes > 0, out[1:] / np.maximum(sizes, 1), np.nan)
        return out

    def _shares(self, per_muni: np.ndarray) -> np.ndarray:
        """National and per-county mean of a per-municipality quantity."""
        m = self.model
        county = np.bincount(m.muni_county, weights=per_muni.astype(float), minlength=len(m.structures)) / m.county_sizes
        return np.concatenate([[per_muni.mean()], county])

    def _totals(self, per_county: np.ndarray) -> np.ndarray:
        return np.concatenate([[per_county.sum()], per_county])

    def record(self, month: int) -> None:
        m = self.model
        kn = m.knowledge
        row = self.values[month]
        c = self.col
        row[:, c["reach_any"]] = self._shares(kn.reached)
        row[:, c["reach_12m"]] = self._shares((month - kn.initiative_month) < 12)
        row[:, c["salar_event_share"]] = self._shares(kn.salar_event)
        using = kn.level >= USING
        established = kn.level >= ESTABLISHED
        per_area = self.muni_mean @ np.hstack([using, established])  # places x (areas, areas)
        n_a = len(AREAS)
        row[:, self.adoption_cols] = per_area[:, :n_a]
        row[:, self.established_cols] = per_area[:, n_a:]
        row[:, c["adoption_mean"]] = per_area[:, :n_a].mean(axis=1)
        row[:, c["established_mean"]] = per_area[:, n_a:].mean(axis=1)
        if len(m.provider_muni):
            reached = m.provider_reached
            prov = self.provider_mean @ np.hstack([reached.any(axis=1)[:, None], reached])
            row[:, c["provider_reach"]] = prov[:, 0]
            row[:, self.provider_cols] = prov[:, 1:]
        s = m.structures
        row[:, c["functioning_structures"]] = self._totals(np.array([x.functioning for x in s], float))
        row[:, c["platform_leaders"]] = self._totals(np.array([x.platform_leader is not None for x in s], float))
        row[:, c["development_leaders"]] = self._totals(np.array([x.n_leaders for x in s]))
        for a, key in enumerate(AREAS):
            row[:, c[f"linked_{key}"]] = self._totals(np.array([x.linked[a] and bool(x.leaders[a]) for x in s], float))
        state = np.array([x.budget.state for x in s]) / 12.0
        principals = np.array([x.budget.principals for x in s]) / 12.0
        row[:, c["state_spending"]] = self._totals(state)
        row[:, c["principal_spending"]] = self._totals(principals)
        full = self._totals(np.array([x.budget.full_cost for x in s]) / 12.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            row[:, c["principal_cost_share"]] = np.where(full > 0, self._totals(principals) / full, np.nan)
        self.cumulative_spending += self._totals(state + principals)
        n_reached = self._totals(np.bincount(m.muni_county, weights=kn.reached.astype(float), minlength=len(s)))
        with np.errstate(invalid="ignore", divide="ignore"):
            row[:, c["cost_per_reached"]] = np.where(n_reached > 0, self.cumulative_spending / n_reached, np.nan)
        row[:, c["upward_reports"]] = self._totals(np.array([x.upward_reports for x in s], float))
        dup = np.bincount(m.muni_county, weights=m.duplication_muni, minlength=len(s))
        row[:, c["duplication"]] = self._totals(dup)

    def table(self) -> pd.DataFrame:
        """Tidy table: date, county ('national' or the county's name), observable, value."""
        m = self.model
        n_t, n_p, n_o = self.values.shape
        places = ["national"] + [x.county.name for x in m.structures]
        dates = pd.to_datetime([m.date_of(t) for t in range(n_t)])
        return pd.DataFrame({
            "date": np.repeat(dates, n_p * n_o),
            "county": np.tile(np.repeat(places, n_o), n_t),
            "observable": np.tile(self.names, n_t * n_p),
            "value": self.values.reshape(-1),
        })
