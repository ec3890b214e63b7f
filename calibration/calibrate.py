"""Calibrating ebpsim against the reported figures, and predicting beyond them.

    python run.py calibrate calibration/config.yaml [--workers N] [--executor dask --scheduler ADDR]
                                                    [--out DIR] [--resume DIR] [--budget N]
    python run.py predict DIR|calibrated.yaml --observable reach_any [--county national] [--until 2016-12]
                          [--draws 100] [--out DIR]

(the two commands are in ``commands.py``)

`calibrate` fits the free parameters of the config by ABC-SMC (``calibration/abc.py``) and writes to DIR
(default ``results/calibration/<timestamp>``): the posterior sample (``posterior.csv``), a calibrated
parameter file for scenarios (``calibrated.yaml``; a scenario says ``calibration: PATH`` to run its
replicates over posterior draws), a fit report (``fit_report.md``, ``fit_report.csv``, ``patterns.csv``,
``identifiability.csv``) with plots, and a manifest. `predict` runs posterior draws past the calibration
data and writes the forecast of an observable with its band as a table and a plot.
"""

from __future__ import annotations

import copy
import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from sim.model import EBPModel  # noqa: E402
from sim.experiments.ensemble import connect, worker_init  # noqa: E402
from sim.parameters import flat_spec  # noqa: E402
from sim.views.style import PALETTE, save_figure, year_axis  # noqa: E402
from sim.experiments.posterior import systematic_resample  # noqa: E402
from sim.experiments.scenario import _NOTHING, _unknown, load, read_yaml  # noqa: E402

from .abc import ABCState, UniformPrior, smc  # noqa: E402
from .likelihoods import agrees, distances  # noqa: E402
from .targets import Reader, TargetError, check_period, load_targets  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
METHOD_KEYS = {"name": "abc-smc", "population": 200, "generations": 8, "min_acceptance": 0.03, "quantile": 0.5}


# ------------------------------------------------------------------------------------------- config
def load_config(path) -> dict:
    path = Path(path)
    cfg = read_yaml(path, "calibration config", TargetError)
    if not isinstance(cfg, dict):
        raise TargetError(path, "", cfg, "a mapping with targets, scenario, seed, method, budget, free")
    allowed = ("targets", "scenario", "seed", "method", "budget", "predictive", "free", "held_out")
    for k in cfg:
        if k not in allowed:
            _unknown(path, k, k, allowed)
    for k in ("targets", "free"):
        if k not in cfg:
            raise TargetError(path, k, _NOTHING, f"a '{k}' entry: it is missing")
    for k, kind in (("method", "a mapping of " + ", ".join(METHOD_KEYS)), ("budget", "a mapping {simulations: N}")):
        if cfg.get(k) is not None and not isinstance(cfg[k], dict):
            raise TargetError(path, k, cfg[k], kind)
    if not isinstance(cfg["targets"], str) or not cfg["targets"].strip():
        raise TargetError(path, "targets", cfg["targets"], "the path of a targets file")
    if not isinstance(cfg.get("scenario", ""), str):
        raise TargetError(path, "scenario", cfg["scenario"], "the path of a scenario file")
    method = dict(METHOD_KEYS, **(cfg.get("method") or {}))
    for k, v in method.items():
        if k not in METHOD_KEYS:
            _unknown(path, f"method.{k}", k, METHOD_KEYS)
    if not isinstance(method["name"], str) or method["name"] != "abc-smc":
        raise TargetError(path, "method.name", method["name"], "abc-smc")
    for k, lo in (("population", 2), ("generations", 1)):
        if isinstance(method[k], bool) or not isinstance(method[k], int) or method[k] < lo:
            raise TargetError(path, f"method.{k}", method[k], f"a whole number >= {lo}")
    for k in ("min_acceptance", "quantile"):
        if isinstance(method[k], bool) or not isinstance(method[k], (int, float)) or not 0 < method[k] < 1:
            raise TargetError(path, f"method.{k}", method[k], "a number between 0 and 1")
    budget = (cfg.get("budget") or {}).get("simulations", 10_000)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < method["population"]:
        raise TargetError(path, "budget.simulations", budget, f"a whole number >= method.population ({method['population']})")
    spec = flat_spec()
    free = cfg["free"]
    if not isinstance(free, dict) or not free:
        raise TargetError(path, "free", free, "a mapping parameter.path: {uniform: [low, high]}")
    names, lo, hi = [], [], []
    for name, prior in free.items():
        if name not in spec or isinstance(spec[name].default, (str, dict)):
            _unknown(path, f"free.{name}", name, [k for k, v in spec.items() if not isinstance(v.default, (str, dict))])
        if not isinstance(prior, dict) or list(prior) != ["uniform"] or not isinstance(prior["uniform"], list) \
                or len(prior["uniform"]) != 2 or not all(_finite(x) for x in prior["uniform"]):
            raise TargetError(path, f"free.{name}", prior, "{uniform: [low, high]}")
        a, b = prior["uniform"]
        p = spec[name]
        if not a < b or (p.lo is not None and a < p.lo) or (p.hi is not None and b > p.hi):
            raise TargetError(path, f"free.{name}.uniform", [a, b], f"low < high within the parameter's range [{p.lo}, {p.hi}]")
        names.append(name), lo.append(a), hi.append(b)
    seed = cfg.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TargetError(path, "seed", seed, "a whole number >= 0")
    targets_path = (path.parent / cfg["targets"]).resolve()
    targets, patterns = load_targets(targets_path)
    scenario_path = (path.parent / cfg.get("scenario", "../scenarios/baseline.yaml")).resolve()
    scenario = load(scenario_path, parameters="defaults")  # the fit makes the posterior: it starts from the defaults
    check_period(targets_path, targets, patterns, scenario.start, scenario.end)
    held_out = cfg.get("held_out") or []
    names_t = [t.name for t in targets]
    if not isinstance(held_out, list) or not all(isinstance(h, str) for h in held_out):
        raise TargetError(path, "held_out", held_out, "a list of target names, kept out of the fit for validation")
    for i, h in enumerate(held_out):
        if h not in names_t:
            _unknown(path, f"held_out[{i}]", h, names_t)
    if len(set(held_out)) == len(targets):
        raise TargetError(path, "held_out", held_out, "some targets left to fit")
    predictive = cfg.get("predictive", 100)
    if isinstance(predictive, bool) or not isinstance(predictive, int) or predictive < 1:
        raise TargetError(path, "predictive", predictive, "a whole number >= 1")
    return {"file": str(path.resolve()), "raw": cfg, "method": method, "budget": budget, "seed": seed, "targets": targets,
            "patterns": patterns, "targets_file": str(targets_path), "scenario": scenario, "predictive": predictive,
            "held_out": list(dict.fromkeys(held_out)), "fit_targets": [t for t in targets if t.name not in held_out],
            "prior": UniformPrior(names, np.array(lo, float), np.array(hi, float))}


def _finite(x) -> bool:
    return not isinstance(x, bool) and isinstance(x, (int, float)) and np.isfinite(x)


def inputs_of(cfg) -> dict:
    """What decides a calibration's outcome generation by generation; a resume refuses any change to it.
    (More generations or a larger budget may be given to a resume: they extend, not change, the run.)"""
    m = cfg["method"]
    prior = cfg["prior"]

    def digest(obj) -> str:
        return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()

    sc = cfg["scenario"]
    return {"seed": cfg["seed"], "population": m["population"], "quantile": m["quantile"],
            "min_acceptance": m["min_acceptance"],
            "free": {n: [float(a), float(b)] for n, a, b in zip(prior.names, prior.lo, prior.hi)},
            "targets": {"path": cfg["targets_file"], "sha256": digest([t.__dict__ for t in cfg["targets"]])},
            "held_out": cfg.get("held_out", []),
            "scenario": {"path": sc.source, "sha256": digest([calibration_base(cfg), sc.draws])}}


def set_path(params: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    d = params
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = float(value)


def theta_params(base: dict, names: list[str], theta) -> dict:
    out = copy.deepcopy(base)
    for n, v in zip(names, theta):
        set_path(out, n, v)
    return out


# ------------------------------------------------------------------------------------------- simulation
def _simulate(job) -> np.ndarray:
    """One model run for a parameter vector; returns the whole observables array (float32)."""
    base, names, theta, seed = job
    try:
        return EBPModel(seed=seed, params=theta_params(base, names, theta)).run().observables.values.astype(np.float32)
    except Exception:  # noqa: BLE001 - a failing particle is far away, not fatal
        return None


class Evaluator:
    """Ordered parallel map over model runs: local processes (which end with this process, also on kill -9),
    a Dask cluster, or in process."""

    def __init__(self, workers: int = 1, executor: str = "local", scheduler: str | None = None):
        self.workers, self.executor, self.scheduler = workers, executor, scheduler
        self.pool = self.client = None

    def __enter__(self):
        if self.executor == "dask":
            self.client = connect(self.scheduler)
        elif self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"),
                                            initializer=worker_init, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc):
        if self.pool:
            self.pool.shutdown(cancel_futures=True)
        if self.client:
            self.client.close()

    def map(self, fn, jobs: list) -> list:
        if self.client is not None:
            return self.client.gather(self.client.map(fn, jobs, pure=False))
        if self.pool is not None:
            return list(self.pool.map(fn, jobs, chunksize=max(1, len(jobs) // (4 * self.workers))))
        return [fn(j) for j in jobs]


def calibration_base(cfg) -> dict:
    """The scenario's reference set-up, run only as far as the last month a fitted target reads."""
    sc = cfg["scenario"]
    base = sc.params(sc.reference)
    base["end"] = max(d for t in cfg["fit_targets"] for d in t.dates)
    return base


def run_calibration(cfg, out: Path, workers=1, executor="local", scheduler=None, progress=True) -> ABCState:
    out.mkdir(parents=True, exist_ok=True)
    base = calibration_base(cfg)
    reader = Reader(base["start"])
    targets, prior = cfg["fit_targets"], cfg["prior"]
    with Evaluator(workers, executor, scheduler) as ev:
        def simulate(batch):
            arrays = ev.map(_simulate, [(base, prior.names, th, s) for th, s in batch])
            return [np.full(len(targets), np.nan) if a is None else reader.summary(a, targets) for a in arrays]

        m = cfg["method"]
        state = smc(simulate, prior, np.zeros(len(targets)), np.ones(len(targets)), population=m["population"],
                    generations=m["generations"], quantile=m["quantile"], min_acceptance=m["min_acceptance"],
                    budget=cfg["budget"], seed=cfg["seed"], folder=out / "abc", progress=progress,
                    distance_fn=lambda figures: distances(figures, targets))
    return state


# ------------------------------------------------------------------------------------------- outputs
def write_calibrated(cfg, gen, out: Path) -> Path:
    names = cfg["prior"].names
    draws = []
    for theta, w in zip(gen.particles, gen.weights):
        p = {}
        for n, v in zip(names, theta):
            set_path(p, n, round(float(v), 6))
        draws.append({"weight": float(w), "params": p})
    doc = {"calibration": cfg["file"], "seed": cfg["seed"], "generation": gen.t, "tolerance": float(gen.eps),
           "parameters": names, "draws": draws}
    path = out / "calibrated.yaml"
    tmp = out / ".calibrated.yaml.partial"
    tmp.write_text("# Posterior draws of a calibration; use from a scenario with  calibration: PATH\n"
                   + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(tmp, path)
    return path


def predictive_runs(cfg, gen, n: int, end: str | None, ev: Evaluator, seed_offset: int = 0) -> tuple[np.ndarray, dict]:
    sc = cfg["scenario"]
    base = sc.params(sc.reference)
    if end:
        base["end"] = end
    idx = systematic_resample(gen.weights, n, cfg["seed"] + seed_offset)
    seeds = [int(s) for s in np.random.SeedSequence([cfg["seed"], 1234, seed_offset]).generate_state(n, dtype=np.uint32)]
    arrays = ev.map(_simulate, [(base, cfg["prior"].names, gen.particles[i], s) for i, s in zip(idx, seeds)])
    return np.array([a for a in arrays if a is not None]), base


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
    write_markdown(cfg, state, fit, pat, ident, out)
    return {"fit": fit, "patterns": pat, "identifiability": ident}


def identifiability(gen, prior: UniformPrior) -> pd.DataFrame:
    """How much the targets narrow each parameter: posterior sd / prior sd, and strong posterior correlations."""
    w = gen.weights
    mean = np.average(gen.particles, axis=0, weights=w)
    sd = np.sqrt(np.average((gen.particles - mean) ** 2, axis=0, weights=w))
    prior_sd = (prior.hi - prior.lo) / np.sqrt(12)
    corr = np.atleast_2d(np.cov(gen.particles.T, aweights=w))
    corr = corr / np.sqrt(np.outer(np.diag(corr), np.diag(corr)))
    rows = []
    for i, n in enumerate(prior.names):
        ratio = sd[i] / prior_sd[i]
        partners = [f"{prior.names[j]} ({corr[i, j]:+.2f})" for j in range(len(prior.names)) if j != i and abs(corr[i, j]) >= 0.6]
        verdict = "pinned down" if ratio < 0.5 else ("partly constrained" if ratio < 0.8 else "not identified by these targets")
        if partners and ratio >= 0.5:
            verdict += "; traded off against " + ", ".join(partners)
        q5, q50, q95 = weighted_quantiles(gen.particles[:, i], w, [0.05, 0.5, 0.95])
        rows.append({"parameter": n, "posterior_median": q50, "posterior_p5": q5, "posterior_p95": q95,
                     "prior_low": prior.lo[i], "prior_high": prior.hi[i], "sd_ratio": ratio, "verdict": verdict})
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
        ax.set_title(f"{o} ({county})", fontsize=10)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        year_axis(ax, every=3)
    axes[0][0].legend(fontsize=8)
    save_figure(fig, out / "fit.png", dpi=100)


def write_markdown(cfg, state, fit, pat, ident, out: Path) -> None:
    gen = state.generations[-1]
    lines = [f"# Calibration fit report", "",
             f"Config `{cfg['file']}`, seed {cfg['seed']}. ABC-SMC: {len(state.generations)} generation(s), "
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
    lines += ["", "## Identifiability: what the targets pin down", "",
              "| parameter | median | 90 % interval | prior | sd ratio | verdict |", "|---|---|---|---|---|---|"]
    for _, r in ident.iterrows():
        lines.append(f"| `{r.parameter}` | {r.posterior_median:.3g} | [{r.posterior_p5:.3g}, {r.posterior_p95:.3g}] | "
                     f"[{r.prior_low:.3g}, {r.prior_high:.3g}] | {r.sd_ratio:.2f} | {r.verdict} |")
    lines += ["", "Plots: `posterior.png` (marginal and pairwise posteriors), `fit.png` (fitted trajectories with "
              "the reported figures). Use the posterior in a scenario with `calibration: "
              f"{out / 'calibrated.yaml'}`."]
    (out / "fit_report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
