"""The map of one run: Sweden with its 21 counties, every municipality a dot coloured by its knowledge
state, each county's support structure (platform, development leaders, R&D units, universities and the
ties between them) and private providers; drawn once, then updated month by month.

Municipalities have no coordinates in the data: the layout is schematic and deterministic (a sunflower
of dots around the county's lat/lon, the counties nudged apart so that clusters do not overlap, the map
drawn with a gentle fish-eye that gives the crowded south more room than the north).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from ..knowledge import AWARE, ESTABLISHED, UNAWARE, USING
from ..parameters import AREAS
from .style import PALETTE

ASSETS = Path(__file__).parent / "assets"

# Okabe-Ito (sim.views.style.PALETTE): blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow, black
BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, YELLOW, BLACK = PALETTE
STATE_COLOURS = {UNAWARE: "#DDDDDD", AWARE: SKY, USING: ORANGE, ESTABLISHED: VERMILLION}
STATE_LABELS = {UNAWARE: "unaware", AWARE: "aware", USING: "using EBP", ESTABLISHED: "EBP established"}
LAND, SEA, COAST = "#FFFFFF", "#EEF4F8", "#9AA5AD"
AREA_MODES = ("most", "any") + AREAS


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
                 provider_reached=model.provider_reached.any(axis=1), hub_on=hub_on,
                 leader_xy=np.array(leaders_xy, dtype=float).reshape(-1, 2), leader_linked=np.array(linked_flags, dtype=bool),
                 member_segs=seg(members), colleague_segs=seg(coll), colleague_w=np.array(coll_w, dtype=float),
                 rd_on=rd_on, rd_active=rd_active, rd_segs=seg(rd_segs), uni_on=uni_on, uni_segs=seg(uni_segs), stats=stats)


# ----------------------------------------------------------------------------------------------- drawing
class MapPanel:
    """One map: artists made once, then updated frame by frame."""

    def __init__(self, ax, layout: Layout, model, title: str = "", fontscale: float = 1.0, stats: bool = True):
        self.ax, self.layout = ax, layout
        self.show_stats = stats
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
        boxes = [(L.xlim[0], L.ylim[1] - 0.14 * H, L.xlim[0] + 0.36 * W, L.ylim[1])] if self.show_stats else []  # the figures
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
        """What changes from frame to frame. The county names (`labels`) do not change but lie over it: a
        `Blitter` lays them over each frame as an overlay drawn once."""
        return [self.member, self.colleague, self.rd_links, self.uni_links, self.providers, self.munis, self.rd,
                self.uni, self.leaders, self.hubs] + ([self.stats] if self.show_stats else [])

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
        if self.show_stats:
            self.stats.set_text(f"reached  {s['reach_any']:.0%}\nusing EBP  {s['adoption_mean']:.0%}\n"
                                f"providers  {s['provider_reach']:.0%}\nfunctioning  {s['functioning_structures']:.0f}/21")
        return self.artists()


def legend_handles(area: str = "most", short: bool = False):
    """The map's key: (handles, title). `short` labels fit a narrow two-column key (the app's)."""
    which = {"most": "in most programme areas", "any": "in any programme area"}.get(area, area.replace("_", " "))
    if short:
        which = {"most": "in most areas", "any": "in any area"}.get(area, area.replace("_", " "))
    words = {
        "reached": ("reached", "reached by the initiative"),
        "platform": ("platform leader", "platform leader in post"),
        "linked": ("leader, linked", "development leader, linked"),
        "unlinked": ("leader, not linked", "development leader, not linked"),
        "tie": ("colleague tie", "colleague tie (width = strength)"),
        "rd": ("R&D unit, linked", "R&D unit (filled: linked)"),
        "uni": ("university, linked", "university (filled: linked)"),
        "provider": ("provider, reached", "private provider, reached"),
    }
    w = {k: v[0] if short else v[1] for k, v in words.items()}
    h = [Line2D([], [], ls="", marker="o", ms=11, mfc=STATE_COLOURS[k], mec="#999999", label=STATE_LABELS[k])
         for k in sorted(STATE_COLOURS)]
    h += [Line2D([], [], ls="", marker="o", ms=11, mfc=STATE_COLOURS[UNAWARE], mec=BLACK, mew=1.8, label=w["reached"]),
          Line2D([], [], ls="", marker="s", ms=6, mfc=BLACK, mec=BLACK, label=w["provider"]),
          Line2D([], [], ls="", marker="s", ms=10, mfc=BLACK, mec=BLACK, label=w["platform"]),
          Line2D([], [], ls="", marker="o", ms=9, mfc=BLUE, mec=BLUE, label=w["linked"]),
          Line2D([], [], ls="", marker="o", ms=9, mfc="white", mec=BLUE, label=w["unlinked"]),
          Line2D([], [], color=BLUE, lw=3, label=w["tie"]),
          Line2D([], [], ls="", marker="^", ms=10, mfc=PURPLE, mec=PURPLE, label=w["rd"]),
          Line2D([], [], ls="", marker="D", ms=9, mfc=GREEN, mec=GREEN, label=w["uni"])]
    return h, f"Municipality: level {which}"
