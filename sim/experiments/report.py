"""Tables of a finished ensemble, built from its on-disk arrays (``store.py``); its plots are drawn by
``sim/views/results.py``.

* ``summary.csv``: per variant, place and observable, at the end of each year: mean, 5th and 95th
  percentile over replicates.
* ``comparison.csv``: per non-reference variant, place and observable, at the end of each year: the paired
  difference from the reference (same replicate, same seed): mean, 5th and 95th percentile.
* ``timeseries.parquet``: variant, replicate, date, county, observable, value (every month), or only the
  national rows, or none (``--timeseries``).

Everything is computed one place (nation or county) at a time from memory-mapped arrays, so memory does
not grow with the number of replicates beyond one place's year-end values. Files are written under a
temporary name and renamed when complete.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ..observables import OBSERVABLES
from .summaries import KEY_OBSERVABLES, MIN_REPLICATES_FOR_BAND, nanpercentile, places, read_place  # noqa: F401 - also read from here


def months(scenario) -> pd.DatetimeIndex:
    return pd.date_range(scenario.start + "-01", scenario.end + "-01", freq="MS")


def year_ends(dates: pd.DatetimeIndex) -> list[int]:
    """Index of the last month of each year in the period (December, or the final month)."""
    idx = [i for i, d in enumerate(dates) if d.month == 12]
    if not idx or idx[-1] != len(dates) - 1:
        idx.append(len(dates) - 1)
    return idx


def _replicates(store, variant) -> np.ndarray:
    return np.array(store.completed(variant), dtype=int)


def _atomic_csv(df: pd.DataFrame, path: Path) -> None:
    """`df` as CSV, numbers to 6 significant digits (NaN as an empty cell). The numbers are formatted here,
    column by column: pandas' `float_format` calls a Python function per value, most of the table's cost."""
    text = df.copy(deep=False)
    for c in df.columns:
        if df[c].dtype.kind == "f":
            text[c] = np.array(["" if v != v else "%.6g" % v for v in df[c].to_numpy().tolist()], dtype=object)
    with _atomic(path) as tmp:
        text.to_csv(tmp, index=False)


@contextmanager
def _atomic(path: Path):
    """Write to a temporary name and rename when complete; on any failure (a full disk) remove the
    temporary file, so a reader finds the complete table or none, and no `.partial` is left behind."""
    tmp = path.with_name("." + path.name + ".partial")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build(store, timeseries: str = "all", plots: bool = True, workers: int = 1,
          progress: bool = False, painters=None) -> dict[str, pd.DataFrame]:
    """Write summary.csv, comparison.csv, timeseries.parquet and (with `plots`) plots/ into the store's folder.
    The plots are drawn by `painters` (``sim/views/painters.py``, started by the caller) while the tables are
    written, or else by `workers` processes."""
    sc = store.scenario
    folder = store.folder
    dates = months(sc)
    ye = year_ends(dates)
    names = list(OBSERVABLES)
    pl = places()
    reps = {v: _replicates(store, v) for v in sc.variants}
    arrays = {v: store.array(v, mode="r") for v in sc.variants}
    drawing = None
    if plots and painters is not None:  # drawn by other processes while this one writes the tables
        from ..views.painters import PlotData

        drawing = painters.draw(PlotData.of(store, reps, dates, pl, names))
    summary_rows, comparison_rows = [], []
    ref = sc.reference
    for p_i, place in enumerate(pl):
        vals = {v: read_place(arrays[v], reps[v], p_i)[:, ye] for v in sc.variants}  # each (R, years, obs), read once
        for v in sc.variants:
            summary_rows.append(_stats(vals[v], v, place, dates[ye], names))
            if v != ref:
                common = np.intersect1d(reps[v], reps[ref])  # paired: the replicates both have finished
                diff = vals[v][np.isin(reps[v], common)] - vals[ref][np.isin(reps[ref], common)]
                comparison_rows.append(_stats(diff, v, place, dates[ye], names, reference=ref))
    summary = pd.concat(summary_rows, ignore_index=True)
    _atomic_csv(summary, folder / "summary.csv")
    comparison = pd.concat(comparison_rows, ignore_index=True) if comparison_rows else pd.DataFrame(
        columns=["variant", "reference", "county", "date", "observable", "mean", "p5", "p95", "n"])
    _atomic_csv(comparison, folder / "comparison.csv")
    arrays.clear()  # unmapped: the time series maps them again, and both maps would count as resident
    if timeseries != "none":
        write_timeseries(store, reps, dates, pl, names, national_only=(timeseries == "national"))
    if drawing is not None:
        drawing.wait(progress)
    elif plots:
        from ..views.results import plot_ensemble  # matplotlib is loaded only when plots are drawn

        plot_ensemble(store, reps, dates, pl, names, workers=workers, progress=progress)
    return {"summary": summary, "comparison": comparison}


def _stats(vals: np.ndarray, variant, place, dates, names, reference=None) -> pd.DataFrame:
    import warnings

    n = vals.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells (e.g. cost before anyone is reached)
        mean = np.nanmean(vals, axis=0) if n else np.full(vals.shape[1:], np.nan)
        p5 = nanpercentile(vals, 5) if n else mean
        p95 = nanpercentile(vals, 95) if n else mean
    ny, no = mean.shape
    df = pd.DataFrame({
        "variant": variant,
        "county": place,
        "date": np.repeat(dates.strftime("%Y-%m"), no),
        "observable": np.tile(names, ny),
        "mean": mean.reshape(-1), "p5": p5.reshape(-1), "p95": p95.reshape(-1), "n": n,
    })
    if reference is not None:
        df.insert(1, "reference", reference)
    return df


def write_timeseries(store, reps, dates, pl, names, national_only=False) -> Path:
    path = store.folder / "timeseries.parquet"
    with _atomic(path) as tmp:
        _write_parquet(store, reps, dates, pl, names, n_p=1 if national_only else len(pl), tmp=tmp)
    return path


def _write_parquet(store, reps, dates, pl, names, n_p: int, tmp: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sc = store.scenario
    n_t, n_o = len(dates), len(names)

    def repeated(values, codes):  # a dictionary column from its codes: no string per row is made
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(values)))

    date_col = pa.array(np.repeat(dates.values.astype("datetime64[ms]"), n_p * n_o))
    county_col = repeated(pl[:n_p], np.tile(np.repeat(np.arange(n_p), n_o), n_t))
    obs_col = repeated(names, np.tile(np.arange(n_o), n_t * n_p))
    schema = pa.schema([("variant", pa.dictionary(pa.int32(), pa.string())), ("replicate", pa.int32()),
                        ("date", pa.timestamp("ms")), ("county", county_col.type), ("observable", obs_col.type),
                        ("value", pa.float32())])
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for v in sc.variants:
            arr = store.array(v, mode="r")
            for r in reps[v]:
                vals = np.asarray(arr[r][:, :n_p, :]).reshape(-1)
                n = len(vals)
                table = pa.table({
                    "variant": repeated([v], np.zeros(n, dtype=np.int32)),
                    "replicate": pa.array(np.full(n, r, dtype=np.int32)),
                    "date": date_col, "county": county_col, "observable": obs_col,
                    "value": pa.array(vals, type=pa.float32()),
                }, schema=schema)
                writer.write_table(table)


def few_replicates_warning(n: int) -> str | None:
    """A warning when a 5th-95th percentile band rests on too few replicates to mean much, else None."""
    if n < MIN_REPLICATES_FOR_BAND:
        return (f"warning: the 5th-95th percentile bands rest on {n} replicate{'s' if n != 1 else ''}; with fewer "
                f"than {MIN_REPLICATES_FOR_BAND} they are little more than the smallest and largest value "
                f"(run more with --replicates)")
    return None


def comparison_text(scenario, summary: pd.DataFrame, comparison: pd.DataFrame,
                    observables=("reach_any", "salar_event_share", "adoption_mean", "provider_reach",
                                 "functioning_structures", "development_leaders", "cost_per_reached")) -> str:
    """A readable table: each variant at the end of the period, and its paired difference from the reference.
    With a single variant: its course over the years instead. Rows are labelled in words with their units
    (shares in per cent, their differences in percentage points)."""
    if len(scenario.variants) == 1:
        return course_text(scenario, summary, observables)
    end = summary["date"].max()
    nat = summary[(summary["county"] == "national") & (summary["date"] == end)]
    cmp_ = comparison[(comparison["county"] == "national") & (comparison["date"] == end)] if len(comparison) else comparison
    n = int(nat["n"].min()) if len(nat) else 0
    lines = [f"Scenario '{scenario.name}' at {end} (national; mean [5th-95th percentile] over {n} replicates)",
             parameters_line(scenario), ""]
    lines += _table(observables, list(scenario.variants), 26, _cells(nat, "variant"), signed=False)
    if len(cmp_):
        lines += ["", f"Paired difference from the reference '{scenario.reference}' (mean [90 % interval]; "
                      "pp = percentage points):", ""]
        others = [v for v in scenario.variants if v != scenario.reference]
        lines += _table(observables, others, 26, _cells(cmp_, "variant"), signed=True)
    warning = few_replicates_warning(n)
    return "\n".join(lines + (["", warning] if warning else []))


def parameters_line(scenario) -> str:
    from .posterior import describe

    return f"Parameters: {describe(scenario)}."


def course_text(scenario, summary: pd.DataFrame, observables) -> str:
    nat = summary[summary["county"] == "national"]
    dates = sorted(nat["date"].unique())
    wanted = sorted(set([d for d in dates if d[:4] in ("2011", "2012", "2014", "2016")] + [dates[-1]]))
    n = int(nat["n"].min()) if len(nat) else 0
    lines = [f"Scenario '{scenario.name}' (national, end of year; mean [5th-95th percentile] over {n} replicates)",
             parameters_line(scenario), ""]
    lines += _table(observables, wanted, 22, _cells(nat, "date"), signed=False, header=lambda d: d[:4])
    warning = few_replicates_warning(n)
    return "\n".join(lines + (["", warning] if warning else []))


def _table(rows, columns, width, cell: dict, signed, header=lambda c: c[:24]) -> list[str]:
    """Fixed-width text table: one row per observable (in words, with its unit), one column per variant or year;
    `cell` maps (observable, column) to (mean, p5, p95) (`_cells`), a missing cell shows '-'."""
    from ..views.labels import label, unit_text  # words and units only: no plotting library

    names = {obs: f"{label(obs)} ({unit_text(obs, difference=signed)})" for obs in rows}
    w0 = min(64, max(len(t) for t in names.values()) + 2)
    lines = [f"{'':<{w0}}" + "".join(f"{header(c):>{width}}" for c in columns)]
    for obs in rows:
        name = names[obs] if len(names[obs]) < w0 else names[obs][: w0 - 2] + "…"
        line = f"{name:<{w0}}"
        for c in columns:
            r = cell.get((obs, c))
            line += f"{_fmt(obs, r, signed):>{width}}" if r is not None else f"{'-':>{width}}"
        lines.append(line)
    lines.append(f"(rows as named in summary.csv and comparison.csv: {', '.join(rows)})")
    return lines


def _cells(rows: pd.DataFrame, column: str) -> dict:
    """(observable, value of `column`) -> (mean, p5, p95) of the first such row: the cells of a `_table`."""
    out = {}
    for key, m, lo, hi in zip(zip(rows["observable"], rows[column]), rows["mean"], rows["p5"], rows["p95"]):
        out.setdefault(key, (float(m), float(lo), float(hi)))
    return out


def _fmt(obs: str, r: tuple, signed=False) -> str:
    from ..views.labels import value_text

    m, lo, hi = r
    return f"{value_text(obs, m, signed)} [{value_text(obs, lo, signed)}, {value_text(obs, hi, signed)}]"
