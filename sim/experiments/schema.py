"""The JSON schema of scenario files, generated from the parameter declarations.

Editors that understand JSON Schema for YAML (for example through a ``# yaml-language-server: $schema=``
comment) complete keys and flag bad values while a scenario is written. ``scenarios/schema.json`` is this
schema; ``python run.py schema`` prints it, and a test checks the two agree. ``run.py validate`` gives the
authoritative check, with messages that name the file and key path.
"""

from __future__ import annotations

from ..parameters import AREAS, CHANNELS, COUNTY_KEYS, SPEC, Param
from .scenario import TOP_KEYS, county_groups, county_names


def _param(p: Param) -> dict:
    out: dict = {"description": f"{p.doc + '. ' if p.doc else ''}Unit: {p.unit}. Source: {p.source}. Default: {p.default}"}
    if isinstance(p.default, dict):
        out.update(type="object", propertyNames={"pattern": "^[0-9]{4}$"},
                   additionalProperties={"type": "number", "minimum": 0, "maximum": 1})
    elif p.choices is not None:
        out["enum"] = list(p.choices)
    elif isinstance(p.default, str):
        out.update(type="string", pattern="^[0-9]{4}-(0[1-9]|1[0-2])$")
    elif isinstance(p.default, int) and p.unit.startswith(("months", "sub-steps", "actors")):
        out["type"] = "integer"
    else:
        out["type"] = "number"
    if p.lo is not None:
        out["minimum"] = p.lo
    if p.hi is not None:
        out["maximum"] = p.hi
    return out


def _tree(spec: dict, skip=()) -> dict:
    props = {}
    for k, v in spec.items():
        if k in skip:
            continue
        props[k] = _param(v) if isinstance(v, Param) else _tree(v)
    return {"type": "object", "additionalProperties": False, "properties": props}


def _county_settings() -> dict:
    props = {}
    for k, p in COUNTY_KEYS.items():
        if k == "areas":
            props[k] = {"anyOf": [{"const": "auto"}, {"type": "array", "items": {"enum": list(AREAS)}}]}
        elif k == "structure":
            props[k] = {"type": "boolean"}
        elif k in ("meeting_places", "decision_paths", "platform_at_rd"):
            props[k] = {"anyOf": [{"type": "boolean"}, {"enum": [0, 1]}]}
        else:
            props[k] = _param(p)
        props[k]["description"] = f"{p.unit} ({p.source})".strip()
    return {"type": "object", "additionalProperties": False, "properties": props}


def overrides_schema() -> dict:
    s = _tree(SPEC, skip=("start", "end"))
    s["properties"]["channels"] = {"type": "object", "additionalProperties": False,
                                   "properties": {c: {"type": "boolean"} for c in CHANNELS}}
    targets = sorted(set(county_groups()) | {n for n in county_names() if not n.isdigit()})
    s["properties"]["counties"] = {
        "type": "object", "description": "per county (code or name) or group: " + ", ".join(county_groups()),
        "additionalProperties": _county_settings(),
        "propertyNames": {"anyOf": [{"enum": targets}, {"pattern": "^[0-9]{1,2}$"}]},
    }
    return s


def scenario_schema() -> dict:
    variant = overrides_schema()
    variant["properties"]["reference"] = {"type": "boolean"}
    variant["properties"]["description"] = {"type": "string"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ebpsim scenario",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "variants"],
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": TOP_KEYS["name"]},
            "description": {"type": "string"},
            "period": {"type": "object", "additionalProperties": False, "properties": {
                "start": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
                "end": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}}},
            "seed": {"type": "integer", "minimum": 0},
            "replicates": {"type": "integer", "minimum": 1},
            "calibration": {"type": "string", "description": TOP_KEYS["calibration"]},
            "base": overrides_schema(),
            "variants": {"type": "object", "minProperties": 1, "additionalProperties": variant,
                         "propertyNames": {"pattern": "^[A-Za-z0-9_-]+$"}},
        },
    }
