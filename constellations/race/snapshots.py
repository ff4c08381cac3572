"""Coverage of nested snapshots (the first ``n`` satellites of a fill order, for many ``n``) and race metrics.

The operational satellites on any date are the first ``n`` of one fill order of the full pattern
(:func:`constellations.race.deployment.fill_order`), so a snapshot depends only on ``n``. The full
pattern is propagated once per time chunk by the engine's streaming loop
(:func:`constellations.engine.stream_counts`, one satellite subset per snapshot increment). The visible
counts of snapshot ``n_k`` are those of ``n_{k-1}`` plus the counts of satellites ``n_{k-1} .. n_k - 1``
alone, sampled at the steps. Coverage time and gaps come from exact access windows
(:mod:`constellations.windows`, ends to ``resolution_s / 2`` whatever the step, observers on the
grid's Earth model, WGS84 by default): one window finder per increment, fed from the same
propagation; the covered pieces of snapshot ``n_k`` are the union of those of its increments, so
that each snapshot equals :func:`constellations.analyze` of its satellites and every satellite's
windows are found once (:func:`coverage_by_count`; ``exact=False`` samples everything at the steps,
on the grid's Earth model; a grid built with ``earth="sphere"`` gives the counting of earlier
versions). Statistics:
:class:`~constellations.metrics.WindowAccumulator` (or the sampled
:class:`~constellations.metrics.CoverageAccumulator`) and :func:`~constellations.metrics.gap_statistics`
per distinct ``n``.

Metrics per snapshot (:data:`METRICS`, computed by :func:`race_metrics`): share of the Earth's surface
and of the population (Natural Earth places, 1.48 billion people in 1,249 places) with continuous
coverage (a satellite in view during the whole window, gaps shorter than ``resolution_s`` merged),
area-weighted coverage time, mean and longest gap in the populated band (default 56 S to 56 N, where
98.6 % of that population lives) and the population-weighted number of satellites in view (a capacity
proxy, sampled). Revisit values saturate at the window length: a cell with no satellite for the whole
window (every cell of a snapshot of 0 satellites) has one gap of exactly the window.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from ..engine import elevation_criterion, elevation_footprint, stream_counts
from ..frames import parse_utc
from ..grid import Grid, global_grid, points
from ..metrics import BOUNDARIES, CoverageAccumulator, WindowAccumulator, gap_statistics
from ..sources.presets import preset
from ..sources.tle import Catalog
from ..windows import WindowFinder, check_exact_step

__all__ = [
    "CONTINUOUS_TOL",
    "METRICS",
    "Metric",
    "coverage_by_count",
    "race_metrics",
]

CONTINUOUS_TOL = 1e-12
"""A cell is continuously covered when its coverage-time fraction is within this of 1 (rounding)."""


@dataclass(frozen=True)
class Metric:
    """A per-snapshot figure of merit: long name, units, which way is better, grid it is computed on."""

    long_name: str
    units: str
    better: str  # "higher" or "lower"
    grid: str  # "ground" (global cells) or "cities"


METRICS = {
    "continuous_area": Metric("share of the Earth's surface with continuous coverage", "1", "higher",
                              "ground"),
    "continuous_population": Metric("share of the population (Natural Earth places) with continuous "
                                    "coverage", "1", "higher", "cities"),
    "continuous_population_band": Metric("share of the population in the populated band with continuous "
                                         "coverage", "1", "higher", "cities"),
    "coverage_time_area": Metric("area-weighted coverage time", "1", "higher", "ground"),
    "revisit_mean_band_s": Metric("mean gap in the populated band (area-weighted, 0 where continuous)",
                                  "s", "lower", "ground"),
    "revisit_max_band_s": Metric("longest gap in the populated band", "s", "lower", "ground"),
    "visible_mean_population": Metric("satellites in view, population-weighted time mean", "satellites",
                                       "higher", "cities"),
}
"""Metric name -> :class:`Metric`."""


# --------------------------------------------------------------------------- counting by prefix


def _source(spec):
    """A satellite source from a task spec: a preset, a TLE catalog, or the object itself."""
    if not isinstance(spec, dict):
        return spec
    if spec["kind"] == "preset":
        c = preset(spec["name"])
        if spec.get("min_elevation_deg") is not None:
            c = c.with_min_elevation(float(spec["min_elevation_deg"]))
        return c
    if spec["kind"] == "tle":
        kw = {k: spec[k] for k in ("altitude_km", "designators", "name_pattern", "name") if spec.get(k)}
        return Catalog.from_tle(spec["path"], min_elevation_deg=float(spec.get("min_elevation_deg", 25.0)),
                                **kw)
    raise ValueError(f"unknown source kind {spec['kind']!r}; use 'preset' or 'tle'")


def _grid(spec):
    """A grid from a task spec (or the Grid itself)."""
    if isinstance(spec, Grid):
        return spec
    if spec["kind"] == "global":
        return global_grid(spacing_deg=float(spec["spacing_deg"]))
    if spec["kind"] == "points":
        return points(spec["lat_deg"], spec["lon_deg"], weights=spec["weight"],
                      name=spec.get("name", "points"))
    raise ValueError(f"unknown grid kind {spec['kind']!r}; use 'global' or 'points'")


def coverage_by_count(source, grid, start, duration_s: float, step_s: float, counts=None, order=None, *,
                      boundary: str = "optimistic", min_elevation_deg: float | None = None,
                      exact: bool = True, resolution_s: float = 1.0) -> dict:
    """Per-cell coverage of the first ``n`` satellites (in a fill order) of a source, for many ``n``.

    The source is propagated once per time chunk. Visible counts (sampled at the steps): snapshot
    ``n_k`` adds the counts of satellites ``order[n_{k-1}:n_k]`` to those of snapshot ``n_{k-1}``.
    Coverage time and gaps (``exact=True``) come from exact access windows: one
    :class:`~constellations.windows.WindowFinder` per increment (satellites ``order[n_{k-1}:n_k]``),
    all fed from the same propagation (:class:`~constellations.engine.CountStream` with a list of
    finders); a cell is covered by snapshot ``n_k`` when it is by one of its increments, so the
    covered pieces of snapshot ``n_k`` are the union of those of increments ``0 .. k``, which
    :class:`~constellations.metrics.WindowAccumulator` turns into gaps as for
    :func:`constellations.analyze` (``exact=True``) of those satellites, to which they are equal.
    Every satellite is processed once, not once per snapshot (one finder per snapshot of its
    ``n`` satellites costs 30 times more on the shipped race: 148 snapshots). A snapshot of 0
    satellites is never covered (one gap of the window). Counting uses the engine's kernels on the
    grid's Earth model (``grid.earth``) and its accumulators.

    Parameters
    ----------
    source : Constellation or satellite source, or dict
        Anything :func:`constellations.analyze` accepts, or a task spec (``{"kind": "preset", "name":
        ...}`` / ``{"kind": "tle", "path": ...}``).
    grid : Grid or dict
    start : datetime or str
        UTC start of the window.
    duration_s, step_s : float
        Window length and step, s.
    counts : sequence of int, optional
        Snapshot sizes ``n`` (any order, repeats allowed); default: all satellites.
    order : sequence of int, optional
        Satellite indices in fill order (default ``0 .. n_sat - 1``); ``n`` must not exceed its length.
    boundary : {"optimistic", "interior"}
        Edge-gap convention of :func:`constellations.analyze`.
    min_elevation_deg : float, optional
        Overrides the source's minimum elevations.
    exact : bool
        ``True`` (default): ``coverage_time_fraction``, ``revisit_mean_s`` and ``revisit_max_s``
        from exact access windows to ``resolution_s``; ``False``: all sampled at ``step_s``.
        Observers on ``grid.earth`` either way.
    resolution_s : float
        Exact mode: time resolution of access and gap ends, s.

    Returns
    -------
    dict
        ``n_satellites`` (n_n,) the distinct sizes, ascending; ``coverage_time_fraction``,
        ``revisit_mean_s``, ``revisit_max_s``, ``visible_mean`` (sampled), each (n_n, n_cell);
        ``lat_deg``, ``lon_deg``, ``weight``, ``area_km2`` (n_cell,); ``duration_s``, ``step_s``,
        ``n_steps``, ``exact``, ``resolution_s`` (``step_s`` when sampled), ``earth``, ``wall_s``.

    Examples
    --------
    >>> from constellations import walker_delta, global_grid
    >>> out = coverage_by_count(walker_delta(24, 3, 1, 550.0, 53.0), global_grid(spacing_deg=15.0),
    ...                         "2025-07-01T00:00:00Z", 1800.0, 60.0, counts=[0, 8, 24])
    >>> out["coverage_time_fraction"].shape, float(out["coverage_time_fraction"][0].max())
    ((3, 184), 0.0)
    """
    t_wall = time.perf_counter()
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
    source, grid = _source(source), _grid(grid)
    n_sat = len(source)
    order = np.arange(n_sat) if order is None else np.asarray(order, dtype=np.int64)
    if order.ndim != 1 or (order.size and (order.min() < 0 or order.max() >= n_sat)):
        raise ValueError(f"order must be satellite indices 0..{n_sat - 1}, got shape {order.shape}")
    counts = np.asarray([order.size] if counts is None else counts, dtype=np.int64)
    if counts.size == 0 or counts.min() < 0 or counts.max() > order.size:
        got = f"{counts.min()}..{counts.max()}" if counts.size else "none"
        raise ValueError(f"counts must be between 0 and {order.size} (the satellites in the fill order), "
                         f"got {got}")
    uniq = np.unique(counts)
    n_steps = int(np.floor(float(duration_s) / float(step_s) + 1e-9))
    if n_steps < 1:
        raise ValueError(f"duration_s = {duration_s!r} is shorter than step_s = {step_s!r}")
    start = parse_utc(start)
    if min_elevation_deg is not None:
        elevation = np.full(n_sat, float(min_elevation_deg))
    else:
        elevation = np.asarray(source.min_elevation_deg_per_sat(), dtype=float)
    nadir = np.asarray(source.max_nadir_deg_per_sat(), dtype=float)
    duration = n_steps * float(step_s)
    accs = [CoverageAccumulator(grid.weight, n_steps, nfold=(1,)) for _ in uniq]
    bounds = np.concatenate([[0], uniq])
    added = [order[a:b] for a, b in itertools.pairwise(bounds)]  # per snapshot
    finders = windows = None
    if exact and uniq.max() > 0:
        check_exact_step(float(step_s))
        finders = [None if sats.size == 0 else WindowFinder(grid, n_steps, float(step_s), elevation[sats],
                                                            nadir[sats], earth=grid.earth,
                                                            resolution_s=float(resolution_s))
                   for sats in added]  # one per increment: snapshot k is the union of 0 .. k
        windows = [WindowAccumulator(len(grid), duration, float(resolution_s)) for _ in uniq]
    stream = stream_counts(source, grid, start, n_steps, step_s, columns=added, threads=1,
                           radius_rad=elevation_footprint(elevation, nadir), windows=finders,
                           criterion=elevation_criterion(elevation, nadir, grid.earth))
    for item in stream:  # each snapshot adds the satellites launched since the previous one
        t_s, parts = item[0], item[1]
        total = np.zeros((t_s.size, len(grid)), dtype=np.int32)
        for acc, part in zip(accs, parts, strict=True):
            total += part
            acc.add(total)
        if windows is not None:
            union = (np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))
            for win, pieces in zip(windows, item[2], strict=True):
                if pieces is not None:
                    union = _union(*(np.concatenate([u, p]) for u, p in zip(union, pieces, strict=True)))
                win.add(*union)
    keys = ("coverage_time_fraction", "revisit_mean_s", "revisit_max_s", "visible_mean")
    out = {k: np.empty((uniq.size, len(grid))) for k in keys}
    for i, acc in enumerate(accs):
        if windows is None:
            gaps = acc.gaps()
            gap_s, covered_s = gaps["length_steps"] * float(step_s), acc.covered_steps * float(step_s)
            always = acc.covered_steps
        else:
            win = windows[i]
            win.finish()  # a snapshot of 0 satellites (no pieces): one gap of the window per cell
            gaps, covered_s = win.gaps(), win.covered_s
            gap_s = gaps["length_s"]
            always = np.where((np.bincount(gaps["cell"], minlength=len(grid)) == 0) & ~win.never_covered,
                              n_steps, 0)  # in view from 0 to T
        keep = np.ones(gaps["cell"].size, dtype=bool) if boundary == "optimistic" else ~gaps["edge"]
        stats = gap_statistics(gaps["cell"][keep], gap_s[keep], acc.n_cell, duration, always, n_steps,
                               percentiles=())
        out["coverage_time_fraction"][i] = covered_s / duration
        out["revisit_mean_s"][i] = stats["revisit_mean_s"]
        out["revisit_max_s"][i] = stats["revisit_max_s"]
        out["visible_mean"][i] = acc.count_sum / n_steps
    out.update(n_satellites=uniq, lat_deg=grid.lat_deg, lon_deg=grid.lon_deg, weight=grid.weight,
               area_km2=grid.area_km2, duration_s=duration, step_s=float(step_s), n_steps=n_steps,
               exact=bool(exact), resolution_s=float(resolution_s) if exact else float(step_s),
               earth=grid.earth, wall_s=time.perf_counter() - t_wall)
    return out


def _union(cell, start_s, end_s):
    """The union of time pieces per cell: overlapping or touching pieces joined, sorted by cell and time.

    Parameters
    ----------
    cell : ndarray of int64, shape (n,)
    start_s, end_s : ndarray, shape (n,)

    Returns
    -------
    cell, start_s, end_s : ndarray, shape (n_union,)

    Examples
    --------
    >>> c, a, b = _union(np.array([0, 1, 0, 0]), np.array([5.0, 0.0, 0.0, 9.0]),
    ...                  np.array([8.0, 1.0, 5.0, 10.0]))
    >>> c.tolist(), a.tolist(), b.tolist()
    ([0, 0, 1], [0.0, 9.0, 0.0], [8.0, 10.0, 1.0])
    """
    if cell.size == 0:
        return cell, start_s, end_s
    order = np.lexsort((start_s, cell))
    cell, a, b = cell[order], start_s[order], end_s[order]
    first = np.ones(cell.size, dtype=bool)
    first[1:] = cell[1:] != cell[:-1]
    # running largest end within each cell, exactly: on the ranks of the ends, offset per cell
    times = np.unique(b)
    rank = np.searchsorted(times, b) + cell * times.size
    run_end = times[np.maximum.accumulate(rank) - cell * times.size]
    new = first.copy()
    new[1:] |= a[1:] > run_end[:-1]
    starts = np.flatnonzero(new)
    ends = np.concatenate([starts[1:] - 1, [cell.size - 1]])
    return cell[starts], a[starts], run_end[ends]


def _coverage_task(source, grid, start, duration_s, step_s, counts=None, order=None, boundary="optimistic",
                   min_elevation_deg=None, label=""):
    """One sweep task (module level so that Dask workers can import it)."""
    out = coverage_by_count(source, grid, start, duration_s, step_s, counts, order, boundary=boundary,
                            min_elevation_deg=min_elevation_deg)
    out["label"] = label
    return out


def _concat_cells(parts: list) -> dict:
    """Join task results over grid parts (same snapshot sizes) along the cell axis."""
    first = parts[0]
    out = dict(first)
    for key in ("coverage_time_fraction", "revisit_mean_s", "revisit_max_s", "visible_mean"):
        out[key] = np.concatenate([p[key] for p in parts], axis=1)
    for key in ("lat_deg", "lon_deg", "weight", "area_km2"):
        out[key] = np.concatenate([p[key] for p in parts])
    out["wall_s"] = float(sum(p["wall_s"] for p in parts))
    return out


def _wmean(values, weight):
    """Weighted mean over the last axis, ignoring NaN values; shape values.shape[:-1]."""
    ok = np.isfinite(values) & (weight > 0)
    w = np.where(ok, weight, 0.0)
    total = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.sum(np.where(ok, values, 0.0) * w, axis=-1) / total, np.nan)


def race_metrics(ground: dict, cities: dict, populated_lat_deg=(-56.0, 56.0)) -> dict:
    """The :data:`METRICS` of every snapshot from per-cell results.

    Parameters
    ----------
    ground : dict
        :func:`coverage_by_count` output on a ring grid (cell areas as weights).
    cities : dict
        :func:`coverage_by_count` output on population-weighted points (same snapshot sizes).
    populated_lat_deg : (float, float)
        The populated band, degrees.

    Returns
    -------
    dict of ndarray, shape (n_n,)
        One entry per metric, plus ``n_satellites``.
    """
    lo, hi = populated_lat_deg
    w = np.asarray(ground["weight"], dtype=float)
    band = (ground["lat_deg"] >= lo) & (ground["lat_deg"] <= hi)
    ctf = ground["coverage_time_fraction"]
    cont = (ctf >= 1.0 - CONTINUOUS_TOL).astype(float)
    pw = np.asarray(cities["weight"], dtype=float)
    pband = np.where((cities["lat_deg"] >= lo) & (cities["lat_deg"] <= hi), pw, 0.0)
    pcont = (cities["coverage_time_fraction"] >= 1.0 - CONTINUOUS_TOL).astype(float)
    rmax = np.where(band, ground["revisit_max_s"], np.nan)
    with np.errstate(invalid="ignore"):
        longest = np.where(np.isfinite(rmax).any(axis=1), np.nanmax(np.where(np.isfinite(rmax), rmax, -1.0),
                                                                    axis=1), np.nan)
    def share(x, weight):
        return np.clip(x @ weight / weight.sum(), 0.0, 1.0)  # clip: rounding of the weight sums

    return {
        "n_satellites": np.asarray(ground["n_satellites"]),
        "continuous_area": share(cont, w),
        "continuous_population": share(pcont, pw),
        "continuous_population_band": share(pcont, pband),
        "coverage_time_area": share(ctf, w),
        "revisit_mean_band_s": _wmean(ground["revisit_mean_s"], np.where(band, w, 0.0)),
        "revisit_max_band_s": longest,
        "visible_mean_population": cities["visible_mean"] @ pw / pw.sum(),
    }
