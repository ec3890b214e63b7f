"""The walkthrough notebook runs top to bottom on a fresh results folder."""

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from sim.ensemble import Store, model_shape, run_ensemble
from sim.report import build
from sim.scenario import parse

ROOT = Path(__file__).resolve().parents[1]


def test_walkthrough_notebook_executes(tmp_path, monkeypatch):
    sc = parse({"name": "nb", "period": {"start": "2010-01", "end": "2013-12"}, "replicates": 3,
                "variants": {"a": {"reference": True}, "b": {"counties": {"all": {"principle": "network"}}}}})
    run_ensemble(sc, tmp_path, workers=1, progress=False)
    build(Store(tmp_path, sc, model_shape(sc)))
    monkeypatch.setenv("EBPSIM_RESULTS", str(tmp_path))
    nb = nbformat.read(ROOT / "notebooks" / "walkthrough.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    assert any("image/png" in o.get("data", {}) for o in outputs)
