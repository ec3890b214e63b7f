"""Sensitivity configs: reading and checking them (format in ``sensitivity/README.md``).

    name: decisive_assumptions
    period: {start: 2010-01, end: 2020-12}
    seed: 1
    variants:                          # a named lever (sim/experiments/levers.py) or scenario-file overrides
      as_reported: as_reported
      all_unit: all_unit
    outcomes:                          # a level of one variant, or a paired contrast `of` minus `minus`
      adoption_2020: {of: as_reported, value: adoption_mean@2020-12}
      unit_minus_network: {of: all_unit, minus: all_network, value: adoption_mean@2020-12}
    parameters: {include: assumptions, exclude: [...], ranges: {leaders.uptake: [0.02, 0.2]}}
    method: {name: morris+sobol, trajectories: 4, levels: 4, top: 4, samples: 16}

Every error is a `ScenarioError` naming the file, the key, the bad value and what is allowed; it is raised
before anything is written.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..parameters import SPEC, flat_spec, plausible_range
from .evaluate import Outcome, check_months, month_index, parse_outcome  # noqa: F401
from .levers import VARIANTS
from .scenario import _NOTHING, Scenario, ScenarioError, _int, _unknown, parse, read_yaml

TOP_KEYS = ("name", "description", "period", "seed", "replicates", "base", "variants", "outcomes", "parameters",
            "undeclared", "method")
METHODS = {
    "morris": {"trajectories": 4, "levels": 4},
    "sobol": {"samples": 16},
    "morris+sobol": {"trajectories": 4, "levels": 4, "top": 4, "samples": 16},
}
COMMON = {"resamples": 200, "confidence": 0.95}
INTEGER_UNITS = ("months", "sub-steps", "actors")  # whole-number parameters (as scenario files require)


@dataclass
class OutcomeSpec:
    name: str
    of: str
    value: Outcome
    minus: str | None = None  # a paired contrast: of - minus, same seeds (common random numbers)

    @property
    def is_contrast(self) -> bool:
        return self.minus is not None


@dataclass
class Config:
    file: str
    raw: dict
    name: str
    scenario: Scenario  # base and variants, with the period and seed
    outcomes: list[OutcomeSpec]
    names: list[str]  # the varied parameters (dotted), in order
    bounds: list[tuple[float, float]]
    integer: list[bool]
    method: dict
    replicates: int
    excluded: dict = field(default_factory=dict)  # parameter -> why it is not varied

    @property
    def values(self) -> list[Outcome]:
        """The distinct raw values the outcomes need, read from every variant of each draw."""
        seen = {}
        for o in self.outcomes:
            seen.setdefault(o.value.name, o.value)
        return list(seen.values())

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode()).hexdigest()[:16]


def is_assumption(p) -> bool:
    return p.source.lower().startswith("assumption") or "assumption" in p.source.lower().split(";")[0]


def numeric(p) -> bool:
    return p.choices is None and not isinstance(p.default, (str, dict)) and p.lo is not None and p.hi is not None


def load_config(path) -> Config:
    path = Path(path)
    return parse_config(read_yaml(path, "sensitivity config"), path)


def parse_config(data, file="<sensitivity config>") -> Config:
    if not isinstance(data, dict):
        raise ScenarioError(file, "", data if data is not None else _NOTHING,
                            "a mapping with keys " + ", ".join(TOP_KEYS))
    for k in data:
        if k not in TOP_KEYS:
            _unknown(file, str(k), k, TOP_KEYS)
    for k in ("name", "variants", "outcomes"):
        if k not in data:
            raise ScenarioError(file, k, _NOTHING, f"a '{k}' entry: it is missing")
    raw = copy.deepcopy(data)
    variants = data["variants"]
    if not isinstance(variants, dict) or not variants:
        raise ScenarioError(file, "variants", variants, "named variants: a lever name or overrides")
    layers = {}
    for vname, v in variants.items():
        if isinstance(v, str):
            if v not in VARIANTS:
                _unknown(file, f"variants.{vname}", v, VARIANTS)
            v = copy.deepcopy(VARIANTS[v])
        elif v is None:
            v = {}
        elif not isinstance(v, dict):
            raise ScenarioError(file, f"variants.{vname}", v, "a lever (" + ", ".join(VARIANTS) + ") or overrides")
        layers[str(vname)] = v
    first = next(iter(layers))
    layers[first] = {**layers[first], "reference": True}
    for v in list(layers)[1:]:
        layers[v].pop("reference", None)
    scenario = parse({k: data[k] for k in ("name", "description", "period", "seed", "base") if k in data}
                     | {"replicates": 1, "variants": layers}, file)
    replicates = _int(file, "replicates", data.get("replicates", 1), 1)
    outcomes = _outcomes(file, data["outcomes"], scenario)
    names, bounds, integer, excluded = _parameters(file, data.get("parameters", {"include": "assumptions"}),
                                                   data.get("undeclared", "bounds"), scenario)
    method = _method(file, data.get("method", {"name": "morris"}), len(names))
    return Config(str(file), raw, scenario.name, scenario, outcomes, names, bounds, integer, method, replicates,
                  excluded)


def _outcomes(file, value, scenario: Scenario) -> list[OutcomeSpec]:
    if not isinstance(value, dict) or not value:
        raise ScenarioError(file, "outcomes", value, "named outcomes: {of: VARIANT, value: OBSERVABLE@YYYY-MM[:PLACE]}"
                            " with minus: VARIANT for a paired contrast")
    out = []
    for name, spec in value.items():
        p = f"outcomes.{name}"
        if not re.match(r"^[A-Za-z0-9_-]+$", str(name)):
            raise ScenarioError(file, p, name, "a name of letters, digits, _ and -")
        if not isinstance(spec, dict):
            raise ScenarioError(file, p, spec, "{of: VARIANT, value: OBSERVABLE@YYYY-MM[:PLACE], minus: VARIANT}")
        for k in spec:
            if k not in ("of", "minus", "value"):
                _unknown(file, f"{p}.{k}", k, ("of", "minus", "value"))
        for k in ("of", "minus"):
            if k in spec and spec[k] not in scenario.variants:
                _unknown(file, f"{p}.{k}", spec[k], scenario.variants)
        if "value" not in spec:
            raise ScenarioError(file, f"{p}.value", _NOTHING, "an outcome such as adoption_mean@2020-12")
        o = parse_outcome(spec["value"], file, f"{p}.value")
        check_months([o], scenario.start, scenario.end, file, f"{p}.value")
        of = spec.get("of", scenario.reference)
        if spec.get("minus") == of:
            raise ScenarioError(file, f"{p}.minus", of, "a variant other than 'of'")
        out.append(OutcomeSpec(str(name), of, o, spec.get("minus")))
    return out


def _parameters(file, value, undeclared, scenario: Scenario):
    spec = flat_spec()
    if not isinstance(value, dict):
        raise ScenarioError(file, "parameters", value, "{include: assumptions|none, exclude: [...], ranges: {name: [low, high]}}")
    for k in value:
        if k not in ("include", "exclude", "ranges"):
            _unknown(file, f"parameters.{k}", k, ("include", "exclude", "ranges"))
    include = value.get("include", "assumptions")
    if include not in ("assumptions", "none"):
        raise ScenarioError(file, "parameters.include", include, "assumptions or none")
    scale = _undeclared(file, undeclared)
    candidates = [n for n, p in spec.items() if numeric(p)]
    exclude = value.get("exclude") or []
    if not isinstance(exclude, list):
        raise ScenarioError(file, "parameters.exclude", exclude, "a list of parameter names")
    for n in exclude:
        if n not in spec:
            _unknown(file, "parameters.exclude", n, candidates)
    ranges = value.get("ranges") or {}
    if not isinstance(ranges, dict):
        raise ScenarioError(file, "parameters.ranges", ranges, "a mapping name: [low, high]")
    chosen: dict[str, tuple[float, float]] = {}
    excluded = {n: "excluded by the config" for n in exclude}
    if include == "assumptions":
        for n, p in spec.items():
            if numeric(p) and is_assumption(p) and n not in exclude:
                lo, hi = _plausible(p, scale)
                if hi > lo:
                    chosen[n] = (lo, hi)
                else:
                    excluded[n] = f"no plausible range around the default {p.default} (declare one in sim/parameters.py)"
    for n, r in ranges.items():
        key = f"parameters.ranges.{n}"
        if n not in spec:
            _unknown(file, key, n, candidates)
        p = spec[n]
        if not numeric(p):
            raise ScenarioError(file, key, n, "a numeric parameter; choices, dates and schedules cannot be varied")
        if not (isinstance(r, list) and len(r) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                            and x == x and abs(x) != float("inf") for x in r)):
            raise ScenarioError(file, key, r, "[low, high], two finite numbers")
        if not r[0] < r[1] or r[0] < p.lo or r[1] > p.hi:
            raise ScenarioError(file, key, r, f"low < high within the parameter's bounds [{p.lo}, {p.hi}]")
        chosen[n] = (float(r[0]), float(r[1]))
        excluded.pop(n, None)
    if not chosen:
        raise ScenarioError(file, "parameters", value, "at least one parameter to vary")
    for n in chosen:  # a varied parameter set by base or a variant would not vary there
        for where, layer in [("base", scenario.base)] + [(f"variants.{v}", scenario.variants[v]) for v in scenario.variants]:
            if _has_path(layer, n.split(".")):
                raise ScenarioError(file, f"{where}.{n}", "set", f"parameters not varied ({n} is varied; "
                                    "exclude it or remove it from the overrides)")
    names = list(chosen)
    integer = [spec[n].unit.startswith(INTEGER_UNITS) and isinstance(spec[n].default, int) for n in names]
    return names, [chosen[n] for n in names], integer, excluded


def _has_path(layer, parts) -> bool:
    d = layer
    for k in parts:
        if not isinstance(d, dict) or k not in d:
            return False
        d = d[k]
    return True


def _undeclared(file, value):
    """Where a parameter declares no plausible range yet: its bounds, or default x [a, b] within them."""
    if value == "bounds":
        return None
    if isinstance(value, dict) and list(value) == ["scale"] and isinstance(value["scale"], list) \
            and len(value["scale"]) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value["scale"]) \
            and 0 <= value["scale"][0] < 1 < value["scale"][1]:
        return tuple(float(x) for x in value["scale"])
    raise ScenarioError(file, "undeclared", value, "bounds, or {scale: [a, b]} with 0 <= a < 1 < b (default x [a, b])")


def _plausible(p, scale) -> tuple[float, float]:
    if p.plausible is not None or scale is None:
        lo, hi = plausible_range(p)
        return float(lo), float(hi)
    a, b = sorted((p.default * scale[0], p.default * scale[1]))
    return float(max(a, p.lo)), float(min(b, p.hi))


def _method(file, value, k: int) -> dict:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict) or "name" not in value:
        raise ScenarioError(file, "method", value, "{name: " + " | ".join(METHODS) + ", ...}")
    name = value["name"]
    if name not in METHODS:
        _unknown(file, "method.name", name, METHODS)
    m = {"name": name, **METHODS[name], **COMMON}
    for key, v in value.items():
        if key not in m:
            _unknown(file, f"method.{key}", key, m)
        m[key] = v
    if "trajectories" in m:  # sigma needs two elementary effects per parameter (SALib: N >= 2)
        _int(file, "method.trajectories", m["trajectories"], 2)
        if _int(file, "method.levels", m["levels"], 2) % 2:
            raise ScenarioError(file, "method.levels", m["levels"], "an even whole number >= 2 (Morris grid)")
    if "samples" in m:  # Sobol sequences balance only at powers of two (SALib's rule), and bootstrap needs a few
        s = m["samples"]
        if isinstance(s, bool) or not isinstance(s, int) or s < 4 or s & (s - 1):
            raise ScenarioError(file, "method.samples", s, "a power of two >= 4 (4, 8, 16, ...)")
    if "top" in m:
        if isinstance(m["top"], bool) or not isinstance(m["top"], int) or not 1 <= m["top"] <= k:
            raise ScenarioError(file, "method.top", m["top"], f"a whole number from 1 to {k} (the varied parameters)")
    _int(file, "method.resamples", m["resamples"], 10)
    c = m["confidence"]
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 < c < 1:
        raise ScenarioError(file, "method.confidence", c, "a number between 0 and 1, e.g. 0.95")
    return m


def month_of(cfg: Config, month: str) -> int:
    return month_index(cfg.scenario.start, month)


SPEC_KEYS = tuple(SPEC)
