"""Plots of one run's main observables (PNG), from its tidy time-series table."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .parameters import AREAS  # noqa: E402

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def _series(ts: pd.DataFrame, county: str, observable: str) -> pd.Series:
    sel = ts[(ts["county"] == county) & (ts["observable"] == observable)]
    return sel.set_index("date")["value"]


def _lines(ax, ts, county, observables, labels, title, ylabel):
    for i, (obs, label) in enumerate(zip(observables, labels)):
        s = _series(ts, county, obs)
        ax.plot(s.index, s.values, color=PALETTE[i % len(PALETTE)], label=label, lw=2)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)


def plot_run(ts: pd.DataFrame, folder: Path) -> list[Path]:
    folder = Path(folder)
    out = []

    fig, ax = plt.subplots(figsize=(8, 4.5))
    _lines(ax, ts, "national", ["reach_any", "salar_event_share", "provider_reach"],
           ["municipalities reached by the initiative", "took part in a SALAR national event", "private providers reached"],
           "Reach, Sweden", "share")
    ax.set_ylim(0, 1)
    out.append(save_figure(fig, folder / "reach.png"))

    fig, ax = plt.subplots(figsize=(8, 4.5))
    _lines(ax, ts, "national", [f"adoption_{a}" for a in AREAS], [a.replace("_", " ") for a in AREAS],
           "Municipalities using evidence-based practice, by programme area", "share of municipalities")
    ax.set_ylim(0, 1)
    out.append(save_figure(fig, folder / "adoption.png"))

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    _lines(a1, ts, "national", ["platform_leaders", "development_leaders", "functioning_structures"],
           ["platform leaders", "development leaders (FTE)", "functioning structures (counties)"], "Staff and structures", "count")
    _lines(a2, ts, "national", ["state_spending", "principal_spending"], ["state", "principals"],
           "Money for the regional structures", "SEK million per month")
    out.append(save_figure(fig, folder / "staff_and_money.png"))

    counties = [c for c in ts["county"].unique() if c != "national"]
    fig, axes = plt.subplots(4, 6, figsize=(15, 9), sharex=True, sharey=True)
    for ax, county in zip(axes.flat, counties):
        for i, obs in enumerate(["reach_any", "adoption_mean"]):
            s = _series(ts, county, obs)
            ax.plot(s.index, s.values, color=PALETTE[i], lw=1.5)
        ax.set_title(county, fontsize=9)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(counties):]:
        ax.axis("off")
    fig.legend(["reached by the initiative", "mean adoption"], loc="lower right", fontsize=10)
    fig.suptitle("Reach and adoption by county")
    out.append(save_figure(fig, folder / "counties.png"))
    return out


def save_figure(fig, path: Path, dpi: int = 110) -> Path:
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
