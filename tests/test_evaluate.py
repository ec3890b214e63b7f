"""sim.evaluate: the Python entry for the EMA Workbench, SALib and Optuna (sim/experiments/evaluate.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import sim
from sim.experiments.ensemble import model_shape, run_ensemble
from sim.experiments.evaluate import nest, parse_outcome
from sim.experiments.levers import PRINCIPLES, TAKEOVERS, VARIANTS, variant
from sim.experiments.scenario import ScenarioError, parse
from sim.experiments.store import Store
from sim.observables import OBSERVABLES

SHORT = {"start": "2010-01", "end": "2010-10"}


def test_evaluate_gives_the_numbers_of_the_scenario_runner(tmp_path):
    """Same seed and parameters as a scenario file's variant: the same values as the ensemble's run array."""
    sc = parse({"name": "t", "period": SHORT, "seed": 7, "replicates": 1,
                "base": {"leaders": {"uptake": 0.12}},
                "variants": {"ref": {"reference": True}, "net": {"counties": {"big_city": {"principle": "network"}}}}})
    run_ensemble(sc, tmp_path, workers=1, progress=False)
    store = Store(tmp_path, sc, model_shape(sc))
    outcomes = ["adoption_mean@2010-10", "reach_any@2010-06:Stockholm", "development_leaders@2010-10:Skåne"]
    got = sim.evaluate({**SHORT, "leaders.uptake": 0.12, "counties": {"big_city": {"principle": "network"}}},
                       outcomes, seed=7)
    arr = store.array("net", mode="r")[0]
    names = list(OBSERVABLES)
    expected = [arr[9, 0, names.index("adoption_mean")], arr[5, parse_outcome(outcomes[1]).place, names.index("reach_any")],
                arr[9, parse_outcome(outcomes[2]).place, names.index("development_leaders")]]
    assert [np.float32(got[o]) for o in outcomes] == expected  # the store keeps float32
    assert got["adoption_mean@2010-10"] > 0


def test_dotted_keys_nested_dicts_and_county_groups_agree():
    a = nest({"leaders.uptake": 0.1, "counties.big_city.principle": "network", "funding": {"state_share": {2014: 1.0}}})
    b = nest({"leaders": {"uptake": 0.1}, "counties": {"big_city": {"principle": "network"}},
              "funding.state_share": {2014: 1.0}})
    assert a == b == {"leaders": {"uptake": 0.1}, "counties": {"big_city": {"principle": "network"}},
                      "funding": {"state_share": {2014: 1.0}}}
    with pytest.raises(ScenarioError, match="given once"):
        nest({"leaders.uptake": 0.1, "leaders": {"uptake": 0.2}})


def test_named_outcomes_and_places():
    assert parse_outcome("adoption_mean@2020-12").place == 0
    assert parse_outcome("reach_any@2014-12:national").place == 0
    sthlm = parse_outcome("reach_any@2014-12:Stockholm").place
    assert sthlm == parse_outcome("reach_any@2014-12:01").place == parse_outcome("reach_any@2014-12:stockholms län").place >= 1


@pytest.mark.parametrize("kwargs, words", [
    ({"params": {"leaders.uptak": 0.1}}, ["leaders.uptak", "did you mean 'uptake'"]),
    ({"params": {"leaders.uptake": 2}}, ["leaders.uptake", "from 0 to 1"]),
    ({"params": {"counties.big_cty.principle": "unit"}}, ["counties.big_cty", "did you mean 'big_city'"]),
    ({"outcomes": ["adoptin_mean@2020-12"]}, ["did you mean 'adoption_mean'"]),
    ({"outcomes": ["adoption_mean@2020-13"]}, ["YYYY-MM"]),
    ({"outcomes": ["adoption_mean@2020-12:Stockholmm"]}, ["did you mean 'Stockholm'"]),
    ({"params": {"end": "2012-12"}, "outcomes": ["adoption_mean@2020-12"]}, ["within the period"]),
])
def test_bad_input_says_what_is_allowed(kwargs, words):
    with pytest.raises(ScenarioError) as e:
        sim.evaluate(**kwargs)
    for w in words:
        assert w in str(e.value)


def test_levers_are_importable_by_name_and_are_the_apps():
    assert variant("all_network") == {"counties": {"all": {"principle": "network"}}}
    assert variant("original_plan") is not VARIANTS["original_plan"]  # a copy: callers may change it
    assert TAKEOVERS["state money ends 2012 (first plan)"] == "original_plan"
    assert PRINCIPLES["network in the big-city counties"] == "network_big_city"
    assert set(PRINCIPLES.values()) | set(TAKEOVERS.values()) <= set(VARIANTS)
    with pytest.raises(KeyError, match="did you mean 'all_unit'"):
        variant("all_units")
    for name in VARIANTS:  # every lever is a valid scenario variant
        parse({"name": "t", "variants": {name: {"reference": True, **variant(name)}}})


def test_importing_the_model_does_not_load_the_experiments():
    code = "import sys, sim; assert 'sim.experiments' not in sys.modules; sim.evaluate; assert 'sim.experiments' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
