"""Calibration configs (``calibration/config.yaml``): reading and checking them.

    targets: targets.yaml                 # relative to the config
    scenario: ../scenarios/baseline.yaml  # its reference variant, at the default parameters, is calibrated
    seed: 20261123
    method: {name: abc-smc, population: 200, generations: 8, min_acceptance: 0.03, quantile: 0.5}
    budget: {simulations: 6000}
    predictive: 100                       # posterior predictive runs for the fit report
    held_out: [target, ...]               # never in the distance: shown out of sample
    free:                                 # the fitted parameters and their uniform priors:
      - rd.uptake                         #   a bare name: uniform over its declared plausible range
      structure.link_rate.elderly: plausible          # the same, as a mapping
      salar.attend_prob.information: {uniform: [0.03, 0.4]}   # an explicit range, within the bounds
    contrasts:                            # optional: the policy contrasts the fit report attributes to the parameters
      draws: 40                           # posterior draws, each run in both variants with the same seeds
      seeds: 2                            # seeds per draw (>= 2): their spread at fixed parameters is chance
      value: adoption_mean@2020-12        # what is compared (OBSERVABLE@YYYY-MM[:PLACE])
      compare:
        unit_minus_network: {scenario: ../scenarios/unit_vs_network.yaml, of: all_unit, minus: all_network}

Priors from the declarations in ``sim/parameters.py`` (``plausible_range``) keep the config and the
declarations from drifting apart. Every error is one `TargetError` naming the file, key, value and what is
allowed, raised before anything is written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from sim.experiments.evaluate import check_months, parse_outcome
from sim.experiments.scenario import _NOTHING, ScenarioError, _unknown, load, read_yaml
from sim.parameters import flat_spec

from .abc import UniformPrior
from .targets import TargetError, check_period, load_targets

METHOD_KEYS = {"name": "abc-smc", "population": 200, "generations": 8, "min_acceptance": 0.03, "quantile": 0.5}
TOP_KEYS = ("targets", "scenario", "seed", "method", "budget", "predictive", "free", "held_out", "contrasts")
CONTRAST_KEYS = {"draws": 40, "seeds": 2, "value": "adoption_mean@2020-12", "compare": None}
PLAUSIBLE = "plausible"
FREE_FORM = "a parameter name (uniform over its declared plausible range), name: plausible, or name: {uniform: [low, high]}"


def load_config(path) -> dict:
    path = Path(path)
    cfg = read_yaml(path, "calibration config", TargetError)
    if not isinstance(cfg, dict):
        raise TargetError(path, "", cfg, "a mapping with " + ", ".join(TOP_KEYS))
    for k in cfg:
        if k not in TOP_KEYS:
            _unknown(path, k, k, TOP_KEYS)
    for k in ("targets", "free"):
        if k not in cfg:
            raise TargetError(path, k, _NOTHING, f"a '{k}' entry: it is missing")
    for k, kind in (("method", "a mapping of " + ", ".join(METHOD_KEYS)), ("budget", "a mapping {simulations: N}")):
        if cfg.get(k) is not None and not isinstance(cfg[k], dict):
            raise TargetError(path, k, cfg[k], kind)
    if not isinstance(cfg["targets"], str) or not cfg["targets"].strip():
        raise TargetError(path, "targets", cfg["targets"], "the path of a targets file")
    if not isinstance(cfg.get("scenario", ""), str):
        raise TargetError(path, "scenario", cfg["scenario"], "the path of a scenario file")
    method = dict(METHOD_KEYS, **(cfg.get("method") or {}))
    for k, v in method.items():
        if k not in METHOD_KEYS:
            _unknown(path, f"method.{k}", k, METHOD_KEYS)
    if not isinstance(method["name"], str) or method["name"] != "abc-smc":
        raise TargetError(path, "method.name", method["name"], "abc-smc")
    for k, lo in (("population", 2), ("generations", 1)):
        _whole(path, f"method.{k}", method[k], lo)
    for k in ("min_acceptance", "quantile"):
        if not _finite(method[k]) or not 0 < method[k] < 1:
            raise TargetError(path, f"method.{k}", method[k], "a number between 0 and 1")
    budget = (cfg.get("budget") or {}).get("simulations", 10_000)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < method["population"]:
        raise TargetError(path, "budget.simulations", budget, f"a whole number >= method.population ({method['population']})")
    prior = free_prior(path, cfg["free"])
    seed = _whole(path, "seed", cfg.get("seed", 1), 0)
    targets_path = (path.parent / cfg["targets"]).resolve()
    targets, patterns = load_targets(targets_path)
    scenario_path = (path.parent / cfg.get("scenario", "../scenarios/baseline.yaml")).resolve()
    scenario = load(scenario_path, parameters="defaults")  # the fit makes the posterior: it starts from the defaults
    check_period(targets_path, targets, patterns, scenario.start, scenario.end)
    held_out = cfg.get("held_out") or []
    names_t = [t.name for t in targets]
    if not isinstance(held_out, list) or not all(isinstance(h, str) for h in held_out):
        raise TargetError(path, "held_out", held_out, "a list of target names, kept out of the fit for validation")
    for i, h in enumerate(held_out):
        if h not in names_t:
            _unknown(path, f"held_out[{i}]", h, names_t)
    if len(set(held_out)) == len(targets):
        raise TargetError(path, "held_out", held_out, "some targets left to fit")
    predictive = _whole(path, "predictive", cfg.get("predictive", 100), 1)
    return {"file": str(path.resolve()), "raw": cfg, "method": method, "budget": budget, "seed": seed, "targets": targets,
            "patterns": patterns, "targets_file": str(targets_path), "scenario": scenario, "predictive": predictive,
            "held_out": list(dict.fromkeys(held_out)), "fit_targets": [t for t in targets if t.name not in held_out],
            "prior": prior, "contrasts": contrasts_config(path, cfg.get("contrasts"))}


def free_prior(path, free) -> UniformPrior:
    """The fitted parameters and their uniform priors (see the module doc for the three forms)."""
    spec = flat_spec()
    if isinstance(free, list):
        if not all(isinstance(n, str) for n in free) or len(set(free)) != len(free):
            raise TargetError(path, "free", free, "a list of distinct parameter names, or a mapping name: prior")
        free = {n: PLAUSIBLE for n in free}
    if not isinstance(free, dict) or not free:
        raise TargetError(path, "free", free, "parameters to fit: " + FREE_FORM)
    numeric = [k for k, v in spec.items() if not isinstance(v.default, (str, dict)) and v.choices is None]
    names, lo, hi = [], [], []
    for name, prior in free.items():
        if name not in numeric:
            _unknown(path, f"free.{name}", name, numeric)
        p = spec[name]
        if prior == PLAUSIBLE or prior is None:
            if p.plausible is None:
                raise TargetError(path, f"free.{name}", prior, f"{{uniform: [low, high]}}: {name} declares no "
                                  "plausible range in sim/parameters.py")
            a, b = p.plausible
        elif isinstance(prior, dict) and list(prior) == ["uniform"] and isinstance(prior["uniform"], list) \
                and len(prior["uniform"]) == 2 and all(_finite(x) for x in prior["uniform"]):
            a, b = prior["uniform"]
        else:
            raise TargetError(path, f"free.{name}", prior, "plausible (its declared range) or {uniform: [low, high]}")
        if not a < b or (p.lo is not None and a < p.lo) or (p.hi is not None and b > p.hi):
            raise TargetError(path, f"free.{name}.uniform", [a, b], f"low < high within the parameter's range [{p.lo}, {p.hi}]")
        names.append(name), lo.append(float(a)), hi.append(float(b))
    return UniformPrior(names, np.array(lo, float), np.array(hi, float))


def contrasts_config(path, raw) -> dict | None:
    """The `contrasts:` entry checked: draws, seeds, the value and each contrast's scenario and variants."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TargetError(path, "contrasts", raw, "a mapping of " + ", ".join(CONTRAST_KEYS))
    for k in raw:
        if k not in CONTRAST_KEYS:
            _unknown(path, f"contrasts.{k}", k, CONTRAST_KEYS)
    out = dict(CONTRAST_KEYS, **raw)
    _whole(path, "contrasts.draws", out["draws"], 2)
    _whole(path, "contrasts.seeds", out["seeds"], 2)
    try:
        value = parse_outcome(out["value"], path, "contrasts.value")
    except ScenarioError as e:
        raise TargetError(e.file, e.path, e.value, e.allowed) from None
    compare = out["compare"]
    if not isinstance(compare, dict) or not compare:
        raise TargetError(path, "contrasts.compare", compare if compare is not None else _NOTHING,
                          "named contrasts: {scenario: FILE, of: VARIANT, minus: VARIANT}")
    contrasts = {}
    for name, c in compare.items():
        where = f"contrasts.compare.{name}"
        if not isinstance(c, dict) or set(c) != {"scenario", "of", "minus"} or not isinstance(c["scenario"], str):
            raise TargetError(path, where, c, "{scenario: FILE, of: VARIANT, minus: VARIANT}")
        sc = load((Path(path).parent / c["scenario"]).resolve(), parameters="defaults")  # draws come from the fit
        for side in ("of", "minus"):
            if c[side] not in sc.variants:
                _unknown(path, f"{where}.{side}", c[side], list(sc.variants))
        if c["of"] == c["minus"]:
            raise TargetError(path, f"{where}.minus", c["minus"], "a variant other than 'of'")
        try:
            check_months([value], sc.start, sc.end, path, "contrasts.value")
        except ScenarioError as e:
            raise TargetError(e.file, e.path, e.value, e.allowed + f" of {sc.source}") from None
        contrasts[str(name)] = {"scenario": sc, "of": c["of"], "minus": c["minus"]}
    return {"draws": out["draws"], "seeds": out["seeds"], "value": value, "compare": contrasts}


def _whole(path, key, value, lo):
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise TargetError(path, key, value, f"a whole number >= {lo}")
    return value


def _finite(x) -> bool:
    return not isinstance(x, bool) and isinstance(x, (int, float)) and np.isfinite(x)


def inputs_of(cfg) -> dict:
    """What decides a calibration's outcome generation by generation; a resume refuses any change to it.
    (More generations or a larger budget may be given to a resume: they extend, not change, the run.)"""
    from .calibrate import calibration_base

    m = cfg["method"]
    prior = cfg["prior"]

    def digest(obj) -> str:
        return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()

    sc = cfg["scenario"]
    return {"seed": cfg["seed"], "population": m["population"], "quantile": m["quantile"],
            "min_acceptance": m["min_acceptance"],
            "free": {n: [float(a), float(b)] for n, a, b in zip(prior.names, prior.lo, prior.hi)},
            "targets": {"path": cfg["targets_file"], "sha256": digest([t.__dict__ for t in cfg["targets"]])},
            "held_out": cfg.get("held_out", []),
            "scenario": {"path": sc.source, "sha256": digest([calibration_base(cfg), sc.draws])}}
