"""Spherical-Earth coverage geometry: footprint radius, nadir angle, slant range (Lang & Adams 1998).

All functions take and return arrays; angles in radians unless the name says ``_deg``.
The Earth is a sphere of radius :data:`EARTH_RADIUS_KM` (the WGS84 equatorial radius).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EARTH_RADIUS_KM",
    "J2",
    "MU_KM3_S2",
    "central_angle_rad",
    "footprint_area_fraction",
    "nadir_angle_rad",
    "slant_range_km",
]

EARTH_RADIUS_KM = 6378.137  # km, WGS84 equatorial radius (docs/REFERENCE.md section 5)
MU_KM3_S2 = 398600.4418  # km^3/s^2, Earth's gravitational parameter (WGS84)
J2 = 1.08262668e-3  # Earth's second zonal harmonic (WGS84, unnormalized)


def central_angle_rad(altitude_km, min_elevation_deg, max_nadir_deg=None):
    """Earth central angle (footprint radius) of a satellite seen at or above a minimum elevation.

    ``lambda = arccos(R cos(eps) / (R + h)) - eps``. With a nadir-pointing sensor of half-angle
    ``max_nadir_deg`` the footprint is the smaller of the elevation and sensor limits.

    Parameters
    ----------
    altitude_km : array_like
        Altitude above the spherical Earth, km.
    min_elevation_deg : array_like
        Minimum elevation of the satellite above the local horizon, degrees.
    max_nadir_deg : array_like, optional
        Sensor half-angle measured from nadir, degrees (``None``: no sensor limit).

    Returns
    -------
    ndarray
        Central angle in radians, broadcast shape of the inputs.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(np.degrees(central_angle_rad(550.0, 25.0))), 3)
    8.451
    """
    h = np.asarray(altitude_km, dtype=float)
    eps = np.radians(np.asarray(min_elevation_deg, dtype=float))
    lam = np.arccos(EARTH_RADIUS_KM * np.cos(eps) / (EARTH_RADIUS_KM + h)) - eps
    if max_nadir_deg is not None:
        eta = np.radians(np.asarray(max_nadir_deg, dtype=float))
        # elevation at which the sensor edge meets the ground: cos(eps) = sin(eta) (R+h)/R
        cos_eps_edge = np.sin(eta) * (EARTH_RADIUS_KM + h) / EARTH_RADIUS_KM
        lam_sensor = np.where(
            cos_eps_edge < 1.0,
            np.pi / 2 - eta - np.arccos(np.minimum(cos_eps_edge, 1.0)),
            np.inf,  # the cone is wider than the Earth's disc: the elevation limit binds
        )
        lam = np.minimum(lam, lam_sensor)
    return lam


def nadir_angle_rad(altitude_km, min_elevation_deg):
    """Nadir angle at the footprint edge: ``eta = arcsin(R cos(eps) / (R + h))``.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(np.degrees(nadir_angle_rad(630.0, 35.0))), 2)
    48.2
    """
    h = np.asarray(altitude_km, dtype=float)
    eps = np.radians(np.asarray(min_elevation_deg, dtype=float))
    return np.arcsin(EARTH_RADIUS_KM * np.cos(eps) / (EARTH_RADIUS_KM + h))


def slant_range_km(altitude_km, min_elevation_deg):
    """Slant range to the footprint edge: ``sqrt((R+h)^2 - (R cos eps)^2) - R sin eps``, km.

    Examples
    --------
    >>> round(float(slant_range_km(550.0, 25.0)), 1)
    1123.4
    """
    h = np.asarray(altitude_km, dtype=float)
    eps = np.radians(np.asarray(min_elevation_deg, dtype=float))
    r, rs = EARTH_RADIUS_KM, EARTH_RADIUS_KM + h
    return np.sqrt(rs**2 - (r * np.cos(eps)) ** 2) - r * np.sin(eps)


def footprint_area_fraction(central_angle):
    """Share of the Earth's surface inside a footprint of the given central angle (radians).

    Examples
    --------
    >>> round(float(footprint_area_fraction(central_angle_rad(550.0, 25.0))), 6)
    0.005429
    """
    return (1.0 - np.cos(np.asarray(central_angle, dtype=float))) / 2.0
