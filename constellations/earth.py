"""Observers on the Earth's surface: WGS84 (or spherical) positions, local vertical, elevation of a satellite.

The Earth model is named by a string everywhere in the package: ``"wgs84"`` (the default: observers at
height 0 on the WGS84 ellipsoid, elevation measured from the local geodetic horizon, as skyfield's
``wgs84.latlon(...)`` with ``altaz()``) or ``"sphere"`` (radius :data:`EARTH_RADIUS_KM`, radial vertical).
Latitudes of observers are geodetic on WGS84 and geocentric on the sphere.

All functions take and return arrays; positions are Earth-fixed (ITRF-like) in km, last axis ``(x, y, z)``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EARTH_MODELS",
    "MAX_VERTICAL_DEFLECTION_RAD",
    "MIN_VISIBLE_RADIUS_KM",
    "WGS84_AREA_KM2",
    "WGS84_A_KM",
    "WGS84_B_KM",
    "WGS84_E",
    "WGS84_E2",
    "WGS84_F",
    "check_earth",
    "elevation_rad",
    "observer_ecef_km",
    "reach_rad",
    "ring_half_width_rad",
    "surface_area_km2",
    "up_unit",
    "zone_area_km2",
]

WGS84_A_KM = 6378.137  # km, WGS84 semi-major axis (NIMA TR8350.2)
WGS84_F = 1.0 / 298.257223563  # WGS84 flattening (NIMA TR8350.2)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)  # first eccentricity squared
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)  # km, polar semi-axis, 6356.752314
WGS84_E = np.sqrt(WGS84_E2)  # first eccentricity
EARTH_MODELS = ("wgs84", "sphere")
# Largest angle between the geodetic normal and the geocentric radius of a point on the ellipsoid,
# reached at geodetic latitude arctan(a / b) ~ 45.1 deg: arctan(a / b) - arctan(b / a) = 0.19242 deg.
MAX_VERTICAL_DEFLECTION_RAD = float(np.arctan(WGS84_A_KM / WGS84_B_KM) - np.arctan(WGS84_B_KM / WGS84_A_KM))
# Satellites nearer the Earth's centre than this are never counted by the WGS84 ring kernel: farther
# out, a satellite lies outside every ring's local sphere (centre -e2 N sin(phi) on the axis, radius N;
# N + e2 N <= a (1 + e2) / sqrt(1 - e2)), which the closed-form half-width needs. 6442.4 km is about
# 64 km above the equator and 86 km above the poles: below any orbit.
MIN_VISIBLE_RADIUS_KM = float(WGS84_A_KM * (1.0 + WGS84_E2) / np.sqrt(1.0 - WGS84_E2))


def check_earth(earth: str) -> str:
    """Return ``earth`` if it names an Earth model, else raise a ValueError that lists them.

    Examples
    --------
    >>> check_earth("wgs84")
    'wgs84'
    """
    if earth not in EARTH_MODELS:
        raise ValueError(f"earth = {earth!r}: must be one of {', '.join(map(repr, EARTH_MODELS))}; "
                         "use 'wgs84' (geodetic observers, the default) or 'sphere'")
    return earth


def observer_ecef_km(lat_deg, lon_deg, earth: str = "wgs84") -> np.ndarray:
    """Earth-fixed position of observers at height 0.

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        Latitude (geodetic on WGS84, geocentric on the sphere) and longitude, degrees.
    earth : {"wgs84", "sphere"}

    Returns
    -------
    ndarray, shape (*broadcast, 3)
        km.

    Examples
    --------
    >>> p = observer_ecef_km(90.0, 0.0)
    >>> round(float(p[2]), 3)  # the polar radius b = a (1 - f)
    6356.752
    """
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    if check_earth(earth) == "sphere":
        n_km, z_scale = WGS84_A_KM, 1.0
    else:
        n_km = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
        z_scale = 1.0 - WGS84_E2
    return np.stack([n_km * cos_lat * np.cos(lon), n_km * cos_lat * np.sin(lon),
                     n_km * z_scale * sin_lat], axis=-1)


def up_unit(lat_deg, lon_deg) -> np.ndarray:
    """Unit vector of the local vertical: the ellipsoid normal at geodetic latitude ``lat_deg``.

    On the sphere the same formula with geocentric latitude gives the radial direction.

    Returns
    -------
    ndarray, shape (*broadcast, 3)
    """
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def elevation_rad(sat_ecef_km, obs_ecef_km, up) -> np.ndarray:
    """Elevation of satellites above observers' local horizons.

    Parameters
    ----------
    sat_ecef_km, obs_ecef_km : ndarray, shape (..., 3)
        Earth-fixed positions, km, broadcast against each other.
    up : ndarray, shape (..., 3)
        Local vertical unit vectors of the observers (:func:`up_unit`).

    Returns
    -------
    ndarray, shape (...)
        ``arcsin(((s - p) . n) / |s - p|)``, radians; NaN where a position is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> p, n = observer_ecef_km(0.0, 0.0), up_unit(0.0, 0.0)
    >>> round(float(np.degrees(elevation_rad(p + 550.0 * n, p, n))), 6)
    90.0
    """
    d = np.asarray(sat_ecef_km, dtype=float) - np.asarray(obs_ecef_km, dtype=float)
    rng = np.sqrt(np.sum(d * d, axis=-1))
    return np.arcsin(np.clip(np.sum(d * up, axis=-1) / rng, -1.0, 1.0))


def _authalic_q(sin_lat):
    """``q(phi) = (1 - e2) (sin phi / (1 - e2 sin^2 phi) + artanh(e sin phi) / e)`` (Snyder 1987, 3-12)."""
    return (1.0 - WGS84_E2) * (sin_lat / (1.0 - WGS84_E2 * sin_lat**2)
                               + np.arctanh(WGS84_E * sin_lat) / WGS84_E)


def zone_area_km2(lat1_rad, lat2_rad, earth: str = "wgs84") -> np.ndarray:
    """Area of the zone between two latitudes, over all longitudes.

    On WGS84 the latitudes are geodetic and the area is ``pi a^2 (q(phi2) - q(phi1))`` with the
    authalic-latitude function ``q`` (Snyder 1987, *Map Projections: A Working Manual*, eq. 3-12);
    on the sphere it is ``2 pi R^2 (sin phi2 - sin phi1)``.

    Parameters
    ----------
    lat1_rad, lat2_rad : array_like
        Southern and northern edges, radians (``lat1 <= lat2`` gives a non-negative area).
    earth : {"wgs84", "sphere"}

    Returns
    -------
    ndarray
        km^2, broadcast shape of the inputs.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(zone_area_km2(-np.pi / 2, np.pi / 2)), 1)  # the whole ellipsoid
    510065621.7
    """
    s1 = np.sin(np.asarray(lat1_rad, dtype=float))
    s2 = np.sin(np.asarray(lat2_rad, dtype=float))
    if check_earth(earth) == "sphere":
        return 2.0 * np.pi * WGS84_A_KM**2 * (s2 - s1)
    return np.pi * WGS84_A_KM**2 * (_authalic_q(s2) - _authalic_q(s1))


def surface_area_km2(earth: str = "wgs84") -> float:
    """Surface area of the Earth model, km^2: 510,065,621.7 on WGS84, ``4 pi a^2`` on the sphere.

    Examples
    --------
    >>> round(surface_area_km2("sphere") / surface_area_km2("wgs84"), 6)
    1.002239
    """
    return float(zone_area_km2(-np.pi / 2, np.pi / 2, earth))


WGS84_AREA_KM2 = surface_area_km2("wgs84")  # km^2, 510,065,621.72 (NIMA TR8350.2 table 3.4: 5.10065622e8)


def reach_rad(radius_km, min_elevation_rad, max_nadir_rad=None) -> np.ndarray:
    """Bound on how far (in latitude) from a satellite an observer on WGS84 can see it.

    Every observer at height 0 whose geodetic elevation of the satellite is at least
    ``min_elevation_rad`` (and whose nadir angle seen from the satellite is at most
    ``max_nadir_rad``) has a geodetic latitude within ``reach`` of the satellite's geocentric
    latitude, and a geocentric central angle to it below ``reach``. Derivation: the geodetic vertical
    is within ``delta`` = :data:`MAX_VERTICAL_DEFLECTION_RAD` (0.1924 deg) of the radial one, so the
    elevation above the *radial* horizon is at least ``eps - delta``; on a sphere of the observer's
    radius ``R >= b`` that caps the central angle at ``arccos(b cos(eps - delta) / r) - (eps -
    delta)`` (the cap shrinks as ``R`` grows); the geodetic latitude then lies within the central
    angle plus ``delta`` of the satellite's latitude. A nadir cone of half-angle ``eta`` caps the
    central angle at ``arcsin(r sin(eta) / b) - eta`` when every visible observer is above its
    radial horizon (``eps >= delta``). A margin of 1e-9 rad covers rounding.

    Parameters
    ----------
    radius_km : array_like
        Distance of the satellite from the Earth's centre, km.
    min_elevation_rad : array_like
    max_nadir_rad : array_like, optional
        ``None``, ``inf`` or >= pi/2: no sensor limit.

    Returns
    -------
    ndarray
        Radians, broadcast shape of the inputs; NaN where the radius is NaN or below
        :data:`MIN_VISIBLE_RADIUS_KM`.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(np.degrees(reach_rad(6378.137 + 550.0, np.radians(25.0)))), 3)  # sphere: 8.451
    8.991
    """
    r = np.asarray(radius_km, dtype=float)
    eps = np.asarray(min_elevation_rad, dtype=float)
    delta = MAX_VERTICAL_DEFLECTION_RAD
    e_radial = eps - delta
    with np.errstate(invalid="ignore"):
        gamma = np.arccos(np.minimum(WGS84_B_KM * np.cos(e_radial) / r, 1.0)) - e_radial
        if max_nadir_rad is not None:
            eta = np.asarray(max_nadir_rad, dtype=float)
            x = r * np.sin(np.minimum(eta, np.pi / 2)) / WGS84_B_KM
            cone = (eps >= delta) & (eta < np.pi / 2) & (x < 1.0)
            gamma = np.where(cone, np.minimum(gamma, np.arcsin(np.minimum(x, 1.0)) - eta), gamma)
        reach = gamma + delta + 1e-9
        return np.where(r >= MIN_VISIBLE_RADIUS_KM, reach, np.nan)


def ring_half_width_rad(lat_rad, sat_lat_rad, sat_radius_km, min_elevation_rad, max_nadir_rad=None):
    """Half-width in longitude of the part of a ring of observers that sees a satellite, on WGS84.

    Observers at height 0 on the ring of geodetic latitude ``lat_rad`` see the satellite (at geocentric
    latitude ``sat_lat_rad``, distance ``sat_radius_km`` from the centre) at or above
    ``min_elevation_rad`` exactly where ``|L - L_s| <= half-width``. The ring's normals meet the axis
    at ``Q = (0, 0, -e2 N sin(phi))``, distance ``N`` from the ring, so its observers see the sky as
    on the sphere of centre ``Q`` and radius ``N``; with ``t = z_s + e2 N sin(phi)``,
    ``rho = r cos(lat_s)``: ``cos(half-width) = (N cos^2 eps - t sin(phi) + sin(eps) sqrt(t^2 + rho^2 -
    N^2 cos^2 eps)) / (rho cos(phi))`` (the larger root of the quadratic in ``cos(L - L_s)``). A nadir
    cone of half-angle ``eta`` bounds the slant range ``v`` by ``M / (T + sqrt(T^2 - M))`` with ``M =
    r^2 - |p|^2``, ``T = r cos(eta)``, a second lower bound on the cosine (see
    :mod:`constellations.coverage` for the one case this leaves out).
    :class:`~constellations.coverage.RingKernel` evaluates the same expressions from per-ring tables.

    Parameters
    ----------
    lat_rad : array_like
        Geodetic latitude of the ring.
    sat_lat_rad, sat_radius_km : array_like
        Geocentric latitude and distance from the Earth's centre (km) of the satellite.
    min_elevation_rad : array_like
    max_nadir_rad : array_like, optional
        Sensor half-angle from the geocentric nadir; ``None``, ``inf`` or >= pi/2: no limit.

    Returns
    -------
    ndarray
        Radians in [0, pi] (pi: the whole ring), NaN where no observer of the ring sees the satellite.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(np.degrees(ring_half_width_rad(0.0, 0.0, 6378.137 + 550.0, np.radians(25.0)))), 3)
    8.451
    """
    phi = np.asarray(lat_rad, dtype=float)
    lat_s = np.asarray(sat_lat_rad, dtype=float)
    r = np.asarray(sat_radius_km, dtype=float)
    eps = np.asarray(min_elevation_rad, dtype=float)
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    n_km = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_phi**2)
    z, rho = r * np.sin(lat_s), r * np.cos(lat_s)
    t = z + WGS84_E2 * n_km * sin_phi
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_half = (n_km * np.cos(eps) ** 2 - t * sin_phi
                    + np.sin(eps) * np.sqrt(t**2 + rho**2 - (n_km * np.cos(eps)) ** 2)) / (rho * cos_phi)
        if max_nadir_rad is not None:
            eta = np.asarray(max_nadir_rad, dtype=float)
            p2 = n_km**2 * (cos_phi**2 + (1.0 - WGS84_E2) ** 2 * sin_phi**2)
            m = r**2 - p2
            v1 = m / (r * np.cos(eta) + np.sqrt(p2 - (r * np.sin(eta)) ** 2))
            c = r**2 + p2 - 2.0 * z * n_km * (1.0 - WGS84_E2) * sin_phi
            cos_cone = (c - v1**2) / (2.0 * rho * n_km * cos_phi)
            cos_half = np.where(np.asarray(eta) < np.pi / 2, np.fmax(cos_half, cos_cone), cos_half)
        half = np.arccos(np.clip(cos_half, -1.0, 1.0))
        return np.where((cos_half <= 1.0) & (r >= MIN_VISIBLE_RADIUS_KM), half, np.nan)
