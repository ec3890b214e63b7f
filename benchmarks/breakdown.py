"""Where one national run's time goes, step by step of the ODD's process overview (docs/ODD.md §3).

    python benchmarks/breakdown.py [--runs N]

Builds and runs seeds 1..N (default 10) after a warm-up run, with a timer around each step of the month,
each sub-step of the regional support structures, the dated events, building the model and computing the
observables; and, across the steps, the time spent drawing random numbers, recording the channels'
contacts and collecting garbage. Prints milliseconds per run and each row's share of the run. The timers
cost a little themselves: the run is also timed without them (alternating), and both totals are printed.

`bench.py` says whether the goals are met; this says where the time goes, so that a change can be aimed at
what it would save. Wall times drift with this machine's load: compare rows within one printout, and code
hours apart with `instructions.py`.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import sim.model as model_module  # noqa: E402
from sim import agents, guidance, knowledge, observables, rd_units, streams, structures  # noqa: E402
from sim.country import Country  # noqa: E402

SPENT: dict[str, float] = defaultdict(float)  # row -> seconds, over the timed runs
TIMING = [False]  # the timers run only while on: runs with and without them alternate (the machine drifts)

# (row, owner, method): the month's steps in the order of EBPModel.step, then the structures' sub-steps
MONTH = [
    ("1. regional support structures", structures.SupportStructures, "step"),
    ("2. R&D units", rd_units.RDUnits, "run_activities"),
    ("3. universities", agents.University, "teach"),
    ("4. national knowledge centres", guidance.NationalKnowledgeCentre, "publish_guidance"),
    ("5. peers and mass channels", model_module, "peer_imitation_and_broadcast"),
    ("6. knowledge transitions", knowledge.KnowledgeState, "end_month"),
    ("7. private providers", agents.PrivateProvider, "receive_knowledge"),
    ("8. observables recorded", observables.Observables, "record"),
]
STRUCTURE_STEPS = ["seek_consent", "staff_platform", "negotiate_rd", "keep_resource_people", "staff_areas",
                   "consider_linking", "coordinate_leaders", "support_municipalities", "run_platform_activity",
                   "report_upward"]
CONTACTS = [(knowledge.KnowledgeState, name) for name in ("expose", "expose_counted", "count_contacts")]
BUILD = "build (EBPModel(seed): agents, draws, events scheduled)"
COMPUTED = "observables computed (end of run)"
REST = "the step's own lines and Mesa's step and event machinery"  # the run less every row timed


def timed(owner, name: str, row) -> None:
    """Wrap owner.name so that its time adds to SPENT[row] (row: a name, or a function of the arguments)."""
    inner = getattr(owner, name)
    is_static = isinstance(owner, type) and isinstance(owner.__dict__.get(name), staticmethod)

    def wrapper(*args, **kwargs):
        if not TIMING[0]:
            return inner(*args, **kwargs)
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[row if isinstance(row, str) else row(*args)] += time.perf_counter() - t

    setattr(owner, name, staticmethod(wrapper) if is_static else wrapper)


class TimedGenerator:
    """A numpy Generator whose draws are timed; everything else passes through."""

    def __init__(self, rng):
        self._rng = rng
        self.bit_generator = rng.bit_generator  # (skipping ahead: `streams.skip_uniforms`)

    def random(self, *args, **kwargs):
        if not TIMING[0]:
            return self._rng.random(*args, **kwargs)
        t = time.perf_counter()
        try:
            return self._rng.random(*args, **kwargs)
        finally:
            SPENT["   random draws"] += time.perf_counter() - t

    def __getattr__(self, name):
        return getattr(self._rng, name)


def install_timers() -> None:
    for row, owner, name in MONTH:
        timed(owner, name, "month " + row)
    for name in STRUCTURE_STEPS:
        timed(structures.SupportStructures, name, "   structures: " + name)
    for owner, name in CONTACTS:
        timed(owner, name, "   contacts recorded (expose)")
    timed(model_module.DatedEvent, "fire", lambda event: "dated event: " + event.fn.__name__)
    timed(observables.Observables, "compute", COMPUTED)
    make = streams.Streams.__call__
    cache: dict[int, TimedGenerator] = {}

    def stream(self, *name):
        rng = make(self, *name)
        return cache.setdefault(id(rng), TimedGenerator(rng))

    streams.Streams.__call__ = stream
    started = {}

    def collecting(phase, info):
        if phase == "start" and TIMING[0]:
            started["t"] = time.perf_counter()
        elif "t" in started:
            SPENT["   garbage collection"] += time.perf_counter() - started.pop("t")

    gc.callbacks.append(collecting)


def one_run(seed: int, country) -> tuple[float, float]:
    t0 = time.perf_counter()
    m = model_module.EBPModel(seed=seed, country=country)
    t1 = time.perf_counter()
    m.run()
    return t1 - t0, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description="Where one national run's time goes, by step of the process overview.")
    ap.add_argument("--runs", type=int, default=10, help="national runs timed after a warm-up (default 10)")
    args = ap.parse_args()
    if args.runs < 1:
        print(f"breakdown.py: --runs {args.runs} is not allowed; expected 1 or more", file=sys.stderr)
        return 2
    country = Country.load(1)
    install_timers()
    one_run(0, country)
    print(f"timing {args.runs} national runs with the timers, each beside the same run without them ...", flush=True)
    total = plain = 0.0
    for seed in range(1, args.runs + 1):
        plain += one_run(seed, country)[1]
        TIMING[0] = True
        build, whole = one_run(seed, country)
        TIMING[0] = False
        SPENT[BUILD] += build
        total += whole
    total /= args.runs
    plain /= args.runs
    ms = {row: s / args.runs * 1000 for row, s in SPENT.items()}
    events = sum(v for k, v in ms.items() if k.startswith("dated event"))
    outside = sum(v for k, v in ms.items() if not k.startswith("   "))  # (indented rows are parts of others)

    print(f"\nOne national run 2010-2020, mean of seeds 1-{args.runs}: {total * 1000:.1f} ms with the timers, "
          f"{plain * 1000:.1f} ms without them\n")
    print(f"{'where':64s} {'ms/run':>8s} {'share':>6s}")

    def line(row: str, value: float) -> None:
        print(f"{row:64s} {value:8.1f} {100 * value / (total * 1000):5.1f}%")

    line(BUILD, ms[BUILD])
    line("dated events (SALAR, R&D, budgets, co-financing ...)", events)
    for k in sorted((k for k in ms if k.startswith("dated event")), key=lambda k: -ms[k]):
        line("   " + k[len("dated event: "):], ms[k])
    for row, _, _ in MONTH:
        line("month " + row, ms.get("month " + row, 0.0))
        if row.startswith("1."):
            for name in sorted(STRUCTURE_STEPS, key=lambda n: -ms.get("   structures: " + n, 0.0)):
                line("   " + name, ms.get("   structures: " + name, 0.0))
    line(COMPUTED, ms.get(COMPUTED, 0.0))
    line(REST, total * 1000 - outside)
    print("\nacross the steps above (part of their time):")
    for row in ("   random draws", "   contacts recorded (expose)", "   garbage collection"):
        line(row, ms.get(row, 0.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
