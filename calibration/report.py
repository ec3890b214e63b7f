"""The fit report of a calibration (``fit_report.md`` and its tables and plots in the results folder).

What the report says: each target against the posterior predictive (fitted, and held out before fitting:
out of sample), each pattern's share of passing runs, and which parameters the data pin down and which stay
prior-driven (`identifiability`, `verdict`). With a ``contrasts:`` entry in the config, also how much of
each policy contrast's uncertainty comes from each parameter and from chance (``contrasts.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.views.labels import label, unit  # noqa: E402
from sim.views.style import PALETTE, save_figure, year_axis  # noqa: E402

from .abc import ABCState, UniformPrior  # noqa: E402
from .calibrate import Evaluator, in_repository, predictive_runs, write_calibrated  # noqa: E402
from .likelihoods import agrees  # noqa: E402
from .targets import Reader  # noqa: E402

# A parameter is 'pinned by the data' when its posterior sd and its 90 % interval are both below half the
# prior's, 'prior-driven' when either is still at 80 % or more of the prior's, 'partly constrained' between.
PINNED, PRIOR_DRIVEN = 0.5, 0.8


def verdict(sd_ratio: float, width_ratio: float) -> str:
    """How far the data narrow a parameter, from posterior/prior sd and 90 % interval width (thresholds above)."""
    worst = max(sd_ratio, width_ratio)
    if worst < PINNED:
        return "pinned by the data"
    return "partly constrained" if worst < PRIOR_DRIVEN else "prior-driven"


def fit_report(cfg, state: ABCState, out: Path, ev: Evaluator) -> dict:
    gen = state.generations[-1]
    names, prior = cfg["prior"].names, cfg["prior"]
    targets, patterns = cfg["targets"], cfg["patterns"]
    post = pd.DataFrame(gen.particles, columns=names)
    post["weight"] = gen.weights
    post["distance"] = gen.distances
    post.to_csv(out / "posterior.csv", index=False)
    write_calibrated(cfg, gen, out)

    runs, base = predictive_runs(cfg, gen, cfg["predictive"], None, ev)
    reader = Reader(base["start"])
    sims = np.array([reader.summary(a, targets) for a in runs])
    rows = []
    for j, t in enumerate(targets):
        lo, med, hi = np.percentile(sims[:, j], [5, 50, 95])
        share = float(np.mean([agrees(t, f) for f in sims[:, j]]))
        if t.kind in ("normal", "binomial"):  # the reported value inside the band widened by its own error
            if t.kind == "normal":
                err = t.sd
            else:  # binomial sd of k of n, in the observable's units (k/n kept half a count from 0 and 1)
                n = t.spec["of"]
                q = min(max(t.spec["count"] / n, 0.5 / n), 1 - 0.5 / n)
                err = np.sqrt(q * (1 - q) / n) * (n if t.spec["units"] == "count" else 1)
            within = bool(lo - err <= t.value <= hi + err)
        else:
            within = share >= 0.5
        rows.append({"target": t.name, "kind": t.kind, "held_out": t.name in cfg.get("held_out", []),
                     "observable": t.observable, "county": t.county, "date": t.date, "reported": t.reported,
                     "reported_value": t.value, "sim_median": med, "sim_p5": lo, "sim_p95": hi,
                     "share_agreeing": share, "within_band": within, "source": t.source})
    fit = pd.DataFrame(rows)
    fit.to_csv(out / "fit_report.csv", index=False)
    prow = []
    for q in patterns:
        results = [reader.check(a, q) for a in runs]
        share = float(np.mean([r[0] for r in results]))
        prow.append({"pattern": q.name, "description": q.description, "share_of_runs_passing": share,
                     "passed": share >= 0.9, "left_median": float(np.median([r[1] for r in results])),
                     "right_median": float(np.median([r[2] for r in results]))})
    pat = pd.DataFrame(prow)
    pat.to_csv(out / "patterns.csv", index=False)
    ident = identifiability(gen, prior)
    ident.to_csv(out / "identifiability.csv", index=False)
    plot_posterior(gen, prior, out)
    plot_fit(runs, reader, targets, base, out)
    tables = {"fit": fit, "patterns": pat, "identifiability": ident}
    write_markdown(cfg, state, tables, out)
    return tables


def identifiability(gen, prior: UniformPrior) -> pd.DataFrame:
    """How much the targets narrow each parameter: posterior sd / prior sd, posterior / prior 90 % interval
    width (uniform prior: 0.9 of its range), the verdict, and strong posterior correlations."""
    w = gen.weights
    mean = np.average(gen.particles, axis=0, weights=w)
    sd = np.sqrt(np.average((gen.particles - mean) ** 2, axis=0, weights=w))
    prior_sd = (prior.hi - prior.lo) / np.sqrt(12)
    corr = np.atleast_2d(np.cov(gen.particles.T, aweights=w))
    corr = corr / np.sqrt(np.outer(np.diag(corr), np.diag(corr)))
    rows = []
    for i, n in enumerate(prior.names):
        ratio = sd[i] / prior_sd[i]
        q5, q50, q95 = weighted_quantiles(gen.particles[:, i], w, [0.05, 0.5, 0.95])
        width = (q95 - q5) / (0.9 * (prior.hi[i] - prior.lo[i]))
        partners = [f"{prior.names[j]} ({corr[i, j]:+.2f})" for j in range(len(prior.names)) if j != i and abs(corr[i, j]) >= 0.6]
        rows.append({"parameter": n, "posterior_median": q50, "posterior_p5": q5, "posterior_p95": q95,
                     "prior_low": prior.lo[i], "prior_high": prior.hi[i], "sd_ratio": ratio, "width_ratio": width,
                     "verdict": verdict(ratio, width), "traded_off_against": ", ".join(partners)})
    return pd.DataFrame(rows)


def weighted_quantiles(x, w, qs):
    order = np.argsort(x)
    cw = np.cumsum(w[order]) / np.sum(w)
    return [float(x[order][min(np.searchsorted(cw, q), len(x) - 1)]) for q in qs]


def plot_posterior(gen, prior: UniformPrior, out: Path) -> None:
    k = len(prior.names)
    fig, axes = plt.subplots(k, k, figsize=(2.6 * k, 2.6 * k), squeeze=False)
    for i in range(k):
        for j in range(k):
            ax = axes[i, j]
            if i == j:
                ax.hist(gen.particles[:, i], bins=20, weights=gen.weights, range=(prior.lo[i], prior.hi[i]), color=PALETTE[0])
            elif i > j:
                ax.scatter(gen.particles[:, j], gen.particles[:, i], s=6, alpha=0.5, color=PALETTE[0])
                ax.set_xlim(prior.lo[j], prior.hi[j])
                ax.set_ylim(prior.lo[i], prior.hi[i])
            else:
                ax.axis("off")
            if i == k - 1:
                ax.set_xlabel(prior.names[j].split(".", 1)[-1], fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(prior.names[i].split(".", 1)[-1], fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("Posterior: marginals (diagonal, over the prior range) and pairs")
    save_figure(fig, out / "posterior.png", dpi=100)


def plot_fit(runs, reader: Reader, targets, base, out: Path) -> None:
    targets = [t for t in targets if t.kind in ("normal", "binomial")]
    obs = sorted({(t.observable, t.county) for t in targets})
    dates = pd.date_range(base["start"] + "-01", periods=runs.shape[1], freq="MS")
    fig, axes = plt.subplots(1, len(obs), figsize=(4.2 * len(obs), 3.8), squeeze=False)
    for ax, (o, county) in zip(axes[0], obs):
        series = np.array([[reader.value(a, {"observable": o, "county": county, "date": d.strftime("%Y-%m")})
                            for d in dates] for a in runs])
        lo, med, hi = np.percentile(series, [5, 50, 95], axis=0)
        ax.fill_between(dates, lo, hi, color=PALETTE[0], alpha=0.25, lw=0, label="posterior 90 % band")
        ax.plot(dates, med, color=PALETTE[0], lw=2, label="posterior median")
        for t in targets:
            if (t.observable, t.county) == (o, county):
                ax.errorbar(pd.Timestamp(t.date + "-01"), t.value, yerr=1.645 * t.sd if t.kind == "normal" else 0,
                            fmt="o", color=PALETTE[5], capsize=4, label="reported (±90 % assumed if normal)")
        ax.set_title(f"{label(o)} ({county})", fontsize=10)
        ax.set_ylabel(unit(o) or "value", fontsize=9)
        ax.set_xlabel("year", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        year_axis(ax, every=3)
    axes[0][0].legend(fontsize=8)
    save_figure(fig, out / "fit.png", dpi=100)


def write_markdown(cfg, state, tables: dict, out: Path) -> None:
    """fit_report.md from the tables of `fit_report` (and, when run, of ``contrasts.py``), written whole."""
    fit, pat, ident = tables["fit"], tables["patterns"], tables["identifiability"]
    gen = state.generations[-1]
    lines = [f"# Calibration fit report", "",
             f"Config `{in_repository(cfg['file'])}`, seed {cfg['seed']}. ABC-SMC: {len(state.generations)} generation(s), "
             f"{state.simulations} simulations, final tolerance {gen.eps:.3g} (RMS of standardised errors), "
             f"acceptance {gen.acceptance:.0%} in the last generation. Stopped: {state.stopped}.", "",
             "The model's figure is the value read for `normal` and `binomial` targets, left / right for `ordinal`, "
             "and the smallest gap between consecutive class means for `categorical` (below 0: out of order). "
             "'agreeing': the share of posterior predictive runs within 90 % of a point target or meeting the "
             "constraint.", ""]

    def table(rows, title):
        out = [title, "", "| target | kind | reported | model median | 5 % | 95 % | agreeing | consistent | source |",
               "|---|---|---|---|---|---|---|---|---|"]
        for _, r in rows.iterrows():
            out.append(f"| {r.target} | {r.kind} | {r.reported} | {r.sim_median:.4g} | {r.sim_p5:.4g} | "
                       f"{r.sim_p95:.4g} | {r.share_agreeing:.0%} | {'yes' if r.within_band else 'NO'} | {r.source} |")
        return out + [""]

    lines += table(fit[~fit.held_out], "## Fitted targets: reported against the posterior predictive (median, 90 % band)")
    if fit.held_out.any():
        lines += table(fit[fit.held_out], "## Out-of-sample: targets held back before fitting (never in the "
                       "distance), against the posterior predictive")
    lines += ["", "## Pattern checks (share of posterior runs that show the pattern; passed at 90 %)", "",
              "| pattern | passing | passed | description |", "|---|---|---|---|"]
    for _, r in pat.iterrows():
        lines.append(f"| {r.pattern} | {r.share_of_runs_passing:.0%} | {'yes' if r.passed else 'NO'} | {r.description} |")
    lines += ["", "## Identifiability: which parameters the data pin down and which stay prior-driven", "",
              "Ratios of the posterior to the (uniform) prior: of the standard deviations, and of the 90 % interval "
              f"widths. Verdict: 'pinned by the data' when both ratios are below {PINNED}, 'prior-driven' when either "
              f"is {PRIOR_DRIVEN} or more, 'partly constrained' between. A parameter traded off against another "
              "(posterior correlation of 0.6 or more) may be pinned jointly though not alone.", "",
              "| parameter | median | 90 % interval | prior | sd ratio | 90 % width ratio | verdict | traded off against |",
              "|---|---|---|---|---|---|---|---|"]
    for _, r in ident.iterrows():
        lines.append(f"| `{r.parameter}` | {r.posterior_median:.3g} | [{r.posterior_p5:.3g}, {r.posterior_p95:.3g}] | "
                     f"[{r.prior_low:.3g}, {r.prior_high:.3g}] | {r.sd_ratio:.2f} | {r.width_ratio:.2f} | {r.verdict} | "
                     f"{r.traded_off_against or '-'} |")
    groups = {v: [f"`{n}`" for n, w in zip(ident["parameter"], ident["verdict"]) if w == v]
              for v in ("pinned by the data", "partly constrained", "prior-driven")}
    lines += ["", "In short: " + "; ".join(f"{v}: {', '.join(ns)}" for v, ns in groups.items() if ns) + "."]
    if "attribution" in tables:
        from .contrasts import markdown

        lines += [""] + markdown(cfg, tables)
    lines += ["", "Plots: `posterior.png` (marginal and pairwise posteriors), `fit.png` (fitted trajectories with "
              "the reported figures). Use the posterior in a scenario with `calibration: "
              f"{in_repository(out / 'calibrated.yaml')}` (run.py --parameters FILE for one run)."]
    tmp = out / ".fit_report.md.partial"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, out / "fit_report.md")
