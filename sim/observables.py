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
    "unit_principle": "counties whose structure follows the unit principle",
    "duplication": "municipality-areas reached by national-centre guidance beside recent regional support, per month",
}
COUNTS = {"functioning_structures", "platform_leaders", "development_leaders", "state_spending",
          "principal_spending", "upward_reports", "duplication", "unit_principle"} | {f"linked_{a}" for a in AREAS}


class Observables:
    names = list(OBSERVABLES)

    def __init__(self, model):
        self.model = model
        n_places = len(model.structures) + 1
        self.values = np.full((model.n_months, n_places, len(self.names)), np.nan)
        self.col = {n: i for i, n in enumerate(self.names)}
        self.cumulative_spending = np.zeros(n_places)
        self.provider_county = model.muni_county[model.provider_muni] if len(model.provider_muni) else np.zeros(0, int)
        n_c = len(model.structures)
        # place-by-unit averaging matrices: row 0 the nation, rows 1.. the counties
        self.adoption_cols = [self.col[f"adoption_{a}"] for a in AREAS]
        self.established_cols = [self.col[f"established_{a}"] for a in AREAS]
        self.provider_cols = [self.col[f"provider_reach_{a}"] for a in AREAS]
        self.linked_cols = [self.col[f"linked_{a}"] for a in AREAS]
        self.share_cols = [self.col[n] for n in ("reach_any", "reach_12m", "salar_event_share")] + \
            self.adoption_cols + self.established_cols
        self.count_cols = [self.col[n] for n in ("functioning_structures", "platform_leaders", "development_leaders",
                                                 "upward_reports", "duplication")]
        self.place_sizes = np.concatenate([[model.n_municipalities], model.county_sizes])
        self._per_muni = np.zeros((model.n_municipalities, 3 + 2 * len(AREAS)))
        self._per_county = np.zeros((n_c, 9 + len(AREAS)))
        self.muni_count = np.vstack([np.ones(model.n_municipalities), model.county_mean > 0]).astype(float)
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

    def _totals(self, per_county: np.ndarray) -> np.ndarray:
        """The nation (row 0: the sum) and each county, of per-county quantities (counties x k)."""
        return np.vstack([per_county.sum(axis=0, keepdims=True), per_county])

    def record(self, month: int) -> None:
        m = self.model
        kn = m.knowledge
        row = self.values[month]
        c = self.col
        n_a = len(AREAS)
        # shares of municipalities: one matrix product for the nation and every county
        per_muni = self._per_muni  # municipalities x (reached, last 12 months, SALAR, using by area, established by area)
        per_muni[:, 0] = kn.reached
        per_muni[:, 1] = (month - kn.initiative_month) < 12
        per_muni[:, 2] = kn.salar_event
        np.greater_equal(kn.level, USING, out=per_muni[:, 3:3 + n_a])
        np.greater_equal(kn.level, ESTABLISHED, out=per_muni[:, 3 + n_a:])
        shares = (self.muni_count @ per_muni) / self.place_sizes[:, None]  # exact counts, then shares
        row[:, self.share_cols] = shares
        row[:, c["adoption_mean"]] = shares[:, 3:3 + n_a].mean(axis=1)
        row[:, c["established_mean"]] = shares[:, 3 + n_a:].mean(axis=1)
        if len(m.provider_muni):
            reached = m.provider_reached
            anywhere = reached[:, 0].copy()
            for a in range(1, n_a):  # faster than reached.any(axis=1) over so short an axis
                anywhere |= reached[:, a]
            prov = self.provider_mean @ np.column_stack([anywhere, reached]).astype(float)
            row[:, c["provider_reach"]] = prov[:, 0]
            row[:, self.provider_cols] = prov[:, 1:]
        # counts and money: per county, summed for the nation
        s, posts = m.regional, m.leader_posts
        staffed = (posts.held > 0)
        per_county = self._per_county
        per_county[:, 0] = s.functioning()
        per_county[:, 1] = s.has_platform
        per_county[:, 2] = posts.staffed_fte().sum(axis=1)
        per_county[:, 3] = s.upward_reports
        per_county[:, 4] = np.bincount(m.muni_county, weights=m.duplication_muni, minlength=len(s.unit))
        per_county[:, 5] = s.state / 12.0
        per_county[:, 6] = s.principals / 12.0
        per_county[:, 7] = s.full_cost / 12.0
        per_county[:, 8] = s.unit
        per_county[:, 9:] = s.linked & staffed
        totals = self._totals(per_county)
        row[:, self.count_cols] = totals[:, :5]
        row[:, c["unit_principle"]] = totals[:, 8]
        row[:, self.linked_cols] = totals[:, 9:]
        state, principals, full = totals[:, 5], totals[:, 6], totals[:, 7]
        row[:, c["state_spending"]] = state
        row[:, c["principal_spending"]] = principals
        with np.errstate(invalid="ignore", divide="ignore"):
            row[:, c["principal_cost_share"]] = np.where(full > 0, principals / full, np.nan)
        self.cumulative_spending += state + principals
        n_reached = self.muni_count @ kn.reached
        with np.errstate(invalid="ignore", divide="ignore"):
            row[:, c["cost_per_reached"]] = np.where(n_reached > 0, self.cumulative_spending / n_reached, np.nan)

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
