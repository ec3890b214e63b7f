#!/usr/bin/env python3
"""ebpsim command line.

    python run.py                                   the default scenario (scenarios/baseline.yaml)
    python run.py SCENARIO.yaml [--replicates N] [--workers N] [--seed S] [--out DIR] [--parameters defaults|FILE]
                                [--executor local|dask] [--scheduler ADDRESS] [--timeseries all|national|none]
    python run.py --resume DIR                      finish an interrupted or failed run (same inputs)
    python run.py validate FILE [FILE ...]          check scenario files without running them
    python run.py schema                            print the JSON schema of scenario files
    python run.py calibrate [CONFIG] [--workers N] [--resume DIR] [--publish]   fit the model to the reported figures
    python run.py predict DIR --observable NAME [--until YYYY-MM]  forecast from a calibration's posterior
    python run.py animate SCENARIO.yaml [--variant NAME ...] --out FILE   an animated run for workshops
    python run.py app [--port P] [--host H]         the live app in a browser (http://localhost:8765)
"""

from __future__ import annotations

import argparse
import contextlib
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
    from sim.experiments.posterior import describe
    from sim.experiments.scenario import ScenarioError, load

    ap = argparse.ArgumentParser(prog="run.py validate", description="Check scenario files without running them.")
    ap.add_argument("files", nargs="+", type=Path, metavar="FILE", help="scenario files (YAML) to check")
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
              f"{sc.replicates} replicate(s), {sc.start} to {sc.end}, {describe(sc)}")
    return 2 if bad else 0


def cmd_schema(argv) -> int:
    from sim.experiments.schema import scenario_schema

    argparse.ArgumentParser(prog="run.py schema", description="Print the JSON schema of scenario files.").parse_args(argv)
    print(json.dumps(scenario_schema(), indent=2, ensure_ascii=False))
    return 0


def cmd_run(argv) -> int:
    from sim.experiments.scenario import MAX_REPLICATES

    ap = argparse.ArgumentParser(prog="run.py", description="Run an ebpsim scenario: every variant x replicate, "
                                 "with common random numbers, into a results folder with tables, plots and a manifest.",
                                 epilog=commands_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", type=Path, default=None,
                    help=f"scenario file (default {DEFAULT_SCENARIO.relative_to(ROOT)})")
    ap.add_argument("--replicates", type=int, metavar="N",
                    help=f"replicates per variant, 1 to {MAX_REPLICATES} (overrides the file)")
    ap.add_argument("--workers", type=int, default=None, metavar="N",
                    help="processes that run models: this one and N-1 workers, >= 1 (default: all cores)")
    ap.add_argument("--seed", type=int, metavar="S", help="seed of replicate 0, >= 0 (overrides the file)")
    ap.add_argument("--out", type=Path, metavar="DIR",
                    help="results folder, new or empty (default results/<name>/<timestamp>)")
    ap.add_argument("--executor", choices=("local", "dask"), default="local",
                    help="local worker processes (default) or a Dask cluster (needs --scheduler)")
    ap.add_argument("--scheduler", metavar="ADDRESS",
                    help="address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786, with --executor dask")
    ap.add_argument("--parameters", metavar="defaults|FILE",
                    help="the parameters to run at: 'defaults' (the model's defaults), or a calibrated parameter "
                         "file (replicate i uses its posterior draw i in every variant); default: what the scenario "
                         "file's 'calibration:' says (the shipped scenarios: calibration/calibrated.yaml)")
    ap.add_argument("--timeseries", choices=("all", "national", "none"), default="all",
                    help="rows of timeseries.parquet to keep: every county, the nation only, or none (default all)")
    ap.add_argument("--resume", type=Path, metavar="DIR",
                    help="finish the interrupted or failed run in DIR, with the scenario, seeds and inputs it "
                         "started with (checks what is kept, runs what is missing)")
    ap.add_argument("--no-plots", action="store_true", help="write the tables only, no plots/ (faster)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)

    import os

    if args.replicates is not None and not 1 <= args.replicates <= MAX_REPLICATES:
        return fail(f"--replicates: {args.replicates} is not allowed; expected a whole number from 1 to {MAX_REPLICATES}")
    if args.workers is not None and args.workers < 1:
        return fail(f"--workers: {args.workers} is not allowed; expected a whole number >= 1")
    if args.seed is not None and args.seed < 0:
        return fail(f"--seed: {args.seed} is not allowed; expected a whole number >= 0")
    if args.executor == "dask" and not args.scheduler:
        return fail("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
    if args.scheduler and args.executor != "dask":
        return fail("--scheduler is used only with --executor dask")
    if args.parameters is not None and (bad := _bad_parameters(args.parameters)):
        return fail(bad)
    if args.resume:
        given = [f for f, v in (("a scenario file", args.scenario), ("--replicates", args.replicates),
                                ("--seed", args.seed), ("--out", args.out)) if v is not None]
        if given:
            return fail(f"--resume continues a run with the scenario, seeds and folder it started with; "
                        f"{' and '.join(given)} cannot be given with it (start a new run for that)")
    workers = args.workers or os.cpu_count() or 1
    painters = None
    # first of all, so that the fork server imports beside this process's imports. With plots it imports the
    # plotting library, and the painters are forked from it ready; the ensemble's workers then import the
    # model themselves (a server that imported both is ready a second later: measured slower for the default
    # ten runs). Without plots it imports the model, and the workers start ready (one run needs no workers).
    if args.executor == "local" and workers > 1 and not args.no_plots:
        from sim.views.painters import Painters  # imports no plotting library: the painters load it

        painters = Painters(min(workers, os.cpu_count() or 1))
    elif args.executor == "local" and workers > 1 and args.replicates != 1:
        from sim.experiments.workers import start_fork_server

        start_fork_server(["sim.experiments.ensemble"])
    with painters or contextlib.nullcontext():
        return _run(args, workers, painters)


def _run(args, workers: int, painters) -> int:
    """Run the scenario of `cmd_run`'s arguments into its results folder, then write its tables and plots."""
    from sim.experiments.ensemble import run_ensemble, scenario_of
    from sim.experiments.manifest import read_manifest, set_status
    from sim.experiments.report import build, comparison_text
    from sim.experiments.scenario import load
    from sim.experiments.store import Claim, Store

    if args.resume:
        out = args.resume
        man = read_manifest(out)  # is a results folder: before a lock file is put into it
        if args.parameters is not None and (bad := _changed_parameters(out, man, args.parameters)):
            return fail(bad)
        Claim(out, fresh=False)
        scenario = scenario_of(out)
    else:
        scenario = load(args.scenario or DEFAULT_SCENARIO, parameters=args.parameters)
        if args.replicates is not None:
            scenario.replicates = args.replicates
            scenario.raw["replicates"] = args.replicates
        if args.seed is not None:
            scenario.seed = args.seed
            scenario.raw["seed"] = args.seed
        out = args.out or ROOT / "results" / scenario.name / datetime.now().strftime("%Y%m%d-%H%M%S")
        Claim(out, fresh=True)

    t0 = time.perf_counter()
    try:
        status = run_ensemble(scenario, out, workers=workers, executor=args.executor, scheduler=args.scheduler,
                              progress=not args.quiet)
    except OSError as e:
        return _stopped(e, out, "while saving the runs")
    elapsed = time.perf_counter() - t0
    if status["status"] == "interrupted":
        print(f"\ninterrupted: {status['done']} of {status['total']} runs are kept in {out}\n"
              f"finish with: python run.py --resume {out}", file=sys.stderr)
        return 130
    try:
        tables = build(Store(out, scenario, status["shape"]), timeseries=args.timeseries,
                       plots=not args.no_plots, workers=workers if args.executor == "local" else 1,
                       progress=not args.quiet, painters=painters)
        if status["status"] == "complete":
            set_status(out, "complete")  # only now: the tables are in place
    except OSError as e:
        return _stopped(e, out, "while writing the tables")
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


def _bad_parameters(value: str) -> str | None:
    """Why `--parameters VALUE` cannot be used, or None."""
    from sim.experiments.posterior import CHOICE_FORM, DEFAULTS

    if value == DEFAULTS:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        return None
    why = "is a folder" if path.is_dir() else "no such file"
    return f"--parameters: {value[:60]!r} is not allowed ({why}); expected {CHOICE_FORM}"


def _changed_parameters(out: Path, man: dict, value: str) -> str | None:
    """Why `--parameters VALUE` cannot be given to `--resume OUT` (the run was made at other parameters)."""
    from sim.experiments.posterior import DEFAULTS, same_choice, shown

    recorded = man.get("parameters")
    if not isinstance(recorded, dict):  # made before the choice was recorded: read it off its inputs
        cal = ((man.get("inputs") or {}).get("calibration") or {}).get("path")
        recorded = {"at": "posterior", "calibration": cal} if cal else {"at": DEFAULTS}
    if same_choice(recorded, value):
        return None
    was = ("at the default parameters" if recorded.get("at") == DEFAULTS
           else f"over posterior draws of {shown(recorded.get('calibration'))}")
    return (f"--parameters: {value[:60]!r} is not allowed with --resume {out}: the run was made {was}, and resuming "
            "would mix runs made at different parameters; leave --parameters out, or start a new run with --out")


def _stopped(e: OSError, out: Path, when: str) -> int:
    """A run stopped by the system (a full disk, a folder removed): what happened, what is kept, what next."""
    import errno

    from sim.experiments.store import Claim

    if not Claim.any_kept(out):
        raise e  # nothing finished: the boundary reports it and removes the folder
    what = "the disk is full" if e.errno in (errno.ENOSPC, errno.EDQUOT) else (e.strerror or str(e))
    print(f"\nrun.py: {what} {when} ({e.filename or out}). The finished runs are kept in {out} and the manifest "
          f"does not say complete. Free space, then finish with: python run.py --resume {out}", file=sys.stderr)
    return 1


def cmd_calibrate(argv) -> int:
    from calibration.commands import main as calibrate

    return calibrate(argv)


def cmd_predict(argv) -> int:
    from calibration.commands import predict_main

    return predict_main(argv)


def cmd_animate(argv) -> int:
    from sim.views.animation import main as animate

    return animate(argv)


def cmd_app(argv) -> int:
    from sim.views.serve import main as serve

    return serve(argv)


def cmd_sensitivity(argv) -> int:
    from sim.experiments.sensitivity_cli import main as sensitivity

    return sensitivity(argv)


COMMANDS = {  # name: (what it does, in a line; the function)
    "validate": ("check scenario files without running them", "cmd_validate"),
    "schema": ("print the JSON schema of scenario files", "cmd_schema"),
    "calibrate": ("fit the model to the reported figures (ABC-SMC); --resume DIR continues one", "cmd_calibrate"),
    "predict": ("forecast an observable from a calibration's posterior", "cmd_predict"),
    "animate": ("an animated run of a scenario for workshops (GIF, MP4, HTML, PNG)", "cmd_animate"),
    "app": ("the live app in a browser (http://localhost:8765)", "cmd_app"),
    "sensitivity": ("which assumptions decide the results: Morris screening, Sobol indices, robustness",
                    "cmd_sensitivity"),
}


def commands_help() -> str:
    lines = ["commands (run.py COMMAND --help for each one's options):"]
    lines += [f"  {name:<12} {what}" for name, (what, _) in COMMANDS.items()]
    lines += ["", "without a command, run.py runs a scenario: run.py [SCENARIO.yaml] [options above]"]
    return "\n".join(lines)


def user_message(e: BaseException) -> str | None:
    """The one-line message for an error the user can fix (bad input, a full disk, an unreadable file), or
    None for a programming error, which keeps its traceback."""
    import errno
    import zipfile

    import yaml

    from sim.experiments.scenario import ScenarioError

    if isinstance(e, ScenarioError):
        return str(e)
    if isinstance(e, OSError):
        if e.filename is None and e.strerror and len(e.strerror) > 40:  # our own message (FolderError)
            return e.strerror
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"the disk is full: {e.filename or ''} ({e.strerror}); free space and try again"
        if e.filename is not None and e.strerror:
            return f"{e.filename}: {e.strerror}"
        return e.strerror or str(e) or type(e).__name__
    if isinstance(e, json.JSONDecodeError):
        return f"damaged JSON: {e}"
    if isinstance(e, yaml.YAMLError):
        return f"invalid YAML: {str(e)[:200]}"
    if isinstance(e, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(e, MemoryError):
        return "the input is too large to hold in memory"
    if isinstance(e, (ValueError, EOFError, zipfile.BadZipFile)):
        return str(e)[:300] or type(e).__name__
    return None


def guarded(command, argv) -> int:
    """One error boundary for every command: a user error becomes one message and exit 2 (never a
    traceback), and a results folder this command created is removed if nothing worth keeping is in it.
    EBPSIM_DEBUG=1 shows the traceback instead."""
    import os

    from sim.experiments.store import Claim

    try:
        code = command(argv)
    except KeyboardInterrupt:
        Claim.abandon_all()
        print("\nrun.py: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - sorted below into the user's errors and ours
        message = user_message(e)
        if message is None or os.environ.get("EBPSIM_DEBUG"):
            raise
        Claim.abandon_all()
        sys.unraisablehook = lambda *a: None  # e.g. a Dask client that failed to connect, collected at exit
        return fail(message)
    if code == 2:
        Claim.abandon_all()
    return code


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return guarded(globals()[COMMANDS[argv[0]][1]], argv[1:])
    if argv and not argv[0].startswith("-") and not Path(argv[0]).exists() and not argv[0].endswith((".yaml", ".yml")) \
            and "/" not in argv[0]:
        import difflib

        close = difflib.get_close_matches(argv[0], list(COMMANDS), n=1, cutoff=0.6)
        hint = f"did you mean 'run.py {close[0]}'? " if close else ""
        return fail(f"'{argv[0]}' is neither a command nor a scenario file; {hint}the commands are "
                    f"{', '.join(COMMANDS)} (run.py --help)")
    return guarded(cmd_run, argv)


def leave(code: int) -> None:
    """End the command with `code`. After a successful command, everything is written and closed, and the
    interpreter's own clean-up (freeing the model's and the libraries' modules one by one, a few tenths of a
    second) does nothing a user needs: the exit handlers run, the output is flushed, and the process ends."""
    if code != 0:
        sys.exit(code)
    import atexit
    import os

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    leave(main())
