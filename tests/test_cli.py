"""The default command line as a user runs it: `python run.py`."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, cwd=ROOT)


def test_default_run_writes_a_complete_results_folder(tmp_path):
    out = tmp_path / "r"
    res = run("--seed", "2", "--replicates", "3", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "reach_any" in res.stdout and "2012" in res.stdout and "baseline" in res.stdout
    for name in ("timeseries.parquet", "summary.csv", "comparison.csv", "manifest.json", "plots/reach_any.png",
                 "plots/adoption_mean.png", "plots/development_leaders.png", "plots/reach_any_by_county.png"):
        assert (out / name).stat().st_size > 0, name
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["variant", "replicate", "date", "county", "observable", "value"]
    assert ts["date"].min() == pd.Timestamp("2010-01-01") and ts["date"].max() == pd.Timestamp("2020-12-01")
    man = json.loads((out / "manifest.json").read_text())
    assert man["seeds"] == [2, 3, 4] and man["scenario"]["name"] == "baseline" and man["status"] == "complete"
    assert man["packages"]["mesa"].startswith("3.") and man["code_revision"]


@pytest.mark.slow  # the CLI twice; tests/test_ensemble.py checks 1 and 2 workers and Dask in-process
def test_same_seed_gives_the_same_numbers_with_one_or_two_workers(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: short\nperiod: {start: 2010-01, end: 2011-12}\nreplicates: 3\n"
                    "variants:\n  reported: {reference: true}\n", encoding="utf-8")
    for k, workers in (("a", "1"), ("b", "2")):
        res = run(str(path), "--seed", "3", "--workers", workers, "--out", str(tmp_path / k), "--quiet")
        assert res.returncode == 0, res.stderr
    a = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    b = pd.read_parquet(tmp_path / "b" / "timeseries.parquet")
    assert len(a) and a["replicate"].nunique() == 3
    pd.testing.assert_frame_equal(a, b)
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "b" / "summary.csv").read_bytes()


def test_existing_folder_is_refused_without_traceback(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "x").write_text("keep me")
    res = run("--out", str(out))
    assert res.returncode == 2
    assert "already exists" in res.stderr and "Traceback" not in res.stderr
    assert (out / "x").read_text() == "keep me"


def test_bad_options_are_refused(tmp_path):
    res = run("--replicates", "0", "--out", str(tmp_path / "r"))
    assert res.returncode == 2 and "--replicates" in res.stderr and not (tmp_path / "r").exists()
    res = run(str(tmp_path / "missing.yaml"))
    assert res.returncode == 2 and "no such file" in res.stderr and "Traceback" not in res.stderr


def test_mesa_imported_by_a_run_names_its_loggers_as_mesa_does():
    """sim/experiments/mesa_import.py answers Mesa's stack inspection from the frames themselves while Mesa
    is imported: the same logger and class names as Mesa's own import, and `inspect` untouched afterwards."""
    probe = ("import inspect, logging, sys{}\n"
             "import mesa.model as m\n"
             "names = sorted(k for k in logging.Logger.manager.loggerDict if k.startswith('MESA'))\n"
             "cls = [c.cell_contents for c in m.Model.__init__.__closure__ if isinstance(c.cell_contents, str)]\n"
             "print(m._mesa_logger.name, names, cls, inspect.stack.__module__, inspect.getmodule.__module__)")
    own, ours = (subprocess.run([sys.executable, "-c", probe.format(extra)], capture_output=True, text=True, cwd=ROOT)
                 for extra in ("", "\nfrom sim.experiments.mesa_import import import_mesa; import_mesa()"))
    assert own.returncode == ours.returncode == 0, own.stderr + ours.stderr
    assert ours.stdout == own.stdout
    assert "MESA.mesa.model ['MESA', 'MESA.mesa'" in own.stdout and "['Model'] inspect inspect" in own.stdout
