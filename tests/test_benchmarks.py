"""The benchmark that says where a run's time goes keeps finding every step it times (it wraps the model's
methods by name: a renamed step would otherwise drop out of its table unnoticed). No timing is asserted."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_breakdown_times_every_step_of_the_month():
    res = subprocess.run([sys.executable, "benchmarks/breakdown.py", "--runs", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    rows = dict(re.findall(r"^(\S.*?|   \S.*?)\s+(\d+\.\d) +\d+\.\d%$", res.stdout, flags=re.M))
    steps = ["1. regional support structures", "2. R&D units", "3. universities", "4. national knowledge centres",
             "5. peers and mass channels", "6. knowledge transitions", "7. private providers",
             "8. observables recorded"]
    for step in steps:
        assert float(rows["month " + step]) > 0, step
    for sub in ["support_municipalities", "staff_areas", "run_platform_activity", "report_upward"]:
        assert float(rows["   " + sub]) > 0, sub
    for across in ["random draws", "contacts recorded (expose)"]:
        assert float(rows["   " + across]) > 0, across
    assert float(rows["   hold_event"]) > 0  # the dated events, by name


def test_breakdown_refuses_no_runs():
    res = subprocess.run([sys.executable, "benchmarks/breakdown.py", "--runs", "0"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 2
    assert "--runs 0" in res.stderr and "Traceback" not in res.stderr
