"""Figures of coverage results: equal-area maps, latitude profiles, revisit CDFs, time series, a dashboard.

Every function takes a list of result Datasets from :func:`constellations.analyze` (one per
constellation, on the same grid) and returns a :class:`matplotlib.figure.Figure`. Figures are built
without ``pyplot``, so they work headless (no GUI backend is ever selected) and display in Jupyter;
matplotlib is imported only when a figure is drawn. Write them with
:func:`~constellations.plotting.style.save_figure` or draw a set into a folder with
:func:`draw_figures`.

Conventions: maps use the Equal Earth projection (:mod:`.projection`) with Natural Earth coastlines
(:mod:`.basemap`); continuous values use viridis (revisit reversed, so bright always means better);
lines and table headers use each constellation's fixed identity colour (:mod:`.style`); every axis
and colour bar names its unit; a caption line under each figure gives the constellations and the
analysis parameters read from the Datasets' attributes. Honesty rules: a map panel that would show one
thing everywhere (always in view, 100 %) is left out and named in the caption
(:func:`uninformative_reason`); satellite counts that differ by orders of magnitude get one colour
scale per panel; log axes draw 0 at a labelled edge, never drop it; gaps and waits in the dashboard are
over the covered area, with the never-covered share in words; synthetic layouts are flagged in every
title and legend (:func:`~constellations.plotting.style.result_label`); counts have whole-number
ticks. Ring-grid cells are drawn exactly: the map
is rasterized by looking up, for each pixel, the latitude ring and the cell in that ring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .basemap import draw_basemap
from .projection import X_MAX, Y_MAX, equal_earth, equal_earth_inverse, format_lat, format_lon
from .style import (
    PANEL_WIDTH_IN,
    constellation_colours,
    escape_text,
    format_count,
    format_duration_s,
    format_percent,
    integer_ticks,
    new_figure,
    result_label,
    save_figure,
)

__all__ = [
    "FIGURES",
    "city_visibility",
    "coverage_timeseries",
    "dashboard",
    "draw_figures",
    "headline_numbers",
    "latitude_profiles",
    "maps",
    "maps_into",
    "nfold_level",
    "nfold_map",
    "revisit_cdf",
    "uninformative_reason",
]

NEVER_COLOR = "#6e6e6e"  # stripes of never-covered cells (with white)
UNDEFINED_COLOR = "#c8c8c8"  # cells whose value is NaN
ZERO_COLOR = "#fdf8dc"  # zero on a log scale (revisit: always in view), paler than viridis' yellow
OUTSIDE_COLOR = "#f2f2f2"  # inside the map outline but outside the grid
MAX_CITY_PANELS = 12

_REVISIT_EXTRA = ("time_average_gap_s",)


# --------------------------------------------------------------------------- input checks


def _as_results(results, what="results"):
    if hasattr(results, "data_vars"):
        results = [results]
    try:
        results = list(results)
    except TypeError:
        raise ValueError(f"{what} must be a list of xarray Datasets from constellations.analyze(), "
                         f"got {type(results).__name__}") from None
    if not results:
        raise ValueError(f"{what} is empty; give at least one Dataset from constellations.analyze()")
    for i, ds in enumerate(results):
        if not (hasattr(ds, "data_vars") and "lat_deg" in getattr(ds, "coords", {})):
            raise ValueError(f"{what}[{i}] is a {type(ds).__name__}, not a result Dataset from "
                             "constellations.analyze() or constellations.load()")
    return results


def _check_variable(results, variable, dims=("cell",)):
    for ds in results:
        if variable not in ds.data_vars:
            allowed = sorted(k for k, v in ds.data_vars.items() if v.dims == dims)
            raise ValueError(f"variable {variable!r} is not in the result of "
                             f"{ds.attrs.get('constellation', '?')!r}; allowed: {', '.join(allowed)}")
        if ds[variable].dims != dims:
            extra = [d for d in ds[variable].dims if d not in dims]
            example = ", ".join(f"{d}={ds[d].values[0]!r}" for d in extra)
            raise ValueError(f"variable {variable!r} has dimensions {ds[variable].dims}, expected "
                             f"{dims}; select one level first, e.g. "
                             f"[ds.sel({example}) for ds in results]")


def _is_revisit(variable: str) -> bool:
    return (variable.startswith("revisit_") or variable.endswith("_response_time_s")
            or variable in _REVISIT_EXTRA)


def _name(ds) -> str:
    """The label a result is shown under (its constellation, flagged when the layout is synthetic)."""
    return result_label(ds.attrs)


# --------------------------------------------------------------------------- units and captions


@dataclass(frozen=True)
class _Display:
    """How a variable is shown: ``shown = value * scale`` in ``unit``."""

    scale: float
    unit: str
    long_name: str

    @property
    def label(self) -> str:
        return f"{self.long_name} ({self.unit})" if self.unit else self.long_name


def _time_unit(max_s: float) -> tuple[float, str]:
    if not np.isfinite(max_s) or max_s < 120.0:
        return 1.0, "s"
    if max_s < 48 * 3600.0:
        return 1.0 / 60.0, "min"
    return 1.0 / 3600.0, "h"


def _display(results, variable, unit_s: str | None = None) -> _Display:
    da = results[0][variable]
    units = str(da.attrs.get("units", ""))
    long_name = _SHORT.get(variable) or str(da.attrs.get("long_name", variable))
    if units == "1" and "fraction" in variable:
        return _Display(100.0, "%", long_name)
    if units == "s":
        if unit_s is None:
            top = max((np.nanmax(ds[variable].values, initial=-np.inf) for ds in results), default=np.nan)
            scale, unit = _time_unit(float(top))
        else:
            scale, unit = {"s": 1.0, "min": 1 / 60.0, "h": 1 / 3600.0}[unit_s], unit_s
        return _Display(scale, unit, long_name)
    if units == "1" or (units.rstrip("s") and units.rstrip("s") in long_name):  # no "(satellites)" twice
        units = ""
    return _Display(1.0, units, long_name)


_SHORT = {  # axis labels and titles for the common variables (long_name otherwise)
    "coverage_time_fraction": "coverage time",
    "revisit_mean_s": "mean revisit (mean gap)",
    "revisit_max_s": "longest gap (max revisit)",
    "revisit_min_s": "shortest gap",
    "visible_mean": "satellites in view, time mean",
    "visible_max": "satellites in view, max",
    "visible_min": "satellites in view, min",
    "mean_response_time_s": "mean response time",
    "time_average_gap_s": "time-average gap",
    "access_duration_mean_s": "mean access duration",
}


def _title_name(results, variable) -> str:
    """Capitalized short name of a variable, for titles."""
    name = _SHORT.get(variable) or str(results[0][variable].attrs.get("long_name", variable))
    return name[:1].upper() + name[1:]


def _colours(results) -> dict[str, str]:
    """Each constellation's identity colour, distinct within the figure (see :mod:`.style`)."""
    return constellation_colours([_name(ds) for ds in results])


# --------------------------------------------------------------------------- rasterizing ring grids


def _ring_table(lat_deg, lon_deg, spacing_deg):
    """Map every cell of a ring grid to its slot in the global ring layout, or None if it is not one.

    Returns ``(dlat_deg, n_per_ring, offset, table)`` where ``table[offset[j] + k]`` is the index of
    the Dataset cell at ring ``j``, cell ``k`` (``-1``: not in the grid).
    """
    if not np.isfinite(spacing_deg) or spacing_deg <= 0:
        return None
    n_ring = max(1, round(180.0 / spacing_deg))
    dlat = np.pi / n_ring
    edges = -np.pi / 2 + dlat * np.arange(n_ring + 1)
    lat_c = 0.5 * (edges[:-1] + edges[1:])
    n = np.maximum(1, np.round(2 * np.pi * np.cos(lat_c) / np.radians(spacing_deg))).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(n)[:-1]])
    dlat_deg = 180.0 / n_ring
    j = np.clip(np.round((lat_deg + 90.0) / dlat_deg - 0.5).astype(np.int64), 0, n_ring - 1)
    k = np.floor((lon_deg + 180.0) * n[j] / 360.0).astype(np.int64)
    k = np.clip(k, 0, n[j] - 1)
    lon_c = -180.0 + (k + 0.5) * 360.0 / n[j]
    ok = (np.abs(np.degrees(lat_c[j]) - lat_deg) < 1e-6) & (np.abs(lon_c - lon_deg) < 1e-6)
    slot = offset[j] + k
    if not ok.all() or np.unique(slot).size != slot.size:
        return None
    table = np.full(int(n.sum()), -1, dtype=np.int64)
    table[slot] = np.arange(slot.size)
    return dlat_deg, n, offset, table


@dataclass
class _Raster:
    """Pixel -> cell lookup for one grid over one map extent."""

    extent: tuple[float, float, float, float]  # x0, x1, y0, y1 in Earth radii
    cell: np.ndarray  # (ny, nx) int, -1 outside the grid, -2 outside the map


def _grid_key(ds):
    return (ds.attrs.get("grid"), ds.sizes["cell"], float(ds.attrs.get("grid_spacing_deg", np.nan)))


def _map_extent(results):
    """Projected extent of the cells (whole map for global grids), with a small margin."""
    full = (-X_MAX, X_MAX, -Y_MAX, Y_MAX)
    lat = np.concatenate([ds["lat_deg"].values for ds in results])
    lon = np.concatenate([ds["lon_deg"].values for ds in results])
    spacing = float(results[0].attrs.get("grid_spacing_deg", np.nan))
    if not np.isfinite(spacing):  # points: whole world
        return full
    h = spacing
    la = np.clip(np.concatenate([lat - h, lat + h, lat - h, lat + h]), -90, 90)
    cos = np.maximum(np.cos(np.radians(lat)), 1e-3)
    w = np.minimum(h / cos, 180.0)
    lo = np.clip(np.concatenate([lon - w, lon - w, lon + w, lon + w]), -180, 180)
    x, y = equal_earth(lo, la)
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    if (x1 - x0) > 1.6 * X_MAX and (y1 - y0) > 1.6 * Y_MAX:
        return full
    pad = 0.04 * max(x1 - x0, y1 - y0)
    return (max(x0 - pad, full[0]), min(x1 + pad, full[1]), max(y0 - pad, full[2]), min(y1 + pad, full[3]))


def _raster(ds, extent, width_px=None):
    """Cell index of every pixel of the map extent (exact ring lookup, nearest cell otherwise)."""
    lat, lon = ds["lat_deg"].values.astype(float), ds["lon_deg"].values.astype(float)
    spacing = float(ds.attrs.get("grid_spacing_deg", np.nan))
    x0, x1, y0, y1 = extent
    if width_px is None:
        cells_across = (x1 - x0) / (2 * X_MAX) * 360.0 / (spacing if np.isfinite(spacing) else 1.0)
        width_px = int(np.clip(4 * cells_across, 400, 1600))
    height_px = max(2, round(width_px * (y1 - y0) / (x1 - x0)))
    xs = x0 + (np.arange(width_px) + 0.5) * (x1 - x0) / width_px
    ys = y0 + (np.arange(height_px) + 0.5) * (y1 - y0) / height_px
    plon, plat = equal_earth_inverse(xs[None, :], ys[:, None])
    inside = np.isfinite(plon)
    cell = np.full(plon.shape, -2, dtype=np.int64)
    table = _ring_table(lat, lon, spacing)
    if table is not None:
        dlat, n, offset, tab = table
        la, lo = plat[inside], plon[inside]
        j = np.clip(np.floor((la + 90.0) / dlat).astype(np.int64), 0, n.size - 1)
        k = np.clip(np.floor((lo + 180.0) * n[j] / 360.0).astype(np.int64), 0, n[j] - 1)
        cell[inside] = tab[offset[j] + k]
    else:  # not a ring grid: nearest cell centre within about one spacing
        from scipy.spatial import cKDTree

        def unit(la, lo):
            la, lo = np.radians(la), np.radians(lo)
            return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

        limit = np.radians(1.5 * spacing) if np.isfinite(spacing) else np.inf
        dist, idx = cKDTree(unit(lat, lon)).query(unit(plat[inside], plon[inside]),
                                                  distance_upper_bound=limit)
        cell[inside] = np.where(np.isfinite(dist), idx, -1)
    return _Raster(extent, cell)


# --------------------------------------------------------------------------- map drawing


@dataclass
class _MapStyle:
    norm: object
    cmap: object
    display: _Display
    zero_label: str
    nan_label: str


def _map_style(results, variable, log, vmin, vmax) -> _MapStyle:
    import matplotlib as mpl
    from matplotlib.colors import LogNorm, Normalize

    revisit = _is_revisit(variable)
    if log is None:
        log = revisit
    disp = _display(results, variable)
    shown = []
    for ds in results:  # never-covered cells have their own class: keep them out of the range
        v = ds[variable].values.astype(float) * disp.scale
        if "never_covered" in ds.data_vars:
            v = v[~ds["never_covered"].values.astype(bool)]
        shown.append(v)
    finite = np.concatenate([v[np.isfinite(v)] for v in shown])
    lo = None if vmin is None else float(vmin) * disp.scale
    hi = None if vmax is None else float(vmax) * disp.scale
    if log:
        pos = finite[finite > 0]
        if not pos.size:  # nothing to scale by: from one step to the analysis length
            a = results[0].attrs
            pos = np.array([float(a.get("step_s", 1.0)), float(a.get("duration_s", 10.0))]) * disp.scale
        if lo is None:
            lo = float(pos.min())
        if hi is None:
            hi = float(pos.max())
        if hi <= lo:
            lo, hi = lo / 2.0, hi * 2.0
        norm = LogNorm(vmin=lo, vmax=hi, clip=False)
    else:
        if disp.unit == "%":
            lo = 0.0 if lo is None else lo
            hi = 100.0 if hi is None else hi
        if lo is None:
            lo = min(0.0, float(finite.min())) if finite.size else 0.0
        if hi is None:
            hi = float(finite.max()) if finite.size else 1.0
        if hi <= lo:
            hi = lo + 1.0
        norm = Normalize(vmin=lo, vmax=hi, clip=False)
    cmap = mpl.colormaps["viridis_r" if revisit else "viridis"]
    zero_label = "no gap: always in view" if revisit else "0 or less (off the log scale)"
    nan_label = "undefined: no gap between two accesses" if revisit else "no value (NaN)"
    return _MapStyle(norm, cmap, disp, zero_label, nan_label)


def _classes(ds, variable, log):
    """Per-cell class: 0 value, 1 never covered, 2 NaN, 3 zero on a log scale."""
    v = ds[variable].values.astype(float)
    never = (ds["never_covered"].values.astype(bool) if "never_covered" in ds.data_vars
             else np.zeros(v.shape, dtype=bool))
    cls = np.zeros(v.shape, dtype=np.int8)
    cls[~np.isfinite(v)] = 2
    if log:
        cls[np.isfinite(v) & (v <= 0)] = 3
    cls[never] = 1
    return cls


def _draw_map_panel(ax, ds, variable, style, log, raster, *, borders=False):
    """Draw one constellation's values on an Equal Earth axes; return the classes present."""
    from matplotlib.colors import to_rgba

    x0, x1, y0, y1 = raster.extent
    present = set()
    if raster.cell is None:  # point grid: markers
        v = ds[variable].values.astype(float) * style.display.scale
        cls = _classes(ds, variable, log)
        x, y = equal_earth(ds["lon_deg"].values, ds["lat_deg"].values)
        ok = cls == 0
        ax.scatter(x[ok], y[ok], c=v[ok], cmap=style.cmap, norm=style.norm, s=22, edgecolors="black",
                   linewidths=0.4, zorder=6)
        colors = {1: "white", 2: UNDEFINED_COLOR, 3: ZERO_COLOR}
        for c in (1, 2, 3):
            sel = cls == c
            if sel.any():
                present.add(c)
                ax.scatter(x[sel], y[sel], s=22, c=colors[c], edgecolors=NEVER_COLOR,
                           hatch="////" if c == 1 else None, linewidths=0.6, zorder=6)
        draw_basemap(ax, raster.extent, borders=borders)
        return present
    cell = raster.cell
    v = ds[variable].values.astype(float) * style.display.scale
    cls = _classes(ds, variable, log)
    valid = cell >= 0
    img = np.full(cell.shape, np.nan)
    img[valid] = v[cell[valid]]
    pcls = np.full(cell.shape, -1, dtype=np.int8)
    pcls[valid] = cls[cell[valid]]
    img[pcls != 0] = np.nan
    ax.imshow(img, origin="lower", extent=(x0, x1, y0, y1), cmap=style.cmap, norm=style.norm,
              interpolation="nearest", zorder=1)
    rgba = np.zeros((*cell.shape, 4))
    rgba[cell == -1] = to_rgba(OUTSIDE_COLOR)
    iy, ix = np.indices(cell.shape)
    period = max(4, cell.shape[1] // 110)
    stripe = ((ix + iy) // (period // 2)) % 2 == 0
    never = pcls == 1
    rgba[never & stripe] = to_rgba(NEVER_COLOR)
    rgba[never & ~stripe] = to_rgba("white")
    rgba[pcls == 2] = to_rgba(UNDEFINED_COLOR)
    rgba[pcls == 3] = to_rgba(ZERO_COLOR)
    for c in (1, 2, 3):
        if np.any(pcls == c):
            present.add(c)
    if present or np.any(cell == -1):
        ax.imshow(rgba, origin="lower", extent=(x0, x1, y0, y1), interpolation="nearest", zorder=2)
    draw_basemap(ax, raster.extent, borders=borders)
    return present


def _category_handles(present, style):
    from matplotlib.patches import Patch

    handles = []
    if 1 in present:
        handles.append(Patch(facecolor="white", edgecolor=NEVER_COLOR, hatch="////", label="never covered"))
    if 3 in present:
        handles.append(Patch(facecolor=ZERO_COLOR, edgecolor="0.3", lw=0.6, label=style.zero_label))
    if 2 in present:
        handles.append(Patch(facecolor=UNDEFINED_COLOR, edgecolor="0.3", lw=0.6, label=style.nan_label))
    return handles


def _log_axis_format(axis, lo=None, hi=None, *, zero_at=None):
    """Plain-number ticks (1, 2, 5, 10, ...) on a log axis, denser when the range is short.

    With ``zero_at`` (where 0 is drawn, see :func:`_mark_zero`) no tick sits closer than a factor
    of 2.2 to it, so the "0" label never overlaps another.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    if lo is None or hi is None:
        lo, hi = axis.get_view_interval()
    decades = np.log10(hi / lo) if lo > 0 and hi > lo else 3.0
    subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if decades < 1.2 else (1.0, 2.0, 5.0) if decades < 4 else (1.0,)
    locator = LogLocator(base=10, subs=subs)
    if zero_at is not None:
        ticks = [t for t in locator.tick_values(lo, hi) if 2.2 * zero_at <= t <= hi * 1.0001]
        locator = FixedLocator(ticks)
    axis.set_major_locator(locator)
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _never(ds) -> np.ndarray:
    """Boolean (n_cell,): cells never covered (``never_covered``, else coverage time 0)."""
    if "never_covered" in ds.data_vars:
        return ds["never_covered"].values.astype(bool)
    if "coverage_time_fraction" in ds.data_vars:
        return ds["coverage_time_fraction"].values.astype(float) <= 0
    return np.zeros(ds.sizes["cell"], dtype=bool)


def _area_share(ds, mask) -> float:
    w = ds["weight"].values.astype(float) if "weight" in ds.coords else np.ones(ds.sizes["cell"])
    return float(w[mask].sum() / w.sum()) if w.sum() > 0 else float("nan")


def uninformative_reason(ds, variable) -> str | None:
    """Why a map panel of ``variable`` would carry no information, in words; None if it would.

    Parameters
    ----------
    ds : xarray.Dataset
        One result; ``variable`` on the ``cell`` dimension.
    variable : str

    Returns
    -------
    str or None
        A panel is uninformative when every cell shows the same thing: never covered anywhere, or
        one value everywhere (e.g. 100 % coverage time; for shares of time, 98 % of the cells within
        one percentage point, which is one colour to the eye). Except for the coverage time itself, the
        cells that are covered decide alone: "always in view where covered" (every gap 0) or "0 %
        wherever covered" is saturated even when polar caps are never covered (those show on the
        coverage map). The text reads after the
        constellation's name, e.g. ``"no gap: always in view where covered (never covered: 15 %
        of the area)"``.
    """
    v = ds[variable].values.astype(float)
    never = _never(ds)
    if never.all():
        return "never covered anywhere on this grid"
    covered = v[~never & np.isfinite(v)]
    if covered.size == 0:
        return None
    if "fraction" in variable and not _is_revisit(variable):
        # shares of time: one colour to the eye when 98 % of the cells lie within 1 percentage point
        lo, hi = np.percentile(covered, [1.0, 99.0])
        if hi - lo > 0.01:
            return None
        covered = np.full(1, np.median(covered))
    elif np.ptp(covered) > 1e-9 * max(1.0, float(np.abs(covered).max())):
        return None
    if np.any(~never & ~np.isfinite(v)):
        return None
    share = _area_share(ds, never)
    caps = f" (never covered: {format_percent(share, digits=0)} of the area)" if never.any() else ""
    if _is_revisit(variable):
        if covered[0] == 0:
            return "no gap: always in view where covered" + caps
        return f"the same value everywhere it covers ({format_duration_s(covered[0])}){caps}"
    if never.any() and variable == "coverage_time_fraction":
        return None  # the never-covered area is the information
    if "fraction" in variable:
        where = "wherever covered" if never.any() else "everywhere"
        return f"{format_percent(covered[0], digits=0)} {where}{caps}"
    if "fraction" in variable:
        return f"{format_percent(covered[0], digits=0)} everywhere"
    return f"{covered[0]:g} everywhere"


def nfold_level(results) -> int:
    """The N of the "share of time with at least N in view" map that tells the results apart best.

    Parameters
    ----------
    results : list of xarray.Dataset
        With ``nfold_time_fraction`` (cell, nfold).

    Returns
    -------
    int
        Among the levels N >= 2 (1 if there is none), the one with the most informative panels
        (:func:`uninformative_reason`); ties go to the level whose area means differ most between
        the results, then to the larger N.
    """
    levels = sorted({int(n) for ds in results for n in ds["nfold"].values})
    candidates = [n for n in levels if n >= 2] or levels
    shared = [n for n in candidates if all(n in set(int(x) for x in ds["nfold"].values) for ds in results)]
    candidates = shared or candidates

    def score(n):
        sel = [ds.sel(nfold=n) for ds in results]
        means = [headline_numbers(d)["nfold"].get(n, np.nan) for d in results]
        return (sum(uninformative_reason(d, "nfold_time_fraction") is None for d in sel),
                float(np.nanstd(means)) if len(means) > 1 else 0.0, n)

    return max(candidates, key=score)


def _regional(extent) -> bool:
    return (extent[1] - extent[0]) < 1.9 * X_MAX


def _colourbar(fig, mappable, axes, label, log, style):
    cbar = fig.colorbar(mappable, ax=axes, orientation="horizontal", shrink=0.6 if len(axes) > 1 else 0.8,
                        aspect=40 if len(axes) > 1 else 25, pad=0.03, fraction=0.05)
    cbar.set_label(label, fontsize=9)
    cbar.ax.tick_params(labelsize=8)
    if log:
        _log_axis_format(cbar.ax.xaxis, style.norm.vmin, style.norm.vmax)
    elif style.display.unit == "" and style.norm.vmax - style.norm.vmin >= 3:
        integer_ticks(cbar.ax.xaxis)
    return cbar


def maps_into(fig, results, variable, *, log, vmin, vmax, ncols=None, panel_titles=True,
              label=None, shared_scale=True):
    """Draw one map per result into ``fig`` (a Figure or SubFigure) with colour bars.

    ``shared_scale=True`` puts one colour bar under all panels; ``False`` gives each panel its own
    scale and colour bar (for counts that differ by orders of magnitude between constellations, so
    that a 78-satellite panel is not one flat colour). Returns ``(axes, colour bars)``: the list of
    drawn axes and the colour bar (shared) or the list of colour bars (one per panel).
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm

    n = len(results)
    ncols = ncols or min(n, 3)
    nrows = math.ceil(n / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    extent = _map_extent(results)
    regional = _regional(extent)
    styles = ([_map_style(results, variable, log, vmin, vmax)] * n if shared_scale
              else [_map_style([ds], variable, log, vmin, vmax) for ds in results])
    rasters = {}
    present = set()
    for ax, ds, style in zip(axes, results, styles, strict=False):
        key = _grid_key(ds)
        if key not in rasters:
            is_points = not np.isfinite(float(ds.attrs.get("grid_spacing_deg", np.nan)))
            rasters[key] = _Raster(extent, None) if is_points else _raster(ds, extent)
        present |= _draw_map_panel(ax, ds, variable, style, isinstance(style.norm, LogNorm), rasters[key],
                                   borders=regional)
        if panel_titles:
            ax.set_title(escape_text(_name(ds)), fontsize=10)
    for ax in axes[n:]:
        ax.set_visible(False)
    if shared_scale:
        style = styles[0]
        cbars = _colourbar(fig, ScalarMappable(norm=style.norm, cmap=style.cmap), list(axes[:n]),
                           label or style.display.label, isinstance(style.norm, LogNorm), style)
    else:
        cbars = [_colourbar(fig, ScalarMappable(norm=st.norm, cmap=st.cmap), [ax],
                            label or st.display.label, isinstance(st.norm, LogNorm), st)
                 for ax, st in zip(axes[:n], styles, strict=True)]
    handles = _category_handles(present, styles[0])
    if handles:  # under the colour bar, so that every row of maps keeps the same width
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8,
                   frameon=False, handlelength=1.6, handleheight=1.1, columnspacing=1.5)
    return axes[:n], cbars


def _per_panel_default(results, variable) -> bool:
    """Own colour scales for satellite counts whose panels differ by more than a factor of 4."""
    if not variable.startswith("visible_") or len(results) < 2:
        return False
    tops = [float(np.nanmax(ds[variable].values, initial=0.0)) for ds in results]
    return max(tops) > 4.0 * max(min(tops), 1e-9)


def maps(results, variable, *, log=None, title=None, caption=None, vmin=None, vmax=None,
         shared_scale=None, drop_uninformative=True, label=None):
    """Side-by-side Equal Earth maps of one per-cell variable, one panel per constellation.

    Parameters
    ----------
    results : list of xarray.Dataset
        Results of :func:`constellations.analyze`, one per constellation (ring grids are drawn cell
        by cell; point grids as markers).
    variable : str
        A variable on the ``cell`` dimension, e.g. ``"coverage_time_fraction"``, ``"revisit_max_s"``,
        ``"visible_mean"``. For variables with another dimension select a level first, e.g.
        ``[ds.sel(percentile=95) for ds in results]`` with ``"revisit_percentile_s"``.
    log : bool, optional
        Logarithmic colour scale. Default: on for revisit variables (``revisit_*``,
        ``*_response_time_s``, ``time_average_gap_s``), off otherwise.
    title : str, optional
        Figure title (default: what is shown and the grid).
    caption : str, optional
        A line printed above the automatic caption (constellations and analysis parameters).
    vmin, vmax : float, optional
        Colour scale limits in the variable's own units (seconds, fraction 0-1, satellites).
        Default: from the data (0-100 % for fractions).
    shared_scale : bool, optional
        One colour scale for all panels (True) or one per panel (False). Default: per panel for
        satellite counts whose largest panel maximum exceeds the smallest by more than a factor of
        4, shared otherwise.
    drop_uninformative : bool
        Leave out panels that would show one thing everywhere (:func:`uninformative_reason`, e.g.
        a revisit map of a constellation that is always in view) and say so in the caption; if
        every panel is uninformative all are drawn.
    label : str, optional
        Colour-bar label (default: the variable's name and unit).

    Returns
    -------
    matplotlib.figure.Figure
        Colour bars with units (times in s, min or h, fractions in %); never-covered cells hatched,
        NaN cells grey, zero on a log scale (no gap: always in view) pale cream, each with a legend
        entry only when present.
    """
    results = _as_results(results)
    _check_variable(results, variable)
    notes = []
    if drop_uninformative and len(results) > 1:
        reasons = [uninformative_reason(ds, variable) for ds in results]
        if not all(reasons):
            notes = [f"{_name(ds)}: {r}" for ds, r in zip(results, reasons, strict=True) if r]
            results = [ds for ds, r in zip(results, reasons, strict=True) if not r]
    if shared_scale is None:
        shared_scale = not _per_panel_default(results, variable)
    n = len(results)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    width = max(PANEL_WIDTH_IN * ncols + 0.4, 7.0)
    extent = _map_extent(results)
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    bar_h = 0.0 if shared_scale else 0.3
    height = nrows * (PANEL_WIDTH_IN * aspect + 0.35 + bar_h) + 1.35
    if title is None:
        title = f"{_title_name(results, variable)} — {results[0].attrs.get('grid', '')}"
    note = ("Not drawn (the map would show one thing everywhere): " + "; ".join(notes) + ".") \
        if notes else None
    scale_note = None if shared_scale else "Each map has its own colour scale."
    cap = "\n".join(x for x in (caption, note, scale_note) if x) or None
    fig, main = new_figure(width, height, results, cap, title)
    maps_into(main, results, variable, log=log, vmin=vmin, vmax=vmax, ncols=ncols,
              shared_scale=shared_scale, label=label)
    return fig


# --------------------------------------------------------------------------- latitude profiles


def _ring_stats(ds, variable):
    """Weighted mean and max of a per-cell variable on each latitude ring (or point latitude)."""
    lat = np.round(ds["lat_deg"].values.astype(float), 6)
    rings, inv = np.unique(lat, return_inverse=True)
    v = ds[variable].values.astype(float)
    w = ds["weight"].values.astype(float) if "weight" in ds.coords else np.ones_like(v)
    ok = np.isfinite(v) & (w > 0)
    if _is_revisit(variable):  # gaps over the covered cells: a never-covered cap is no "long gap"
        ok &= ~_never(ds)
    wsum = np.bincount(inv[ok], weights=w[ok], minlength=rings.size)
    vsum = np.bincount(inv[ok], weights=(v * w)[ok], minlength=rings.size)
    mx = np.full(rings.size, -np.inf)
    np.maximum.at(mx, inv[ok], v[ok])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(wsum > 0, vsum / wsum, np.nan)
    return rings, mean, np.where(np.isfinite(mx), mx, np.nan)


def _log_floor(values_list, fallback: float) -> float:
    """Where zero sits on a log axis: half the smallest positive value (``fallback`` if none)."""
    pos = [v[np.isfinite(v) & (v > 0)] for v in values_list]
    pos = np.concatenate(pos) if pos else np.array([])
    return 0.5 * float(pos.min()) if pos.size else float(fallback)


def _mark_zero(axis, floor: float, label: str = "0") -> None:
    """Label the zero position ``floor`` of a log axis (values 0 are drawn there, never dropped)."""
    axis.set_ticks([floor], labels=[label], minor=True)
    axis.set_tick_params(which="minor", labelsize=7, length=4)


def _profile_into(ax, results, variable, *, legend=False):
    colours = _colours(results)
    disp = _display(results, variable)
    revisit = _is_revisit(variable)
    counts = variable.startswith("visible_")
    stats = {_name(ds): _ring_stats(ds, variable) for ds in results}
    floor = None
    if revisit or counts:
        values = [m * disp.scale for _, m, _ in stats.values()]
        if variable == "revisit_max_s":
            values += [mx * disp.scale for _, _, mx in stats.values()]
        step = float(results[0].attrs.get("step_s", 60.0)) * disp.scale
        floor = 0.6 * _log_floor(values, 0.5 * step if revisit else 0.02)
        top_value = max((float(np.nanmax(v, initial=0.0)) for v in values), default=0.0)
        floor = max(floor, 1e-4 * top_value)  # at most four decades: smaller values sit at the "0"
    for ds in results:
        rings, mean, mx = stats[_name(ds)]
        x = mean * disp.scale
        if floor is not None:  # zero (always in view / none in view) drawn at the labelled floor
            x = np.where(np.isfinite(x), np.maximum(x, floor), np.nan)
        ax.plot(x, rings, color=colours[_name(ds)], lw=1.5, label=escape_text(_name(ds)))
        if variable == "revisit_max_s":
            xm = mx * disp.scale
            xm = np.where(np.isfinite(xm), np.maximum(xm, floor), np.nan)
            ax.plot(xm, rings, color=colours[_name(ds)], lw=1.0, ls="--")
    if floor is not None:
        ax.set_xscale("log")
        top = max((float(np.nanmax(np.concatenate([s[1], s[2]]) * disp.scale, initial=floor))
                   for s in stats.values()), default=floor)
        ax.set_xlim(floor * 0.8, max(top, floor * 10) * 1.3)
        _log_axis_format(ax.xaxis, floor, max(top, floor * 10) * 1.3, zero_at=floor)
        _mark_zero(ax.xaxis, floor, "0")
    elif disp.unit == "%":
        ax.set_xlim(-2, 102)
    ax.set_ylim(-90, 90)
    ax.set_yticks(range(-90, 91, 30))
    label = disp.long_name if counts else disp.label
    ax.set_xlabel(label + (" (log; 0 at the left)" if floor is not None else ""), fontsize=8)
    ax.set_ylabel("latitude (deg)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, color="0.88", lw=0.5)
    title = "ring mean" + (" (dashed: ring max)" if variable == "revisit_max_s" else "")
    if revisit:
        title += "\nover covered cells (none: never covered)"
    ax.set_title(title, fontsize=8)
    if legend:
        ax.legend(fontsize=7, frameon=False)


def latitude_profiles(results, variables=("coverage_time_fraction", "revisit_mean_s", "revisit_max_s",
                                          "visible_mean"), *, caption=None):
    """Area-weighted mean of per-cell variables on each latitude ring, all constellations overlaid.

    Parameters
    ----------
    results : list of xarray.Dataset
    variables : sequence of str
        Per-cell variables, one subplot each (latitude on the y axis). Revisit variables and
        satellite counts use a log axis on which 0 (always in view; none in view) is drawn at the
        left edge, labelled "0", never dropped; ``revisit_max_s`` also shows each ring's maximum
        (dashed).
    caption : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    results = _as_results(results)
    variables = [variables] if isinstance(variables, str) else list(variables)
    if not variables:
        raise ValueError("variables is empty; give at least one per-cell variable name")
    for v in variables:
        _check_variable(results, v)
    n = len(variables)
    fig, main = new_figure(max(3.2 * n + 0.6, 6.0), 5.2, results, caption,
                            "Coverage, gaps and satellites in view by latitude — "
                            f"{results[0].attrs.get('grid', '')}")
    axes = main.subplots(1, n, sharey=True, squeeze=False).ravel()
    for ax, v in zip(axes, variables, strict=True):
        _profile_into(ax, results, v)
        ax.set_title(f"{_title_name(results, v)}\n{ax.get_title()}", fontsize=9)
    for ax in axes[1:]:
        ax.set_ylabel("")
    handles, labels = axes[0].get_legend_handles_labels()
    main.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize=8,
                frameon=False)
    return fig


# --------------------------------------------------------------------------- revisit CDF


def _cdf_into(ax, results, variable, *, legend=True):
    disp = _display(results, variable, "min")
    T = float(results[0].attrs.get("duration_s", np.nan)) * disp.scale
    positives = [ds[variable].values[np.isfinite(ds[variable].values) & (ds[variable].values > 0)]
                 for ds in results]
    allpos = np.concatenate(positives) * disp.scale if positives else np.array([])
    step_min = float(results[0].attrs.get("step_s", 60.0)) * disp.scale
    xmin = 0.5 * (allpos.min() if allpos.size else step_min)
    xmax = 1.5 * max(allpos.max() if allpos.size else 1.0, T if np.isfinite(T) else 0.0)
    colours = _colours(results)
    for ds in results:
        v = ds[variable].values.astype(float) * disp.scale
        w = ds["weight"].values.astype(float) if "weight" in ds.coords else np.ones_like(v)
        total = w[w > 0].sum()
        ok = np.isfinite(v) & (w > 0)
        order = np.argsort(v[ok], kind="stable")
        vs, ws = v[ok][order], w[ok][order]
        cum = 100.0 * np.cumsum(ws) / total
        zero = 100.0 * ws[vs <= 0].sum() / total
        pos = vs > 0
        xs = np.concatenate([[xmin], vs[pos], [xmax]])
        ys = np.concatenate([[zero], cum[pos], [cum[-1] if cum.size else 0.0]])
        undefined = 100.0 - (cum[-1] if cum.size else 0.0)
        never = 100.0 * _area_share(ds, _never(ds))
        notes = [f"never covered: {never:.0f} % of area" if never >= 0.5 else None,
                 f"{undefined:.0f} % of area undefined" if undefined >= 0.5 else None]
        notes = [x for x in notes if x]
        label = _name(ds) + (f" ({'; '.join(notes)})" if notes else "")
        ax.step(xs, ys, where="post", color=colours[_name(ds)], lw=1.5, label=escape_text(label))
    if np.isfinite(T):
        ax.axvline(T, color="0.4", lw=0.8, ls=":")
        ax.text(T, 50, "analysis length ", fontsize=6, color="0.35", ha="right", va="center",
                rotation=90)
    ax.set_xscale("log")
    ax.set_xlim(xmin * 0.85, xmax)
    _log_axis_format(ax.xaxis, xmin, xmax, zero_at=xmin)
    _mark_zero(ax.xaxis, xmin, "0")  # cells with no gap count from here
    ax.set_ylim(0, 101)
    ax.set_xlabel(disp.label, fontsize=8)
    ax.set_ylabel("share of area with value ≤ x (%)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, color="0.88", lw=0.5)
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="center left")  # clear of curves at 0 and 100 %


def revisit_cdf(results, variable="revisit_max_s", *, caption=None):
    """Area-weighted cumulative distribution of a per-cell revisit variable.

    Parameters
    ----------
    results : list of xarray.Dataset
    variable : str
        Per-cell variable in seconds (default the longest gap); shown in minutes on a log axis.
        Cells with value 0 (always in view) count from the left edge, labelled "0"; NaN cells never
        count, so a curve that stays below 100 % marks the share of area where the variable is
        undefined. Never-covered cells (whose longest gap is the whole window under the optimistic
        convention) are named with their share of area in the legend.
    caption : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    results = _as_results(results)
    _check_variable(results, variable)
    fig, main = new_figure(7.0, 5.0, results, caption,
                            f"{_title_name(results, variable)}: cumulative share of area")
    _cdf_into(main.subplots(), results, variable)
    return fig


# --------------------------------------------------------------------------- time series


def _same_start(results) -> bool:
    return len({ds["time"].values[0] for ds in results}) == 1


def _time_x(ds, same_start: bool):
    """UTC times when every result starts together, else hours since the result's own start."""
    return ds["time"].values if same_start else ds["time_s"].values / 3600.0


def _time_label(results) -> str:
    return "time (UTC)" if _same_start(results) else "hours since each start (see caption)"


def _time_axis(ax, same_start: bool = True):
    """UTC date axis; with differing starts (e.g. TLE snapshots) a plain axis of hours since start."""
    if not same_start:
        return
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    loc = AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))
    ax.xaxis.get_offset_text().set_fontsize(7)


def _timeseries_into(ax_cov, ax_vis, results, *, legend=True):
    colours = _colours(results)
    from matplotlib.lines import Line2D

    same = _same_start(results)
    for ds in results:
        t, colour = _time_x(ds, same), colours[_name(ds)]
        ax_cov.plot(t, 100.0 * ds["coverage_fraction"].values, color=colour, lw=1.2,
                    label=escape_text(_name(ds)))
        ax_cov.plot(t, 100.0 * ds["accumulated_coverage_fraction"].values, color=colour, lw=1.0, ls="--")
        if ax_vis is not None:
            ax_vis.plot(t, ds["visible_mean_weighted"].values, color=colour, lw=1.2,
                        label=escape_text(_name(ds)))
    ax_cov.set_ylim(0, 102)
    ax_cov.set_ylabel("area covered (%)", fontsize=8)
    ax_cov.grid(True, color="0.88", lw=0.5)
    ax_cov.tick_params(labelsize=7)
    style_handles = [Line2D([], [], color="0.2", lw=1.2, label="instantaneous"),
                     Line2D([], [], color="0.2", lw=1.0, ls="--", label="accumulated")]
    if legend:
        ax_cov.legend(handles=style_handles, fontsize=7, frameon=False, loc="lower right")
    bottom = ax_vis if ax_vis is not None else ax_cov
    bottom.set_xlabel(_time_label(results), fontsize=8)
    for ax in (ax_cov, ax_vis):
        if ax is not None:
            _time_axis(ax, same)
    if ax_vis is not None:
        ax_vis.set_ylabel("mean satellites in view", fontsize=8)
        ax_vis.set_ylim(bottom=0)
        ax_vis.grid(True, color="0.88", lw=0.5)
        ax_vis.tick_params(labelsize=7)
    return style_handles


def coverage_timeseries(results, *, caption=None):
    """Instantaneous and accumulated coverage, and the mean number in view, over time.

    Parameters
    ----------
    results : list of xarray.Dataset
    caption : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Top: area-weighted share of the grid covered at each step (solid) and covered at least
        once so far (dashed), in %; bottom: area-weighted mean number of satellites in view.
    """
    results = _as_results(results)
    for v in ("coverage_fraction", "accumulated_coverage_fraction", "visible_mean_weighted"):
        _check_variable(results, v, dims=("time",))
    fig, main = new_figure(9.0, 6.0, results, caption,
                            f"Coverage over time — {results[0].attrs.get('grid', '')}")
    ax_cov, ax_vis = main.subplots(2, 1, sharex=True)
    _timeseries_into(ax_cov, ax_vis, results)
    ax_cov.set_title("Coverage of the grid", fontsize=9)
    ax_vis.set_title("Satellites in view, area-weighted mean", fontsize=9)
    ax_cov.set_xlabel("")
    handles, labels = ax_vis.get_legend_handles_labels()
    main.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize=8,
                frameon=False)
    return fig


# --------------------------------------------------------------------------- cities


def _city_names(city_results):
    for i, ds in enumerate(city_results):
        if "visible_count" not in ds.data_vars:
            raise ValueError(f"city_results[{i}] ({_name(ds)!r}) has no 'visible_count'; analyze the "
                             "point grid with keep_counts=True")
        if "name" not in ds.coords:
            raise ValueError(f"city_results[{i}] ({_name(ds)!r}) has no 'name' coordinate; use "
                             "cs.city_grid() or cs.points(..., names=[...])")
    first = city_results[0]
    names = [str(x) for x in first["name"].values]
    w = first["weight"].values.astype(float) if "weight" in first.coords else np.ones(len(names))
    order = np.argsort(-w, kind="stable")[:MAX_CITY_PANELS]
    return [names[i] for i in sorted(order)], len(names)


def _city_into(ax, city_results, name, *, legend=False):
    colours = _colours(city_results)
    lat = lon = None
    same = _same_start(city_results)
    for ds in city_results:
        names = [str(x) for x in ds["name"].values]
        if name not in names:
            continue
        c = names.index(name)
        lat, lon = float(ds["lat_deg"].values[c]), float(ds["lon_deg"].values[c])
        counts = ds["visible_count"].values[:, c]
        ax.step(_time_x(ds, same), counts, where="post", color=colours[_name(ds)], lw=0.8,
                label=escape_text(_name(ds)))
    where = f" ({format_lat(round(lat, 1))}, {format_lon(round(lon, 1))})" if lat is not None else ""
    ax.set_title(escape_text(f"{name}{where}"), fontsize=9)
    top = max(int(ds["visible_count"].max()) for ds in city_results)  # panels share the y axis
    ax.set_ylim(-0.03 * (top + 1), top * 1.08 + 1)  # a line at 0 stays visible above the axis
    integer_ticks(ax.yaxis)
    ax.set_ylabel("satellites in view", fontsize=8)
    ax.grid(True, color="0.88", lw=0.5)
    ax.tick_params(labelsize=7)
    _time_axis(ax, same)
    if legend:
        ax.legend(fontsize=7, frameon=False)


def city_visibility(city_results, *, caption=None):
    """Number of satellites in view over time above named points, one panel per point.

    Parameters
    ----------
    city_results : list of xarray.Dataset
        Results on a point grid with names (:func:`constellations.city_grid` or
        :func:`constellations.points` with ``names``), one per constellation, holding
        ``visible_count`` (time, cell). At most 12 points are drawn: the 12 with the largest weight
        (population for city grids), in grid order.
    caption : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    city_results = _as_results(city_results, "city_results")
    names, total = _city_names(city_results)
    n = len(names)
    ncols = 1 if n <= 2 else 2 if n <= 8 else 3
    nrows = math.ceil(n / ncols)
    note = f"{n} of {total} points shown (largest weight)" if total > n else None
    cap = "; ".join(x for x in (caption, note) if x) or None
    fig, main = new_figure(4.6 * ncols + 0.6, 2.0 * nrows + 1.3, city_results, cap,
                            "Satellites in view above selected places")
    axes = main.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        _city_into(ax, city_results, name)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[:n]:
        if ax.get_subplotspec().is_last_row() or ax is axes[n - 1]:
            ax.set_xlabel(_time_label(city_results), fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    main.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize=8,
                frameon=False)
    return fig


# --------------------------------------------------------------------------- dashboard


def _wmean(values, weights, mask=None) -> float:
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = np.isfinite(v) & (w > 0) & (True if mask is None else mask)
    return float(np.sum(v[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")


def headline_numbers(ds) -> dict:
    """The dashboard's numbers of one result, area-weighted, revisit over the covered cells only.

    Parameters
    ----------
    ds : xarray.Dataset
        One result on an area grid.

    Returns
    -------
    dict
        ``satellites``; ``never_covered`` (area share never covered, 0-1); ``coverage_time``
        (area-weighted mean share of time covered); ``visible_mean``; ``nfold`` ({N: area-weighted
        share of time with at least N in view}); ``revisit_mean_s``, ``revisit_max_s`` and
        ``mean_response_time_s`` over the cells covered at least once (NaN if there is none), so
        that a never-covered polar cap, whose "gap" is the whole window, never drives them.
    """
    w = ds["weight"].values.astype(float) if "weight" in ds.coords else np.ones(ds.sizes["cell"])
    covered = ~_never(ds)
    out = {"satellites": int(ds.attrs.get("satellites", 0)), "never_covered": _area_share(ds, ~covered),
           "coverage_time": _wmean(ds["coverage_time_fraction"].values, w),
           "visible_mean": _wmean(ds["visible_mean"].values, w) if "visible_mean" in ds else float("nan"),
           "nfold": {}}
    if "nfold_time_fraction" in ds:
        for n in ds["nfold"].values:
            out["nfold"][int(n)] = _wmean(ds["nfold_time_fraction"].sel(nfold=n).values, w)
    for key in ("revisit_mean_s", "mean_response_time_s"):
        out[key] = _wmean(ds[key].values, w, covered) if key in ds else float("nan")
    mx = ds["revisit_max_s"].values.astype(float)[covered]
    mx = mx[np.isfinite(mx)]
    out["revisit_max_s"] = float(mx.max()) if mx.size else float("nan")
    return out


def _table_into(ax, results):
    """Headline numbers, one column per constellation (names coloured like their lines)."""
    import textwrap

    colours = _colours(results)
    nums = [headline_numbers(ds) for ds in results]
    levels = sorted({n for x in nums for n in x["nfold"] if n >= 2})
    rows = [
        ("satellites", [format_count(x["satellites"]) for x in nums]),
        ("area never covered", [format_percent(x["never_covered"]) for x in nums]),
        ("time with ≥1 in view", [format_percent(x["coverage_time"]) for x in nums]),
        *[(f"time with ≥{n} in view", [format_percent(x["nfold"].get(n, np.nan)) for x in nums])
          for n in levels[-2:]],
        ("satellites in view, mean", [f"{x['visible_mean']:.2f}" if x["visible_mean"] < 10
                                      else f"{x['visible_mean']:.1f}" for x in nums]),
        ("mean gap*", [_gap_text(x, "revisit_mean_s") for x in nums]),
        ("longest gap*", [_gap_text(x, "revisit_max_s") for x in nums]),
        ("mean wait for a pass*", [_gap_text(x, "mean_response_time_s") for x in nums]),
    ]
    names = [_name(ds) for ds in results]
    cols = ["\n".join(textwrap.wrap(c, 13, break_long_words=False, break_on_hyphens=False)) for c in names]
    n_lines = max(c.count("\n") + 1 for c in cols)
    ax.set_axis_off()
    table = ax.table(cellText=[vals for _, vals in rows], rowLabels=[r for r, _ in rows],
                     colLabels=[escape_text(c) for c in cols], loc="upper right", cellLoc="center",
                     rowLoc="left",
                     bbox=(0.36, 0.08, 0.64, 0.92))
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("0.8")
        cell.set_linewidth(0.5)
        if r == 0:
            cell.set_height(cell.get_height() * (0.6 + 0.45 * n_lines))
            cell.get_text().set_color(colours[names[c]])
            cell.get_text().set_fontweight("bold")
            cell.set_facecolor("0.96")
        if c == -1:
            cell.set_facecolor("0.96")
    ax.text(0.36, 0.0, "* over the area covered at least once; area-weighted", transform=ax.transAxes,
            fontsize=6.5, color="0.35", va="bottom")
    bounds = sorted({str(ds.attrs.get("boundary", "?")) for ds in results})
    ax.set_title(f"Headline numbers, area-weighted ({' / '.join(bounds)} gaps)", fontsize=9)


def _gap_text(numbers, key) -> str:
    """A gap or wait for the table: "no gap" when always in view, "never covered" when nothing is."""
    value = numbers[key]
    if not np.isfinite(value):
        return "never covered"
    return "no gap" if value == 0 else format_duration_s(value)


def _nfold_bars_into(ax, results):
    """Grouped bars: area-weighted share of time with at least N in view, per N and constellation."""
    colours = _colours(results)
    nums = [headline_numbers(ds) for ds in results]
    levels = sorted({n for x in nums for n in x["nfold"]}) or [1]
    width = 0.8 / len(results)
    for i, (ds, x) in enumerate(zip(results, nums, strict=True)):
        vals = [100.0 * x["nfold"].get(n, np.nan) for n in levels]
        pos = np.arange(len(levels)) + (i - (len(results) - 1) / 2) * width
        ax.bar(pos, vals, width=width * 0.92, color=colours[_name(ds)], label=escape_text(_name(ds)))
        for xp, v in zip(pos, vals, strict=True):
            if np.isfinite(v):
                ax.text(xp, v + 1.5, f"{v:.0f}", ha="center", va="bottom", fontsize=6, color="0.25")
    ax.set_xticks(np.arange(len(levels)), [f"≥{n}" for n in levels])
    ax.set_xlabel("satellites in view at the same time", fontsize=8)
    ax.set_ylabel("share of time, area mean (%)", fontsize=8)
    ax.set_ylim(0, 112)
    ax.set_yticks(range(0, 101, 20))
    ax.tick_params(labelsize=7)
    ax.grid(True, axis="y", color="0.88", lw=0.5)
    ax.set_title("Share of time with at least N in view", fontsize=9)


def dashboard(results, city_results=None, *, caption=None):
    """One page that tells the constellations apart: satellites in view, gaps where there are any, numbers.

    Parameters
    ----------
    results : list of xarray.Dataset
        One per constellation, on the same ring grid.
    city_results : list of xarray.Dataset, optional
        Point-grid results with ``visible_count``; adds a row of up to four city panels.
    caption : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Row 1: time-mean satellites in view, each map on its own colour scale (a 78-satellite
        constellation is not one flat colour next to 4,408). Row 2: the longest gap, only for the
        constellations that have gaps (the others are named in the caption); left out when none
        has. Row 3: satellites in view by latitude (log, 0 at the left edge), the share of time
        with at least N in view, and the headline numbers (gaps over the covered area, "never
        covered" in words). Row 4: the city panels.
    """
    results = _as_results(results)
    for v in ("coverage_time_fraction", "revisit_max_s", "visible_mean"):
        _check_variable(results, v)
    if city_results is not None:
        city_results = _as_results(city_results, "city_results")
        city_names, _ = _city_names(city_results)
        city_names = city_names[:4]
    reasons = [uninformative_reason(ds, "revisit_max_s") for ds in results]
    gappy = [ds for ds, r in zip(results, reasons, strict=True) if not r]
    n = len(results)
    ncols = min(n, 4)
    nrows = math.ceil(n / ncols)
    width = max(PANEL_WIDTH_IN * 0.85 * ncols + 0.8, 15.0)
    extent = _map_extent(results)
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    panel_w = (width - 1.0) / ncols
    vis_h = nrows * (panel_w * aspect + 1.0) + 0.3
    gap_h = math.ceil(len(gappy) / ncols) * (panel_w * aspect + 0.4) + 1.0 if gappy else 0.0
    heights = [vis_h] + ([gap_h] if gappy else []) + [3.9] + ([2.5] if city_results is not None else [])
    title = "Who sees more satellites, where: " + " vs ".join(_name(ds) for ds in results)
    notes = [f"{_name(ds)}: {r}" for ds, r in zip(results, reasons, strict=True) if r]
    gap_note = ("Longest-gap maps only where there are gaps; " + "; ".join(notes) + ".") if notes else None
    cap = "\n".join(x for x in (caption, gap_note) if x) or None
    fig, main = new_figure(width, sum(heights) + 0.5, results, cap, title)
    subs = np.atleast_1d(main.subfigures(len(heights), 1, height_ratios=heights))
    row = iter(subs)
    sub = next(row)
    maps_into(sub, results, "visible_mean", log=False, vmin=0.0, vmax=None, ncols=ncols, shared_scale=False,
              label="satellites in view, time mean")
    sub.supylabel("Satellites in view", fontsize=11, fontweight="bold")
    if gappy:
        sub = next(row)
        maps_into(sub, gappy, "revisit_max_s", log=None, vmin=None, vmax=None, ncols=ncols)
        sub.supylabel("Longest gap", fontsize=11, fontweight="bold")
    sub = next(row)
    bottom = sub.subplots(1, 3, width_ratios=[0.8, 1.3, 1.7])
    _profile_into(bottom[0], results, "visible_mean")
    bottom[0].set_title("Satellites in view by latitude\n(ring mean)", fontsize=9)
    _nfold_bars_into(bottom[1], results)
    _table_into(bottom[2], results)
    handles, labels = bottom[0].get_legend_handles_labels()
    sub.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize=8,
               frameon=False)
    if city_results is not None:
        sub = next(row)
        axes = sub.subplots(1, len(city_names), sharey=True, squeeze=False).ravel()
        for ax, name in zip(axes, city_names, strict=True):
            _city_into(ax, city_results, name)
            ax.set_xlabel(_time_label(city_results), fontsize=8)
        for ax in axes[1:]:
            ax.set_ylabel("")
        sub.supylabel("Cities", fontsize=11, fontweight="bold")
    return fig


# --------------------------------------------------------------------------- the registry


def _map_figure(variable, doc):
    def draw(results, city_results=None, caption=None):
        return maps(results, variable, caption=caption)

    draw.__name__ = draw.__qualname__ = f"{variable}_map"
    draw.__doc__ = doc
    return draw


def nfold_map(results, *, n=None, caption=None):
    """Maps of the share of time with at least N satellites in view (one panel per constellation).

    Parameters
    ----------
    results : list of xarray.Dataset
        With ``nfold_time_fraction`` (cell, nfold).
    n : int, optional
        The level N (one of the results' ``nfold`` values); default :func:`nfold_level`, the level
        that tells the constellations apart best.
    caption : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    results = _as_results(results)
    for ds in results:
        var = ds.data_vars.get("nfold_time_fraction")
        if var is None or set(var.dims) != {"cell", "nfold"}:
            raise ValueError(f"the result of {_name(ds)!r} has no nfold_time_fraction (cell, nfold); analyze "
                             "with nfold=[1, 2, 4] or similar")
    n = nfold_level(results) if n is None else int(n)
    have = [ds for ds in results if n in {int(x) for x in ds["nfold"].values}]
    if not have:
        levels = sorted({int(x) for ds in results for x in ds["nfold"].values})
        raise ValueError(f"n = {n} is not an nfold level of the results; levels: {levels}")
    sel = [ds.sel(nfold=n) for ds in have]
    what = f"share of time with at least {n} satellites in view"
    return maps(sel, "nfold_time_fraction", log=False, caption=caption,
                title=f"{what[:1].upper()}{what[1:]} — {results[0].attrs.get('grid', '')}",
                label=f"time with ≥{n} in view (%)")


def _fig_nfold_map(results, city_results=None, caption=None):
    """Map of the share of time with at least N in view (N chosen to tell the results apart)."""
    return nfold_map(results, caption=caption)


def _fig_latitude_profiles(results, city_results=None, caption=None):
    """Latitude profiles of coverage time, mean and max revisit and the number in view."""
    return latitude_profiles(results, caption=caption)


def _fig_revisit_cdf(results, city_results=None, caption=None):
    """Area-weighted CDF of the longest gap."""
    return revisit_cdf(results, caption=caption)


def _fig_coverage_timeseries(results, city_results=None, caption=None):
    """Coverage and satellites in view over time."""
    return coverage_timeseries(results, caption=caption)


def _fig_city_visibility(results, city_results=None, caption=None):
    """Satellites in view above each named place (needs ``city_results``)."""
    if city_results is None:
        raise ValueError("the city_visibility figure needs city_results (point-grid results with "
                         "visible_count, e.g. from cs.city_grid([...]))")
    return city_visibility(city_results, caption=caption)


def _fig_dashboard(results, city_results=None, caption=None):
    """One-page summary."""
    return dashboard(results, city_results, caption=caption)


FIGURES = {
    "coverage_map": _map_figure("coverage_time_fraction", "Map of the coverage time fraction."),
    "revisit_mean_map": _map_figure("revisit_mean_s", "Map of the mean gap (revisit), log scale."),
    "revisit_max_map": _map_figure("revisit_max_s", "Map of the longest gap (max revisit), log scale."),
    "visible_map": _map_figure("visible_mean", "Map of the time-mean number of satellites in view "
                                               "(own colour scale per panel when they differ a lot)."),
    "nfold_map": _fig_nfold_map,
    "latitude_profiles": _fig_latitude_profiles,
    "revisit_cdf": _fig_revisit_cdf,
    "coverage_timeseries": _fig_coverage_timeseries,
    "city_visibility": _fig_city_visibility,
    "dashboard": _fig_dashboard,
}
"""Figure name -> ``draw(results, city_results=None, caption=None) -> Figure``."""


def draw_figures(results, out_dir, names=None, *, city_results=None, caption=None,
                 formats=("png",), dpi=150) -> dict[str, list[Path]]:
    """Draw figures from the :data:`FIGURES` registry and save them as ``out_dir/<name>.<format>``.

    Parameters
    ----------
    results : list of xarray.Dataset
        One per constellation, same grid.
    out_dir : str or path
        Folder (created if missing).
    names : sequence of str, optional
        Figures to draw (default: all of :data:`FIGURES`). ``"city_visibility"`` is skipped
        silently when ``city_results`` is None (even if named), and the returned dict then has no
        entry for it; the dashboard then has no city row.
    city_results : list of xarray.Dataset, optional
        Point-grid results with ``visible_count`` for the city figures, all of them drawn (the
        caller chooses the cities: a scenario's figure cities lie in its region).
    caption : str, optional
    formats : sequence of {"png", "svg", "pdf"}
    dpi : float

    Returns
    -------
    dict
        Figure name -> list of paths written.
    """
    names = list(FIGURES) if names is None else ([names] if isinstance(names, str) else list(names))
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure name(s) {unknown}; allowed: {', '.join(FIGURES)}")
    results = _as_results(results)
    out = Path(out_dir)
    written = {}
    for name in names:
        if name == "city_visibility" and city_results is None:
            continue
        fig = FIGURES[name](results, city_results=city_results, caption=caption)
        written[name] = save_figure(fig, out / name, formats=formats, dpi=dpi)
    return written
