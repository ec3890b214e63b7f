"""Worker processes of a run (the ensemble's, the plots'): Ctrl-C is the parent's to handle, and a worker
goes when its parent goes, even by kill -9. No model and no plotting library here: a process that only draws
does not pay for importing the model.

Workers are forked from multiprocessing's fork server, which imports what they need once (its preload):
`start_fork_server` starts it early, so that it imports beside the command's own imports."""

from __future__ import annotations

import gc
import multiprocessing
import os
import select
import signal
import threading
import time
from contextlib import contextmanager


def _watch_parent(pid: int) -> None:
    """Exit when the process `pid` (the command that started this worker) ends, even by kill -9: without
    this, workers would finish their queue for nothing. A pidfd becomes readable when the process ends."""
    try:
        fd = os.pidfd_open(pid)
        select.select([fd], [], [])
    except (AttributeError, OSError):  # no pidfd (not Linux, or an old kernel): look once a second
        while True:
            time.sleep(1)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
    os._exit(1)


def worker_init(parent: int) -> None:
    """Initializer of every worker process: Ctrl-C is the parent's to handle (it keeps what is done), and
    the worker goes when the parent goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()
    gc.freeze()  # what the fork server left (the imports) stays in use: see frozen_heap


@contextmanager
def frozen_heap(runs: int):
    """While `runs` runs are made in this process, every object alive before them (the imported modules,
    mostly: ~100,000) is out of the garbage collector's sight, so that its full collections scan only the
    runs' objects: a run's share of collecting falls from about 8 to 5 ms. What is garbage at the start is
    freed first, by a full collection of ~50 ms: so only for 20 runs or more. Afterwards they are in its
    sight again (a notebook's model dropped later is still collected)."""
    if runs < 20:
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def start_fork_server(modules: list[str]) -> None:
    """Start the fork server now, importing `modules` (e.g. the model, the plotting library), so that it
    imports them on the other core while this process imports its own, and the ensemble's workers and the
    painters forked from it later start at once instead of after a second or two of imports. A server
    already running is kept as it is: its preload is fixed when it starts."""
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(list(modules))
    forkserver.ensure_running()
