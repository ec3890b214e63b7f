"""The live app: ebpsim in the browser, for workshops.

    solara run sim/views/app.py      (or: python run.py app)

A Mesa SolaraViz page: the map of Sweden (every municipality coloured by its knowledge state, each
county's support structure drawn as in `sim.views.map`), the date, and live curves of reach, adoption and
money. Play, pause and step in the sidebar; the levers (organising principle, the take-over of the cost,
outreach to private providers, national centres working through the structures, seed) apply when you press
Reset.
"""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

if __package__ in (None, ""):  # `solara run sim/views/app.py` loads this file as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from mesa.visualization import SolaraViz, Slider  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from sim.views import map as sweden_map  # noqa: E402  (solara treats a module-level name 'Layout' as the page layout)
from sim.views.export import Blitter  # noqa: E402
from sim.views.map import BLUE, VERMILLION, MapPanel, legend_handles, snapshot  # noqa: E402
from sim.views.timeline import month_label  # noqa: E402
from sim.model import EBPModel  # noqa: E402
from sim.observables import Observables  # noqa: E402
from sim.parameters import AREAS  # noqa: E402
from sim.views.style import PALETTE  # noqa: E402
from sim.experiments.scenario import county_groups  # noqa: E402

from sim.experiments.levers import PRINCIPLES, TAKEOVERS  # noqa: E402  (the levers, by name)


def app_params(principle: str, takeover: str, outreach: float, via_structure: float) -> dict:
    """Model parameter overrides for the app's levers."""
    if principle not in PRINCIPLES:
        raise ValueError(f"principle must be one of {', '.join(PRINCIPLES)}")
    if takeover not in TAKEOVERS:
        raise ValueError(f"takeover must be one of {', '.join(TAKEOVERS)}")
    params: dict = {"providers": {"direct_outreach": float(outreach)}, "centres": {"via_structure": float(via_structure)}}
    if PRINCIPLES[principle]:
        group, value = PRINCIPLES[principle]
        params["county_overrides"] = {code: {"principle": value} for code in county_groups()[group]}
    if TAKEOVERS[takeover]:
        params["funding"] = dict(TAKEOVERS[takeover])
    return params


class AppModel(EBPModel):
    """EBPModel with the app's levers as keyword arguments (SolaraViz passes model_params that way).

    A lock keeps the page from reading the model while the play thread is in the middle of a step.
    """

    def __init__(self, seed: int = 1, principle: str = "as reported (2012)",
                 takeover: str = "phased take-over 2014-2016 (as reported)", outreach: float = 0.0,
                 via_structure: float = 0.0):
        super().__init__(seed=int(seed), params=app_params(principle, takeover, outreach, via_structure))
        self.lock = threading.RLock()
        self.settings = dict(seed=int(seed), principle=principle, takeover=takeover, outreach=float(outreach),
                             via_structure=float(via_structure))
        self._layout = None

    def step(self) -> None:
        if self.steps >= self.n_months:
            self.running = False
            return
        with self.lock:
            super().step()

    @property
    def layout(self) -> sweden_map.Layout:
        if self._layout is None:
            self._layout = sweden_map.Layout.build(self.country, self.provider_muni)
        return self._layout

    def date_text(self) -> str:
        return f"{month_label(self, self.steps - 1)}" if self.steps else f"{month_label(self, 0)} (start)"

    def series(self, names) -> tuple[np.ndarray, dict]:
        """x (fractional years) and the national series of the months run so far."""
        with self.lock:
            n = self.steps
            v = self.observables.values[:n, 0]
            x = np.array([self.start_year + (self.start_date.month - 1 + t + 1) / 12 for t in range(n)])
            return x, {k: v[:, Observables.names.index(k)].copy() for k in names}


TITLE = "ebpsim: knowledge of evidence-based practice in Swedish social services, 2010-2020"

model_params = {
    "seed": {"type": "SliderInt", "value": 1, "min": 0, "max": 50, "step": 1, "label": "Seed"},
    "principle": {"type": "Select", "value": "as reported (2012)", "values": list(PRINCIPLES),
                  "label": "Organising principle of the regional structures"},
    "takeover": {"type": "Select", "value": "phased take-over 2014-2016 (as reported)", "values": list(TAKEOVERS),
                 "label": "Who pays after the state grants"},
    "outreach": Slider("Provider outreach", 0.0, 0.0, 0.05, 0.005, dtype=float),  # providers.direct_outreach, per month
    "via_structure": Slider("Centres via structures", 0.0, 0.0, 1.0, 0.1, dtype=float),  # centres.via_structure, share
}


# ------------------------------------------------------------------------------------------- components
def _map_figure(model: AppModel):
    fig = Figure(figsize=(9.0, 9.6), dpi=90, facecolor="white")
    ax = fig.add_axes([0.0, 0.0, 0.64, 0.98])
    panel = MapPanel(ax, model.layout, model)
    panel.blitter = Blitter(fig, panel.artists())  # the still map is drawn once
    handles, title = legend_handles()
    lax = fig.add_axes([0.645, 0.02, 0.355, 0.96])
    lax.axis("off")
    lax.legend(handles=handles, title=title.replace(": level ", ":\nlevel "), loc="upper left", fontsize=10.5,
               title_fontsize=11, frameon=False, labelspacing=1.0, alignment="left")
    return fig, panel


@solara.component
def MapView(model: AppModel):
    """The map: municipalities by knowledge state, the support structures, the providers; and the date."""
    update_counter.get()
    fig, panel = solara.use_memo(lambda: _map_figure(model), dependencies=[id(model)])
    with model.lock:
        frame = snapshot(model, model.layout) if model.steps else None
        date, steps = model.date_text(), model.steps
    if frame is not None:
        panel.update(frame)
    s = model.settings
    with solara.Column(style={"width": "100%"}):
        solara.Div(date, classes=["ebp-date"], style={"font-size": "2.2em", "font-weight": "bold", "line-height": "1.2"})
        solara.Text(f"month {steps} of {model.n_months} · {s['principle']} · {s['takeover']}",
                    classes=["ebp-steps"], style={"font-size": "1.05em"})
        _MapPicture(panel, dependencies=[update_counter.value, id(model), steps])


def _png(fig) -> bytes:
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf, pil_kwargs={"compress_level": 1})  # fast to make, fine to send
    return buf.getvalue()


@solara.component
def _MapPicture(panel, dependencies):
    def draw():
        panel.blitter.draw()
        return panel.blitter.png(compress_level=1)

    solara.Image(solara.use_memo(draw, dependencies=dependencies), width="100%")


@solara.component
def _Picture(fig, dependencies):
    """A matplotlib figure as a PNG that scales to the width of its column."""
    data = solara.use_memo(lambda: _png(fig), dependencies=dependencies)
    solara.Image(data, width="100%")


class _Lines:
    """A small time-series plot whose lines are updated in place each month (not redrawn from scratch)."""

    def __init__(self, model: AppModel, names: dict, title: str, ylabel: str, share: bool = True, colours=None):
        self.share = share
        self.fig = Figure(figsize=(5.6, 3.2), dpi=100)
        ax = self.ax = self.fig.add_subplot(111)
        colours = colours or PALETTE
        self.lines = {k: ax.plot([], [], color=colours[i % len(colours)], lw=2.5, label=label)[0]
                      for i, (k, label) in enumerate(names.items())}
        first = model.start_year + (model.start_date.month - 1) / 12
        ax.set_xlim(first, first + model.n_months / 12)
        ax.set_ylim(0, 1.02 if share else 2.0)
        if share:
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%d"))
        ax.set_title(title, fontsize=12, loc="left")
        ax.set_ylabel(ylabel, fontsize=10)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=10)
        ax.legend(fontsize=9, loc="upper left")
        self.fig.tight_layout()

    def update(self, model: AppModel) -> Figure:
        x, series = model.series(list(self.lines))
        top = 0.0
        for k, line in self.lines.items():
            line.set_data(x, series[k])
            if len(x):
                top = max(top, float(np.nanmax(series[k])))
        if not self.share:
            want = max(2.0, 1.3 * top)
            if want > self.ax.get_ylim()[1]:
                self.ax.set_ylim(0, want)
        return self.fig


def _plot(model: AppModel, key: str, make):
    """Render one of the plots: made once per model, its lines updated every month."""
    update_counter.get()
    panel = solara.use_memo(make, dependencies=[id(model)])
    with model.lock:
        fig = panel.update(model)
        steps = model.steps
    _Picture(fig, dependencies=[update_counter.value, id(model), steps, key])


@solara.component
def ReachPlot(model: AppModel):
    _plot(model, "reach", lambda: _Lines(
        model, {"reach_any": "reached by the initiative", "salar_event_share": "at a SALAR national event"},
        "Reach: share of the 290 municipalities", "share"))


@solara.component
def AdoptionPlot(model: AppModel):
    _plot(model, "adoption", lambda: _Lines(
        model, {f"adoption_{a}": a.replace("_", " ") for a in AREAS}, "Municipalities using EBP, by programme area",
        "share"))


@solara.component
def MoneyPlot(model: AppModel):
    _plot(model, "money", lambda: _Lines(
        model, {"state_spending": "state", "principal_spending": "principals"}, "Money for the structures",
        "SEK million a month", share=False, colours=[BLUE, VERMILLION]))


@solara.component
def Dashboard(model: AppModel):
    """The main area: the map on the left, the curves on the right.

    (Laid out here rather than through SolaraViz's draggable grid, whose script does not load with the
    Vue 3 front end that solara-assets ships for offline use.)
    """
    with solara.Columns([1, 1], style={"align-items": "flex-start"}):
        MapView(model)
        with solara.Column():
            ReachPlot(model)
            AdoptionPlot(model)
            MoneyPlot(model)


@solara.component
def Page():
    """One model per browser session, so two people at the same server do not share a run."""
    first = solara.use_memo(lambda: AppModel(), dependencies=[])
    model = solara.use_reactive(first)  # SolaraViz's Reset puts the new model here
    solara.Title(TITLE)  # the browser tab reads "ebpsim …", not "Solara"
    with solara.Column(style={"width": "100%"}):
        SolaraViz(model, components=[], model_params=model_params, play_interval=150, name=TITLE)
        Dashboard(model.value)
