"""Results: the coverage ``xarray.Dataset``, NetCDF input/output and tidy summary tables.

Every variable carries ``units`` and ``long_name`` attributes; the Dataset's ``attrs`` hold the
constellation, the analysis parameters, the scenario (as JSON) and the package version, so a saved
file says how it was made.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import numpy as np

__all__ = ["build_dataset", "latitude_bands", "load", "save", "summary"]

MODEL_NOTE = (
    "Spherical Earth R = 6378.137 km; visibility = elevation above the minimum (and inside the "
    "sensor cone if given); circular orbits with J2 secular drift (or SGP4 for TLE catalogs); "
    "time sampled at step_s: gap and access ends are resolved to one step."
)


def _var(data, dims, units, long_name, **extra):
    return dims, data, {"units": units, "long_name": long_name, **extra}


EXACT_MODEL_NOTE = (
    "Observers on the {earth} at height 0, visibility = elevation above the minimum (and inside the "
    "sensor cone if given); circular orbits with J2 secular drift (or SGP4 for TLE catalogs). Access "
    "and gap statistics from exact access windows: ends located to resolution_s / 2, gaps shorter "
    "than resolution_s merged, accesses shorter than it dropped. Per-step series, visible counts and "
    "n-fold shares sampled at step_s."
)
EXACT_VARIABLES = ("coverage_time_fraction", "revisit_mean_s", "revisit_max_s", "revisit_min_s",
                   "revisit_percentile_s", "revisit_time_weighted_percentile_s", "gap_count",
                   "access_count", "access_duration_mean_s", "mean_response_time_s",
                   "time_average_gap_s", "first_access_s", "never_covered",
                   "accumulated_coverage_fraction", "coverage_time_s")
SAMPLED_VARIABLES = ("visible_mean", "visible_min", "visible_max", "nfold_time_fraction",
                     "coverage_fraction", "visible_mean_weighted", "visible_count",
                     "coverage_time_fraction_sampled")


def build_dataset(acc, grid, constellation, *, start, step_s, boundary, elevation, percentiles,
                  scenario=None, max_nadir_deg=None, windows=None, earth="sphere",
                  excluded_satellites=0):
    """Assemble the result Dataset from a finished :class:`CoverageAccumulator`.

    Variables on ``cell``: ``coverage_time_fraction``, ``visible_mean``/``_min``/``_max``,
    ``revisit_mean_s``/``_max_s``/``_min_s``, ``gap_count``, ``access_count``,
    ``access_duration_mean_s``, ``mean_response_time_s``, ``time_average_gap_s``,
    ``first_access_s``, ``never_covered``; on (``nfold``, ``cell``): ``nfold_time_fraction``; on
    (``percentile``, ``cell``): ``revisit_percentile_s`` and ``revisit_time_weighted_percentile_s``;
    on ``time``: ``coverage_fraction``, ``accumulated_coverage_fraction``,
    ``visible_mean_weighted``; optionally ``visible_count`` on (``time``, ``cell``).

    With ``windows`` (a finished :class:`~constellations.metrics.WindowAccumulator`), the variables
    of :data:`EXACT_VARIABLES` come from the exact access windows (plus ``coverage_time_s`` and
    ``coverage_time_fraction_sampled``, the sampled share kept for comparison); the others stay
    sampled. Attributes ``exact``, ``resolution_s``, ``earth``, ``exact_variables`` and
    ``sampled_variables`` say which is which. ``never_covered`` marks cells with no access at all:
    their revisit is the whole interval under the optimistic convention and NaN under the interior
    one; show them as "never covered", not as a long gap.

    ``excluded_satellites`` (attribute ``sgp4_excluded_satellites``) is the number of satellites
    never visible at one step or more because their propagated state failed (SGP4 error code, NaN,
    altitude outside 100 - 50,000 km); 0 for circular orbits.
    """
    import xarray as xr

    from ._version import __version__
    from .metrics import gap_statistics

    n_steps, n_cell = acc.n_steps, acc.n_cell
    duration_s = n_steps * step_s
    if windows is None:
        gaps = acc.gaps()
        gap_len_s = gaps["length_steps"] * step_s
        covered_s = acc.covered_steps * step_s
        always = acc.covered_steps
        access_count = acc.access_count
        never = acc.first_covered < 0
        first_access_s = np.where(never, np.nan, acc.first_covered * step_s)
        accumulated = acc.accumulated_coverage_fraction()
    else:
        gaps = windows.gaps()
        gap_len_s = gaps["length_s"]
        covered_s = windows.covered_s
        access_count = windows.access_count
        never = windows.never_covered
        all_gaps = np.bincount(gaps["cell"], minlength=n_cell)
        always = np.where((all_gaps == 0) & ~never, n_steps, 0)  # in view from 0 to T
        first_access_s = windows.first_access_s
        accumulated = windows.accumulated_coverage_fraction(grid.weight, np.arange(n_steps) * step_s)
    keep = np.ones(gaps["cell"].size, dtype=bool) if boundary == "optimistic" else ~gaps["edge"]
    stats = gap_statistics(gaps["cell"][keep], gap_len_s[keep], n_cell,
                           duration_s, always, n_steps, percentiles)
    with np.errstate(invalid="ignore", divide="ignore"):
        access_mean = np.where(access_count > 0, covered_s / access_count, np.nan)
    start64 = np.datetime64(start.replace(tzinfo=None), "ns")
    time_s = np.arange(n_steps) * step_s
    times = start64 + (time_s * 1e9).astype("timedelta64[ns]")
    cell = {
        "coverage_time_fraction": _var(covered_s / duration_s, "cell", "1",
                                       "share of time with at least one satellite in view"),
        "visible_mean": _var(acc.count_sum / n_steps, "cell", "satellites",
                             "time-mean number of satellites in view"),
        "visible_min": _var(acc.count_min, "cell", "satellites", "minimum number in view"),
        "visible_max": _var(acc.count_max, "cell", "satellites", "maximum number in view"),
        "nfold_time_fraction": _var(acc.nfold_steps / n_steps, ("nfold", "cell"), "1",
                                    "share of time with at least nfold satellites in view"),
        "revisit_mean_s": _var(stats["revisit_mean_s"], "cell", "s", "mean gap (revisit) duration"),
        "revisit_max_s": _var(stats["revisit_max_s"], "cell", "s", "longest gap (max revisit)"),
        "revisit_min_s": _var(stats["revisit_min_s"], "cell", "s", "shortest gap"),
        "revisit_percentile_s": _var(stats["revisit_percentile_s"], ("percentile", "cell"), "s",
                                     "gap duration percentile, by count of gaps"),
        "revisit_time_weighted_percentile_s": _var(
            stats["revisit_time_weighted_percentile_s"], ("percentile", "cell"), "s",
            "gap duration percentile, weighted by gap duration"),
        "gap_count": _var(stats["gap_count"], "cell", "1", "number of gaps"),
        "access_count": _var(access_count, "cell", "1", "number of accesses"),
        "access_duration_mean_s": _var(access_mean, "cell", "s", "mean access duration"),
        "mean_response_time_s": _var(stats["mean_response_time_s"], "cell", "s",
                                     "mean response time, sum(g^2) / (2 T)"),
        "time_average_gap_s": _var(stats["time_average_gap_s"], "cell", "s",
                                   "time-average gap, sum(g^2) / T"),
        "first_access_s": _var(first_access_s, "cell", "s",
                               "time of the first access after the start"),
        "never_covered": _var(never, "cell", "1", "no satellite in view at any step"
                              if windows is None else "no access during the analysis"),
    }
    if windows is not None:
        cell["coverage_time_s"] = _var(covered_s, "cell", "s", "time with at least one satellite "
                                       "in view (exact windows)")
        cell["coverage_time_fraction_sampled"] = _var(
            acc.covered_steps / n_steps, "cell", "1",
            "share of steps with at least one satellite in view (sampled)")
    per_time = {
        "coverage_fraction": _var(acc.coverage_fraction, "time", "1",
                                  "weighted share of cells covered (instantaneous percent coverage)"),
        "accumulated_coverage_fraction": _var(accumulated, "time", "1",
                                              "weighted share of cells covered at least once so far"),
        "visible_mean_weighted": _var(acc.visible_mean_weighted, "time", "satellites",
                                      "weighted mean number of satellites in view"),
    }
    data_vars = {**cell, **per_time}
    if acc.counts is not None:
        data_vars["visible_count"] = _var(acc.counts, ("time", "cell"), "satellites",
                                          "number of satellites in view")
    coords = {
        "lat_deg": ("cell", grid.lat_deg, {"units": "degrees_north", "long_name": "latitude"}),
        "lon_deg": ("cell", grid.lon_deg, {"units": "degrees_east", "long_name": "longitude"}),
        "area_km2": ("cell", grid.area_km2, {"units": "km2", "long_name": "cell area"}),
        "weight": ("cell", grid.weight, {"units": "1", "long_name": "weight in grid statistics"}),
        "time": ("time", times, {"long_name": "UTC time of the step"}),
        "time_s": ("time", time_s, {"units": "s", "long_name": "seconds since start"}),
        "nfold": ("nfold", np.asarray(acc.nfold), {"units": "satellites"}),
        "percentile": ("percentile", np.asarray(percentiles, dtype=float), {"units": "percent"}),
    }
    if grid.names is not None:
        coords["name"] = ("cell", grid.names.astype(str), {"long_name": "point name"})
    describe = getattr(constellation, "describe", None)
    elev = np.unique(np.round(elevation, 3))
    attrs = {
        "title": f"Coverage of {constellation.name} over {grid.name}",
        "constellation": str(constellation.name),
        "satellites": len(constellation),
        "constellation_description": describe() if callable(describe) else str(constellation.name),
        "constellation_source": str(getattr(constellation, "source", "")),
        "start_utc": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": float(duration_s),
        "step_s": float(step_s),
        "n_steps": int(n_steps),
        "boundary": boundary,
        "min_elevation_deg": ", ".join(f"{e:g}" for e in elev),
        "max_nadir_deg": "none" if max_nadir_deg is None else f"{max_nadir_deg:g}",
        "grid": grid.name,
        "grid_spacing_deg": float(grid.spacing_deg),
        "grid_cells": int(n_cell),
        "never_covered_cells": int(never.sum()),
        "sgp4_excluded_satellites": int(excluded_satellites),
        "model": MODEL_NOTE if windows is None else EXACT_MODEL_NOTE.format(
            earth="WGS84 ellipsoid" if earth == "wgs84" else "sphere R = 6378.137 km"),
        "exact": int(windows is not None),
        "resolution_s": float(step_s if windows is None else windows.resolution_s),
        "earth": earth,
        "exact_variables": ", ".join(EXACT_VARIABLES) if windows is not None else "",
        "sampled_variables": ", ".join(SAMPLED_VARIABLES if windows is not None else
                                       (*EXACT_VARIABLES[:-1], *SAMPLED_VARIABLES[:-1])),
        "scenario": json.dumps(scenario or {}, default=str),
        "package": "constellations",
        "package_version": __version__,
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def save(ds, path) -> Path:
    """Write a result to NetCDF atomically (a temporary file in the same folder, then a rename).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from constellations import analyze, points, walker_delta, save, load
    >>> ds = analyze(walker_delta(24, 3, 1, 550.0, 53.0), points([0.0], [0.0]),
    ...              "2025-07-01", 600.0, 60.0, progress=False)
    >>> path = save(ds, pathlib.Path(tempfile.mkdtemp()) / "demo.nc")
    >>> float(load(path)["coverage_time_fraction"][0]) == float(ds["coverage_time_fraction"][0])
    True
    """
    from .atomic import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp)
    return path


def load(path):
    """Read a result written by :func:`save` (fully into memory; the file is closed)."""
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"result file {str(path)!r} does not exist; give the path of a .nc file "
                         "written by 'constellations run' or constellations.save()")
    with xr.open_dataset(path) as ds:
        return ds.load()


def _wmean(x, w):
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    return float(np.sum(x[ok] * w[ok]) / np.sum(w[ok])) if ok.any() and np.sum(w[ok]) > 0 else np.nan


def _row(ds, mask=None) -> dict:
    w = ds["weight"].values.astype(float)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    sel = w > 0
    rmax = ds["revisit_max_s"].values
    finite_max = rmax[sel & np.isfinite(rmax)]
    return {
        "cells": int(sel.sum()),
        "ever_covered": 1.0 - _wmean(ds["never_covered"].values.astype(float), w),
        "coverage_time": _wmean(ds["coverage_time_fraction"].values, w),
        "visible_mean": _wmean(ds["visible_mean"].values, w),
        "revisit_mean_s": _wmean(ds["revisit_mean_s"].values, w),
        "revisit_mean_covered_s": _wmean(ds["revisit_mean_s"].values,
                                         np.where(ds["never_covered"].values, 0.0, w)),
        "revisit_max_s": float(finite_max.max()) if finite_max.size else np.nan,
        "mean_response_time_s": _wmean(ds["mean_response_time_s"].values, w),
        "time_average_gap_s": _wmean(ds["time_average_gap_s"].values, w),
    }


def summary(results):
    """A tidy table: one row per result, statistics weighted by cell area (or point weight).

    Parameters
    ----------
    results : xarray.Dataset or sequence of Dataset

    Returns
    -------
    pandas.DataFrame
        Columns ``constellation``, ``satellites``, ``grid``, ``cells``, ``ever_covered`` (share of
        the grid covered at least once), ``coverage_time`` (weighted mean coverage time fraction),
        ``visible_mean``, ``revisit_mean_s`` (weighted mean over cells where it is defined; under
        the optimistic convention a never-covered cell counts the whole interval T),
        ``revisit_mean_covered_s`` (the same over cells covered at least once, so uncovered polar caps
        do not dominate it), ``revisit_max_s`` (largest over cells), ``mean_response_time_s``,
        ``time_average_gap_s``, ``boundary``, ``step_s``, ``duration_s``.
    """
    import pandas as pd

    if not isinstance(results, list | tuple):
        results = [results]
    rows = []
    for ds in results:
        rows.append({"constellation": ds.attrs["constellation"],
                     "satellites": int(ds.attrs["satellites"]), "grid": ds.attrs["grid"],
                     **_row(ds), "boundary": ds.attrs["boundary"],
                     "step_s": float(ds.attrs["step_s"]),
                     "duration_s": float(ds.attrs["duration_s"])})
    return pd.DataFrame(rows)


def latitude_bands(results, edges_deg=(-90, -60, -30, 0, 30, 60, 90), absolute: bool = False):
    """Statistics per latitude band, weighted like :func:`summary`.

    Parameters
    ----------
    results : xarray.Dataset or sequence of Dataset
    edges_deg : sequence of float
        Band edges, ascending.
    absolute : bool
        Use ``|latitude|`` (fold the hemispheres together).

    Returns
    -------
    pandas.DataFrame
        One row per (result, band) with the columns of :func:`summary`'s statistics.
    """
    import pandas as pd

    if not isinstance(results, list | tuple):
        results = [results]
    edges = np.asarray(edges_deg, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"edges_deg must be at least two ascending latitudes, got {edges_deg!r}")
    rows = []
    for ds in results:
        lat = ds["lat_deg"].values
        lat = np.abs(lat) if absolute else lat
        for lo, hi in itertools.pairwise(edges):
            mask = (lat >= lo) & ((lat < hi) | (hi == edges[-1]) & (lat <= hi))
            rows.append({"constellation": ds.attrs["constellation"], "lat_min_deg": lo,
                         "lat_max_deg": hi, **_row(ds, mask)})
    return pd.DataFrame(rows)
