"""The two calibration commands of ``run.py``: ``calibrate`` (fit, or resume a fit) and ``predict``.

Every bad flag or input becomes one message and exit 2 (raised errors are turned into messages by run.py's
error boundary). A calibration folder has one writer at a time (``sim/experiments/store.py``: Claim), and a
resume refuses a config whose seed, population, priors, targets or scenario changed since it started.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.manifest import ManifestError, changed_inputs, manifest, read_manifest, write_manifest_file
from sim.experiments.posterior import load_draws
from sim.experiments.scenario import _NOTHING, LAST_MONTH, MONTH, read_yaml
from sim.experiments.store import Claim
from sim.observables import OBSERVABLES

from .abc import ABCState, Generation, UniformPrior
from .calibrate import Evaluator, predictive_runs, run_calibration
from .config import inputs_of, load_config
from .report import fit_report, write_markdown
from .targets import Reader, TargetError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "calibration" / "config.yaml"
MAX_DRAWS = 100_000


def fail(message: str) -> int:
    print(f"run.py: {message}", file=sys.stderr)
    return 2


def _workers(value: int | None) -> int:
    return value if value is not None else os.cpu_count() or 1


def _calibration_folder(folder: Path) -> dict:
    """The manifest of a calibration results folder, or a clear error."""
    man = read_manifest(folder, "ebpsim calibration folder")
    if "config_file" not in man:
        raise ManifestError(f"{folder}: expected a calibration results folder; this is a scenario run (resume "
                            "that with: run.py --resume DIR)")
    return man


def _same_inputs(folder: Path, man: dict, cfg: dict, what: str) -> None:
    changed = changed_inputs(man.get("inputs") or {}, inputs_of(cfg)) if man.get("inputs") else []
    if changed:
        raise ManifestError(f"{what} {folder}: " + "; ".join(changed) + f" (config {man['config_file']}). "
                            "Continuing would mix generations made with different settings: restore them, or "
                            "start a new calibration with --out")


def main(argv) -> int:
    ap = argparse.ArgumentParser(prog="run.py calibrate", description="Calibrate ebpsim against the reported "
                                 "figures by ABC-SMC; writes the posterior, a calibrated parameter file for "
                                 "scenarios, a fit report and a manifest.")
    ap.add_argument("config", type=Path, nargs="?", default=None,
                    help=f"calibration config (default {DEFAULT_CONFIG.relative_to(ROOT)})")
    ap.add_argument("--workers", type=int, default=None, metavar="N",
                    help="local worker processes, >= 1 (default: all cores)")
    ap.add_argument("--executor", choices=("local", "dask"), default="local",
                    help="local worker processes (default) or Dask (a cluster with --scheduler, else in process)")
    ap.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler, with --executor dask")
    ap.add_argument("--out", type=Path, metavar="DIR",
                    help="results folder, new or empty (default results/calibration/<timestamp>)")
    ap.add_argument("--resume", type=Path, metavar="DIR",
                    help="continue the calibration in DIR with the config it started with (its seed, population, "
                         "priors, targets and scenario must be unchanged; more generations or budget may be given)")
    ap.add_argument("--budget", type=int, metavar="N", help="simulations at most, >= the population "
                    "(overrides budget.simulations)")
    ap.add_argument("--publish", action="store_true",
                    help="when complete, also write calibrated.yaml and fit_report.md beside the config (for the "
                         "shipped config: calibration/, which the shipped scenarios read)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    workers = _workers(args.workers)
    if workers < 1:
        return fail(f"--workers: {workers} is not allowed; expected a whole number >= 1")
    if args.scheduler and args.executor != "dask":
        return fail("--scheduler is used only with --executor dask")
    if args.resume:
        given = [f for f, v in (("a config file", args.config), ("--out", args.out)) if v is not None]
        if given:
            return fail(f"--resume continues a calibration with the config and folder it started with; "
                        f"{' and '.join(given)} cannot be given with it")
        out = args.resume
        man = _calibration_folder(out)
        cfg = load_config(man["config_file"])
        _same_inputs(out, man, cfg, "calibrate --resume")
        Claim(out, fresh=False, what="calibration folder")
    else:
        cfg = load_config(args.config or DEFAULT_CONFIG)
        out = args.out or ROOT / "results" / "calibration" / datetime.now().strftime("%Y%m%d-%H%M%S")
        Claim(out, fresh=True, what="calibration folder")
    if args.budget is not None:
        if args.budget < cfg["method"]["population"]:
            return fail(f"--budget: {args.budget} is not allowed; expected at least the population "
                        f"({cfg['method']['population']})")
        cfg["budget"] = args.budget

    def write(status: str, **extra) -> None:
        write_manifest_file(out, manifest(cfg["raw"], [cfg["seed"]], config_file=cfg["file"],
                                          targets_file=cfg["targets_file"], inputs=inputs_of(cfg), status=status,
                                          **extra))

    write("running")
    t0 = time.perf_counter()
    try:
        state = run_calibration(cfg, out, workers, args.executor, args.scheduler, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"\ninterrupted; finished generations are kept. Resume with: python run.py calibrate --resume {out}",
              file=sys.stderr)
        return 130
    if not state.generations:
        Claim.abandon_all()
        print("run.py: the budget did not allow one generation; raise budget.simulations", file=sys.stderr)
        return 1
    with Evaluator(workers, args.executor, args.scheduler) as ev:
        tables = fit_report(cfg, state, out, ev)
    if cfg["contrasts"]:  # the policy contrasts over the posterior, and what their uncertainty comes from
        from .contrasts import run_contrasts

        tables.update(run_contrasts(cfg, state.generations[-1], tables["identifiability"], out, workers,
                                    args.executor, args.scheduler, progress=not args.quiet))
        write_markdown(cfg, state, tables, out)
    elapsed = time.perf_counter() - t0
    write("complete", simulations=state.simulations, generations=len(state.generations), stopped=state.stopped,
          seconds=round(elapsed, 1))
    print((out / "fit_report.md").read_text(encoding="utf-8"))
    if args.publish:
        publish(out, Path(cfg["file"]).parent)
    extra = f" + {len(tables['contrast_runs'])} paired contrast runs" if "contrast_runs" in tables else ""
    print(f"{state.simulations} simulations (+{cfg['predictive']} posterior predictive runs{extra}) in {elapsed:.0f} s; "
          f"results in {out}")
    return 0


def predict_main(argv) -> int:
    ap = argparse.ArgumentParser(prog="run.py predict", description="Forecast an observable from a calibration's "
                                 "posterior: runs posterior draws past the calibration data and writes the median "
                                 "and 90 %% band as a table and a plot into the calibration folder.")
    ap.add_argument("calibration", type=Path, help="a finished calibration results folder, or a calibrated "
                    "parameter file such as the shipped calibration/calibrated.yaml")
    ap.add_argument("--observable", default="reach_any", help="what to forecast (default reach_any); one of the "
                    "observables in docs/ODD.md")
    ap.add_argument("--county", default="national", help="'national' (default), a county, or a group of counties")
    ap.add_argument("--until", default=None, metavar="YYYY-MM",
                    help=f"last month, up to {LAST_MONTH} (default: the scenario's end)")
    ap.add_argument("--draws", type=int, default=100, metavar="N",
                    help=f"posterior draws to run, 1 to {MAX_DRAWS} (default 100)")
    ap.add_argument("--workers", type=int, default=None, metavar="N",
                    help="local worker processes, >= 1 (default: all cores)")
    ap.add_argument("--out", type=Path, metavar="DIR", help="where the forecast is written (default: the "
                    "calibration folder; for a calibrated parameter file results/predict/<timestamp>)")
    args = ap.parse_args(argv)
    workers = _workers(args.workers)
    if args.observable not in OBSERVABLES:
        return fail(f"--observable: {args.observable!r} is not allowed; expected one of {', '.join(OBSERVABLES)}")
    if not 1 <= args.draws <= MAX_DRAWS:
        return fail(f"--draws: {args.draws} is not allowed; expected a whole number from 1 to {MAX_DRAWS}")
    if workers < 1:
        return fail(f"--workers: {workers} is not allowed; expected a whole number >= 1")
    if args.until is not None and (not MONTH.match(args.until) or args.until > LAST_MONTH):
        return fail(f"--until: {args.until[:40]!r} is not allowed; expected a month as YYYY-MM, up to {LAST_MONTH}")
    cfg, gen, own_folder = _posterior(args.calibration)
    start = cfg["scenario"].start
    if args.until is not None and args.until <= start:
        return fail(f"--until: {args.until} is not allowed; expected a month after the scenario's start ({start})")
    reader = Reader(start)
    try:
        reader.places(args.county)
    except KeyError:
        return fail(f"--county: {args.county[:40]!r} is not allowed; expected 'national', a county or a group")
    args.folder = args.out or own_folder or ROOT / "results" / "predict" / datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.folder == own_folder:
        Claim(args.folder, fresh=False, what="calibration folder")
    else:
        Claim(args.folder, fresh=True, what="prediction folder")
        write_manifest_file(args.folder, manifest({"predict": str(args.calibration)}, [cfg["seed"]],
                                                  calibration_file=str(args.calibration.resolve()), status="running"))
    with Evaluator(workers) as ev:
        runs, base = predictive_runs(cfg, gen, args.draws, args.until, ev, seed_offset=1)
    if not len(runs):
        return fail(f"{args.calibration}: every posterior draw failed to run; see the fit report")
    return _write_prediction(args, cfg, runs, base, reader)


def _posterior(path: Path):
    """(config, last generation, the calibration folder or None) of a calibration results folder or of a
    calibrated parameter file (calibrated.yaml: its draws and weights, and the config it names)."""
    if path.is_dir():
        man = _calibration_folder(path)
        cfg = load_config(man["config_file"])
        _same_inputs(path, man, cfg, "predict")
        state = ABCState.load(path / "abc")
        if not state.generations:
            raise ManifestError(f"{path}: no finished generation yet; finish it with: run.py calibrate --resume {path}")
        return cfg, state.generations[-1], path
    if not path.is_file():
        raise ManifestError(f"{path}: no such file or folder; expected a calibration results folder or a calibrated "
                            "parameter file (e.g. calibration/calibrated.yaml)")
    draws = load_draws("predict", str(path), path.resolve())
    doc = read_yaml(path, "calibrated parameter file")
    config = doc.get("calibration")
    if not isinstance(config, str) or not config.strip():
        raise TargetError(path, "calibration", config if config is not None else _NOTHING,
                          "the path of the calibration config these draws came from")
    candidates = [path.resolve().parent / config, ROOT / config] if not Path(config).is_absolute() else [Path(config)]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise TargetError(path, "calibration", config, "the path of an existing calibration config (looked in "
                          + " and ".join(str(c.parent) for c in candidates) + ")")
    cfg = load_config(found)
    names = doc.get("parameters")  # the draws' own parameters: the config may have moved on since they were made
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise TargetError(path, "parameters", names if names is not None else _NOTHING,
                          "the list of the calibrated parameters (dotted names)")
    cfg = dict(cfg, prior=UniformPrior(names, np.full(len(names), np.nan), np.full(len(names), np.nan)))
    particles = []
    for i, d in enumerate(draws):
        row = []
        for n in names:
            v = d["params"]
            for k in n.split("."):
                v = v.get(k) if isinstance(v, dict) else None
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise TargetError(path, f"draws[{i}].params.{n}", v if v is not None else _NOTHING,
                                  f"a finite number: the file lists {n} among its parameters")
            row.append(float(v))
        particles.append(row)
    w = np.array([d["weight"] for d in draws], float)
    gen = Generation(int(doc.get("generation", 0) or 0), float("nan"), np.array(particles), w / w.sum(),
                     np.full(len(w), np.nan), np.empty((len(w), 0)), len(w))
    return cfg, gen, None


def _write_prediction(args, cfg, runs, base, reader: Reader) -> int:
    from sim.views.style import PALETTE, save_figure, year_axis

    import matplotlib.pyplot as plt

    dates = pd.date_range(base["start"] + "-01", periods=runs.shape[1], freq="MS")
    series = np.array([[reader.value(a, {"observable": args.observable, "county": args.county, "date": d.strftime("%Y-%m")})
                        for d in dates] for a in runs])
    lo, med, hi = np.percentile(series, [5, 50, 95], axis=0)
    table = pd.DataFrame({"date": dates.strftime("%Y-%m"), "observable": args.observable, "county": args.county,
                          "median": med, "p5": lo, "p95": hi, "draws": len(runs)})
    stem = f"prediction_{args.observable}_{args.county.replace(' ', '_')}"
    tmp = args.folder / f".{stem}.csv.partial"
    try:
        table.to_csv(tmp, index=False)
        os.replace(tmp, args.folder / f"{stem}.csv")
    finally:
        tmp.unlink(missing_ok=True)
    last_target = max(t.date for t in cfg["targets"])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.fill_between(dates, lo, hi, color=PALETTE[0], alpha=0.25, lw=0, label="90 % band over posterior draws")
    ax.plot(dates, med, color=PALETTE[0], lw=2, label="median")
    ax.axvline(pd.Timestamp(last_target + "-01"), color="k", ls="--", lw=1, label="last calibration data")
    for t in cfg["targets"]:
        if t.observable == args.observable and t.county == args.county:
            ax.errorbar(pd.Timestamp(t.date + "-01"), t.value, yerr=1.645 * t.sd, fmt="o", color=PALETTE[5], capsize=4,
                        label="reported")
    ax.set_title(f"Forecast: {OBSERVABLES[args.observable]} ({args.county})", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    year_axis(ax)
    save_figure(fig, args.folder / f"{stem}.png")
    for year in sorted({d[:4] for d in table["date"]}):
        r = table[table["date"] == f"{year}-12"]
        if len(r):
            print(f"{year}-12  median {r['median'].iloc[0]:.3f}  90 % band [{r['p5'].iloc[0]:.3f}, {r['p95'].iloc[0]:.3f}]")
    print(f"written: {args.folder / (stem + '.csv')} and .png ({len(runs)} posterior draws)")
    if args.folder != args.calibration:
        write_manifest_file(args.folder, manifest({"predict": str(args.calibration)}, [cfg["seed"]],
                                                  calibration_file=str(args.calibration.resolve()), status="complete",
                                                  observable=args.observable, county=args.county, draws=len(runs)))
    return 0


def publish(out: Path, where: Path) -> None:
    """Copy the posterior, the fit report and its two figures beside the config (for the shipped calibration,
    into calibration/), the report's links pointing at the copies; each file is replaced whole."""
    from .calibrate import in_repository

    report = (out / "fit_report.md").read_text(encoding="utf-8")
    report = report.replace(f"`calibration: {in_repository(out / 'calibrated.yaml')}`",
                            f"`calibration: {in_repository(where / 'calibrated.yaml')}`")
    report = report.replace("Plots: `posterior.png` (marginal and pairwise posteriors), `fit.png` (fitted",
                            "Plots: [fit_report_posterior.png](fit_report_posterior.png) (marginal and pairwise "
                            "posteriors), [fit_report_fit.png](fit_report_fit.png) (fitted")
    files = {"calibrated.yaml": (out / "calibrated.yaml").read_bytes(), "fit_report.md": report.encode("utf-8"),
             "fit_report_posterior.png": (out / "posterior.png").read_bytes(),
             "fit_report_fit.png": (out / "fit.png").read_bytes()}
    for name, data in files.items():
        target = where / name
        tmp = target.with_name(f".{name}.partial")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    print(f"published: {', '.join(files)} in {where}")

