"""Plots of a finished ensemble, drawn from the run arrays one observable at a time
(``sim/experiments/report.py`` reads them):

* ``<observable>.png``: each variant's mean and 5th-95th percentile band over replicates; the reference is
  drawn last, in black, so no variant hides it;
* ``difference_<observable>.png`` (with two or more variants): each non-reference variant's paired
  difference from the reference (replicate i of both, same seed), mean and 90 % interval over time, zero
  marked: the scenario's answer, which is invisible at full scale when variants are close;
* ``<observable>_by_county.png``: the same per county, with bands, for reach and adoption.

Axes carry words and units (shares in per cent, their differences in percentage points,
`sim.views.labels`). A band from fewer than ``MIN_REPLICATES_FOR_BAND`` replicates carries a warning.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..experiments.report import KEY_OBSERVABLES, MIN_REPLICATES_FOR_BAND, nanpercentile, read_place  # noqa: E402
from .labels import axis_label, is_share, label  # noqa: E402
from .style import PALETTE, percent_axis, save_figure, year_axis  # noqa: E402

BY_COUNTY = ("reach_any", "adoption_mean")
REFERENCE_COLOUR = "#000000"
WARN_COLOUR = "#B00000"


def plot_ensemble(store, reps, dates, pl, names, workers: int = 1, progress: bool = False) -> list[Path]:
    """Draw every plot of the ensemble into ``plots/``; with `workers` > 1, this process and `workers` - 1
    helper processes draw them together (each figure is drawn whole by one process, so the files are the
    same whichever process drew them). A progress bar counts the figures. Returns the paths in a fixed order."""
    from tqdm import tqdm

    (store.folder / "plots").mkdir(exist_ok=True)
    jobs = figures(store.scenario, reps)
    helpers = min(workers, len(jobs)) - 1
    with tqdm(total=len(jobs), desc="plots", unit="figure", disable=not progress, dynamic_ncols=True) as bar:
        if helpers < 1:
            out = []
            for job in jobs:
                out.append(draw(store, reps, dates, pl, names, job))
                bar.update()
            return out
        return _draw_together(store, reps, dates, pl, names, jobs, helpers, bar)


def figures(sc, reps) -> list[tuple[str, str]]:
    """The figures to draw, as (kind, observable), the slowest (the county panels) first."""
    others = [v for v in sc.variants if v != sc.reference and len(reps[v])]
    jobs = [("by_county", obs) for obs in BY_COUNTY]
    for obs in KEY_OBSERVABLES:
        jobs.append(("mean", obs))
        if others and len(reps[sc.reference]):
            jobs.append(("difference", obs))
    return jobs


def draw(store, reps, dates, pl, names, job) -> Path:
    """Draw one figure, `job` = (kind, observable), from the run arrays."""
    # dates as matplotlib's day numbers, converted once: as dates, every line and band would be converted
    # again and reset the limits of every panel sharing the axis (a second per figure of 21 panels)
    dates = mdates.date2num(dates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months (nothing reached yet) plot as gaps
        return _draw(store, reps, dates, pl, names, *job)


def _helper_init() -> None:
    """A helper process: Ctrl-C is the parent's to handle; the plotting library is loaded at start, while
    the parent is still busy."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _draw_together(store, reps, dates, pl, names, jobs, helpers, bar) -> list[Path]:
    """The helpers take jobs from the front of the list (the slow ones), this process from the back, until
    none is left. A fresh (forkserver) process imports the plotting library but not the model."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    queue = deque(enumerate(jobs))
    out: dict[int, Path] = {}
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=helpers, mp_context=ctx, initializer=_helper_init) as pool:
        pending = {}
        try:
            while queue or pending:
                while queue and len(pending) < helpers:
                    i, job = queue.popleft()
                    pending[pool.submit(draw, store, reps, dates, pl, names, job)] = i
                if queue:
                    i, job = queue.pop()
                    out[i] = draw(store, reps, dates, pl, names, job)
                    bar.update()
                done, _ = wait(list(pending), timeout=0 if queue else None, return_when=FIRST_COMPLETED)
                for f in done:
                    out[pending.pop(f)] = f.result()
                    bar.update()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [out[i] for i in range(len(jobs))]


def variant_styles(variants, reference) -> dict:
    """Colour, width and drawing order per variant: the others in the palette (no black), the reference in
    black, thicker and drawn last, on top."""
    colours = [c for c in PALETTE if c != REFERENCE_COLOUR]
    out, k = {}, 0
    for v in variants:
        if v == reference:
            out[v] = {"color": REFERENCE_COLOUR, "lw": 2.6, "zorder": 10, "label": f"{v} (reference)"}
        else:
            out[v] = {"color": colours[k % len(colours)], "lw": 2.0, "zorder": 3 + k, "label": v}
            k += 1
    return out


def _order(variants, reference) -> list:
    return [v for v in variants if v != reference] + ([reference] if reference in variants else [])


def _warn(ax_or_fig, n: int, where=(0.99, 0.02)) -> None:
    """The few-replicates warning, in the plot itself."""
    if n >= MIN_REPLICATES_FOR_BAND:
        return
    text = (f"band from only {n} replicate{'s' if n != 1 else ''}: rough "
            f"({MIN_REPLICATES_FOR_BAND} or more for a 5th-95th percentile)")
    kw = dict(ha="right", va="bottom", color=WARN_COLOUR, fontsize=9,
              bbox=dict(facecolor="white", edgecolor=WARN_COLOUR, alpha=0.9, boxstyle="round,pad=0.3"))
    if hasattr(ax_or_fig, "transAxes"):
        ax_or_fig.text(*where, text, transform=ax_or_fig.transAxes, zorder=20, **kw)
    else:
        ax_or_fig.text(*where, text, **kw)


def _band(ax, dates, vals, style, band=True) -> None:
    mean = np.nanmean(vals, 0)
    ax.plot(dates, mean, color=style["color"], lw=style["lw"], zorder=style["zorder"], label=style["label"])
    if band and len(vals) > 1:
        ax.fill_between(dates, nanpercentile(vals, 5), nanpercentile(vals, 95), color=style["color"],
                        alpha=0.14 if style["color"] != REFERENCE_COLOUR else 0.10, lw=0, zorder=style["zorder"] - 0.5)


def _share_axis(ax, obs, difference=False) -> None:
    """Shares on a per cent axis; their differences in percentage points."""
    if not is_share(obs):
        return
    if difference:
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{100 * y:+.1f}".replace("+0.0", "0")))
    else:
        percent_axis(ax)


def _draw(store, reps, dates, pl, names, kind, obs) -> Path:
    sc = store.scenario
    out_dir = store.folder / "plots"
    col = {n: i for i, n in enumerate(names)}
    arrays = {v: store.array(v, mode="r") for v in sc.variants}
    styles = variant_styles(sc.variants, sc.reference)
    order = _order(sc.variants, sc.reference)
    ref = sc.reference
    n_min = min([len(reps[v]) for v in sc.variants] or [0])
    if kind == "by_county":
        return _by_county(sc, obs, dates, pl, arrays, reps, col, styles, order, n_min, out_dir)
    vals = {v: read_place(arrays[v], reps[v], 0, col[obs]) for v in sc.variants if len(reps[v])}
    if kind == "difference":
        others = [v for v in sc.variants if v != ref and len(reps[v])]
        return _difference_plot(sc, obs, dates, vals, reps, others, styles, out_dir)
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    for v in order:
        if v in vals:
            _band(ax, dates, vals[v], styles[v])
    ax.set_title(f"{sc.name}: {label(obs)}", fontsize=12)
    ax.set_ylabel(axis_label(obs))
    ax.set_xlabel("year")
    _share_axis(ax, obs)
    ax.grid(alpha=0.3)
    ax.legend(title=f"variant: mean and 5th-95th percentile band, {n_min} replicates", fontsize=9, title_fontsize=9)
    _warn(ax, n_min)
    year_axis(ax)
    return save_figure(fig, out_dir / f"{obs}.png")


def paired_differences(vals: dict, reps: dict, variant, reference) -> np.ndarray:
    """(replicates, months): the variant minus the reference, replicate by replicate (same seed), over the
    replicates both have finished."""
    common = np.intersect1d(reps[variant], reps[reference])
    return vals[variant][np.isin(reps[variant], common)] - vals[reference][np.isin(reps[reference], common)]


def _difference_plot(sc, obs, dates, vals, reps, others, styles, out_dir) -> Path:
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    ax.axhline(0, color=REFERENCE_COLOUR, lw=1.4, zorder=2, label=f"no difference from {sc.reference}")
    n = None
    for v in others:
        d = paired_differences(vals, reps, v, sc.reference)
        n = len(d) if n is None else min(n, len(d))
        _band(ax, dates, d, styles[v])
    ax.set_title(f"{sc.name}: {label(obs)}, difference from '{sc.reference}'", fontsize=12)
    ax.set_ylabel(axis_label(obs, difference=True))
    ax.set_xlabel("year")
    _share_axis(ax, obs, difference=True)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", title=f"variant minus reference: mean and 90 % interval of {n} paired replicates", fontsize=9,
              title_fontsize=9)
    _warn(ax, n or 0)
    year_axis(ax)
    return save_figure(fig, out_dir / f"difference_{obs}.png")


def _by_county(sc, obs, dates, pl, arrays, reps, col, styles, order, n_min, out_dir) -> Path:
    fig, axes = plt.subplots(4, 6, figsize=(16, 10.5), sharex=True, sharey=True)
    for p_i, (ax, place) in enumerate(zip(axes.flat, pl[1:]), start=1):
        for v in order:
            if len(reps[v]):
                _band(ax, dates, read_place(arrays[v], reps[v], p_i, col[obs]), dict(styles[v], lw=styles[v]["lw"] * 0.7))
        ax.set_title(place, fontsize=10)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    ncols = axes.shape[1]
    for k in range(len(pl) - 1, axes.size):
        axes.flat[k].axis("off")
        axes.flat[k - ncols].xaxis.set_tick_params(labelbottom=True)  # the panel above the gap shows years
    for row in axes:
        row[0].set_ylabel("%" if is_share(obs) else axis_label(obs), fontsize=10)
    _share_axis(axes.flat[0], obs)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower right", fontsize=10,
               title=f"variant: mean and 5th-95th percentile band, {n_min} replicates", title_fontsize=10)
    year_axis(axes.flat[0], every=4)  # shared by all panels
    fig.suptitle(f"{sc.name}: {axis_label(obs)}, by county")
    fig.subplots_adjust(left=0.045, right=0.99, top=0.92, bottom=0.04, wspace=0.08, hspace=0.3)
    _warn(fig, n_min, where=(0.99, 0.965))
    return save_figure(fig, out_dir / f"{obs}_by_county.png", dpi=100, tight=False)
