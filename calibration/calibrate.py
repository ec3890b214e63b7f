"""Calibrating ebpsim against the reported figures, and predicting beyond them.

    python run.py calibrate calibration/config.yaml [--workers N] [--executor dask --scheduler ADDR] [--publish]
                                                    [--out DIR] [--resume DIR] [--budget N]
    python run.py predict DIR|calibrated.yaml --observable reach_any [--county national] [--until 2016-12]
                          [--draws 100] [--out DIR]

(the two commands are in ``commands.py``; the config is read by ``config.py``, the fit report written by
``report.py``, the policy contrasts attributed to the parameters by ``contrasts.py``)

`calibrate` fits the free parameters of the config by ABC-SMC (``calibration/abc.py``) and writes to DIR
(default ``results/calibration/<timestamp>``): the posterior sample (``posterior.csv``), a calibrated
parameter file for scenarios (``calibrated.yaml``; a scenario says ``calibration: PATH`` to run its
replicates over posterior draws), a fit report (``fit_report.md``, ``fit_report.csv``, ``patterns.csv``,
``identifiability.csv``) with plots, and a manifest. `predict` runs posterior draws past the calibration
data and writes the forecast of an observable with its band as a table and a plot.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import yaml

from sim.model import EBPModel
from sim.experiments.ensemble import connect, worker_init
from sim.experiments.manifest import model_fingerprint
from sim.experiments.posterior import systematic_resample

from .abc import ABCState, smc
from .config import inputs_of, load_config  # noqa: F401 - the config's reader, kept importable from here
from .likelihoods import distances
from .targets import Reader

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------- simulation
def set_path(params: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    d = params
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = float(value)


def theta_params(base: dict, names: list[str], theta) -> dict:
    out = copy.deepcopy(base)
    for n, v in zip(names, theta):
        set_path(out, n, v)
    return out


def _simulate(job) -> np.ndarray:
    """One model run for a parameter vector; returns the whole observables array (float32)."""
    base, names, theta, seed = job
    try:
        return EBPModel(seed=seed, params=theta_params(base, names, theta)).run().observables.values.astype(np.float32)
    except Exception:  # noqa: BLE001 - a failing particle is far away, not fatal
        return None


class Evaluator:
    """Ordered parallel map over model runs: local processes (which end with this process, also on kill -9),
    a Dask cluster, or in process."""

    def __init__(self, workers: int = 1, executor: str = "local", scheduler: str | None = None):
        self.workers, self.executor, self.scheduler = workers, executor, scheduler
        self.pool = self.client = None

    def __enter__(self):
        if self.executor == "dask":
            self.client = connect(self.scheduler)
        elif self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"),
                                            initializer=worker_init, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc):
        if self.pool:
            self.pool.shutdown(cancel_futures=True)
        if self.client:
            self.client.close()

    def map(self, fn, jobs: list) -> list:
        if self.client is not None:
            return self.client.gather(self.client.map(fn, jobs, pure=False))
        if self.pool is not None:
            return list(self.pool.map(fn, jobs, chunksize=max(1, len(jobs) // (4 * self.workers))))
        return [fn(j) for j in jobs]


def calibration_base(cfg) -> dict:
    """The scenario's reference set-up, run only as far as the last month a fitted target reads."""
    sc = cfg["scenario"]
    base = sc.params(sc.reference)
    base["end"] = max(d for t in cfg["fit_targets"] for d in t.dates)
    return base


def run_calibration(cfg, out: Path, workers=1, executor="local", scheduler=None, progress=True) -> ABCState:
    out.mkdir(parents=True, exist_ok=True)
    base = calibration_base(cfg)
    reader = Reader(base["start"])
    targets, prior = cfg["fit_targets"], cfg["prior"]
    with Evaluator(workers, executor, scheduler) as ev:
        def simulate(batch):
            arrays = ev.map(_simulate, [(base, prior.names, th, s) for th, s in batch])
            return [np.full(len(targets), np.nan) if a is None else reader.summary(a, targets) for a in arrays]

        m = cfg["method"]
        state = smc(simulate, prior, np.zeros(len(targets)), np.ones(len(targets)), population=m["population"],
                    generations=m["generations"], quantile=m["quantile"], min_acceptance=m["min_acceptance"],
                    budget=cfg["budget"], seed=cfg["seed"], folder=out / "abc", progress=progress,
                    distance_fn=lambda figures: distances(figures, targets))
    return state


def in_repository(path) -> str:
    """A path relative to the repository when it is inside it (so shipped files hold no machine's paths)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def write_calibrated(cfg, gen, out: Path) -> Path:
    names = cfg["prior"].names
    draws = []
    for theta, w in zip(gen.particles, gen.weights):
        p = {}
        for n, v in zip(names, theta):
            set_path(p, n, round(float(v), 6))
        draws.append({"weight": float(w), "params": p})
    # the model fitted, by the outputs of its reference run: the tests check that the shipped posterior is still
    # of the model as it stands (sim.experiments.manifest.model_fingerprint)
    doc = {"calibration": in_repository(cfg["file"]), "seed": cfg["seed"], "generation": gen.t, "tolerance": float(gen.eps),
           "model_fingerprint": model_fingerprint(), "parameters": names, "draws": draws}
    path = out / "calibrated.yaml"
    tmp = out / ".calibrated.yaml.partial"
    tmp.write_text("# Posterior draws of a calibration; use from a scenario with  calibration: PATH\n"
                   + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(tmp, path)
    return path


def predictive_runs(cfg, gen, n: int, end: str | None, ev: Evaluator, seed_offset: int = 0) -> tuple[np.ndarray, dict]:
    sc = cfg["scenario"]
    base = sc.params(sc.reference)
    if end:
        base["end"] = end
    idx = systematic_resample(gen.weights, n, cfg["seed"] + seed_offset)
    seeds = [int(s) for s in np.random.SeedSequence([cfg["seed"], 1234, seed_offset]).generate_state(n, dtype=np.uint32)]
    arrays = ev.map(_simulate, [(base, cfg["prior"].names, gen.particles[i], s) for i, s in zip(idx, seeds)])
    return np.array([a for a in arrays if a is not None]), base


