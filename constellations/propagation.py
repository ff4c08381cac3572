"""Circular-orbit propagation with J2 secular drift, into the Earth-fixed frame.

Each satellite keeps its altitude and inclination; its RAAN and argument of latitude advance at the
J2 secular rates (Vallado, *Fundamentals of Astrodynamics*, eq. 9-41 with e = 0):

- RAAN rate: ``-1.5 n J2 (R/a)^2 cos i``
- argument-of-latitude rate: ``n (1 + 1.5 J2 (R/a)^2 (4 cos^2 i - 1))``

The inertial frame is TEME-like; the Earth-fixed frame follows by rotating through GMST
(:mod:`constellations.frames`). Positions are shaped ``(n_time, n_sat, 3)`` in km, the package-wide
convention.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .elements import Elements
from .frames import EARTH_ROTATION_RAD_S, gmst_rad, parse_utc
from .geometry import EARTH_RADIUS_KM, J2, MU_KM3_S2

__all__ = ["J2Propagator", "j2_rates"]


def j2_rates(altitude_km, inclination_rad):
    """Secular J2 rates of a circular orbit.

    Parameters
    ----------
    altitude_km, inclination_rad : array_like, shape (n_sat,)

    Returns
    -------
    raan_rate_rad_s, arg_latitude_rate_rad_s : ndarray, shape (n_sat,)

    Examples
    --------
    >>> import numpy as np
    >>> raan_rate, _ = j2_rates(550.0, np.radians(53.0))
    >>> round(float(np.degrees(raan_rate) * 86400), 2)  # deg/day, docs/REFERENCE.md section 5: about -4.5
    -4.49
    """
    a = EARTH_RADIUS_KM + np.asarray(altitude_km, dtype=float)
    n = np.sqrt(MU_KM3_S2 / a**3)
    k = J2 * (EARTH_RADIUS_KM / a) ** 2
    cos_i = np.cos(np.asarray(inclination_rad, dtype=float))
    raan_rate = -1.5 * n * k * cos_i
    arg_lat_rate = n * (1.0 + 1.5 * k * (4.0 * cos_i**2 - 1.0))
    return raan_rate, arg_lat_rate


class J2Propagator:
    """Propagate circular orbits with J2 secular drift and return Earth-fixed positions.

    Parameters
    ----------
    elements : Elements
        Per-satellite elements at ``start``, arrays of shape (n_sat,).
    start : datetime.datetime or str
        UTC epoch of the elements and origin of ``t_s``.

    Examples
    --------
    >>> from constellations import walker_delta
    >>> prop = walker_delta(24, 3, 1, 550.0, 53.0).propagator("2025-07-01T00:00:00Z")
    >>> prop.positions_ecef_km([0.0, 60.0]).shape
    (2, 24, 3)
    """

    fixed_footprints = True  # circular orbits: every satellite keeps its altitude, so its footprint

    def __init__(self, elements: Elements, start):
        self.elements = elements
        self.start = parse_utc(start)
        self.n_sat = len(elements)
        self.radius_km = EARTH_RADIUS_KM + elements.altitude_km
        self._raan_rate, self._u_rate = j2_rates(elements.altitude_km, elements.inclination_rad)
        self._cos_i = np.cos(elements.inclination_rad)
        self._sin_i = np.sin(elements.inclination_rad)
        self._theta0 = float(gmst_rad(self.start, [0.0])[0])

    def angles_rad(self, t_s):
        """Earth-fixed node longitude and argument of latitude.

        Parameters
        ----------
        t_s : array_like, shape (n_time,)
            Seconds since ``start``.

        Returns
        -------
        node_lon_rad, arg_latitude_rad : ndarray, shape (n_time, n_sat)
        """
        t = np.asarray(t_s, dtype=float)[:, None]
        e = self.elements
        node = e.raan_rad + (self._raan_rate - EARTH_ROTATION_RAD_S) * t - self._theta0
        u = e.arg_latitude_rad + self._u_rate * t
        return node, u

    def positions_ecef_km(self, t_s) -> np.ndarray:
        """Earth-fixed positions, km.

        Parameters
        ----------
        t_s : array_like, shape (n_time,)
            Seconds since ``start``.

        Returns
        -------
        ndarray, shape (n_time, n_sat, 3)
        """
        node, u = self.angles_rad(t_s)
        cos_u, sin_u = np.cos(u), np.sin(u)
        cos_n, sin_n = np.cos(node), np.sin(node)
        r = self.radius_km
        out = np.empty((*node.shape, 3))
        out[..., 0] = r * (cos_n * cos_u - sin_n * sin_u * self._cos_i)
        out[..., 1] = r * (sin_n * cos_u + cos_n * sin_u * self._cos_i)
        out[..., 2] = r * (sin_u * self._sin_i)
        return out

    def subsatellite(self, t_s):
        """Sub-satellite points without forming Cartesian positions.

        Parameters
        ----------
        t_s : array_like, shape (n_time,)

        Returns
        -------
        lat_rad, lon_rad : ndarray, shape (n_time, n_sat)
            Geocentric latitude and longitude in [-pi, pi).
        radius_km : ndarray, shape (n_sat,)
            Constant orbit radius.
        """
        if kernels.backend() == "numba":
            lat, lon, _, _ = self.subsatellite_trig(t_s)
            return lat, lon, self.radius_km
        node, u = self.angles_rad(t_s)
        sin_u = np.sin(u)
        lat = np.arcsin(sin_u * self._sin_i)
        lon = node + np.arctan2(sin_u * self._cos_i, np.cos(u))
        lon = np.mod(lon + np.pi, 2 * np.pi) - np.pi
        return lat, lon, self.radius_km

    def subsatellite_trig(self, t_s, unit: bool = False):
        """Sub-satellite points and the sine and cosine of their latitudes (and their unit vectors).

        On the compiled backend (:mod:`constellations.kernels`) all of them come from one compiled
        pass (:mod:`constellations.propagation_compiled`, equal to the NumPy formulas to 1e-12 rad),
        which spares the counting kernel its own ``sin`` and ``cos`` and the window finder its unit
        vectors; on NumPy they are :meth:`subsatellite`'s latitude and longitude with ``np.sin`` and
        ``np.cos``.

        Parameters
        ----------
        t_s : array_like, shape (n_time,)
        unit : bool
            Also return the Earth-fixed unit vectors of the sub-satellite points.

        Returns
        -------
        lat_rad, lon_rad, sin_lat, cos_lat : ndarray, shape (n_time, n_sat)
        unit_vectors : ndarray, shape (n_time, n_sat, 3), only with ``unit``
            ``(cos lat cos lon, cos lat sin lon, sin lat)``.
        """
        if kernels.backend() == "numba":
            from .propagation_compiled import subsatellite  # numba is optional: load it only when used

            return subsatellite(self, t_s, unit)
        lat, lon, _ = self.subsatellite(t_s)
        sin_lat, cos_lat = np.sin(lat), np.cos(lat)
        if not unit:
            return lat, lon, sin_lat, cos_lat
        vectors = np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), sin_lat], axis=-1)
        return lat, lon, sin_lat, cos_lat, vectors
