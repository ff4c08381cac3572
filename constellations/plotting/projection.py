"""The Equal Earth map projection: forward and inverse transforms, map outline, graticule and its labels.

Equal Earth (Šavrič, Patterson & Jenny 2018, Int. J. Geogr. Inf. Sci. 33(3)) is equal-area, so the
eye weighs regions by their true area. Coordinates are on the unit sphere (Earth radii); angles in
degrees, longitude in [-180, 180]. Pure numpy functions of arrays; no matplotlib here.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "EE_A1",
    "EE_A2",
    "EE_A3",
    "EE_A4",
    "EE_M",
    "X_MAX",
    "Y_MAX",
    "equal_earth",
    "equal_earth_inverse",
    "format_lat",
    "format_lon",
    "graticule",
    "graticule_step_deg",
    "outline_xy",
]

# Equal Earth projection constants (Šavrič, Patterson & Jenny 2018, eq. 1-2).
EE_A1, EE_A2, EE_A3, EE_A4 = 1.340264, -0.081106, 0.000893, 0.003796
EE_M = math.sqrt(3.0) / 2.0


def equal_earth(lon_deg, lat_deg):
    """Equal Earth projection, forward, on the unit sphere.

    Parameters
    ----------
    lon_deg, lat_deg : array_like
        Longitude and latitude in degrees (broadcast together); longitude in [-180, 180].

    Returns
    -------
    x, y : ndarray
        Map coordinates in Earth radii: ``|x| <= 2.7066`` (at the equator, lon = +/-180) and
        ``|y| <= 1.3173`` (at the poles). Multiply by the radius for lengths.

    Notes
    -----
    Šavrič, Patterson & Jenny (2018), eq. 1-2: ``sin theta = (sqrt 3 / 2) sin phi``,
    ``x = 2 sqrt 3 lambda cos theta / (3 (9 A4 theta^8 + 7 A3 theta^6 + 3 A2 theta^2 + A1))``,
    ``y = A4 theta^9 + A3 theta^7 + A2 theta^3 + A1 theta``.

    Examples
    --------
    >>> x, y = equal_earth(180.0, 0.0)
    >>> round(float(x), 4), float(y)
    (2.7066, 0.0)
    """
    lam = np.radians(np.asarray(lon_deg, dtype=float))
    theta = np.arcsin(EE_M * np.sin(np.radians(np.asarray(lat_deg, dtype=float))))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2.0 * math.sqrt(3.0) * lam * np.cos(theta) / (3.0 * (9 * EE_A4 * t6 * t2 + 7 * EE_A3 * t6
                                                              + 3 * EE_A2 * t2 + EE_A1))
    y = theta * (EE_A1 + EE_A2 * t2 + t6 * (EE_A3 + EE_A4 * t2))
    return x, y


X_MAX = float(equal_earth(180.0, 0.0)[0])
"""Half width of the map, Earth radii (the equator at lon = +/-180)."""
Y_MAX = float(equal_earth(0.0, 90.0)[1])
"""Half height of the map, Earth radii (the poles)."""


def equal_earth_inverse(x, y):
    """Equal Earth projection, inverse (Newton iteration on the parametric latitude).

    Parameters
    ----------
    x, y : array_like
        Map coordinates in Earth radii (broadcast together).

    Returns
    -------
    lon_deg, lat_deg : ndarray
        Degrees; NaN outside the map outline.

    Examples
    --------
    >>> lon, lat = equal_earth_inverse(*equal_earth(-75.0, 40.0))
    >>> round(float(lon), 9), round(float(lat), 9)
    (-75.0, 40.0)
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    inside_y = np.abs(y) <= Y_MAX * (1 + 1e-12)
    yc = np.clip(y, -Y_MAX, Y_MAX)
    theta = yc / EE_A1
    for _ in range(20):
        t2 = theta * theta
        t6 = t2 * t2 * t2
        f = theta * (EE_A1 + EE_A2 * t2 + t6 * (EE_A3 + EE_A4 * t2)) - yc
        fp = EE_A1 + 3 * EE_A2 * t2 + t6 * (7 * EE_A3 + 9 * EE_A4 * t2)
        step = f / fp
        theta = theta - step
        if np.all(np.abs(step) < 1e-13):
            break
    t2 = theta * theta
    t6 = t2 * t2 * t2
    fp = EE_A1 + 3 * EE_A2 * t2 + t6 * (7 * EE_A3 + 9 * EE_A4 * t2)
    lam = 3.0 * x * fp / (2.0 * math.sqrt(3.0) * np.cos(theta))
    phi = np.arcsin(np.clip(np.sin(theta) / EE_M, -1.0, 1.0))
    ok = inside_y & (np.abs(lam) <= math.pi * (1 + 1e-12))
    lon = np.where(ok, np.degrees(np.clip(lam, -math.pi, math.pi)), np.nan)
    lat = np.where(ok, np.degrees(phi), np.nan)
    return lon, lat


def outline_xy():
    """The map outline (the +/-180 meridians), closed.

    Returns
    -------
    x, y : ndarray
        Shape ``(363,)`` each, Earth radii.

    Examples
    --------
    >>> x, y = outline_xy()
    >>> x.shape, bool(x[0] == x[-1] and y[0] == y[-1])
    ((363,), True)
    """
    lat = np.linspace(-90, 90, 181)
    x_r, y_r = equal_earth(np.full_like(lat, 180.0), lat)
    x_l, y_l = equal_earth(np.full_like(lat, -180.0), lat[::-1])
    return np.concatenate([x_r, x_l, x_r[:1]]), np.concatenate([y_r, y_l, y_r[:1]])


def graticule_step_deg(extent) -> int:
    """Graticule spacing in degrees that suits a map extent: 30 for the world, down to 2.

    Parameters
    ----------
    extent : tuple of float
        ``(x0, x1, y0, y1)`` in Earth radii.

    Examples
    --------
    >>> graticule_step_deg((-X_MAX, X_MAX, -Y_MAX, Y_MAX))
    30
    """
    x0, x1, y0, y1 = extent
    span = max((x1 - x0) / (2 * X_MAX) * 360.0, (y1 - y0) / (2 * Y_MAX) * 180.0)
    return 30 if span >= 90 else 10 if span >= 30 else 5 if span >= 12 else 2


def graticule(step_deg: float):
    """Meridians and parallels every ``step_deg`` degrees, projected.

    Parameters
    ----------
    step_deg : float
        Spacing in degrees.

    Returns
    -------
    lons_deg, lats_deg : list of float
        The meridians (-180 to 180) and parallels (poles excluded) drawn.
    lines : list of (x, y)
        One projected polyline per meridian, then per parallel, in Earth radii.

    Examples
    --------
    >>> lons, lats, lines = graticule(30)
    >>> len(lons), len(lats), len(lines)
    (13, 5, 18)
    """
    lats = [v for v in range(-90 + int(step_deg), 90, int(step_deg)) if abs(v) < 90]
    lons = list(range(-180, 181, int(step_deg)))
    lat_line = np.linspace(-90, 90, 181)
    lon_line = np.linspace(-180, 180, 361)
    lines = [equal_earth(np.full_like(lat_line, lon), lat_line) for lon in lons]
    lines += [equal_earth(lon_line, np.full_like(lon_line, lat)) for lat in lats]
    return lons, lats, lines


def format_lat(v) -> str:
    """A latitude label: ``"30°N"``, ``"0°"``, ``"45°S"``.

    Examples
    --------
    >>> format_lat(30), format_lat(0), format_lat(-45.5)
    ('30°N', '0°', '45.5°S')
    """
    return "0°" if v == 0 else f"{abs(v):g}°{'N' if v > 0 else 'S'}"


def format_lon(v) -> str:
    """A longitude label: ``"60°E"``, ``"0°"``, ``"180°"``, ``"120°W"``.

    Examples
    --------
    >>> format_lon(60), format_lon(-180), format_lon(-120)
    ('60°E', '180°', '120°W')
    """
    if v == 0 or abs(v) == 180:
        return f"{abs(v):g}°"
    return f"{abs(v):g}°{'E' if v > 0 else 'W'}"
