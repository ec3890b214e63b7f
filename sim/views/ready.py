"""Imported by the painters' fork server (``painters.py``), before it forks a painter: loads the plotting
modules and draws one small figure, so that the fonts and caches every figure needs are loaded once, in the
server, and each painter starts with them; and lays out a county figure (``results.lay_out_ahead``), which
every painter forked from the server then has, ready for the first figure it is given.

The fork server ends when the command does; it then leaves at once instead of freeing the plotting library
module by module (a few tenths of a second, during which it still holds the command's output open, so that a
caller reading that output would wait for it)."""

import atexit
import os
import sys
from multiprocessing import forkserver

from .results import lay_out_ahead, warm_up


def _in_fork_server() -> bool:
    """Whether this module is being imported by multiprocessing's fork server (its preload)."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is forkserver.main.__code__:
            return True
        frame = frame.f_back
    return False


def _leave() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


warm_up()
lay_out_ahead()
if _in_fork_server():
    # exit handlers run last registered first; the ones this skips are multiprocessing's, for processes and
    # finalizers of the server's own, which it has none of (its painters are children of the command's pool)
    atexit.register(_leave)
