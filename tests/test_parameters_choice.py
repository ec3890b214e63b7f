"""Which parameters a scenario runs at: the shipped posterior by default, the defaults on request.

The shipped policy scenarios name calibration/calibrated.yaml; `calibration: none` in a file or
`run.py --parameters defaults` runs at the defaults. The manifest records the choice, a resume refuses a
changed one, and bad values get one message (exit 2) with nothing written. Runs here are two months long
and run in this process (run.py's main), so the checks take seconds."""

import importlib.util
import json
from pathlib import Path

import pytest

from sim.experiments.posterior import describe
from sim.experiments.scenario import ScenarioError, load

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "calibration" / "calibrated.yaml"
POLICY = ("baseline", "unit_vs_network", "phaseout", "centres", "providers")


def cli():
    spec = importlib.util.spec_from_file_location("ebpsim_run", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def tiny(tmp_path, calibration: str | None = str(SHIPPED)) -> Path:
    text = ("name: tiny\nperiod: {start: 2010-01, end: 2010-02}\nreplicates: 2\n"
            + (f"calibration: {calibration}\n" if calibration is not None else "")
            + "variants:\n  a: {reference: true}\n  b: {leaders: {turnover: 0.05}}\n")
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(args, capsys):
    code = cli()([*map(str, args), "--workers", "1", "--quiet", "--no-plots", "--timeseries", "none"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_shipped_policy_scenarios_run_over_the_shipped_posterior_and_can_ask_for_the_defaults():
    for name in POLICY:
        sc = load(ROOT / "scenarios" / f"{name}.yaml")
        assert sc.draws and Path(sc.calibration_file) == SHIPPED.resolve(), name
        ref = sc.reference
        # replicate 0 carries a posterior draw that differs from the defaults in a calibrated parameter
        drawn = sc.draws[sc.draw_index()[0]]["params"]
        assert sc.params(ref, 0) != sc.params(ref) and all(k in sc.params(ref, 0) for k in drawn)
        plain = load(ROOT / "scenarios" / f"{name}.yaml", parameters="defaults")
        assert not plain.draws and plain.params(ref, 0) == plain.params(ref) == sc.params(ref)
        assert describe(plain) == "at the default parameters"
        assert describe(sc).startswith(f"over {len(set(sc.draw_index()))} posterior draws of ")


def test_calibration_none_in_the_file_means_the_defaults(tmp_path):
    sc = load(tiny(tmp_path, "none"))
    assert not sc.draws and sc.calibration_file is None and describe(sc) == "at the default parameters"


def test_bad_calibration_values_in_the_file_name_the_key_and_what_is_allowed(tmp_path):
    with pytest.raises(ScenarioError, match=r"calibration: 7 is not allowed; expected .*or none"):
        load(tiny(tmp_path, "7"))
    with pytest.raises(ScenarioError, match=r"nowhere.yaml does not exist"):
        load(tiny(tmp_path, "nowhere.yaml"))


def test_manifest_records_the_posterior_and_resume_refuses_a_changed_choice(tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, _ = run([tiny(tmp_path), "--out", out], capsys)
    assert code == 0 and "Parameters: over 2 posterior draws of" in stdout
    man = json.loads((out / "manifest.json").read_text())
    rec = man["parameters"]
    assert rec["at"] == "posterior" and rec["calibration"] == str(SHIPPED.resolve()) and rec["draws_in_file"] > 2
    assert len(rec["draw_of_replicate"]) == 2 and man["inputs"]["calibration"]["sha256"] == rec["sha256"]
    before = (out / "manifest.json").read_bytes()
    code, _, err = run(["--resume", out, "--parameters", "defaults"], capsys)
    assert code == 2 and "--parameters" in err and "'defaults'" in err and "posterior draws" in err
    assert "Traceback" not in err and (out / "manifest.json").read_bytes() == before
    code, _, err = run(["--resume", out, "--parameters", SHIPPED], capsys)  # the same choice: fine
    assert code == 0, err


def test_parameters_defaults_flag_runs_at_the_defaults_and_says_so(tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, _ = run([tiny(tmp_path), "--parameters", "defaults", "--out", out], capsys)
    assert code == 0 and "Parameters: at the default parameters." in stdout
    man = json.loads((out / "manifest.json").read_text())
    assert man["parameters"] == {"at": "defaults"} and man["scenario"]["calibration"] == "none"
    assert man["inputs"] == {}
    code, _, err = run(["--resume", out, "--parameters", SHIPPED], capsys)
    assert code == 2 and "at the default parameters" in err


def test_bad_parameters_values_exit_2_with_nothing_written(tmp_path, capsys):
    scenario = tiny(tmp_path)
    for value, words in (("nope", "no such file"), (str(tmp_path), "is a folder"),
                         (str(ROOT / "scenarios" / "baseline.yaml"), "draws")):
        out = tmp_path / "never"
        code, _, err = run([scenario, "--parameters", value, "--out", out], capsys)
        assert code == 2 and words in err and "Traceback" not in err, err
        assert not out.exists()
    bad = tiny(tmp_path, "nowhere.yaml")
    code, _, err = run([bad, "--out", tmp_path / "never"], capsys)
    assert code == 2 and "calibration" in err and not (tmp_path / "never").exists()
