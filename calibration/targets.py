"""Calibration targets and pattern checks: reading them, and reading them off a model run.

A target is a reported figure the model produces: observable, county ('national', a county, or a group),
month, value, the assumed uncertainty `sd`, and its source. A pattern is a qualitative finding in testable
form: ``left op factor * right``. See ``calibration/targets.yaml``.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.observables import OBSERVABLES
from sim.experiments.scenario import _NOTHING, MONTH, ScenarioError, _unknown, county_groups, county_names, read_yaml

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class TargetError(ScenarioError):
    """A target or config file that cannot be used; same message form as scenario errors."""


@dataclass(frozen=True)
class Target:
    name: str
    observable: str
    county: str
    date: str
    value: float
    sd: float
    source: str


@dataclass(frozen=True)
class Pattern:
    name: str
    description: str
    left: dict
    op: str
    factor: float
    right: dict


def _number(x) -> bool:
    """A finite number: not a bool, not NaN, not infinite."""
    return not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x)


def _check_ref(file, path, ref: dict, constant_ok=False) -> dict:
    if not isinstance(ref, dict):
        raise TargetError(file, path, ref, "a mapping {observable, county, date}")
    if constant_ok and "constant" in ref:
        if not _number(ref["constant"]):
            raise TargetError(file, f"{path}.constant", ref["constant"], "a finite number")
        return ref
    for key in ref:
        if key not in ("observable", "county", "date"):
            _unknown(file, f"{path}.{key}", key, ("observable", "county", "date"))
    if not isinstance(ref.get("observable"), str) or ref.get("observable") not in OBSERVABLES:
        _unknown(file, f"{path}.observable", ref.get("observable"), list(OBSERVABLES))
    if not isinstance(ref.get("county", "national"), str):
        raise TargetError(file, f"{path}.county", ref.get("county"), "a county, a group of counties or 'national'")
    county = str(ref.get("county", "national"))
    if county != "national" and county.lower() not in county_groups() and county.lower() not in county_names():
        _unknown(file, f"{path}.county", county, ["national"] + list(county_groups()))
    date = str(ref.get("date", ""))
    if not MONTH.match(date) and not (constant_ok and re.match(r"^\d{4}$", date)):
        raise TargetError(file, f"{path}.date", ref.get("date"),
                          "a month as YYYY-MM" + (" (or, in a pattern, a year YYYY for the mean over its months)" if constant_ok else ""))
    return {"observable": ref["observable"], "county": county, "date": date}


def check_period(path, targets: list[Target], patterns: list[Pattern], start: str, end: str) -> None:
    """Every target and pattern must be dated inside the period the model runs (a month before the start
    would be read from the end of the run)."""
    for i, t in enumerate(targets):
        if not start <= t.date <= end:
            raise TargetError(path, f"targets[{i}].date", t.date, f"a month from {start} to {end} (the scenario's period)")
    for i, q in enumerate(patterns):
        for side in ("left", "right"):
            d = getattr(q, side).get("date")
            if d and not (start[:len(d)] <= d <= end[:len(d)]):
                raise TargetError(path, f"patterns[{i}].{side}.date", d,
                                  f"a month or year from {start} to {end} (the scenario's period)")


def load_targets(path) -> tuple[list[Target], list[Pattern]]:
    path = Path(path)
    data = read_yaml(path, "targets file", TargetError)
    if not isinstance(data, dict) or "targets" not in data:
        raise TargetError(path, "targets", _NOTHING, "a list of targets under 'targets:'")
    for key in data:
        if key not in ("targets", "patterns"):
            _unknown(path, key, key, ("targets", "patterns"))
    if not isinstance(data["targets"], list) or not data["targets"]:
        raise TargetError(path, "targets", data["targets"], "a list of targets, at least one")
    if not isinstance(data.get("patterns") or [], list):
        raise TargetError(path, "patterns", data.get("patterns"), "a list of patterns")
    targets = []
    for i, t in enumerate(data["targets"]):
        p = f"targets[{i}]"
        if not isinstance(t, dict):
            raise TargetError(path, p, t, "a mapping")
        allowed = ("name", "observable", "county", "date", "value", "sd", "sd_reason", "source")
        for key in t:
            if key not in allowed:
                _unknown(path, f"{p}.{key}", key, allowed)
        ref = _check_ref(path, p, {k: t.get(k) for k in ("observable", "county", "date") if k in t})
        for key in ("value", "sd"):
            if not _number(t.get(key)):
                raise TargetError(path, f"{p}.{key}", t.get(key), "a finite number")
        if t["sd"] <= 0:
            raise TargetError(path, f"{p}.sd", t["sd"], "a number above 0 (the assumed uncertainty)")
        for key in ("name", "source"):
            if not isinstance(t.get(key), str) or not t[key].strip():
                raise TargetError(path, f"{p}.{key}", t.get(key), "text: every target is named and cites its source")
        targets.append(Target(t["name"], ref["observable"], ref["county"], ref["date"], float(t["value"]),
                              float(t["sd"]), t["source"]))
    patterns = []
    for i, q in enumerate(data.get("patterns") or []):
        p = f"patterns[{i}]"
        if not isinstance(q, dict):
            raise TargetError(path, p, q, "a mapping {name, description, left, op, factor, right}")
        for key in q:
            if key not in ("name", "description", "left", "op", "factor", "right"):
                _unknown(path, f"{p}.{key}", key, ("name", "description", "left", "op", "factor", "right"))
        if not isinstance(q.get("op"), str) or q.get("op") not in OPS:
            raise TargetError(path, f"{p}.op", q.get("op"), "one of " + ", ".join(OPS))
        if not _number(q.get("factor", 1.0)):
            raise TargetError(path, f"{p}.factor", q.get("factor"), "a finite number")
        for key in ("name", "description"):
            if not isinstance(q.get(key, ""), str):
                raise TargetError(path, f"{p}.{key}", q.get(key), "text")
        patterns.append(Pattern(q.get("name", p), q.get("description", ""), _check_ref(path, f"{p}.left", q.get("left"), True),
                                q["op"], float(q.get("factor", 1.0)), _check_ref(path, f"{p}.right", q.get("right"), True)))
    return targets, patterns


class Reader:
    """Reads (observable, county or group, month) off a run's observables array."""

    def __init__(self, start: str):
        self.start = start
        groups, names = county_groups(), county_names()
        codes = sorted({c for c in names.values()})
        self.place_of_code = {code: i + 1 for i, code in enumerate(codes)}
        self.groups = {g: [self.place_of_code[c] for c in cs] for g, cs in groups.items()}
        self.names = names
        self.col = {n: i for i, n in enumerate(OBSERVABLES)}

    def month(self, date: str) -> int:
        y0, m0 = map(int, self.start.split("-"))
        y, m = map(int, date.split("-"))
        return (y - y0) * 12 + m - m0

    def places(self, county: str) -> list[int]:
        c = county.lower()
        if c == "national":
            return [0]
        if c in self.groups:
            return self.groups[c]
        return [self.place_of_code[self.names[c]]]

    def value(self, values: np.ndarray, ref: dict) -> float:
        if "constant" in ref:
            return float(ref["constant"])
        d = ref["date"]
        first, last = (f"{d}-01", f"{d}-12") if len(d) == 4 else (d, d)
        if self.month(last) < 0 or self.month(first) >= len(values):  # index -1 would read the last month
            raise ValueError(f"{d} is outside the run ({self.start} and {len(values)} months on)")
        date = ref["date"]
        if len(date) == 4:  # a whole year: the mean over its months
            t = slice(max(0, self.month(f"{date}-01")), self.month(f"{date}-12") + 1)
            return float(np.nanmean(values[t][:, self.places(ref["county"]), self.col[ref["observable"]]]))
        t = self.month(date)
        return float(np.nanmean(values[t, self.places(ref["county"]), self.col[ref["observable"]]]))

    def summary(self, values: np.ndarray, targets: list[Target]) -> np.ndarray:
        return np.array([self.value(values, {"observable": t.observable, "county": t.county, "date": t.date})
                         for t in targets])

    def check(self, values: np.ndarray, pattern: Pattern) -> tuple[bool, float, float]:
        left, right = self.value(values, pattern.left), self.value(values, pattern.right)
        return bool(OPS[pattern.op](left, pattern.factor * right)), left, right
