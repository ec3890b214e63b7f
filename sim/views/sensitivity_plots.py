"""Plots of a sensitivity analysis (``run.py sensitivity``): what an analyst reads at a glance.

* Morris: μ*-σ scatter with the parameters' names (top right = influential and interacting or non-linear;
  near the origin = negligible), and the ranked μ* with its bootstrap interval.
* Sobol: first-order (S1) and total (ST) indices with their bootstrap intervals, ranked by ST.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .style import PALETTE, save_figure


def plot_morris(t: pd.DataFrame, outcome: str, path: Path, labelled: int = 10, bars: int = 15) -> Path:
    t = t.sort_values("mu_star", ascending=False)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [1.1, 1]})
    ax.scatter(t["mu_star"], t["sigma"], s=22, color=PALETTE[0], alpha=0.8)
    lim = max(float(t["mu_star"].max()), float(t["sigma"].max()), 1e-12) * 1.08
    ax.plot([0, lim], [0, lim], color="grey", lw=0.8, ls="--", label="σ = μ*")
    for _, r in t.head(labelled).iterrows():
        ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=8, xytext=(4, 2), textcoords="offset points")
    ax.set_xlabel("μ*: mean |change in outcome| for a move across the parameter's range")
    ax.set_ylabel("σ: spread of the changes (interaction, non-linearity)")
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    top = t.head(bars).iloc[::-1]
    y = np.arange(len(top))
    bx.barh(y, top["mu_star"], xerr=top["mu_star_conf"], color=PALETTE[0], alpha=0.85, capsize=2,
            error_kw={"lw": 0.8})
    bx.set_yticks(y, top["parameter"], fontsize=8)
    bx.set_xlabel("μ* with its bootstrap interval (outcome units)")
    bx.set_title(f"the {len(top)} most influential", fontsize=10)
    bx.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Morris screening of {outcome}", fontsize=10)
    return save_figure(fig, path)


def plot_sobol(t: pd.DataFrame, outcome: str, path: Path) -> Path:
    t = t.sort_values("ST", ascending=True)
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.45 * len(t)))
    ax.barh(y + 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], color=PALETTE[1], label="total (ST)", capsize=2)
    ax.barh(y - 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], color=PALETTE[0], label="first-order (S1)", capsize=2)
    ax.set_yticks(y, t["parameter"], fontsize=9)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel("share of the outcome's variance (Sobol index, with bootstrap interval)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Sobol indices of {outcome}", fontsize=10)
    return save_figure(fig, path)
