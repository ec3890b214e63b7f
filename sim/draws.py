"""A process's random numbers for the coming months, drawn a year ahead (ODD: Stochasticity).

Every process draws an array of a fixed shape each month from its own stream (``streams``), whatever the
state, so that a change in one place does not shift the draws of another (common random numbers). Drawing
twelve months at once gives the same numbers in the same order for a twelfth of the numpy calls, and where
a process only compares a draw with a fixed chance, the comparison is made for the year at once too.
"""

from __future__ import annotations


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
            self._ahead = [tuple(a[i] for a in year) for i in range(self.months - 1, -1, -1)]
        return self._ahead.pop()
