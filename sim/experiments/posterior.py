"""The parameters a scenario runs at: the model's defaults, or posterior draws of a calibration.

A scenario file says which with its ``calibration:`` key: a path to a calibrated parameter file (``run.py
calibrate`` writes one; the shipped ``calibration/calibrated.yaml``), so that replicate i runs with posterior
draw i in every variant and every comparison carries parameter uncertainty as well as chance; or ``none``
(or no key) for the defaults. ``run.py SCENARIO --parameters defaults|FILE`` overrides the file. The
manifest records the choice (`record`) and the draws' fingerprint (`draws_hash`), so a resume refuses
draws that changed since the run started.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..parameters import ParameterError, defaults, merge

NONE = "none"  # `calibration: none`: run at the model's defaults
DEFAULTS = "defaults"  # `--parameters defaults`
CHOICE_FORM = "'defaults', or a calibrated parameter file such as calibration/calibrated.yaml"


def systematic_resample(weights, n: int, seed: int) -> np.ndarray:
    """n indices drawn by weight, reproducibly from `seed` (systematic resampling: low variance)."""
    w = np.asarray(weights, dtype=float)
    u = (np.random.default_rng([seed, 99]).random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(w / w.sum()), u), len(w) - 1)


def is_none(calibration) -> bool:
    return isinstance(calibration, str) and calibration.strip().lower() == NONE


def calibration_path(file, calibration: str) -> Path:
    """A scenario's `calibration:` path, resolved once: against the scenario file's folder (the current
    folder for a scenario given as data), absolute, so a resume from anywhere reads the same file."""
    path = Path(calibration).expanduser()
    if not path.is_absolute():
        base = Path(str(file)).parent if not str(file).startswith("<") else Path.cwd()
        path = base / path
    return path.resolve()


def load_draws(file, calibration: str, path: Path | None = None) -> list[dict]:
    """The posterior draws of a calibrated parameter file (``run.py calibrate`` writes calibrated.yaml)."""
    from .scenario import _NOTHING, ScenarioError, read_yaml  # scenario.py reads this module lazily too

    path = path or calibration_path(file, calibration)
    if not path.is_file():
        raise ScenarioError(file, "calibration", calibration, f"a calibrated parameter file, or {NONE} for the "
                            f"default parameters: {path} " + ("is a folder" if path.is_dir() else "does not exist"))
    doc = read_yaml(path, "calibrated parameter file")
    draws = doc.get("draws") if isinstance(doc, dict) else None
    if not isinstance(draws, list) or not draws or not all(
            isinstance(d, dict) and isinstance(d.get("params"), dict) and not isinstance(d.get("weight"), bool)
            and isinstance(d.get("weight"), (int, float)) and d["weight"] >= 0 for d in draws):
        raise ScenarioError(path, "draws", _NOTHING, "a list of draws: [{weight: a number >= 0, params: {...}}]")
    if not sum(d["weight"] for d in draws) > 0:
        raise ScenarioError(path, "draws", _NOTHING, "draws of which at least one has a weight above 0")
    base = defaults()
    for i, d in enumerate(draws):
        try:
            merge(_mentioned(base, d["params"]), d["params"])
        except ParameterError as e:
            raise ScenarioError(path, f"draws[{i}].params.{e.path}", e.value, e.allowed) from None
    return draws


def _mentioned(base: dict, overrides: dict) -> dict:
    """The part of `base` that `overrides` names, for checking the overrides with `merge` (which copies its
    base whole, and checks against the parameters' specification, not the base): merging 200 posterior draws
    into the whole defaults was a tenth of a second of every run."""
    return {k: _mentioned(base[k], v) if isinstance(v, dict) and isinstance(base[k], dict) else base[k]
            for k, v in overrides.items() if k in base}


def draws_hash(draws: list[dict]) -> str:
    """A fingerprint of posterior draws: a resume refuses draws that changed since the run started."""
    return hashlib.sha256(json.dumps(draws, sort_keys=True).encode()).hexdigest()


def shown(path) -> str:
    """A path as a user would type it: relative to the current folder when it is below it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive
        return str(path)


def describe(scenario) -> str:
    """The parameters of a scenario's runs, in words, for the console and reports."""
    if not scenario.draws:
        return "at the default parameters"
    used = len(set(scenario.draw_index()))
    return (f"over {used} posterior draws of {shown(scenario.calibration_file)} (one per replicate, the same in "
            f"every variant; drawn by weight from the {len(scenario.draws)} in the file)")


def record(scenario) -> dict:
    """What the manifest says about the parameters: defaults, or which draws of which file each replicate used."""
    if not scenario.draws:
        return {"at": DEFAULTS}
    return {"at": "posterior", "calibration": scenario.calibration_file, "draws_in_file": len(scenario.draws),
            "sha256": draws_hash(scenario.draws), "draw_of_replicate": scenario.draw_index()}


def same_choice(recorded: dict, choice: str) -> bool:
    """Whether `--parameters CHOICE` asks for what a run recorded (`record`)."""
    if choice == DEFAULTS:
        return recorded.get("at") == DEFAULTS
    return recorded.get("at") == "posterior" and recorded.get("calibration") == str(Path(choice).expanduser().resolve())
