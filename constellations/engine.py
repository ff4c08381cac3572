"""The coverage engine: propagate, count satellites in view per cell, accumulate figures of merit.

:func:`analyze` is the one entry point. It streams time in chunks (memory does not grow with the
duration), counts with the ring scanline on ring grids and the direct test on point lists
(:mod:`constellations.coverage`), runs the counting on worker threads while the main thread
accumulates statistics in time order (:mod:`constellations.metrics`), and returns an
``xarray.Dataset`` (:mod:`constellations.result`).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from .coverage import PointKernel, RingKernel
from .frames import parse_utc
from .geometry import EARTH_RADIUS_KM, central_angle_rad, subsatellite_from_ecef
from .grid import Grid
from .metrics import BOUNDARIES, CoverageAccumulator

__all__ = ["analyze", "keep_freed_memory"]

CELLS_PER_CHUNK = 2_000_000  # (time step, cell) values per accumulator chunk
SAT_STEPS_PER_CHUNK = 500_000  # (time step, satellite) positions per propagation chunk
KEEP_COUNTS_MAX = 50_000_000  # keep the (time, cell) counts when they hold fewer values


def _check_number(key, value, low=None, *, strict=True, fix=""):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {value!r}; {fix}") from None
    bad = not np.isfinite(number) or (
        low is not None and (number <= low if strict else number < low))
    if bad:
        rel = ">" if strict else ">="
        raise ValueError(f"{key} must be {rel} {low:g}, got {value!r}; {fix}")
    return number


def analyze(constellation, grid: Grid, start, duration_s: float, step_s: float,
            boundary: str = "optimistic", min_elevation_deg: float | None = None, *,
            nfold=(1, 2, 3, 4), percentiles=(50, 90, 95, 99), max_nadir_deg: float | None = None,
            threads: int | None = None, keep_counts: bool | None = None,
            progress: bool | None = None, scenario: dict | None = None):
    """Coverage and revisit of a constellation over a grid.

    Parameters
    ----------
    constellation : Constellation or satellite source
        A :class:`~constellations.Constellation` (propagated with J2) or any object with ``name``,
        ``len()``, ``min_elevation_deg_per_sat()`` and ``propagator(start)`` (e.g. a TLE catalog).
    grid : Grid
        From :func:`global_grid`, :func:`latitude_band_grid`, :func:`box_grid`,
        :func:`country_grid`, :func:`points` or :func:`city_grid`.
    start : datetime.datetime or str
        UTC start, e.g. ``"2025-07-01T00:00:00Z"``.
    duration_s, step_s : float
        Analysis length and time step, seconds; ``n_steps = floor(duration_s / step_s)`` and the
        interval analysed is ``T = n_steps * step_s``.
    boundary : {"optimistic", "interior"}
        Edge-gap convention: ``"optimistic"`` (STK) counts gaps that touch the start or the end,
        truncated; a cell never covered has one gap of length T. ``"interior"`` (TAT-C) counts only
        gaps between two accesses; revisit is NaN where there is none.
    min_elevation_deg : float, optional
        Overrides every shell's minimum elevation.
    nfold : sequence of int
        Levels N for ``nfold_time_fraction`` (share of time with at least N satellites in view).
    percentiles : sequence of float
        Revisit percentiles to report, 0-100.
    max_nadir_deg : float, optional
        Nadir-cone sensor half-angle for every satellite (degrees).
    threads : int, optional
        Counting threads (default: the number of CPUs, at most 2). ``1`` runs serially.
    keep_counts : bool, optional
        Store ``visible_count`` (time, cell); default when the array is small (point lists).
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    scenario : dict, optional
        Scenario parameters to store in the result's attributes.

    Returns
    -------
    xarray.Dataset
        Dimensions ``cell`` and ``time`` (and ``nfold``, ``percentile``); see
        :func:`constellations.result.build_dataset` for the variables.

    Examples
    --------
    >>> from constellations import analyze, global_grid, walker_delta
    >>> ds = analyze(walker_delta(1584, 72, 17, 550.0, 53.0), global_grid(spacing_deg=10.0),
    ...              "2025-07-01T00:00:00Z", duration_s=3600.0, step_s=60.0, progress=False)
    >>> 0.8 < float(ds["coverage_fraction"].mean()) < 0.95
    True
    """
    from .result import build_dataset

    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
    if not isinstance(grid, Grid):
        raise ValueError(f"grid must be a Grid (e.g. global_grid(spacing_deg=1.0)), got "
                         f"{type(grid).__name__}")
    if len(grid) == 0:
        raise ValueError("the grid is empty; give at least one cell or point")
    n_sat = len(constellation)
    if n_sat == 0:
        raise ValueError(f"constellation {getattr(constellation, 'name', '?')!r} has no satellites")
    step_s = _check_number("step_s", step_s, 0.0, fix="give the time step in seconds, e.g. 60")
    duration_s = _check_number("duration_s", duration_s, 0.0,
                               fix="give the analysis length in seconds, e.g. 86400 for a day")
    n_steps = int(np.floor(duration_s / step_s + 1e-9))
    if n_steps < 1:
        raise ValueError(f"duration_s = {duration_s:g} is shorter than step_s = {step_s:g}; "
                         "make the duration at least one step")
    nfold = tuple(int(_check_number("nfold level", n, 0.0, fix="use levels like 1, 2, 4"))
                  for n in nfold)
    percentiles = tuple(float(p) for p in percentiles)
    if any(not 0 <= p <= 100 for p in percentiles):
        raise ValueError(f"percentiles must lie in [0, 100], got {percentiles}")
    start = parse_utc(start)
    if min_elevation_deg is not None:
        min_elevation_deg = _check_number("min_elevation_deg", min_elevation_deg, 0.0,
                                          strict=False, fix="e.g. 25 or 35 degrees")
        if min_elevation_deg >= 90:
            raise ValueError(f"min_elevation_deg must be below 90, got {min_elevation_deg!r}")
        elevation = np.full(n_sat, min_elevation_deg)
    else:
        elevation = np.asarray(constellation.min_elevation_deg_per_sat(), dtype=float)
    nadir = np.full(n_sat, np.inf)
    elements = getattr(constellation, "elements", None)
    if callable(elements):
        nadir = elements().max_nadir_deg
    if max_nadir_deg is not None:
        nadir = np.full(n_sat, _check_number("max_nadir_deg", max_nadir_deg, 0.0,
                                             fix="give the sensor half-angle in degrees"))
    nadir_arg = None if np.all(np.isinf(nadir)) else np.where(np.isinf(nadir), 90.0, nadir)
    prop = constellation.propagator(start)
    if keep_counts is None:
        keep_counts = not grid.is_ring_grid and n_steps * len(grid) <= KEEP_COUNTS_MAX

    fixed_lam = None
    if hasattr(prop, "subsatellite"):  # circular orbits: constant footprints
        fixed_lam = central_angle_rad(prop.radius_km - EARTH_RADIUS_KM, elevation, nadir_arg)

    keep_freed_memory()
    kernel = RingKernel(grid) if grid.is_ring_grid else PointKernel(grid)
    chunk = int(np.clip(min(CELLS_PER_CHUNK // len(grid), SAT_STEPS_PER_CHUNK // n_sat), 1, 720))
    starts = range(0, n_steps, chunk)

    def count_chunk(k0):
        t_s = np.arange(k0, min(n_steps, k0 + chunk)) * step_s
        if fixed_lam is not None:
            lat, lon, _ = prop.subsatellite(t_s)
            lam = fixed_lam
        else:
            pos = prop.positions_ecef_km(t_s)
            lat, lon, lam = subsatellite_from_ecef(pos, elevation, nadir_arg)
        return kernel.count(lat, lon, lam)

    acc = CoverageAccumulator(grid.weight, n_steps, nfold=nfold, keep_counts=keep_counts)
    threads = threads or min(2, os.cpu_count() or 1)
    bar = _progress(len(starts), progress, f"{getattr(constellation, 'name', 'coverage')}")
    if threads <= 1:
        for k0 in starts:
            acc.add(count_chunk(k0))
            bar.update(1)
    else:
        with ThreadPoolExecutor(threads) as pool:
            pending = deque()
            it = iter(starts)
            for k0 in it:
                pending.append(pool.submit(count_chunk, k0))
                if len(pending) >= 2 * threads:
                    break
            _warm_up_xarray()  # the import overlaps the first chunks on the worker threads
            while pending:
                counts = pending.popleft().result()
                k_next = next(it, None)
                if k_next is not None:
                    pending.append(pool.submit(count_chunk, k_next))
                acc.add(counts)
                bar.update(1)
    bar.close()
    return build_dataset(acc, grid, constellation, start=start, step_s=step_s,
                         boundary=boundary, elevation=elevation, percentiles=percentiles,
                         scenario=scenario, max_nadir_deg=max_nadir_deg)


def _warm_up_xarray() -> None:
    """Import xarray and build one tiny Dataset (its first use imports dask, about 0.3 s)."""
    import xarray as xr

    xr.Dataset({"warm": ("cell", np.zeros(1))})


@lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory in the process instead of returning it to the kernel.

    The kernels allocate many short-lived arrays of a few MB; by default glibc maps each one fresh
    and the page faults cost 2-3x the arithmetic on this machine class (PERFORMANCE.md). Raising
    M_MMAP_THRESHOLD and M_TRIM_THRESHOLD keeps the pages warm. A no-op off glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 256 * 2**20)
                    and libc.mallopt(m_trim_threshold, 1024 * 2**20))
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _progress(total, enabled, label):
    if enabled is None:
        enabled = sys.stderr.isatty() and total > 4
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="chunk", leave=False)
