"""Calibration targets and pattern checks: reading them, and reading them off a model run.

A target is a reported figure or statement the model can be held to, with its source and its kind, which
says how a run is compared with it (``calibration/likelihoods.py``): ``normal`` (a value with an assumed sd),
``binomial`` (k of n), ``ordinal`` (left / right within a range) or ``categorical`` (ordered classes of
counties). A place is 'national', a county, or a group of counties; a figure is read at a month. A pattern is
a qualitative finding in testable form: ``left op factor * right``. See ``calibration/targets.yaml``.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.observables import COUNTS, OBSERVABLES
from sim.experiments.scenario import _NOTHING, MONTH, ScenarioError, _unknown, county_groups, county_names, read_yaml

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class TargetError(ScenarioError):
    """A target or config file that cannot be used; same message form as scenario errors."""


@dataclass(frozen=True)
class Target:
    """One target. `observable`, `county`, `date` name the figure (for ordinal: the left side; for categorical:
    the per-county figure); `value` is the reported figure in the model's units (NaN for the constraint kinds);
    `spec` holds the kind's own fields (refs, count/of, ratio range, classes, scale)."""
    name: str
    observable: str
    county: str
    date: str
    value: float
    sd: float
    source: str
    kind: str = "normal"
    spec: dict | None = None

    @property
    def dates(self) -> list[str]:
        refs = [self.spec[k] for k in ("left", "right") if self.spec and k in self.spec] if self.kind == "ordinal" else []
        out = [self.date] + [r["date"] for r in refs if "date" in r]
        out += [r["minus"]["date"] for r in refs if "minus" in r]
        return out

    @property
    def reported(self) -> str:
        """The reported figure or statement, in words, for tables."""
        s = self.spec or {}
        if self.kind == "normal":
            return f"{self.value:.4g} (sd {self.sd:.3g})"
        if self.kind == "binomial":
            return f"{s['count']:g} of {s['of']:g}"
        if self.kind == "ordinal":
            lo, hi = s["ratio"]
            return ("left/right " + (f">= {lo:g}" if hi is None else f"<= {hi:g}" if lo is None else f"in [{lo:g}, {hi:g}]"))
        return " < ".join(s["classes"])


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
        if key not in ("observable", "county", "date", "minus"):
            _unknown(file, f"{path}.{key}", key, ("observable", "county", "date", "minus"))
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
    out = {"observable": ref["observable"], "county": county, "date": date}
    if "minus" in ref:  # the difference of two figures, e.g. a cumulative share's growth over two years
        out["minus"] = _check_ref(file, f"{path}.minus", ref["minus"])
    return out


def check_period(path, targets: list[Target], patterns: list[Pattern], start: str, end: str) -> None:
    """Every target and pattern must be dated inside the period the model runs (a month before the start
    would be read from the end of the run)."""
    for i, t in enumerate(targets):
        for d in t.dates:
            if not start <= d <= end:
                raise TargetError(path, f"targets[{i}].date", d, f"a month from {start} to {end} (the scenario's period)")
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
    targets = [_target(path, f"targets[{i}]", t) for i, t in enumerate(data["targets"])]
    names = [t.name for t in targets]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise TargetError(path, f"targets[{i}].name", n, "a name no other target has")
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


KIND_KEYS = {
    "normal": ("observable", "county", "date", "value", "sd", "sd_reason"),
    "binomial": ("observable", "county", "date", "count", "of"),
    "ordinal": ("left", "right", "ratio", "scale", "reading"),
    "categorical": ("observable", "date", "classes", "scale", "reading"),
}


def _target(path, p: str, t) -> Target:
    """One target entry, checked for its kind."""
    if not isinstance(t, dict):
        raise TargetError(path, p, t, "a mapping")
    kind = t.get("kind", "normal")
    if kind not in KIND_KEYS:
        _unknown(path, f"{p}.kind", kind, KIND_KEYS)
    allowed = ("name", "kind", "source", "note") + KIND_KEYS[kind]
    for key in t:
        if key not in allowed:
            _unknown(path, f"{p}.{key}", key, allowed)
    for key in ("name", "source"):
        if not isinstance(t.get(key), str) or not t[key].strip():
            raise TargetError(path, f"{p}.{key}", t.get(key), "text: every target is named and cites its source")

    def positive(key, default=None):
        v = t.get(key, default)
        if not _number(v) or v <= 0:
            raise TargetError(path, f"{p}.{key}", v if key in t else _NOTHING, "a finite number above 0")
        return float(v)

    if kind in ("normal", "binomial"):
        ref = _check_ref(path, p, {k: t.get(k) for k in ("observable", "county", "date") if k in t})
        if kind == "normal":
            if not _number(t.get("value")):
                raise TargetError(path, f"{p}.value", t.get("value"), "a finite number")
            return Target(t["name"], ref["observable"], ref["county"], ref["date"], float(t["value"]),
                          positive("sd"), t["source"])
        n = positive("of")
        k = t.get("count")
        if not _number(k) or not 0 <= k <= n:
            raise TargetError(path, f"{p}.count", k, f"a number from 0 to of ({n:g})")
        units = "count" if ref["observable"] in COUNTS else "share"
        value = float(k) if units == "count" else k / n
        return Target(t["name"], ref["observable"], ref["county"], ref["date"], value, math.nan, t["source"],
                      "binomial", {"count": float(k), "of": n, "units": units})
    scale = positive("scale")
    if kind == "ordinal":
        left = _check_ref(path, f"{p}.left", t.get("left"))
        right = _check_ref(path, f"{p}.right", t.get("right"), constant_ok=True)
        r = t.get("ratio")
        if not isinstance(r, list) or len(r) != 2 or not all(x is None or _number(x) for x in r) or r == [None, None] \
                or (None not in r and not r[0] < r[1]):
            raise TargetError(path, f"{p}.ratio", r, "[low, high] for left / right, low < high, one of them may "
                              "be null (open)")
        return Target(t["name"], left["observable"], left["county"], left["date"], math.nan, math.nan, t["source"],
                      "ordinal", {"left": left, "right": right, "ratio": tuple(None if x is None else float(x) for x in r),
                                  "scale": scale})
    ref = _check_ref(path, p, {"observable": t.get("observable"), "county": "national", "date": t.get("date")})
    classes = t.get("classes")
    if not isinstance(classes, dict) or len(classes) < 2 or not all(isinstance(v, list) and v for v in classes.values()):
        raise TargetError(path, f"{p}.classes", classes, "ordered classes, lowest first: {class: [county, ...]}, "
                          "at least two")
    names, seen = county_names(), set()
    for cls, counties in classes.items():
        for c in counties:
            code = names.get(str(c).lower())
            if code is None:
                _unknown(path, f"{p}.classes.{cls}", c, sorted({k for k in names if not k[0].isdigit()}))
            if code in seen:
                raise TargetError(path, f"{p}.classes.{cls}", c, "each county in one class only")
            seen.add(code)
    return Target(t["name"], ref["observable"], "classes", ref["date"], math.nan, math.nan, t["source"],
                  "categorical", {"classes": {k: [str(c) for c in v] for k, v in classes.items()}, "scale": scale})


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
        if "minus" in ref:
            return self.value(values, {k: v for k, v in ref.items() if k != "minus"}) - self.value(values, ref["minus"])
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

    def figure(self, values: np.ndarray, t: Target) -> float:
        """The model's figure for a target: the value read (normal, binomial), left / right (ordinal), or the
        smallest gap between the means of consecutive classes (categorical; negative when out of order)."""
        if t.kind in ("normal", "binomial"):
            return self.value(values, {"observable": t.observable, "county": t.county, "date": t.date})
        if t.kind == "ordinal":
            left, right = self.value(values, t.spec["left"]), self.value(values, t.spec["right"])
            if right == 0:
                return math.inf if left > 0 else (0.0 if left == 0 else -math.inf)
            return left / right
        means = [float(np.mean([self.value(values, {"observable": t.observable, "county": c, "date": t.date})
                                for c in counties])) for counties in t.spec["classes"].values()]
        return float(min(b - a for a, b in zip(means, means[1:])))

    def summary(self, values: np.ndarray, targets: list[Target]) -> np.ndarray:
        return np.array([self.figure(values, t) for t in targets])

    def check(self, values: np.ndarray, pattern: Pattern) -> tuple[bool, float, float]:
        left, right = self.value(values, pattern.left), self.value(values, pattern.right)
        return bool(OPS[pattern.op](left, pattern.factor * right)), left, right
