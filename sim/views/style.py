"""The house style of ebpsim's plots: a colour-blind-safe palette and one way to save a figure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def year_axis(ax, every: int = 2) -> None:
    """Label a date axis with the years that are multiples of `every`, at 1 January, within the limits the
    axis has now (call it after plotting). The ticks are fixed once: matplotlib's date locator and
    formatter would work them out again in every panel at every draw, a large part of a figure's cost."""
    import matplotlib.ticker as mticker

    lo, hi = ax.get_xlim()
    years = [y for y in range(mdates.num2date(lo).year, mdates.num2date(hi).year + 1) if y % every == 0]
    at = [(mdates.date2num(date(y, 1, 1)), str(y)) for y in years]
    at = [(x, text) for x, text in at if lo <= x <= hi]
    ax.xaxis.set_major_locator(mticker.FixedLocator([x for x, _ in at]))
    ax.xaxis.set_major_formatter(mticker.FixedFormatter([text for _, text in at]))


def save_figure(fig, path: Path, dpi: int = 110, tight: bool = True) -> Path:
    """Save and close. `tight=False` for figures whose layout is set by hand (many panels: cheaper). The PNG is
    compressed fast (zlib level 1): a third of the encoding time, files about a tenth larger."""
    if tight:
        fig.tight_layout()
        # tight_layout leaves a placeholder layout engine, for which savefig lays the figure out again in a
        # whole draw without output before the real one (a seventh of the figure's cost); the layout is done
        fig.set_layout_engine(None)
    fig.savefig(path, dpi=dpi, pil_kwargs={"compress_level": 1})
    plt.close(fig)
    return path


def percent_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    """Show a share (0-1) as per cent on the axis."""
    import matplotlib.ticker as mticker

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(mticker.PercentFormatter(1.0, decimals=decimals))
