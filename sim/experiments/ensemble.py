"""Running a scenario: every variant x replicate, with common random numbers, on local processes or Dask.

Replicate i of every variant runs with seed ``scenario.seed + i``, so paired differences between variants
show the effect of the change and not of chance. Each finished run is written at once to a per-variant
array on disk (``store.py``); nothing is held in memory but the run in hand, so memory stays flat as replicates grow, an interrupted ensemble
keeps every finished run, and ``--resume`` runs only what is missing. Tables and plots are built from the
arrays at the end (``report.py``, plots by ``sim/views/results.py``).
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import sys
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .manifest import ManifestError, changed_inputs, file_hash, manifest, read_manifest, write_manifest_file
from .mesa_import import import_mesa
from .posterior import draws_hash, record
from .scenario import Scenario, parse
from .store import FolderError, Store
from .workers import frozen_heap, worker_init

import_mesa()  # before the model, which imports it: a fifth faster (mesa_import.py)
from ..model import EBPModel  # noqa: E402
from ..observables import OBSERVABLES  # noqa: E402


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


def inputs_of(scenario: Scenario) -> dict:
    """What the results depend on beyond the scenario as run (which the manifest holds): the posterior draws
    of its calibration, by absolute path and fingerprint."""
    out = {}
    if scenario.calibration_file:
        out["calibration"] = {"path": scenario.calibration_file, "sha256": draws_hash(scenario.draws)}
    return out


def write_manifest(folder: Path, scenario: Scenario, status: str, failures: list[dict], executor: str, workers: int,
                   **extra) -> None:
    seeds = [scenario.seed + r for r in range(scenario.replicates)]
    source = Path(scenario.source)
    data = manifest(scenario.raw, seeds, status=status, failures=failures, executor=executor, workers=workers,
                    scenario_file=str(source.resolve()) if source.is_file() else scenario.source,
                    scenario_sha256=file_hash(source) if source.is_file() else None,
                    inputs=inputs_of(scenario), parameters=record(scenario), observables=list(OBSERVABLES), **extra)
    write_manifest_file(folder, data)


def scenario_of(folder: Path) -> Scenario:
    """The scenario as run, read back from a results folder's manifest (for --resume). Refuses a folder
    whose inputs changed since the run started: the finished runs would be mixed with new ones."""
    man = read_manifest(folder)
    if not isinstance(man.get("scenario"), dict) or "seeds" not in man:
        kind = "a calibration" if "config_file" in man else "not a scenario run"
        raise ManifestError(f"{folder}: expected the results folder of a scenario run; this is {kind} "
                            "(resume a calibration with: run.py calibrate --resume DIR)")
    recorded = man.get("inputs") or {}
    cal = (recorded.get("calibration") or {}).get("path")
    sc = parse(man["scenario"], file=man.get("scenario_file") or Path(folder) / "manifest.json", calibration_file=cal)
    changed = changed_inputs(recorded, inputs_of(sc))
    if changed:
        raise ManifestError(f"--resume {folder}: " + "; ".join(changed) + ". Resuming would mix runs made with "
                            "different inputs: restore them, or start a new run with --out")
    return sc


def run_ensemble(scenario: Scenario, folder: Path, workers: int = 1, executor: str = "local",
                 scheduler: str | None = None, progress: bool = True) -> dict:
    """Run every missing variant x replicate of `scenario` into `folder`. Returns a status dict (with `shape`,
    the run arrays' shape, for a Store of the folder).

    The manifest says `running` until every run is done, then `runs done` (the caller writes the tables
    and then `complete`), or `interrupted`, `incomplete` (failed runs) or `stopped` (the disk is full: an
    OSError is raised after the finished runs are kept and the manifest says so)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shape = model_shape(scenario)
    store = Store(folder, scenario, shape)
    dropped = store.verify()
    for line in dropped:
        print(f"resume: {line}", file=sys.stderr)
    todo = [t for t in tasks_for(scenario) if not store.is_done(t.variant, t.replicate)]
    _check_space(store)
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
        run_tasks(todo, handle, executor, workers, scheduler)
    except KeyboardInterrupt:
        interrupted = True
    except OSError as e:  # the disk is full, or the folder went away: keep what is done and say so
        bar.close()
        try:
            write_manifest(folder, scenario, "stopped", failures, executor, workers,
                           error=f"{e.strerror or e} ({e.filename or folder})")
        except OSError:
            pass  # the manifest still says `running`; the lock is gone with the process, so it is not
        raise
    finally:
        bar.close()
    status = "interrupted" if interrupted else ("incomplete" if failures else "runs done")
    write_manifest(folder, scenario, status, failures, executor, workers)
    return {"status": "complete" if status == "runs done" else status, "failures": failures,
            "done": sum(len(store.completed(v)) for v in scenario.variants), "total": total, "dropped": dropped,
            "shape": shape}


def _check_space(store: Store) -> None:
    """Refuse to start when the run arrays cannot fit on the disk (they are sparse until written)."""
    have = sum(store.path(v).stat().st_blocks * 512 for v in store.scenario.variants if store.path(v).exists())
    need = store.bytes_needed() - have
    free = shutil.disk_usage(store.folder).free
    if need > free:
        raise FolderError(errno.ENOSPC, f"{store.folder}: the runs need {need / 1e6:,.1f} MB and the disk has "
                                        f"{free / 1e6:,.1f} MB free; free space, or run fewer replicates or a "
                                        "shorter period")


def run_tasks(todo: list, handle, executor: str = "local", workers: int = 1, scheduler: str | None = None,
              fn=run_task, runs_per_task: int = 1) -> None:
    """Run `fn` on every task of `todo` and pass each result to `handle` as it comes: on Dask (`executor`
    "dask"), in this process (one task, or one worker: a pool would only add its start-up), or on `workers`
    local processes. An ensemble, a sensitivity stage and the policy contrasts all run this way, with the heap
    frozen when there are enough runs to pay for it (`frozen_heap`)."""
    with frozen_heap(len(todo) * runs_per_task):
        if executor == "dask":
            _run_dask(todo, scheduler, handle, fn=fn)
        elif min(workers, len(todo)) <= 1:
            for t in todo:
                handle(fn(t))
        else:
            _run_local(todo, workers, handle, fn=fn)


def _run_local(todo: list, workers: int, handle, fn=run_task) -> None:
    """Run `todo` on `workers` processes: this one and a pool of workers - 1. This process has the model
    imported already, so it runs tasks from the start, while the pool's processes are still starting (a
    fresh interpreter imports Mesa, pandas and scipy: about a second, a few runs' time); between its own
    runs it collects the pool's results and keeps the pool supplied."""
    # forkserver: workers start clean (no threads inherited from the parent's progress bar or Dask)
    ctx = multiprocessing.get_context("forkserver")
    # the fork server imports the model once and every worker starts as a copy of it: without this, each
    # worker spends a second or more importing Mesa, pandas and scipy before its first run
    ctx.set_forkserver_preload(["__main__", __name__])
    in_flight = 2 * (workers - 1)  # a run queued behind each running one, so no worker waits for this process
    with ProcessPoolExecutor(max_workers=workers - 1, initializer=worker_init, initargs=(os.getpid(),),
                             mp_context=ctx) as pool:
        pending = set()
        it = iter(todo)

        def collect(done) -> None:
            for f in done:
                pending.discard(f)
                handle(f.result())
            while len(pending) < in_flight and (t := next(it, None)) is not None:
                pending.add(pool.submit(fn, t))

        try:
            collect(())
            while (t := next(it, None)) is not None:
                handle(fn(t))  # this process's own run
                collect([f for f in pending if f.done()])
            while pending:
                collect(wait(pending, return_when=FIRST_COMPLETED)[0])
        except (KeyboardInterrupt, OSError):  # Ctrl-C, or a full disk while saving: stop handing out work
            for f in pending:
                f.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def connect(scheduler: str | None):
    """A Dask client: of the scheduler at `scheduler`, or an in-process cluster. A bad or unreachable address
    is a ValueError naming it."""
    from distributed import Client

    if not scheduler:
        return Client(processes=False)
    try:
        return Client(scheduler, timeout="20s")
    except (OSError, ValueError, TypeError) as e:
        raise ValueError(f"--scheduler: {scheduler[:80]!r}: {str(e)[:120]}; expected the address of a running "
                         "Dask scheduler, e.g. tcp://127.0.0.1:8786") from None


def _run_dask(todo: list, scheduler: str | None, handle, fn=run_task) -> None:
    from distributed import as_completed

    client = connect(scheduler)
    try:
        futures = client.map(fn, todo, pure=False)
        for fut in as_completed(futures):
            handle(fut.result())
    finally:
        client.close()
