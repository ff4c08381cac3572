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
analysis parameters read from the Datasets' attributes. Ring-grid cells are drawn exactly: the map
is rasterized by looking up, for each pixel, the latitude ring and the cell in that ring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .basemap import draw_basemap
from .projection import X_MAX, Y_MAX, equal_earth, equal_earth_inverse, format_lat, format_lon
from .style import PANEL_WIDTH_IN, constellation_colours, new_figure, save_figure

__all__ = [
    "FIGURES",
    "city_visibility",
    "coverage_timeseries",
    "dashboard",
    "draw_figures",
    "latitude_profiles",
    "maps",
    "maps_into",
    "revisit_cdf",
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
    return str(ds.attrs.get("constellation", "result"))


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
    return _Display(1.0, "" if units == "1" else units, long_name)


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


def _draw_map_panel(ax, ds, variable, style, log, raster):
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
        draw_basemap(ax, raster.extent)
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
    draw_basemap(ax, raster.extent)
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


def _log_axis_format(axis, lo=None, hi=None):
    """Plain-number ticks (1, 2, 5, 10, ...) on a log axis, denser when the range is short."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if lo is None or hi is None:
        lo, hi = axis.get_view_interval()
    decades = np.log10(hi / lo) if lo > 0 and hi > lo else 3.0
    subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if decades < 1.2 else (1.0, 2.0, 5.0) if decades < 4 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def maps_into(fig, results, variable, *, log, vmin, vmax, ncols=None, panel_titles=True,
               label=None):
    """Draw one map per result into ``fig`` (a Figure or SubFigure) with one shared colour bar."""
    from matplotlib.cm import ScalarMappable

    style = _map_style(results, variable, log, vmin, vmax)
    from matplotlib.colors import LogNorm

    log = isinstance(style.norm, LogNorm)
    n = len(results)
    ncols = ncols or min(n, 3)
    nrows = math.ceil(n / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    extent = _map_extent(results)
    rasters = {}
    present = set()
    for ax, ds in zip(axes, results, strict=False):
        key = _grid_key(ds)
        if key not in rasters:
            is_points = not np.isfinite(float(ds.attrs.get("grid_spacing_deg", np.nan)))
            rasters[key] = _Raster(extent, None) if is_points else _raster(ds, extent)
        present |= _draw_map_panel(ax, ds, variable, style, log, rasters[key])
        if panel_titles:
            ax.set_title(_name(ds), fontsize=10)
    for ax in axes[n:]:
        ax.set_visible(False)
    sm = ScalarMappable(norm=style.norm, cmap=style.cmap)
    cbar = fig.colorbar(sm, ax=list(axes[:n]), orientation="horizontal", shrink=0.6, aspect=40,
                        pad=0.03, fraction=0.05)
    cbar.set_label(label or style.display.label, fontsize=9)
    cbar.ax.tick_params(labelsize=8)
    if log:
        _log_axis_format(cbar.ax.xaxis, style.norm.vmin, style.norm.vmax)
    handles = _category_handles(present, style)
    if handles:  # under the colour bar, so that every row of maps keeps the same width
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8,
                   frameon=False, handlelength=1.6, handleheight=1.1, columnspacing=1.5)
    return axes[:n], cbar


def maps(results, variable, *, log=None, title=None, caption=None, vmin=None, vmax=None):
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
        Figure title (default: the variable's long name and the grid).
    caption : str, optional
        A line printed above the automatic caption (constellations and analysis parameters).
    vmin, vmax : float, optional
        Colour scale limits in the variable's own units (seconds, fraction 0-1, satellites).
        Default: shared over all panels (0-100 % for fractions).

    Returns
    -------
    matplotlib.figure.Figure
        One shared colour bar with units (times shown in s, min or h, fractions in %); never-covered
        cells hatched, NaN cells grey, zero on a log scale (always in view) pale cream, each with a
        legend entry only when present.
    """
    results = _as_results(results)
    _check_variable(results, variable)
    n = len(results)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    width = max(PANEL_WIDTH_IN * ncols + 0.4, 7.0)
    extent = _map_extent(results)
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    height = nrows * (PANEL_WIDTH_IN * aspect + 0.35) + 1.35
    if title is None:
        title = f"{_title_name(results, variable)} — {results[0].attrs.get('grid', '')}"
    fig, main = new_figure(width, height, results, caption, title)
    maps_into(main, results, variable, log=log, vmin=vmin, vmax=vmax, ncols=ncols)
    return fig


# --------------------------------------------------------------------------- latitude profiles


def _ring_stats(ds, variable):
    """Weighted mean and max of a per-cell variable on each latitude ring (or point latitude)."""
    lat = np.round(ds["lat_deg"].values.astype(float), 6)
    rings, inv = np.unique(lat, return_inverse=True)
    v = ds[variable].values.astype(float)
    w = ds["weight"].values.astype(float) if "weight" in ds.coords else np.ones_like(v)
    ok = np.isfinite(v) & (w > 0)
    wsum = np.bincount(inv[ok], weights=w[ok], minlength=rings.size)
    vsum = np.bincount(inv[ok], weights=(v * w)[ok], minlength=rings.size)
    mx = np.full(rings.size, -np.inf)
    np.maximum.at(mx, inv[ok], v[ok])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(wsum > 0, vsum / wsum, np.nan)
    return rings, mean, np.where(np.isfinite(mx), mx, np.nan)


def _profile_into(ax, results, variable, *, legend=False):
    colours = _colours(results)
    disp = _display(results, variable)
    log = _is_revisit(variable)
    for ds in results:
        rings, mean, mx = _ring_stats(ds, variable)
        ax.plot(mean * disp.scale, rings, color=colours[_name(ds)], lw=1.5, label=_name(ds))
        if variable == "revisit_max_s":
            ax.plot(mx * disp.scale, rings, color=colours[_name(ds)], lw=1.0, ls="--")
    if log:
        ax.set_xscale("log", nonpositive="mask")
        _log_axis_format(ax.xaxis)
    elif disp.unit == "%":
        ax.set_xlim(-2, 102)
    ax.set_ylim(-90, 90)
    ax.set_yticks(range(-90, 91, 30))
    ax.set_xlabel(disp.label, fontsize=8)
    ax.set_ylabel("latitude (deg)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, color="0.88", lw=0.5)
    title = "ring mean" + (" (dashed: ring max)" if variable == "revisit_max_s" else "")
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
        Per-cell variables, one subplot each (latitude on the y axis). Revisit variables use a log
        axis (rings whose mean is 0, i.e. always in view, are not drawn); ``revisit_max_s`` also
        shows each ring's maximum (dashed).
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
                            f"Latitude profiles — {results[0].attrs.get('grid', '')}")
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
        label = _name(ds) + (f" ({undefined:.0f} % of area undefined)" if undefined >= 0.5 else "")
        ax.step(xs, ys, where="post", color=colours[_name(ds)], lw=1.5, label=label)
    if np.isfinite(T):
        ax.axvline(T, color="0.4", lw=0.8, ls=":")
        ax.text(T, 50, "analysis length ", fontsize=6, color="0.35", ha="right", va="center",
                rotation=90)
    ax.set_xscale("log")
    ax.set_xlim(xmin, xmax)
    _log_axis_format(ax.xaxis)
    ax.set_ylim(0, 101)
    ax.set_xlabel(disp.label, fontsize=8)
    ax.set_ylabel("share of area with value ≤ x (%)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, color="0.88", lw=0.5)
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="upper left")


def revisit_cdf(results, variable="revisit_max_s", *, caption=None):
    """Area-weighted cumulative distribution of a per-cell revisit variable.

    Parameters
    ----------
    results : list of xarray.Dataset
    variable : str
        Per-cell variable in seconds (default the longest gap); shown in minutes on a log axis.
        Cells with value 0 (always in view) count from the left edge; NaN cells never count, so a
        curve that stays below 100 % marks the share of area where the variable is undefined.
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
        ax_cov.plot(t, 100.0 * ds["coverage_fraction"].values, color=colour, lw=1.2, label=_name(ds))
        ax_cov.plot(t, 100.0 * ds["accumulated_coverage_fraction"].values, color=colour, lw=1.0, ls="--")
        if ax_vis is not None:
            ax_vis.plot(t, ds["visible_mean_weighted"].values, color=colour, lw=1.2, label=_name(ds))
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
        ax.step(_time_x(ds, same), counts, where="post", color=colours[_name(ds)], lw=0.8, label=_name(ds))
    where = f" ({format_lat(round(lat, 1))}, {format_lon(round(lon, 1))})" if lat is not None else ""
    ax.set_title(f"{name}{where}", fontsize=9)
    top = max(int(ds["visible_count"].max()) for ds in city_results)  # panels share the y axis
    ax.set_ylim(0, top * 1.08 + 1)
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


def _table_into(ax, results):
    """Summary statistics, one column per constellation (names coloured like their lines)."""
    from ..result import summary

    df = summary(results)
    colours = constellation_colours([str(c) for c in df["constellation"]])
    ax.set_axis_off()
    scale, unit = _time_unit(float(np.nanmax(df["revisit_max_s"].to_numpy(dtype=float), initial=0.0)))
    rows = [
        ("satellites", [f"{int(x):,}" for x in df["satellites"]]),
        ("area ever covered (%)", [f"{100 * x:.1f}" for x in df["ever_covered"]]),
        ("coverage time (%)", [f"{100 * x:.1f}" for x in df["coverage_time"]]),
        ("satellites in view, mean", [f"{x:.2f}" for x in df["visible_mean"]]),
        (f"revisit, mean, covered area ({unit})", [f"{x * scale:.3g}" for x in df["revisit_mean_covered_s"]]),
        (f"longest gap, max ({unit})", [f"{x * scale:.3g}" for x in df["revisit_max_s"]]),
        (f"mean response time ({unit})", [f"{x * scale:.3g}" for x in df["mean_response_time_s"]]),
    ]
    import textwrap

    cols = ["\n".join(textwrap.wrap(str(c), 11)) for c in df["constellation"]]
    n_lines = max(c.count("\n") + 1 for c in cols)
    table = ax.table(cellText=[[v for v in vals] for _, vals in rows], rowLabels=[r for r, _ in rows],
                     colLabels=cols, loc="upper right", cellLoc="center", rowLoc="left",
                     bbox=(0.42, 0.0, 0.58, 1.0))
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("0.8")
        cell.set_linewidth(0.5)
        if r == 0:
            cell.set_height(cell.get_height() * (0.6 + 0.4 * n_lines))
            cell.get_text().set_color(colours[str(df["constellation"].iloc[c])])
            cell.get_text().set_fontweight("bold")
            cell.set_facecolor("0.96")
        if c == -1:
            cell.set_facecolor("0.96")
    bounds = sorted(set(df["boundary"]))
    ax.set_title(f"Summary, area-weighted over the grid ({' / '.join(bounds)} gaps)", fontsize=9)


def dashboard(results, city_results=None, *, caption=None):
    """One page: coverage and max-revisit maps, latitude profile, revisit CDF, time series, table.

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
    """
    results = _as_results(results)
    for v in ("coverage_time_fraction", "revisit_max_s"):
        _check_variable(results, v)
    if city_results is not None:
        city_results = _as_results(city_results, "city_results")
        city_names, _ = _city_names(city_results)
        city_names = city_names[:4]
    n = len(results)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    width = max(PANEL_WIDTH_IN * ncols + 0.8, 15.0)
    extent = _map_extent(results)
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    map_h = nrows * ((width - 3.0) / ncols * aspect + 0.3) + 0.9
    heights = [map_h, map_h, 3.9] + ([2.5] if city_results is not None else [])
    title = " vs ".join(_name(ds) for ds in results) + f" — {results[0].attrs.get('grid', '')}"
    fig, main = new_figure(width, sum(heights) + 0.5, results, caption, title)
    subs = main.subfigures(len(heights), 1, height_ratios=heights)
    maps_into(subs[0], results, "coverage_time_fraction", log=False, vmin=None, vmax=None, ncols=ncols)
    maps_into(subs[1], results, "revisit_max_s", log=None, vmin=None, vmax=None, ncols=ncols)
    subs[0].supylabel("Coverage time", fontsize=11, fontweight="bold")
    subs[1].supylabel("Longest gap", fontsize=11, fontweight="bold")
    bottom = subs[2].subplots(1, 4, width_ratios=[0.75, 1.0, 1.25, 1.25])
    _profile_into(bottom[0], results, "coverage_time_fraction")
    bottom[0].set_title("Coverage time by latitude\n(ring mean)", fontsize=9)
    _cdf_into(bottom[1], results, "revisit_max_s", legend=False)
    bottom[1].set_title("Longest gap: cumulative share of area", fontsize=9)
    _timeseries_into(bottom[2], None, results)
    bottom[2].set_title("Share of the grid covered over time", fontsize=9)
    _table_into(bottom[3], results)
    handles, labels = bottom[0].get_legend_handles_labels()
    subs[2].legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize=8,
                   frameon=False)
    if city_results is not None:
        axes = subs[3].subplots(1, len(city_names), sharey=True, squeeze=False).ravel()
        for ax, name in zip(axes, city_names, strict=True):
            _city_into(ax, city_results, name)
            ax.set_xlabel(_time_label(city_results), fontsize=8)
        for ax in axes[1:]:
            ax.set_ylabel("")
        subs[3].supylabel("Cities", fontsize=11, fontweight="bold")
    return fig


# --------------------------------------------------------------------------- the registry


def _map_figure(variable, doc):
    def draw(results, city_results=None, caption=None):
        return maps(results, variable, caption=caption)

    draw.__name__ = draw.__qualname__ = f"{variable}_map"
    draw.__doc__ = doc
    return draw


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
    "visible_map": _map_figure("visible_mean", "Map of the time-mean number of satellites in view."),
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
        Point-grid results with ``visible_count`` for the city figures.
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
