"""The processes that draw the plots of a run (``results.py``), started before the run, so that the plotting
library is loaded, and a first figure drawn, while the model runs; the figures of the finished run are then
drawn at once on every core, beside the tables.

`Painters(n)` starts a fork server that imports the plotting modules (and nothing of the model: it is ready
in about a second) and forks the n painters from it, and `draw(PlotData)` hands them the figures, the
slowest first. This module imports no plotting library, pandas, numpy or the model: the command line
imports it, and starts the server, before anything else.

Each figure is drawn whole by one process, from the run arrays on disk, so the files are the same whichever
process drew them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ..experiments.summaries import KEY_OBSERVABLES

PLOTTING = ["sim.views.ready"]  # what the fork server imports (and draws once) before it forks a painter
BY_COUNTY = ("reach_any", "adoption_mean")


@dataclass(frozen=True)
class PlotData:
    """What the plots of a finished ensemble are drawn from; small, and read without pandas or the model."""

    name: str                      # the scenario's
    variants: tuple[str, ...]
    reference: str
    folder: Path                   # the results folder: plots go to <folder>/plots
    arrays: dict[str, Path]        # variant -> its run array (.npy)
    reps: dict[str, np.ndarray]    # variant -> the replicates finished
    dates: np.ndarray              # datetime64, one a month
    places: list[str]              # "national", then the counties in the arrays' order
    names: list[str]               # the observables, in the arrays' order

    @classmethod
    def of(cls, store, reps, dates, places, names) -> PlotData:
        import numpy as np

        sc = store.scenario
        return cls(sc.name, tuple(sc.variants), sc.reference, Path(store.folder),
                   {v: store.path(v) for v in sc.variants}, dict(reps), np.asarray(dates, dtype="datetime64[ns]"),
                   list(places), list(names))

    def array(self, variant) -> np.ndarray:
        """The variant's run array, memory-mapped (only what a figure reads is read)."""
        import numpy as np

        return np.load(self.arrays[variant], mmap_mode="r")


def figures(data: PlotData) -> list[tuple[str, str]]:
    """The figures to draw, as (kind, observable), the slowest (the county panels) first."""
    others = [v for v in data.variants if v != data.reference and len(data.reps[v])]
    jobs = [("by_county", obs) for obs in BY_COUNTY]
    for obs in KEY_OBSERVABLES:
        jobs.append(("mean", obs))
        if others and len(data.reps[data.reference]):
            jobs.append(("difference", obs))
    return jobs


class Painters:
    """`processes` painter processes, forked from a server that has imported the plotting modules; a
    context manager that stops them."""

    def __init__(self, processes: int):
        self.processes = processes
        ctx = multiprocessing.get_context("forkserver")
        # the server imports these beside this process (a server already running, e.g. started by an earlier
        # ensemble in this process, is used as it is: its painters import them on their first figure)
        ctx.set_forkserver_preload(PLOTTING)
        self._pool = ProcessPoolExecutor(processes, mp_context=ctx, initializer=_painter_init, initargs=(os.getpid(),))
        # forking a painter waits until the server has imported the plotting library: that wait is on a thread,
        # so that this process goes on with its own imports and the model meanwhile
        self._forking = threading.Thread(target=self._fork, name="fork-painters", daemon=True)
        self._forking.start()

    def _fork(self) -> None:
        try:
            for _ in range(self.processes):  # a painter is forked on each task given while none is idle
                self._pool.submit(int)
        except RuntimeError:  # closed meanwhile (Ctrl-C, or an error in the run)
            pass

    def draw(self, data: PlotData) -> Drawing:
        """Hand every figure of `data` to the painters, the slowest first; returns at once."""
        self._forking.join()
        (data.folder / "plots").mkdir(exist_ok=True)
        return Drawing([self._pool.submit(_draw, data, job) for job in figures(data)])

    def close(self, cancel: bool = False) -> None:
        """Stop the painters when they are done or, with `cancel` (Ctrl-C, an error), at once: a figure being
        drawn is left (a resume draws every figure again). Painters still being forked are waited for (the
        server may still be importing: up to a second or so), so that none starts after this process ends."""
        self._forking.join()
        if cancel:
            for process in list(self._pool._processes.values()):  # no public way before Python 3.14
                process.terminate()
        self._pool.shutdown(wait=not cancel, cancel_futures=True)

    def __enter__(self) -> Painters:
        return self

    def __exit__(self, kind, *_) -> None:
        self.close(cancel=kind is not None)


class Drawing:
    """Figures being drawn by the painters."""

    def __init__(self, futures: list):
        self.futures = futures

    def wait(self, progress: bool = False) -> list[Path]:
        """Wait for every figure, with a progress bar counting them; the paths in the order of `figures`."""
        from tqdm import tqdm

        with tqdm(total=len(self.futures), desc="plots", unit="figure", disable=not progress,
                  dynamic_ncols=True) as bar:
            for f in as_completed(self.futures):
                f.result()  # a figure that failed raises here
                bar.update()
        return [f.result() for f in self.futures]


def _draw(data: PlotData, job) -> Path:
    from .results import draw  # loaded in a painter; this process does not load the plotting library

    return draw(data, job)


def _painter_init(parent: int) -> None:
    from ..experiments.workers import worker_init
    from .results import lay_out_ahead

    worker_init(parent)
    lay_out_ahead()  # if the server did not (``ready.py``; a server started by other work): while the model runs
