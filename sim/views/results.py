"""Plots of a finished ensemble: each key observable's mean and 90 % band per variant, and small multiples
by county. Drawn from the run arrays one observable at a time (``sim/experiments/report.py`` reads them)."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..experiments.report import KEY_OBSERVABLES, nanpercentile, read_place  # noqa: E402
from ..observables import OBSERVABLES  # noqa: E402
from .style import PALETTE, save_figure, year_axis  # noqa: E402


def plot_ensemble(store, reps, dates, pl, names) -> list[Path]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months (nothing reached yet) plot as gaps
        return _plot_ensemble(store, reps, dates, pl, names)


def _plot_ensemble(store, reps, dates, pl, names) -> list[Path]:
    sc = store.scenario
    out_dir = store.folder / "plots"
    out_dir.mkdir(exist_ok=True)
    out = []
    col = {n: i for i, n in enumerate(names)}
    arrays = {v: store.array(v, mode="r") for v in sc.variants}
    for obs in KEY_OBSERVABLES:
        fig, ax = plt.subplots(figsize=(9, 5))
        for i, v in enumerate(sc.variants):
            if not len(reps[v]):
                continue
            vals = read_place(arrays[v], reps[v], 0, col[obs])
            mean, lo, hi = np.nanmean(vals, 0), nanpercentile(vals, 5), nanpercentile(vals, 95)
            c = PALETTE[i % len(PALETTE)]
            label = v + (" (reference)" if v == sc.reference else "")
            ax.plot(dates, mean, color=c, lw=2.2, label=label)
            ax.fill_between(dates, lo, hi, color=c, alpha=0.18, lw=0)
        ax.set_title(f"{sc.name}: {OBSERVABLES[obs]}", fontsize=11)
        ax.set_ylabel(obs)
        ax.grid(alpha=0.3)
        ax.legend(title="variant (mean and 90 % band)", fontsize=9)
        year_axis(ax)
        out.append(save_figure(fig, out_dir / f"{obs}.png"))
    for obs in ("reach_any", "adoption_mean"):
        fig, axes = plt.subplots(4, 6, figsize=(16, 10), sharex=True, sharey=True)
        for p_i, (ax, place) in enumerate(zip(axes.flat, pl[1:]), start=1):
            for i, v in enumerate(sc.variants):
                if not len(reps[v]):
                    continue
                vals = read_place(arrays[v], reps[v], p_i, col[obs])
                ax.plot(dates, np.nanmean(vals, 0), color=PALETTE[i % len(PALETTE)], lw=1.5, label=v)
            ax.set_title(place, fontsize=9)
            ax.tick_params(labelsize=7)
        ncols = axes.shape[1]
        for k in range(len(pl) - 1, axes.size):
            axes.flat[k].axis("off")
            axes.flat[k - ncols].xaxis.set_tick_params(labelbottom=True)  # the panel above the gap shows years
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower right", fontsize=10, title="variant (mean)")
        year_axis(axes.flat[0], every=4)  # shared by all panels
        fig.suptitle(f"{sc.name}: {OBSERVABLES[obs]}, by county")
        fig.subplots_adjust(left=0.04, right=0.99, top=0.92, bottom=0.04, wspace=0.08, hspace=0.3)
        out.append(save_figure(fig, out_dir / f"{obs}_by_county.png", dpi=100, tight=False))
    return out
