"""What the model reports every month, for the nation and for each county (ODD: Observation).

Values are kept in one preallocated array ``values[month, place, observable]`` (place 0 is the nation,
1..21 the counties in code order) and turned into a tidy table only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .knowledge import ESTABLISHED, USING
from .parameters import AREAS

if TYPE_CHECKING:
    import pandas as pd

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


def _runs(columns: list[int], start: int = 0) -> list[tuple[slice, slice]]:
    """(destination, source) slice pairs copying source columns start, start+1, ... to `columns`, one pair
    per run of consecutive destination columns: a few slice copies instead of fancy indexing each month."""
    out, i = [], 0
    while i < len(columns):
        j = i + 1
        while j < len(columns) and columns[j] == columns[j - 1] + 1:
            j += 1
        out.append((slice(columns[i], columns[j - 1] + 1), slice(start + i, start + j)))
        i = j
    return out


class Observables:
    names = list(OBSERVABLES)

    def __init__(self, model):
        self.model = model
        n_places = len(model.structures) + 1
        self.values = np.full((model.n_months, n_places, len(self.names)), np.nan)
        self.col = {n: i for i, n in enumerate(self.names)}
        self.cumulative_spending = np.zeros(n_places)
        self.provider_county = model.muni_county[model.provider_muni] if len(model.provider_muni) else np.zeros(0, int)
        n_c, n_a, n_m = len(model.structures), len(AREAS), model.n_municipalities
        c = self.col
        self.place_sizes = np.concatenate([[n_m], model.county_sizes])
        # counts of municipalities by place (row 0 the nation): reached, last 12 months, SALAR, using and
        # established by area; every count is exact, so shares are the same whichever way they are counted
        self._counts = np.zeros((n_places, 3 + 2 * n_a))
        self._shares = np.zeros_like(self._counts)
        self._flags = np.zeros((3, n_m), dtype=bool)  # reached, last 12 months, SALAR, by municipality
        self._flag_cell = (np.arange(3)[:, None] * n_c + model.muni_county).ravel()  # (flag, county) bins
        # (county, area, level) bins of every municipality-area: one bincount gives all level counts
        self._level_cell = ((model.muni_county[:, None] * n_a + np.arange(n_a)) * 4).ravel()
        self._share_runs = _runs([c[n] for n in ("reach_any", "reach_12m", "salar_event_share")]
                                 + [c[f"adoption_{a}"] for a in AREAS] + [c[f"established_{a}"] for a in AREAS])
        self._using, self._established = slice(3, 3 + n_a), slice(3 + n_a, 3 + 2 * n_a)
        # per county (rows 1..) and summed for the nation (row 0): the columns below, then money, then linked areas
        count_names = ["functioning_structures", "platform_leaders", "development_leaders", "upward_reports",
                       "duplication"]
        self._totals = np.zeros((n_places, 8 + n_a))
        self._count_runs = _runs([c[n] for n in count_names])
        self._linked_runs = _runs([c[f"linked_{a}"] for a in AREAS], start=8)
        self._provider_runs = _runs([c["provider_reach"]] + [c[f"provider_reach_{a}"] for a in AREAS])
        n_p = len(model.provider_muni)
        self.provider_mean = self._mean_matrix(self.provider_county, n_c)
        self._provider_any = np.zeros(n_p, dtype=bool)
        self._provider_flags = np.zeros((n_p, 1 + n_a), dtype=bool)  # reached anywhere, then by area
        self._provider_shares = np.zeros((n_places, 1 + n_a))

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

    def record(self, month: int) -> None:
        m = self.model
        kn = m.knowledge
        row = self.values[month]
        c = self.col
        n_c = len(m.structures)
        # shares of municipalities: exact counts by bincount for every county, summed for the nation
        counts, shares = self._counts, self._shares
        flags = self._flags
        flags[0] = kn.reached
        np.less(month - kn.initiative_month, 12, out=flags[1])
        flags[2] = kn.salar_event
        counts[1:, :3] = np.bincount(self._flag_cell, weights=flags.ravel(), minlength=3 * n_c).reshape(3, n_c).T
        by_level = np.bincount(self._level_cell + kn.level.ravel(), minlength=n_c * len(AREAS) * 4)
        by_level = by_level.reshape(n_c, len(AREAS), 4)
        np.add(by_level[:, :, USING], by_level[:, :, ESTABLISHED], out=counts[1:, self._using], casting="unsafe")
        counts[1:, self._established] = by_level[:, :, ESTABLISHED]
        np.add.reduce(counts[1:], axis=0, out=counts[0])
        np.divide(counts, self.place_sizes[:, None], out=shares)
        for dst, src in self._share_runs:
            row[:, dst] = shares[:, src]
        n_a = len(AREAS)  # the means as np.mean takes them: the sum along the row, then divided by the count
        np.divide(np.add.reduce(shares[:, self._using], axis=1), n_a, out=row[:, c["adoption_mean"]])
        np.divide(np.add.reduce(shares[:, self._established], axis=1), n_a, out=row[:, c["established_mean"]])
        if len(m.provider_muni):
            reached = m.provider_reached
            flags = self._provider_flags
            anywhere = self._provider_any
            anywhere[:] = reached[:, 0]
            for a in range(1, reached.shape[1]):  # faster than reached.any(axis=1) over so short an axis
                anywhere |= reached[:, a]
            flags[:, 0] = anywhere
            flags[:, 1:] = reached
            prov = self.provider_mean @ flags.astype(float)
            for dst, src in self._provider_runs:
                row[:, dst] = prov[:, src]
        # counts and money: per county, summed for the nation
        s, posts = m.regional, m.leader_posts
        totals = self._totals
        per_county = totals[1:]
        per_county[:, 0] = s.functioning()
        per_county[:, 1] = s.has_platform
        per_county[:, 2] = posts.staffed_fte().sum(axis=1)
        per_county[:, 3] = s.upward_reports
        per_county[:, 4] = np.bincount(m.muni_county, weights=m.duplication_muni, minlength=n_c)
        np.divide(s.state, 12.0, out=per_county[:, 5])
        np.divide(s.principals, 12.0, out=per_county[:, 6])
        np.divide(s.full_cost, 12.0, out=per_county[:, 7])
        np.logical_and(s.linked, posts.held > 0, out=per_county[:, 8:], casting="unsafe")
        np.add.reduce(per_county, axis=0, out=totals[0])
        for dst, src in self._count_runs + self._linked_runs:
            row[:, dst] = totals[:, src]
        unit = row[:, c["unit_principle"]]
        unit[1:] = s.unit
        unit[0] = s.unit.sum()
        state, principals, full = totals[:, 5], totals[:, 6], totals[:, 7]
        row[:, c["state_spending"]] = state
        row[:, c["principal_spending"]] = principals
        share = row[:, c["principal_cost_share"]]
        share.fill(np.nan)
        np.divide(principals, full, out=share, where=full > 0)
        self.cumulative_spending += state + principals
        n_reached = counts[:, 0]
        per_reached = row[:, c["cost_per_reached"]]
        per_reached.fill(np.nan)
        np.divide(self.cumulative_spending, n_reached, out=per_reached, where=n_reached > 0)

    def table(self) -> pd.DataFrame:
        """Tidy table: date, county ('national' or the county's name), observable, value."""
        import pandas as pd  # here, not at the top: the names of the observables are read without pandas

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
