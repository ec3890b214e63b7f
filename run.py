#!/usr/bin/env python3
"""ebpsim command line.

    python run.py                                   the default scenario (scenarios/baseline.yaml)
    python run.py SCENARIO.yaml [--replicates N] [--workers N] [--seed S] [--out DIR]
                                [--executor local|dask] [--scheduler ADDRESS] [--timeseries all|national|none]
    python run.py --resume DIR                      finish an interrupted or failed run
    python run.py validate FILE [FILE ...]          check scenario files without running them
    python run.py schema                            print the JSON schema of scenario files
    python run.py calibrate [CONFIG] [--workers N] [--resume DIR]   fit the model to the reported figures
    python run.py predict DIR --observable NAME [--until YYYY-MM]  forecast from a calibration's posterior
    python run.py animate SCENARIO.yaml [--variant NAME ...] --out FILE   an animated run for workshops
    python run.py app [--port P] [--host H]         the live app in a browser (http://localhost:8765)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "baseline.yaml"


def fail(message: str, code: int = 2) -> int:
    print(f"run.py: {message}", file=sys.stderr)
    return code


def cmd_validate(argv) -> int:
    from sim.experiments.scenario import ScenarioError, load

    ap = argparse.ArgumentParser(prog="run.py validate", description="Check scenario files without running them.")
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    bad = 0
    for f in args.files:
        try:
            sc = load(f)
        except ScenarioError as e:
            print(f"run.py: {e}", file=sys.stderr)
            bad += 1
            continue
        print(f"{f}: ok — '{sc.name}', {len(sc.variants)} variant(s) (reference '{sc.reference}'), "
              f"{sc.replicates} replicate(s), {sc.start} to {sc.end}")
    return 2 if bad else 0


def cmd_schema(argv) -> int:
    from sim.experiments.schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2, ensure_ascii=False))
    return 0


def cmd_run(argv) -> int:
    ap = argparse.ArgumentParser(prog="run.py", description="Run an ebpsim scenario: every variant x replicate.")
    ap.add_argument("scenario", nargs="?", type=Path, default=None,
                    help=f"scenario file (default {DEFAULT_SCENARIO.relative_to(ROOT)})")
    ap.add_argument("--replicates", type=int, help="replicates per variant (overrides the file)")
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    ap.add_argument("--seed", type=int, help="seed of replicate 0 (overrides the file)")
    ap.add_argument("--out", type=Path, help="results folder (default results/<name>/<timestamp>)")
    ap.add_argument("--executor", choices=("local", "dask"), default="local")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler, with --executor dask")
    ap.add_argument("--timeseries", choices=("all", "national", "none"), default="all",
                    help="rows of timeseries.parquet to keep (default all)")
    ap.add_argument("--resume", type=Path, metavar="DIR", help="complete the run in DIR")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)

    import os

    from sim.experiments.ensemble import model_shape, run_ensemble, scenario_of
    from sim.experiments.store import Store
    from sim.experiments.report import build, comparison_text
    from sim.experiments.scenario import ScenarioError, load

    if args.replicates is not None and args.replicates < 1:
        return fail(f"--replicates: {args.replicates} is not allowed; expected a whole number >= 1")
    if args.workers is not None and args.workers < 1:
        return fail(f"--workers: {args.workers} is not allowed; expected a whole number >= 1")
    if args.executor == "dask" and not args.scheduler:
        return fail("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
    workers = args.workers or os.cpu_count() or 1
    try:
        if args.resume:
            if not (args.resume / "manifest.json").exists():
                return fail(f"--resume: {args.resume} is not an ebpsim results folder (no manifest.json)")
            scenario = scenario_of(args.resume)
            out = args.resume
        else:
            scenario = load(args.scenario or DEFAULT_SCENARIO)
            if args.replicates is not None:
                scenario.replicates = args.replicates
                scenario.raw["replicates"] = args.replicates
            if args.seed is not None:
                if args.seed < 0:
                    return fail(f"--seed: {args.seed} is not allowed; expected a whole number >= 0")
                scenario.seed = args.seed
                scenario.raw["seed"] = args.seed
            out = args.out or ROOT / "results" / scenario.name / datetime.now().strftime("%Y%m%d-%H%M%S")
            if out.exists() and any(out.iterdir()):
                return fail(f"{out} already exists and is not empty; choose another --out, or --resume it")
    except ScenarioError as e:
        return fail(str(e))

    t0 = time.perf_counter()
    status = run_ensemble(scenario, out, workers=workers, executor=args.executor, scheduler=args.scheduler,
                          progress=not args.quiet)
    elapsed = time.perf_counter() - t0
    if status["status"] == "interrupted":
        print(f"\ninterrupted: {status['done']} of {status['total']} runs are kept in {out}\n"
              f"finish with: python run.py --resume {out}", file=sys.stderr)
        return 130
    store = Store(out, scenario, model_shape(scenario))
    tables = build(store, timeseries=args.timeseries)
    print()
    print(comparison_text(scenario, tables["summary"], tables["comparison"]))
    print(f"\n{status['done']} of {status['total']} runs in {elapsed:.1f} s; results in {out}")
    if status["failures"]:
        for f in status["failures"]:
            print(f"failed: variant '{f['variant']}', replicate {f['replicate']}, seed {f['seed']}", file=sys.stderr)
        print(f"the tables use the runs that finished; retry the failed ones with: python run.py --resume {out}",
              file=sys.stderr)
        return 1
    return 0


def cmd_calibrate(argv) -> int:
    from calibration.calibrate import main as calibrate

    return calibrate(argv)


def cmd_predict(argv) -> int:
    from calibration.calibrate import predict_main

    return predict_main(argv)


def cmd_animate(argv) -> int:
    from sim.views.animation import main as animate

    return animate(argv)


def cmd_app(argv) -> int:
    """Start the live app: `solara run sim/views/app.py`, with no calls home, so it works offline in a workshop.

    The server runs as a child process in its own process group: Ctrl-C or SIGTERM to run.py stops it and
    waits for it, so that the port is free again when run.py exits."""
    import os
    import signal
    import socket
    import subprocess

    ap = argparse.ArgumentParser(prog="run.py app", description="Start the live app in a browser: the map of "
                                 "Sweden, the curves, the levers; made for a projector (1280x720).")
    ap.add_argument("--port", type=int, default=8765, help="port to serve on, 1024-65535 (default 8765)")
    ap.add_argument("--host", default="localhost", help="address to serve on; 0.0.0.0 to let others in the room "
                    "connect (default localhost)")
    ap.add_argument("--no-open", action="store_true", help="do not open a browser window")
    args = ap.parse_args(argv)
    if not 1024 <= args.port <= 65535:
        return fail(f"app --port: {args.port} is not allowed; choose a port from 1024 to 65535")
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
            return fail(f"app --port: port {args.port} on {args.host} is already in use (another app running?); "
                        f"stop that one, or choose another port, e.g. --port {args.port + 1}")
        return fail(f"app --host: cannot serve on {args.host}:{args.port}: {e.strerror or e}")
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


def cmd_sensitivity(argv) -> int:
    from sim.experiments.sensitivity_cli import main as sensitivity

    return sensitivity(argv)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"validate": cmd_validate, "schema": cmd_schema, "calibrate": cmd_calibrate, "predict": cmd_predict,
                "animate": cmd_animate, "app": cmd_app, "sensitivity": cmd_sensitivity}
    if argv and argv[0] in commands:
        return commands[argv[0]](argv[1:])
    return cmd_run(argv)


if __name__ == "__main__":
    sys.exit(main())
