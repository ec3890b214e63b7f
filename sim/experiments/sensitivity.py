"""Which assumptions decide the answer: ``python run.py sensitivity CONFIG.yaml``.

A sensitivity config (``sim/experiments/sensitivity_config.py``) names outcomes (levels, and paired
contrasts between variants), the parameters to vary and the method. Each draw of the design runs every
variant with the same seeds (common random numbers: a contrast shows the change, not chance; the seeds are
also the same for every draw, so a parameter the model does not use has no effect at all). Each finished
draw is written at once to ``rows/<stage>.npy`` and marked done in ``rows/done/``; ``--resume DIR`` checks
that the config is unchanged and that the stored design equals the one the seed gives, then runs only the
missing draws. The designs and indices are SALib's (``sensitivity_analysis.py``); the plots are in
``sim/views/sensitivity_plots.py``.

Results folder: manifest.json, design/, rows/, draws.csv (every draw: parameters and outcomes), morris.csv,
sobol.csv, robustness.csv, robustness_boxes.csv, plots/, report.md.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..parameters import flat_spec
from . import sensitivity_analysis as sa
from .evaluate import read_outcomes
from .manifest import manifest, read_manifest, write_manifest_file
from .sensitivity_config import Config, parse_config
from .scenario import ScenarioError


@dataclass(frozen=True)
class Job:
    stage: str
    index: int
    draw: dict  # varied parameter -> value
    params: tuple  # model overrides, one per variant
    seeds: tuple
    values: tuple  # the Outcomes to read from each variant's run
    start: str
    end: str
    bounds: tuple = ()
    simulator: str = "ebpsim"


def simulate_ebpsim(job: Job) -> np.ndarray:
    """Every variant x seed of one draw; the mean over seeds of each value, variant by variant."""
    from ..model import EBPModel

    out = []
    for params in job.params:
        runs = [read_outcomes(EBPModel(seed=s, params=dict(params, end=job.end)).run().observables.values,
                              job.values, job.start) for s in job.seeds]
        out.append(np.mean(runs, axis=0))
    return np.concatenate(out)


def simulate_ishigami(job: Job) -> np.ndarray:
    """A known analytic case through the same machinery (tests, a check of the method): the Ishigami
    function of the first three varied parameters, each mapped from its range to [-π, π]. Any further
    parameter is unused. Its indices are known: S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244."""
    x = [-np.pi + 2 * np.pi * (v - lo) / (hi - lo) for v, (lo, hi) in zip(job.draw.values(), job.bounds)]
    y = np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])
    return np.full(len(job.params) * len(job.values), y)


SIMULATORS = {"ebpsim": simulate_ebpsim, "ishigami": simulate_ishigami}


def run_job(job: Job):
    """One draw; returns (stage, index, row, error). Never raises: a failure is reported and retried on resume."""
    try:
        return job.stage, job.index, SIMULATORS[job.simulator](job), None
    except Exception:  # noqa: BLE001 - one failing draw must not take the others down
        return job.stage, job.index, None, traceback.format_exc(limit=8)


class Rows:
    """The on-disk rows of one stage: one row per draw, marked done only once written.

    A row is written with pwrite into the stage's .npy file (not through a memory map: a full disk is then
    an error on the write, not a crash), and its marker is created after it, so a killed process leaves
    only complete rows marked done."""

    def __init__(self, folder: Path, stage: str, n: int, width: int):
        self.folder, self.stage, self.n, self.width = Path(folder), stage, n, width
        (self.folder / "rows" / "done").mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            arr = np.lib.format.open_memmap(self.path, mode="w+", dtype=np.float64, shape=(n, width))
            del arr  # a sparse file: nothing is read before its marker exists
        arr = np.load(self.path, mmap_mode="r")
        if arr.shape != (n, width):
            raise ScenarioError(folder, f"rows/{self.path.name}", f"shape {arr.shape}",
                                f"shape {(n, width)} for this config: the folder belongs to another analysis")
        self.offset = arr.offset
        del arr

    @property
    def path(self) -> Path:
        return self.folder / "rows" / f"{self.stage}.npy"

    def marker(self, i: int) -> Path:
        return self.folder / "rows" / "done" / f"{self.stage}.{i:06d}"

    def done(self) -> list[int]:
        names = {p.name for p in (self.folder / "rows" / "done").iterdir()}
        return [i for i in range(self.n) if f"{self.stage}.{i:06d}" in names]

    def save(self, i: int, row: np.ndarray) -> None:
        data = np.ascontiguousarray(row, dtype=np.float64).tobytes()
        assert len(data) == 8 * self.width
        fd = os.open(self.path, os.O_WRONLY)
        try:
            if os.pwrite(fd, data, self.offset + i * len(data)) != len(data):
                raise OSError(f"short write to {self.path}")
        finally:
            os.close(fd)
        self.marker(i).touch()

    def read(self) -> np.ndarray:
        return np.asarray(np.load(self.path, mmap_mode="r"), dtype=float)


# ------------------------------------------------------------------------------------------- designs
def design(cfg: Config, stage: str, names: list[str]) -> np.ndarray:
    """The stage's draws over all varied parameters (those not in `names` at their defaults), from the seed."""
    m = cfg.method
    idx = [cfg.names.index(n) for n in names]
    bounds = [cfg.bounds[i] for i in idx]
    if stage == "morris":
        sub = sa.morris_design(names, bounds, m["trajectories"], m["levels"], cfg.scenario.seed)
    else:
        sub = sa.sobol_design(names, bounds, m["samples"], cfg.scenario.seed)
    spec = flat_spec()
    X = np.tile([min(max(float(spec[n].default), lo), hi) for n, (lo, hi) in zip(cfg.names, cfg.bounds)],
                (len(sub), 1))
    X[:, idx] = sub
    return X


def run_values(cfg: Config, X: np.ndarray) -> np.ndarray:
    """The values a model run is given: whole-number parameters rounded (the design keeps the grid)."""
    V = X.copy()
    for j, is_int in enumerate(cfg.integer):
        if is_int:
            V[:, j] = np.round(V[:, j])
    return V


def jobs_for(cfg: Config, stage: str, X: np.ndarray, todo: list[int], simulator: str) -> list[Job]:
    V = run_values(cfg, X)
    base = [cfg.scenario.params(v) for v in cfg.scenario.variants]
    seeds = tuple(cfg.scenario.seed + r for r in range(cfg.replicates))
    end = max(v.month for v in cfg.values)  # later months cannot change the ones asked for
    out = []
    for i in todo:
        draw = {n: (int(v) if is_int else float(v)) for n, v, is_int in zip(cfg.names, V[i], cfg.integer)}
        params = tuple(_with_draw(p, draw) for p in base)
        out.append(Job(stage, i, draw, params, seeds, tuple(cfg.values), cfg.scenario.start, end,
                       tuple(cfg.bounds), simulator))
    return out


def _with_draw(params: dict, draw: dict) -> dict:
    import copy

    out = copy.deepcopy(params)
    for name, value in draw.items():
        d = out
        keys = name.split(".")
        for k in keys[:-1]:
            d = d.setdefault(k, {})
        d[keys[-1]] = value
    return out


# ------------------------------------------------------------------------------------------- running
def runs_per_draw(cfg: Config) -> int:
    return len(cfg.scenario.variants) * cfg.replicates


def run_stage(cfg: Config, folder: Path, stage: str, names: list[str], workers: int, executor: str,
              scheduler: str | None, progress: bool, simulator: str, counter: dict) -> tuple[np.ndarray, Rows, list]:
    from .ensemble import run_tasks

    X = design(cfg, stage, names)
    dpath = folder / "design" / f"{stage}.npy"
    dpath.parent.mkdir(parents=True, exist_ok=True)
    if dpath.exists():  # resume: the stored design must be the one this config and seed give
        if not np.array_equal(np.load(dpath), X):
            raise ScenarioError(folder, f"design/{stage}.npy", "a different design",
                                "the design this config and seed give (the code or SALib changed?); start a new folder")
    else:
        tmp = dpath.with_name(f".{stage}.partial.npy")
        np.save(tmp, X)
        os.replace(tmp, dpath)
    width = len(cfg.scenario.variants) * len(cfg.values)
    rows = Rows(folder, stage, len(X), width)
    done = set(rows.done())
    todo = [i for i in range(len(X)) if i not in done]
    per = runs_per_draw(cfg)
    failures: list = []
    bar = tqdm(total=len(X) * per, initial=len(done) * per, desc=f"{cfg.name}: {stage}", unit="run",
               disable=not progress, dynamic_ncols=True)

    def handle(result):
        _, i, row, error = result
        if error is None:
            rows.save(i, row)
            counter["runs"] += per
        else:
            failures.append({"stage": stage, "draw": i, "error": error})
            tqdm.write(f"draw {i} of {stage} failed:\n" + error.strip().splitlines()[-1])
        bar.update(per)

    try:
        tasks = jobs_for(cfg, stage, X, todo, simulator)
        run_tasks(tasks, handle, executor, workers, scheduler, fn=run_job, runs_per_task=per)
    finally:
        bar.close()
    return X, rows, failures


def outcome_table(cfg: Config, rows: np.ndarray) -> pd.DataFrame:
    """Each outcome per draw: a variant's value, or the paired difference of two variants."""
    variants = list(cfg.scenario.variants)
    keys = [v.name for v in cfg.values]
    nv = len(keys)
    out = {}
    for o in cfg.outcomes:
        col = keys.index(o.value.name)
        val = rows[:, variants.index(o.of) * nv + col]
        if o.is_contrast:
            val = val - rows[:, variants.index(o.minus) * nv + col]
        out[o.name] = val
    return pd.DataFrame(out)


def write_manifest(folder: Path, cfg: Config, status: str, **extra) -> None:
    data = manifest(cfg.raw, [cfg.scenario.seed + r for r in range(cfg.replicates)], status=status,
                    config_file=cfg.file, config_digest=cfg.digest(), parameters=dict(zip(cfg.names, cfg.bounds)),
                    excluded=cfg.excluded, libraries=_versions(("SALib", "ema_workbench")), **extra)
    write_manifest_file(folder, data)


def _sessions(folder: Path) -> list:
    try:
        man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if "sessions" in man:
        return list(man["sessions"])
    return [{k: man[k] for k in ("runs", "seconds", "workers", "executor", "status")}] if "runs" in man else []


def _versions(names) -> dict:
    from importlib import metadata

    return {n: metadata.version(n) for n in names}


def config_of(folder: Path) -> Config:
    """The config as run, read back from a results folder's manifest (for --resume)."""
    man = read_manifest(folder)
    if "config_digest" not in man:
        raise ScenarioError(folder, "manifest.json", "a results folder of another command",
                            "a folder written by run.py sensitivity")
    return parse_config(man["scenario"], man.get("config_file", Path(folder) / "manifest.json"))


def run_analysis(cfg: Config, folder: Path, workers: int = 1, executor: str = "local", scheduler: str | None = None,
                 progress: bool = True, simulator: str = "ebpsim") -> dict:
    """Run (or finish) the analysis of `cfg` into `folder`, then write its tables, plots and report."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    m = cfg.method
    counter = {"runs": 0}
    stages = ["morris", "sobol"] if m["name"] == "morris+sobol" else [m["name"]]
    sessions = _sessions(folder)  # earlier sessions of a resumed analysis: their runs and time count too
    write_manifest(folder, cfg, "running", executor=executor, workers=workers, sessions=sessions)
    t0 = time.perf_counter()
    results: dict = {}
    status, failures = "complete", []
    try:
        for stage in stages:
            names = cfg.names
            if stage == "sobol" and "morris" in results:
                names = results["morris"]["top"]
            X, rows, failed = run_stage(cfg, folder, stage, names, workers, executor, scheduler, progress,
                                        simulator, counter)
            failures += failed
            if failed:
                status = "incomplete"
                break
            Y = outcome_table(cfg, rows.read())
            results[stage] = analyse(cfg, stage, names, X, Y)
    except KeyboardInterrupt:
        status = "interrupted"
    elapsed = time.perf_counter() - t0
    stats = {"runs": counter["runs"], "seconds": round(elapsed, 2),
             "runs_per_second": round(counter["runs"] / elapsed, 3) if elapsed > 0 else None,
             "total_runs": total_runs(cfg)}
    sessions = sessions + [{"runs": counter["runs"], "seconds": round(elapsed, 2), "workers": workers,
                            "executor": executor, "status": status}]
    stats["all_sessions"] = {"sessions": len(sessions), "runs": sum(x["runs"] for x in sessions),
                             "seconds": round(sum(x["seconds"] for x in sessions), 2)}
    if status == "complete":
        from .manifest import model_fingerprint
        from .sensitivity_report import write_results

        if simulator == "ebpsim":  # the model analysed (a summary quotes it; the tests check the shipped one)
            stats["model_fingerprint"] = model_fingerprint()
        write_results(cfg, folder, results, stats)
    write_manifest(folder, cfg, status, executor=executor, workers=workers, failures=failures, sessions=sessions,
                   **stats)
    return {"status": status, "failures": failures, **stats, "results": results}


def total_runs(cfg: Config) -> int:
    k, m = len(cfg.names), cfg.method
    draws = {"morris": m.get("trajectories", 0) * (k + 1), "sobol": m.get("samples", 0) * (k + 2),
             "morris+sobol": m.get("trajectories", 0) * (k + 1) + m.get("samples", 0) * (m.get("top", 0) + 2)}
    return draws[m["name"]] * runs_per_draw(cfg)


def analyse(cfg: Config, stage: str, names: list[str], X: np.ndarray, Y: pd.DataFrame) -> dict:
    m = cfg.method
    idx = [cfg.names.index(n) for n in names]
    bounds = [cfg.bounds[i] for i in idx]
    tables = {}
    for o in Y.columns:
        if stage == "morris":
            t = sa.morris_indices(names, bounds, X[:, idx], Y[o].to_numpy(), m["levels"], m["resamples"],
                                  m["confidence"], cfg.scenario.seed)
        else:
            t = sa.sobol_indices(names, bounds, Y[o].to_numpy(), m["resamples"], m["confidence"], cfg.scenario.seed)
        tables[o] = t
    out = {"X": X, "Y": Y, "tables": tables, "names": names}
    if stage == "morris" and "top" in m:
        out["top"] = sa.top_parameters(tables, m["top"])
    return out
