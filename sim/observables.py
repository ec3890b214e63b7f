"""What the model reports every month, for the nation and for each county (ODD: Observation).

Values are kept in one preallocated array ``values[month, place, observable]`` (place 0 is the nation,
1..21 the counties in code order) and turned into a tidy table only when asked for. Each month the model
only copies the state they are made of; they are computed for all months at once at the end of the run
(or when ``values`` is read before).
"""

from __future__ import annotations

import threading
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


_LAYOUT: dict[tuple, tuple] = {}  # per process: index arrays that depend only on the country's layout


def _layout(key: tuple, make) -> tuple:
    """The read-only arrays `make()` gives for `key` (the sizes and the bytes of the arrays they come from),
    made once per process: every model of an ensemble or a calibration shares the country's layout."""
    hit = _LAYOUT.get(key)
    if hit is None:
        hit = make()
        for a in hit:
            a.flags.writeable = False
        if len(_LAYOUT) >= 8:  # a few countries at most (the benchmarks' scaled ones)
            _LAYOUT.clear()
        _LAYOUT[key] = hit
    return hit


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
    """Each month `record` copies what the observables are made of (the knowledge levels, reach flags,
    posts, money, ...) into arrays by month; `compute` makes the observables of all months recorded since
    it last ran, vectorised over months: once at the end of a run, or whenever `values` is read while the
    model steps (the app). The numbers are the same whenever they are computed: each is made by the same
    operations in the same order as if it were computed in its month. Months are recorded in order."""

    names = list(OBSERVABLES)
    BLOCK_BYTES = 2 * 2**20  # about what the copies of a block of months and their computation take
    _COPIES = ("_flags", "_level", "_duplication", "_provider", "_initiative_month", "_county", "_fte", "_linked",
               "_held", "_flag_cell", "_level_cell", "_level_bin", "_county_cell")

    def __init__(self, model):
        self.model = model
        n_t, n_m, n_a = model.n_months, model.n_municipalities, len(AREAS)
        n_c, n_p = len(model.structures), len(model.provider_muni)
        self._n_c = n_c
        self._values = np.full((n_t, n_c + 1, len(self.names)), np.nan)
        self.col = {n: i for i, n in enumerate(self.names)}
        c = self.col
        self.cumulative_spending = np.zeros(n_c + 1)  # up to the last month computed
        self.provider_county = model.muni_county[model.provider_muni] if n_p else np.zeros(0, int)
        self.place_sizes = np.concatenate([[n_m], model.county_sizes])
        self.provider_members, self._provider_sizes = _layout(
            ("provider_members", n_c, self.provider_county.tobytes()),
            lambda: self._member_matrix(self.provider_county, n_c))
        # what record copies, for a block of months at most (computed when full, so memory stays bounded
        # whatever the size of the country): municipalities' reach flags (reached, last 12 months, SALAR
        # event), knowledge levels, duplication; providers reached by area; county posts, reports, money
        month_bytes = n_p * (1 + n_a) * 10 + n_m * n_a * 18 + n_m * 40
        n_b = max(1, min(n_t, self.BLOCK_BYTES // max(month_bytes, 1)))
        self._flags = np.zeros((n_b, 3, n_m), dtype=bool)
        self._level = np.zeros((n_b, n_m, n_a), dtype=np.int8)
        self._duplication = np.zeros((n_b, n_m))
        # providers reached: anywhere (made in compute), then by area, each a row over the providers
        self._provider = np.zeros((n_b, 1 + n_a, n_p), dtype=bool)
        self._initiative_month = np.zeros((n_b, n_m), dtype=np.int32)
        # money for the structure (functioning is made from it, the platform and the linked areas), platform,
        # upward reports, state, principals, full cost, unit principle
        self._county = np.zeros((n_b, 7, n_c))
        self._fte = np.zeros((n_b, n_c, n_a))
        self._linked = np.zeros((n_b, n_c, n_a), dtype=bool)
        self._held = np.zeros((n_b, n_c, n_a), dtype=np.int64)
        self._recorded = 0  # months recorded
        self._done = 0  # months whose observables are computed; month t is copied at t - _done
        self._lock = threading.Lock()  # the app reads values from another thread while the model steps
        # (month, flag, county), (month, county, area, level) and (month, county) bins of the months of a
        # block: bincount gives all counts at once
        self._flag_cell, self._level_cell, self._county_cell = _layout(
            ("cells", n_b, n_c, n_a, model.muni_county.tobytes()), lambda: self._cells(n_b, n_c, n_a, model.muni_county))
        self._level_bin = np.empty_like(self._level_cell)
        self._share_runs = _runs([c[n] for n in ("reach_any", "reach_12m", "salar_event_share")]
                                 + [c[f"adoption_{a}"] for a in AREAS] + [c[f"established_{a}"] for a in AREAS])
        self._using, self._established = slice(3, 3 + n_a), slice(3 + n_a, 3 + 2 * n_a)
        count_names = ["functioning_structures", "platform_leaders", "development_leaders", "upward_reports",
                       "duplication"]
        self._count_runs = _runs([c[n] for n in count_names])
        self._linked_runs = _runs([c[f"linked_{a}"] for a in AREAS], start=8)
        self._provider_runs = _runs([c["provider_reach"]] + [c[f"provider_reach_{a}"] for a in AREAS])

    @staticmethod
    def _cells(n_b: int, n_c: int, n_a: int, muni_county: np.ndarray) -> tuple:
        month = np.arange(n_b)[:, None]
        flag_cell = (month * (3 * n_c) + (np.arange(3)[:, None] * n_c + muni_county).ravel()).ravel()
        level_cell = (month[:, :, None] * n_c + muni_county[:, None]) * n_a + np.arange(n_a)
        level_cell *= 4
        county_cell = (month * n_c + muni_county).ravel()
        return flag_cell, level_cell, county_cell

    @staticmethod
    def _member_matrix(county: np.ndarray, n_counties: int) -> tuple[np.ndarray, np.ndarray]:
        """(place, member) 1.0 where the member (a provider) is in the place (the nation, then each county),
        and the places' sizes as (place, 1), NaN where a county has none (its shares are then NaN). A product
        with the 0/1 matrix counts exactly, in whatever order the linear-algebra library sums."""
        n = len(county)
        members = np.zeros((n_counties + 1, n))
        members[0] = 1.0
        members[1 + county, np.arange(n)] = 1.0
        sizes = members.sum(axis=1, keepdims=True)
        sizes[sizes == 0] = np.nan
        return members, sizes

    def record(self, month: int) -> None:
        """Copy this month's state that the observables are made of (computed when the block is full)."""
        with self._lock:
            self._copy(month, month - self._done)
            self._recorded = month + 1
            if self._recorded - self._done == len(self._level):
                self._compute_recorded()

    def _copy(self, month: int, t: int) -> None:
        m = self.model
        kn, s, posts = m.knowledge, m.regional, m.leader_posts
        flags = self._flags[t]
        flags[0] = kn.reached
        flags[2] = kn.salar_event
        self._initiative_month[t] = kn.initiative_month
        self._level[t] = kn.level
        self._duplication[t] = m.duplication_muni
        self._provider[t, 1:] = m.provider_reached.T
        county = self._county[t]
        county[0] = s.money[:, 0]
        county[1] = s.has_platform
        county[2] = s.upward_reports
        county[3] = s.state
        county[4] = s.principals
        county[5] = s.full_cost
        county[6] = s.unit
        self._fte[t] = posts.staffed_fte()
        self._linked[t] = s.linked
        self._held[t] = posts.held

    @property
    def values(self) -> np.ndarray:
        """values[month, place, observable]: place 0 the nation, 1.. the counties; NaN for months not run."""
        if self._done < self._recorded:
            self.compute()
        return self._values

    def compute(self) -> None:
        """Compute the observables of the months recorded and not yet computed (EBPModel.run calls it at
        the end; reading `values` calls it, so values read during a run are complete up to the last month)."""
        with self._lock:
            self._compute_recorded()

    def _compute_recorded(self) -> None:
        if self._done < self._recorded:
            self._compute(self._done, self._recorded)
            self._done = self._recorded
            if self._done == len(self._values):  # the last month: the copies are no longer needed
                for name in self._COPIES:
                    setattr(self, name, None)

    def _compute(self, a: int, b: int) -> None:
        """The observables of months a..b-1 from what was recorded."""
        m = self.model
        n_t, n_c, n_a, n_m = b - a, self._n_c, len(AREAS), m.n_municipalities
        rows = self._values[a:b]  # (month, place, observable); their copies are at 0..b-a-1
        # shares of municipalities: exact counts by bincount for every month and county, summed for the nation
        counts = np.zeros((n_t, n_c + 1, 3 + 2 * n_a))
        # in the last 12 months: a contact with the initiative less than 12 months before
        np.less(np.arange(a, b, dtype=np.int32)[:, None] - self._initiative_month[:n_t], 12, out=self._flags[:n_t, 1])
        flag_cell = self._flag_cell[:n_t * 3 * n_m]
        by_flag = np.bincount(flag_cell, weights=self._flags[:n_t].ravel(), minlength=n_t * 3 * n_c)
        counts[:, 1:, :3] = by_flag.reshape(n_t, 3, n_c).transpose(0, 2, 1)
        level_cell = np.add(self._level_cell[:n_t], self._level[:n_t], out=self._level_bin[:n_t])
        by_level = np.bincount(level_cell.ravel(), minlength=n_t * n_c * n_a * 4).reshape(n_t, n_c, n_a, 4)
        counts[:, 1:, self._using] = by_level[..., USING] + by_level[..., ESTABLISHED]
        counts[:, 1:, self._established] = by_level[..., ESTABLISHED]
        counts[:, 0] = counts[:, 1:].sum(axis=1)
        shares = counts / self.place_sizes[:, None]
        for dst, src in self._share_runs:
            rows[:, :, dst] = shares[:, :, src]
        c = self.col  # the means as np.mean takes them: the sum along the row, then divided by the count
        np.divide(np.add.reduce(shares[:, :, self._using], axis=2), n_a, out=rows[:, :, c["adoption_mean"]])
        np.divide(np.add.reduce(shares[:, :, self._established], axis=2), n_a, out=rows[:, :, c["established_mean"]])
        if len(m.provider_muni):
            self._provider_shares(a, b, rows)
        # counts and money: per county, summed for the nation
        totals = np.zeros((n_t, n_c + 1, 8 + n_a))
        per_county = totals[:, 1:]
        county = self._county[:n_t]
        per_county[:, :, 1] = county[:, 1]
        per_county[:, :, 2] = self._fte[:n_t].sum(axis=2)
        per_county[:, :, 3] = county[:, 2]
        per_county[:, :, 4] = np.bincount(self._county_cell[:n_t * n_m], weights=self._duplication[:n_t].ravel(),
                                          minlength=n_t * n_c).reshape(n_t, n_c)
        np.divide(county[:, 3:6].transpose(0, 2, 1), 12.0, out=per_county[:, :, 5:8])
        np.logical_and(self._linked[:n_t], self._held[:n_t] > 0, out=per_county[:, :, 8:], casting="unsafe")
        # functioning as SupportStructures.functioning has it: a platform, money for it, a linked area staffed
        functioning = per_county[:, :, 8:].any(axis=2)
        functioning &= county[:, 0] > 0
        functioning &= county[:, 1] > 0
        per_county[:, :, 0] = functioning
        np.add.reduce(per_county, axis=1, out=totals[:, 0])
        for dst, src in self._count_runs + self._linked_runs:
            rows[:, :, dst] = totals[:, :, src]
        unit = rows[:, :, c["unit_principle"]]
        unit[:, 1:] = county[:, 6]
        unit[:, 0] = county[:, 6].sum(axis=1)
        state, principals, full = totals[:, :, 5], totals[:, :, 6], totals[:, :, 7]
        rows[:, :, c["state_spending"]] = state
        rows[:, :, c["principal_spending"]] = principals
        share = rows[:, :, c["principal_cost_share"]]
        share.fill(np.nan)
        np.divide(principals, full, out=share, where=full > 0)
        # cumulative spending: added month by month, in order, from where the last computation left it
        spent = np.empty((n_t + 1, n_c + 1))
        spent[0] = self.cumulative_spending
        np.add(state, principals, out=spent[1:])
        np.add.accumulate(spent, axis=0, out=spent)
        self.cumulative_spending = spent[-1].copy()
        n_reached = counts[:, :, 0]
        per_reached = rows[:, :, c["cost_per_reached"]]
        per_reached.fill(np.nan)
        np.divide(spent[1:], n_reached, out=per_reached, where=n_reached > 0)

    def _provider_shares(self, a: int, b: int, rows: np.ndarray) -> None:
        """Shares of providers reached, anywhere and by area: the providers reached counted per place (one
        matrix product a month, stacked), over the place's providers."""
        flags = self._provider[:b - a]  # (month, anywhere then by area, provider)
        anywhere = flags[:, 0]
        np.logical_or(flags[:, 1], flags[:, 2], out=anywhere)
        for k in range(3, flags.shape[1]):
            anywhere |= flags[:, k]
        prov = np.matmul(self.provider_members, flags.astype(float).transpose(0, 2, 1))  # (month, place, flag)
        prov /= self._provider_sizes
        for dst, src in self._provider_runs:
            rows[:, :, dst] = prov[:, :, src]

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
