"""The basemap under every map: Natural Earth coastlines and borders, graticule and outline on Equal Earth.

The Natural Earth data (1:110m, shipped with the package) is read on first use through
:mod:`constellations.sources.naturalearth`; projected lines are cached per process.
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
    """Projected polylines as one read-only (n, 2) array, separated by NaN rows."""
    parts = []
    for line in lines:
        x, y = equal_earth(line[:, 0], line[:, 1])
        parts.append(np.column_stack([x, y]))
        parts.append(np.array([[np.nan, np.nan]]))
    xy = np.concatenate(parts) if parts else np.empty((0, 2))
    xy.setflags(write=False)
    return xy


@functools.lru_cache(maxsize=1)
def coastline_xy():
    """Projected Natural Earth 1:110m coastlines.

    Returns
    -------
    numpy.ndarray
        Read-only ``(n, 2)`` array of Equal Earth ``x, y`` (Earth radii), polylines separated by
        NaN rows, ready for one ``ax.plot``.
    """
    from ..sources.naturalearth import coastlines

    return _join(coastlines())


@functools.lru_cache(maxsize=1)
def border_xy():
    """Projected Natural Earth 1:110m country outlines (every country's polygon rings).

    Returns
    -------
    numpy.ndarray
        Read-only ``(n, 2)`` array as :func:`coastline_xy`.
    """
    from ..sources.naturalearth import country_names, country_polygons

    return _join([ring for name in country_names() for ring in country_polygons(name)])


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
        Also draw country borders (thin grey, under the coastlines).
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
        bxy = border_xy()
        ax.plot(bxy[:, 0], bxy[:, 1], color="0.45", lw=0.3, zorder=3.5)
    xy = coastline_xy()
    ax.plot(xy[:, 0], xy[:, 1], color="black", lw=0.5, zorder=4,
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
