"""Parameters: checked overrides, and every one documented in docs/ODD.md."""

import re
from pathlib import Path

import pytest

from sim import EBPModel, ParameterError
from sim.parameters import defaults, flat_spec, merge

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def test_unknown_key_names_its_path():
    with pytest.raises(ParameterError, match=r"leaders\.upptake"):
        merge(defaults(), {"leaders": {"upptake": 0.1}})


def test_share_above_one_is_refused():
    with pytest.raises(ParameterError, match=r"providers\.pass_on_rate.*from 0 to 1"):
        merge(defaults(), {"providers": {"pass_on_rate": 1.5}})


def test_wrong_choice_is_refused():
    with pytest.raises(ParameterError, match="unit, network"):
        merge(defaults(), {"county_overrides": {"Skåne": {"principle": "hub"}}})


def test_unknown_county_is_refused():
    with pytest.raises(ParameterError, match="Atlantis"):
        EBPModel(seed=1, params={"county_overrides": {"Atlantis": {"principle": "unit"}}})


def test_unknown_channel_is_refused():
    with pytest.raises(ParameterError, match="channels.radio"):
        merge(defaults(), {"channels": {"radio": False}})


def test_counties_are_found_by_code_or_name():
    a = EBPModel(seed=1, params={"county_overrides": {"12": {"principle": "unit"}}})
    b = EBPModel(seed=1, params={"county_overrides": {"skåne": {"principle": "unit"}}})
    assert a.structures[10].principle == b.structures[10].principle == "unit"


def test_every_parameter_is_in_the_odd_with_its_source():
    text = ODD.read_text(encoding="utf-8")
    for path, spec in flat_spec().items():
        assert f"`{path}`" in text, f"{path} missing from docs/ODD.md"
        assert spec.source, path
    for key in ("principle", "meeting_places", "decision_paths", "anchoring", "areas", "meetings_per_year"):
        assert f"`{key}`" in text


def test_sources_name_a_report_or_say_assumption():
    for path, spec in flat_spec().items():
        assert re.search(r"seed 00\d|BRIEF|assumption|issue #|seed 00", spec.source), (path, spec.source)


def test_odd_parameter_table_is_current():
    from sim.parameters import markdown_table

    assert markdown_table() in ODD.read_text(encoding="utf-8"), "run: python docs/update_parameters.py"
