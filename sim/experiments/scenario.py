"""Scenario files: reading, checking and expanding them into model parameters.

A scenario is a YAML file (format in ``scenarios/README.md``, schema in ``scenarios/schema.json``):

    name: unit_vs_network
    description: Would the network principle have reached more municipalities in the big-city counties?
    period: {start: 2010-01, end: 2020-12}
    seed: 1
    replicates: 20
    base:                                # overrides of the model defaults for every variant
      providers: {pass_on_rate: 0.02}
      counties: {big_city: {meetings_per_year: 12}}
    variants:
      as_reported: {reference: true, description: the 2012 principles}
      all_unit: {counties: {all: {principle: unit}}}
    calibration: ../calibration/calibrated.yaml   # or none: the parameters it runs at (``posterior.py``)

Every error names the file, the key path, the bad value (shortened) and what is allowed (`ScenarioError`).
YAML is read strictly (``yamlfile.py``): no Python object tags, no key given twice, no alias bombs, only
finite numbers.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
import os
import re
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..parameters import AREAS, CHANNELS, COUNTY_KEYS, SPEC, Param, ParameterError, check_value, defaults, merge
from .yamlfile import read_strict


def read_csv(name: str) -> list[dict]:
    """A data file of the model (``sim.country.read_csv``), imported when first read: the command line reads
    this module before it starts its painters, and the country module would load numpy first."""
    from ..country import read_csv as read

    return read(name)

TOP_KEYS = {"name": "a short name (letters, digits, _ and -)", "description": "text", "period": "{start, end}",
            "seed": "a whole number >= 0", "replicates": "a whole number >= 1", "base": "parameter overrides",
            "variants": "named sets of overrides, one with reference: true", "calibration": "a calibrated parameter file (replicate i runs with posterior draw i) or none (the defaults)"}
VARIANT_KEYS = ("reference", "description")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])\Z")  # \Z, not $: "2010-01\n" is not a month
NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}\Z")  # names become folder and file names
# The data begin in January 2010 (sim/data/*.csv); after 2020 the model projects (funding.py) and this
# horizon is an assumption: ten years past the reported history.
FIRST_MONTH, LAST_MONTH = "2010-01", "2030-12"
MAX_REPLICATES = 100_000  # more would not fit a disk (2 MB per run and variant for the whole period)


class ScenarioError(Exception):
    """A scenario file that cannot be run; the message says where and why."""

    def __init__(self, file, path: str, value: Any, allowed: str):
        self.file, self.path, self.value, self.allowed = str(file), path, value, allowed
        where = f"{self.file}: {path}: " if path else f"{self.file}: "
        shown = "" if value is _NOTHING else f"{short(value)} is not allowed; "
        super().__init__(f"{where}{shown}expected {allowed}")


_NOTHING = object()
_SHORT = reprlib.Repr(maxstring=60, maxother=60, maxlist=6, maxdict=6, maxlevel=3)


def short(value) -> str:
    """repr shortened for a message: a long or deeply nested value is cut, never printed whole."""
    return _SHORT.repr(value)


_COUNTY_FILES = tuple(str(Path(__file__).resolve().parents[1] / "data" / n) for n in ("counties.csv", "structures.csv"))


def _stamp() -> tuple:
    """What the county groups and names are read from: counties.csv and structures.csv, by modification
    time and size (a scenario's parameters are expanded once per run, so they are read once, not per run)."""
    return tuple((s.st_mtime_ns, s.st_size) for s in map(os.stat, _COUNTY_FILES))


def county_groups() -> dict[str, list[str]]:
    """Named groups of counties a scenario may use, from the data files (codes); the caller's own copy."""
    return {name: list(codes) for name, codes in _county_groups(_stamp()).items()}


@functools.lru_cache(maxsize=2)
def _county_groups(stamp: tuple) -> dict[str, list[str]]:
    counties = read_csv("counties.csv")
    struct = {r["county_code"]: r for r in read_csv("structures.csv")}
    return {
        "all": [c["code"] for c in counties],
        "big_city": [c["code"] for c in counties if c.get("big_city") == "1"],
        "small": [c["code"] for c in counties if c.get("big_city") != "1"],
        "unit_2012": [c["code"] for c in counties if struct[c["code"]]["principle"] == "unit"],
        "network_2012": [c["code"] for c in counties if struct[c["code"]]["principle"] == "network"],
    }


def county_names() -> dict[str, str]:
    """Every accepted way to name a county (code, English and Swedish name, lower case) -> code; the
    caller's own copy."""
    return dict(_county_names(_stamp()))


@functools.lru_cache(maxsize=2)
def _county_names(stamp: tuple) -> dict[str, str]:
    out = {}
    for c in read_csv("counties.csv"):
        for key in (c["code"], c["code"].lstrip("0"), c["county"], c.get("name_sv", "")):
            if key:
                out[key.lower()] = c["code"]
    return out


def _suggest(key: str, options) -> str:
    close = difflib.get_close_matches(str(key), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unknown(file, path, key, options):
    raise ScenarioError(file, path, key, "one of " + ", ".join(map(str, options)) + _suggest(key, options))


@dataclass
class Scenario:
    name: str
    description: str
    start: str
    end: str
    seed: int
    replicates: int
    base: dict
    variants: dict[str, dict]
    reference: str
    calibration: str | None = None
    source: str = ""
    raw: dict = field(default_factory=dict)

    draws: list[dict] = field(default_factory=list)  # posterior draws of a calibration (`calibration: PATH`)
    calibration_file: str | None = None  # the calibration's absolute path, resolved once

    def params(self, variant: str, replicate: int | None = None, draw: dict | None = None) -> dict:
        """Model parameter overrides for one variant (and replicate): the replicate's posterior draw when the
        scenario names a calibration (or the given `draw`), then base, then the variant, with county groups
        expanded."""
        out = {"start": self.start, "end": self.end}
        layers = [self.base, self.variants[variant]]
        if draw is not None:
            layers.insert(0, draw)
        elif self.draws and replicate is not None:
            layers.insert(0, self.draws[self.draw_index()[replicate]]["params"])
        for layer in layers:
            out = _apply_layer(out, layer)
        return out

    def draw_index(self) -> list[int]:
        """Which posterior draw each replicate uses: the same in every variant (paired comparisons over
        parameter uncertainty too), drawn by weight with systematic resampling from the scenario's seed."""
        from .posterior import systematic_resample

        return [int(i) for i in systematic_resample([d["weight"] for d in self.draws], self.replicates, self.seed)]


def _apply_layer(params: dict, layer: dict) -> dict:
    """Add one layer of scenario overrides (parameters + counties) to a dict of model overrides."""
    out = copy.deepcopy(params)
    groups, names = county_groups(), county_names()
    for key, value in layer.items():
        if key in VARIANT_KEYS:
            continue
        if key == "counties":
            co = out.setdefault("county_overrides", {})
            # groups first, then single counties, so that a named county beats its group
            for target in sorted(value, key=lambda t: 0 if str(t).lower() in groups else 1):
                codes = groups.get(str(target).lower()) or [names[str(target).lower()]]
                for code in codes:
                    co.setdefault(code, {}).update(value[target])
        else:
            out[key] = _deep_update(out.get(key), value)
    return out


def _deep_update(old, new):
    if isinstance(old, dict) and isinstance(new, dict) and not _is_year_map(new):
        merged = dict(old)
        for k, v in new.items():
            merged[k] = _deep_update(old.get(k), v)
        return merged
    return copy.deepcopy(new)


def _is_year_map(d: dict) -> bool:
    return bool(d) and all(str(k).isdigit() for k in d)


# ------------------------------------------------------------------------------------------- checks
def _check_params(file, path: str, layer: Any, spec: dict = SPEC) -> None:
    if not isinstance(layer, dict):
        raise ScenarioError(file, path, layer, "a mapping of parameter names")
    for key, value in layer.items():
        p = f"{path}.{key}" if path else str(key)
        if spec is SPEC and key in VARIANT_KEYS:
            continue
        if spec is SPEC and key == "counties":
            _check_counties(file, p, value)
            continue
        if spec is SPEC and key == "channels":
            if not isinstance(value, dict):
                raise ScenarioError(file, p, value, "a mapping of channel: true/false")
            for ch, on in value.items():
                if ch not in CHANNELS:
                    _unknown(file, f"{p}.{ch}", ch, CHANNELS)
                if not isinstance(on, bool):
                    raise ScenarioError(file, f"{p}.{ch}", on, "true or false")
            continue
        if key not in spec or (spec is SPEC and key in ("start", "end")):
            options = [k for k in spec if not (spec is SPEC and k in ("start", "end"))]
            if spec is SPEC:
                options += ["counties", "channels"]
            _unknown(file, p, key, options)
        sub = spec[key]
        if isinstance(sub, Param):
            _check_value(file, p, sub, value)
        else:
            _check_params(file, p, value, sub)


def _finite(file, path: str, value) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(file, path, value, "a finite number")


def _check_value(file, path: str, spec: Param, value) -> None:
    _finite(file, path, value)
    if isinstance(spec.default, dict):  # a year -> share schedule
        if not isinstance(value, dict) or not value:
            raise ScenarioError(file, path, value, "a mapping year: share, e.g. {2014: 0.75, 2016: 0.0}")
        for y, s in value.items():
            if not str(y).isdigit() or not 1990 <= int(y) <= 2100:
                raise ScenarioError(file, f"{path}.{y}", y, "a year from 1990 to 2100")
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 <= s <= 1:  # NaN fails too
                raise ScenarioError(file, f"{path}.{y}", s, "a share from 0 to 1")
        return
    if isinstance(spec.default, str) and spec.choices is None:
        if not isinstance(value, str) or (spec.unit == "YYYY-MM" and not MONTH.match(value)):
            raise ScenarioError(file, path, value, "a month as YYYY-MM" if spec.unit == "YYYY-MM" else "text")
        return
    if isinstance(spec.default, int) and not isinstance(spec.default, bool) and spec.unit.startswith(("months", "sub-steps", "actors")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(file, path, value, f"a whole number from {spec.lo} to {spec.hi}")
    try:
        check_value(path, spec, value)
    except ParameterError as e:
        raise ScenarioError(file, path, value, e.allowed) from None


def _check_counties(file, path: str, value) -> None:
    if not isinstance(value, dict):
        raise ScenarioError(file, path, value, "a mapping of county or group: settings")
    groups, names = county_groups(), county_names()
    options = list(groups) + sorted({c["county"] for c in read_csv("counties.csv")})
    for target, settings in value.items():
        p = f"{path}.{target}"
        if str(target).lower() not in groups and str(target).lower() not in names:
            _unknown(file, p, target, options)
        if not isinstance(settings, dict):
            raise ScenarioError(file, p, settings, "a mapping of county settings: " + ", ".join(COUNTY_KEYS))
        for k, v in settings.items():
            if k not in COUNTY_KEYS:
                _unknown(file, f"{p}.{k}", k, COUNTY_KEYS)
            if k == "areas":
                if v != "auto" and (not isinstance(v, list) or any(a not in AREAS for a in v)):
                    raise ScenarioError(file, f"{p}.{k}", v, "'auto' or a list of " + ", ".join(AREAS))
            elif k == "structure":
                if not isinstance(v, bool):
                    raise ScenarioError(file, f"{p}.{k}", v, "true or false")
            elif k in ("meeting_places", "decision_paths", "platform_at_rd"):
                if v not in (0, 1) or isinstance(v, float):
                    raise ScenarioError(file, f"{p}.{k}", v, "0 or 1 (or true/false)")
            else:
                _finite(file, f"{p}.{k}", v)
                try:
                    check_value(f"{p}.{k}", COUNTY_KEYS[k], v)
                except ParameterError as e:
                    raise ScenarioError(file, f"{p}.{k}", v, e.allowed) from None


def _int(file, path, value, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        raise ScenarioError(file, path, value, f"a whole number >= {lo}" if hi is None else
                            f"a whole number from {lo} to {hi}")
    return value


def parse(data: Any, file="<scenario>", calibration_file: str | None = None) -> Scenario:
    """Check a scenario's contents (already loaded from YAML) and return it. `calibration_file`: where its
    calibration was found when it first ran (a resume reads the same file)."""
    if data is None:
        raise ScenarioError(file, "", _NOTHING, "a scenario: the file is empty")
    if not isinstance(data, dict):
        raise ScenarioError(file, "", data, "a mapping with keys " + ", ".join(TOP_KEYS))
    for key in data:
        if key not in TOP_KEYS:
            _unknown(file, str(key), key, TOP_KEYS)
    for key in ("name", "variants"):
        if key not in data:
            raise ScenarioError(file, key, _NOTHING, f"a '{key}' ({TOP_KEYS[key]}): it is missing")
    name = data["name"]
    if not isinstance(name, str) or not NAME.match(name):
        raise ScenarioError(file, "name", name, TOP_KEYS["name"])
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(file, "description", description, "text")
    period = data.get("period", {})
    if not isinstance(period, dict):
        raise ScenarioError(file, "period", period, "{start: YYYY-MM, end: YYYY-MM}")
    for k in period:
        if k not in ("start", "end"):
            _unknown(file, f"period.{k}", k, ("start", "end"))
    start = str(period.get("start", SPEC["start"].default))
    end = str(period.get("end", SPEC["end"].default))
    for k, v in (("start", start), ("end", end)):
        if not MONTH.match(v):
            raise ScenarioError(file, f"period.{k}", period.get(k), "a month as YYYY-MM, e.g. 2010-01")
    for k, v in (("start", start), ("end", end)):
        if not FIRST_MONTH <= v <= LAST_MONTH:
            raise ScenarioError(file, f"period.{k}", period.get(k), f"a month from {FIRST_MONTH} (the first with "
                                f"data) to {LAST_MONTH} (the model's horizon)")
    if end < start:
        raise ScenarioError(file, "period.end", end, f"a month after period.start ({start})")
    seed = _int(file, "seed", data.get("seed", 1), 0)
    replicates = _int(file, "replicates", data.get("replicates", 10), 1, MAX_REPLICATES)
    base = data.get("base") or {}
    _check_params(file, "base", base)
    variants = data["variants"]
    if not isinstance(variants, dict) or not variants:
        raise ScenarioError(file, "variants", variants, "at least one named variant")
    refs = []
    for vname, v in variants.items():
        v = v or {}
        variants[vname] = v
        if not NAME.match(str(vname)):
            raise ScenarioError(file, f"variants.{vname}", vname, "a variant name of letters, digits, _ and -")
        _check_params(file, f"variants.{vname}", v)
        ref = v.get("reference", False)
        if not isinstance(ref, bool):
            raise ScenarioError(file, f"variants.{vname}.reference", ref, "true or false")
        if ref:
            refs.append(vname)
        if not isinstance(v.get("description", ""), str):
            raise ScenarioError(file, f"variants.{vname}.description", v.get("description"), "text")
    if len(refs) != 1:
        raise ScenarioError(file, "variants", refs or _NOTHING,
                            "exactly one variant marked 'reference: true'" + (f", found {len(refs)}" if refs else ", found none"))
    calibration = data.get("calibration")
    draws, cal_path = [], None
    if calibration is not None:
        from .posterior import NONE, calibration_path, is_none, load_draws  # posterior.py reads this module

        if not isinstance(calibration, str) or not calibration.strip():
            raise ScenarioError(file, "calibration", calibration, "a path to a calibrated parameter file, or "
                                f"{NONE} for the default parameters")
        if not is_none(calibration):
            cal_path = Path(calibration_file) if calibration_file else calibration_path(file, calibration)
            draws = load_draws(file, calibration, cal_path)
    sc = Scenario(name=name, description=description, start=start, end=end, seed=seed, replicates=replicates,
                  base=base, variants={str(k): v for k, v in variants.items()}, reference=str(refs[0]),
                  calibration=calibration, source=str(file), raw=copy.deepcopy(data), draws=draws,
                  calibration_file=str(cal_path) if cal_path else None)
    for vname in sc.variants:  # the expanded overrides must also pass the model's own checks
        try:
            merge(defaults(), sc.params(vname))
        except ParameterError as e:
            raise ScenarioError(file, f"variants.{vname}: {e.path}", e.value, e.allowed) from None
    return sc


def read_yaml(path, what: str, error=ScenarioError):
    """Read a YAML file strictly (``yamlfile.py``); any problem becomes one clear `error` naming the file."""
    def fail(file, where, allowed):
        raise error(file, where, _NOTHING, allowed) from None

    return read_strict(path, what, fail)


def load(path, parameters: str | None = None) -> Scenario:
    """Read and check a scenario file. `parameters` overrides its `calibration:` key: 'defaults' runs it at
    the default parameters, a path (from the current folder) over that calibrated parameter file's draws."""
    data = read_yaml(path, "scenario file")
    if parameters is not None and isinstance(data, dict):
        from .posterior import DEFAULTS, NONE

        data["calibration"] = NONE if parameters == DEFAULTS else str(Path(parameters).expanduser().resolve())
    return parse(data, Path(path))
