"""The house style of ebpsim's plots: a colour-blind-safe palette and one way to save a figure."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def year_axis(ax, every: int = 2) -> None:
    """Label a monthly date axis with whole years. Fixed ticks: matplotlib's automatic date locator and
    slanted labels cost seconds per figure of 20 panels and say no more."""
    ax.xaxis.set_major_locator(mdates.YearLocator(every))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def save_figure(fig, path: Path, dpi: int = 110, tight: bool = True) -> Path:
    """Save and close. `tight=False` for figures whose layout is set by hand (many panels: cheaper)."""
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def percent_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    """Show a share (0-1) as per cent on the axis."""
    import matplotlib.ticker as mticker

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(mticker.PercentFormatter(1.0, decimals=decimals))
