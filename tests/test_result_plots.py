"""The plots and console table of a scenario run (sim/views/results.py, sim/views/labels.py, the console text
of sim/experiments/report.py): the paired difference plotted, the reference never hidden, words and units
on the axes, and a warning where a band rests on too few replicates."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sim.experiments import report
from sim.experiments.ensemble import model_shape, run_ensemble
from sim.experiments.scenario import parse
from sim.experiments.store import Store
from sim.observables import OBSERVABLES
from sim.views import labels, painters, results


SOME = ("reach_any", "adoption_mean", "development_leaders", "principal_spending")


@pytest.fixture(scope="module")
def run(tmp_path_factory, monkeypatch_module):
    """Two years, two replicates: the reference, an identical copy of it, and a variant that differs."""
    folder = tmp_path_factory.mktemp("res")
    sc = parse({"name": "plots", "period": {"start": "2010-01", "end": "2011-12"}, "seed": 5, "replicates": 2,
                "variants": {"ref": {"reference": True}, "same": {},
                             "network": {"counties": {"all": {"principle": "network"}}}}})
    run_ensemble(sc, folder, workers=1, progress=False)
    figures = {}
    real = results.save_figure

    def keep(fig, path, **kw):
        figures[path.name] = {"axes": fig.axes, "texts": [t.get_text() for ax in fig.axes for t in ax.texts]
                              + [t.get_text() for t in fig.texts]}
        return real(fig, path, **kw)

    monkeypatch_module.setattr(results, "save_figure", keep)
    monkeypatch_module.setattr(painters, "KEY_OBSERVABLES", SOME)  # a share, a count, money: fewer figures to draw
    tables = report.build(Store(folder, sc, model_shape(sc)), timeseries="none")
    return sc, folder, tables, figures


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_every_observable_has_words_and_a_unit():
    assert set(labels.LABELS) == set(labels.UNITS) == set(OBSERVABLES)
    assert labels.axis_label("reach_any") == "municipalities reached by the initiative (%)"
    assert labels.axis_label("adoption_mean", difference=True).endswith("(percentage points)")
    assert labels.axis_label("principal_spending") == "principals' spending on the structures (SEK million a month)"
    assert labels.value_text("reach_any", 0.873) == "87.3" and labels.value_text("reach_any", 0.007, signed=True) == "+0.7"


def test_a_difference_plot_per_key_observable(run):
    sc, folder, tables, figures = run
    assert set(SOME) <= set(report.KEY_OBSERVABLES)
    for obs in SOME:  # (the run draws these of the key observables, to keep the test short)
        assert (folder / "plots" / f"{obs}.png").exists() and (folder / "plots" / f"difference_{obs}.png").exists()
    for obs in results.BY_COUNTY:
        assert (folder / "plots" / f"{obs}_by_county.png").exists()
    ax = figures["difference_adoption_mean.png"]["axes"][0]
    assert ax.get_ylabel() == "municipalities using EBP (mean of the areas) (percentage points)"
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"no difference from ref", "same", "network"}  # zero marked, one line per other variant
    assert np.allclose(lines["no difference from ref"].get_ydata(), 0)
    assert np.allclose(lines["same"].get_ydata(), 0)  # an identical variant differs by nothing
    # the plotted line is the mean paired difference: the same numbers as comparison.csv at the year's end
    cmp_ = tables["comparison"]
    row = cmp_[(cmp_.variant == "network") & (cmp_.county == "national") & (cmp_.observable == "adoption_mean")
               & (cmp_.date == "2011-12")]
    assert np.isclose(lines["network"].get_ydata()[-1], row["mean"].iloc[0])


def test_the_reference_is_never_hidden(run):
    """An identical variant drawn over the reference used to hide it: the reference is drawn last, in black."""
    sc, folder, tables, figures = run
    ax = figures["reach_any.png"]["axes"][0]
    lines = [ln for ln in ax.get_lines()]
    ref = [ln for ln in lines if ln.get_label() == "ref (reference)"][0]
    assert ref.get_zorder() > max(ln.get_zorder() for ln in lines if ln is not ref)
    assert ref.get_color() == results.REFERENCE_COLOUR
    with Image.open(folder / "plots" / "reach_any.png") as im:
        px = np.asarray(im.convert("RGB"), dtype=int)
    assert (px.sum(axis=2) < 60).sum() > 1000  # black curve pixels (the identical 'same' lies under it)


def test_axes_in_words_with_per_cent(run):
    sc, folder, tables, figures = run
    ax = figures["reach_any.png"]["axes"][0]
    assert ax.get_ylabel() == "municipalities reached by the initiative (%)" and ax.get_xlabel() == "year"
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    money = figures["principal_spending.png"]["axes"][0]
    assert money.get_ylabel().endswith("(SEK million a month)")
    county = figures["reach_any_by_county.png"]
    assert county["axes"][0].get_ylabel() == "%" and county["axes"][0].get_title() == "Stockholm"
    assert any(len(c.get_paths()) for c in county["axes"][0].collections)  # bands per county


def test_few_replicates_are_flagged_in_plots_and_console(run):
    sc, folder, tables, figures = run
    for name in ("reach_any.png", "difference_reach_any.png", "reach_any_by_county.png"):
        assert any("only 2 replicates" in t for t in figures[name]["texts"]), name
    text = report.comparison_text(sc, tables["summary"], tables["comparison"])
    assert "warning: the 5th-95th percentile bands rest on 2 replicates" in text
    assert report.few_replicates_warning(report.MIN_REPLICATES_FOR_BAND) is None


def test_console_table_has_units(run):
    sc, folder, tables, figures = run
    text = report.comparison_text(sc, tables["summary"], tables["comparison"])
    assert "municipalities reached by the initiative (%)" in text
    assert "municipalities using EBP (mean of the areas) (pp)" in text  # the difference, in percentage points
    assert "development leaders employed (FTE)" in text
    nat = tables["summary"]
    v = nat[(nat.variant == "ref") & (nat.county == "national") & (nat.observable == "reach_any")
            & (nat.date == "2011-12")]["mean"].iloc[0]
    assert f"{100 * v:.1f} [" in text  # a share printed as per cent
    assert "reach_any" in text  # the code names, to find the rows in the CSV files


def test_plots_drawn_by_helper_processes_are_the_same_files(run, tmp_path):
    """With workers, each figure is drawn whole by one process (this one or a helper): the same bytes."""
    import shutil

    sc, folder, _, _ = run
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    before = {p.name: p.read_bytes() for p in (folder / "plots").glob("*.png")}
    shutil.rmtree(copy / "plots")
    store = Store(copy, sc, model_shape(sc))
    reps = {v: np.array(store.completed(v), dtype=int) for v in sc.variants}
    paths = results.plot_ensemble(store, reps, report.months(sc), report.places(), list(OBSERVABLES), workers=3)
    assert sorted(p.name for p in paths) == sorted(before)
    assert [p.name for p in paths if p.read_bytes() != before[p.name]] == []


def test_a_run_draws_its_plots_without_loading_the_plotting_library_itself(tmp_path):
    """The command's own process runs the model and writes the tables; the painters (sim/views/painters.py)
    load matplotlib and draw, so that the model's run and imports do not wait for it."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: short\nperiod: {start: 2010-01, end: 2010-12}\nreplicates: 1\n"
                        "variants:\n  reported: {reference: true}\n", encoding="utf-8")
    out = tmp_path / "out"
    code = ("import sys, run; code = run.main([sys.argv[1], '--workers', '2', '--quiet', '--out', sys.argv[2]]); "
            "print(code, 'matplotlib' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code, str(scenario), str(out)], cwd=root, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "0 False"
    from sim.experiments.summaries import KEY_OBSERVABLES  # (the fixture above shortens the painters' list)

    assert len(list((out / "plots").glob("*.png"))) == len(results.BY_COUNTY) + len(KEY_OBSERVABLES)
