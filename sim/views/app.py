"""The live app: ebpsim in the browser, for workshops.

    python run.py app            (or: solara run sim/views/app.py)

One screen, made for a projector's 1280x720. On the left the controls an audience needs: play or pause,
one month on, start again with the levers as set (Reset), clear the earlier runs, the speed, the levers
(organising principle, who pays after the state grants, outreach to private providers, national centres
working through the structures, the random seed), each with its value in words, and the map's legend. On
the right the map of Sweden (`sim.views.map`) and, beside it, the date, the month's figures and the curves
of reach, adoption and money.

A run is simulated ahead in a background thread (the whole of 2010-2020 takes a second or two), keeping the
map's state of every month; playing shows those months at the speed set, and each picture is drawn by
blitting (the still parts and the county names once, only the changing artists each month). Reset keeps
the curves of the earlier runs on screen, faded and numbered, listed with their settings; "Clear earlier
runs" removes them.

Mesa's SolaraViz is not used for the page: its sidebar always shows developer controls (play interval,
render interval, threads, model time) that mean nothing to an audience. The model is still the Mesa model,
stepped month by month.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `solara run sim/views/app.py` loads this file as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import solara  # noqa: E402
import solara.lab  # noqa: E402
import solara.server.settings  # noqa: E402

solara.server.settings.theme.show_banner = False  # no "runs on Solara" badge over the plots, also under `solara run`

from sim.views.live import (  # noqa: E402, F401  (the names the page and its tests use)
    CURVES_PX, DEFAULTS, KEEP_RUNS, MAP_PX, OUTREACH_MAX, PRINCIPLES, SPEED, SPEEDS, TAKEOVERS, VIA_MAX, AppModel,
    CurvesPicture, Ghost, MapPicture, Run, Screen, app_params, ghost_of, legend_png, settings_text)

TITLE = "ebpsim: knowledge of evidence-based practice in Swedish social services, 2010-2020"

# ------------------------------------------------------------------------------------------- the page
CSS = """
.ebp-side { font-size: 16px; }
.ebp-side .v-btn { text-transform: none; letter-spacing: 0; font-size: 17px; min-width: 0 !important; padding: 0 12px !important; }
.ebp-side .v-label, .ebp-side .v-select__selection { font-size: 16px !important; }
.ebp-lever-label { font-size: 16px; font-weight: 500; margin: 6px 0 -6px 0; }
.ebp-date { font-size: 32px; font-weight: bold; line-height: 1.1; }
.ebp-steps { font-size: 16px; color: #444; }
.ebp-figures { font-size: 19px; line-height: 1.25; margin-bottom: 2px; }
.ebp-figures b { font-size: 22px; }
.ebp-runs { font-size: 14px; line-height: 1.3; }
.ebp-pending { font-size: 14px; color: #B35900; }
.v-input__slot { margin-bottom: 0 !important; }
/* the pictures scale with the window's height, so that everything stays on one screen */
.ebp-map { height: calc(100vh - 16px); width: auto; max-width: 46vw; object-fit: contain; }
.ebp-curves { width: 100%; height: auto; max-height: calc(100vh - 150px); object-fit: contain; object-position: left top; }
.v-messages { min-height: 0 !important; }
.v-text-field__details { display: none !important; }
"""


def _figures_text(run: Run, month: int) -> str:
    """The month's headline figures (the map's colours in numbers)."""
    n = len(run.model.structures)
    if month < 0:
        s = {"reach_any": 0.0, "adoption_mean": 0.0, "provider_reach": 0.0, "functioning_structures": 0}
    else:
        s = run.frames[month].stats
    pc = lambda v: f"{100 * v:.0f} %"  # noqa: E731
    return (f"municipalities reached <b>{pc(s['reach_any'])}</b> · using EBP <b>{pc(s['adoption_mean'])}</b><br>"
            f"providers reached <b>{pc(s['provider_reach'])}</b> · structures working "
            f"<b>{s['functioning_structures']:.0f}</b> of {n}")


@solara.component
def Pictures(screen: Screen, run: Run, month: int, ghosts: list, ghost_version: int):
    map_png, curves_png = screen.pictures(run, month, ghosts, ghost_version)
    with solara.Row(style={"gap": "10px", "align-items": "flex-start", "flex-wrap": "nowrap"}):
        with solara.Column(style={"flex": "0 0 auto", "min-width": "0"}):
            solara.Image(map_png, classes=["ebp-map"])
        with solara.Column(style={"flex": f"1 1 {CURVES_PX[0]}px", "min-width": "0", "gap": "0"}):
            solara.HTML(tag="div", unsafe_innerHTML=run.date(month), classes=["ebp-date"])
            solara.HTML(tag="div", unsafe_innerHTML=f"month {month + 1} of {run.n_months}", classes=["ebp-steps"])
            solara.HTML(tag="div", unsafe_innerHTML=_figures_text(run, month), classes=["ebp-figures"])
            solara.Image(curves_png, classes=["ebp-curves"])


@solara.component
def Page():
    """One run per browser session, so that two people at the same server do not share one."""
    levers = solara.use_reactive(dict(DEFAULTS))  # as set on screen; they apply at Reset
    run = solara.use_reactive(solara.use_memo(lambda: Run(1, DEFAULTS), dependencies=[]))
    month = solara.use_reactive(-1)  # the month shown; -1 = before the first
    screen = solara.use_memo(Screen, dependencies=[])
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(SPEED)
    ghosts = solara.use_reactive([])
    ghost_version = solara.use_reactive(0)
    r = run.value
    last = r.n_months - 1

    def play():
        """Advance the shown month with the clock: `speed` months a second (months whose picture would come
        late are passed over rather than slowing the play down)."""
        if not playing.value:
            return
        start, t0 = month.value, time.monotonic()
        while playing.value and month.value < last:
            target = min(last, start + 1 + int((time.monotonic() - t0) * speed.value))
            if not r.wait_for(target, timeout=30):
                break
            if target > month.value:
                screen.pictures(r, target, ghosts.value, ghost_version.value)  # drawn here, sent by the render
                month.set(target)
            time.sleep(0.01)
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, r.number, speed.value], prefer_threaded=True)

    def step():
        if month.value < last and r.wait_for(month.value + 1):
            month.set(month.value + 1)

    def reset():
        playing.set(False)
        old = run.value
        old.stop()
        g = ghost_of(old, month.value)
        if g is not None:
            ghosts.set((ghosts.value + [g])[-KEEP_RUNS:])
            ghost_version.set(ghost_version.value + 1)
        month.set(-1)
        run.set(Run(old.number + 1, dict(levers.value)))

    def clear():
        ghosts.set([])
        ghost_version.set(ghost_version.value + 1)

    def set_lever(name):
        return lambda value: levers.set({**levers.value, name: value})

    solara.Title(TITLE)  # the browser tab reads "ebpsim …", not "Solara"
    solara.Style(CSS)
    with solara.Row(style={"gap": "12px", "align-items": "flex-start", "flex-wrap": "nowrap"}):
        with solara.Column(style={"flex": "0 0 300px", "width": "300px", "gap": "2px"}, classes=["ebp-side"]):
            solara.HTML(tag="div", unsafe_innerHTML="<b>ebpsim</b> · evidence-based practice in Swedish social services",
                        style={"font-size": "15px"})
            at_end = month.value >= last
            with solara.Row(style={"gap": "6px"}):
                solara.Button("❚❚ Pause" if playing.value else "▶ Play", color="primary",
                              on_click=lambda: playing.set(not playing.value), disabled=at_end and not playing.value,
                              classes=["ebp-play"], style={"font-size": "16px"})
                solara.Button("+1 month", on_click=step, disabled=playing.value or at_end, classes=["ebp-step"],
                              style={"font-size": "16px"})
                solara.Button("Reset", on_click=reset, classes=["ebp-reset"], style={"font-size": "16px"},
                              color="warning" if levers.value != r.settings else None)
            solara.HTML(tag="div", unsafe_innerHTML=f"Speed: {speed.value} months a second", classes=["ebp-lever-label"])
            solara.SliderInt("", value=speed, min=SPEEDS[0], max=SPEEDS[1], step=1, thumb_label=False)
            lv = levers.value
            solara.Select("Organising principle of the structures", value=lv["principle"], values=list(PRINCIPLES),
                          on_value=set_lever("principle"))
            solara.Select("Who pays after the state grants", value=lv["takeover"], values=list(TAKEOVERS),
                          on_value=set_lever("takeover"))
            solara.HTML(tag="div", unsafe_innerHTML=f"Provider outreach: {lv['outreach']:.3f} a month",
                        classes=["ebp-lever-label"])
            solara.SliderFloat("", value=lv["outreach"], min=0.0, max=OUTREACH_MAX, step=0.005, thumb_label=False,
                               on_value=set_lever("outreach"))
            solara.HTML(tag="div", unsafe_innerHTML=f"Centres' guidance via the structures: {lv['via_structure']:.0%}",
                        classes=["ebp-lever-label"])
            solara.SliderFloat("", value=lv["via_structure"], min=0.0, max=VIA_MAX, step=0.1, thumb_label=False,
                               on_value=set_lever("via_structure"))
            solara.HTML(tag="div", unsafe_innerHTML=f"Random seed: {lv['seed']}", classes=["ebp-lever-label"])
            solara.SliderInt("", value=lv["seed"], min=0, max=50, step=1, thumb_label=False, on_value=set_lever("seed"))
            if lv != r.settings:
                solara.HTML(tag="div", unsafe_innerHTML="Changed levers apply at <b>Reset</b>", classes=["ebp-pending"])
            if ghosts.value:
                items = "".join(f"<div>{g.number}: {g.label}</div>" for g in ghosts.value)
                solara.HTML(tag="div", unsafe_innerHTML=f"<b>Faded lines, earlier runs</b>{items}"
                                                        f"<div>shown now: run {r.number}: {settings_text(r.settings)}</div>",
                            classes=["ebp-runs"])
                solara.Button("Clear earlier runs", on_click=clear, classes=["ebp-clear"], small=True)
            if r.error:
                solara.Error(r.error)
            solara.Image(solara.use_memo(legend_png, dependencies=[]), width="100%")
        with solara.Column(style={"flex": "1 1 auto", "min-width": "0"}):
            Pictures(screen, r, month.value, ghosts.value, ghost_version.value)
