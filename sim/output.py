"""Writing a run's results folder: tidy time series, summary table, plots and a manifest.

A folder is written under a temporary name and renamed into place when complete, so an interrupted run
never leaves a half-written results folder behind.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ebpsim", "mesa", "numpy", "scipy", "pandas", "matplotlib", "networkx", "pyyaml", "tqdm")

# Observables shown in the summary table, with the years at whose end they are read.
SUMMARY = ("reach_any", "salar_event_share", "adoption_mean", "established_mean", "provider_reach",
           "functioning_structures", "platform_leaders", "development_leaders", "state_spending",
           "principal_spending", "cost_per_reached", "upward_reports", "duplication")


def code_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def manifest(scenario: dict, seeds: list[int], **extra) -> dict:
    return {
        "scenario": scenario,
        "seeds": seeds,
        "packages": package_versions(),
        "code_revision": code_revision(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
        **extra,
    }


def summary_table(ts: pd.DataFrame, years=(2011, 2012, 2014, 2016, 2020)) -> pd.DataFrame:
    """National value of the key observables at the end of chosen years (December)."""
    nat = ts[(ts["county"] == "national") & ts["observable"].isin(SUMMARY)]
    nat = nat[(nat["date"].dt.month == 12) & nat["date"].dt.year.isin(years)]
    table = nat.pivot_table(index="observable", columns=nat["date"].dt.year, values="value")
    return table.reindex([s for s in SUMMARY if s in table.index])


def atomic_folder(final: Path):
    """Context manager: yields a temporary folder that becomes `final` only if the block succeeds."""

    class _Atomic:
        def __enter__(self):
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                raise FileExistsError(f"{final} already exists; choose another --out")
            self.tmp = final.parent / f".{final.name}.partial"
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp.mkdir()
            return self.tmp

        def __exit__(self, exc_type, exc, tb):
            if exc_type is None:
                os.replace(self.tmp, final)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
            return False

    return _Atomic()


def write_run(model, out: Path, scenario: dict) -> Path:
    """Write one run of `model` to the folder `out` (created; must not exist)."""
    from .plots import plot_run

    ts = model.results()
    with atomic_folder(out) as tmp:
        ts.to_csv(tmp / "timeseries.csv", index=False, date_format="%Y-%m")
        summary_table(ts).to_csv(tmp / "summary.csv", float_format="%.4g")
        plot_run(ts, tmp)
        with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
            json.dump(manifest(scenario, [model.seed], months=model.n_months), f, indent=2, default=str)
    return out
