"""A process's random numbers for the coming months, drawn a year ahead (ODD: Stochasticity).

Every process draws an array of a fixed shape each month from its own stream (``streams``), whatever the
state, so that a change in one place does not shift the draws of another (common random numbers). Drawing
twelve months at once gives the same numbers in the same order for a twelfth of the numpy calls, and where
a process only compares a draw with a fixed chance, the comparison is made for the year at once too.
"""

from __future__ import annotations

import numpy as np

from .leaders import MAX_POSTS
from .parameters import AREAS

MAX_PARTIES = 32  # consent draws per county and month are of this fixed size (common random numbers)


class MonthlyDraws:
    """One process's uniforms, a fixed shape each month, drawn a year ahead at a time: the same numbers in the
    same order as one draw a month (common random numbers), for one numpy call a year. `events(u)` turns a
    year of uniforms into what the process uses (comparisons with fixed chances); `next()` gives a month's."""

    def __init__(self, rng, shape: tuple, events=lambda u: (u,), months: int = 12):
        self.rng, self.shape, self.events, self.months = rng, shape, events, months
        self._ahead: list[tuple] = []

    def next(self) -> tuple:
        if not self._ahead:
            year = self.events(self.rng.random((self.months,) + self.shape))
            self._ahead = list(zip(*(a[::-1] for a in year)))  # month 0 last: pop() gives it first
        return self._ahead.pop()


def structure_draws(s) -> dict[str, MonthlyDraws]:
    """The draws of the regional support structures' processes (``SupportStructures``, all counties), by
    stream; where a process only compares a draw with a fixed chance, it gets the comparison."""
    m, p, pl = s.model, s.model.p["structure"], s.model.p["leaders"]
    n, n_a, n_m = len(s.unit), len(AREAS), m.n_municipalities
    p_hire = 1.0 - np.exp(-p["platform_hire_rate"] * s.readiness)
    link_rate = np.array([p["link_rate"][k] for k in AREAS])
    return {
        # per county: platform hire | lay-off, meeting, linking per area, platform turnover, R&D unit agrees
        # (the platform's hire, lay-off and turnover as Python lists: staff_platform looks at a few counties)
        "structure": MonthlyDraws(m.streams("structure"), (n, 4 + n_a), lambda u: (
            (u[..., 0] < p_hire).tolist(), (u[..., 0] < pl["layoff_rate"]).tolist(), u[..., 1] < s.meetings / 12.0,
            u[..., 2:2 + n_a] < link_rate, (u[..., 2 + n_a] < p["platform_turnover"]).tolist(),
            u[..., 3 + n_a] < m.p["rd"]["link_rate"])),
        "consent": MonthlyDraws(m.streams("consent"), (n, MAX_PARTIES), lambda u: (u < p["consent_rate"],)),
        "link-person": MonthlyDraws(m.streams("link-person"), (n_m,)),
        # per county and area: hire | lay-off (one draw), then turnover per post
        # (as Python lists, flat over county x area (x post): staff_areas acts in a few cells a month)
        "leaders": MonthlyDraws(m.streams("leaders"), (n, n_a, MAX_POSTS + 1), lambda u: (
            (u[..., 0] < pl["hire_rate"]).reshape(len(u), -1).tolist(),
            (u[..., 0] < pl["layoff_rate"]).reshape(len(u), -1).tolist(), flat_indices(u[..., 1:] < pl["turnover"]))),
        "leaders-field": MonthlyDraws(m.streams("leaders-field"), (n_m, n_a)),
        "platform": MonthlyDraws(m.streams("platform"), (n_m,)),
        "upward": MonthlyDraws(m.streams("upward"), (n, n_a)),
    }


def flat_indices(mask: np.ndarray) -> list[list[int]]:
    """Per month (the first axis of `mask`), the flat indices of the cells where it is true, as lists."""
    months, cells = np.nonzero(mask.reshape(len(mask), -1))
    ends = np.cumsum(np.bincount(months, minlength=len(mask))).tolist()
    cells = cells.tolist()
    return [cells[a:b] for a, b in zip([0] + ends[:-1], ends)]


def rare_poisson_cells(u: np.ndarray, lam: np.ndarray) -> list[tuple[int, int]]:
    """The counts ``streams.poisson(u, lam)`` gives, bit for bit, where they are above zero, as (flat index,
    count) pairs: for rates so small that most counts are zero (the structures' upward reports, a few a month
    among 105 county-areas). One vector step finds the cells with a count above zero; the inversion goes on,
    the same arithmetic one cell at a time, only there."""
    term = np.exp(-lam)  # P(N = 0)
    cells = []
    for i in np.flatnonzero(u >= term).tolist():
        ui, li = float(u.flat[i]), float(lam.flat[i])
        t = cdf = float(term.flat[i])
        n = 0
        while True:
            n += 1
            t = t * li / n
            cdf = cdf + t
            if not (ui >= cdf and t > 0):
                break
        cells.append((i, n))
    return cells
