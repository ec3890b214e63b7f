"""The walkthrough notebook runs top to bottom on a fresh results folder."""

from pathlib import Path

from conftest import execute_notebook

from sim.experiments.ensemble import model_shape, run_ensemble
from sim.experiments.store import Store
from sim.experiments.report import build
from sim.experiments.scenario import parse

ROOT = Path(__file__).resolve().parents[1]


def test_walkthrough_notebook_executes(tmp_path, monkeypatch):
    sc = parse({"name": "nb", "period": {"start": "2010-01", "end": "2013-12"}, "replicates": 3,
                "variants": {"a": {"reference": True}, "b": {"counties": {"all": {"principle": "network"}}}}})
    run_ensemble(sc, tmp_path, workers=1, progress=False)
    build(Store(tmp_path, sc, model_shape(sc)))
    monkeypatch.setenv("EBPSIM_RESULTS", str(tmp_path))
    outputs = execute_notebook("walkthrough.ipynb", ROOT)
    assert any("image/png" in o.get("data", {}) for o in outputs)
