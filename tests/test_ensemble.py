"""Running scenarios: common random numbers, identical results for any executor, resume."""

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.ensemble import model_shape, run_ensemble
from sim.experiments.store import Store
from sim.experiments.report import build
from sim.experiments.scenario import parse

ROOT = Path(__file__).resolve().parents[1]
SHORT = {"start": "2010-01", "end": "2014-12"}


def scenario(variants, replicates=3, name="t"):
    return parse({"name": name, "period": SHORT, "seed": 7, "replicates": replicates, "variants": variants})


def arrays(folder, sc):
    store = Store(folder, sc, model_shape(sc))
    return {v: np.array(store.array(v, mode="r")) for v in sc.variants}


def test_identical_variants_give_zero_paired_difference(tmp_path):
    sc = scenario({"a": {"reference": True}, "b": {}})
    run_ensemble(sc, tmp_path, workers=1, progress=False)
    tables = build(Store(tmp_path, sc, model_shape(sc)), timeseries="none")
    cmp_ = tables["comparison"].dropna(subset=["mean"])
    assert len(cmp_) and (cmp_[["mean", "p5", "p95"]].abs().to_numpy() == 0).all()


def test_variants_differing_from_a_date_agree_until_then(tmp_path):
    # money differs from 2014 on; the decision to take over is announced in December 2012 in both
    sc = scenario({"phased": {"reference": True}, "continued": {"funding": {"state_share": {2014: 1.0}}}})
    run_ensemble(sc, tmp_path, workers=1, progress=False)
    a = arrays(tmp_path, sc)
    until = (2013 - 2010) * 12 + 12  # months up to December 2013
    assert np.array_equal(a["phased"][:, :until], a["continued"][:, :until], equal_nan=True)
    assert not np.array_equal(a["phased"], a["continued"], equal_nan=True)


def test_an_announced_change_counts_from_its_announcement(tmp_path):
    # the original plan is known from January 2011: trajectories agree up to then and not after 2013
    sc = scenario({"phased": {"reference": True},
                   "original": {"funding": {"state_share": {2013: 0.0}, "announced": "2011-01"}}})
    run_ensemble(sc, tmp_path, workers=1, progress=False)
    a = arrays(tmp_path, sc)
    assert np.array_equal(a["phased"][:, :12], a["original"][:, :12], equal_nan=True)
    assert not np.array_equal(a["phased"][:, 36:], a["original"][:, 36:], equal_nan=True)


def test_same_results_with_one_and_two_workers_and_dask(tmp_path):
    from distributed import LocalCluster

    sc = scenario({"a": {"reference": True}, "b": {"providers": {"pass_on_rate": 0.02}}})
    run_ensemble(sc, tmp_path / "one", workers=1, progress=False)
    run_ensemble(sc, tmp_path / "two", workers=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run_ensemble(sc, tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address, progress=False)
    one, two, dask = (arrays(tmp_path / k, sc) for k in ("one", "two", "dask"))
    for v in sc.variants:
        assert np.array_equal(one[v], two[v], equal_nan=True)
        assert np.array_equal(one[v], dask[v], equal_nan=True)


def test_resume_completes_and_equals_an_uninterrupted_run(tmp_path):
    sc = scenario({"a": {"reference": True}, "b": {"leaders": {"turnover": 0.03}}}, replicates=4)
    run_ensemble(sc, tmp_path / "full", workers=1, progress=False)
    # an interrupted run: only some replicates finished
    part = tmp_path / "part"
    store = Store(part, sc, model_shape(sc))
    full = Store(tmp_path / "full", sc, model_shape(sc))
    for v in sc.variants:
        for r in (0, 2):
            store.save(v, r, np.array(full.array(v, mode="r")[r]))
    status = run_ensemble(sc, part, workers=2, progress=False)
    assert status["status"] == "complete" and status["done"] == 8
    a, b = arrays(tmp_path / "full", sc), arrays(part, sc)
    for v in sc.variants:
        assert np.array_equal(a[v], b[v], equal_nan=True)


def test_a_failing_replicate_does_not_take_the_others_down(tmp_path):
    # a variant whose parameters make the model raise (a county override naming no county is caught at
    # parse time, so break it at run time instead: an end before the start is refused by the model)
    sc = scenario({"a": {"reference": True}, "b": {}}, replicates=2)
    sc.variants["b"] = {"end": "2009-01"}
    status = run_ensemble(sc, tmp_path, workers=1, progress=False)
    assert status["status"] == "incomplete"
    assert {(f["variant"], f["replicate"]) for f in status["failures"]} == {("b", 0), ("b", 1)}
    assert all(f["seed"] in (7, 8) and "end" in f["error"] for f in status["failures"])
    store = Store(tmp_path, sc, model_shape(sc))
    assert store.completed("a") == [0, 1] and store.completed("b") == []


def test_cli_run_writes_every_output_and_ctrl_c_keeps_finished_runs(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: cli\nperiod: {start: 2010-01, end: 2012-12}\nseed: 3\nreplicates: 20\n"
                    "variants:\n  a: {reference: true}\n  b: {centres: {via_structure: 0.5}}\n", encoding="utf-8")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), str(path), "--workers", "1", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            # as from a terminal: a test runner started in the background ignores SIGINT,
                            # and its children would inherit that
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    done_dir = out / "runs" / "done"
    deadline = time.time() + 60
    while time.time() < deadline:
        if done_dir.exists() and len(list(done_dir.glob("*"))) >= 4:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    kept = len(list((out / "runs" / "done").glob("*")))
    assert 4 <= kept < 40
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "--resume", str(out), "--quiet"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert len(list((out / "runs" / "done").glob("*"))) == 40
    for name in ("summary.csv", "comparison.csv", "timeseries.parquet", "manifest.json", "plots/reach_any.png",
                 "plots/reach_any_by_county.png"):
        assert (out / name).exists(), name
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["variant", "replicate", "date", "county", "observable", "value"]
    assert ts["replicate"].nunique() == 20 and set(ts["variant"]) == {"a", "b"}
    summary = pd.read_csv(out / "summary.csv")
    assert {"variant", "county", "date", "observable", "mean", "p5", "p95"} <= set(summary.columns)
    assert "Paired difference" in res.stdout


def test_vectorised_percentile_equals_numpy():
    from sim.experiments.report import nanpercentile

    rng = np.random.default_rng(0)
    a = rng.normal(size=(7, 5, 4))
    a[rng.random(a.shape) < 0.3] = np.nan
    a[:, 0, 0] = np.nan  # a column with no value
    for q in (0, 5, 50, 95, 100):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns of the all-NaN column
            expected = np.nanpercentile(a, q, axis=0)
        np.testing.assert_allclose(nanpercentile(a, q), expected, equal_nan=True)


def test_a_batch_of_runs_freezes_the_heap_and_thaws_it_after():
    import gc
    import weakref

    from sim.experiments.workers import frozen_heap

    class Cycle:
        pass

    kept = Cycle()
    kept.me = kept  # collectable only by the cycle collector, like a dropped model
    gone = weakref.ref(kept)
    before = gc.get_freeze_count()
    with frozen_heap(19):  # too few runs to pay for a full collection first
        assert gc.get_freeze_count() == before
    with frozen_heap(20):
        assert gc.get_freeze_count() > before  # the objects alive now are out of the collector's sight
    assert gc.get_freeze_count() == 0  # all in its sight again (Python 3.12 starts with a few hundred frozen)
    del kept
    gc.collect()
    assert gone() is None  # thawed: an object dropped after the runs is still collected
