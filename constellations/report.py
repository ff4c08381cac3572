"""Run outputs: summary tables, figures and the index page of a results folder, written atomically.

:func:`summary_table` turns coverage results into one tidy row per constellation (share of the grid
ever covered, area- and population-weighted coverage time, N-fold coverage, mean and maximum revisit
overall and in bands of absolute latitude, mean satellites in view). :func:`write_tables` writes it as
``summary.csv`` and ``summary.md``; :func:`write_index` writes ``index.md`` and ``index.html``
showing every figure; :func:`write_run` does all of it for a results folder, in an order that makes
an interrupted run recognisable: each file appears complete or not at all (temporary name + rename),
and the index, written last, exists only when everything else does.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .atomic import atomic_write_text

__all__ = [
    "BAND_EDGES_DEG",
    "FIGURE_CAPTIONS",
    "LIMITS",
    "dataframe_rows",
    "remove_index",
    "split_results",
    "summary_markdown",
    "summary_table",
    "write_index",
    "write_run",
    "write_tables",
]

BAND_EDGES_DEG = (0.0, 30.0, 60.0, 90.0)  # bands of |latitude| in the summary
INDEX_FILES = ("index.md", "index.html")

LIMITS = (
    "Geometric visibility only: a point counts as covered when a satellite is above the minimum "
    "elevation (and inside the sensor cone, if one is given). No capacity, beams, spectrum, link "
    "budget, weather, ground stations or inter-satellite links. Spherical Earth; circular orbits "
    "with J2 drift for presets (SGP4 for TLE catalogs); every satellite assumed working. Times are "
    "sampled at the step: gaps and accesses are resolved to one step. Population weights: Natural "
    "Earth 1:50m populated places (metropolitan population, pop_max)."
)

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


# ----------------------------------------------------------------------------- atomic files

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
    import pandas as pd

    from .result import latitude_bands, summary

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


def _md(rows: list[list[str]]) -> str:
    def esc(s):
        return s.replace("|", "\\|")

    lines = ["| " + " | ".join(esc(c) for c in rows[0]) + " |",
             "|" + "|".join("---" if i == 0 else "--:" for i in range(len(rows[0]))) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def summary_markdown(table) -> str:
    """The summary as two Markdown tables (headline numbers; bands of absolute latitude)."""
    main, bands = _table_rows(table)
    return (_md(main) + "\n\nBy band of absolute latitude (area-weighted):\n\n" + _md(bands) + "\n")


def write_tables(table, out_dir, *, title: str = "Summary", caption: str = "") -> list[Path]:
    """Write ``summary.csv`` (all columns, full precision) and ``summary.md`` (formatted)."""
    out_dir = Path(out_dir)
    csv = atomic_write_text(out_dir / "summary.csv", table.to_csv(index=False))
    text = f"# {title}\n\n" + (f"{caption}\n\n" if caption else "") + summary_markdown(table)
    text += ("\n" + TABLE_NOTE + " Full precision and more columns in summary.csv.\n")
    md = atomic_write_text(out_dir / "summary.md", text)
    return [csv, md]


# ----------------------------------------------------------------------------- index

def _figure_entries(figures: dict, out_dir: Path):
    """(name, caption, shown file, [other files]) with paths relative to out_dir."""
    entries = []
    for name, paths in figures.items():
        rel = [os.path.relpath(p, out_dir) for p in paths]
        if not rel:
            continue
        shown = next((p for p in rel if p.endswith((".png", ".svg"))), None)
        entries.append((name, FIGURE_CAPTIONS.get(name, name.replace("_", " ")), shown,
                        [p for p in rel if p != shown]))
    return entries


def remove_index(out_dir) -> None:
    """Delete ``index.md``/``index.html`` before a run rewrites a folder: a stale index would vouch
    for results that are being replaced (the index is written last, once everything else is)."""
    for name in INDEX_FILES:
        (Path(out_dir) / name).unlink(missing_ok=True)


def dataframe_rows(df) -> list[list[str]]:
    """A DataFrame as rows of strings for :func:`write_index`, the header first (floats to 4 digits)."""
    def cell(v) -> str:
        if isinstance(v, float | np.floating):
            return "" if not np.isfinite(v) else f"{v:.4g}"
        return "" if v is None else str(v)

    return [[str(c) for c in df.columns]] + [[cell(v) for v in row] for row in df.itertuples(index=False)]


def write_index(out_dir, *, title: str, description: str, caption: str, table=None, figures: dict,
                data_files: Sequence = (), parameters: Sequence[tuple[str, str]] = (),
                tables: Sequence[tuple[str, list]] | None = None, note: str = TABLE_NOTE,
                limits: str = LIMITS) -> list[Path]:
    """Write ``index.md`` and ``index.html`` showing the summary and every figure.

    Parameters
    ----------
    out_dir : path
        The results folder; links are relative to it.
    title, description, caption : str
        Heading, free text and the one-line parameter caption.
    table : pandas.DataFrame, optional
        From :func:`summary_table`: shown as the headline and latitude-band tables.
    figures : dict of str to list of path
        Figure files per figure name.
    data_files : sequence of path
        NetCDF and table files to link.
    parameters : sequence of (str, str)
        Parameter name and value, listed under the caption.
    tables : sequence of (str, rows), optional
        Other tables instead of ``table``: a lead-in line and rows of strings (header first), e.g.
        from :func:`dataframe_rows`.
    note, limits : str
        Text under the tables; the model-limits section.
    """
    out_dir = Path(out_dir)
    entries = _figure_entries(figures, out_dir)
    files = [os.path.relpath(p, out_dir) for p in data_files]
    if tables is None:
        main, bands = _table_rows(table)
        tables = [("", main), ("By band of absolute latitude (area-weighted):", bands)]

    md = [f"# {title}", ""]
    if description:
        md += [description, ""]
    md += [f"*{caption}*", ""]
    md += [f"- **{k}**: {v}" for k, v in parameters]
    md += ["", "## Summary", ""]
    for lead, rows in tables:
        md += ([lead, ""] if lead else []) + [_md(rows), ""]
    md += [note, ""] if note else []
    if entries:
        md += ["## Figures", ""]
        for name, cap, shown, others in entries:
            md += [f"### {name.replace('_', ' ').capitalize()}", "", cap, ""]
            if shown:
                md += [f"![{cap}]({shown})", ""]
            if others:
                md += ["Also: " + ", ".join(f"[{Path(o).suffix[1:]}]({o})" for o in others), ""]
    if files:
        md += ["## Files", ""] + [f"- [{f}]({f})" for f in files] + [""]
    md += ["## Model limits", "", limits, ""]

    e = html.escape

    def html_table(rows):
        head = "".join(f"<th>{e(c)}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         f"<title>{e(title)}</title>",
         "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
         "line-height:1.4}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
         "padding:.3em .6em;text-align:right}td:first-child,th:first-child{text-align:left}"
         "img{max-width:100%;border:1px solid #eee}figure{margin:2em 0}"
         ".caption{color:#444;font-style:italic}</style></head><body>",
         f"<h1>{e(title)}</h1>"]
    if description:
        h.append(f"<p>{e(description)}</p>")
    h.append(f'<p class="caption">{e(caption)}</p>')
    if parameters:
        h.append("<ul>" + "".join(f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in parameters) + "</ul>")
    h.append("<h2>Summary</h2>")
    for lead, rows in tables:
        h += ([f"<p>{e(lead)}</p>"] if lead else []) + [html_table(rows)]
    h += [f"<p>{e(note)}</p>"] if note else []
    if entries:
        h.append("<h2>Figures</h2>")
        for name, cap, shown, others in entries:
            h.append(f'<figure id="{e(name)}"><h3>{e(name.replace("_", " ").capitalize())}</h3>')
            if shown:
                h.append(f'<img src="{e(shown)}" alt="{e(cap)}">')
            links = " ".join(f'<a href="{e(o)}">{e(Path(o).suffix[1:])}</a>' for o in others)
            h.append(f"<figcaption>{e(cap)} {links}</figcaption></figure>")
    if files:
        h.append("<h2>Files</h2><ul>" + "".join(f'<li><a href="{e(f)}">{e(f)}</a></li>' for f in files)
                 + "</ul>")
    h += ["<h2>Model limits</h2>", f"<p>{e(limits)}</p>", "</body></html>"]
    return [atomic_write_text(out_dir / "index.md", "\n".join(md)),
            atomic_write_text(out_dir / "index.html", "\n".join(h) + "\n")]


# ----------------------------------------------------------------------------- figures

def figure_city_subset(cds):
    """The points of a city result shown in the city figure (``attrs["figure_cities"]``)."""
    if cds is None or "visible_count" not in cds:
        return None
    names = json.loads(cds.attrs.get("figure_cities", "[]"))
    if not names or "name" not in cds.coords:
        return None
    point_names = [str(n) for n in cds["name"].values]
    index = [point_names.index(n) for n in names if n in point_names]
    return cds.isel(cell=index) if index else None


def _draw(results, city_results, out_dir: Path, names, caption, formats, progress, report):
    from .figures import draw_figures

    if not names:
        return {}
    cities = [figure_city_subset(c) for c in city_results]
    cities = [c for c in cities if c is not None]
    names = [n for n in names if n != "city_visibility" or cities]
    staging = Path(tempfile.mkdtemp(prefix=".figures-", dir=out_dir))
    drawn: dict[str, list[Path]] = {}
    try:
        bar = _bar(len(names), progress, "figures")
        for name in names:
            got = draw_figures(list(results), staging, [name], city_results=cities or None,
                                      caption=caption, formats=tuple(formats))
            for key, paths in got.items():
                drawn.setdefault(key, []).extend(Path(p) for p in paths)
            bar.update(1)
        bar.close()
        final: dict[str, list[Path]] = {}
        for key, paths in drawn.items():
            for p in paths:
                target = out_dir / p.resolve().relative_to(staging.resolve())
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(p, target)
                final.setdefault(key, []).append(target)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _bar(total, enabled, label):
    if enabled:
        from tqdm import tqdm

        return tqdm(total=total, desc=label, unit="figure", leave=False)

    class _No:
        def update(self, n=1):
            pass

        def close(self):
            pass

    return _No()


# ----------------------------------------------------------------------------- whole run

def split_results(datasets):
    """Split loaded results into (grid results, aligned city results).

    City results are recognised by ``attrs["role"] == "cities"`` (point grids without areas when
    the attribute is missing) and paired with the grid result of the same ``slug`` and scenario
    (else the same constellation name). Grid results are ordered by scenario (first seen) and by
    their position in it (``attrs["order"]``).
    """
    grids, cities = [], []
    for ds in datasets:
        role = ds.attrs.get("role")
        if role is None:
            is_points = "name" in ds.coords and bool(np.all(np.isnan(ds["area_km2"].values)))
            role = "cities" if is_points and "visible_count" in ds else "grid"
        (cities if role == "cities" else grids).append(ds)
    scen_order = {}
    for ds in grids:
        scen_order.setdefault(ds.attrs.get("scenario_name", ""), len(scen_order))
    grids = [g for _, g in sorted(enumerate(grids), key=lambda t: (
        scen_order[t[1].attrs.get("scenario_name", "")], int(t[1].attrs.get("order", t[0])), t[0]))]

    def key(ds, field):
        return ds.attrs.get("scenario_name", ""), str(ds.attrs.get(field, ""))

    paired = []
    for g in grids:
        match = next((c for c in cities if key(c, "slug") == key(g, "slug") and g.attrs.get("slug")),
                     None)
        if match is None:
            match = next((c for c in cities if key(c, "constellation") == key(g, "constellation")),
                         None)
        paired.append(match)
    return grids, paired


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


def write_run(out_dir, results, city_results=None, *, title: str, description: str = "",
              caption: str = "", figure_names=(), formats=("png",), save_results: bool = True,
              data_files: Sequence = (), progress: bool = False,
              report: Callable[[str], None] | None = None) -> dict:
    """Write a results folder: NetCDF files, tables, figures, then the index.

    Parameters
    ----------
    out_dir : path
    results : list of xarray.Dataset
        Grid results; ``attrs["slug"]`` names the files (``<slug>.nc``).
    city_results : list of (Dataset or None), optional
        Aligned with ``results`` (``cities_<slug>.nc``).
    title, description, caption : str
        For the tables and the index page.
    figure_names : sequence of str
        Figures to draw (skipped if :mod:`constellations.figures` is missing).
    formats : sequence of str
        Figure formats.
    save_results : bool
        Write the NetCDF files (``False`` when comparing saved results).
    data_files : sequence of path
        Further files to link from the index (the inputs of a comparison).
    progress : bool
        Show a progress bar over the figures.
    report : callable, optional
        Receives one-line messages.

    Returns
    -------
    dict
        ``{"netcdf": [...], "tables": [...], "figures": {name: [...]}, "index": [...]}``.
    """
    from .result import save

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = list(results)
    city_results = list(city_results) if city_results is not None else [None] * len(results)
    remove_index(out_dir)
    written: dict = {"netcdf": [], "tables": [], "figures": {}, "index": []}
    if save_results:
        for i, (ds, cds) in enumerate(zip(results, city_results, strict=True)):
            slug = ds.attrs.get("slug") or f"result_{i}"
            written["netcdf"].append(save(ds, out_dir / f"{slug}.nc"))
            if cds is not None:
                written["netcdf"].append(save(cds, out_dir / f"cities_{slug}.nc"))
    table = summary_table(results, city_results)
    written["tables"] = write_tables(table, out_dir, title=title, caption=caption)
    written["figures"] = _draw(results, city_results, out_dir, list(figure_names), caption,
                               formats, progress, report)
    links = list(data_files) + written["netcdf"] + written["tables"]
    written["index"] = write_index(out_dir, title=title, description=description, caption=caption,
                                   table=table, figures=written["figures"], data_files=links,
                                   parameters=parameters_from(results))
    written["table"] = table
    return written

