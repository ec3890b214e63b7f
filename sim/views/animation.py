"""Animations of a run for workshops: a map of Sweden month by month, with the money and the reach.

    python run.py animate SCENARIO.yaml [--variant NAME ...] [--out FILE] [--every N] [--fps F] [--replicates N]

writes FILE as a GIF, beside it an MP4 (when ffmpeg is installed), an HTML page with play controls and a
PNG of the last frame, showing progress on stderr as it goes. With two variants the maps play side by side,
in step, from the same seed, and a panel shows their difference (the other minus the reference, in
percentage points), with the 5th-95th percentile band of N paired replicates when `--replicates N` > 1.

The picture (one map per variant):

* the 21 counties where they lie, labelled with their Swedish names; each municipality a dot around its
  county's position (largest in the middle), sized by population and coloured by its knowledge state
  (`--area`: the level reached in most programme areas, in any area, or in one named area); a dark ring
  once the initiative has reached it;
* each county's regional support structure: the platform (a square, filled while a platform leader is
  in post), its development leaders (filled when their area is linked to the structure), the R&D units
  and universities linked to it. Under the *unit* principle linked leaders sit in a tight ring around
  the platform; under the *network* principle they sit with municipalities of the county and the lines
  between them are their colleague ties, as wide as the ties are strong (``model.ties``);
* private providers as small marks around their municipality, filled once reached;
* beside the maps: the date, the reach and adoption curves, their difference (two variants) and the money
  (state against principals).

Municipalities have no coordinates in the data: the layout is schematic and deterministic (a sunflower
of dots around the county's lat/lon, the counties nudged apart so that clusters do not overlap, the map
drawn with a gentle fish-eye that gives the crowded south more room than the north). The outline of
Sweden is a simplified polygon (`assets/`): no package on the registries ships the 21 county boundaries
in a form this layout can use (see sim/views/assets/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import shutil
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
from matplotlib import animation as mpl_animation  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .export import GifWriter, RenderedFrame, offline_player  # noqa: E402
from .map import AREA_MODES, Layout, MapPanel, legend_handles, snapshot  # noqa: E402
from .timeline import Difference, Timeline, frame_months, month_label  # noqa: E402

FORMATS = ("gif", "mp4", "html", "png")


# ----------------------------------------------------------------------------------------------- runs
def simulate(scenario, variants: list[str], every: int = 1, area: str = "most", seed: int | None = None,
             progress=None):
    """Run the variants in step from the scenario's seed; keep one Frame per shown month per variant.
    `progress(done, total)` is called after each month."""
    from ..model import EBPModel

    seed = scenario.seed if seed is None else seed
    models = [EBPModel(seed=seed, params=scenario.params(v)) for v in variants]
    layout = Layout.build(models[0].country, models[0].provider_muni)
    months = frame_months(models[0].n_months, every)
    wanted = set(months)
    frames = [[] for _ in models]
    if progress:
        progress(0, models[0].n_months)
    while models[0].steps < models[0].n_months:
        for i, m in enumerate(models):
            m.step()
            if m.steps - 1 in wanted:
                frames[i].append(snapshot(m, layout, area))
        if progress:
            progress(models[0].steps, models[0].n_months)
    return models, layout, months, frames


def reference_pair(scenario, variants: list[str]) -> tuple[int, int]:
    """(index of the reference, index of the other) of two variants shown: the scenario's reference when it
    is one of them, else the first."""
    ref = variants.index(scenario.reference) if scenario.reference in variants else 0
    return ref, 1 - ref


def differences(scenario, variants: list[str], models, seed: int | None = None, replicates: int = 1,
                progress=None) -> dict:
    """Paired differences (other minus reference) of the national reach and adoption, month by month: row 0
    from the runs shown, rows 1.. from replicate r of both variants (seed + r, as `run.py` pairs them)."""
    from ..model import EBPModel

    seed = scenario.seed if seed is None else seed
    ref, other = reference_pair(scenario, variants)
    keys = list(Difference.KEYS)
    col = [models[0].observables.col[k] for k in keys]
    rows = [models[other].observables.values[:, 0, col] - models[ref].observables.values[:, 0, col]]
    if progress and replicates > 1:
        progress(0, replicates - 1)
    for r in range(1, replicates):
        pair = [EBPModel(seed=seed + r, params=scenario.params(variants[i], r)).run() for i in (ref, other)]
        rows.append(pair[1].observables.values[:, 0, col] - pair[0].observables.values[:, 0, col])
        if progress:
            progress(r, replicates - 1)
    stacked = np.stack(rows)  # (replicates, months, keys)
    return {k: stacked[:, :, j] for j, k in enumerate(keys)}


def build_figure(scenario, variants, models, layout, dpi=100, area="most", diffs=None):
    """The figure (16:9) with one map per variant and the timeline, and with two variants the panel of their
    difference (`diffs`, from `differences`); returns (fig, panels, timeline); the timeline's `difference`
    is that panel or None."""
    fig = Figure(figsize=(16, 9), dpi=dpi, facecolor="white")
    n = len(variants)
    title = f"Scenario {scenario.name}: " + (variants[0] if n == 1 else f"{variants[0]}  vs  {variants[1]}")
    fig.text(0.01, 0.985, title, ha="left", va="top", fontsize=22, fontweight="bold")
    descs = [scenario.variants[v].get("description", "") for v in variants]
    sub = "   |   ".join(f"{v}: {d}" for v, d in zip(variants, descs) if d) if n > 1 else (descs[0] or scenario.description.strip())
    if sub:
        sub = sub if len(sub) < 150 else sub[:147] + "…"
        fig.text(0.01, 0.935, sub, ha="left", va="top", fontsize=12.5, color="#444444")
    map_w = 0.30 if n == 1 else 0.285
    panels = []
    for i, v in enumerate(variants):
        ax = fig.add_axes([0.005 + i * (map_w + 0.005), 0.01, map_w, 0.895 if n == 1 else 0.865])
        panels.append(MapPanel(ax, layout, models[i], title=v if n > 1 else ""))
    x0 = 0.01 + n * (map_w + 0.005)
    tl_w = 0.99 - x0
    leg_w = 0.25 if n == 1 else 0.0
    timeline = Timeline(fig, (x0, 0.0, tl_w - leg_w, 0.9), models, variants)
    handles, ltitle = legend_handles(area)
    if n == 1:
        lax = fig.add_axes([0.99 - leg_w, 0.05, leg_w, 0.8])
        lax.axis("off")
        lax.legend(handles=handles, title=ltitle, loc="center left", fontsize=12, title_fontsize=12.5, frameon=False,
                   labelspacing=0.9)
    timeline.difference = None
    if n == 2:
        # two maps: the curves, their difference, the money, and the legend under them in three columns
        w = tl_w - 0.06
        timeline.ax_reach.set_position([x0 + 0.045, 0.63, w, 0.17])
        dax = fig.add_axes([x0 + 0.045, 0.395, w, 0.17])
        timeline.ax_money.set_position([x0 + 0.045, 0.175, w, 0.155])
        ref, other = reference_pair(scenario, variants)
        if diffs is None:
            diffs = differences(scenario, variants, models)
        timeline.difference = Difference(dax, timeline.x, diffs, [variants[ref], variants[other]])
        dax.set_xticks(timeline.ax_reach.get_xticks())
        handles, ltitle = legend_handles(area, short=True)
        lax = fig.add_axes([x0, 0.0, tl_w, 0.125])
        lax.axis("off")
        lax.legend(handles=handles, title=ltitle, loc="center", ncol=4, fontsize=10, title_fontsize=10.5,
                   frameon=False, columnspacing=0.8, handletextpad=0.3, labelspacing=0.3)
    return fig, panels, timeline


def render(scenario, variants, out, every: int = 1, fps: float = 6, formats=FORMATS, dpi: int = 100,
           area: str = "most", seed: int | None = None, progress=None, log=print,
           replicates: int = 1) -> dict[str, Path]:
    """Simulate the variants and write the animation; returns {format: path} of the files written.

    `out` names the GIF (its suffix is replaced per format): 'gif' (PillowWriter), 'mp4' (FFMpegWriter;
    skipped, with a note, when ffmpeg is not installed), 'html' (the JavaScript player of
    `FuncAnimation.to_jshtml`, i.e. matplotlib's HTMLWriter, as a page) and 'png' (the last frame).
    Each frame is drawn once and handed to every writer. With two variants, `replicates` > 1 runs that
    many seed pairs (observables only) for the band of the difference panel. `progress(stage, done, total)`
    reports the stages: 'simulating', 'replicates', 'drawing'.
    """
    if isinstance(variants, str):
        variants = [variants]
    variants = list(variants)
    formats = [f for f in formats]
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    dpi = max(2, 2 * round(dpi / 2))  # even: 16x9 inches make an even pixel size, as H.264 needs
    out = Path(out)
    base = out.with_suffix("") if out.suffix.lower() in (".gif", ".mp4", ".html", ".png") else out
    base.parent.mkdir(parents=True, exist_ok=True)
    stage = (lambda name: (lambda done, total: progress(name, done, total))) if progress else (lambda name: None)
    models, layout, months, frames = simulate(scenario, variants, every=every, area=area, seed=seed,
                                              progress=stage("simulating"))
    diffs = (differences(scenario, variants, models, seed=seed, replicates=replicates, progress=stage("replicates"))
             if len(variants) == 2 else None)
    fig, panels, timeline = build_figure(scenario, variants, models, layout, dpi=dpi, area=area, diffs=diffs)

    def update(i):
        for p, fr in zip(panels, frames):
            p.update(fr[i])
        timeline.update(months[i], month_label(models[0], months[i]))
        if timeline.difference is not None:
            timeline.difference.update(months[i])

    paths = {fmt: base.with_suffix("." + fmt) for fmt in formats}
    if "mp4" in paths and not shutil.which("ffmpeg"):
        log("animate: ffmpeg is not installed, so no MP4 is written (apt-get install ffmpeg)")
        del paths["mp4"]
    writers = []
    if "gif" in paths:
        writers.append((GifWriter(fps=fps), paths["gif"]))
    if "mp4" in paths:
        writers.append((mpl_animation.FFMpegWriter(fps=fps, codec="h264", bitrate=-1), paths["mp4"]))
    if "html" in paths:
        writers.append((mpl_animation.HTMLWriter(fps=fps, embed_frames=True, default_mode="once", embed_limit=2000),
                        paths["html"]))
    frame = RenderedFrame(fig, [a for p in panels for a in p.artists()] + timeline.artists()
                          + (timeline.difference.artists() if timeline.difference is not None else []),
                          overlay=[a for p in panels for a in p.labels])
    with contextlib.ExitStack() as stack:
        for w, path in writers:
            stack.enter_context(w.saving(frame, path, dpi))
        for i in range(len(months) if writers else 0):
            update(i)
            frame.render()
            for w, _ in writers:
                w.grab_frame()
            if progress:
                progress("drawing", i + 1, len(months))
    if "html" in paths:
        player = offline_player(paths["html"].read_text(encoding="utf-8"))
        title = html.escape(fig.texts[0].get_text())
        paths["html"].write_text(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>ebpsim — {title}</title>"
            "<style>body{font-family:sans-serif;margin:1em} .animation img{max-width:100%;height:auto}"
            " .anim-buttons button{font-size:1.5em;min-width:2.6em;margin:0.1em}</style>"
            f"</head><body><h1>ebpsim — {title}</h1>\n{player}\n</body></html>\n", encoding="utf-8")
    if "png" in paths:
        update(len(months) - 1)
        frame.render()
        paths["png"].write_bytes(frame.blitter.png())
    return paths


# ----------------------------------------------------------------------------------------------- CLI
class Progress:
    """Progress of `render` on stderr: a bar per stage on a terminal, else a line every tenth of a stage (so
    that a log or a pipe also shows that it is moving)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.stage, self.bar, self.t0, self.shown = None, None, None, -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        if stage != self.stage:
            self.close()
            self.stage, self.t0, self.shown = stage, time.monotonic(), -1
            if self.tty:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=stage, unit="month" if stage == "simulating" else
                                "pair" if stage == "replicates" else "frame", file=self.stream, leave=False)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            return
        tenth = 10 * done // max(total, 1)
        if tenth != self.shown:
            self.shown = tenth
            print(f"animate: {stage} {done} of {total} ({100 * done // max(total, 1)} %, "
                  f"{time.monotonic() - self.t0:.0f} s)", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def main(argv: list[str]) -> int:
    from ..experiments.scenario import ScenarioError, load

    ap = argparse.ArgumentParser(
        prog="run.py animate",
        description="Animate a run month by month: a map of Sweden with every municipality's knowledge state and each "
                    "county's support structure, beside the money and the reach. Writes a GIF, an MP4 (when ffmpeg is "
                    "installed), an HTML page with play controls and a PNG of the last frame.")
    ap.add_argument("scenario", type=Path, help="scenario file, e.g. scenarios/unit_vs_network.yaml")
    ap.add_argument("--variant", action="append", default=None, metavar="NAME",
                    help="variant to show (default: the scenario's reference); give it twice to play two side by side")
    ap.add_argument("--out", type=Path, default=None,
                    help="output file (.gif; the other formats are written beside it); default results/<scenario>/animation-<variants>.gif")
    ap.add_argument("--every", type=int, default=1, metavar="N", help="months per frame (default 1)")
    ap.add_argument("--fps", type=float, default=6, help="frames per second (default 6)")
    ap.add_argument("--dpi", type=int, default=100, help="resolution: 100 gives 1600x900 pixels (default 100)")
    ap.add_argument("--area", default="most", choices=AREA_MODES,
                    help="what colours a municipality: its level in most programme areas (default), in any, or in one area")
    ap.add_argument("--formats", default="gif,mp4,html,png",
                    help="comma-separated subset of gif,mp4,html,png (default all; mp4 only with ffmpeg)")
    ap.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    ap.add_argument("--replicates", type=int, default=1, metavar="N",
                    help="with two variants: run N seed pairs for the band of their difference (default 1: no band)")
    args = ap.parse_args(argv)

    def fail(msg: str) -> int:
        print(f"run.py animate: {msg}", file=sys.stderr)
        return 2

    if args.every < 1:
        return fail(f"--every must be a whole number >= 1, not {args.every}")
    if not 0 < args.fps <= 60:  # NaN fails this too
        return fail(f"--fps: {args.fps} is not allowed; expected frames per second above 0, at most 60")
    if args.seed is not None and args.seed < 0:
        return fail(f"--seed: {args.seed} is not allowed; expected a whole number >= 0")
    if not 20 <= args.dpi <= 400:
        return fail(f"--dpi must be from 20 to 400, not {args.dpi}")
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        return fail(f"--formats: {', '.join(bad) or 'nothing'} is not allowed; choose from {', '.join(FORMATS)}")
    try:
        sc = load(args.scenario)
    except ScenarioError as e:
        return fail(str(e))
    variants = args.variant or [sc.reference]
    unknown = [v for v in variants if v not in sc.variants]
    if unknown:
        return fail(f"unknown variant '{unknown[0]}' in {args.scenario}; the variants are: {', '.join(sc.variants)}")
    if len(variants) > 2:
        return fail(f"at most two variants play side by side; got {len(variants)}: {', '.join(variants)}")
    if len(variants) == 2 and variants[0] == variants[1]:
        return fail(f"the two variants are the same ('{variants[0]}'); name two different ones")
    out = args.out or Path("results") / sc.name / f"animation-{'-'.join(variants)}.gif"
    print(f"animating {sc.name}: {' vs '.join(variants)}, {sc.start} to {sc.end}, seed "
          f"{sc.seed if args.seed is None else args.seed}, every {args.every} month(s)", file=sys.stderr)
    if args.replicates < 1:
        return fail(f"--replicates must be a whole number >= 1, not {args.replicates}")
    progress = Progress()
    try:
        written = render(sc, variants, out, every=args.every, fps=args.fps, formats=formats, dpi=args.dpi,
                         area=args.area, seed=args.seed, progress=progress, log=lambda s: print(s, file=sys.stderr),
                         replicates=args.replicates if len(variants) == 2 else 1)
    except OSError as e:
        return fail(f"cannot write {out}: {e.strerror or e}")
    finally:
        progress.close()
    for fmt, path in written.items():
        print(f"{fmt:5s} {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
