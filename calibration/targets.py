"""Calibration targets and pattern checks: reading them, and reading them off a model run.

A target is a reported figure the model produces: observable, county ('national', a county, or a group),
month, value, the assumed uncertainty `sd`, and its source. A pattern is a qualitative finding in testable
form: ``left op factor * right``. See ``calibration/targets.yaml``.
"""

from __future__ import annotations

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


def _check_ref(file, path, ref: dict, constant_ok=False) -> dict:
    if not isinstance(ref, dict):
        raise TargetError(file, path, ref, "a mapping {observable, county, date}")
    if constant_ok and "constant" in ref:
        if not isinstance(ref["constant"], (int, float)):
            raise TargetError(file, f"{path}.constant", ref["constant"], "a number")
        return ref
    for key in ref:
        if key not in ("observable", "county", "date"):
            _unknown(file, f"{path}.{key}", key, ("observable", "county", "date"))
    if ref.get("observable") not in OBSERVABLES:
        _unknown(file, f"{path}.observable", ref.get("observable"), list(OBSERVABLES))
    county = str(ref.get("county", "national"))
    if county != "national" and county.lower() not in county_groups() and county.lower() not in county_names():
        _unknown(file, f"{path}.county", county, ["national"] + list(county_groups()))
    date = str(ref.get("date", ""))
    if not MONTH.match(date) and not (constant_ok and re.match(r"^\d{4}$", date)):
        raise TargetError(file, f"{path}.date", ref.get("date"),
                          "a month as YYYY-MM" + (" (or, in a pattern, a year YYYY for the mean over its months)" if constant_ok else ""))
    return {"observable": ref["observable"], "county": county, "date": date}


def load_targets(path) -> tuple[list[Target], list[Pattern]]:
    path = Path(path)
    data = read_yaml(path, "targets file", TargetError)
    if not isinstance(data, dict) or "targets" not in data:
        raise TargetError(path, "targets", _NOTHING, "a list of targets under 'targets:'")
    for key in data:
        if key not in ("targets", "patterns"):
            _unknown(path, key, key, ("targets", "patterns"))
    targets = []
    for i, t in enumerate(data["targets"] or []):
        p = f"targets[{i}]"
        if not isinstance(t, dict):
            raise TargetError(path, p, t, "a mapping")
        allowed = ("name", "observable", "county", "date", "value", "sd", "sd_reason", "source")
        for key in t:
            if key not in allowed:
                _unknown(path, f"{p}.{key}", key, allowed)
        ref = _check_ref(path, p, {k: t.get(k) for k in ("observable", "county", "date") if k in t})
        for key in ("value", "sd"):
            if isinstance(t.get(key), bool) or not isinstance(t.get(key), (int, float)):
                raise TargetError(path, f"{p}.{key}", t.get(key), "a number")
        if t["sd"] <= 0:
            raise TargetError(path, f"{p}.sd", t["sd"], "a number above 0 (the assumed uncertainty)")
        for key in ("name", "source"):
            if not isinstance(t.get(key), str) or not t[key].strip():
                raise TargetError(path, f"{p}.{key}", t.get(key), "text: every target is named and cites its source")
        targets.append(Target(t["name"], ref["observable"], ref["county"], ref["date"], float(t["value"]),
                              float(t["sd"]), t["source"]))
    if not targets:
        raise TargetError(path, "targets", [], "at least one target")
    patterns = []
    for i, q in enumerate(data.get("patterns") or []):
        p = f"patterns[{i}]"
        if q.get("op") not in OPS:
            raise TargetError(path, f"{p}.op", q.get("op"), "one of " + ", ".join(OPS))
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
