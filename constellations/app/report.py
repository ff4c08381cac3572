"""Coverage-run reports: the summary table of a run, as CSV and Markdown, and its index page.

:func:`summary_table` turns coverage results into one tidy row per constellation (share of the grid
ever covered, area- and population-weighted coverage time, N-fold coverage, mean and maximum revisit
overall and in bands of absolute latitude, mean satellites in view). :func:`write_tables` writes it as
``summary.csv`` and ``summary.md``; :func:`write_coverage_index` writes ``index.md`` and
``index.html`` (through :func:`constellations.pages.write_index`) with the tables, every figure and
the parameters read from the results' attributes. Writing a whole run folder is
:func:`constellations.app.runs.write_run`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write_text
from ..pages import markdown_table, write_index
from ..result import latitude_bands, summary

__all__ = [
    "BAND_EDGES_DEG",
    "FIGURE_CAPTIONS",
    "TABLE_NOTE",
    "parameters_from",
    "summary_markdown",
    "summary_table",
    "write_coverage_index",
    "write_tables",
]

BAND_EDGES_DEG = (0.0, 30.0, 60.0, 90.0)  # bands of |latitude| in the summary

TABLE_NOTE = (
    "Shares are of the grid area (or of the population in the city sample). Revisit = gap between "
    "accesses, in minutes; 0 where a cell is never out of view. The headline mean revisit leaves "
    "out cells never covered (summary.csv revisit_mean_s counts them with the whole window); the "
    "band table and the maximum include them."
)

FIGURE_CAPTIONS = {
    "coverage_map": "Share of time with at least one satellite in view, per grid cell.",
    "revisit_mean_map": "Mean revisit (mean gap between accesses), per grid cell.",
    "revisit_max_map": "Maximum revisit (longest gap), per grid cell.",
    "visible_map": "Time-mean number of satellites in view, per grid cell.",
    "latitude_profiles": "Coverage, revisit and satellites in view against latitude.",
    "revisit_cdf": "Distribution of revisit times over the grid (area-weighted).",
    "coverage_timeseries": "Share of the grid covered at each time step.",
    "city_visibility": "Number of satellites in view over time at selected cities.",
    "dashboard": "Overview: maps, profiles and key numbers side by side.",
}


# ----------------------------------------------------------------------------- tables

def _wmean(x, w) -> float:
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    ok = np.isfinite(x) & (w > 0)
    return float(np.sum(x[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")


def _band_label(lo: float, hi: float) -> str:
    return f"abslat_{lo:g}_{hi:g}"


def summary_table(results, city_results=None, *, band_edges_deg=BAND_EDGES_DEG):
    """One row per constellation with the headline numbers.

    Parameters
    ----------
    results : xarray.Dataset or sequence of Dataset
        Results on an area grid (from :func:`constellations.analyze`).
    city_results : sequence of (Dataset or None), optional
        Aligned with ``results``: the same constellation analysed on city points weighted by
        population. Only points with ``population_sample`` true (all, if that coordinate is
        absent) enter the population-weighted numbers.
    band_edges_deg : sequence of float
        Edges of the bands of absolute latitude, degrees, ascending.

    Returns
    -------
    pandas.DataFrame
        Columns (shares are fractions 0-1, times seconds): ``scenario``, ``constellation``,
        ``satellites``, ``grid``, ``cells``, ``ever_covered`` (area share covered at least once),
        ``coverage_time`` (area-weighted mean share of time covered), ``time_{N}plus_in_view``
        (area-weighted share of time with at least N in view, for each N >= 2 of the result),
        ``visible_mean``, ``revisit_mean_s`` (area-weighted mean over cells; a cell never covered
        counts with the whole window under the optimistic convention), ``revisit_mean_covered_s``
        (the same over cells covered at least once), ``revisit_max_s``
        (largest over cells), ``mean_response_time_s``, per band ``coverage_time_abslat_LO_HI``,
        ``revisit_mean_s_abslat_LO_HI``, ``revisit_max_s_abslat_LO_HI``, then
        ``coverage_time_population`` (population-weighted), ``revisit_mean_s_population``,
        ``population_cities`` (points in the sample), ``boundary``, ``start_utc``,
        ``duration_s``, ``step_s``, ``min_elevation_deg``.
    """
    if not isinstance(results, list | tuple):
        results = [results]
    if city_results is None:
        city_results = [None] * len(results)
    city_results = list(city_results)
    if len(city_results) != len(results):
        raise ValueError(f"city_results must be aligned with results: got {len(city_results)} for "
                         f"{len(results)} results; pass None for constellations without cities")
    base = summary(list(results))
    bands = latitude_bands(list(results), edges_deg=band_edges_deg, absolute=True)
    rows = []
    for i, ds in enumerate(results):
        b = base.iloc[i]
        w = ds["weight"].values.astype(float)
        row = {"scenario": str(ds.attrs.get("scenario_name", "")),
               "constellation": b["constellation"], "satellites": int(b["satellites"]),
               "grid": b["grid"], "cells": int(b["cells"]), "ever_covered": b["ever_covered"],
               "coverage_time": b["coverage_time"]}
        for n in ds["nfold"].values:
            if int(n) >= 2:
                frac = ds["nfold_time_fraction"].sel(nfold=n).values
                row[f"time_{int(n)}plus_in_view"] = _wmean(frac, w)
        row.update(visible_mean=b["visible_mean"], revisit_mean_s=b["revisit_mean_s"],
                   revisit_mean_covered_s=b["revisit_mean_covered_s"],
                   revisit_max_s=b["revisit_max_s"], mean_response_time_s=b["mean_response_time_s"])
        mine = bands.iloc[i * (len(band_edges_deg) - 1):(i + 1) * (len(band_edges_deg) - 1)]
        for _, r in mine.iterrows():
            label = _band_label(r["lat_min_deg"], r["lat_max_deg"])
            row[f"coverage_time_{label}"] = r["coverage_time"]
            row[f"revisit_mean_s_{label}"] = r["revisit_mean_s"]
            row[f"revisit_max_s_{label}"] = r["revisit_max_s"]
        row.update(_population_row(city_results[i]))
        row.update(boundary=ds.attrs["boundary"], start_utc=ds.attrs["start_utc"],
                   duration_s=float(ds.attrs["duration_s"]), step_s=float(ds.attrs["step_s"]),
                   min_elevation_deg=str(ds.attrs["min_elevation_deg"]))
        rows.append(row)
    return pd.DataFrame(rows)


def _population_row(cds) -> dict:
    nan = float("nan")
    if cds is None:
        return {"coverage_time_population": nan, "revisit_mean_s_population": nan,
                "population_cities": 0}
    w = cds["weight"].values.astype(float)
    if "population_sample" in cds.coords:
        w = np.where(cds["population_sample"].values.astype(bool), w, 0.0)
    return {"coverage_time_population": _wmean(cds["coverage_time_fraction"].values, w),
            "revisit_mean_s_population": _wmean(cds["revisit_mean_s"].values, w),
            "population_cities": int(np.count_nonzero(w > 0))}


def _pct(x) -> str:
    return "n/a" if not np.isfinite(x) else f"{100.0 * x:.1f} %"


def _minutes(x) -> str:
    return "n/a" if not np.isfinite(x) else f"{x / 60.0:.1f}"


def _table_rows(table) -> tuple[list[list[str]], list[list[str]]]:
    """(headline, bands) tables as rows of strings, first row the header."""
    nfold_cols = [c for c in table.columns if c.startswith("time_") and c.endswith("plus_in_view")]
    own_starts = "start_utc" in table.columns and table["start_utc"].nunique() > 1
    head = (["Constellation", *(["Start (UTC)"] if own_starts else []), "Satellites", "Ever covered",
             "Coverage time (area)", "Coverage time (population)"]
            + [f"≥{c.split('_')[1].removesuffix('plus')} in view" for c in nfold_cols]
            + ["Mean in view", "Mean revisit, covered area (min)", "Max revisit (min)"])
    main = [head]
    bands = sorted({c.removeprefix("revisit_mean_s_") for c in table.columns
                    if c.startswith("revisit_mean_s_abslat_")},
                   key=lambda s: float(s.split("_")[1]))
    band_head = ["Constellation"]
    for b in bands:
        lo, hi = b.split("_")[1:]
        band_head += [f"|lat| {lo}-{hi}°: coverage", f"{lo}-{hi}°: mean / max revisit (min)"]
    band_rows = [band_head]
    for _, r in table.iterrows():
        main.append([str(r["constellation"])] + ([str(r["start_utc"])] if own_starts else [])
                    + [f"{int(r['satellites']):,}", _pct(r["ever_covered"]),
                       _pct(r["coverage_time"]), _pct(r["coverage_time_population"])]
                    + [_pct(r[c]) for c in nfold_cols]
                    + [f"{r['visible_mean']:.2f}", _minutes(r["revisit_mean_covered_s"]),
                       _minutes(r["revisit_max_s"])])
        cells = [str(r["constellation"])]
        for b in bands:
            cells += [_pct(r[f"coverage_time_{b}"]),
                      f"{_minutes(r[f'revisit_mean_s_{b}'])} / {_minutes(r[f'revisit_max_s_{b}'])}"]
        band_rows.append(cells)
    return main, band_rows


def summary_markdown(table) -> str:
    """The summary as two Markdown tables (headline numbers; bands of absolute latitude)."""
    main, bands = _table_rows(table)
    return (markdown_table(main) + "\n\nBy band of absolute latitude (area-weighted):\n\n"
            + markdown_table(bands) + "\n")


def write_tables(table, out_dir, *, title: str = "Summary", caption: str = "") -> list[Path]:
    """Write ``summary.csv`` (all columns, full precision) and ``summary.md`` (formatted)."""
    out_dir = Path(out_dir)
    csv = atomic_write_text(out_dir / "summary.csv", table.to_csv(index=False))
    text = f"# {title}\n\n" + (f"{caption}\n\n" if caption else "") + summary_markdown(table)
    text += ("\n" + TABLE_NOTE + " Full precision and more columns in summary.csv.\n")
    md = atomic_write_text(out_dir / "summary.md", text)
    return [csv, md]


# ----------------------------------------------------------------------------- index

def parameters_from(results) -> list[tuple[str, str]]:
    """Parameter list for the index, from the results' attributes."""
    a = results[0].attrs
    out = [("start", a["start_utc"]), ("duration", f"{float(a['duration_s']) / 3600:g} h"),
           ("step", f"{float(a['step_s']):g} s"), ("grid", f"{a['grid']} ({int(a['grid_cells']):,} cells)"),
           ("edge gaps", str(a["boundary"]))]
    for ds in results:
        source = str(ds.attrs.get("constellation_source", "")).strip()
        out.append((str(ds.attrs["constellation"]),
                    f"{int(ds.attrs['satellites']):,} satellites, min elevation "
                    f"{ds.attrs['min_elevation_deg']} deg" + (f"; {source}" if source else "")))
    out.append(("package", f"constellations {a.get('package_version', '')}"))
    return out


def write_coverage_index(out_dir, results, table, *, title: str, description: str = "",
                         caption: str = "", figures: Mapping, data_files: Sequence = ()) -> list[Path]:
    """Write the index page of a coverage run: parameters, summary tables, figures, files.

    Parameters
    ----------
    out_dir : path
    results : list of xarray.Dataset
        Grid results; their attributes give the parameter list.
    table : pandas.DataFrame
        From :func:`summary_table`.
    title, description, caption : str
    figures : mapping of str to list of path
    data_files : sequence of path
        Files to link (results, tables, inputs of a comparison).

    Returns
    -------
    list of pathlib.Path
        ``[index.md, index.html]``.
    """
    main, bands = _table_rows(table)
    return write_index(out_dir, title=title, description=description, caption=caption, figures=figures,
                       tables=[("", main), ("By band of absolute latitude (area-weighted):", bands)],
                       data_files=data_files, parameters=parameters_from(results), note=TABLE_NOTE,
                       captions=FIGURE_CAPTIONS)
