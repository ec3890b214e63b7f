"""Writing an animation to files: GIF (a fixed colour-blind-safe palette), MP4 (ffmpeg), an HTML page with
play controls that works offline, and PNG frames. Frames are drawn by blitting: the still parts of the
figure once, the changing artists on top of them each frame."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
from matplotlib import animation as mpl_animation
from matplotlib.backends.backend_agg import FigureCanvasAgg

from .map import COAST, LAND, SEA, STATE_COLOURS, UNAWARE
from .style import PALETTE


class Blitter:
    """Draws a figure's still parts once and, each frame, only the artists that change on top of them.

    The changing artists are marked animated (the figure's own draw leaves them out); `draw()` restores
    the still background and draws them, in z-order, into the Agg canvas; `rgba()` and `png()` read it.
    `overlay` artists (the county names: still, but lying over changing dots) are drawn once into a
    transparent layer that is laid over each frame: drawing text with a halo costs more than the rest of a
    map frame together.
    """

    def __init__(self, fig, artists, overlay=()):
        self.fig = fig
        self.canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.artists = sorted(artists, key=lambda a: a.get_zorder())
        self.overlay = list(overlay)
        for a in self.artists + self.overlay:
            a.set_animated(True)
        self.background = None
        self._layers = []

    def _draw_artist(self, a) -> None:
        if a.axes is not None:
            a.axes.draw_artist(a)
        else:
            self.fig.draw_artist(a)

    def _make_overlay(self) -> None:
        """Draw the overlay artists alone on a transparent canvas; keep the small boxes they cover."""
        renderer = self.canvas.get_renderer()
        renderer.clear()
        for a in self.overlay:
            self._draw_artist(a)
        layer = np.asarray(self.canvas.buffer_rgba())
        h, w = layer.shape[:2]
        self._layers = []
        for a in self.overlay:
            bb = a.get_window_extent(renderer)
            rows = slice(max(0, int(h - bb.y1) - 3), min(h, int(h - bb.y0) + 4))
            cols = slice(max(0, int(bb.x0) - 3), min(w, int(bb.x1) + 4))
            part = layer[rows, cols].astype(np.uint16)
            if part.size and part[..., 3].any():
                self._layers.append((rows, cols, part[..., :3] * part[..., 3:4], 255 - part[..., 3:4]))

    def draw(self) -> None:
        if self.background is None or self.canvas.get_width_height() != self._size:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._size = self.canvas.get_width_height()
            if self.overlay:
                self._make_overlay()
        self.canvas.restore_region(self.background)
        for a in self.artists:
            self._draw_artist(a)
        if self._layers:
            px = np.asarray(self.canvas.buffer_rgba())
            for rows, cols, fg, keep in self._layers:
                under = px[rows, cols, :3].astype(np.uint16)
                px[rows, cols, :3] = ((under * keep + fg) // 255).astype(np.uint8)

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


class RenderedFrame:
    """Stands in for the figure towards matplotlib's movie writers: the figure is drawn once per frame and
    every writer (GIF, MP4, HTML) gets the same pixels, instead of each drawing it again."""

    def __init__(self, fig, artists, overlay=()):
        self.fig = fig
        self.blitter = Blitter(fig, artists, overlay)
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


def offline_player(snippet: str) -> str:
    snippet = re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">', "", snippet)
    return re.sub(r'<i class="fa ([a-z -]+)"></i>', lambda m: _PLAYER_ICONS.get(m.group(1), m.group(1)), snippet)


class GifWriter(mpl_animation.PillowWriter):
    """PillowWriter that keeps each frame already reduced to a palette (a quarter of the memory)."""

    def grab_frame(self, **savefig_kwargs):
        self._frames.append(self.fig.paletted())
