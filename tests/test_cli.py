"""The command line as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, cwd=ROOT)


def test_run_writes_a_complete_results_folder(tmp_path):
    out = tmp_path / "r"
    res = run("--seed", "2", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "reach_any" in res.stdout and "2012" in res.stdout
    for name in ("timeseries.csv", "summary.csv", "manifest.json", "reach.png", "adoption.png",
                 "staff_and_money.png", "counties.png"):
        assert (out / name).stat().st_size > 0, name
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == ["date", "county", "observable", "value"]
    man = json.loads((out / "manifest.json").read_text())
    assert man["seeds"] == [2] and man["scenario"]["name"] == "baseline"
    assert man["packages"]["mesa"].startswith("3.") and man["code_revision"]


def test_same_seed_gives_the_same_files(tmp_path):
    run("--seed", "3", "--out", str(tmp_path / "a"))
    run("--seed", "3", "--out", str(tmp_path / "b"))
    assert (tmp_path / "a" / "timeseries.csv").read_bytes() == (tmp_path / "b" / "timeseries.csv").read_bytes()


def test_existing_folder_is_refused_without_traceback(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    res = run("--out", str(out))
    assert res.returncode == 2
    assert "already exists" in res.stderr and "Traceback" not in res.stderr
