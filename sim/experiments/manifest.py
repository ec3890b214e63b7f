"""The manifest every results folder carries: scenario, seeds, package versions, code revision, and the
inputs the results depend on (files by absolute path and SHA-256), so that a resume can refuse inputs that
changed since the run started. Written atomically; read back with a clear error if it is damaged."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ebpsim", "mesa", "numpy", "scipy", "pandas", "matplotlib", "networkx", "pyyaml", "tqdm", "pyarrow",
            "distributed")


@cache  # one process runs one revision: a run writes its manifest two or three times
def code_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def package_versions() -> dict:
    return dict(_package_versions())


@cache
def _package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def model_fingerprint(params: dict | None = None) -> str:
    """What identifies the model's behaviour, for a calibration or a sensitivity analysis to record: the SHA-256
    of every observable of one national run at the defaults (seed 0, 2010-2020), each to 6 significant digits.
    A change to a mechanism, a default or the data moves it; a different BLAS or CPU, which may change a last
    bit, does not (by estimate, a last bit changes a rounded digit or a draw in about one such run in 10^5).
    `params`: overrides of the defaults, for the tests."""
    from ..model import EBPModel  # here: a manifest is written without running the model

    values = EBPModel(seed=0, params=params).run().observables.values + 0.0  # (+ 0.0: no negative zeros)
    text = "\n".join(f"{v:.6g}" for v in values.ravel().tolist())
    return hashlib.sha256(text.encode()).hexdigest()


def manifest(scenario: dict, seeds: list[int], **extra) -> dict:
    return {
        "scenario": scenario,
        "seeds": seeds,
        "packages": package_versions(),
        "code_revision": code_revision(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
        **extra,
    }


class ManifestError(ValueError):
    """A results folder whose manifest is missing or cannot be read; the message says which and why."""


def file_hash(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(folder, kind: str = "ebpsim results folder") -> dict:
    """The manifest of `folder`, checked to be one: a clear ManifestError otherwise."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not folder.is_dir():
        raise ManifestError(f"{folder}: expected an {kind}: " + ("it is a file" if folder.exists() else "no such folder"))
    if not path.is_file():
        raise ManifestError(f"{folder}: expected an {kind}: it has no manifest.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(f"{path}: the manifest is damaged ({str(e)[:80]}); expected the JSON an ebpsim run "
                            "writes") from None
    if not isinstance(data, dict) or "status" not in data:
        raise ManifestError(f"{path}: expected the manifest of an {kind}, with a status")
    return data


def write_manifest_file(folder, data: dict) -> None:
    """Write `folder`/manifest.json atomically: a reader sees the old or the new one, never half of one."""
    folder = Path(folder)
    tmp = folder / ".manifest.json.partial"
    try:
        tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, folder / "manifest.json")
    finally:
        tmp.unlink(missing_ok=True)


def set_status(folder, status: str, **extra) -> None:
    """Change the status of an existing manifest (e.g. to complete once the tables are written)."""
    data = read_manifest(folder)
    data.update(status=status, **extra)
    write_manifest_file(folder, data)


def changed_inputs(recorded: dict, current: dict) -> list[str]:
    """What differs between the inputs a run recorded and the inputs it would use now, in words."""
    out = []
    for key in sorted(set(recorded) | set(current)):
        old, new = recorded.get(key), current.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and "sha256" in old:
            where = new.get("path") or old.get("path")
            out.append(f"{key} ({where}) changed since the run started" if old.get("path") == new.get("path")
                       else f"{key} is now {new.get('path')} (was {old.get('path')})")
        else:
            out.append(f"{key} was {_brief(old)}, now {_brief(new)}")
    return out


def _brief(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
