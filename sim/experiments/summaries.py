"""What is read from an ensemble's run arrays and how it is summarised over replicates: one place at a
time, mean and percentiles; which observables the tables and plots show. Used by the tables
(``report.py``) and the plots (``sim/views/results.py``); numpy only, so a process that draws does not load
pandas. Nothing is imported before it is used (numpy, the country's data): the command line reads this
module before it starts the painters."""

from __future__ import annotations

# below this many replicates a 5th-95th percentile band is little more than the smallest and largest value
# (the 5th percentile of 19 values interpolates between the two smallest); plots and the console say so
MIN_REPLICATES_FOR_BAND = 20
KEY_OBSERVABLES = ("reach_any", "salar_event_share", "adoption_mean", "established_mean", "provider_reach",
                   "functioning_structures", "development_leaders", "principal_spending", "cost_per_reached",
                   "upward_reports", "duplication")


def places() -> list[str]:
    """The places of the run arrays, in order: "national", then the counties by code."""
    from ..country import read_csv

    return ["national"] + [c["county"] for c in sorted(read_csv("counties.csv"), key=lambda r: r["code"])]


def read_place(arr: np.ndarray, reps, place: int, observable=slice(None)) -> np.ndarray:
    """The given replicates of one place (and observable) from a run array, as float64.

    Slices the place first, so only that part of the on-disk array is read: indexing the replicates
    first would copy the whole ensemble into memory."""
    import numpy as np

    return np.asarray(arr[:, :, place, observable][reps], dtype=float)


def nanpercentile(a: np.ndarray, q: float) -> np.ndarray:
    """np.nanpercentile(a, q, axis=0) with linear interpolation, vectorised.

    numpy's own calls a Python function per column (apply_along_axis): seconds for the summary of a
    national ensemble. NaN where a column has no value."""
    import numpy as np

    a = np.asarray(a, dtype=float)
    s = np.sort(a, axis=0)  # NaN sorts last
    n = (~np.isnan(a)).sum(axis=0)
    pos = np.maximum(n - 1, 0) * (q / 100.0)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    vlo = np.take_along_axis(s, lo[None], axis=0)[0]
    vhi = np.take_along_axis(s, hi[None], axis=0)[0]
    out = vlo + (vhi - vlo) * (pos - lo)
    return np.where(n > 0, out, np.nan)
