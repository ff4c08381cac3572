"""The coverage engine: propagate, count satellites in view per cell, accumulate figures of merit.

:func:`analyze` is the one entry point. It streams time in chunks (memory does not grow with the
duration), counts with the ring scanline on ring grids and the direct test on point lists
(:mod:`constellations.coverage`), runs the counting on worker threads while the main thread
accumulates statistics in time order (:mod:`constellations.metrics`), and returns an
``xarray.Dataset`` (:mod:`constellations.result`). By default the same workers also find the exact
access windows of every cell (:mod:`constellations.windows`), from which the access and gap
statistics are computed in continuous time; the per-step series stay sampled.
"""

from __future__ import annotations

import ctypes
import itertools
import numbers
import os
import sys
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from . import kernels
from .band_split import run_bands
from .coverage import PointKernel, RingKernel
from .earth import check_earth
from .elements import SatelliteSource
from .frames import parse_utc
from .geometry import EARTH_RADIUS_KM, central_angle_rad
from .grid import Grid
from .metrics import BOUNDARIES, CoverageAccumulator, WindowAccumulator
from .windows import WindowFinder, check_exact_step

__all__ = ["CountStream", "analyze", "elevation_criterion", "elevation_footprint", "keep_freed_memory",
           "stream_counts"]

CELLS_PER_CHUNK = 2_000_000  # (time step, cell) values per accumulator chunk
SAT_STEPS_PER_CHUNK = 500_000  # (time step, satellite) positions per propagation chunk
KEEP_COUNTS_MAX = 50_000_000  # keep the (time, cell) counts when they hold fewer values


def _check_source(source) -> None:
    """Refuse what is not a satellite source (a preset name, None) before anything deeper fails."""
    if isinstance(source, str):
        raise ValueError(f"analyze() needs a constellation or satellite source, got the string {source!r}; "
                         f"pass preset({source!r}) (names: constellations.presets()), a Walker "
                         "constellation (walker_delta(...)) or Catalog.from_tle(...)")
    if not isinstance(source, SatelliteSource):
        raise ValueError(f"analyze() needs a constellation or satellite source, got "
                         f"{'None' if source is None else type(source).__name__}; pass e.g. "
                         "preset('kuiper'), walker_delta(1584, 72, 17, 550.0, 53.0) or "
                         "Catalog.from_tle('tle/starlink_20250727.tle')")


def _check_threads(threads) -> int | None:
    """``None`` (the default) or a whole number >= 1."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"threads must be a whole number >= 1 (1 runs serially), got {threads!r}; "
                         "or None for the default (the number of CPUs, at most 2)")
    return int(threads)


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
            progress: bool | None = None, scenario: dict | None = None, exact: bool = True,
            resolution_s: float = 1.0, earth: str | None = None, client=None,
            n_parts: int | None = None):
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
    exact : bool
        ``True`` (default): access and gap statistics from exact access windows
        (:mod:`constellations.windows`): every access and gap longer than ``resolution_s`` is found
        and its ends are known to ``resolution_s / 2`` whatever ``step_s`` (at most 300 s). The
        per-step series (``coverage_fraction``, ``visible_mean_weighted``, ``visible_count``) and
        the per-cell ``visible_*`` and ``nfold_time_fraction`` stay sampled at ``step_s``; the
        attributes ``exact_variables`` and ``sampled_variables`` list which is which. ``False``:
        everything sampled at ``step_s`` (on ``earth``; with ``earth="sphere"`` exactly as before
        exact windows existed).
    resolution_s : float
        Exact mode: time resolution of access and gap ends, s (default 1). Gaps shorter than it
        are merged, accesses shorter than it dropped.
    earth : {"wgs84", "sphere"}, optional
        Observers on the WGS84 ellipsoid with geodetic elevations, or on the sphere of radius
        6,378.137 km (elevation from the radial vertical), in both modes; default: the grid's Earth
        model (``grid.earth``, ``"wgs84"`` unless the grid was built with ``earth="sphere"``).
    client : distributed.Client, optional
        Split the grid into ``n_parts`` latitude bands (default: 2 per worker thread) analysed on this
        Dask cluster (:mod:`constellations.band_split`); the result equals the single-machine one.

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

    if client is not None:
        return run_bands(analyze, constellation, grid, start, duration_s, step_s, client=client,
                         n_parts=n_parts, keep_counts_max=KEEP_COUNTS_MAX, boundary=boundary,
                         min_elevation_deg=min_elevation_deg, nfold=nfold, percentiles=percentiles,
                         max_nadir_deg=max_nadir_deg, threads=threads or 1, keep_counts=keep_counts,
                         scenario=scenario, exact=exact, resolution_s=resolution_s, earth=earth)
    _check_source(constellation)
    threads = _check_threads(threads)
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
    if exact:
        check_exact_step(step_s)
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
    nadir = np.asarray(constellation.max_nadir_deg_per_sat(), dtype=float)
    if max_nadir_deg is not None:
        nadir = np.full(n_sat, _check_number("max_nadir_deg", max_nadir_deg, 0.0,
                                             fix="give the sensor half-angle in degrees"))
        if max_nadir_deg > 90.0:
            raise ValueError(f"max_nadir_deg must be at most 90 deg (a sensor half-angle from nadir), "
                             f"got {max_nadir_deg!r}; use None for no sensor limit")
    if keep_counts is None:
        keep_counts = not grid.is_ring_grid and n_steps * len(grid) <= KEEP_COUNTS_MAX

    acc = CoverageAccumulator(grid.weight, n_steps, nfold=nfold, keep_counts=keep_counts)
    earth = check_earth(grid.earth if earth is None else earth)
    windows = finder = None
    if exact:
        resolution_s = _check_number("resolution_s", resolution_s, 0.0,
                                     fix="give the time resolution in seconds, e.g. 1")
        finder = WindowFinder(grid, n_steps, step_s, elevation, nadir, earth=earth,
                              resolution_s=resolution_s)
        windows = WindowAccumulator(len(grid), n_steps * step_s, resolution_s)
    criterion = elevation_criterion(elevation, nadir, earth)
    stream = stream_counts(constellation, grid, start, n_steps, step_s,
                           radius_rad=elevation_footprint(elevation, nadir), threads=threads,
                           windows=finder, criterion=criterion)
    bar = _progress(stream.n_chunks, progress, f"{getattr(constellation, 'name', 'coverage')}")
    for item in stream:
        acc.add(item[1])
        if windows is not None:
            windows.add(*item[2])
        bar.update(1)
    bar.close()
    if windows is not None:
        windows.finish()
    return build_dataset(acc, grid, constellation, start=start, step_s=step_s,
                         boundary=boundary, elevation=elevation, percentiles=percentiles,
                         scenario=scenario, max_nadir_deg=max_nadir_deg, windows=windows,
                         earth=earth,
                         excluded_satellites=stream.excluded_satellites())


def elevation_footprint(min_elevation_deg, max_nadir_deg=None):
    """Footprint radius of satellites seen above a minimum elevation (and inside a sensor cone).

    Parameters
    ----------
    min_elevation_deg : ndarray, shape (n_sat,)
    max_nadir_deg : ndarray, shape (n_sat,), optional
        ``inf`` entries: no sensor limit.

    Returns
    -------
    callable
        ``radius_rad(altitude_km, columns=slice(None))``: Earth central angle (radians) of the
        satellites ``columns`` at altitudes broadcast against them (``(n_sat,)`` or
        ``(n_time, n_sat)``), the argument :func:`stream_counts` takes.
    """
    elevation = np.asarray(min_elevation_deg, dtype=float)
    nadir = None
    if max_nadir_deg is not None and not np.all(np.isinf(max_nadir_deg)):
        nadir = np.where(np.isinf(max_nadir_deg), 90.0, np.asarray(max_nadir_deg, dtype=float))

    def radius_rad(altitude_km, columns=slice(None)):
        return central_angle_rad(altitude_km, elevation[columns],
                                 None if nadir is None else nadir[columns])

    return radius_rad


def elevation_criterion(min_elevation_deg, max_nadir_deg, earth: str):
    """The ``criterion`` of :class:`CountStream` for an Earth model: ``None`` on the sphere.

    Parameters
    ----------
    min_elevation_deg, max_nadir_deg : ndarray, shape (n_sat,)
        ``inf`` nadir entries: no sensor limit.
    earth : {"wgs84", "sphere"}

    Returns
    -------
    tuple or None
        ``(min_elevation_rad, max_nadir_rad or None, earth)`` on WGS84 (the kernels' ``count_elevation``);
        ``None`` on the sphere, where the footprints of :func:`elevation_footprint` are the criterion.
    """
    if earth != "wgs84":
        return None
    nadir = np.asarray(max_nadir_deg, dtype=float)
    eta = None if np.all(np.isinf(nadir)) else np.radians(np.where(np.isinf(nadir), 90.0, nadir))
    return np.radians(np.asarray(min_elevation_deg, dtype=float)), eta, earth


class CountStream:
    """The one streaming coverage loop: propagate a time chunk, form footprints, count per cell.

    Every analysis of the package (:func:`analyze`, the deployment race's snapshots, the Golden
    Dome in-reach maps and tracking layer) iterates over this object, so a fix here reaches all of
    them. Chunks come in time order; with ``threads > 1`` they are counted on worker threads ahead
    of the consumer.
    Footprints are computed once when the source's propagator says they are fixed
    (``fixed_footprints``: circular orbits) and at every step otherwise (SGP4); satellites with
    NaN states (failed propagation) are never visible.

    Parameters
    ----------
    source : SatelliteSource
        A constellation or catalog (:class:`constellations.elements.SatelliteSource`).
    grid : Grid
    start : datetime or str
        UTC start; step ``k`` is at ``start + k * step_s``.
    n_steps : int
    step_s : float
    radius_rad : callable
        ``radius_rad(altitude_km, columns)`` -> footprint radius (Earth central angle, radians) of
        the satellites ``columns`` (see :func:`elevation_footprint`); ``columns`` is a slice or an
        index array, ``altitude_km`` broadcasts against it.
    columns : sequence of int arrays, optional
        Count each subset of satellites separately (e.g. the satellites added between two
        snapshots of a build-out); each chunk then yields a list of count arrays.
    threads : int, optional
        Counting threads (default: the number of CPUs, at most 2; ``1`` runs serially).
    windows : constellations.windows.WindowFinder or list of them, optional
        Also find the exact access windows: each chunk then yields a third item, the covered pieces
        ``(cell, start_s, end_s)`` of its classification intervals (the last chunk's include the final
        half step up to ``T``). With ``columns``, a list of one finder (or ``None``: no pieces) per
        subset, finder ``i`` made for the satellites ``columns[i]`` in that order; the third item is
        then a list of pieces, one per finder (cell indices of the grid, times of the whole stream),
        all from one propagation per chunk. Level-1 coverage of a union of subsets is the union of
        their pieces (the deployment race's nested snapshots).
    criterion : tuple, optional
        ``(min_elevation_rad, max_nadir_rad, earth)``: count with the kernels' ``count_elevation``
        (WGS84 or sphere) instead of the footprints of ``radius_rad`` (:func:`analyze` on a WGS84
        Earth, in both modes); arrays over all the satellites of ``source``.

    Yields
    ------
    t_s : ndarray, shape (n_time,)
        Offsets of the chunk's steps from ``start``, s.
    counts : ndarray of int32, shape (n_time, n_cell), or a list of them (one per subset)
        Satellites in view of each cell at each step.
    pieces : tuple of ndarray (or a list of them, one per finder), only with ``windows``

    Examples
    --------
    >>> from constellations import global_grid, walker_delta
    >>> c = walker_delta(24, 3, 1, 550.0, 53.0)
    >>> s = CountStream(c, global_grid(spacing_deg=15.0), "2025-07-01T00:00:00Z", 10, 60.0,
    ...                   radius_rad=elevation_footprint(c.min_elevation_deg_per_sat()), threads=1)
    >>> [counts.shape for _, counts in s]
    [(10, 184)]
    """

    def __init__(self, source, grid: Grid, start, n_steps: int, step_s: float, *, radius_rad,
                 columns=None, threads: int | None = None, windows=None, criterion=None):
        self.prop = source.propagator(parse_utc(start))
        self.criterion = criterion
        self.grid = grid
        self.n_steps = int(n_steps)
        self.step_s = float(step_s)
        self.radius_rad = radius_rad
        self.columns = None if columns is None else [np.asarray(c, dtype=np.int64) for c in columns]
        self.windows, self._per_subset = self._check_windows(windows)
        self.threads = _check_threads(threads) or min(2, os.cpu_count() or 1)
        n_sat = self.prop.n_sat
        self._never_visible = np.zeros(n_sat, dtype=bool)  # NaN state at a step (protocol: failed)
        self._lock = threading.Lock()
        self.chunk = int(np.clip(min(CELLS_PER_CHUNK // len(grid), SAT_STEPS_PER_CHUNK // max(1, n_sat)),
                                 1, 720))
        self.n_chunks = -(-self.n_steps // self.chunk)
        keep_freed_memory()
        self.kernel = RingKernel(grid) if grid.is_ring_grid else PointKernel(grid)
        for finder in self._finders():
            finder.kernel = self.kernel  # one kernel (and its cached tables) for all
        self._fixed_lam = None
        if self.prop.fixed_footprints:
            _, _, self._fixed_radius_km = self.prop.subsatellite(np.zeros(1))
            self._fixed_lam = self._radius(self._fixed_radius_km, slice(None))
        # circular-orbit propagators also give the sine and cosine of the latitudes (elements.Propagator),
        # which spare the compiled kernels their own
        self._trig = self._fixed_lam is not None and kernels.backend() == "numba"

    def _check_windows(self, windows):
        """The finders, checked against ``columns``; and whether there is one per subset."""
        if windows is None:
            return None, False
        if self.columns is None:
            if isinstance(windows, list | tuple):
                raise ValueError("windows: a list of finders needs columns (one finder per subset); "
                                 "give one WindowFinder for all the satellites")
            return windows, False
        if not isinstance(windows, list | tuple) or len(windows) != len(self.columns):
            raise ValueError(f"windows: with columns ({len(self.columns)} subsets) give a list of as many "
                             "finders (None for a subset without one), finder i for the satellites "
                             "columns[i]")
        for i, (finder, sats) in enumerate(zip(windows, self.columns, strict=True)):
            if finder is not None and finder.n_sat != sats.size:
                raise ValueError(f"windows[{i}] was made for {finder.n_sat} satellites, but columns[{i}] "
                                 f"holds {sats.size}; build finder i from the satellites columns[i]")
        return list(windows), True

    def _finders(self):
        """The window finders (none, one, or one per subset of ``columns``)."""
        if self.windows is None:
            return []
        return [w for w in self.windows if w is not None] if self._per_subset else [self.windows]

    def excluded_satellites(self) -> int:
        """Satellites whose state was NaN (failed, not physical) at one counted step or more, so far."""
        with self._lock:
            return int(self._never_visible.sum())

    def _mark_failed(self, lat) -> None:
        failed = np.isnan(lat).any(axis=0)
        if failed.any():
            with self._lock:
                self._never_visible |= failed

    def _radius(self, radius_km, columns):
        with np.errstate(invalid="ignore"):
            lam = self.radius_rad(radius_km - EARTH_RADIUS_KM, columns)
        return np.where(np.isfinite(lam), lam, -1.0)  # failed states: never visible

    def _propagate(self, t_s, unit: bool = False):
        """``lat, lon, radius_km`` at ``t_s`` and ``(sin_lat, cos_lat)``, or ``(sin_lat, cos_lat,
        unit_vectors)`` with ``unit`` (``None`` unless the compiled propagator gives them)."""
        if self._trig:
            lat, lon, *trig = self.prop.subsatellite_trig(t_s, unit)
            return lat, lon, self._fixed_radius_km, tuple(trig)
        return (*self.prop.subsatellite(t_s), None)

    def count_chunk(self, k0: int):
        """Counts of the steps ``k0 .. k0 + chunk - 1`` (see the class docstring)."""
        k1 = min(self.n_steps, k0 + self.chunk)
        if self._finders():
            return self._exact_chunk(k0, k1)
        t_s = np.arange(k0, k1) * self.step_s
        lat, lon, radius_km, trig = self._propagate(t_s)
        self._mark_failed(lat)
        if self._fixed_lam is None:
            lat = np.where(np.isfinite(lat), lat, 0.0)
            lon = np.where(np.isfinite(lon), lon, 0.0)
        if self.columns is None:
            return t_s, self._count_columns(lat, lon, radius_km, slice(None), trig)
        return t_s, [self._count_columns(lat, lon, radius_km, c, trig) if c.size
                     else np.zeros((t_s.size, len(self.grid)), dtype=np.int32) for c in self.columns]

    def _exact_chunk(self, k0: int, k1: int):
        """Counts of the steps ``k0 .. k1 - 1`` and the covered pieces of their windows.

        The sub-satellite points are propagated at the window finder's interpolation nodes (the
        steps, a few steps beyond the chunk on each side, and points between steps longer than
        60 s); the counts use exactly the rows of the steps ``k0 .. k1 - 1``.
        """
        k_last = k1 if k1 == self.n_steps else k1 - 1  # the last chunk also owns interval n_steps
        layout = self._finders()[0]  # the finders share n_steps and step_s, hence their nodes
        t_all = layout.node_times_s(k0, k_last)
        lat_all, lon_all, radius_all, trig_all = self._propagate(t_all, unit=True)
        n0, _ = layout.node_range(k0, k_last)
        rows = layout.q * np.arange(k0, k1) - n0
        radius_km = radius_all if np.ndim(radius_all) == 1 else radius_all[rows]
        lat, lon = lat_all[rows], lon_all[rows]
        trig = None if trig_all is None else tuple(x[rows] for x in trig_all[:2])
        self._mark_failed(lat)
        lat, lon = np.where(np.isfinite(lat), lat, 0.0), np.where(np.isfinite(lon), lon, 0.0)
        if not self._per_subset:
            counts = self._count_columns(lat, lon, radius_km, slice(None), trig)
            return t_all[rows], counts, self.windows.chunk_pieces(k0, k_last, lat_all, lon_all, radius_all,
                                                                  trig=trig_all)
        counts = [self._count_columns(lat, lon, radius_km, c, trig) if c.size
                  else np.zeros((rows.size, len(self.grid)), dtype=np.int32) for c in self.columns]
        pieces = [None if finder is None else finder.chunk_pieces(
                  k0, k_last, lat_all[:, sats], lon_all[:, sats], radius_all[..., sats],
                  trig=None if trig_all is None else tuple(x[:, sats] for x in trig_all))
                  for finder, sats in zip(self.windows, self.columns, strict=True)]
        return t_all[rows], counts, pieces

    def _count_columns(self, lat, lon, radius_km, columns, trig=None):
        """Counts of the satellites ``columns`` (a slice or an index array) at the chunk's steps.

        ``trig``: ``(sin_lat, cos_lat)`` of all the satellites, or ``None``.
        """
        if not isinstance(columns, slice):
            lat, lon = np.ascontiguousarray(lat[:, columns]), np.ascontiguousarray(lon[:, columns])
            radius_km = radius_km[..., columns]
            trig = None if trig is None else tuple(np.ascontiguousarray(x[:, columns]) for x in trig)
        if self.criterion is None:
            lam = self._radius(radius_km, columns) if self._fixed_lam is None else self._fixed_lam[columns]
            return self.kernel.count(lat, lon, lam, trig=trig)
        eps, eta, earth = self.criterion
        if not isinstance(columns, slice):
            eps, eta = np.asarray(eps)[columns], None if eta is None else np.asarray(eta)[columns]
        return self.kernel.count_elevation(lat, lon, radius_km, eps, eta, earth=earth, trig=trig)

    def __iter__(self):
        starts = range(0, self.n_steps, self.chunk)
        if self.threads <= 1 or len(starts) <= 1:
            for k0 in starts:
                yield self.count_chunk(k0)
            return
        pool = ThreadPoolExecutor(self.threads)
        try:
            it = iter(starts)
            pending = deque(pool.submit(self.count_chunk, k0)
                            for k0 in itertools.islice(it, 2 * self.threads))
            _warm_up_xarray()  # the import overlaps the first chunks on the worker threads
            while pending:
                result = pending.popleft().result()
                k_next = next(it, None)
                if k_next is not None:
                    pending.append(pool.submit(self.count_chunk, k_next))
                yield result
        finally:  # an interrupted run (signal, error, consumer gone) does not wait for queued chunks
            pool.shutdown(wait=False, cancel_futures=True)


def stream_counts(source, grid: Grid, start, n_steps: int, step_s: float, *, radius_rad, columns=None,
                  threads: int | None = None, windows=None, criterion=None) -> CountStream:
    """Iterate over ``(t_s, counts)`` time chunks: see :class:`CountStream` (same parameters)."""
    return CountStream(source, grid, start, n_steps, step_s, radius_rad=radius_rad, columns=columns,
                       threads=threads, windows=windows, criterion=criterion)


def _warm_up_xarray() -> None:
    """Import xarray and build one tiny Dataset (its first use imports dask, about 0.3 s)."""
    import xarray as xr

    xr.Dataset({"warm": ("cell", np.zeros(1))})


@lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory in the process instead of returning it to the kernel.

    The kernels allocate many short-lived arrays of a few MB; by default glibc maps each one fresh
    and the page faults cost 2-3x the arithmetic on this machine class (docs/PERFORMANCE.md). Raising
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
