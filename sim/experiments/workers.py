"""Worker processes of a run (the ensemble's, the plots'): Ctrl-C is the parent's to handle, and a worker
goes when its parent goes, even by kill -9. No model and no plotting library here: a process that only draws
does not pay for importing the model."""

from __future__ import annotations

import os
import select
import signal
import threading
import time


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
