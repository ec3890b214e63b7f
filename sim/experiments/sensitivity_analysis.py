"""Designs and indices of a sensitivity analysis (SALib), and the robustness of each paired contrast.

* Morris elementary effects (SALib ``morris``): r trajectories through a grid of `levels` values of every
  varied parameter, k+1 draws each. μ* (mean absolute effect of moving a parameter across its range)
  ranks influence; σ (spread of the effects) shows interaction or non-linearity. Bootstrap interval on μ*.
* Sobol first-order (S1) and total (ST) indices (SALib ``sobol``, Saltelli's design without second-order
  terms: N(k+2) draws), with bootstrap intervals; in ``morris+sobol`` on the `top` parameters of the
  screening (each outcome's most influential in turn), the others at their defaults.
* Robustness of a contrast: the share of all draws in which the variant beats the reference (the
  contrast is > 0), and where it does not, the PRIM box (EMA Workbench) that holds most such draws.

Values are in the units of the outcome; an elementary effect is the change of the outcome when a parameter
moves across its whole range (SALib scales the step to the unit interval).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd


def problem(names, bounds) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}


def morris_design(names, bounds, trajectories: int, levels: int, seed: int) -> np.ndarray:
    from SALib.sample import morris

    return morris.sample(problem(names, bounds), trajectories, num_levels=levels, seed=seed)


def sobol_design(names, bounds, samples: int, seed: int) -> np.ndarray:
    from SALib.sample import sobol

    return sobol.sample(problem(names, bounds), samples, calc_second_order=False, scramble=True, seed=seed)


def morris_indices(names, bounds, X, Y, levels, resamples, confidence, seed) -> pd.DataFrame:
    """μ, μ*, σ and the bootstrap interval of μ* for one outcome (Y one value per draw)."""
    from SALib.analyze import morris

    r = morris.analyze(problem(names, bounds), X, np.asarray(Y, float), num_resamples=resamples,
                       conf_level=confidence, num_levels=levels, seed=seed)
    return pd.DataFrame({"parameter": list(names), "mu": r["mu"], "mu_star": r["mu_star"],
                         "mu_star_conf": r["mu_star_conf"], "sigma": r["sigma"]})


def sobol_indices(names, bounds, Y, resamples, confidence, seed) -> pd.DataFrame:
    """S1 and ST with half-widths of their bootstrap intervals for one outcome."""
    from SALib.analyze import sobol

    Y = np.asarray(Y, float)
    if np.ptp(Y) == 0:  # no variance to share out: every index is 0 (SALib would divide by zero)
        z = np.zeros(len(names))
        return pd.DataFrame({"parameter": list(names), "S1": z, "S1_conf": z, "ST": z, "ST_conf": z})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = sobol.analyze(problem(names, bounds), Y, calc_second_order=False, num_resamples=resamples,
                          conf_level=confidence, seed=seed)
    return pd.DataFrame({"parameter": list(names), "S1": r["S1"], "S1_conf": r["S1_conf"], "ST": r["ST"],
                         "ST_conf": r["ST_conf"]})


def top_parameters(morris_tables: dict[str, pd.DataFrame], top: int) -> list[str]:
    """The `top` parameters for the Sobol stage: each outcome's most influential (by μ*) in turn, then
    each one's second, and so on, so that every question gets its decisive parameters. A parameter whose
    μ* is 0 for an outcome did not move it and is not chosen for it. Ties are broken by name, so the choice
    is reproducible."""
    ranked = [sorted(((p, mu) for p, mu in zip(t["parameter"], t["mu_star"]) if mu > 0), key=lambda pm: (-pm[1], pm[0]))
              for t in morris_tables.values()]
    out: list[str] = []
    for depth in range(max((len(r) for r in ranked), default=0)):
        for r in ranked:
            if depth < len(r) and r[depth][0] not in out and len(out) < top:
                out.append(r[depth][0])
    return out


def robustness(draws: pd.DataFrame, names: list[str], contrast: str, min_cases: int = 3) -> tuple[dict, pd.DataFrame]:
    """Share of draws where the contrast is > 0; the PRIM box of the draws where it is not."""
    y = draws[contrast].to_numpy(float)
    ok = np.isfinite(y)
    y, x = y[ok], draws.loc[ok, names].reset_index(drop=True)
    beats = y > 0
    row = {"outcome": contrast, "draws": int(len(y)), "share_variant_beats_reference": float(beats.mean()) if len(y) else np.nan,
           "mean": float(y.mean()) if len(y) else np.nan, "p5": float(np.percentile(y, 5)) if len(y) else np.nan,
           "p95": float(np.percentile(y, 95)) if len(y) else np.nan}
    boxes = pd.DataFrame(columns=["outcome", "parameter", "low", "high", "coverage", "density", "draws_in_box"])
    if (~beats).sum() < min_cases or beats.sum() == 0:
        return row, boxes  # nowhere (or everywhere) it fails: no box to describe
    box = prim_box(x, ~beats)
    if box is not None:
        lims, cov, dens, n = box
        boxes = pd.DataFrame([{"outcome": contrast, "parameter": p, "low": lo, "high": hi, "coverage": cov,
                               "density": dens, "draws_in_box": n} for p, (lo, hi) in lims.items()], columns=boxes.columns)
    return row, boxes


def prim_box(x: pd.DataFrame, y: np.ndarray, min_density: float = 0.9):
    """PRIM (EMA Workbench): one box, the point of the peeling trajectory with the highest coverage whose
    density reaches `min_density` (else the densest). Returns ({parameter: (low, high)}, coverage, density, n)
    for the restricted parameters, or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ema_workbench warns about optional parallel back ends on import
        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # and about pandas keywords it still uses
        p = prim.Prim(x.astype(float), np.asarray(y, bool), mass_min=0.05)
        box = p.find_box()
    if box is None:
        return None
    traj = box.peeling_trajectory
    good = traj[traj["density"] >= min_density]
    i = int(good["coverage"].idxmax()) if len(good) else int(traj["density"].idxmax())
    box.select(i)
    lim, init = box.box_lim, p.box_init
    restricted = {c: (float(lim[c].iloc[0]), float(lim[c].iloc[1])) for c in lim.columns
                  if (lim[c].iloc[0], lim[c].iloc[1]) != (init[c].iloc[0], init[c].iloc[1])}
    return restricted, float(traj["coverage"].iloc[i]), float(traj["density"].iloc[i]), int(traj["n"].iloc[i])
