"""The basemap under every map: Natural Earth coastlines and borders, graticule and outline on Equal Earth.

World maps draw the 1:110m coastlines; regional maps the 1:50m coastlines and country borders
(shipped with the package, read on first use through :mod:`constellations.sources.naturalearth`),
cropped to the lines that cross the view. Projected lines are cached per process.
"""

from __future__ import annotations

import functools

import numpy as np

from .projection import (
    X_MAX,
    equal_earth,
    equal_earth_inverse,
    format_lat,
    format_lon,
    graticule,
    graticule_step_deg,
    outline_xy,
)

__all__ = ["border_xy", "coastline_xy", "draw_basemap"]


def _join(lines):
    """Projected polylines as one read-only (n, 2) array, separated by NaN rows, and each row's line.

    Returns
    -------
    xy : numpy.ndarray, shape (n, 2)
        Equal Earth ``x, y`` (Earth radii); the NaN row after each line belongs to it.
    line : numpy.ndarray of int, shape (n,)
        Index of the polyline each row belongs to.
    """
    sizes = np.array([len(line) + 1 for line in lines], dtype=np.intp)
    lonlat = np.concatenate([np.vstack([line, [np.nan, np.nan]]) for line in lines]) if lines \
        else np.empty((0, 2))
    x, y = equal_earth(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([x, y])
    line = np.repeat(np.arange(sizes.size), sizes)
    xy.setflags(write=False)
    line.setflags(write=False)
    return xy, line


def _crop(joined, extent):
    """The rows of the polylines whose bounding box meets ``extent`` (all of them if None)."""
    xy, line = joined
    if extent is None or not len(xy):
        return xy
    x0, x1, y0, y1 = extent
    n = int(line[-1]) + 1
    ok = ~np.isnan(xy[:, 0])
    lo = np.full((n, 2), np.inf)
    hi = np.full((n, 2), -np.inf)
    np.minimum.at(lo, line[ok], xy[ok])
    np.maximum.at(hi, line[ok], xy[ok])
    meets = (hi[:, 0] >= x0) & (lo[:, 0] <= x1) & (hi[:, 1] >= y0) & (lo[:, 1] <= y1)
    return xy[meets[line]]


@functools.lru_cache(maxsize=2)
def _coastlines_joined(scale):
    from ..sources.naturalearth import coastlines

    return _join(coastlines(scale))


@functools.lru_cache(maxsize=1)
def _borders_joined():
    from ..sources.naturalearth import country_borders

    return _join(country_borders())


def coastline_xy(scale="110m", extent=None):
    """Projected Natural Earth coastlines.

    Parameters
    ----------
    scale : {"110m", "50m"}
        Natural Earth scale (see :func:`constellations.sources.naturalearth.coastlines`).
    extent : tuple of float, optional
        ``(x0, x1, y0, y1)`` in Earth radii: keep only the lines whose bounding box meets it.

    Returns
    -------
    numpy.ndarray
        Read-only ``(n, 2)`` array of Equal Earth ``x, y`` (Earth radii), polylines separated by
        NaN rows, ready for one ``ax.plot``.
    """
    return _crop(_coastlines_joined(scale), extent)


def border_xy(extent=None):
    """Projected Natural Earth 1:50m land borders between countries (coasts excluded).

    Parameters
    ----------
    extent : tuple of float, optional
        As :func:`coastline_xy`.

    Returns
    -------
    numpy.ndarray
        Read-only ``(n, 2)`` array as :func:`coastline_xy`.
    """
    return _crop(_borders_joined(), extent)


def draw_basemap(ax, extent, *, labels=True, borders=False):
    """Outline, graticule, coastlines (and country borders) with degree labels on an Equal Earth axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes in Equal Earth coordinates (Earth radii).
    extent : tuple of float
        ``(x0, x1, y0, y1)`` in Earth radii; the axes are limited to it, made equal-aspect and
        their frame is switched off.
    labels : bool
        Label the graticule in degrees (on the outline for the whole world, on the lower and left
        edges of a regional view).
    borders : bool
        A regional view: draw the 1:50m coastlines and the 1:50m country borders (thin grey, under
        the coastlines) that cross the extent, instead of the 1:110m coastlines.
    """
    from matplotlib import patheffects
    from matplotlib.patches import Polygon

    x0, x1, y0, y1 = extent
    ox, oy = outline_xy()
    clip = Polygon(np.column_stack([ox, oy]), closed=True, transform=ax.transData, facecolor="none",
                   edgecolor="none")
    ax.add_patch(clip)
    step = graticule_step_deg(extent)
    lons, lats, lines = graticule(step)
    grat_kw = {"color": "0.55", "lw": 0.35, "alpha": 0.7, "zorder": 3}
    for x, y in lines:
        ax.plot(x, y, **grat_kw)[0].set_clip_path(clip)
    if borders:
        bxy = border_xy(extent)
        ax.plot(bxy[:, 0], bxy[:, 1], color="0.3", lw=0.45, zorder=3.5, gid="country_borders")
    xy = coastline_xy("50m", extent) if borders else coastline_xy()
    ax.plot(xy[:, 0], xy[:, 1], color="black", lw=0.5, zorder=4, gid="coastlines",
            path_effects=[patheffects.withStroke(linewidth=1.3, foreground="white", alpha=0.55)])
    ax.plot(ox, oy, color="0.3", lw=0.7, zorder=5)
    full = (x1 - x0) > 1.9 * X_MAX
    text_kw = {"fontsize": 6, "color": "0.35", "clip_on": False}
    if labels:
        for lat in lats:
            if full:
                xl, yl = equal_earth(-180.0, lat)
            else:
                xl, yl = x0, equal_earth(0.0, lat)[1]
            if y0 <= yl <= y1 and (full or (lat % (2 * step) == 0 or step >= 10)):
                ax.text(float(xl) - 0.01 * (x1 - x0), float(yl), format_lat(lat), ha="right",
                        va="center", **text_kw)
        if full:
            for lon in range(-120, 121, 60):
                xb, yb = equal_earth(lon, -90.0)
                ax.text(float(xb), float(yb) - 0.04, format_lon(lon), ha="center", va="top", **text_kw)
        else:  # where the meridians cross the lower edge of the view
            lat_edge = float(equal_earth_inverse(0.0, y0)[1])
            for lon in lons:
                xb = float(equal_earth(lon, lat_edge)[0])
                if x0 <= xb <= x1:
                    ax.text(xb, y0 - 0.01 * (y1 - y0), format_lon(lon), ha="center", va="top",
                            **text_kw)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
