"""Beside the maps: the date, the reach and adoption curves and the money (state against principals),
for one or two runs, drawn as the months go by."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
from matplotlib.lines import Line2D

from ..observables import Observables
from .map import BLUE, VERMILLION

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def frame_months(n_months: int, every: int) -> list[int]:
    """The months shown: the last month of each block of `every` months (the run's last month included)."""
    return [min(k * every + every - 1, n_months - 1) for k in range(math.ceil(n_months / every))]


def month_label(model, month: int) -> str:
    d = model.date_of(month)
    return f"{MONTHS[d.month - 1]} {d.year}"



class Timeline:
    """The date, the reach and adoption curves, and the money, for one or two runs."""

    STYLES = ("-", "--")

    def __init__(self, fig, rect, models, names, fontscale=1.0):
        x0, y0, w, h = rect
        fs = fontscale
        self.date = fig.text(x0 + w / 2, y0 + h - 0.005, "", ha="center", va="top", fontsize=30 * fs, fontweight="bold")
        self.ax_reach = fig.add_axes([x0 + 0.045, y0 + h * 0.52, w - 0.06, h * 0.30])
        self.ax_money = fig.add_axes([x0 + 0.045, y0 + h * 0.08, w - 0.06, h * 0.30])
        m0 = models[0]
        self.x = np.array([m0.start_year + (m0.start_date.month - 1 + t) / 12 for t in range(m0.n_months)])
        col = Observables.names.index
        self.series = []
        for m in models:
            v = m.observables.values
            self.series.append({k: v[:, 0, col(k)] for k in ("reach_any", "adoption_mean", "state_spending", "principal_spending")})
        self.lines = []
        for i, name in enumerate(names):
            ls = self.STYLES[i % 2]
            self.lines.append({
                "reach_any": self.ax_reach.plot([], [], ls, color=BLUE, lw=3)[0],
                "adoption_mean": self.ax_reach.plot([], [], ls, color=VERMILLION, lw=3)[0],
                "state_spending": self.ax_money.plot([], [], ls, color=BLUE, lw=3)[0],
                "principal_spending": self.ax_money.plot([], [], ls, color=VERMILLION, lw=3)[0],
            })
        variant_keys = [Line2D([], [], ls=self.STYLES[i % 2], color="#444444", lw=2.5, label=name)
                        for i, name in enumerate(names)] if len(names) > 1 else []
        reach_keys = [Line2D([], [], color=BLUE, lw=3, label="reached by the initiative"),
                      Line2D([], [], color=VERMILLION, lw=3, label="using EBP (mean of the areas)")]
        money_keys = [Line2D([], [], color=BLUE, lw=3, label="state"),
                      Line2D([], [], color=VERMILLION, lw=3, label="principals (counties, municipalities)")]
        last = self.x[-1] + 1 / 12
        money_max = max([1.0] + [float(np.nanmax(s[k])) for s in self.series for k in ("state_spending", "principal_spending")])
        for ax, title, ylim in ((self.ax_reach, "Municipalities, share of 290", (0, 1.02)),
                                (self.ax_money, "Money for the structures, SEK million a month", (0, money_max * 1.6))):
            ax.set_xlim(self.x[0], last)
            ax.set_ylim(*ylim)
            ax.set_title(title, fontsize=14 * fs, loc="left")
            ax.tick_params(labelsize=12 * fs)
            ax.grid(alpha=0.3)
            years = range(int(self.x[0]), int(last) + 1)
            step = 2 if len(years) > 7 else 1
            ax.set_xticks([y for y in years if (y - years[0]) % step == 0 and self.x[0] <= y <= last])
            ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%d"))
        for ax, keys, loc in ((self.ax_reach, reach_keys + variant_keys, "lower right"),
                              (self.ax_money, money_keys + variant_keys, "upper center")):
            ax.legend(handles=keys, loc=loc, fontsize=11 * fs, frameon=True, framealpha=0.9,
                      ncol=2 if ax is self.ax_money else 1)
        self.ax_reach.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))

    def artists(self):
        return [self.date] + [line for lines in self.lines for line in lines.values()]

    def update(self, month: int, label: str):
        self.date.set_text(label)
        out = [self.date]
        for s, lines in zip(self.series, self.lines):
            for k, line in lines.items():
                line.set_data(self.x[:month + 1], s[k][:month + 1])
                out.append(line)
        return out


class Difference:
    """The second run minus the first (the reference), month by month, in percentage points: reach and
    adoption. Close variants look alike on the maps; this panel says what the picture cannot. With several
    replicates (`diffs` rows beyond the first), the 5th-95th percentile band of the paired differences is
    drawn as it grows."""

    KEYS = {"reach_any": ("reached", BLUE), "adoption_mean": ("using EBP", VERMILLION)}

    def __init__(self, ax, x, diffs: dict, names, fontscale: float = 1.0):
        from matplotlib.collections import PolyCollection

        self.ax, self.x, fs = ax, x, fontscale
        self.diffs = {k: 100 * np.asarray(d, dtype=float) for k, d in diffs.items()}  # (replicates, months), pp
        n_rep = next(iter(self.diffs.values())).shape[0]
        self.bands = {}
        if n_rep > 1:
            for k, d in self.diffs.items():
                lo, hi = np.nanpercentile(d, 5, axis=0), np.nanpercentile(d, 95, axis=0)
                self.bands[k] = (lo, hi, ax.add_collection(PolyCollection([], facecolor=self.KEYS[k][1], alpha=0.22,
                                                                          lw=0, zorder=2)))
        self.lines = {k: ax.plot([], [], color=c, lw=3, zorder=3)[0] for k, (_, c) in self.KEYS.items()}
        ax.axhline(0, color="black", lw=1.2, zorder=1)
        top = max(2.0, 1.15 * float(np.nanmax(np.abs(np.concatenate([d.ravel() for d in self.diffs.values()])))))
        ax.set_ylim(-top, 1.8 * top)  # room above for the key
        ax.set_xlim(x[0], x[-1] + 1 / 12)
        ax.set_title(f"Difference: {names[1]} minus {names[0]}", fontsize=14 * fs, loc="left")
        ax.set_ylabel("percentage points", fontsize=11 * fs)
        ax.tick_params(labelsize=12 * fs)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%d"))
        keys = [Line2D([], [], color=c, lw=3, label=label) for label, c in self.KEYS.values()]
        if n_rep > 1:
            keys.append(Line2D([], [], color="#999999", lw=8, alpha=0.4,
                               label=f"5th-95th percentile, {n_rep} replicates" + (" (few: rough)" if n_rep < 20 else "")))
        else:
            keys.append(Line2D([], [], color="none", label="one seed: no band (--replicates N)"))
        ax.legend(handles=keys, loc="upper left", fontsize=10.5 * fs, frameon=True, framealpha=0.9, ncol=2)

    def artists(self):
        return list(self.lines.values()) + [b[2] for b in self.bands.values()]

    def update(self, month: int):
        x = self.x[:month + 1]
        for k, line in self.lines.items():
            line.set_data(x, self.diffs[k][0, :month + 1])
        for lo, hi, poly in self.bands.values():
            poly.set_verts([np.column_stack([np.concatenate([x, x[::-1]]),
                                             np.concatenate([lo[:month + 1], hi[:month + 1][::-1]])])])
        return self.artists()
