"""How much of a policy contrast's uncertainty comes from each calibrated parameter, and how much from chance.

A config's ``contrasts:`` entry (``config.py``) names contrasts such as the unit principle everywhere minus
the network principle everywhere (``scenarios/unit_vs_network.yaml``). Each is run over K posterior draws
(drawn by weight, systematic resampling from the calibration's seed), each draw with R seeds; both variants
of a pair get the same draw and the same seed, so the difference is the policy's and not chance's. The runs
go through the ensemble executors (local worker processes or Dask, with a progress bar), and the numbers do
not depend on the number of workers: every run's draw and seed are fixed by its place in the design.

The variance of one run's contrast Y splits into the parameters' part and chance:
Var(Y) = Var(E[Y | θ]) + E[Var(Y | θ)]. Chance is estimated by the mean variance across the R seeds of a
draw; the parameters' part by the variance of the draw means less chance / R. A parameter's *first-order
share* is Var(E[Y | θ_i]) / Var(Y): the draws are put in B quantile bins of θ_i (B ≈ √K, 2 to 10) and the
variance between the bins' means of the draw means is estimated by one-way ANOVA, (SSB − (B − 1) MSW) / K, so that
the spread within bins (other parameters, chance) is not counted as the parameter's. Limits, said in the
report: with K draws each share has a sampling error (a bootstrap over draws gives its 90 % interval);
binning misses variation within a bin (about 1/B² of a steep effect); posterior correlations between
parameters let two shares count the same variance (the shares then sum to more than the parameters' part
and 'not attributed' goes below 0); what a parameter does only together with another shows in 'not
attributed'. Parameters not fitted stay at their defaults and add nothing here.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.experiments.ensemble import run_tasks
from sim.experiments.evaluate import Outcome, read_outcomes
from sim.experiments.posterior import systematic_resample

from .calibrate import set_path

RESAMPLES = 200  # bootstrap resamples of the draws for the shares' intervals


@dataclass(frozen=True)
class Pair:
    """One paired run: a contrast's two variants at one posterior draw and one seed."""
    contrast: str
    draw: int
    rep: int
    seed: int
    of: dict
    minus: dict
    value: Outcome
    start: str


def run_pair(job: Pair):
    """(contrast, draw, rep, value of, value minus, error). Never raises: a failed pair is reported."""
    from sim.model import EBPModel

    try:
        vals = [read_outcomes(EBPModel(seed=job.seed, params=dict(p, end=job.value.month)).run().observables.values,
                              [job.value], job.start)[0] for p in (job.of, job.minus)]
        return job.contrast, job.draw, job.rep, vals[0], vals[1], None
    except Exception:  # noqa: BLE001 - one failing pair must not take the others down
        return job.contrast, job.draw, job.rep, np.nan, np.nan, traceback.format_exc(limit=8)


def design(cfg, gen) -> tuple[np.ndarray, np.ndarray]:
    """(index of each of the K draws into the posterior sample, seeds K x R), fixed by the calibration's seed."""
    c = cfg["contrasts"]
    idx = systematic_resample(gen.weights, c["draws"], cfg["seed"] + 2)
    seeds = np.random.SeedSequence([cfg["seed"], 5678]).generate_state(c["draws"] * c["seeds"], dtype=np.uint32)
    return idx, seeds.reshape(c["draws"], c["seeds"]).astype(int)


def pairs(cfg, gen) -> list[Pair]:
    c = cfg["contrasts"]
    names = cfg["prior"].names
    idx, seeds = design(cfg, gen)
    out = []
    for name, spec in c["compare"].items():
        sc = spec["scenario"]
        for k, i in enumerate(idx):
            draw: dict = {}
            for n, v in zip(names, gen.particles[i]):
                set_path(draw, n, v)
            of, minus = sc.params(spec["of"], draw=draw), sc.params(spec["minus"], draw=draw)
            out += [Pair(name, k, r, int(seeds[k, r]), of, minus, c["value"], sc.start) for r in range(c["seeds"])]
    return out


def run_contrasts(cfg, gen, ident: pd.DataFrame, out: Path, workers=1, executor="local", scheduler=None,
                  progress=True) -> dict:
    """Run every pair, write contrast_runs.csv, contrasts.csv and contrast_attribution.csv; return the tables."""
    c = cfg["contrasts"]
    jobs = pairs(cfg, gen)
    got, failures = {}, []
    bar = tqdm(total=len(jobs), desc="policy contrasts", unit="pair", disable=not progress, dynamic_ncols=True)

    def handle(result):
        name, k, r, a, b, error = result
        got[(name, k, r)] = (a, b)
        if error is not None:
            failures.append((name, k, r))
            tqdm.write(f"contrast '{name}', draw {k}, seed {r} failed:\n" + error.strip().splitlines()[-1])
        bar.update(1)

    try:
        run_tasks(jobs, handle, executor, workers, scheduler, fn=run_pair, runs_per_task=2)  # (a pair: two runs)
    finally:
        bar.close()
    idx, seeds = design(cfg, gen)
    names = cfg["prior"].names
    runs, summary, attribution = [], [], []
    verdicts = dict(zip(ident["parameter"], ident["verdict"]))
    for name, spec in c["compare"].items():
        y = np.full((c["draws"], c["seeds"]), np.nan)
        for k in range(c["draws"]):
            for r in range(c["seeds"]):
                a, b = got[(name, k, r)]
                y[k, r] = a - b
                runs.append({"contrast": name, "draw": k, "posterior_index": int(idx[k]), "seed_index": r,
                             "seed": int(seeds[k, r]), **dict(zip(names, gen.particles[idx[k]])),
                             spec["of"]: a, spec["minus"]: b, "difference": a - b})
        ok = ~np.isnan(y).any(axis=1)  # draws with every seed run
        theta = gen.particles[idx[ok]]
        lo, hi = np.percentile(y[ok], [5, 95]) if ok.any() else (np.nan, np.nan)
        summary.append({"contrast": name, "scenario": spec["scenario"].source, "of": spec["of"],
                        "minus": spec["minus"], "value": c["value"].name, "mean": float(np.mean(y[ok])) if ok.any() else np.nan,
                        "p5": lo, "p95": hi, "share_above_0": float(np.mean(y[ok] > 0)) if ok.any() else np.nan,
                        "draws": int(ok.sum()), "seeds": c["seeds"]})
        if ok.sum() >= 4:
            table = attribute(theta, y[ok], names, seed=cfg["seed"])
            table.insert(0, "contrast", name)
            table.insert(2, "verdict", [verdicts.get(p, "-") for p in table["parameter"]])
            attribution.append(table)
    tables = {"contrast_runs": pd.DataFrame(runs), "contrasts": pd.DataFrame(summary),
              "attribution": pd.concat(attribution, ignore_index=True) if attribution else pd.DataFrame(
                  columns=["contrast", "parameter", "verdict", "share", "share_p5", "share_p95"]),
              "contrast_failures": failures}
    for key, file in (("contrast_runs", "contrast_runs.csv"), ("contrasts", "contrasts.csv"),
                      ("attribution", "contrast_attribution.csv")):
        tmp = out / f".{file}.partial"
        tables[key].to_csv(tmp, index=False, float_format="%.6g")
        os.replace(tmp, out / file)
    return tables


# ------------------------------------------------------------------------------------------- attribution
def bins_for(k: int) -> int:
    return int(max(2, min(10, round(np.sqrt(k)))))


def between_variance(x: np.ndarray, y: np.ndarray, bins: int) -> float:
    """Variance of E[y | x] estimated from quantile bins of x by one-way ANOVA: (SSB - (B - 1) MSW) / K, the
    between-bin sum of squares less what the spread within bins adds to it by chance (epsilon squared)."""
    k = len(y)
    group = np.empty(k, dtype=int)
    group[np.argsort(x, kind="stable")] = np.arange(k) * bins // k
    n = np.bincount(group, minlength=bins).astype(float)
    means = np.bincount(group, weights=y, minlength=bins) / n
    ssb = np.sum(n * (means - y.mean()) ** 2)
    msw = np.sum((y - means[group]) ** 2) / (k - bins)
    return float((ssb - (bins - 1) * msw) / k)


def shares(theta: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """(first-order share of each parameter, share of chance) of the variance of one run's contrast.
    theta: K draws x P parameters; y: K draws x R seeds (R >= 2)."""
    k, r = y.shape
    chance = float(np.mean(np.var(y, axis=1, ddof=1)))
    means = y.mean(axis=1)
    params = max(0.0, float(np.var(means, ddof=1)) - chance / r)
    total = params + chance
    if total <= 0:  # the contrast does not vary at all
        return np.zeros(theta.shape[1]), 0.0
    b = bins_for(k)
    # a share is clipped to [0, 1]: the ANOVA estimate can fall outside by sampling error
    s = np.array([between_variance(theta[:, i], means, b) for i in range(theta.shape[1])])
    return np.clip(s / total, 0.0, 1.0), chance / total


def attribute(theta: np.ndarray, y: np.ndarray, names: list[str], seed: int = 0,
              resamples: int = RESAMPLES) -> pd.DataFrame:
    """The shares of `shares` with 90 % bootstrap intervals over the draws, as a table: one row per parameter,
    then 'chance' and 'not attributed' (1 - chance - the parameters' shares; below 0 where shares overlap)."""
    s, chance = shares(theta, y)
    rng = np.random.default_rng([seed, 31])
    boot = []
    for _ in range(resamples):
        i = rng.integers(0, len(y), len(y))
        bs, bc = shares(theta[i], y[i])
        boot.append(np.concatenate([bs, [bc, 1 - bc - bs.sum()]]))
    point = np.concatenate([s, [chance, 1 - chance - s.sum()]])
    # resampling with replacement repeats draws, which the binned estimate reads as signal: the bootstrap
    # distribution sits above the estimate (below it for 'not attributed'). The interval keeps its spread
    # but is centred on the estimate (the bootstrap's bias removed); shares stay within [0, 1].
    boot = np.array(boot)
    p5, med, p95 = np.percentile(boot, [5, 50, 95], axis=0)
    lo, hi = point - (med - p5), point + (p95 - med)
    lo[:-1], hi[:-1] = np.clip(lo[:-1], 0.0, 1.0), np.clip(hi[:-1], 0.0, 1.0)
    labels = list(names) + ["chance (seeds at fixed parameters)", "not attributed to one parameter alone"]
    return pd.DataFrame({"parameter": labels, "share": point, "share_p5": lo, "share_p95": hi})


def markdown(cfg, tables: dict) -> list[str]:
    """The fit report's section on the policy contrasts."""
    c = cfg["contrasts"]
    k, r = c["draws"], c["seeds"]
    lines = ["## Policy contrasts over the posterior: where their uncertainty comes from", "",
             f"Each contrast is run over {k} posterior draws (drawn by weight), each with {r} seeds; both variants "
             f"get the same draw and seed. Value: `{c['value'].name}`. Interval: 5th-95th percentile over the "
             f"{k * r} paired runs.", "",
             "| contrast | variants (scenario) | mean | 90 % interval | share of runs above 0 | draws |",
             "|---|---|---|---|---|---|"]
    for _, s in tables["contrasts"].iterrows():
        lines.append(f"| {s.contrast} | {s['of']} minus {s.minus} (`{Path(s.scenario).name}`) | {s['mean']:+.4g} | "
                     f"[{s.p5:+.4g}, {s.p95:+.4g}] | {s.share_above_0:.0%} | {s.draws} |")
    if tables.get("contrast_failures"):
        lines += ["", f"{len(tables['contrast_failures'])} paired runs failed; their draws are left out "
                  "(contrast_runs.csv)."]
    lines += ["", f"Share of a contrast's variance (one run: one draw, one seed). A parameter's share is first-order: "
              f"the variance of the contrast's mean across {bins_for(k)} quantile bins of that parameter (one-way "
              "ANOVA estimate, the spread within bins removed), over the contrast's variance; chance is the mean "
              f"variance across the {r} seeds of a draw. [90 % bootstrap interval over the draws, centred on the "
              "estimate: resampling repeats draws, which the binned estimate would read as signal.] Limits: the "
              "shares of parameters correlated in the posterior overlap (then 'not attributed' is below 0); "
              "effects of parameters only together show as 'not attributed'; binning misses about 1/B² of a "
              "steep effect; parameters not fitted stay at their defaults and add nothing. Method: "
              "calibration/contrasts.py." + (f" With {k} draws the shares are rough: use 40 or more." if k < 20 else ""),
              ""]
    att = tables["attribution"]
    for name in c["compare"]:
        rows = att[att["contrast"] == name]
        if not len(rows):
            lines += [f"### {name}", "", "Too few draws finished to attribute the variance.", ""]
            continue
        lines += [f"### {name}", "", "| parameter | verdict | share of contrast variance [90 %] |", "|---|---|---|"]
        for _, a in rows.iterrows():
            shown = f"`{a.parameter}`" if a.parameter in cfg["prior"].names else a.parameter
            lines.append(f"| {shown} | {a.verdict} | {a.share:.2f} [{a.share_p5:.2f}, {a.share_p95:.2f}] |")
        lines.append("")
    return lines
