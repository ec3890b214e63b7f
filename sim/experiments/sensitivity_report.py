"""The tables, plots and short report of a finished sensitivity analysis (``sim/experiments/sensitivity.py``).

Files are written under a temporary name and renamed when complete, so a folder never holds half a table.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..observables import OBSERVABLES
from . import sensitivity_analysis as sa
from .sensitivity_config import Config


def _csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name("." + path.name + ".partial")
    df.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, path)


def describe(cfg: Config, outcome: str) -> str:
    """An outcome in words, for reports and plot titles (two lines)."""
    o = next(x for x in cfg.outcomes if x.name == outcome)
    which = f"{o.of} minus {o.minus}" if o.is_contrast else o.of
    return f"{o.name}: {o.value.name}, {which}\n({OBSERVABLES[o.value.observable]})"


def draws_table(cfg: Config, results: dict) -> pd.DataFrame:
    from .sensitivity import run_values

    parts = []
    for stage, r in results.items():
        df = pd.DataFrame(run_values(cfg, r["X"]), columns=cfg.names)
        df.insert(0, "draw", np.arange(len(df)))
        df.insert(0, "stage", stage)
        parts.append(pd.concat([df, r["Y"].reset_index(drop=True)], axis=1))
    return pd.concat(parts, ignore_index=True)


def write_results(cfg: Config, folder: Path, results: dict, stats: dict) -> None:
    from ..views.sensitivity_plots import plot_morris, plot_sobol

    folder = Path(folder)
    (folder / "plots").mkdir(exist_ok=True)
    draws = draws_table(cfg, results)
    _csv(draws, folder / "draws.csv")
    figures = []
    if "morris" in results:
        rows = []
        for o, t in results["morris"]["tables"].items():
            t = t.sort_values("mu_star", ascending=False).assign(rank=lambda d: np.arange(1, len(d) + 1))
            rows.append(t.assign(outcome=o)[["outcome", "rank", "parameter", "mu_star", "mu_star_conf", "mu", "sigma"]])
            figures.append(plot_morris(t, describe(cfg, o), folder / "plots" / f"morris_{o}.png"))
        _csv(pd.concat(rows, ignore_index=True), folder / "morris.csv")
    if "sobol" in results:
        rows = []
        for o, t in results["sobol"]["tables"].items():
            t = t.sort_values("ST", ascending=False)
            rows.append(t.assign(outcome=o)[["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]])
            figures.append(plot_sobol(t, describe(cfg, o), folder / "plots" / f"sobol_{o}.png"))
        _csv(pd.concat(rows, ignore_index=True), folder / "sobol.csv")
    rob, boxes = [], []
    # over the Morris draws when there are some: they move every parameter, the Sobol draws only the top few
    space = draws[draws["stage"] == "morris"] if "morris" in results else draws
    for o in cfg.outcomes:
        if o.is_contrast:
            row, box = sa.robustness(space, cfg.names, o.name)
            rob.append({**row, "variant": o.of, "reference": o.minus})
            boxes.append(box)
    robustness = pd.DataFrame(rob)
    box_table = pd.concat(boxes, ignore_index=True) if boxes else pd.DataFrame()
    if rob:
        _csv(robustness, folder / "robustness.csv")
        _csv(box_table, folder / "robustness_boxes.csv")
    text = report_text(cfg, results, robustness, box_table, stats, [f.relative_to(folder) for f in figures])
    tmp = folder / ".report.md.partial"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, folder / "report.md")


def _timing(stats) -> str:
    a = stats["all_sessions"]
    rate = f"{a['runs'] / a['seconds']:.2f}" if a["seconds"] else "-"
    where = "" if a["sessions"] == 1 else f" over {a['sessions']} sessions (the last ran {stats['runs']})"
    return f", run in {a['seconds'] / 60:.1f} minutes{where}: {rate} runs/s"


def report_text(cfg: Config, results: dict, robustness: pd.DataFrame, boxes: pd.DataFrame, stats: dict,
                figures: list, top: int = 5) -> str:
    m = cfg.method
    lines = [f"# Sensitivity analysis '{cfg.name}'", ""]
    if cfg.scenario.description:
        lines += [cfg.scenario.description.strip(), ""]
    lines += [f"Method {m['name']} over {len(cfg.names)} parameters ({cfg.scenario.start} to {cfg.scenario.end}, "
              f"seed {cfg.scenario.seed}, {cfg.replicates} seed(s) per draw, the same in every variant). "
              f"{stats['total_runs']} model runs{_timing(stats)}.", ""]
    if stats.get("model_fingerprint"):
        lines += [f"Model fingerprint `{stats['model_fingerprint']}` (the model analysed: "
                  "`sim/experiments/manifest.py`, `model_fingerprint`).", ""]
    if "sobol" in results:
        lines += [f"Sobol stage on: {', '.join(results['sobol']['names'])}.", ""]
    for o in cfg.outcomes:
        lines += [f"## {o.name}", "", describe(cfg, o.name).split("\n", 1)[1].strip("()").capitalize() + ": "
                  + describe(cfg, o.name).split("\n")[0].split(": ", 1)[1] + ".", ""]
        if "morris" in results:
            t = results["morris"]["tables"][o.name].sort_values("mu_star", ascending=False).head(top)
            lines += ["| Morris rank | parameter | μ* [interval] | σ |", "|---|---|---|---|"]
            for r, (_, x) in enumerate(t.iterrows(), 1):
                lines.append(f"| {r} | `{x.parameter}` | {x.mu_star:.3g} ± {x.mu_star_conf:.2g} | {x.sigma:.3g} |")
            lines.append("")
        if "sobol" in results:
            t = results["sobol"]["tables"][o.name].sort_values("ST", ascending=False)
            lines += ["| parameter | S1 [interval] | ST [interval] |", "|---|---|---|"]
            for _, x in t.iterrows():
                lines.append(f"| `{x.parameter}` | {x.S1:.2f} ± {x.S1_conf:.2f} | {x.ST:.2f} ± {x.ST_conf:.2f} |")
            lines.append("")
        if o.is_contrast and len(robustness):
            r = robustness[robustness["outcome"] == o.name].iloc[0]
            lines.append(f"Robustness: '{o.of}' beats '{o.minus}' in {r.share_variant_beats_reference:.0%} of "
                         f"{r.draws} draws (difference {r['mean']:+.3g}, 5th-95th percentile {r.p5:+.3g} to {r.p95:+.3g}).")
            b = boxes[boxes["outcome"] == o.name] if len(boxes) else boxes
            if len(b):
                cond = "; ".join(f"`{x.parameter}` in [{x.low:.3g}, {x.high:.3g}]" for _, x in b.iterrows())
                lines.append(f"It does not where {cond} (PRIM box: {b.density.iloc[0]:.0%} of the draws in it fail, "
                             f"holding {b.coverage.iloc[0]:.0%} of all failures).")
            lines.append("")
    if figures:
        lines += ["## Figures", ""] + [f"![{f.stem}]({f.as_posix()})" for f in figures] + [""]
    if cfg.excluded:
        lines += ["Not varied: " + "; ".join(f"`{k}` ({v})" for k, v in cfg.excluded.items()) + ".", ""]
    return "\n".join(lines)
