"""run.py sensitivity: known indices through the same machinery, unused parameters, reproducibility across
workers, resume, and bad configs (sim/experiments/sensitivity*.py)."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import run
from sim.experiments.sensitivity import run_analysis
from sim.experiments.sensitivity_config import parse_config

ROOT = Path(__file__).resolve().parent.parent
FOUR = {"leaders.uptake": [0, 1], "peers.q": [0, 1], "rd.uptake": [0, 1], "university.uptake": [0, 1]}
ISHIGAMI = {"name": "ishigami", "period": {"start": "2010-01", "end": "2010-02"}, "variants": {"base": "as_reported"},
            "outcomes": {"y": {"value": "adoption_mean@2010-02"}}, "parameters": {"include": "none", "ranges": FOUR}}
# a short model run: three parameters, two variants; funding.commit_persistence acts only at the counties'
# decisions of 2013, so in 2010 the model does not use it
SMALL = {"name": "small", "period": {"start": "2010-01", "end": "2010-09"}, "seed": 3,
         "variants": {"as_reported": "as_reported", "all_network": "all_network"},
         "outcomes": {"adoption": {"of": "as_reported", "value": "adoption_mean@2010-09"},
                      "reported_minus_network": {"of": "as_reported", "minus": "all_network", "value": "adoption_mean@2010-09"}},
         "parameters": {"include": "none", "ranges": {"leaders.uptake": [0.02, 0.2], "peers.q": [0.0, 0.5],
                                                      "funding.commit_persistence": [0.0, 0.2]}},
         "method": {"name": "morris+sobol", "trajectories": 2, "levels": 4, "top": 2, "samples": 4, "resamples": 50}}


def test_ishigami_sobol_indices_within_their_intervals(tmp_path):
    """The Ishigami function's known indices (S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244) come out of the
    designs, storage and analysis used for the model; a fourth, unused parameter gets 0."""
    cfg = parse_config({**ISHIGAMI, "method": {"name": "sobol", "samples": 256, "resamples": 100}}, "ishigami.yaml")
    t = run_analysis(cfg, tmp_path, progress=False, simulator="ishigami")["results"]["sobol"]["tables"]["y"]
    t = t.set_index("parameter")
    for p, s1, st in zip(FOUR, (0.314, 0.442, 0.0, 0.0), (0.558, 0.442, 0.244, 0.0)):
        assert abs(t.S1[p] - s1) <= max(1.5 * t.S1_conf[p], 0.02), (p, t.S1[p], t.S1_conf[p])
        assert abs(t.ST[p] - st) <= max(1.5 * t.ST_conf[p], 0.02), (p, t.ST[p], t.ST_conf[p])
    assert t.ST["university.uptake"] == 0
    assert (tmp_path / "sobol.csv").exists() and (tmp_path / "plots" / "sobol_y.png").exists()


def test_ishigami_morris_ranking(tmp_path):
    cfg = parse_config({**ISHIGAMI, "method": {"name": "morris", "trajectories": 20, "levels": 4}}, "ishigami.yaml")
    t = run_analysis(cfg, tmp_path, progress=False, simulator="ishigami")["results"]["morris"]["tables"]["y"]
    mu = dict(zip(t.parameter, t.mu_star))
    assert min(mu["leaders.uptake"], mu["peers.q"]) > mu["rd.uptake"] > mu["university.uptake"] == 0


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    """The small model analysis on one worker (Python API) and on two (the command line)."""
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two") / "out"
    cfg = parse_config(copy.deepcopy(SMALL), "small.yaml")
    res = run_analysis(cfg, one, workers=1, progress=False)
    cfg_file = tmp_path_factory.mktemp("cfg") / "small.yaml"
    cfg_file.write_text(yaml.safe_dump(SMALL, sort_keys=False), encoding="utf-8")
    assert run.main(["sensitivity", str(cfg_file), "--out", str(two), "--workers", "2", "--quiet"]) == 0
    return res, one, two, cfg_file


def test_a_parameter_the_model_does_not_use_has_no_effect(small_runs):
    res, one, *_ = small_runs
    for o, t in res["results"]["morris"]["tables"].items():
        t = t.set_index("parameter")
        assert t.mu_star["funding.commit_persistence"] == 0 and t.sigma["funding.commit_persistence"] == 0
    adoption = res["results"]["morris"]["tables"]["adoption"].set_index("parameter")
    assert adoption.mu_star["leaders.uptake"] > 0  # hands-on support moves municipalities to using
    assert res["results"]["morris"]["top"][0] == "leaders.uptake"
    assert "funding.commit_persistence" not in res["results"]["sobol"]["names"]


def test_one_and_two_workers_give_identical_indices(small_runs):
    _, one, two, _ = small_runs
    for name in ("morris.csv", "sobol.csv", "draws.csv", "robustness.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(one / name), pd.read_csv(two / name))
    for f in ("report.md", "manifest.json", "plots/morris_adoption.png", "plots/sobol_reported_minus_network.png"):
        assert (two / f).exists()


def test_resume_equals_uninterrupted_and_refuses_a_changed_config(small_runs, tmp_path, capsys):
    _, one, two, cfg_file = small_runs
    part = tmp_path / "part"
    shutil.copytree(two, part)
    for name in ("morris.csv", "sobol.csv", "draws.csv", "robustness.csv", "report.md"):
        (part / name).unlink()
    done = sorted((part / "rows" / "done").iterdir())
    for m in done[::3]:  # as if killed: some draws of each stage never finished
        m.unlink()
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump({**SMALL, "seed": 4}, sort_keys=False), encoding="utf-8")
    assert run.main(["sensitivity", str(changed), "--resume", str(part), "--quiet"]) == 2
    assert "differs from the config" in capsys.readouterr().err
    assert run.main(["sensitivity", "--resume", str(part), "--workers", "1", "--quiet"]) == 0
    for name in ("morris.csv", "sobol.csv", "draws.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(one / name), pd.read_csv(part / name))


def test_robustness_table_reports_the_share_of_draws(small_runs):
    _, one, *_ = small_runs
    rob = pd.read_csv(one / "robustness.csv").set_index("outcome")
    draws = pd.read_csv(one / "draws.csv")
    draws = draws[draws["stage"] == "morris"]  # the draws that move every parameter
    share = float((draws["reported_minus_network"] > 0).mean())
    assert rob.loc["reported_minus_network", "share_variant_beats_reference"] == pytest.approx(share)
    assert rob.loc["reported_minus_network", "draws"] == len(draws)


def test_prim_box_finds_the_condition_where_a_variant_loses():
    from sim.experiments.sensitivity_analysis import robustness

    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((400, 3)), columns=["a", "b", "c"])
    x["contrast"] = np.where(x["b"] > 0.7, -1.0, 1.0)  # the variant loses only where b is high
    row, boxes = robustness(x, ["a", "b", "c"], "contrast")
    assert row["share_variant_beats_reference"] == pytest.approx((x["b"] <= 0.7).mean())
    assert list(boxes["parameter"]) == ["b"] and boxes["low"].iloc[0] == pytest.approx(0.7, abs=0.05)


BAD = [
    ({"parameters": {"ranges": {"leaders.uptak": [0, 1]}}}, "parameters.ranges.leaders.uptak", "did you mean 'leaders.uptake'"),
    ({"parameters": {"ranges": {"leaders.uptake": [0, 2]}}}, "parameters.ranges.leaders.uptake", "within the parameter's bounds [0, 1]"),
    ({"outcomes": {"y": {"of": "as_reported", "value": "adoptin_mean@2010-09"}}}, "outcomes.y.value", "did you mean 'adoption_mean'"),
    ({"outcomes": {"y": {"of": "as_reportd", "value": "adoption_mean@2010-09"}}}, "outcomes.y.of", "did you mean 'as_reported'"),
    ({"variants": {"a": "all_units"}}, "variants.a", "did you mean 'all_unit'"),
    ({"method": {"name": "morris", "trajectories": 1}}, "method.trajectories", "a whole number >= 2"),
    ({"method": {"name": "sobol", "samples": 6}}, "method.samples", "a power of two"),
    ({"method": {"name": "fast"}}, "method.name", "morris, sobol, morris+sobol"),
]


@pytest.mark.parametrize("change, key, words", BAD)
def test_bad_config_one_message_exit_2_nothing_written(change, key, words, tmp_path, capsys):
    data = {**copy.deepcopy(SMALL), **change}
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    assert run.main(["sensitivity", str(f), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(f) in err and key in err and words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_shipped_config_is_valid():
    from sim.experiments.sensitivity import total_runs
    from sim.experiments.sensitivity_config import load_config

    cfg = load_config(ROOT / "sensitivity" / "decisive_assumptions.yaml")
    assert {o.name for o in cfg.outcomes} == {"adoption_2020", "unit_minus_network", "phased_minus_original"}
    # 4.55 runs/s measured on two cores (sensitivity/decisive_assumptions.md): at most 5,000 runs stay under 20 minutes
    assert len(cfg.names) > 50 and total_runs(cfg) <= 5000


def test_shipped_sobol_config_is_the_design_the_speed_goal_was_set_for():
    """sensitivity/sobol_adoption.yaml: Sobol indices of 20 assumptions at N = 1,024 (issue "Speed for the
    science"), after Morris screening of every assumption to choose them."""
    from sim.experiments.sensitivity import total_runs
    from sim.experiments.sensitivity_config import load_config

    cfg = load_config(ROOT / "sensitivity" / "sobol_adoption.yaml")
    assert [o.name for o in cfg.outcomes] == ["adoption_2020"] and cfg.method["top"] == 20
    assert total_runs(cfg) == 4 * (len(cfg.names) + 1) + 1024 * (20 + 2)


def test_ema_workbench_notebook_executes():
    """notebooks/ema_workbench.ipynb: ebpsim driven by the EMA Workbench, PRIM on a paired contrast."""
    from conftest import execute_notebook

    outputs = execute_notebook("ema_workbench.ipynb", ROOT)
    text = "".join(o.get("text", "") for o in outputs)
    assert "unit beats network in" in text and "PRIM box of the scenarios" in text


def test_sobol_stage_takes_each_outcomes_most_influential_in_turn():
    from sim.experiments.sensitivity_analysis import top_parameters

    a = pd.DataFrame({"parameter": ["p", "q", "r", "s"], "mu_star": [4.0, 3.0, 2.0, 0.0]})
    b = pd.DataFrame({"parameter": ["p", "q", "r", "s"], "mu_star": [0.0, 0.01, 0.0, 0.02]})
    assert top_parameters({"a": a, "b": b}, 3) == ["p", "s", "q"]  # b's leader counts though its effects are small


def test_one_writer_per_sensitivity_folder(tmp_path, capsys):
    from sim.experiments.store import Claim

    f = tmp_path / "small.yaml"
    f.write_text(yaml.safe_dump(SMALL, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    holder = Claim(out, fresh=True, what="sensitivity folder")  # another writer holds the folder ...
    Claim.held.remove(holder)  # ... as if in another process: this command's error boundary must not touch it
    try:
        assert run.main(["sensitivity", str(f), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "is being written by" in err and "Traceback" not in err
        assert out.is_dir() and not (out / "manifest.json").exists()  # the holder's folder is left alone
    finally:
        holder.release()


def test_the_shipped_summary_is_of_the_model_as_it_stands():
    """README and ODD quote sensitivity/decisive_assumptions.md: it names the fingerprint of the model analysed,
    and a change that moves the model's outputs must come with the analysis run again."""
    from sim.experiments.manifest import model_fingerprint

    text = (Path(__file__).resolve().parents[1] / "sensitivity" / "decisive_assumptions.md").read_text(encoding="utf-8")
    quoted = re.search(r"fingerprint is\s+`([0-9a-f]{64})`", text)
    assert quoted, "sensitivity/decisive_assumptions.md names no model fingerprint"
    assert quoted.group(1) == model_fingerprint(), (
        "sensitivity/decisive_assumptions.md is of a model whose outputs differ from this one's: run "
        "python run.py sensitivity sensitivity/decisive_assumptions.yaml again (about 8 minutes on two cores) and "
        "update the summary, with its fingerprint (report.md gives it), and what README.md and docs/ODD.md quote")


def test_the_report_names_the_model_analysed(small_runs):
    from sim.experiments.manifest import model_fingerprint, read_manifest

    _, one, two, _ = small_runs
    fp = model_fingerprint()
    for folder in (one, two):
        assert f"Model fingerprint `{fp}`" in (folder / "report.md").read_text(encoding="utf-8")
        assert read_manifest(folder)["model_fingerprint"] == fp
