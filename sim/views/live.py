"""A live run for the app (`sim.views.app`): the levers as model parameters, the run simulated ahead of
what is shown, and its pictures at the size the page shows them, drawn by blitting.

A `Run` steps the model in a background thread (the whole of 2010-2020 takes a second or two) and keeps
the map's state of every month (`sim.views.map.Frame`), so the page can show any month simulated so far
without waiting for the model. `MapPicture` and `CurvesPicture` draw their still parts once (the county
names as an overlay, the earlier runs' faded lines in the background) and each month only what changed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..experiments.evaluate import model_params  # noqa: E402
from ..experiments.levers import PRINCIPLES, TAKEOVERS, variant  # noqa: E402
from ..model import EBPModel  # noqa: E402
from ..observables import Observables  # noqa: E402
from ..parameters import AREAS  # noqa: E402
from . import map as sweden_map  # noqa: E402
from .export import Blitter  # noqa: E402
from .map import BLACK, BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILLION, MapPanel, legend_handles, snapshot  # noqa: E402
from .style import percent_axis  # noqa: E402
from .timeline import month_label  # noqa: E402

DEFAULTS = {"seed": 1, "principle": "as reported (2012)", "takeover": "take-over 2014-16 (reported)",
            "outreach": 0.0, "via_structure": 0.0}
OUTREACH_MAX, VIA_MAX = 0.05, 1.0  # providers.direct_outreach per month; centres.via_structure, a share
SPEEDS = (4, 24)  # months a second the speed control allows
SPEED = 12
KEEP_RUNS = 6  # earlier runs kept on screen

# pixel sizes of the pictures, for 1280x720 (they scale with the window)
MAP_PX = (400, 700)
CURVES_PX = (520, 540)
LEGEND_PX = (300, 150)


def app_params(principle: str, takeover: str, outreach: float, via_structure: float) -> dict:
    """Model parameters for the app's levers: the named variants of `sim.experiments.levers`, checked and
    expanded by the scenario machinery, plus the two sliders."""
    if principle not in PRINCIPLES:
        raise ValueError(f"principle must be one of {', '.join(PRINCIPLES)}")
    if takeover not in TAKEOVERS:
        raise ValueError(f"takeover must be one of {', '.join(TAKEOVERS)}")
    layer = {**variant(PRINCIPLES[principle]), **variant(TAKEOVERS[takeover]),
             "providers": {"direct_outreach": float(outreach)}, "centres": {"via_structure": float(via_structure)}}
    return model_params(layer, file="the app's levers")


def settings_text(s: dict) -> str:
    """The settings of a run in words: what differs from the reported history ('as reported' if nothing)."""
    out = []
    if s["principle"] != DEFAULTS["principle"]:
        out.append(s["principle"])
    if s["takeover"] != DEFAULTS["takeover"]:
        out.append(s["takeover"])
    if s["outreach"]:
        out.append(f"provider outreach {s['outreach']:.3f}/month")
    if s["via_structure"]:
        out.append(f"centres via structures {s['via_structure']:.0%}")
    if s["seed"] != DEFAULTS["seed"]:
        out.append(f"seed {s['seed']}")
    return "; ".join(out) or "as reported"


class AppModel(EBPModel):
    """EBPModel with the app's levers as keyword arguments."""

    def __init__(self, seed: int = 1, principle: str = DEFAULTS["principle"], takeover: str = DEFAULTS["takeover"],
                 outreach: float = 0.0, via_structure: float = 0.0):
        super().__init__(seed=int(seed), params=app_params(principle, takeover, outreach, via_structure))
        self.settings = dict(seed=int(seed), principle=principle, takeover=takeover, outreach=float(outreach),
                             via_structure=float(via_structure))


class Run:
    """One run of the app: the model simulated ahead of what is shown, in a background thread, keeping the
    map's state (`sim.views.map.Frame`) of every month. The page shows month `k` once `frames[k]` exists."""

    def __init__(self, number: int, settings: dict):
        self.number = number
        self.model = AppModel(**settings)
        self.settings = self.model.settings
        self.n_months = self.model.n_months
        m = self.model
        self.layout = sweden_map.Layout.build(m.country, m.provider_muni)
        self.x = np.array([m.start_year + (m.start_date.month - 1 + t + 1) / 12 for t in range(m.n_months)])
        self.frames: list = []
        self.error: str | None = None
        self._stop = threading.Event()
        self._ready = threading.Condition()
        self.thread = threading.Thread(target=self._simulate, name=f"ebpsim-run-{number}", daemon=True)
        self.thread.start()

    def _simulate(self) -> None:
        m = self.model
        try:
            while m.running and m.steps < m.n_months and not self._stop.is_set():
                m.step()
                frame = snapshot(m, self.layout)
                with self._ready:
                    self.frames.append(frame)
                    self._ready.notify_all()
        except Exception as e:  # shown on the page instead of a silent stop
            self.error = f"the model stopped in month {m.steps}: {e}"
            with self._ready:
                self._ready.notify_all()

    def stop(self) -> None:
        self._stop.set()

    @property
    def available(self) -> int:
        """Months simulated so far."""
        return len(self.frames)

    def wait_for(self, month: int, timeout: float = 30.0) -> bool:
        """Block until `month` is simulated (or the run failed); False on timeout."""
        if month >= self.n_months:
            return False  # there is no month after the last
        end = time.monotonic() + timeout
        with self._ready:
            while len(self.frames) <= month and self.error is None and not self._stop.is_set():
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._ready.wait(min(left, 0.5))
        return len(self.frames) > month

    def series(self, names, month: int) -> dict:
        """The national series of months 0..month (month < available)."""
        v = self.model.observables.values[: month + 1, 0]
        return {k: v[:, Observables.names.index(k)].copy() for k in names}

    def date(self, month: int) -> str:
        return month_label(self.model, month) if month >= 0 else f"{month_label(self.model, 0)} (start)"


@dataclass
class Ghost:
    """An earlier run's curves, as far as they were shown."""

    number: int
    label: str
    x: np.ndarray
    series: dict


def ghost_of(run: Run, month: int) -> Ghost | None:
    if month < 0:
        return None
    return Ghost(run.number, settings_text(run.settings), run.x[: month + 1], run.series(CURVE_NAMES, month))


# ------------------------------------------------------------------------------------------- pictures
class MapPicture:
    """The map at the size it is shown, its legend elsewhere; drawn by blitting, the county names laid over."""

    def __init__(self, run: Run):
        w, h = MAP_PX
        self.fig = Figure(figsize=(w / 100, h / 100), dpi=100, facecolor="white")
        ax = self.fig.add_axes([0.0, 0.0, 1.0, 1.0])
        self.panel = MapPanel(ax, run.layout, run.model, fontscale=1.0, stats=False)
        self.blitter = Blitter(self.fig, self.panel.artists(), overlay=self.panel.labels)

    def png(self, frame) -> bytes:
        if frame is not None:
            self.panel.update(frame)
        self.blitter.draw()
        return self.blitter.png(compress_level=1)  # fast to make, fine to send


def legend_png() -> bytes:
    """The map's legend, drawn once."""
    w, h = LEGEND_PX
    fig = Figure(figsize=(w / 100, h / 100), dpi=100, facecolor="white")
    handles, title = legend_handles(short=True)
    fig.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(0, 1), fontsize=9.5,
               title_fontsize=10.5, frameon=False, ncol=2, labelspacing=0.3, handletextpad=0.3, alignment="left",
               borderaxespad=0.1, borderpad=0.1, columnspacing=0.6, markerscale=0.8)
    blit = Blitter(fig, [])
    blit.draw()
    return blit.png()


# each plot: title, {observable: (label, colour)}, unit
CURVES = (
    ("Reach: share of the 290 municipalities", {"reach_any": ("reached by the initiative", BLUE),
                                                "adoption_mean": ("using EBP (mean of areas)", VERMILLION)}, "%"),
    ("Using EBP, by programme area", {f"adoption_{a}": (a.replace("_", " ").replace("ehealth", "e-health"), c)
                                      for a, c in zip(AREAS, (GREEN, PURPLE, SKY, BLACK, ORANGE))}, "%"),
    ("Money for the structures, SEK million a month", {"state_spending": ("state", BLUE),
                                                       "principal_spending": ("principals", ORANGE)}, "SEK m"),
)
CURVE_NAMES = [k for _, series, _ in CURVES for k in series]


class CurvesPicture:
    """Three plots in one picture: the shown run's lines drawn each month over a still background that
    holds the axes and the earlier runs' faded, numbered lines."""

    def __init__(self, run: Run, ghosts: list[Ghost]):
        w, h = CURVES_PX
        fig = self.fig = Figure(figsize=(w / 100, h / 100), dpi=100, facecolor="white")
        self.run = run
        first, last = run.x[0] - 1 / 12, run.x[-1]
        self.axes, self.lines = [], {}
        # from the top, in pixels: each plot's title and key, the plot, its year labels
        top = h - 2
        layout = ((42, 112), (60, 112), (42, 96))
        money_top = max([2.0] + [float(np.nanmax(g.series[k])) for g in ghosts for k in CURVES[2][1] if len(g.x)])
        for (title, series, unit), (head, ht) in zip(CURVES, layout):
            y0 = top - head - ht
            ax = fig.add_axes([50 / w, y0 / h, 1 - 68 / w, ht / h])
            fig.text(4 / w, top / h, title, ha="left", va="top", fontsize=12.5, fontweight="bold")
            top = y0 - 26
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=10.5, pad=2)
            if unit == "%":
                ax.set_ylim(0, 1.02)
                percent_axis(ax)
            else:
                ax.set_ylim(0, 1.25 * money_top)
            for g in ghosts:  # earlier runs: faded, under the shown run, numbered at their end
                for k, (_, colour) in series.items():
                    ax.plot(g.x, g.series[k], color=colour, lw=1.6, alpha=0.35, zorder=1)
                k0 = next(iter(series))
                if len(g.x):
                    ax.annotate(str(g.number), (g.x[-1], g.series[k0][-1]), xytext=(3, 0), textcoords="offset points",
                                fontsize=10, color="#555555", va="center", zorder=1)
            for k, (label, colour) in series.items():
                self.lines[k] = ax.plot([], [], color=colour, lw=2.6, label=label, zorder=3)[0]
            ax.legend(loc="lower left", bbox_to_anchor=(-50 / w, 1.0), ncol=3 if len(series) > 2 else 2, fontsize=10.5,
                      frameon=False, borderaxespad=0.1, borderpad=0.1, handlelength=1.4, columnspacing=1.0,
                      handletextpad=0.4, labelspacing=0.2)
            ax.set_xlim(first, last)
            ax.set_xticks(range(2010, int(last) + 1, 2))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%d"))
            self.axes.append(ax)
        self.money_ax = self.axes[2]
        self.blitter = Blitter(fig, list(self.lines.values()))

    def png(self, month: int) -> bytes:
        if month >= 0:
            s = self.run.series(CURVE_NAMES, month)
            x = self.run.x[: month + 1]
            for k, line in self.lines.items():
                line.set_data(x, s[k])
            need = max(float(np.nanmax(s[k])) for k in CURVES[2][1])
            if need > 0.95 * self.money_ax.get_ylim()[1]:  # more money than the axis shows: redraw the still parts
                self.money_ax.set_ylim(0, 1.3 * need)
                self.blitter.background = None
        self.blitter.draw()
        return self.blitter.png(compress_level=1)


class Screen:
    """The pictures of one browser session. The play loop draws a month's pictures here before it moves
    the page on, so that the page's render only sends them."""

    def __init__(self):
        self.lock = threading.Lock()
        self._map = self._curves = None
        self._map_key = self._curves_key = self._key = None
        self._pngs = (b"", b"")

    def pictures(self, run: Run, month: int, ghosts: list, version: int) -> tuple[bytes, bytes]:
        with self.lock:
            if self._map_key != run.number:
                self._map, self._map_key = MapPicture(run), run.number
            if self._curves_key != (run.number, version):
                self._curves, self._curves_key = CurvesPicture(run, ghosts), (run.number, version)
            key = (run.number, version, month)
            if key != self._key:
                frame = run.frames[month] if month >= 0 else None
                self._pngs, self._key = (self._map.png(frame), self._curves.png(month)), key
            return self._pngs
