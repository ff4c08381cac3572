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
from ..pages import escape_markdown, markdown_table, write_index
from ..plotting.coverage_figures import headline_numbers
from ..plotting.style import format_count, format_duration_s, format_percent, result_label
from ..result import latitude_bands, summary

__all__ = [
    "BAND_EDGES_DEG",
    "FIGURE_CAPTIONS",
    "FIGURE_TITLES",
    "TABLE_NOTE",
    "page_title",
    "parameters_from",
    "summary_markdown",
    "summary_table",
    "write_coverage_index",
    "write_tables",
]

BAND_EDGES_DEG = (0.0, 30.0, 60.0, 90.0)  # bands of |latitude| in the summary

TABLE_NOTE = (
    "Shares of time are area-weighted over the grid, then population-weighted over the Natural Earth "
    "places in the region (area / population). * Gaps and waits are over the area covered at least "
    "once, so a never-covered polar cap (its share is in its own column) never inflates them; \"no gap\": "
    "always in view there. Mean wait for a pass = mean response time, the average time a user arriving "
    "at a random moment waits for the next satellite. The band table is over all cells of each band "
    "(a band never covered reads \"never covered\"). In summary.csv, revisit_mean_s and revisit_max_s "
    "count never-covered cells with the whole window; the *_covered_s columns do not."
)

FIGURE_CAPTIONS = {
    "dashboard": "One page: where each constellation has more satellites in view, how often several are, "
                 "where there are gaps at all, and the headline numbers.",
    "visible_map": "How many satellites are above the minimum elevation on average, everywhere (each map on "
                   "its own scale when they differ a lot).",
    "nfold_map": "Where several satellites are in view at once, the share of time with at least N (a "
                 "capacity and redundancy proxy; N chosen to tell the constellations apart).",
    "coverage_map": "Where and how much of the time at least one satellite is in view (maps that are "
                    "100 % everywhere are left out and named).",
    "revisit_mean_map": "Where users wait between passes: the mean gap, only for constellations that have "
                        "gaps.",
    "revisit_max_map": "The longest wait anywhere: the longest gap, only for constellations that have gaps.",
    "latitude_profiles": "Which latitudes each constellation serves: coverage, gaps and satellites in view "
                         "by latitude (0 drawn at the edge of log axes).",
    "revisit_cdf": "How much of the Earth waits at most x minutes between passes (area-weighted).",
    "coverage_timeseries": "Whether coverage changes over the day: share of the grid covered at each step "
                           "and the mean number in view.",
    "city_visibility": "What a user in each named place sees: satellites in view over the window.",
}
"""Figure name -> the one-line question it answers (the index page shows it under the heading)."""

FIGURE_TITLES = {
    "dashboard": "At a glance",
    "visible_map": "Satellites in view",
    "nfold_map": "Several satellites at once",
    "coverage_map": "Coverage time",
    "revisit_mean_map": "Mean gap between passes",
    "revisit_max_map": "Longest gap",
    "latitude_profiles": "By latitude",
    "revisit_cdf": "Gaps across the Earth",
    "coverage_timeseries": "Over the day",
    "city_visibility": "Above named places",
}
"""Figure name -> heading on the index page."""


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
    nfold = results[0]["nfold"].values if "nfold" in results[0].coords else ()  # population columns
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
        head = headline_numbers(ds)
        row.update(visible_mean=b["visible_mean"], revisit_mean_s=b["revisit_mean_s"],
                   revisit_mean_covered_s=b["revisit_mean_covered_s"],
                   revisit_max_s=b["revisit_max_s"], mean_response_time_s=b["mean_response_time_s"],
                   never_covered=head["never_covered"], revisit_max_covered_s=head["revisit_max_s"],
                   mean_response_time_covered_s=head["mean_response_time_s"],
                   synthetic=result_label(ds.attrs) != str(ds.attrs.get("constellation", "")))
        mine = bands.iloc[i * (len(band_edges_deg) - 1):(i + 1) * (len(band_edges_deg) - 1)]
        for _, r in mine.iterrows():
            label = _band_label(r["lat_min_deg"], r["lat_max_deg"])
            row[f"coverage_time_{label}"] = r["coverage_time"]
            row[f"revisit_mean_s_{label}"] = r["revisit_mean_s"]
            row[f"revisit_max_s_{label}"] = r["revisit_max_s"]
        row.update(_population_row(city_results[i], nfold))
        row.update(boundary=ds.attrs["boundary"], start_utc=ds.attrs["start_utc"],
                   duration_s=float(ds.attrs["duration_s"]), step_s=float(ds.attrs["step_s"]),
                   min_elevation_deg=str(ds.attrs["min_elevation_deg"]))
        rows.append(row)
    return pd.DataFrame(rows)


def _population_row(cds, nfold) -> dict:
    """Population-weighted numbers over the run's city sample.

    The sample is the points of ``cds`` whose ``population_sample`` is true (all, if that
    coordinate is absent), weighted by population (``weight``). The scenario layer draws it from
    the region itself (a country's own places, a city list's own cities:
    :meth:`constellations.app.scenario.Scenario.build_city_grid`), so every point of it counts,
    a coastal city off the grid's cells included.
    """
    nan = float("nan")
    out = {"coverage_time_population": nan, "revisit_mean_s_population": nan, "visible_mean_population": nan,
           **{f"time_{int(n)}plus_in_view_population": nan for n in nfold if int(n) >= 2},
           "population_cities": 0, "population": 0.0}
    if cds is None:
        return out
    w = cds["weight"].values.astype(float)
    if "population_sample" in cds.coords:
        w = np.where(cds["population_sample"].values.astype(bool), w, 0.0)
    if not (w > 0).any():
        return out
    out.update(coverage_time_population=_wmean(cds["coverage_time_fraction"].values, w),
               revisit_mean_s_population=_wmean(cds["revisit_mean_s"].values, w),
               visible_mean_population=_wmean(cds["visible_mean"].values, w)
               if "visible_mean" in cds else nan,
               population_cities=int(np.count_nonzero(w > 0)), population=float(w.sum()))
    if "nfold_time_fraction" in cds:
        for n in cds["nfold"].values:
            if int(n) >= 2:
                out[f"time_{int(n)}plus_in_view_population"] = _wmean(
                    cds["nfold_time_fraction"].sel(nfold=n).values, w)
    return out


def _pct(x) -> str:
    return "n/a" if not np.isfinite(x) else f"{100.0 * x:.1f} %"


def _minutes(x) -> str:
    return "n/a" if not np.isfinite(x) else f"{x / 60.0:.1f}"


def _gap(x) -> str:
    if not np.isfinite(x):
        return "never covered"
    return "no gap" if x == 0 else format_duration_s(x)


def _pair(area, population) -> str:
    """``"85.0 % / 97.1 %"``: area share, then population share (the latter only when computed)."""
    if not np.isfinite(population):
        return format_percent(area)
    return f"{format_percent(area)} / {format_percent(population)}"


def _table_rows(table) -> tuple[list[list[str]], list[list[str]]]:
    """(headline, bands) tables as rows of strings, first row the header."""
    nfold_cols = [c for c in table.columns if c.startswith("time_") and c.endswith("plus_in_view")]
    own_starts = "start_utc" in table.columns and table["start_utc"].nunique() > 1
    has_pop = "coverage_time_population" in table.columns and table["coverage_time_population"].notna().any()
    per = " (area / population)" if has_pop else " (area)"
    head = (["Constellation", *(["Start (UTC)"] if own_starts else []), "Satellites", "Area never covered",
             "Time with ≥1 in view" + per]
            + [f"≥{c.split('_')[1].removesuffix('plus')} in view" + per for c in nfold_cols]
            + ["Mean in view" + per, "Mean gap*", "Longest gap*", "Mean wait for a pass*"])
    main = [head]
    bands = sorted({c.removeprefix("revisit_mean_s_") for c in table.columns
                    if c.startswith("revisit_mean_s_abslat_")},
                   key=lambda s: float(s.split("_")[1]))
    band_head = ["Constellation"]
    for b in bands:
        lo, hi = b.split("_")[1:]
        band_head += [f"|lat| {lo}-{hi}°: time with ≥1 in view", f"{lo}-{hi}°: mean / longest gap"]
    band_rows = [band_head]
    nan = float("nan")
    for _, r in table.iterrows():
        name = str(r["constellation"]) + (" [synthetic layout]" if r.get("synthetic", False) else "")
        def pop(key, r=r):
            return r.get(key, nan) if has_pop else nan

        mean_in_view = (f"{r['visible_mean']:.1f}" if not np.isfinite(pop("visible_mean_population"))
                        else f"{r['visible_mean']:.1f} / {pop('visible_mean_population'):.1f}")
        main.append([name] + ([str(r["start_utc"])] if own_starts else [])
                    + [format_count(r["satellites"]), format_percent(r.get("never_covered", nan)),
                       _pair(r["coverage_time"], pop("coverage_time_population"))]
                    + [_pair(r[c], pop(c + "_population")) for c in nfold_cols]
                    + [mean_in_view, _gap(r["revisit_mean_covered_s"]),
                       _gap(r.get("revisit_max_covered_s", r["revisit_max_s"])),
                       _gap(r.get("mean_response_time_covered_s", r["mean_response_time_s"]))])
        cells = [name]
        for b in bands:
            never = not r[f"coverage_time_{b}"] > 0
            cells += [format_percent(r[f"coverage_time_{b}"]),
                      "never covered" if never
                      else f"{_gap(r[f'revisit_mean_s_{b}'])} / {_gap(r[f'revisit_max_s_{b}'])}"]
        band_rows.append(cells)
    return main, band_rows


def summary_markdown(table) -> str:
    """The summary as two Markdown tables (headline numbers; bands of absolute latitude)."""
    main, bands = _table_rows(table)
    return (markdown_table(main) + "\n\nBy band of absolute latitude (area-weighted):\n\n"
            + markdown_table(bands) + "\n")


_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a cell starting so is a formula in a spreadsheet


def csv_safe(table):
    """The table with text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``)
    prefixed with ``'`` (OWASP's CSV-injection rule); numbers and other text are unchanged.

    Quotes, commas and line breaks in text are quoted by the CSV writer itself.

    Examples
    --------
    >>> csv_safe(pd.DataFrame({"name": ["=HYPERLINK(1)", "Kuiper"], "x": [-1.0, 2.0]}))["name"].tolist()
    ["'=HYPERLINK(1)", 'Kuiper']
    """
    out = table.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = [f"'{v}" if isinstance(v, str) and v.startswith(_CSV_FORMULA) else v
                        for v in out[col]]
    return out


def write_tables(table, out_dir, *, title: str = "Summary", caption: str = "") -> list[Path]:
    """Write ``summary.csv`` (all columns, full precision) and ``summary.md`` (formatted)."""
    out_dir = Path(out_dir)
    csv = atomic_write_text(out_dir / "summary.csv", csv_safe(table).to_csv(index=False))
    text = (f"# {escape_markdown(title, line_start=False)}\n\n"
            + (f"{escape_markdown(caption)}\n\n" if caption else "") + summary_markdown(table))
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
    order = [n for n in FIGURE_TITLES if n in figures] + [n for n in figures if n not in FIGURE_TITLES]
    return write_index(out_dir, title=page_title(results, title), description=description, caption=caption,
                       figures={n: figures[n] for n in order},
                       tables=[("", main), ("By band of absolute latitude (area-weighted):", bands)],
                       data_files=data_files, parameters=parameters_from(results), note=TABLE_NOTE,
                       captions=FIGURE_CAPTIONS, titles=FIGURE_TITLES)


def page_title(results, run_title: str = "") -> str:
    """The index page's title: what is compared, then the run's own title (e.g. the scenario).

    Examples
    --------
    >>> import xarray as xr
    >>> page_title([xr.Dataset(attrs={"constellation": "A"}), xr.Dataset(attrs={"constellation": "B"})],
    ...            "Scenario ab")
    'A vs B: satellites in view, coverage and gaps (Scenario ab)'
    """
    names = [result_label(ds.attrs) for ds in results]
    what = " vs ".join(names) if len(names) > 1 else (names[0] if names else "Coverage")
    text = f"{what}: satellites in view, coverage and gaps"
    return f"{text} ({run_title})" if run_title else text
