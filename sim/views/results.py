"""Plots of a finished ensemble, drawn from the run arrays one observable at a time (``PlotData``), in this
process or by the painter processes of ``painters.py`` (a run started them before the model ran):

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
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from ..experiments.summaries import KEY_OBSERVABLES, MIN_REPLICATES_FOR_BAND, nanpercentile, read_place  # noqa: E402
from .labels import axis_label, is_share, label  # noqa: E402
from .painters import BY_COUNTY, Painters, PlotData, figures  # noqa: E402, F401 - BY_COUNTY read from here too
from .style import PALETTE, percent_axis, save_figure, year_axis  # noqa: E402

REFERENCE_COLOUR = "#000000"
WARN_COLOUR = "#B00000"


def plot_ensemble(store, reps, dates, pl, names, workers: int = 1, progress: bool = False) -> list[Path]:
    """Draw every plot of the ensemble into ``plots/``: in this process, or with `workers` > 1 by that many
    painter processes (``painters.py``; a run started them before the model ran). A progress bar counts the
    figures. Returns the paths in a fixed order."""
    data = PlotData.of(store, reps, dates, pl, names)
    if workers > 1:
        with Painters(workers) as painters:
            return painters.draw(data).wait(progress)
    from tqdm import tqdm

    (data.folder / "plots").mkdir(exist_ok=True)
    out = []
    for job in tqdm(figures(data), desc="plots", unit="figure", disable=not progress, dynamic_ncols=True):
        out.append(draw(data, job))
    return out


def draw(data: PlotData, job) -> Path:
    """Draw one figure, `job` = (kind, observable), from the run arrays."""
    # dates as matplotlib's day numbers, converted once: as dates, every line and band would be converted
    # again and reset the limits of every panel sharing the axis (a second per figure of 21 panels)
    dates = mdates.date2num(data.dates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months (nothing reached yet) plot as gaps
        return _draw(data, dates, *job)


def warm_up() -> None:
    """Draw and encode a small figure with the fonts and pieces of the real ones, so that a painter's first
    real figure does not pay for loading fonts and building caches."""
    import io

    fig, ax = plt.subplots(figsize=(3, 2), dpi=110)
    x = np.arange(24.0)
    ax.plot(x, x / 24, color=PALETTE[0], label="a")
    ax.fill_between(x, x / 30, x / 20, color=PALETTE[0], alpha=0.14, lw=0)
    ax.set_title("warm up", fontsize=12)
    ax.set_ylabel("share (%)")
    ax.set_xlabel("year")
    percent_axis(ax)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    ax.legend(title="legend", fontsize=9, title_fontsize=9)
    fig.text(0.5, 0.5, "warning", fontsize=9)
    fig.tight_layout()
    fig.savefig(io.BytesIO(), format="png", dpi=110)
    plt.close(fig)


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


def _draw(data: PlotData, dates, kind, obs) -> Path:
    reps = data.reps
    out_dir = data.folder / "plots"
    col = {n: i for i, n in enumerate(data.names)}
    arrays = {v: data.array(v) for v in data.variants if len(reps[v])}
    styles = variant_styles(data.variants, data.reference)
    order = _order(data.variants, data.reference)
    ref = data.reference
    n_min = min([len(reps[v]) for v in data.variants] or [0])
    if kind == "by_county":
        return _by_county(data, obs, dates, data.places, arrays, reps, col, styles, order, n_min, out_dir)
    vals = {v: read_place(arrays[v], reps[v], 0, col[obs]) for v in data.variants if len(reps[v])}
    if kind == "difference":
        others = [v for v in data.variants if v != ref and len(reps[v])]
        return _difference_plot(data, obs, dates, vals, reps, others, styles, out_dir)
    fig, ax = blank_figure()
    for v in order:
        if v in vals:
            _band(ax, dates, vals[v], styles[v])
    ax.set_title(f"{data.name}: {label(obs)}", fontsize=12)
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


def _difference_plot(data, obs, dates, vals, reps, others, styles, out_dir) -> Path:
    fig, ax = blank_figure()
    ax.axhline(0, color=REFERENCE_COLOUR, lw=1.4, zorder=2, label=f"no difference from {data.reference}")
    n = None
    for v in others:
        d = paired_differences(vals, reps, v, data.reference)
        n = len(d) if n is None else min(n, len(d))
        _band(ax, dates, d, styles[v])
    ax.set_title(f"{data.name}: {label(obs)}, difference from '{data.reference}'", fontsize=12)
    ax.set_ylabel(axis_label(obs, difference=True))
    ax.set_xlabel("year")
    _share_axis(ax, obs, difference=True)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", title=f"variant minus reference: mean and 90 % interval of {n} paired replicates", fontsize=9,
              title_fontsize=9)
    _warn(ax, n or 0)
    year_axis(ax)
    return save_figure(fig, out_dir / f"difference_{obs}.png")


def _by_county(data, obs, dates, pl, arrays, reps, col, styles, order, n_min, out_dir) -> Path:
    """One panel per county, all on the same scales. Tick marks and labels only on the left column (values)
    and at the foot of each column (years); the grid of every panel is one line collection at the same
    places: each panel's own axis ticks would be the larger part of drawing this figure."""
    n = len(pl) - 1
    cols = COUNTY_COLUMNS
    fig, axes, _ = _LAID_OUT.pop() if _LAID_OUT and _LAID_OUT[-1][2] == list(pl[1:]) else lay_out_counties(pl[1:])
    for k, ax in enumerate(axes):
        for v in order:
            if len(reps[v]):
                _band(ax, dates, read_place(arrays[v], reps[v], k + 1, col[obs]), dict(styles[v], lw=styles[v]["lw"] * 0.7))
    first = axes[0]  # the common scales: autoscaled over every panel's data, as shared axes would be
    first.dataLim.set(Bbox.union([ax.dataLim for ax in axes]))
    first.autoscale_view()
    (x0, x1), (y0, y1) = first.get_xlim(), first.get_ylim()
    _share_axis(first, obs)
    year_axis(first, every=4)
    xticks = [x for x in first.get_xticks() if x0 <= x <= x1]
    yticks = [y for y in first.get_yticks() if min(y0, y1) <= y <= max(y0, y1)]
    grid_lines = [[(x, y0), (x, y1)] for x in xticks] + [[(x0, y), (x1, y)] for y in yticks]
    for k, ax in enumerate(axes):
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.add_collection(LineCollection(grid_lines, colors=matplotlib.rcParams["grid.color"], alpha=0.3, zorder=1.5,
                                         linewidths=matplotlib.rcParams["grid.linewidth"]), autolim=False)
        if k % cols == 0:
            ax.set_yticks(yticks)
            ax.yaxis.set_major_formatter(first.yaxis.get_major_formatter())
            ax.set_ylabel("%" if is_share(obs) else axis_label(obs), fontsize=10)
        else:
            ax.set_yticks([])
        if k + cols >= n:  # the lowest panel of its column shows the years
            ax.set_xticks(xticks)
            ax.xaxis.set_major_formatter(first.xaxis.get_major_formatter())
        else:
            ax.set_xticks([])
        ax.tick_params(labelsize=8)
    handles, labels = first.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower right", fontsize=10,
               title=f"variant: mean and 5th-95th percentile band, {n_min} replicates", title_fontsize=10)
    fig.suptitle(f"{data.name}: {axis_label(obs)}, by county")
    _warn(fig, n_min, where=(0.99, 0.965))
    return save_figure(fig, out_dir / f"{obs}_by_county.png", dpi=100, tight=False)


COUNTY_COLUMNS = 6
_LAID_OUT: list = []  # a county figure laid out ahead (by the painters' server while the model runs)


def lay_out_counties(counties: list[str]) -> tuple:
    """The empty figure of county panels, titled: (figure, panels, counties). The same whatever the data, so
    a painter lays one out before the run has finished (`lay_out_ahead`): a third of the figure's cost."""
    fig = plt.figure(figsize=(16, 10.5), dpi=100)
    grid = fig.add_gridspec(-(-len(counties) // COUNTY_COLUMNS), COUNTY_COLUMNS, left=0.045, right=0.99, top=0.92,
                            bottom=0.04, wspace=0.08, hspace=0.3)
    axes = []
    for k, place in enumerate(counties):
        ax = fig.add_subplot(grid[k // COUNTY_COLUMNS, k % COUNTY_COLUMNS])
        ax.set_title(place, fontsize=10)
        axes.append(ax)
    return fig, axes, list(counties)


_BLANK: list = []  # empty figures of one panel, made ahead like the county figure


def _one_panel() -> tuple:
    return plt.subplots(figsize=(9, 5), dpi=110)


def blank_figure() -> tuple:
    """An empty figure of one panel (9 x 5 inches at 110 dpi), and its axes: one made ahead if one is left."""
    return _BLANK.pop() if _BLANK else _one_panel()


def lay_out_ahead() -> None:
    """Before the figures come, one county figure laid out, unless one is waiting, and an empty figure for
    every observable plotted: in the painters' server, so that every painter forked from it has them (the
    first figures given out are the county panels, one to each painter)."""
    from ..experiments.summaries import places

    if not _LAID_OUT:
        _LAID_OUT.append(lay_out_counties(places()[1:]))
    while len(_BLANK) < len(KEY_OBSERVABLES):
        _BLANK.append(_one_panel())
