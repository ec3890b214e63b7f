"""`run.py app`: serve the live app (``app.py``) with solara, offline, for a workshop's projector.

The server runs as a child process in its own process group, so that Ctrl-C or SIGTERM to run.py stops it
and waits for it: the port is free again when run.py exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: solara runs sim/views/app.py from there


def fail(message: str) -> int:
    print(f"run.py app: {message}", file=sys.stderr)
    return 2


def main(argv) -> int:
    """Start the live app: `solara run sim/views/app.py`, with no calls home, so it works offline in a workshop."""
    ap = argparse.ArgumentParser(prog="run.py app", description="Start the live app in a browser: the map of "
                                 "Sweden, the curves, the levers; made for a projector (1280x720).")
    ap.add_argument("--port", type=int, default=8765, help="port to serve on, 1024-65535 (default 8765)")
    ap.add_argument("--host", default="localhost", help="address to serve on; 0.0.0.0 to let others in the room "
                    "connect (default localhost)")
    ap.add_argument("--no-open", action="store_true", help="do not open a browser window")
    args = ap.parse_args(argv)
    if not 1024 <= args.port <= 65535:
        return fail(f"--port: {args.port} is not allowed; choose a port from 1024 to 65535")
    solara = Path(sys.executable).parent / "solara"
    if not solara.exists():
        return fail(f"the solara command is missing beside {sys.executable}; install the project with "
                    "`pip install -e .`")
    try:  # a clear message now rather than the server's traceback after it has printed its address
        host = "127.0.0.1" if args.host == "localhost" else args.host
        with socket.create_server((host, args.port), family=socket.AF_INET6 if ":" in host else socket.AF_INET):
            pass
    except OSError as e:
        if e.errno == 98 or "in use" in str(e):
            return fail(f"--port: port {args.port} on {args.host} is already in use (another app running?); "
                        f"stop that one, or choose another port, e.g. --port {args.port + 1}")
        return fail(f"--host: cannot serve on {args.host}:{args.port}: {e.strerror or e}")
    cmd = [str(solara), "run", "sim/views/app.py", "--production", "--no-check-version",
           "--port", str(args.port), "--host", args.host]
    if args.no_open:
        cmd.append("--no-open")
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_THEME_SHOW_BANNER": "False"}
    print(f"ebpsim app on http://{args.host}:{args.port}/  (Ctrl-C stops it)", file=sys.stderr)
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)

    def stop(signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            try:
                os.killpg(child.pid, signal.SIGTERM)
                child.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            except ProcessLookupError:
                pass
