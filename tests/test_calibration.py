"""Calibration: targets, reproducibility, resume, recovery of known parameters, prediction."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from calibration.abc import ABCState
from calibration.calibrate import Evaluator, _simulate, calibration_base, load_config, run_calibration, theta_params
from calibration.targets import Reader, load_targets
from sim.experiments.scenario import ScenarioError, load

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"targets": str(ROOT / "calibration" / "targets.yaml"), "scenario": str(ROOT / "scenarios" / "baseline.yaml"),
         "seed": 5, "method": {"population": 12, "generations": 2}, "budget": {"simulations": 200}, "predictive": 6,
         "free": {"structure.platform_hire_rate": {"uniform": [0.03, 0.35]},
                  "salar.attend_prob.information": {"uniform": [0.03, 0.4]}}}


def config(tmp_path, **changes):
    cfg = json.loads(json.dumps(SMALL))
    for k, v in changes.items():
        cfg[k] = v
    p = tmp_path / "config.yaml"
    p.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return p


def test_targets_cover_the_reported_figures_with_sources():
    targets, patterns = load_targets(ROOT / "calibration" / "targets.yaml")
    by = {t.observable: t for t in targets}
    assert by["platform_leaders"].value == 19 and by["platform_leaders"].date == "2011-06"
    assert by["salar_event_share"].value == pytest.approx(236 / 290, abs=1e-3)
    assert by["linked_elderly"].value == pytest.approx(0.8 * 21)
    assert all(t.source and t.sd > 0 for t in targets)
    assert {p.name for p in patterns} >= {"providers_reached_far_less", "big_cities_reached_slower", "ehealth_least_integrated"}


def test_shipped_config_loads_and_fits_the_time_budget():
    cfg = load_config(ROOT / "calibration" / "config.yaml")
    # the shipped budget: at most 6000 runs to the last target month (about 10 per second on two cores)
    assert cfg["budget"] <= 6000 and calibration_base(cfg)["end"] == "2012-12"


def test_bad_target_and_config_files_get_clear_messages(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("targets:\n  - {name: x, observable: reach_anyy, county: national, date: 2012-12, value: 1, sd: 0.1, source: s}\n")
    with pytest.raises(ScenarioError, match=r"targets\[0\]\.observable.*did you mean 'reach_any'"):
        load_targets(bad)
    bad.write_text("targets:\n  - {name: x, observable: reach_any, county: national, date: 2012-12, value: 1, sd: 0, source: s}\n")
    with pytest.raises(ScenarioError, match=r"targets\[0\]\.sd"):
        load_targets(bad)
    with pytest.raises(ScenarioError, match=r"free\.structure\.platform_hire_rat"):
        load_config(config(tmp_path, free={"structure.platform_hire_rat": {"uniform": [0.1, 0.2]}}))
    with pytest.raises(ScenarioError, match=r"free\.salar\.attend_prob\.information\.uniform"):
        load_config(config(tmp_path, free={"salar.attend_prob.information": {"uniform": [0.5, 1.5]}}))
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "calibrate", str(tmp_path / "missing.yaml")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "no such file" in res.stderr and "Traceback" not in res.stderr


def test_same_posterior_with_one_or_two_workers_and_after_resume(tmp_path):
    """One worker throughout, against two workers with a stop after the first generation and a resume."""
    cfg = load_config(config(tmp_path))
    full = run_calibration(cfg, tmp_path / "full", workers=1, progress=False)
    assert len(full.generations) == 2
    cfg1 = load_config(config(tmp_path, method={"population": 12, "generations": 1}))
    run_calibration(cfg1, tmp_path / "part", workers=2, progress=False)
    assert len(ABCState.load(tmp_path / "part" / "abc").generations) == 1
    resumed = run_calibration(cfg, tmp_path / "part", workers=2, progress=False)
    assert len(resumed.generations) == 2
    for ga, gb in zip(full.generations, resumed.generations):
        assert np.array_equal(ga.particles, gb.particles) and np.array_equal(ga.weights, gb.weights)


def test_recovers_known_parameters(tmp_path):
    """Synthetic targets from known parameters lie inside the posterior 90 % intervals."""
    truth = {"structure.platform_hire_rate": 0.2, "salar.attend_prob.information": 0.12}
    cfg = load_config(config(tmp_path, method={"population": 30, "generations": 3}, budget={"simulations": 400}))
    base = calibration_base(cfg)
    reader = Reader(base["start"])
    with Evaluator(2) as ev:
        runs = ev.map(_simulate, [(base, list(truth), list(truth.values()), 1000 + i) for i in range(8)])
    synthetic = np.mean([reader.summary(r, cfg["targets"]) for r in runs], axis=0)
    cfg["targets"] = [t.__class__(**{**t.__dict__, "value": float(v)}) for t, v in zip(cfg["targets"], synthetic)]
    state = run_calibration(cfg, tmp_path / "rec", workers=2, progress=False)
    gen = state.generations[-1]
    from calibration.calibrate import weighted_quantiles

    names = cfg["prior"].names
    for name, value in truth.items():
        i = names.index(name)
        lo, hi = weighted_quantiles(gen.particles[:, i], gen.weights, [0.05, 0.95])
        assert lo <= value <= hi, (name, lo, value, hi)
    # and the posterior is narrower than the prior for the well-informed parameter (attendance -> 236/290)
    i = names.index("salar.attend_prob.information")
    assert np.std(gen.particles[:, i]) < 0.5 * (0.4 - 0.03) / np.sqrt(12)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cal")
    out = tmp / "out"
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "calibrate", str(config(tmp)), "--out", str(out),
                          "--workers", "2", "--quiet"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return out, res.stdout


def test_calibrate_writes_posterior_report_and_calibrated_file(finished):
    out, stdout = finished
    for name in ("posterior.csv", "calibrated.yaml", "fit_report.md", "fit_report.csv", "patterns.csv",
                 "identifiability.csv", "posterior.png", "fit.png", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    assert "simulations" in stdout and "Identifiability" in stdout
    fit = pd.read_csv(out / "fit_report.csv")
    assert len(fit) == 5 and {"reported", "sim_median", "sim_p5", "sim_p95", "source"} <= set(fit.columns)
    ident = pd.read_csv(out / "identifiability.csv")
    assert set(ident["parameter"]) == {"structure.platform_hire_rate", "salar.attend_prob.information"}
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "complete" and man["simulations"] <= 200


def test_a_scenario_runs_over_posterior_draws(finished, tmp_path):
    out, _ = finished
    p = tmp_path / "s.yaml"
    p.write_text(f"name: c\ncalibration: {out / 'calibrated.yaml'}\nreplicates: 4\nseed: 2\n"
                 "variants: {{a: {{reference: true}}, b: {{}}}}\n".replace("{{", "{").replace("}}", "}"))
    sc = load(p)
    draws = yaml.safe_load((out / "calibrated.yaml").read_text())["draws"]
    for r in range(4):
        rate = sc.params("a", r)["structure"]["platform_hire_rate"]
        assert rate == sc.params("b", r)["structure"]["platform_hire_rate"]  # same draw in every variant
        assert rate in {d["params"]["structure"]["platform_hire_rate"] for d in draws}


def test_predict_forecasts_beyond_the_data(finished):
    out, _ = finished
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "predict", str(out), "--observable", "reach_any",
                          "--until", "2014-12", "--draws", "4", "--workers", "2"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "prediction_reach_any_national.csv")
    assert table["date"].iloc[-1] == "2014-12" and (table["p5"] <= table["median"]).all()
    assert (out / "prediction_reach_any_national.png").exists()
    assert "2014-12" in res.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "run.py"), "predict", str(out), "--observable", "nope"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_calibration_notebook_executes(finished, monkeypatch):
    from conftest import execute_notebook

    out, _ = finished
    monkeypatch.setenv("EBPSIM_CALIBRATION", str(out))
    outputs = execute_notebook("calibration.ipynb", ROOT)
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_predict_works_on_the_shipped_calibrated_file(tmp_path):
    """The shipped posterior (calibration/calibrated.yaml) is enough: no calibration folder needed."""
    out = tmp_path / "pred"
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "predict", str(ROOT / "calibration" / "calibrated.yaml"),
                          "--until", "2011-06", "--draws", "2", "--workers", "1", "--out", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "prediction_reach_any_national.csv")
    assert table["date"].iloc[-1] == "2011-06" and (table["draws"] == 2).all()
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    for wrong in (tmp_path / "nothing.yaml", ROOT / "calibration" / "config.yaml"):
        bad = subprocess.run([sys.executable, str(ROOT / "run.py"), "predict", str(wrong)], capture_output=True, text=True)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr and str(wrong.name) in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
