"""Running a scenario: every variant x replicate, with common random numbers, on local processes or Dask.

Replicate i of every variant runs with seed ``scenario.seed + i``, so paired differences between variants
show the effect of the change and not of chance. Each finished run is written at once to a per-variant
array on disk (``store.py``); nothing is held in memory but the run in hand, so memory stays flat as replicates grow, an interrupted ensemble
keeps every finished run, and ``--resume`` runs only what is missing. Tables and plots are built from the
arrays at the end (``report.py``, plots by ``sim/views/results.py``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..model import EBPModel
from ..observables import OBSERVABLES
from .manifest import manifest
from .scenario import Scenario, parse
from .store import Store


@dataclass(frozen=True)
class Task:
    variant: str
    replicate: int
    seed: int
    params: dict


def run_task(task: Task) -> tuple[str, int, np.ndarray | None, str | None]:
    """Run one model; return (variant, replicate, values, error). Never raises: a failure is reported."""
    try:
        model = EBPModel(seed=task.seed, params=task.params).run()
        return task.variant, task.replicate, model.observables.values.astype(np.float32), None
    except Exception:  # noqa: BLE001 - one failing replicate must not take the others down
        return task.variant, task.replicate, None, traceback.format_exc(limit=8)


def tasks_for(scenario: Scenario) -> list[Task]:
    out = []
    for r in range(scenario.replicates):
        for v in scenario.variants:
            out.append(Task(v, r, scenario.seed + r, scenario.params(v, r)))
    return out


def model_shape(scenario: Scenario) -> tuple[int, int, int]:
    m = EBPModel(seed=0, params=scenario.params(scenario.reference))
    return m.n_months, len(m.structures) + 1, len(OBSERVABLES)


def write_manifest(folder: Path, scenario: Scenario, status: str, failures: list[dict], executor: str, workers: int) -> None:
    seeds = [scenario.seed + r for r in range(scenario.replicates)]
    data = manifest(scenario.raw, seeds, status=status, failures=failures, executor=executor, workers=workers,
                    scenario_file=scenario.source, observables=list(OBSERVABLES))
    tmp = folder / ".manifest.json.partial"
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, folder / "manifest.json")


def scenario_of(folder: Path) -> Scenario:
    """The scenario as run, read back from a results folder's manifest (for --resume)."""
    man = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    return parse(man["scenario"], file=man.get("scenario_file", folder / "manifest.json"))


def run_ensemble(scenario: Scenario, folder: Path, workers: int = 1, executor: str = "local",
                 scheduler: str | None = None, progress: bool = True) -> dict:
    """Run every missing variant x replicate of `scenario` into `folder`. Returns a status dict."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder, scenario, model_shape(scenario))
    todo = [t for t in tasks_for(scenario) if not store.is_done(t.variant, t.replicate)]
    failures: list[dict] = []
    write_manifest(folder, scenario, "running", failures, executor, workers)
    total = scenario.replicates * len(scenario.variants)
    bar = tqdm(total=total, initial=total - len(todo), desc=scenario.name, unit="run", disable=not progress,
               dynamic_ncols=True)

    def handle(result):
        variant, rep, values, error = result
        if error is None:
            store.save(variant, rep, values)
        else:
            failures.append({"variant": variant, "replicate": rep, "seed": scenario.seed + rep, "error": error})
            tqdm.write(f"replicate {rep} of variant '{variant}' (seed {scenario.seed + rep}) failed:\n"
                       + error.strip().splitlines()[-1])
        bar.update(1)

    interrupted = False
    try:
        if executor == "dask":
            _run_dask(todo, scheduler, handle)
        elif workers <= 1:
            for t in todo:
                handle(run_task(t))
        else:
            _run_local(todo, workers, handle)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    status = "interrupted" if interrupted else ("incomplete" if failures else "complete")
    write_manifest(folder, scenario, status, failures, executor, workers)
    return {"status": status, "failures": failures, "done": sum(len(store.completed(v)) for v in scenario.variants),
            "total": total}


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent, which keeps what is done


def _run_local(todo: list, workers: int, handle, fn=run_task) -> None:
    # forkserver: workers start clean (no threads inherited from the parent's progress bar or Dask)
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint, mp_context=ctx) as pool:
        pending = set()
        it = iter(todo)
        try:
            # keep a bounded number of tasks in flight, so parameters and results never pile up in memory
            for t in it:
                pending.add(pool.submit(fn, t))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    handle(f.result())
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.add(pool.submit(fn, nxt))
        except KeyboardInterrupt:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_dask(todo: list, scheduler: str | None, handle, fn=run_task) -> None:
    from distributed import Client, as_completed

    client = Client(scheduler) if scheduler else Client(processes=False)
    try:
        futures = client.map(fn, todo, pure=False)
        for fut in as_completed(futures):
            handle(fut.result())
    finally:
        client.close()
