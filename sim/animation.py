"""Animations of a run for workshops: a map of Sweden month by month, with the money and the reach.

    python run.py animate SCENARIO.yaml [--variant NAME ...] [--out FILE] [--every N] [--fps F]

writes FILE as a GIF, beside it an MP4 (when ffmpeg is installed), an HTML page with play controls and a
PNG of the last frame. With two variants the maps play side by side, in step, from the same seed.

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
* beside the maps: the date, the reach and adoption curves and the money (state against principals).

Municipalities have no coordinates in the data: the layout is schematic and deterministic (a sunflower
of dots around the county's lat/lon, the counties nudged apart so that clusters do not overlap, the map
drawn with a gentle fish-eye that gives the crowded south more room than the north).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import math
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib import animation as mpl_animation  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from .knowledge import AWARE, ESTABLISHED, UNAWARE, USING  # noqa: E402
from .observables import Observables  # noqa: E402
from .parameters import AREAS  # noqa: E402
from .plots import PALETTE  # noqa: E402

ASSETS = Path(__file__).parent / "assets"
FORMATS = ("gif", "mp4", "html", "png")

# Okabe-Ito (sim.plots.PALETTE): blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow, black
BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, YELLOW, BLACK = PALETTE
STATE_COLOURS = {UNAWARE: "#DDDDDD", AWARE: SKY, USING: ORANGE, ESTABLISHED: VERMILLION}
STATE_LABELS = {UNAWARE: "unaware", AWARE: "aware", USING: "using EBP", ESTABLISHED: "EBP established"}
LAND, SEA, COAST = "#FFFFFF", "#EEF4F8", "#9AA5AD"
AREA_MODES = ("most", "any") + AREAS
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


# ----------------------------------------------------------------------------------------------- layout
def _project(lon, lat, centre=(15.5, 58.6), k=2.6):
    """lon/lat -> schematic map units: equirectangular, then a log fish-eye around southern Sweden."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    x = (lon - centre[0]) * np.cos(np.radians(lat))
    y = lat - centre[1]
    r = np.hypot(x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(r > 0, k * np.log1p(r / k) / np.where(r > 0, r, 1), 1.0)
    return x * f, y * f


def _sunflower(n: int, spacing: float, skip: float) -> np.ndarray:
    """n points on a sunflower (Vogel) spiral, the first nearest the centre, a hole of `skip` slots."""
    k = np.arange(n) + skip
    r = spacing * np.sqrt(k)
    theta = k * math.pi * (3 - math.sqrt(5))
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


@dataclass
class Layout:
    """Where everything is drawn, in map units; computed once per country, the same for every run."""

    spacing: float
    outline: dict
    centre: np.ndarray  # (n_counties, 2) the platform hub of each county
    orig: np.ndarray  # (n_counties, 2) the county's own projected lat/lon
    radius: np.ndarray  # (n_counties,) radius of its cluster
    muni_xy: np.ndarray  # (n_munis, 2)
    muni_size: np.ndarray  # (n_munis,) dot diameter in map units
    muni_order: list  # per county: its municipality indices, largest first
    provider_xy: np.ndarray  # (n_providers, 2)
    rd_xy: dict  # R&D unit key -> (x, y)
    uni_xy: dict  # university key -> (x, y)
    label_xy: np.ndarray
    names: list
    xlim: tuple
    ylim: tuple

    @classmethod
    def build(cls, country, provider_muni: np.ndarray, spacing: float = 0.08) -> "Layout":
        counties = country.counties
        nc = len(counties)
        orig = np.column_stack(_project([c.lon for c in counties], [c.lat for c in counties]))
        n = np.array([len(c.municipalities) for c in counties])
        skip = 2.6  # a hole in the middle for the platform and a unit's ring of leaders
        radius = spacing * np.sqrt(n - 1 + skip) + 0.5 * spacing
        margin = 2.2 * spacing  # room for R&D units, universities and providers around a cluster
        centre = orig.copy()
        for _ in range(400):  # nudge overlapping clusters apart, pulled gently back to where they belong
            d = centre[:, None, :] - centre[None, :, :]
            dist = np.hypot(d[..., 0], d[..., 1]) + np.eye(nc)
            need = radius[:, None] + radius[None, :] + margin
            push = np.clip(need - dist, 0, None) * (1 - np.eye(nc))
            move = (d / dist[..., None] * push[..., None]).sum(axis=1) * 0.25
            centre = centre + move + 0.02 * (orig - centre)
        muni_xy = np.zeros((country.n_municipalities, 2))
        pop = country.muni_population.astype(float)
        size = spacing * (0.45 + 0.55 * np.clip(np.sqrt(pop / 150_000), 0, 1))
        order = []
        for c in counties:
            rows = np.array(sorted(c.municipalities, key=lambda i: (-pop[i], country.muni_code[i])), dtype=int)
            order.append(rows)
            pts = _sunflower(len(rows), spacing, skip) if len(rows) > 1 else np.array([[spacing * 1.1, 0.0]])
            muni_xy[rows] = centre[c.index] + pts
        # providers: small marks on rings around their municipality
        provider_xy = np.zeros((len(provider_muni), 2))
        for i in np.unique(provider_muni):
            idx = np.flatnonzero(provider_muni == i)
            ring, placed, r = 0, 0, size[i] / 2 + 0.16 * spacing
            while placed < len(idx):
                cap = max(6, int(2 * math.pi * r / (0.22 * spacing)))
                take = idx[placed:placed + cap]
                ang = 2 * math.pi * (np.arange(len(take)) + 0.5 * ring) / cap + 0.3 * i
                provider_xy[take] = muni_xy[i] + np.column_stack([r * np.cos(ang), r * np.sin(ang)])
                placed += len(take)
                ring += 1
                r += 0.2 * spacing
        # R&D units and universities on a ring just outside the cluster, towards their members
        rd_xy, uni_xy = {}, {}
        by_county: dict[int, list] = {}
        for u in country.rd_units:
            by_county.setdefault(u["county"], []).append(u)
        for ci, units in by_county.items():
            for j, u in enumerate(units):
                members = np.array(u["member_idx"], dtype=int)
                v = muni_xy[members].mean(axis=0) - centre[ci] if len(members) else np.zeros(2)
                base = math.atan2(v[1], v[0]) if np.hypot(*v) > 0.5 * spacing else -math.pi / 2
                ang = base + (j - (len(units) - 1) / 2) * 0.22 if np.hypot(*v) <= 0.5 * spacing else base + 0.05 * j
                r = radius[ci] + 0.9 * spacing + 0.35 * spacing * (j % 2)
                rd_xy[u["id"]] = tuple(centre[ci] + r * np.array([math.cos(ang), math.sin(ang)]))
        unis: dict[int, list] = {}
        for u in country.universities:
            unis.setdefault(u["county"], []).append(u)
        for ci, us in unis.items():
            for j, u in enumerate(us):
                ang = math.pi / 2 + 0.45 + 0.3 * j
                r = radius[ci] + 0.9 * spacing
                uni_xy[u["id"]] = tuple(centre[ci] + r * np.array([math.cos(ang), math.sin(ang)]))
        label_xy = centre - np.column_stack([np.zeros(nc), radius + 0.9 * spacing])
        outline = json.loads((ASSETS / "sweden_outline.json").read_text(encoding="utf-8"))["polygons"]
        outline = {k: np.column_stack(_project(*np.array(v).T)) for k, v in outline.items()}
        pts = np.vstack(list(outline.values()) + [muni_xy, label_xy])
        pad = 3 * spacing
        xlim = (pts[:, 0].min() - pad, pts[:, 0].max() + pad)
        ylim = (pts[:, 1].min() - pad, pts[:, 1].max() + pad)
        return cls(spacing, outline, centre, orig, radius, muni_xy, size, order, provider_xy, rd_xy, uni_xy,
                   label_xy, [c.name_sv for c in counties], xlim, ylim)

    def leader_seat(self, county: int, area: int, slot: int) -> np.ndarray:
        """Where a development leader sits under the network principle: with one of the county's
        municipalities (deterministic: by area and slot, among its larger ones), offset by area."""
        rows = self.muni_order[county]
        n = len(rows)
        muni = rows[(area * 3 + slot * 7 + (1 if n > 6 else 0)) % n]
        ang = 2 * math.pi * area / len(AREAS) + 0.4
        return self.muni_xy[muni] + 0.32 * self.spacing * np.array([math.cos(ang), math.sin(ang)])

    def unit_seat(self, county: int, index: int, total: int) -> np.ndarray:
        """Where a linked leader sits under the unit principle: in a tight ring around the platform."""
        ang = 2 * math.pi * index / max(total, 1) + math.pi / 2
        r = 0.75 * self.spacing
        return self.centre[county] + r * np.array([math.cos(ang), math.sin(ang)])


# ----------------------------------------------------------------------------------------------- frames
@dataclass
class Frame:
    """What one map shows at the end of one month (everything the artists need, nothing more)."""

    month: int
    state: np.ndarray
    reached: np.ndarray
    provider_reached: np.ndarray
    hub_on: np.ndarray
    leader_xy: np.ndarray
    leader_linked: np.ndarray
    member_segs: np.ndarray
    colleague_segs: np.ndarray
    colleague_w: np.ndarray
    rd_on: np.ndarray
    rd_active: np.ndarray
    rd_segs: np.ndarray
    uni_on: np.ndarray
    uni_segs: np.ndarray
    stats: dict


def municipality_state(level: np.ndarray, area: str = "most") -> np.ndarray:
    """A municipality's state for the map: the level reached in most areas (3 of 5), in any, or one area."""
    if area == "most":
        return np.sort(level, axis=1)[:, level.shape[1] // 2].astype(np.int8)
    if area == "any":
        return level.max(axis=1).astype(np.int8)
    return level[:, AREAS.index(area)].astype(np.int8)


def snapshot(model, layout: Layout, area: str = "most") -> Frame:
    """The map's state after the model's latest step."""
    leaders_xy, linked_flags, members, coll, coll_w = [], [], [], [], []
    hub_on = np.zeros(len(model.structures), dtype=bool)
    for ci, s in enumerate(model.structures):
        hub = layout.centre[ci]
        hub_on[ci] = s.platform_leader is not None
        linked = [leader for a in range(len(AREAS)) if s.linked[a] for leader in s.leaders[a]]
        pos = {}
        for i, leader in enumerate(linked):
            if s.principle == "unit":
                xy = layout.unit_seat(ci, i, len(linked))
            else:
                xy = layout.leader_seat(ci, leader.area, s.leaders[leader.area].index(leader))
            pos[leader.unique_id] = xy
            members.append((hub, xy))
        for a in range(len(AREAS)):
            for slot, leader in enumerate(s.leaders[a]):
                xy = pos.get(leader.unique_id)
                if xy is None:
                    xy = layout.leader_seat(ci, a, slot)
                leaders_xy.append(xy)
                linked_flags.append(leader.unique_id in pos)
        for leader in linked:
            for other, data in leader.colleagues.items():
                if leader.unique_id < other and other in pos and data["strength"] > 0.02:
                    coll.append((pos[leader.unique_id], pos[other]))
                    coll_w.append(data["strength"])
    rd_on = np.array([u.linked for u in model.rd_units], dtype=bool)
    rd_active = np.array([u.active for u in model.rd_units], dtype=bool)
    rd_segs = [(layout.centre[u.structure.county.index], layout.rd_xy[u.key]) for u in model.rd_units if u.linked]
    uni_on = np.array([u.linked for u in model.universities], dtype=bool)
    uni_segs = [(layout.centre[u.structure.county.index], layout.uni_xy[u.key]) for u in model.universities if u.linked]
    month = model.steps - 1
    v = model.observables.values[month, 0]
    col = model.observables.col
    stats = {k: float(v[col[k]]) for k in ("reach_any", "adoption_mean", "provider_reach", "functioning_structures",
                                           "platform_leaders", "development_leaders")}
    seg = lambda s: np.array(s, dtype=float).reshape(-1, 2, 2)  # noqa: E731
    return Frame(month=month, state=municipality_state(model.knowledge.level, area), reached=model.knowledge.reached.copy(),
                 provider_reached=model.provider_reached.copy(), hub_on=hub_on,
                 leader_xy=np.array(leaders_xy, dtype=float).reshape(-1, 2), leader_linked=np.array(linked_flags, dtype=bool),
                 member_segs=seg(members), colleague_segs=seg(coll), colleague_w=np.array(coll_w, dtype=float),
                 rd_on=rd_on, rd_active=rd_active, rd_segs=seg(rd_segs), uni_on=uni_on, uni_segs=seg(uni_segs), stats=stats)


def frame_months(n_months: int, every: int) -> list[int]:
    """The months shown: the last month of each block of `every` months (the run's last month included)."""
    return [min(k * every + every - 1, n_months - 1) for k in range(math.ceil(n_months / every))]


def month_label(model, month: int) -> str:
    d = model.date_of(month)
    return f"{MONTHS[d.month - 1]} {d.year}"


# ----------------------------------------------------------------------------------------------- drawing
class MapPanel:
    """One map: artists made once, then updated frame by frame."""

    def __init__(self, ax, layout: Layout, model, title: str = "", fontscale: float = 1.0):
        self.ax, self.layout = ax, layout
        L, fs = layout, fontscale
        ax.set_facecolor(SEA)
        ax.set_xlim(*L.xlim)
        ax.set_ylim(*L.ylim)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for sp in ax.spines.values():
            sp.set_visible(False)
        for poly in L.outline.values():
            ax.add_patch(Polygon(poly, closed=True, facecolor=LAND, edgecolor=COAST, lw=1.0, zorder=0))
        if title:
            ax.set_title(title, fontsize=17 * fs, fontweight="bold", pad=4)
        # points per map unit, to give markers sizes in map units
        fig = ax.figure
        bbox = ax.get_position()
        h_in = bbox.height * fig.get_figheight()
        w_in = bbox.width * fig.get_figwidth()
        self.ppu = min(h_in / (L.ylim[1] - L.ylim[0]), w_in / (L.xlim[1] - L.xlim[0])) * 72
        ppu = self.ppu
        sp = L.spacing
        self.member = LineCollection([], colors=BLUE, linewidths=1.1, alpha=0.55, zorder=2)
        self.colleague = LineCollection([], colors=BLUE, linewidths=1.0, alpha=0.75, zorder=3.5)
        self.rd_links = LineCollection([], colors=PURPLE, linewidths=1.0, alpha=0.8, zorder=2)
        self.uni_links = LineCollection([], colors=GREEN, linewidths=1.0, alpha=0.8, zorder=2)
        for lc in (self.member, self.colleague, self.rd_links, self.uni_links):
            ax.add_collection(lc)
        pr = (0.17 * sp * ppu) ** 2
        self.providers = ax.scatter(L.provider_xy[:, 0], L.provider_xy[:, 1], s=pr, marker="s", linewidths=0.3,
                                    facecolors="none", edgecolors="#8C8C8C", zorder=3)
        self.munis = ax.scatter(L.muni_xy[:, 0], L.muni_xy[:, 1], s=(L.muni_size * ppu) ** 2,
                                c=[STATE_COLOURS[UNAWARE]] * len(L.muni_xy), edgecolors="#BBBBBB", linewidths=0.4, zorder=4)
        rd_xy = np.array(list(L.rd_xy[u.key] for u in model.rd_units)).reshape(-1, 2)
        self.rd = ax.scatter(rd_xy[:, 0], rd_xy[:, 1], s=(0.55 * sp * ppu) ** 2, marker="^", facecolors="none",
                             edgecolors=PURPLE, linewidths=1.0, zorder=5)
        uni_xy = np.array(list(L.uni_xy[u.key] for u in model.universities)).reshape(-1, 2)
        self.uni = ax.scatter(uni_xy[:, 0], uni_xy[:, 1], s=(0.6 * sp * ppu) ** 2, marker="D", facecolors="none",
                              edgecolors=GREEN, linewidths=1.0, zorder=5)
        self.leaders = ax.scatter([], [], s=(0.42 * sp * ppu) ** 2, marker="o", linewidths=1.0, zorder=6)
        self.hubs = ax.scatter(L.centre[:, 0], L.centre[:, 1], s=(0.6 * sp * ppu) ** 2, marker="s",
                               facecolors="none", edgecolors=BLACK, linewidths=1.3, zorder=7)
        halo = [patheffects.withStroke(linewidth=3, foreground="white")]
        label_fs = 9.5 * fs
        self.labels = [ax.text(x, y, name, ha=ha, va=va, fontsize=label_fs, color="#222222", zorder=8, path_effects=halo)
                       for (x, y, ha, va), name in zip(self._place_labels(label_fs), L.names)]
        self.stats = ax.text(0.02, 0.985, "", transform=ax.transAxes, ha="left", va="top", fontsize=13 * fs,
                             linespacing=1.35, zorder=9, path_effects=halo)
        self.muni_rgba = np.array([matplotlib.colors.to_rgba(STATE_COLOURS[k]) for k in sorted(STATE_COLOURS)])
        self.prov_face = np.array([matplotlib.colors.to_rgba("none"), matplotlib.colors.to_rgba(BLACK)])
        self.prov_edge = np.array([matplotlib.colors.to_rgba("#8C8C8C"), matplotlib.colors.to_rgba(BLACK)])
        self.ring = np.array([matplotlib.colors.to_rgba("#BBBBBB"), matplotlib.colors.to_rgba(BLACK)])
        self.lw = np.array([0.4, 1.3])

    def _place_labels(self, fontsize: float):
        """Put each county's name beside its cluster where it covers the fewest dots and other names."""
        L, ppu = self.layout, self.ppu
        h = fontsize * 1.25 / ppu
        char = fontsize * 0.56 / ppu
        W, H = L.xlim[1] - L.xlim[0], L.ylim[1] - L.ylim[0]
        boxes = [(L.xlim[0], L.ylim[1] - 0.14 * H, L.xlim[0] + 0.36 * W, L.ylim[1])]  # the figures in the corner
        pts = np.vstack([L.muni_xy, L.centre])
        gap = 0.35 * L.spacing
        out = [None] * len(L.names)
        for ci in np.argsort(-L.radius, kind="stable"):
            cx, cy = L.centre[ci]
            r = L.radius[ci]
            w = char * len(L.names[ci])
            cands = [  # (x, y, ha, va) and the box it covers
                (cx, cy - r - gap, "center", "top", (cx - w / 2, cy - r - gap - h, cx + w / 2, cy - r - gap)),
                (cx, cy + r + gap, "center", "bottom", (cx - w / 2, cy + r + gap, cx + w / 2, cy + r + gap + h)),
                (cx + r + gap, cy, "left", "center", (cx + r + gap, cy - h / 2, cx + r + gap + w, cy + h / 2)),
                (cx - r - gap, cy, "right", "center", (cx - r - gap - w, cy - h / 2, cx - r - gap, cy + h / 2)),
                (cx + 0.7 * r, cy - 0.7 * r - gap, "left", "top", (cx + 0.7 * r, cy - 0.7 * r - gap - h, cx + 0.7 * r + w, cy - 0.7 * r - gap)),
                (cx - 0.7 * r, cy - 0.7 * r - gap, "right", "top", (cx - 0.7 * r - w, cy - 0.7 * r - gap - h, cx - 0.7 * r, cy - 0.7 * r - gap)),
                (cx + 0.7 * r, cy + 0.7 * r + gap, "left", "bottom", (cx + 0.7 * r, cy + 0.7 * r + gap, cx + 0.7 * r + w, cy + 0.7 * r + gap + h)),
                (cx - 0.7 * r, cy + 0.7 * r + gap, "right", "bottom", (cx - 0.7 * r - w, cy + 0.7 * r + gap, cx - 0.7 * r, cy + 0.7 * r + gap + h)),
            ]
            best, best_score = None, None
            for k, (x, y, ha, va, (x0, y0, x1, y1)) in enumerate(cands):
                inside = ((pts[:, 0] > x0 - 0.3 * L.spacing) & (pts[:, 0] < x1 + 0.3 * L.spacing)
                          & (pts[:, 1] > y0 - 0.3 * L.spacing) & (pts[:, 1] < y1 + 0.3 * L.spacing)).sum()
                clash = sum(max(0.0, min(x1, b[2]) - max(x0, b[0])) * max(0.0, min(y1, b[3]) - max(y0, b[1])) for b in boxes)
                off = (x0 < L.xlim[0]) or (x1 > L.xlim[1]) or (y0 < L.ylim[0]) or (y1 > L.ylim[1])
                # a name nearer another county's cluster than its own would be read as that county's
                mx, my = (x0 + x1) / 2, (y0 + y1) / 2
                edge = np.hypot(L.centre[:, 0] - mx, L.centre[:, 1] - my) - L.radius
                ambiguous = max(0.0, edge[ci] - np.delete(edge, ci).min()) / L.spacing
                score = inside + 50 * clash / (w * h) + 100 * off + 0.3 * k + 3 * ambiguous
                if best_score is None or score < best_score:
                    best, best_score = (x, y, ha, va, (x0, y0, x1, y1)), score
            boxes.append(best[4])
            out[ci] = best[:4]
        return out

    def artists(self):
        """What changes from frame to frame (and the names, drawn again on top of it)."""
        return self.labels + [self.member, self.colleague, self.rd_links, self.uni_links, self.providers, self.munis, self.rd,
                self.uni, self.leaders, self.hubs, self.stats]

    def update(self, f: Frame):
        r = f.reached.astype(int)
        self.munis.set_facecolor(self.muni_rgba[f.state])
        self.munis.set_edgecolor(self.ring[r])
        self.munis.set_linewidth(self.lw[r])
        p = f.provider_reached.astype(int)
        self.providers.set_facecolor(self.prov_face[p])
        self.providers.set_edgecolor(self.prov_edge[p])
        self.hubs.set_facecolor([BLACK if on else "none" for on in f.hub_on])
        self.leaders.set_offsets(f.leader_xy if len(f.leader_xy) else np.zeros((0, 2)))
        self.leaders.set_facecolor([BLUE if k else "white" for k in f.leader_linked])
        self.leaders.set_edgecolor([BLUE] * len(f.leader_linked))
        self.member.set_segments(f.member_segs)
        self.colleague.set_segments(f.colleague_segs)
        self.colleague.set_linewidths(0.2 + 1.8 * f.colleague_w if len(f.colleague_w) else [1.0])
        self.rd.set_facecolor([PURPLE if on else "none" for on in f.rd_on])
        self.rd.set_edgecolor([PURPLE if a else "#BBBBBB" for a in f.rd_active])
        self.rd_links.set_segments(f.rd_segs)
        self.uni.set_facecolor([GREEN if on else "none" for on in f.uni_on])
        self.uni_links.set_segments(f.uni_segs)
        s = f.stats
        self.stats.set_text(f"reached  {s['reach_any']:.0%}\nusing EBP  {s['adoption_mean']:.0%}\n"
                            f"providers  {s['provider_reach']:.0%}\nfunctioning  {s['functioning_structures']:.0f}/21")
        return self.artists()


def legend_handles(area: str = "most"):
    which = {"most": "in most programme areas", "any": "in any programme area"}.get(area, area.replace("_", " "))
    h = [Line2D([], [], ls="", marker="o", ms=11, mfc=STATE_COLOURS[k], mec="#999999", label=STATE_LABELS[k])
         for k in sorted(STATE_COLOURS)]
    h += [Line2D([], [], ls="", marker="o", ms=11, mfc=STATE_COLOURS[UNAWARE], mec=BLACK, mew=1.8,
                 label="reached by the initiative"),
          Line2D([], [], ls="", marker="s", ms=10, mfc=BLACK, mec=BLACK, label="platform leader in post"),
          Line2D([], [], ls="", marker="o", ms=9, mfc=BLUE, mec=BLUE, label="development leader, linked"),
          Line2D([], [], ls="", marker="o", ms=9, mfc="white", mec=BLUE, label="development leader, not linked"),
          Line2D([], [], color=BLUE, lw=3, label="colleague tie (width = strength)"),
          Line2D([], [], ls="", marker="^", ms=10, mfc=PURPLE, mec=PURPLE, label="R&D unit (filled: linked)"),
          Line2D([], [], ls="", marker="D", ms=9, mfc=GREEN, mec=GREEN, label="university (filled: linked)"),
          Line2D([], [], ls="", marker="s", ms=6, mfc=BLACK, mec=BLACK, label="private provider, reached")]
    return h, f"Municipality: level {which}"


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


# ----------------------------------------------------------------------------------------------- runs
def simulate(scenario, variants: list[str], every: int = 1, area: str = "most", seed: int | None = None,
             progress=None):
    """Run the variants in step from the scenario's seed; keep one Frame per shown month per variant."""
    from .model import EBPModel

    seed = scenario.seed if seed is None else seed
    models = [EBPModel(seed=seed, params=scenario.params(v)) for v in variants]
    layout = Layout.build(models[0].country, models[0].provider_muni)
    months = frame_months(models[0].n_months, every)
    wanted = set(months)
    frames = [[] for _ in models]
    while models[0].steps < models[0].n_months:
        for i, m in enumerate(models):
            m.step()
            if m.steps - 1 in wanted:
                frames[i].append(snapshot(m, layout, area))
        if progress:
            progress(models[0].steps, models[0].n_months)
    return models, layout, months, frames


def build_figure(scenario, variants, models, layout, dpi=100, area="most"):
    """The figure (16:9) with one map per variant and the timeline; returns (fig, panels, timeline)."""
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
    else:
        # two maps: the legend goes under the curves, in two columns
        timeline.ax_money.set_position([x0 + 0.045, 0.30, tl_w - 0.06, 0.2])
        timeline.ax_reach.set_position([x0 + 0.045, 0.585, tl_w - 0.06, 0.22])
        lax = fig.add_axes([x0, 0.0, tl_w, 0.22])
        lax.axis("off")
        lax.legend(handles=handles, title=ltitle, loc="center", ncol=2, fontsize=10.5, title_fontsize=11,
                   frameon=False, columnspacing=1.0, handletextpad=0.4)
    return fig, panels, timeline


class Blitter:
    """Draws a figure's still parts once and, each frame, only the artists that change on top of them.

    The changing artists are marked animated (the figure's own draw leaves them out); `draw()` restores
    the still background and draws them, in z-order, into the Agg canvas; `rgba()` and `png()` read it.
    """

    def __init__(self, fig, artists):
        self.fig = fig
        self.canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.artists = sorted(artists, key=lambda a: a.get_zorder())
        for a in self.artists:
            a.set_animated(True)
        self.background = None

    def draw(self) -> None:
        if self.background is None or self.canvas.get_width_height() != self._size:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._size = self.canvas.get_width_height()
        else:
            self.canvas.restore_region(self.background)
        for a in self.artists:
            if a.axes is not None:
                a.axes.draw_artist(a)
            else:
                self.fig.draw_artist(a)

    def rgba(self) -> bytes:
        return bytes(self.canvas.buffer_rgba())

    def png(self, compress_level: int = 6) -> bytes:
        from io import BytesIO

        from PIL import Image

        w, h = self.canvas.get_width_height()
        buf = BytesIO()
        Image.frombuffer("RGBA", (w, h), self.rgba(), "raw", "RGBA", 0, 1).convert("RGB").save(
            buf, format="png", compress_level=compress_level)
        return buf.getvalue()


class _RenderedFrame:
    """Stands in for the figure towards matplotlib's movie writers: the figure is drawn once per frame and
    every writer (GIF, MP4, HTML) gets the same pixels, instead of each drawing it again."""

    def __init__(self, fig, artists):
        self.fig = fig
        self.blitter = Blitter(fig, artists)
        self.canvas = self.blitter.canvas
        self._rgba = None
        self._paletted = None

    @property
    def dpi(self):
        return self.fig.dpi

    def get_size_inches(self):
        return self.fig.get_size_inches()

    def set_size_inches(self, *args, **kwargs):
        self.fig.set_size_inches(*args, **kwargs)

    def render(self) -> None:
        self.blitter.draw()
        self._rgba = self.blitter.rgba()
        self._paletted = None

    def paletted(self):
        """The frame with a 256-colour palette (what a GIF holds; also a small PNG): the fixed palette of
        `gif_palette`, so that every frame shows the legend's colours exactly, however few pixels have them."""
        if self._paletted is None:
            from PIL import Image

            w, h = self.canvas.get_width_height()
            px = np.frombuffer(self._rgba, dtype=np.uint8).reshape(h, w, 4)
            im = Image.frombuffer("P", (w, h), _to_palette(px).tobytes(), "raw", "P", 0, 1)
            im.putpalette(gif_palette().getpalette())
            self._paletted = im
        return self._paletted

    def savefig(self, fname, format=None, dpi=None, **kwargs):  # noqa: A002  (matplotlib's name)
        if format == "rgba":
            fname.write(self._rgba)
        elif format == "png":
            self.paletted().save(fname, format="png")
        else:
            raise ValueError(f"frame format {format!r} not supported")


_PALETTE_IMAGE = None


def gif_palette():
    """A fixed 256-colour palette: the picture's colours, their blends with white, the sea and black (the
    anti-aliased edges), and greys."""
    global _PALETTE_IMAGE
    if _PALETTE_IMAGE is None:
        from PIL import Image

        rgb = lambda c: np.array(matplotlib.colors.to_rgb(c)) * 255  # noqa: E731
        keys = [rgb(c) for c in PALETTE[:7]] + [rgb(c) for c in (STATE_COLOURS[UNAWARE], COAST)]
        white, sea, black = rgb("white"), rgb(SEA), rgb("black")
        cols = [rgb(c) for c in (LAND, SEA)]
        for k in keys:
            cols += [k + t * (white - k) for t in (0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.88)]
            cols += [k + t * (sea - k) for t in (0.3, 0.6, 0.85)]
            cols += [k + t * (black - k) for t in (0.25, 0.5, 0.75)]
        cols += [np.full(3, g) for g in range(0, 241, 10)]  # greys, none so near white that white maps to them
        cols += [white] * (256 - len(cols))
        flat = np.clip(np.rint(np.array(cols)), 0, 255).astype(np.uint8).reshape(-1)
        _PALETTE_IMAGE = Image.new("P", (1, 1))
        _PALETTE_IMAGE.putpalette(flat.tolist())
    return _PALETTE_IMAGE


_LUT = {}


def _to_palette(px: np.ndarray) -> np.ndarray:
    """Each pixel's nearest colour of `gif_palette` (exact; looked up in a table filled as colours appear)."""
    if not _LUT:
        _LUT["index"] = np.zeros(1 << 24, dtype=np.uint8)
        _LUT["known"] = np.zeros(1 << 24, dtype=bool)
        _LUT["palette"] = np.array(gif_palette().getpalette()[:768], dtype=np.int32).reshape(256, 3)
    rgb = px[..., :3].astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    new = np.unique(packed[~_LUT["known"][packed]])
    if len(new):
        cols = np.stack([(new >> 16) & 255, (new >> 8) & 255, new & 255], axis=1).astype(np.int32)
        d = ((cols[:, None, :] - _LUT["palette"][None, :, :]) ** 2).sum(axis=2)
        _LUT["index"][new] = d.argmin(axis=1)
        _LUT["known"][new] = True
    return _LUT["index"][packed]


# matplotlib's HTML player takes its button icons from a web font on a CDN; workshops may be offline
_PLAYER_ICONS = {"fa-minus": "&minus;", "fa-fast-backward": "&#x2759;&#x25C0;&#x25C0;", "fa-step-backward": "&#x25C0;&#x2759;",
                 "fa-play fa-flip-horizontal": "&#x25C0;", "fa-pause": "&#x2759;&#x2759;", "fa-play": "&#x25B6;",
                 "fa-step-forward": "&#x2759;&#x25B6;", "fa-fast-forward": "&#x25B6;&#x25B6;&#x2759;", "fa-plus": "+"}


def _offline_player(snippet: str) -> str:
    snippet = re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">', "", snippet)
    return re.sub(r'<i class="fa ([a-z -]+)"></i>', lambda m: _PLAYER_ICONS.get(m.group(1), m.group(1)), snippet)


class _GifWriter(mpl_animation.PillowWriter):
    """PillowWriter that keeps each frame already reduced to a palette (a quarter of the memory)."""

    def grab_frame(self, **savefig_kwargs):
        self._frames.append(self.fig.paletted())


def render(scenario, variants, out, every: int = 1, fps: float = 6, formats=FORMATS, dpi: int = 100,
           area: str = "most", seed: int | None = None, progress=None, log=print) -> dict[str, Path]:
    """Simulate the variants and write the animation; returns {format: path} of the files written.

    `out` names the GIF (its suffix is replaced per format): 'gif' (PillowWriter), 'mp4' (FFMpegWriter;
    skipped, with a note, when ffmpeg is not installed), 'html' (the JavaScript player of
    `FuncAnimation.to_jshtml`, i.e. matplotlib's HTMLWriter, as a page) and 'png' (the last frame).
    Each frame is drawn once and handed to every writer.
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
    models, layout, months, frames = simulate(scenario, variants, every=every, area=area, seed=seed)
    fig, panels, timeline = build_figure(scenario, variants, models, layout, dpi=dpi, area=area)

    def update(i):
        for p, fr in zip(panels, frames):
            p.update(fr[i])
        timeline.update(months[i], month_label(models[0], months[i]))

    paths = {fmt: base.with_suffix("." + fmt) for fmt in formats}
    if "mp4" in paths and not shutil.which("ffmpeg"):
        log("animate: ffmpeg is not installed, so no MP4 is written (apt-get install ffmpeg)")
        del paths["mp4"]
    writers = []
    if "gif" in paths:
        writers.append((_GifWriter(fps=fps), paths["gif"]))
    if "mp4" in paths:
        writers.append((mpl_animation.FFMpegWriter(fps=fps, codec="h264", bitrate=-1), paths["mp4"]))
    if "html" in paths:
        writers.append((mpl_animation.HTMLWriter(fps=fps, embed_frames=True, default_mode="once", embed_limit=2000),
                        paths["html"]))
    frame = _RenderedFrame(fig, [a for p in panels for a in p.artists()] + timeline.artists())
    with contextlib.ExitStack() as stack:
        for w, path in writers:
            stack.enter_context(w.saving(frame, path, dpi))
        for i in range(len(months) if writers else 0):
            update(i)
            frame.render()
            for w, _ in writers:
                w.grab_frame()
            if progress:
                progress(i + 1, len(months))
    if "html" in paths:
        player = _offline_player(paths["html"].read_text(encoding="utf-8"))
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
def main(argv: list[str]) -> int:
    from .scenario import ScenarioError, load

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
    args = ap.parse_args(argv)

    def fail(msg: str) -> int:
        print(f"run.py animate: {msg}", file=sys.stderr)
        return 2

    if args.every < 1:
        return fail(f"--every must be a whole number >= 1, not {args.every}")
    if args.fps <= 0:
        return fail(f"--fps must be positive, not {args.fps}")
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
    from tqdm import tqdm

    bar = tqdm(total=None, unit="frame", desc="frames", disable=not sys.stderr.isatty(), leave=False)

    def progress(i, n):
        bar.total = n
        bar.update(1)

    try:
        written = render(sc, variants, out, every=args.every, fps=args.fps, formats=formats, dpi=args.dpi,
                         area=args.area, seed=args.seed, progress=progress, log=lambda s: print(s, file=sys.stderr))
    except OSError as e:
        return fail(f"cannot write {out}: {e.strerror or e}")
    finally:
        bar.close()
    for fmt, path in written.items():
        print(f"{fmt:5s} {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
