"""Named scenario variants ("levers"): the organising principles and funding schedules an analyst compares.

Each variant is a layer in the format of a scenario file's ``variants`` (``scenarios/README.md``), so county
groups (``all``, ``big_city``, ``small``, ...) mean exactly what they mean there. The live app
(``sim/views/app.py``), sensitivity configs (``variants: {name: all_unit}``) and Python users
(``sim.evaluate(variant("original_plan"))``) take them from here by name.
"""

from __future__ import annotations

import copy

from .scenario import _suggest

VARIANTS: dict[str, dict] = {
    "as_reported": {},  # the model's defaults: the 2012 principles and the phased take-over
    # ---- organising principle of the regional structures (seed 004: enhets- / nätverksprincipen)
    "all_unit": {"counties": {"all": {"principle": "unit"}}},
    "all_network": {"counties": {"all": {"principle": "network"}}},
    "unit_big_city": {"counties": {"big_city": {"principle": "unit"}}},
    "network_big_city": {"counties": {"big_city": {"principle": "network"}}},
    "no_structures": {"counties": {"all": {"structure": False}}},
    # ---- who pays after the state grants (seed 004 'Frågan om långsiktigt åtagande')
    "phased_takeover": {},  # 25 % 2014, 50 % 2015, 100 % from 2016: the defaults
    "original_plan": {"funding": {"state_share": {2013: 0.0}, "announced": "2011-01"}},
    "state_continues": {"funding": {"state_share": {2014: 1.0}}},
}


def variant(name: str) -> dict:
    """The overrides of a named variant (a copy), in the scenario-file format that `sim.evaluate` takes."""
    if name not in VARIANTS:
        raise KeyError(f"unknown variant {name!r}; expected one of {', '.join(VARIANTS)}{_suggest(name, VARIANTS)}")
    return copy.deepcopy(VARIANTS[name])


# The app's levers: the label shown to an audience -> the named variant above.
PRINCIPLES = {
    "as reported (2012)": "as_reported",
    "unit principle everywhere": "all_unit",
    "network principle everywhere": "all_network",
    "unit in the big-city counties": "unit_big_city",
    "network in the big-city counties": "network_big_city",
}
TAKEOVERS = {
    "take-over 2014-16 (reported)": "phased_takeover",
    "state money ends 2012 (first plan)": "original_plan",
    "state keeps paying": "state_continues",
}
