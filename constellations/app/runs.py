"""Runs: every scenario file into one results folder, coverage runs here, the other kinds to their runners.

:func:`run_scenarios` checks every file named on the command line before any work (each coverage
scenario in full, the kind of every other file), then runs them one by one, each into its own folder:
coverage scenarios through :func:`analyze_scenario` and :func:`write_run`, a ``kind =
"deployment_race"`` file through :func:`constellations.race.run.run_scenario` and a ``kind =
"golden_dome_sizing"`` file through :func:`constellations.goldendome.run.run_scenario`
(:func:`runner`). :func:`compare_results` rebuilds the tables, figures and index of saved results.

A results folder is written all at once (:func:`constellations.atomic.staged_folder`): the run writes
into a staging folder next to it, which replaces the folder in one atomic exchange only when everything
is written, so a folder always holds one complete run (the previous one until the new one is done).
Every output folder of the command is locked and checked before any computing (:func:`run_scenarios`),
and so are the size limits and the memory a run needs (:func:`check_limits`, :func:`check_memory`).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .. import kernels
from ..atomic import FolderError, check_folder, folder_lock, relocate, staged_folder
from ..engine import CELLS_PER_CHUNK, SAT_STEPS_PER_CHUNK, analyze
from ..geometry import EARTH_RADIUS_KM, central_angle_rad, footprint_area_fraction
from ..goldendome import run as goldendome_run
from ..pages import remove_index
from ..plotting import draw_figures
from ..race import run as race_run
from ..result import load, save
from ..sources import naturalearth
from ..validation import MAX_CELLS, MAX_SATELLITE_STEPS, MAX_STEPS, Checker
from .report import summary_markdown, summary_table, write_coverage_index, write_tables
from .scenario import DEFAULT_SCENARIO, FIGURE_NAMES, Scenario, load_scenario, read_scenario, scenario_kind

__all__ = [
    "RESULTS_DIR",
    "analyze_scenario",
    "available_memory_bytes",
    "build_sources",
    "check_limits",
    "check_memory",
    "compare_results",
    "estimate_cells",
    "estimate_memory_bytes",
    "estimate_output_bytes",
    "output_folder",
    "run_scenarios",
    "runner",
    "split_results",
    "write_run",
]

RESULTS_DIR = Path("results")  # default parent of the output folders, relative to the working folder
MAP_FIGURE_NAMES = frozenset({"coverage_map", "revisit_mean_map", "revisit_max_map", "visible_map",
                              "nfold_map", "dashboard"})

# Memory of a coverage run: peak resident set size above the imported package, measured on this
# project's 2-CPU, 24 GiB development machine (Python 3.11, numpy 2, exact windows, 2 counting threads)
# with whole runs (run_scenarios, figures off, getrusage(RUSAGE_SELF).ru_maxrss minus VmRSS after the
# imports) of Walker shells at 550 km / 25 deg, 60 s steps: 16 runs, global grids of 2,578 to 2,640,174
# cells, 24 to 8,000 satellites, 1 to 24 h. A non-negative least-squares fit of the five terms below
# is within -18 % / +15 % of every run above 300 MiB (small runs: up to 2.6x over, the base);
# MEMORY_MARGIN covers the -18 % (a 17th run, 3 deg, 4,000 satellites, 6 h, took 3.7 GiB: estimated
# 4.9 GiB). Per cell 650 bytes (QA measured 600-650); the pair term is the exact
# windows' (cell, satellite) candidates and pieces of the chunks in flight (3: one per counting thread
# and the one being accumulated; a 12 h window needs no more than 6 h). It was 108 bytes (4,000 satellites
# in view 21.7 at a time, 1 deg grid, 6 h: 5.5 GiB) until the NumPy candidate search was cut into bounded
# blocks; re-measured then (NumPy backend): that run 0.91 GiB (numba 0.74), the default kuiper_vs_starlink
# run 0.77 GiB, golden_dome 0.89 GiB, hence 4 bytes (estimates 1.3, 1.0 and 1.4 GiB).
MEMORY_BASE_BYTES = 300 * 2**20  # kernels, tables and the first chunks of a small run
# the compiled backend (numba): LLVM loaded, and the JIT compilation of the kernels on the first run after
# an install (cached on disk afterwards); measured peak above the imported package on a fresh clone: 1.3 GB
# for a run whose other terms add up to 0.37 GB, 0.5 GB once the cache is warm
MEMORY_COMPILED_BYTES = 1024 * 2**20
MEMORY_BYTES_PER_CELL = 650.0  # accumulators, the result and the grid arrays of one cell
MEMORY_BYTES_PER_CELL_HOUR = 231.0  # access windows and gaps kept, per cell and hour of window
MEMORY_BYTES_PER_PAIR = 4.0  # per (step, cell, satellite in view) of the chunks in flight (see above)
MEMORY_BYTES_PER_CELL_STEP = 29.0  # per (step, cell) count of the chunks in flight
MEMORY_BYTES_PER_RESULT_CELL = 230.0  # each further constellation's result held until written (nbytes)
MEMORY_BYTES_PER_KEPT_COUNT = 4.0  # a city result keeps its (step, point) counts (int32)
MEMORY_FIGURE_BYTES_PER_CELL = 2600.0  # drawing map figures (one run: 0.5 deg grid, map + dashboard)
MEMORY_CHUNKS_IN_FLIGHT = 3  # chunks whose candidates are alive at once
MEMORY_MARGIN = 1.25  # the estimate is the fit times this
MEMORY_SHARE = 0.8  # a run may take at most this share of the memory available (MemAvailable)

# Size of the outputs, for the disk-space preflight (upper bounds from the runs above).
DISK_BYTES_PER_RESULT = 256 * 2**10  # attributes and coordinates of one NetCDF file
DISK_BYTES_PER_CELL = 300.0  # per cell of one NetCDF result (about 30 float64 variables)
DISK_BYTES_PER_COUNT = 4.0  # per kept (step, city) count of a city result
DISK_BYTES_PER_FIGURE = 4 * 2**20  # one figure file (the dashboard PNG of a 1 deg grid is ~2 MiB)

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


# ----------------------------------------------------------------------------- limits

def _duration_key(scenario: Scenario) -> str:
    return "duration_h" if "duration_h" in scenario.raw else "duration_s"


def _spacing_key(scenario: Scenario) -> str:
    grid = scenario.raw.get("grid", {})
    return "grid.spacing_km" if isinstance(grid, dict) and "spacing_km" in grid else "grid.spacing_deg"


def _raw(scenario: Scenario, key: str):
    value = scenario.raw
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def estimate_cells(scenario: Scenario) -> int:
    """The number of cells of a scenario's grid, from its spacing and region, without building it.

    A global equal-area grid of spacing ``d`` (radians) has ``4 pi / d**2`` cells; a region has its
    share of the sphere (a country: its bounding box, an upper bound); a city list has one point per
    city.

    Examples
    --------
    >>> from constellations.app.scenario import load_scenario
    >>> estimate_cells(load_scenario("tiny"))  # 15 deg: 183 cells
    184
    """
    g = scenario.grid
    if g.region == "cities":
        return len(g.value)
    share = 1.0
    if g.region in ("lat_band", "box", "country"):
        if g.region == "lat_band":
            lat_min, lat_max, lon_min, lon_max = (*g.value, -180.0, 180.0)
        elif g.region == "box":
            lat_min, lat_max, lon_min, lon_max = g.value
        else:
            lat_min, lat_max, lon_min, lon_max = naturalearth.country_bounds(g.value)
        span = (lon_max - lon_min) % 360.0 or 360.0
        share = 0.5 * (np.sin(np.radians(lat_max)) - np.sin(np.radians(lat_min))) * span / 360.0
    return int(np.ceil(4.0 * np.pi * share / np.radians(g.spacing_deg) ** 2))


def _city_points(scenario: Scenario) -> int:
    """An upper bound of the city points analysed beside the grid."""
    n = len(scenario.figure_cities)
    if scenario.population_weighted:
        n += len(naturalearth.cities(min_population=scenario.city_min_population)["name"])
    return n


def check_limits(scenario: Scenario, sources: Sequence | None = None) -> None:
    """Refuse, before any computing, a scenario that asks for too many steps, cells or satellite-steps.

    Limits (:mod:`constellations.validation`): :data:`~constellations.validation.MAX_STEPS` time
    steps, :data:`~constellations.validation.MAX_CELLS` grid cells (estimated by
    :func:`estimate_cells`) and, once the satellite sources are built,
    :data:`~constellations.validation.MAX_SATELLITE_STEPS` satellites x steps per constellation.

    Raises
    ------
    ValueError
        ``FILE: key = VALUE: asks for N ..., more than the limit of M; fix``, naming the key
        (``duration_h``/``duration_s``, ``grid.spacing_deg``/``grid.spacing_km``,
        ``constellations[i]``).

    Examples
    --------
    >>> from constellations.app.scenario import Scenario
    >>> s = Scenario.from_dict({"name": "long", "start": "2025-07-01T00:00:00Z", "duration_h": 1e6,
    ...     "step_s": 60, "grid": {"spacing_deg": 10}, "constellations": [{"preset": "kuiper_2025"}]})
    >>> try:
    ...     check_limits(s)
    ... except ValueError as e:
    ...     print(str(e)[:72])
    scenario: duration_h = 1000000.0: asks for 60,000,000 time steps of 60 s
    """
    c = Checker(scenario.path or "scenario")
    which = _duration_key(scenario)
    n_steps = scenario.n_steps
    c.at_most(_raw(scenario, which), which, n_steps, MAX_STEPS, f"time steps of {scenario.step_s:g} s",
              f"shorten {which} or lengthen step_s (a year at 30 s steps is 1,051,200 steps)")
    if scenario.grid.region != "cities":
        key = _spacing_key(scenario)
        c.at_most(_raw(scenario, key), key, estimate_cells(scenario), MAX_CELLS, "grid cells",
                  "use a coarser spacing or a smaller region (lat_band, box, country)")
    for spec, source in zip(scenario.constellations, sources or (), strict=False):
        n_sat = len(source)
        c.at_most(spec.label or spec.preset or spec.describe(), spec.key, n_sat * n_steps,
                  MAX_SATELLITE_STEPS, f"satellite-steps ({n_sat:,} satellites x {n_steps:,} steps)",
                  f"shorten {which}, lengthen step_s or select fewer satellites")


def available_memory_bytes() -> int:
    """Memory available to a new run now: ``MemAvailable`` of ``/proc/meminfo`` (Linux), else the
    physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def _in_view_mean(source, start) -> float:
    """Mean number of a source's satellites in view of a point: the sum of their footprint area shares."""
    prop = source.propagator(start)
    _, _, radius_km = prop.subsatellite(np.zeros(1))
    altitude_km = np.reshape(np.asarray(radius_km, dtype=float), -1)[-prop.n_sat:] - EARTH_RADIUS_KM
    nadir = np.asarray(source.max_nadir_deg_per_sat(), dtype=float)
    nadir = None if np.all(np.isinf(nadir)) else np.where(np.isinf(nadir), 90.0, nadir)
    with np.errstate(invalid="ignore"):
        lam = central_angle_rad(altitude_km, source.min_elevation_deg_per_sat(), nadir)
    return float(np.nansum(footprint_area_fraction(lam)))


def estimate_memory_bytes(scenario: Scenario, sources: Sequence) -> float:
    """Peak memory of a coverage run above the imported package, bytes, from the measured constants.

    ``MEMORY_MARGIN * (MEMORY_BASE_BYTES + max over constellations and over (grid, cities) of
    steps_in_flight * cells * (MEMORY_BYTES_PER_CELL_STEP + MEMORY_BYTES_PER_PAIR * in_view) + (cells +
    points) * (MEMORY_BYTES_PER_CELL + MEMORY_BYTES_PER_CELL_HOUR * hours + MEMORY_BYTES_PER_RESULT_CELL
    * (results - 1)) + kept city counts)``, where ``steps_in_flight`` is :data:`MEMORY_CHUNKS_IN_FLIGHT`
    chunks of the engine's length (at most the window) and ``in_view`` the mean number of the
    constellation's satellites in view (the sum of their footprint area shares); map figures add
    ``MEMORY_FIGURE_BYTES_PER_CELL * cells`` and the compiled backend :data:`MEMORY_COMPILED_BYTES`.
    The grid and the city points are analysed one after the other; every result is held until the run
    is written.
    """
    cells, points = estimate_cells(scenario), _city_points(scenario)
    n, steps_total = len(sources), scenario.n_steps
    work = [0.0]
    for spec, source in zip(scenario.constellations, sources, strict=True):
        in_view = _in_view_mean(source, spec.analysis_start(source, scenario.start))
        for m in (cells, points):
            chunk = int(np.clip(min(CELLS_PER_CHUNK // max(m, 1), SAT_STEPS_PER_CHUNK // max(len(source), 1)),
                                1, 720))
            steps = min(steps_total, MEMORY_CHUNKS_IN_FLIGHT * chunk)
            work.append(steps * m * (MEMORY_BYTES_PER_CELL_STEP + MEMORY_BYTES_PER_PAIR * in_view))
    hours = scenario.duration_s / 3600.0
    held = (MEMORY_BYTES_PER_CELL + MEMORY_BYTES_PER_CELL_HOUR * hours
            + MEMORY_BYTES_PER_RESULT_CELL * max(0, n - 1))
    figures = MEMORY_FIGURE_BYTES_PER_CELL * cells if set(scenario.figure_names) & MAP_FIGURE_NAMES else 0.0
    kept = MEMORY_BYTES_PER_KEPT_COUNT * points * steps_total * n
    compiled = MEMORY_COMPILED_BYTES if kernels.backend() == "numba" else 0.0
    return MEMORY_MARGIN * (MEMORY_BASE_BYTES + compiled + max(work) + (cells + points) * held + figures
                            + kept)


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:,.2f} GiB"


def _memory_text(scenario: Scenario, sources: Sequence) -> str:
    cells = estimate_cells(scenario) + _city_points(scenario)
    return (f"about {_gib(estimate_memory_bytes(scenario, sources))} for {cells:,} cells and points, "
            f"{max((len(s) for s in sources), default=0):,} satellites and {scenario.n_steps:,} steps")


def check_memory(scenario: Scenario, sources: Sequence, available: float | None = None) -> None:
    """Refuse, before any computing, a run whose memory estimate exceeds the memory available.

    Compares :func:`estimate_memory_bytes` with :data:`MEMORY_SHARE` of
    :func:`available_memory_bytes` (or ``available``, bytes).

    Raises
    ------
    ValueError
        Naming the grid's key, the estimate and the memory available.
    """
    available = available_memory_bytes() if available is None else available
    need = estimate_memory_bytes(scenario, sources)
    if need > MEMORY_SHARE * available:
        key = _spacing_key(scenario) if scenario.grid.region != "cities" else "grid.cities"
        raise Checker(scenario.path or "scenario").error(
            key, _raw(scenario, key), f"the run needs {_memory_text(scenario, sources)}, more than "
            f"{MEMORY_SHARE:.0%} of the {_gib(available)} of memory available now; use a coarser spacing, "
            "a smaller region, fewer satellites or a shorter window (or free memory)")


def estimate_output_bytes(scenario: Scenario | None, sources: Sequence = (), *, figure_names=None,
                          formats=None) -> float:
    """Size of a run's outputs, bytes (an upper bound for the disk-space preflight).

    ``None`` (a run of another kind) gives the size of a small run's files.
    """
    if scenario is None:
        return 20 * DISK_BYTES_PER_FIGURE
    n = max(1, len(scenario.constellations))
    cells = estimate_cells(scenario)
    cities = _city_points(scenario)
    names = scenario.figure_names if figure_names is None else figure_names
    n_files = len(names) * len(formats or scenario.formats)
    return (2 * n * DISK_BYTES_PER_RESULT + n * DISK_BYTES_PER_CELL * (cells + cities)
            + n * DISK_BYTES_PER_COUNT * cities * scenario.n_steps + n_files * DISK_BYTES_PER_FIGURE)


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
    """Draw the figures into ``out_dir`` (each file atomically; the run's folder is staged as a whole)."""
    if not names:
        return {}
    cities = [figure_city_subset(c) for c in city_results]
    cities = [c for c in cities if c is not None]
    names = [n for n in names if n != "city_visibility" or cities]
    drawn: dict[str, list[Path]] = {}
    bar = _bar(len(names), progress, "figures")
    for name in names:
        got = draw_figures(list(results), out_dir, [name], city_results=cities or None,
                           caption=caption, formats=tuple(formats))
        for key, paths in got.items():
            drawn.setdefault(key, []).extend(Path(p) for p in paths)
        bar.update(1)
    bar.close()
    return drawn


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
        Before any work, for the first mistake in any of the files, a size limit or the memory
        estimate (:func:`check_limits`, :func:`check_memory`), or an output folder that cannot be
        written or is being written by another run (:class:`constellations.atomic.FolderError`).
    MemoryError
        The run ran out of memory after all; the message gives the estimate.

    Notes
    -----
    Every output folder is locked for the whole command and checked (writable, disk space) before
    the first analysis; each is written through :func:`constellations.atomic.staged_folder`, so it
    holds either its previous run or the complete new one, never a mix.
    """
    names = list(names) or [DEFAULT_SCENARIO]
    kinds = {str(n): scenario_kind(n) for n in names}  # every file read and its kind checked first
    coverage = {str(n): load_scenario(n) for n in names if kinds[str(n)] == "coverage"}
    for s in coverage.values():
        check_limits(s)  # steps and cells, before reading any TLE file
    sources = {n: build_sources(s) for n, s in coverage.items()}  # TLE filters too, before any run
    for n, s in coverage.items():
        check_limits(s, sources[n])
        check_memory(s, sources[n])
    special = {str(n): read_scenario(n)[0] for n in names if kinds[str(n)] != "coverage"}
    slugs = {n: coverage[n].slug if n in coverage else special[n].stem for n in map(str, names)}
    taken = list(slugs.values())
    if len(set(taken)) != len(taken):
        dup = sorted({s for s in taken if taken.count(s) > 1})
        raise ValueError(f"several scenarios are named {dup}; their outputs would share a folder. "
                         "Give each scenario file a distinct name = \"...\" (or file name)")
    several = len(names) > 1
    folders = {name: output_folder(out, slugs[name], several) for name in map(str, names)}
    with contextlib.ExitStack() as locks:
        for name, folder in folders.items():  # every folder locked and checked before any computing
            locks.enter_context(folder_lock(folder))
            check_folder(folder, estimate_output_bytes(coverage.get(name), sources.get(name, ()),
                                                       figure_names=figure_names, formats=formats))
        for name, folder in folders.items():
            t0 = time.perf_counter()
            if name in coverage:
                _run_coverage(coverage[name], sources[name], folder, threads=threads,
                              figure_names=figure_names, formats=formats, progress=progress, report=report,
                              done=done, t0=t0)
            else:
                if report:
                    report(f"Scenario {slugs[name]} ({kinds[name]})")
                runner(kinds[name])(special[name], folder, formats=formats,
                                    progress=None if progress else False)
                if done:
                    done(f"{slugs[name]}: wrote {folder}/ (index.md, index.html) in "
                         f"{time.perf_counter() - t0:.1f} s\n")
    return list(folders.values())


def _run_coverage(scenario: Scenario, sources: list, folder: Path, *, threads, figure_names, formats,
                  progress, report, done, t0) -> None:
    if report:
        report(f"Scenario {scenario.name}: {len(scenario.constellations)} constellation(s), "
               f"{scenario.grid.describe()}, {scenario.n_steps} steps of {scenario.step_s:g} s")
    names = scenario.figure_names if figure_names is None else figure_names
    needed = estimate_output_bytes(scenario, sources, figure_names=names, formats=formats)
    try:
        with staged_folder(folder, needed_bytes=needed, what=f"coverage scenario {scenario.name}") as stage:
            # analyze() draws its own bar on a terminal when the work is long enough (None)
            results, city_results = analyze_scenario(scenario, sources=sources, threads=threads,
                                                     progress=None if progress else False, report=report)
            written = write_run(stage, results, city_results, title=f"Scenario {scenario.name}",
                                description=scenario.description, caption=scenario.caption(),
                                figure_names=names, formats=formats or scenario.formats, progress=progress)
    except MemoryError:
        raise MemoryError(f"{scenario.path or scenario.name}: out of memory; the estimate was "
                          f"{_memory_text(scenario, sources)} (available now: "
                          f"{_gib(available_memory_bytes())}); use a coarser grid spacing, fewer steps or "
                          "fewer satellites") from None
    if done:
        n_fig = sum(len(v) for v in written["figures"].values())
        excluded = "".join(  # once per catalog: the grid analysis (the cities see the same satellites)
            f"{ds.attrs['constellation']}: {int(ds.attrs['sgp4_excluded_satellites']):,} of "
            f"{int(ds.attrs['satellites']):,} satellites never visible at some steps (SGP4 error or "
            "altitude outside 100 - 50,000 km)\n"
            for ds in results if int(ds.attrs.get("sgp4_excluded_satellites", 0)))
        done(f"{scenario.name}: wrote {folder}/ ({len(written['netcdf'])} NetCDF, {n_fig} figure files, "
             f"summary.csv, summary.md, index.md, index.html) in {time.perf_counter() - t0:.1f} s\n"
             + excluded + summary_markdown(written["table"]).split("\n\n")[0] + "\n")


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
    out = Path(out) if out is not None else RESULTS_DIR / "compare"
    target = Path(os.path.realpath(out))
    paths = []
    for p in map(Path, inputs):
        if target == Path(os.path.realpath(p)) or target in Path(os.path.realpath(p)).parents:
            raise FolderError(f"{out}: holds the input {p}; a comparison replaces its whole output folder, "
                              "write it elsewhere with --out DIR")
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
    scen = sorted({str(ds.attrs.get("scenario_name", "")) for ds in results} - {""})
    a = results[0].attrs
    caption = (f"{'Scenario ' + ', '.join(scen) + ' (from saved results)' if scen else 'Saved results'}: "
               f"{a['start_utc']} + {float(a['duration_s']) / 3600:g} h at {float(a['step_s']):g} s "
               f"steps; grid {a['grid']}; {a['boundary']} edge gaps")
    keys = ("start_utc", "duration_s", "step_s", "grid", "boundary")
    differ = [k for k in keys if len({str(ds.attrs[k]) for ds in results}) > 1]
    if differ:
        caption += f". Note: the results differ in {', '.join(differ)}; compare with care"
    names = FIGURE_NAMES if figure_names is None else figure_names
    needed = len(names) * len(formats or ("png",)) * DISK_BYTES_PER_FIGURE
    with staged_folder(out, needed_bytes=needed, what="comparison") as stage:
        written = write_run(stage, results, city_results, title="Comparison of saved results",
                            caption=caption, figure_names=names, formats=formats or ("png",),
                            save_results=False, data_files=[p.resolve() for p in paths], progress=progress)
    written = relocate(written, stage, out)
    written["out"] = out
    return written
