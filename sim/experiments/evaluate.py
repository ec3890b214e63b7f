"""The Python entry for tools that drive a model as a function (EMA Workbench, SALib, Optuna).

    >>> import sim
    >>> sim.evaluate({"leaders.uptake": 0.1, "counties": {"big_city": {"principle": "network"}}},
    ...              ["adoption_mean@2020-12", "reach_any@2014-12:Stockholm"], seed=1)
    {'adoption_mean@2020-12': 0.31..., 'reach_any@2014-12:Stockholm': 0.96...}

Parameters are overrides in the scenario-file format (``scenarios/README.md``): nested mappings or flat
dotted keys (``leaders.uptake``, the form ``calibration/config.yaml`` uses), county settings under
``counties`` with the same county names and groups (``all``, ``big_city``, ...), channels under
``channels``, and ``start``/``end`` for the period. They are checked by the scenario module, so a bad key or
value raises `ScenarioError` with the same message a scenario file would give.

An outcome is ``OBSERVABLE@YYYY-MM`` (national) or ``OBSERVABLE@YYYY-MM:PLACE`` with PLACE ``national`` or a
county (code, English or Swedish name). The run stops at the last month any outcome asks for: the months up
to it do not depend on the end of the period, so the numbers are those of the full run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..country import read_csv
from ..observables import OBSERVABLES
from .scenario import MONTH, ScenarioError, _unknown, county_names, parse

OUTCOME = re.compile(r"^(?P<observable>[A-Za-z_]+)@(?P<month>[^:]+)(?::(?P<place>.+))?$")
OUTCOME_FORM = "OBSERVABLE@YYYY-MM or OBSERVABLE@YYYY-MM:PLACE, e.g. adoption_mean@2020-12 or reach_any@2014-12:Stockholm"


@dataclass(frozen=True)
class Outcome:
    """One scalar of a run: an observable at the end of a month, for the nation or one county."""

    name: str
    observable: str
    month: str
    place: int  # 0 = national, 1..21 = counties in code order (the run array's place axis)


def place_index() -> dict[str, int]:
    """Every accepted place name (lower case) -> index on the run array's place axis."""
    names = county_names()
    codes = sorted(set(names.values()))
    out = {name: codes.index(code) + 1 for name, code in names.items()}
    out["national"] = 0
    return out


def parse_outcome(name, file="sim.evaluate", path="outcomes") -> Outcome:
    """Read an outcome name; a bad one raises ScenarioError naming what is allowed."""
    m = OUTCOME.match(name) if isinstance(name, str) else None
    if not m:
        raise ScenarioError(file, path, name, OUTCOME_FORM)
    obs, month, place = m["observable"], m["month"], m["place"] or "national"
    if obs not in OBSERVABLES:
        _unknown(file, path, obs, list(OBSERVABLES))
    if not MONTH.match(month):
        raise ScenarioError(file, path, name, "a month as YYYY-MM after the @, e.g. " + OUTCOME_FORM.split(", e.g. ")[1])
    places = place_index()
    if place.lower() not in places:
        _unknown(file, path, place, ["national"] + [c["county"] for c in read_csv("counties.csv")])
    return Outcome(name, obs, month, places[place.lower()])


def nest(params: dict | None, file="sim.evaluate") -> dict:
    """Flat dotted keys and nested mappings -> one nested mapping (the scenario-file form)."""
    out: dict = {}
    for path, value in _leaves(params or {}, ()):
        d = out
        for i, part in enumerate(path[:-1]):
            d = d.setdefault(part, {})
            if not isinstance(d, dict):
                raise ScenarioError(file, ".".join(map(str, path[:i + 1])), d, "each parameter given once")
        if path[-1] in d:
            raise ScenarioError(file, ".".join(map(str, path)), value,
                                "each parameter given once (dotted and nested forms overlap)")
        d[path[-1]] = value
    return out


def _leaves(d: dict, prefix: tuple):
    """(key path, value) of every setting; a year -> share schedule is one value."""
    for key, value in d.items():
        path = prefix + (tuple(key.split(".")) if isinstance(key, str) else (key,))
        if isinstance(value, dict) and value and not _is_schedule(value):
            yield from _leaves(value, path)
        else:
            yield path, value


def _is_schedule(d: dict) -> bool:
    return bool(d) and all(str(k).isdigit() for k in d)


def model_params(params: dict | None = None, end: str | None = None, file="sim.evaluate") -> dict:
    """Checked model overrides for `params` (see module doc), with county groups expanded."""
    layer = nest(params, file)
    period = {k: str(layer.pop(k)) for k in ("start", "end") if k in layer}
    if end is not None and "end" not in period:
        period["end"] = end
    try:
        scenario = parse({"name": "evaluate", "period": period, "variants": {"run": {"reference": True, **layer}}}, file)
    except ScenarioError as e:  # name the key as the caller wrote it, not as the scenario wrapper holds it
        path = e.path.replace("variants.run: ", "").replace("variants.run.", "").replace("period.", "")
        raise ScenarioError(e.file, path, e.value, e.allowed) from None
    return scenario.params("run")


def month_index(start: str, month: str) -> int:
    return (int(month[:4]) - int(start[:4])) * 12 + int(month[5:7]) - int(start[5:7])


def read_outcomes(values: np.ndarray, outcomes: Iterable[Outcome], start: str) -> list[float]:
    """The outcomes' values from a run's observables array (months, places, observables)."""
    names = list(OBSERVABLES)
    return [float(values[month_index(start, o.month), o.place, names.index(o.observable)]) for o in outcomes]


def check_months(outcomes: list[Outcome], start: str, end: str, file="sim.evaluate", path="outcomes") -> None:
    for o in outcomes:
        if not start <= o.month <= end:
            raise ScenarioError(file, path, o.name, f"a month within the period {start} to {end}")


def evaluate(params: dict | None = None, outcomes: Iterable[str] | str = ("adoption_mean@2020-12",),
             seed: int = 1) -> dict[str, float]:
    """Run the model once with `params` and `seed`; return {outcome name: value}. See the module doc."""
    from ..model import EBPModel

    if isinstance(outcomes, str):
        outcomes = [outcomes]
    parsed = [parse_outcome(o) for o in outcomes]
    if not parsed:
        raise ScenarioError("sim.evaluate", "outcomes", [], "at least one outcome: " + OUTCOME_FORM)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError("sim.evaluate", "seed", seed, "a whole number >= 0")
    full = model_params(params)
    check_months(parsed, full["start"], full["end"])
    run = dict(full, end=max(o.month for o in parsed))  # later months cannot change earlier ones
    model = EBPModel(seed=int(seed), params=run).run()
    return dict(zip((o.name for o in parsed), read_outcomes(model.observables.values, parsed, run["start"])))

