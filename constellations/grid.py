"""Ground grids: equal-area latitude-ring grids (global, band, box) and point lists.

A ring grid is a stack of latitude rings of equal height; ring ``j`` holds ``n_j = round(360 cos(lat_j)
/ spacing)`` cells of equal longitude width, so every cell has (nearly) the same area. The grid's Earth
model (``Grid.earth``) says how latitudes and areas are meant: on ``"wgs84"`` (the default) ring
latitudes are geodetic and cell areas are those of the WGS84 ellipsoid (closed form via the authalic
latitude, :func:`constellations.earth.zone_area_km2`), adding up to its 510,065,621.7 km^2; on
``"sphere"`` latitudes are geocentric and areas add up to ``4 pi R^2``. Point lists carry weights, not
areas; their latitudes are read the same way. Regional grids (bands, boxes; countries in
:mod:`constellations.sources.regions`) are subsets of the global grid's cells, so results at the same
spacing line up cell for cell. The coverage engine counts satellites ring by ring
(:mod:`constellations.coverage`); point lists (cities) use a direct test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .earth import check_earth, zone_area_km2
from .geometry import EARTH_RADIUS_KM

__all__ = [
    "Grid",
    "Rings",
    "box_grid",
    "global_grid",
    "latitude_band_grid",
    "points",
]

EARTH_AREA_KM2 = 4.0 * np.pi * EARTH_RADIUS_KM**2
BYTES_PER_CELL = 400  # accumulators and per-chunk work arrays, measured upper bound


@dataclass(frozen=True)
class Rings:
    """Full latitude rings scanned by the coverage engine.

    Attributes
    ----------
    lat_rad : ndarray, shape (n_ring,)
        Ring centre latitudes, ascending.
    n : ndarray of int, shape (n_ring,)
        Cells per ring; cell ``k`` of ring ``j`` is centred at longitude ``-pi + (k + 0.5) 2 pi / n_j``.
    offset : ndarray of int, shape (n_ring,)
        Index of each ring's first cell in the flattened ring points.
    """

    lat_rad: np.ndarray
    n: np.ndarray
    offset: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.n.sum())


@dataclass(frozen=True, eq=False)
class Grid:
    """Ground cells or points at which coverage is evaluated.

    Attributes
    ----------
    lat_deg, lon_deg : ndarray, shape (n_cell,)
        Cell centres; longitudes in [-180, 180).
    area_km2 : ndarray, shape (n_cell,)
        Cell areas on the grid's Earth model, km^2 (NaN for point lists).
    weight : ndarray, shape (n_cell,)
        Weight for grid statistics: the area for ring grids, the population or 1 for point lists.
    name : str
        Description, e.g. ``"global 1 deg equal-area"``.
    spacing_deg : float
        Ring spacing (NaN for point lists).
    rings : Rings or None
        The rings scanned for this grid (``None`` for point lists).
    scan_index : ndarray of int, shape (n_cell,), or None
        Position of each cell among the rings' points (``None``: all of them, in order).
    names : ndarray of str, shape (n_cell,), or None
        Point names (cities).
    earth : {"wgs84", "sphere"}
        Earth model of the latitudes and areas: ``"wgs84"`` geodetic latitudes, ellipsoid areas;
        ``"sphere"`` geocentric latitudes, spherical areas (:mod:`constellations.earth`).
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    area_km2: np.ndarray
    weight: np.ndarray
    name: str
    spacing_deg: float = float("nan")
    rings: Rings | None = None
    scan_index: np.ndarray | None = None
    names: np.ndarray | None = None
    earth: str = "wgs84"

    def __len__(self) -> int:
        return len(self.lat_deg)

    @property
    def is_ring_grid(self) -> bool:
        return self.rings is not None


def _spacing_deg(spacing_deg, spacing_km) -> float:
    if (spacing_deg is None) == (spacing_km is None):
        raise ValueError(
            "give exactly one of spacing_deg (e.g. 1.0) or spacing_km (e.g. 111.0), "
            f"got spacing_deg={spacing_deg!r}, spacing_km={spacing_km!r}"
        )
    if spacing_km is not None:
        km = _positive("spacing_km", spacing_km, "e.g. 111.0 for about 1 degree")
        spacing_deg = np.degrees(km / EARTH_RADIUS_KM)
    deg = _positive("spacing_deg", spacing_deg, "e.g. 1.0 or 0.25")
    if deg > 30.0:
        raise ValueError(f"spacing_deg = {deg:g} is too coarse; allowed (0, 30] degrees")
    n_cells = EARTH_AREA_KM2 / (np.radians(deg) * EARTH_RADIUS_KM) ** 2
    _check_memory(n_cells, f"a {deg:g} deg grid")
    return deg


def _positive(key, value, example) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a positive number ({example}), got {value!r}") from None
    if not number > 0 or not np.isfinite(number):
        raise ValueError(f"{key} must be a positive number ({example}), got {value!r}")
    return number


def _check_memory(n_cells: float, what: str) -> None:
    try:
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        available = 8 * 2**30
    needed = n_cells * BYTES_PER_CELL
    if needed > 0.5 * available:
        raise ValueError(
            f"{what} has about {n_cells:,.0f} cells and needs about {needed / 2**30:,.1f} GiB, more "
            f"than half of this machine's {available / 2**30:,.1f} GiB; use a coarser spacing "
            "or a regional grid (latitude_band_grid, box_grid, country_grid)"
        )


def _global_rings(spacing_deg: float):
    """Ring latitudes (rad), cell counts and ring edges of the global equal-area grid."""
    n_ring = max(1, round(180.0 / spacing_deg))
    dlat = np.pi / n_ring
    edges = -np.pi / 2 + dlat * np.arange(n_ring + 1)
    lat = 0.5 * (edges[:-1] + edges[1:])
    n = np.maximum(1, np.round(2 * np.pi * np.cos(lat) / np.radians(spacing_deg))).astype(np.int64)
    return lat, n, edges


def _ring_grid(spacing_deg: float, lat_min: float, lat_max: float, name: str,
               lon_range: tuple[float, float] | None = None, mask_fn=None,
               earth: str = "wgs84") -> Grid:
    lat_all, n_all, edges = _global_rings(spacing_deg)
    lat_deg_all = np.degrees(lat_all)
    keep = (lat_deg_all >= lat_min) & (lat_deg_all <= lat_max)
    if not keep.any():
        raise ValueError(
            f"the latitude range [{lat_min:g}, {lat_max:g}] deg holds no ring centre of a "
            f"{spacing_deg:g} deg grid; widen the range or use a finer spacing"
        )
    lat, n = lat_all[keep], n_all[keep]
    band_area = zone_area_km2(edges[:-1], edges[1:], check_earth(earth))[keep]
    offset = np.concatenate([[0], np.cumsum(n)[:-1]])
    rings = Rings(lat_rad=lat, n=n, offset=offset)
    ring_of_point = np.repeat(np.arange(len(n)), n)
    k = np.arange(rings.n_points) - offset[ring_of_point]
    lon_all = -180.0 + (k + 0.5) * 360.0 / n[ring_of_point]
    lat_pts = np.degrees(lat[ring_of_point])
    area = (band_area / n)[ring_of_point]
    select = np.ones(rings.n_points, dtype=bool)
    if lon_range is not None:
        lo, hi = lon_range
        rel = np.mod(lon_all - lo, 360.0)
        select &= rel <= np.mod(hi - lo, 360.0) if hi - lo < 360.0 else True
    if mask_fn is not None:
        select &= mask_fn(lat_pts, lon_all)
    if not select.any():
        raise ValueError(f"grid {name!r} holds no cell at {spacing_deg:g} deg; use a finer spacing")
    scan_index = None if select.all() else np.flatnonzero(select)
    pick = slice(None) if scan_index is None else scan_index
    return Grid(
        lat_deg=lat_pts[pick], lon_deg=lon_all[pick], area_km2=area[pick], weight=area[pick],
        name=name, spacing_deg=spacing_deg, rings=rings, scan_index=scan_index, earth=earth,
    )


def global_grid(spacing_deg: float | None = None, spacing_km: float | None = None,
                earth: str = "wgs84") -> Grid:
    """Global equal-area grid of latitude rings.

    Parameters
    ----------
    spacing_deg : float, optional
        Ring height and approximate cell width, degrees (0 < spacing <= 30).
    spacing_km : float, optional
        The same as a great-circle distance, km. Give exactly one of the two.
    earth : {"wgs84", "sphere"}
        Earth model: geodetic ring latitudes and ellipsoid areas (default), or a sphere.

    Returns
    -------
    Grid
        About ``41,253 / spacing_deg**2`` cells whose areas sum to the model's surface area
        (510,065,621.7 km^2 on WGS84, ``4 pi R^2`` on the sphere).

    Examples
    --------
    >>> g = global_grid(spacing_deg=1.0)
    >>> len(g), round(float(g.area_km2.sum()), 1)
    (41252, 510065621.7)
    >>> s = global_grid(spacing_deg=1.0, earth="sphere")
    >>> round(float(s.area_km2.sum() / (4 * 3.141592653589793 * 6378.137**2)), 12)
    1.0
    """
    deg = _spacing_deg(spacing_deg, spacing_km)
    return _ring_grid(deg, -90.0, 90.0, f"global {deg:g} deg equal-area", earth=earth)


def latitude_band_grid(lat_min_deg: float, lat_max_deg: float, spacing_deg: float | None = None,
                       spacing_km: float | None = None, earth: str = "wgs84") -> Grid:
    """Equal-area cells of the global grid whose centres lie between two latitudes.

    ``earth`` as for :func:`global_grid`.

    Examples
    --------
    >>> g = latitude_band_grid(-10.0, 10.0, spacing_deg=2.0)
    >>> bool(abs(g.lat_deg).max() <= 10.0)
    True
    """
    deg = _spacing_deg(spacing_deg, spacing_km)
    lo, hi = _lat_range(lat_min_deg, lat_max_deg)
    return _ring_grid(deg, lo, hi, f"latitudes {lo:g} to {hi:g} deg, {deg:g} deg equal-area",
                      earth=earth)


def box_grid(lat_min_deg: float, lat_max_deg: float, lon_min_deg: float, lon_max_deg: float,
             spacing_deg: float | None = None, spacing_km: float | None = None,
             earth: str = "wgs84") -> Grid:
    """Equal-area cells inside a latitude/longitude box.

    ``lon_min_deg > lon_max_deg`` selects a box across the antimeridian (e.g. 170 to -170); ``earth``
    as for :func:`global_grid`.

    Examples
    --------
    >>> g = box_grid(24.0, 50.0, -125.0, -66.0, spacing_deg=1.0)  # contiguous USA
    >>> bool(g.lon_deg.min() >= -125.0 and g.lon_deg.max() <= -66.0)
    True
    """
    deg = _spacing_deg(spacing_deg, spacing_km)
    lo, hi = _lat_range(lat_min_deg, lat_max_deg)
    for key, value in (("lon_min_deg", lon_min_deg), ("lon_max_deg", lon_max_deg)):
        if not -180.0 <= float(value) <= 360.0:
            raise ValueError(f"{key} = {value!r} is outside [-180, 360] degrees")
    name = f"box {lo:g}..{hi:g} N, {lon_min_deg:g}..{lon_max_deg:g} E, {deg:g} deg"
    return _ring_grid(deg, lo, hi, name, lon_range=(float(lon_min_deg), float(lon_max_deg)),
                      earth=earth)


def _lat_range(lat_min_deg, lat_max_deg):
    lo, hi = float(lat_min_deg), float(lat_max_deg)
    if not -90.0 <= lo < hi <= 90.0:
        raise ValueError(
            f"latitudes must satisfy -90 <= lat_min < lat_max <= 90, got {lat_min_deg!r} and "
            f"{lat_max_deg!r}"
        )
    return lo, hi


def points(lat_deg, lon_deg, names=None, weights=None, name: str = "points",
           earth: str = "wgs84") -> Grid:
    """A list of ground points (cities, sites); coverage is tested point by point.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (n_point,)
        Latitude (geodetic on WGS84, geocentric on the sphere) and longitude, degrees.
    names : sequence of str, optional
    weights : array_like, shape (n_point,), optional
        Weights for grid statistics (e.g. population); default 1.
    name : str
        Description of the list.
    earth : {"wgs84", "sphere"}
        How the latitudes are meant (points have weights, not areas).

    Examples
    --------
    >>> g = points([52.52, 38.9], [13.40, -77.04], names=["Berlin", "Washington"])
    >>> len(g), g.names.tolist()
    (2, ['Berlin', 'Washington'])
    """
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=float))
    if lat.ndim != 1 or lat.shape != lon.shape:
        raise ValueError(f"lat_deg and lon_deg must be 1-D of equal length, got {lat.shape} "
                         f"and {lon.shape}")
    if lat.size == 0:
        raise ValueError("the point list is empty; give at least one latitude/longitude pair")
    if not np.all(np.abs(lat) <= 90):
        raise ValueError(f"latitudes must lie in [-90, 90] deg, got {lat[np.abs(lat) > 90][:3]}")
    if not np.all(np.isfinite(lon)):
        raise ValueError("longitudes must be finite numbers in degrees")
    w = np.ones_like(lat) if weights is None else np.asarray(weights, dtype=float)
    if w.shape == lat.shape and not np.all(np.isfinite(w)):
        bad = np.flatnonzero(~np.isfinite(w))
        raise ValueError(f"weights must be finite, got {w[bad[0]]} at point {int(bad[0])} "
                         f"({bad.size} non-finite); give each point a finite weight >= 0 "
                         "(e.g. its population), or weights=None for equal weights")
    if w.shape != lat.shape or np.any(w < 0):
        raise ValueError(f"weights must be {lat.size} non-negative numbers, got shape {w.shape}")
    if names is not None:
        names = np.asarray([str(x) for x in names])
        if names.shape != lat.shape:
            raise ValueError(f"names must have {lat.size} entries, got {names.size}")
    return Grid(lat_deg=lat, lon_deg=np.mod(lon + 180.0, 360.0) - 180.0,
                area_km2=np.full_like(lat, np.nan), weight=w, name=name, names=names,
                earth=check_earth(earth))
