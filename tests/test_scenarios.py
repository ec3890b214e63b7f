"""Scenario files: every class of bad input gets one clear message; shipped scenarios validate."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.experiments.scenario import ScenarioError, load, parse
from sim.experiments.schema import scenario_schema

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
GOOD = """
name: t
replicates: 2
variants:
  a: {reference: true}
  b: {providers: {pass_on_rate: 0.02}}
"""


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def error_of(tmp_path, text):
    with pytest.raises(ScenarioError) as e:
        load(write(tmp_path, text))
    return str(e.value)


def test_shipped_scenarios_validate():
    assert {p.stem for p in SCENARIOS} >= {"baseline", "unit_vs_network", "phaseout", "providers", "centres"}
    for p in SCENARIOS:
        sc = load(p)
        assert sc.description.strip(), p
        for v in sc.variants:
            sc.params(v)


def test_schema_file_is_current():
    shipped = json.loads((ROOT / "scenarios" / "schema.json").read_text(encoding="utf-8"))
    assert shipped == scenario_schema(), "run: python run.py schema > scenarios/schema.json"


def test_unknown_key_with_did_you_mean(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("pass_on_rate", "pass_on_rat"))
    assert "s.yaml" in msg and "variants.b.providers.pass_on_rat" in msg and "did you mean 'pass_on_rate'" in msg


def test_unknown_top_level_key(tmp_path):
    msg = error_of(tmp_path, GOOD + "replicate: 3\n")
    assert "replicate" in msg and "did you mean 'replicates'" in msg


def test_wrong_type(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("replicates: 2", "replicates: many"))
    assert "replicates" in msg and "'many'" in msg and "whole number" in msg


def test_share_above_one(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("0.02", "1.5"))
    assert "variants.b.providers.pass_on_rate" in msg and "1.5" in msg and "from 0 to 1" in msg


def test_negative_money(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("providers: {pass_on_rate: 0.02}", "leaders: {cost_msek_per_fte: -1}"))
    assert "cost_msek_per_fte" in msg and "-1" in msg


def test_state_share_schedule_checked(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("providers: {pass_on_rate: 0.02}", "funding: {state_share: {2014: 1.2}}"))
    assert "funding.state_share.2014" in msg and "share from 0 to 1" in msg


def test_unknown_county_or_group(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("providers: {pass_on_rate: 0.02}", "counties: {Lapland: {principle: unit}}"))
    assert "variants.b.counties.Lapland" in msg and "big_city" in msg
    msg = error_of(tmp_path, GOOD.replace("providers: {pass_on_rate: 0.02}", "counties: {big_cty: {principle: unit}}"))
    assert "did you mean 'big_city'" in msg


def test_bad_county_setting(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("providers: {pass_on_rate: 0.02}", "counties: {Skåne: {principle: hub}}"))
    assert "variants.b.counties.Skåne.principle" in msg and "unit, network" in msg


def test_reference_missing_or_twice(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("{reference: true}", "{}"))
    assert "variants" in msg and "reference: true" in msg and "none" in msg
    msg = error_of(tmp_path, GOOD.replace("b: {providers", "b: {reference: true, providers"))
    assert "found 2" in msg


def test_empty_file(tmp_path):
    assert "empty" in error_of(tmp_path, "")


def test_yaml_syntax_error_names_the_line(tmp_path):
    msg = error_of(tmp_path, "name: t\nvariants:\n  a: {reference: true\n  b: {}\n")
    assert "line 4" in msg or "line 3" in msg


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load(tmp_path / "nope.yaml")


def test_python_tags_are_refused(tmp_path):
    msg = error_of(tmp_path, "name: !!python/object/apply:os.system ['echo hi']\nvariants: {a: {reference: true}}\n")
    assert "valid YAML" in msg


def test_groups_expand_and_named_county_beats_its_group():
    sc = parse({"name": "g", "variants": {"a": {"reference": True, "counties": {
        "big_city": {"principle": "unit"}, "Skåne": {"principle": "network"}}}}})
    co = sc.params("a")["county_overrides"]
    assert co["01"]["principle"] == "unit" and co["14"]["principle"] == "unit" and co["12"]["principle"] == "network"
    assert "03" not in co


def test_validate_command_exit_codes(tmp_path):
    bad = write(tmp_path, GOOD.replace("0.02", "2"))
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "validate", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr and "pass_on_rate" in res.stderr
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "validate", *map(str, SCENARIOS)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_bad_scenario_writes_nothing(tmp_path):
    bad = write(tmp_path, GOOD.replace("0.02", "2"))
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), str(bad), "--out", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert not out.exists()


def test_a_large_yaml_file_read_again_comes_from_the_cache_and_refusals_stay(tmp_path, monkeypatch):
    """sim/experiments/yamlfile.py keeps what it made of a large file (the calibrated parameter file): read
    again, the same value without parsing; a damaged cache entry is ignored; a refused file is refused again."""
    from sim.experiments import yamlfile

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    text = (ROOT / "calibration" / "calibrated.yaml").read_text(encoding="utf-8")
    assert len(text) >= yamlfile.CACHE_FROM
    parsed = yamlfile.load(text)
    assert yamlfile.load_cached(text) == parsed  # parsed, and kept
    (entry,) = (tmp_path / "cache" / "ebpsim" / "yaml").glob("*.marshal")
    real = yamlfile.load
    monkeypatch.setattr(yamlfile, "load", lambda t: pytest.fail("parsed again"))
    assert yamlfile.load_cached(text) == parsed
    entry.write_bytes(b"\x00damaged")
    monkeypatch.setattr(yamlfile, "load", real)
    assert yamlfile.load_cached(text) == parsed
    bad = text + "seed: 1\n"  # the file's own `seed:` given twice
    for _ in range(2):
        with pytest.raises(yamlfile.StrictLoadError, match="'seed' appears twice"):
            yamlfile.load_cached(bad)


def test_a_bad_posterior_draw_is_named_by_its_place(tmp_path):
    """Each draw of a calibrated parameter file is checked against the parameters (posterior.load_draws):
    an unknown key, a value out of its range, a value where a section is expected, named by draw and key."""
    import yaml

    ok = {"weight": 1.0, "params": {"providers": {"pass_on_rate": 0.1}, "salar": {"attend_prob": {"information": 0.3}}}}
    for bad, where in (({"providers": {"nope": 1}}, "draws[1].params.providers.nope"),
                       ({"providers": {"pass_on_rate": 7.0}}, "draws[1].params.providers.pass_on_rate"),
                       ({"salar": {"attend_prob": 0.3}}, "draws[1].params.salar.attend_prob"),
                       ({"nope": {"x": 1}}, "draws[1].params.nope")):
        (tmp_path / "cal.yaml").write_text(yaml.safe_dump({"draws": [ok, {"weight": 1.0, "params": bad}]}))
        msg = error_of(tmp_path, GOOD + "calibration: cal.yaml\n")
        assert where in msg and "cal.yaml" in msg, msg
    (tmp_path / "cal.yaml").write_text(yaml.safe_dump({"draws": [ok, ok]}))
    assert len(load(write(tmp_path, GOOD + "calibration: cal.yaml\n")).draws) == 2
