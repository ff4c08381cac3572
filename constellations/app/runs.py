"""Runs: every scenario file into one results folder, coverage runs here, the other kinds to their runners.

:func:`run_scenarios` checks every file named on the command line before any work (each coverage
scenario in full, the kind of every other file), then runs them one by one, each into its own folder:
coverage scenarios through :func:`analyze_scenario` and :func:`write_run`, a ``kind =
"deployment_race"`` file through :func:`constellations.race.run.run_scenario` and a ``kind =
"golden_dome_sizing"`` file through :func:`constellations.goldendome.run.run_scenario`
(:func:`runner`). :func:`compare_results` rebuilds the tables, figures and index of saved results.

A results folder is recognisable when interrupted: each file appears complete or not at all (temporary
name + rename), a stale index is deleted first, and the index, written last, exists only when
everything else does.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..engine import analyze
from ..goldendome import run as goldendome_run
from ..pages import remove_index
from ..plotting import draw_figures
from ..race import run as race_run
from ..result import load, save
from .report import summary_markdown, summary_table, write_coverage_index, write_tables
from .scenario import DEFAULT_SCENARIO, FIGURE_NAMES, Scenario, load_scenario, read_scenario, scenario_kind

__all__ = [
    "RESULTS_DIR",
    "analyze_scenario",
    "build_sources",
    "compare_results",
    "output_folder",
    "run_scenarios",
    "runner",
    "split_results",
    "write_run",
]

RESULTS_DIR = Path("results")  # default parent of the output folders, relative to the working folder

Report = Callable[[str], None] | None


def runner(kind: str) -> Callable:
    """The ``run_scenario(path, out_dir, *, formats, progress)`` of a scenario kind other than coverage.

    Looked up when called, so the function run is the one the analysis module holds at that time.

    Raises
    ------
    ValueError
        For ``"coverage"`` (run with :func:`analyze_scenario`) or an unknown kind.
    """
    if kind == "deployment_race":
        return race_run.run_scenario
    if kind == "golden_dome_sizing":
        return goldendome_run.run_scenario
    raise ValueError(f"kind = {kind!r}: no runner of its own; 'deployment_race' and 'golden_dome_sizing' "
                     "have one, coverage scenarios run with analyze_scenario()")


# ----------------------------------------------------------------------------- coverage analysis

def build_sources(scenario: Scenario) -> list:
    """The satellite source of every constellation of a scenario (presets, inline, TLE catalogs).

    Building reads the TLE files and applies their filters, so an empty selection fails here, before
    any analysis.

    Raises
    ------
    ValueError
        ``FILE: constellations[i]: ...`` (e.g. no satellite passes a TLE entry's filters).
    """
    try:
        return [spec.build(scenario.start) for spec in scenario.constellations]
    except ValueError as exc:
        raise ValueError(f"{scenario.path or 'scenario'}: {exc}") from None


def analyze_scenario(scenario: Scenario, *, sources: Sequence | None = None, threads: int | None = None,
                     progress: bool | None = None, report: Report = None):
    """Run the coverage engine on every constellation of a scenario, on its grid and on its cities.

    Parameters
    ----------
    scenario : Scenario
    sources : sequence, optional
        The satellite sources of its constellations, already built (:func:`build_sources`).
    threads : int, optional
        Counting threads per analysis (see :func:`constellations.analyze`).
    progress : bool, optional
        Progress bars of :func:`constellations.analyze`.
    report : callable, optional
        Called with one line of text per finished analysis (progress lines).

    Returns
    -------
    results : list of xarray.Dataset
        One per constellation, on the grid (dimension ``cell``, n_cell); ``attrs["slug"]`` holds
        the file stem.
    city_results : list of xarray.Dataset or None
        One per constellation on the city points (``None`` entries if no cities); coordinate
        ``population_sample`` (bool, per point) and ``attrs["figure_cities"]`` (JSON list of
        the names shown in the city figure).
    """
    if sources is None:
        sources = build_sources(scenario)
    grid = scenario.build_grid()
    cities = scenario.build_city_grid()
    kwargs = dict(duration_s=scenario.duration_s, step_s=scenario.step_s, boundary=scenario.boundary,
                  nfold=scenario.nfold, percentiles=scenario.percentiles, threads=threads,
                  progress=progress, scenario=scenario.to_dict())
    results, city_results = [], []
    n = len(scenario.constellations)
    for i, (spec, source) in enumerate(zip(scenario.constellations, sources, strict=True)):
        start = spec.analysis_start(source, scenario.start)
        t0 = time.perf_counter()
        ds = analyze(source, grid, start=start, **kwargs)
        ds.attrs.update(slug=spec.slug, role="grid", scenario_name=scenario.name, order=i)
        results.append(ds)
        cds = None
        if cities is not None:
            city_grid, in_sample, figure_index = cities
            cds = analyze(source, city_grid, start=start, keep_counts=True, **kwargs)
            cds = cds.assign_coords(population_sample=(
                "cell", in_sample, {"units": "1", "long_name": "in the population-weighted city sample"}))
            names = [str(city_grid.names[k]) for k in figure_index]
            cds.attrs.update(slug=spec.slug, role="cities", scenario_name=scenario.name, order=i,
                             figure_cities=json.dumps(names),
                             city_min_population=float(scenario.city_min_population),
                             population_weighted=int(scenario.population_weighted))
        city_results.append(cds)
        if report is not None:
            report(f"[{i + 1}/{n}] {ds.attrs['constellation']} ({len(source):,} satellites): "
                   f"{time.perf_counter() - t0:.1f} s")
    return results, city_results


# ----------------------------------------------------------------------------- figures

def figure_city_subset(cds):
    """The points of a city result shown in the city figure (``attrs["figure_cities"]``), or None."""
    if cds is None or "visible_count" not in cds:
        return None
    names = json.loads(cds.attrs.get("figure_cities", "[]"))
    if not names or "name" not in cds.coords:
        return None
    point_names = [str(n) for n in cds["name"].values]
    index = [point_names.index(n) for n in names if n in point_names]
    return cds.isel(cell=index) if index else None


def _draw(results, city_results, out_dir: Path, names, caption, formats, progress) -> dict:
    """Draw the figures into a hidden staging folder, then move each file into place."""
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


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _bar(total, enabled, label):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm  # loads only when a bar is shown

    return tqdm(total=total, desc=label, unit="figure", leave=False)


# ----------------------------------------------------------------------------- one folder

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


def write_run(out_dir, results, city_results=None, *, title: str, description: str = "",
              caption: str = "", figure_names=(), formats=("png",), save_results: bool = True,
              data_files: Sequence = (), progress: bool = False) -> dict:
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
        Figures to draw (names of :data:`constellations.plotting.FIGURES`).
    formats : sequence of str
        Figure formats.
    save_results : bool
        Write the NetCDF files (``False`` when comparing saved results).
    data_files : sequence of path
        Further files to link from the index (the inputs of a comparison).
    progress : bool
        Show a progress bar over the figures.

    Returns
    -------
    dict
        ``{"netcdf": [...], "tables": [...], "figures": {name: [...]}, "index": [...], "table": DataFrame}``.
    """
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
    written["figures"] = _draw(results, city_results, out_dir, list(figure_names), caption, formats,
                               progress)
    links = list(data_files) + written["netcdf"] + written["tables"]
    written["index"] = write_coverage_index(out_dir, results, table, title=title, description=description,
                                            caption=caption, figures=written["figures"], data_files=links)
    written["table"] = table
    return written


# ----------------------------------------------------------------------------- many scenarios

def output_folder(out: Path | None, slug: str, several: bool) -> Path:
    """Where a run writes: ``out`` itself for one scenario, ``out/<slug>`` for several, else
    ``results/<slug>``."""
    if out is None:
        return RESULTS_DIR / slug
    return Path(out) / slug if several else Path(out)


def run_scenarios(names: Sequence = (), out: Path | None = None, *, threads: int | None = None,
                  figure_names: Sequence[str] | None = None, formats: Sequence[str] | None = None,
                  progress: bool = False, report: Report = None, done: Report = None) -> list[Path]:
    """Check every scenario file and build its satellite sources, then run each into its own folder.

    Parameters
    ----------
    names : sequence of str or path
        Shipped scenario names or ``.toml`` files (default: :data:`DEFAULT_SCENARIO`).
    out : path, optional
        Output folder (see :func:`output_folder`).
    threads : int, optional
        Counting threads per analysis.
    figure_names, formats : sequence of str, optional
        Override the scenarios' ``[figures] names`` and ``[output] formats``.
    progress : bool
        Progress bars (on a terminal).
    report : callable, optional
        Progress lines (stderr).
    done : callable, optional
        One summary paragraph per finished scenario (stdout).

    Returns
    -------
    list of pathlib.Path
        The folders written, in order.

    Raises
    ------
    ValueError, FileNotFoundError
        Before any work, for the first mistake in any of the files.
    """
    names = list(names) or [DEFAULT_SCENARIO]
    kinds = {str(n): scenario_kind(n) for n in names}  # every file read and its kind checked first
    coverage = {str(n): load_scenario(n) for n in names if kinds[str(n)] == "coverage"}
    sources = {n: build_sources(s) for n, s in coverage.items()}  # TLE filters too, before any run
    special = {str(n): read_scenario(n)[0] for n in names if kinds[str(n)] != "coverage"}
    slugs = {n: coverage[n].slug if n in coverage else special[n].stem for n in map(str, names)}
    taken = list(slugs.values())
    if len(set(taken)) != len(taken):
        dup = sorted({s for s in taken if taken.count(s) > 1})
        raise ValueError(f"several scenarios are named {dup}; their outputs would share a folder. "
                         "Give each scenario file a distinct name = \"...\" (or file name)")
    several = len(names) > 1
    folders = []
    for name in map(str, names):
        folder = output_folder(out, slugs[name], several)
        t0 = time.perf_counter()
        if name in coverage:
            _run_coverage(coverage[name], sources[name], folder, threads=threads, figure_names=figure_names,
                          formats=formats, progress=progress, report=report, done=done, t0=t0)
        else:
            if report:
                report(f"Scenario {slugs[name]} ({kinds[name]})")
            runner(kinds[name])(special[name], folder, formats=formats,
                                progress=None if progress else False)
            if done:
                done(f"{slugs[name]}: wrote {folder}/ (index.md, index.html) in "
                     f"{time.perf_counter() - t0:.1f} s\n")
        folders.append(folder)
    return folders


def _run_coverage(scenario: Scenario, sources: list, folder: Path, *, threads, figure_names, formats,
                  progress, report, done, t0) -> None:
    if report:
        report(f"Scenario {scenario.name}: {len(scenario.constellations)} constellation(s), "
               f"{scenario.grid.describe()}, {scenario.n_steps} steps of {scenario.step_s:g} s")
    # analyze() draws its own bar on a terminal when the work is long enough (None)
    results, city_results = analyze_scenario(scenario, sources=sources, threads=threads,
                                             progress=None if progress else False, report=report)
    written = write_run(folder, results, city_results, title=f"Scenario {scenario.name}",
                        description=scenario.description, caption=scenario.caption(),
                        figure_names=scenario.figure_names if figure_names is None else figure_names,
                        formats=formats or scenario.formats, progress=progress)
    if done:
        n_fig = sum(len(v) for v in written["figures"].values())
        done(f"{scenario.name}: wrote {folder}/ ({len(written['netcdf'])} NetCDF, {n_fig} figure files, "
             f"summary.csv, summary.md, index.md, index.html) in {time.perf_counter() - t0:.1f} s\n"
             + summary_markdown(written["table"]).split("\n\n")[0] + "\n")


def compare_results(inputs: Sequence, out: Path | None = None, *, figure_names: Sequence[str] | None = None,
                    formats: Sequence[str] | None = None, progress: bool = False) -> dict:
    """Tables, figures and an index from saved coverage results (no recomputing).

    Parameters
    ----------
    inputs : sequence of path
        NetCDF files written by a run, or folders (all their ``.nc`` files).
    out : path, optional
        Output folder (default ``results/compare``).
    figure_names, formats : sequence of str, optional
        Figures to draw (default: all) and their formats (default png).
    progress : bool

    Returns
    -------
    dict
        As :func:`write_run`, plus ``"out"`` (the folder).

    Raises
    ------
    FileNotFoundError, ValueError
        An empty folder, a missing file, a file that is not a coverage result, only city results.
    """
    paths = []
    for p in map(Path, inputs):
        if p.is_dir():
            found = sorted(p.glob("*.nc"))
            if not found:
                raise FileNotFoundError(f"folder {str(p)!r} holds no .nc result files; give files "
                                        "written by 'constellations run'")
            paths.extend(found)
        else:
            paths.append(p)
    datasets = []
    for p in paths:
        ds = load(p)
        if "coverage_time_fraction" not in ds or "constellation" not in ds.attrs:
            raise ValueError(f"{p} is not a coverage result (no coverage_time_fraction / "
                             "constellation attribute); give files written by 'constellations run'")
        datasets.append(ds)
    results, city_results = split_results(datasets)
    if not results:
        raise ValueError("only city results given; add the grid results (<slug>.nc) too")
    out = Path(out) if out is not None else RESULTS_DIR / "compare"
    scen = sorted({str(ds.attrs.get("scenario_name", "")) for ds in results} - {""})
    a = results[0].attrs
    caption = (f"{'Scenario ' + ', '.join(scen) + ' (from saved results)' if scen else 'Saved results'}: "
               f"{a['start_utc']} + {float(a['duration_s']) / 3600:g} h at {float(a['step_s']):g} s "
               f"steps; grid {a['grid']}; {a['boundary']} edge gaps")
    keys = ("start_utc", "duration_s", "step_s", "grid", "boundary")
    differ = [k for k in keys if len({str(ds.attrs[k]) for ds in results}) > 1]
    if differ:
        caption += f". Note: the results differ in {', '.join(differ)}; compare with care"
    written = write_run(out, results, city_results, title="Comparison of saved results", caption=caption,
                        figure_names=FIGURE_NAMES if figure_names is None else figure_names,
                        formats=formats or ("png",), save_results=False,
                        data_files=[p.resolve() for p in paths], progress=progress)
    written["out"] = out
    return written
