"""How far a model run is from each reported figure, by the kind of figure (the likelihoods of the ABC distance).

Every target kind turns the model's figure into a standardised discrepancy ``z`` (0 = agrees; 1 = as far off
as one standard deviation of a normal error), and the ABC distance is the root mean square of the z's:

- ``normal``: a reported number with an assumed uncertainty: z = (model - value) / sd.
- ``binomial``: a count "k of n" (19 of 21 counties; 236 of 290 municipalities): z is the signed square root
  of the binomial deviance of k out of n at the model's share p, 2 [k log(k/np) + (n-k) log((n-k)/n(1-p))].
  This is the binomial log-likelihood ratio on the z scale, so its width follows from n (no invented sd) and
  "21 of 21" is a proper target (a normal sd would be 0).
- ``ordinal``: a statement that one figure is below or above another ("somewhat less than", "the least
  integrated", "far less"): a soft constraint on the ratio left / right: inside the stated range z = 0, outside
  it z = the distance to the range / scale. No point value is invented.
- ``categorical``: counties sorted into ordered classes (e.g. the January 2013 commitment statements, from
  unresolved to firm) against a per-county model figure: each class's mean should exceed the mean of the class
  below; z = the largest shortfall / scale (0 when the ordering holds).

A figure the model could not produce (NaN) counts as far away (z = 1000).
"""

from __future__ import annotations

import math

import numpy as np

KINDS = ("normal", "binomial", "ordinal", "categorical")
FAR = 1e3


def binomial_z(p: float, k: float, n: float) -> float:
    """Signed root of the binomial deviance of k of n at share p (p clipped away from 0 and 1)."""
    if not math.isfinite(p):
        return FAR
    p = min(max(p, 1e-4), 1 - 1e-4)

    def term(a, b):
        return 0.0 if a == 0 else a * math.log(a / b)

    dev = 2 * (term(k, n * p) + term(n - k, n * (1 - p)))
    return math.copysign(math.sqrt(max(dev, 0.0)), p - k / n)


def range_z(x: float, lo: float | None, hi: float | None, scale: float) -> float:
    """0 inside [lo, hi] (either end may be open), else the distance to the range in units of `scale`."""
    if math.isnan(x):
        return FAR
    if lo is not None and x < lo:
        return max((x - lo) / scale, -FAR)
    if hi is not None and x > hi:
        return min((x - hi) / scale, FAR)
    return 0.0


def discrepancy(target, figure: float) -> float:
    """The standardised discrepancy z of one target at the model's figure (see the module docstring)."""
    s = target.spec
    if target.kind == "normal":
        return (figure - target.value) / target.sd if math.isfinite(figure) else FAR
    if target.kind == "binomial":
        share = figure / s["of"] if s["units"] == "count" else figure
        return binomial_z(share, s["count"], s["of"])
    if target.kind == "ordinal":
        lo, hi = s["ratio"]
        return range_z(figure, lo, hi, s["scale"])
    return range_z(figure, 0.0, None, s["scale"])  # categorical: figure = the smallest gap between classes


def distances(figures: np.ndarray, targets: list) -> np.ndarray:
    """RMS of the targets' z for each row of figures (runs x targets): the ABC distance."""
    figures = np.atleast_2d(figures)
    z = np.array([[discrepancy(t, f) for t, f in zip(targets, row)] for row in figures])
    return np.sqrt(np.mean(np.nan_to_num(z, nan=FAR) ** 2, axis=1))


def agrees(target, figure: float) -> bool:
    """Whether a run's figure agrees with the target: within 1.645 sd (90 %) for the point kinds, the
    constraint met for the ordinal and categorical kinds."""
    z = discrepancy(target, figure)
    return abs(z) <= 1.645 if target.kind in ("normal", "binomial") else z == 0.0
