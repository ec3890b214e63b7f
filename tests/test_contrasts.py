"""Calibration v2 machinery without model runs: priors from the declared plausible ranges, the verdict on
each parameter, the paired design of the policy contrasts, and the variance attribution on analytic cases."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from calibration.abc import Generation
from calibration.config import load_config
from calibration.contrasts import attribute, between_variance, pairs, shares
from calibration.report import PINNED, PRIOR_DRIVEN, verdict
from sim.experiments.scenario import ScenarioError
from sim.parameters import flat_spec

ROOT = Path(__file__).resolve().parents[1]
BASE = {"targets": str(ROOT / "calibration" / "targets.yaml"), "scenario": str(ROOT / "scenarios" / "baseline.yaml"),
        "seed": 5, "free": ["rd.uptake", "rd.contacts_per_fte"]}
CONTRASTS = {"draws": 3, "seeds": 2, "value": "adoption_mean@2014-12", "compare": {
    "unit_minus_network": {"scenario": str(ROOT / "scenarios" / "unit_vs_network.yaml"), "of": "all_unit",
                           "minus": "all_network"}}}


def config(tmp_path, **changes):
    p = tmp_path / "config.yaml"
    p.write_text(yaml.safe_dump(json.loads(json.dumps(dict(BASE, **changes))), sort_keys=False), encoding="utf-8")
    return p


def test_shipped_config_frees_the_adoption_parameters_over_their_declared_ranges():
    cfg = load_config(ROOT / "calibration" / "config.yaml")
    prior, spec = cfg["prior"], flat_spec()
    assert {"rd.uptake", "rd.contacts_per_fte", "funding.commit_intercept", "funding.commit_statement"} <= set(prior.names)
    for n, lo, hi in zip(prior.names, prior.lo, prior.hi):
        assert (lo, hi) == spec[n].plausible, n  # the config cannot drift from sim/parameters.py
    c = cfg["contrasts"]
    assert c["draws"] >= 20 and c["seeds"] >= 2
    assert {(v["of"], v["minus"]) for v in c["compare"].values()} == {("all_unit", "all_network"),
                                                                       ("phased_takeover", "original_plan")}
    assert not cfg["scenario"].draws  # the calibration starts from the defaults, not from its own posterior


def test_free_forms_and_their_errors(tmp_path):
    cfg = load_config(config(tmp_path, free={"rd.uptake": "plausible", "leaders.uptake": {"uniform": [0.05, 0.1]}}))
    assert cfg["prior"].names == ["rd.uptake", "leaders.uptake"]
    assert list(cfg["prior"].lo) == [flat_spec()["rd.uptake"].plausible[0], 0.05]
    with pytest.raises(ScenarioError, match=r"free\.centres\.via_structure.*declares no plausible range"):
        load_config(config(tmp_path, free=["centres.via_structure"]))
    with pytest.raises(ScenarioError, match=r"free\.rd\.uptak.*did you mean 'rd\.uptake'"):
        load_config(config(tmp_path, free=["rd.uptak"]))
    with pytest.raises(ScenarioError, match=r"free\.rd\.uptake: 'wide' is not allowed"):
        load_config(config(tmp_path, free={"rd.uptake": "wide"}))


def test_contrast_config_errors_name_the_key(tmp_path):
    bad = json.loads(json.dumps(CONTRASTS))
    bad["compare"]["unit_minus_network"]["of"] = "all_units"
    with pytest.raises(ScenarioError, match=r"contrasts\.compare\.unit_minus_network\.of.*did you mean 'all_unit'"):
        load_config(config(tmp_path, contrasts=bad))
    with pytest.raises(ScenarioError, match=r"contrasts\.seeds: 1 is not allowed; expected a whole number >= 2"):
        load_config(config(tmp_path, contrasts=dict(CONTRASTS, seeds=1)))
    with pytest.raises(ScenarioError, match=r"contrasts\.value"):
        load_config(config(tmp_path, contrasts=dict(CONTRASTS, value="adoption_mean@2031-12")))


def test_contrast_pairs_share_draw_and_seed_and_differ_only_by_the_policy(tmp_path):
    cfg = load_config(config(tmp_path, contrasts=CONTRASTS))
    particles = np.array([[0.03, 0.2], [0.05, 0.3], [0.09, 0.45]])
    gen = Generation(0, 1.0, particles, np.full(3, 1 / 3), np.zeros(3), np.zeros((3, 1)), 3)
    jobs = pairs(cfg, gen)
    assert len(jobs) == 3 * 2 and len({j.seed for j in jobs}) == 6  # every draw x seed once, seeds distinct
    assert jobs == pairs(cfg, gen)  # fixed by the seed
    for j in jobs:
        assert j.of["rd"] == j.minus["rd"] and j.of["rd"]["uptake"] in particles[:, 0]
        assert {c["principle"] for c in j.of["county_overrides"].values()} == {"unit"}
        assert {c["principle"] for c in j.minus["county_overrides"].values()} == {"network"}


def test_verdict_thresholds():
    assert verdict(0.3, 0.49) == "pinned by the data"
    assert verdict(0.3, PINNED) == "partly constrained"  # both must be below 0.5
    assert verdict(0.79, 0.6) == "partly constrained"
    assert verdict(0.5, PRIOR_DRIVEN) == "prior-driven"  # either at 0.8 is enough
    assert verdict(1.0, 0.2) == "prior-driven"


def test_a_contrast_depending_on_one_parameter_only_gives_it_all_the_share():
    rng = np.random.default_rng(1)
    theta = rng.random((400, 3))
    y = np.repeat(5 * theta[:, [1]], 2, axis=1)  # no chance at all
    s, chance = shares(theta, y)
    # quantile bins of a uniform parameter keep 1 - 1/B^2 of a linear effect's variance (B = 10 here)
    assert s[1] == pytest.approx(1 - 1 / 100, abs=0.02) and chance == 0
    assert s[0] < 0.02 and s[2] < 0.02


def test_chance_share_matches_the_analytic_split():
    rng = np.random.default_rng(2)
    theta = rng.random((400, 2))
    noise = 0.5
    y = 5 * theta[:, [0]] + rng.normal(0, noise, (400, 2))
    s, chance = shares(theta, y)
    expected = noise ** 2 / (25 / 12 + noise ** 2)  # Var(5 U) = 25/12
    assert chance == pytest.approx(expected, abs=0.03)
    assert s[0] == pytest.approx(1 - expected, abs=0.05) and s[1] < 0.03
    table = attribute(theta, y, ["a", "b"], resamples=50)
    assert list(table["parameter"][:2]) == ["a", "b"] and table["share_p5"][0] < table["share"][0] < table["share_p95"][0]
    assert table["share"].iloc[-1] == pytest.approx(1 - s.sum() - chance)


def test_between_variance_of_pure_noise_is_near_zero_and_of_a_step_is_its_variance():
    rng = np.random.default_rng(3)
    x = rng.random(2000)
    assert abs(between_variance(x, rng.normal(0, 1, 2000), 10)) < 0.05
    step = (x > 0.5).astype(float)  # variance 1/4, exactly resolved by an even number of quantile bins
    assert between_variance(x, step, 10) == pytest.approx(0.25, abs=0.01)


@pytest.mark.slow  # 16 short model runs
def test_contrast_runs_are_the_same_with_one_or_two_workers(tmp_path):
    from calibration.contrasts import run_contrasts
    from calibration.report import identifiability

    cfg = load_config(config(tmp_path, contrasts=dict(CONTRASTS, draws=2, value="adoption_mean@2010-04")))
    gen = Generation(0, 1.0, np.array([[0.03, 0.2], [0.09, 0.45]]), np.full(2, 0.5), np.zeros(2), np.zeros((2, 1)), 2)
    ident = identifiability(gen, cfg["prior"])
    tables = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        tables.append(run_contrasts(cfg, gen, ident, out, workers=workers, progress=False))
    assert tables[0]["contrast_runs"].equals(tables[1]["contrast_runs"])
    assert (tmp_path / "w1" / "contrast_runs.csv").read_bytes() == (tmp_path / "w2" / "contrast_runs.csv").read_bytes()
    assert len(tables[0]["contrast_runs"]) == 4 and not tables[0]["contrast_failures"]
