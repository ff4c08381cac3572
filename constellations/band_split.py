"""Latitude-band split of a grid, and the merge of per-band results into the whole grid's result.

Cells are independent: every per-cell figure of merit depends only on the satellites that the cell
sees. :func:`split_bands` cuts a ring grid into bands of whole latitude rings (:func:`band_grid`,
each a ring grid of its own; point lists by point), :func:`run_bands` runs an analysis function on
each band on a Dask cluster, and :func:`merge_bands` merges the parts: per-cell variables are put
back in the grid's cell order, the per-time area-weighted series are recombined as the weighted sum
of the parts' series with the parts' total weights, and the attributes are those of the whole grid.
Counts are identical to the whole grid's; weighted per-time series agree to rounding (about 1e-15
relative). The engine does not come in here (the analysis function is an argument), so
:func:`constellations.analyze` can use this module: ``analyze(..., client=client)`` is the entry
point. Dask is imported only by whoever makes the client; this module calls ``client.submit``,
``client.gather`` and ``client.nthreads``.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np

from .grid import Grid, Rings

__all__ = ["band_grid", "merge_bands", "run_bands", "split_bands"]

PARTS_PER_THREAD = 2  # default bands per worker thread: keeps every thread busy to the end


def band_grid(grid: Grid, ring_start: int, ring_stop: int) -> tuple[Grid, np.ndarray]:
    """The cells of a ring grid that lie on rings ``ring_start .. ring_stop - 1``, as a ring grid.

    Parameters
    ----------
    grid : Grid
        A ring grid (``grid.rings`` is not None): global, band, box or country.
    ring_start, ring_stop : int
        Ring range, ``0 <= ring_start < ring_stop <= n_ring`` (rings ascend in latitude).

    Returns
    -------
    band : Grid
        Its rings and cells, in the grid's order, with the same areas, weights, spacing and Earth.
    cells : ndarray of int, shape (n_band_cell,)
        Index of each band cell in ``grid``.

    Examples
    --------
    >>> from constellations import global_grid
    >>> g = global_grid(spacing_deg=10.0)
    >>> band, cells = band_grid(g, 0, 9)
    >>> len(band) + len(band_grid(g, 9, 18)[0]) == len(g), bool(band.lat_deg.max() < 0)
    (True, True)
    """
    rings = grid.rings
    if rings is None:
        raise ValueError("band_grid needs a ring grid; point lists are split by point")
    n_ring = len(rings.n)
    if not 0 <= ring_start < ring_stop <= n_ring:
        raise ValueError(f"ring range {ring_start}..{ring_stop} must satisfy 0 <= start < stop <= "
                         f"{n_ring} (the grid's rings)")
    first = int(rings.offset[ring_start])
    stop = int(rings.offset[ring_stop - 1] + rings.n[ring_stop - 1])
    scan = np.arange(rings.n_points) if grid.scan_index is None else np.asarray(grid.scan_index)
    cells = np.flatnonzero((scan >= first) & (scan < stop))
    n = rings.n[ring_start:ring_stop]
    sub = Rings(lat_rad=rings.lat_rad[ring_start:ring_stop], n=n,
                offset=np.concatenate([[0], np.cumsum(n)[:-1]]).astype(rings.offset.dtype))
    local = scan[cells] - first
    scan_index = None if local.size == sub.n_points and np.all(local == np.arange(local.size)) else local
    band = Grid(lat_deg=grid.lat_deg[cells], lon_deg=grid.lon_deg[cells],
                area_km2=grid.area_km2[cells], weight=grid.weight[cells],
                name=f"{grid.name}, rings {ring_start}-{ring_stop - 1}", spacing_deg=grid.spacing_deg,
                rings=sub, scan_index=scan_index,
                names=None if grid.names is None else grid.names[cells], earth=grid.earth)
    return band, cells


def split_bands(grid: Grid, n_parts: int) -> list[tuple[Grid, np.ndarray]]:
    """Split a grid into at most ``n_parts`` parts of about equal cell counts, south to north.

    Ring grids are cut between whole rings (:func:`band_grid`), point lists between points; parts
    without cells are dropped. Returns ``(part, cells)`` pairs as :func:`band_grid` does.
    """
    n_parts = int(n_parts)
    if n_parts < 1:
        raise ValueError(f"n_parts must be a positive integer, got {n_parts!r}")
    if grid.rings is None:
        return [(_point_part(grid, cells), cells)
                for cells in np.array_split(np.arange(len(grid)), min(n_parts, len(grid)))]
    rings = grid.rings
    scan = np.arange(rings.n_points) if grid.scan_index is None else np.asarray(grid.scan_index)
    ring_of_cell = np.searchsorted(rings.offset, scan, side="right") - 1
    per_ring = np.bincount(ring_of_cell, minlength=len(rings.n))
    cum = np.cumsum(per_ring)
    cuts = np.searchsorted(cum, len(grid) * np.arange(1, n_parts) / n_parts, side="left") + 1
    edges = np.unique(np.concatenate([[0], np.clip(cuts, 1, len(rings.n)), [len(rings.n)]]))
    parts = [band_grid(grid, int(a), int(b)) for a, b in itertools.pairwise(edges)]
    return [(g, cells) for g, cells in parts if cells.size]


def _point_part(grid: Grid, cells: np.ndarray) -> Grid:
    return Grid(lat_deg=grid.lat_deg[cells], lon_deg=grid.lon_deg[cells],
                area_km2=grid.area_km2[cells], weight=grid.weight[cells],
                name=f"{grid.name}, points {cells[0]}-{cells[-1]}", spacing_deg=grid.spacing_deg,
                names=None if grid.names is None else grid.names[cells], earth=grid.earth)


def merge_bands(parts, cells, grid: Grid):
    """Merge per-band results of :func:`constellations.analyze` into the result for ``grid``.

    Parameters
    ----------
    parts : sequence of xarray.Dataset
        ``analyze`` results of the parts, with the same constellation, times and parameters.
    cells : sequence of ndarray of int
        Index in ``grid`` of each part's cells (from :func:`split_bands`); together a permutation.
    grid : Grid
        The whole grid.

    Returns
    -------
    xarray.Dataset
        Variables and coordinates on ``cell`` concatenated in the grid's cell order; variables on
        ``time`` only (area-weighted means over the grid) recombined as ``sum_b W_b x_b / sum_b W_b``
        with ``W_b`` the parts' total weights; other variables and coordinates from the first part;
        attributes of the first part with the whole grid's ``title``, ``grid`` and ``grid_cells``,
        ``never_covered_cells`` summed, and a new ``created_utc``.
    """
    import xarray as xr

    index = np.concatenate(cells)
    if index.size != len(grid) or not np.array_equal(np.sort(index), np.arange(len(grid))):
        raise ValueError("the parts' cells must cover every cell of the grid exactly once")
    order = np.argsort(index, kind="stable")
    weights = np.array([float(np.sum(grid.weight[c])) for c in cells])
    share = weights / weights.sum() if weights.sum() > 0 else np.full(len(cells), 1.0 / len(cells))
    first = parts[0]

    def merged(name, var):
        if "cell" in var.dims:
            axis = var.dims.index("cell")
            data = np.concatenate([p[name].values for p in parts], axis=axis)
            return var.dims, np.take(data, order, axis=axis), var.attrs
        if var.dims == ("time",) and name in first.data_vars:
            total = sum(s * p[name].values for s, p in zip(share, parts, strict=True))
            return var.dims, total, var.attrs
        return var.dims, var.values, var.attrs

    data_vars = {name: merged(name, var) for name, var in first.data_vars.items()}
    coords = {name: merged(name, var) for name, var in first.coords.items()}
    attrs = dict(first.attrs)
    attrs.update({
        "title": first.attrs["title"].replace(parts[0].attrs["grid"], grid.name),
        "grid": grid.name,
        "grid_cells": len(grid),
        "never_covered_cells": int(sum(int(p.attrs["never_covered_cells"]) for p in parts)),
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def run_bands(analyze, constellation, grid: Grid, start, duration_s: float, step_s: float, *,
              client, n_parts: int | None = None, keep_counts_max: int, **analyze_kwargs):
    """Run ``analyze`` on latitude bands of ``grid`` on a Dask cluster and merge the results.

    Parameters
    ----------
    analyze : callable
        :func:`constellations.analyze` (passed in, so that the engine can call this module).
    constellation, grid, start, duration_s, step_s, **analyze_kwargs
        As for ``analyze``; ``threads`` defaults to 1 on the workers, ``progress`` is off there.
    client : distributed.Client
    n_parts : int, optional
        Number of bands (default: :data:`PARTS_PER_THREAD` per worker thread of the cluster).
    keep_counts_max : int
        The engine's ``KEEP_COUNTS_MAX``: whether ``visible_count`` is kept is decided for the whole
        grid, as ``analyze`` would, not per band.

    Returns
    -------
    xarray.Dataset
        :func:`merge_bands` of the parts.
    """
    if not isinstance(grid, Grid):
        raise ValueError(f"grid must be a Grid (e.g. global_grid(spacing_deg=1.0)), got "
                         f"{type(grid).__name__}")
    if n_parts is None:
        n_parts = PARTS_PER_THREAD * (sum(client.nthreads().values()) or 1)
    split = split_bands(grid, n_parts)
    kwargs = {"threads": 1, **analyze_kwargs, "progress": False}
    if kwargs.get("keep_counts") is None:
        n_steps = int(np.floor(float(duration_s) / float(step_s) + 1e-9))
        kwargs["keep_counts"] = not grid.is_ring_grid and n_steps * len(grid) <= keep_counts_max
    futures = [client.submit(analyze, constellation, part, start, duration_s, step_s, pure=False,
                             **kwargs) for part, _ in split]
    parts = client.gather(futures)
    return merge_bands(parts, [cells for _, cells in split], grid)
