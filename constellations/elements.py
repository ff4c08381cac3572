"""Per-satellite orbital elements as arrays, and the satellite-source protocol the engine consumes.

A *satellite source* is anything the engine can analyse: a Walker :class:`~constellations.Constellation`
(circular orbits, J2) or a TLE :class:`~constellations.Catalog` (SGP4). It says everything the engine
needs through :class:`SatelliteSource`; its propagator says once, through
:attr:`Propagator.fixed_footprints`, whether footprints are fixed (circular orbits keep their altitude)
or must be recomputed at every step (SGP4). Nothing in the package inspects the type of a source.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Elements", "Propagator", "SatelliteSource"]


@runtime_checkable
class Propagator(Protocol):
    """Positions of ``n_sat`` satellites at offsets ``t_s`` (seconds) from a UTC start.

    Attributes
    ----------
    n_sat : int
    fixed_footprints : bool
        True when every satellite keeps a constant orbit radius (circular orbits): the engine then
        computes footprints once instead of at every step.

    Notes
    -----
    Optional capability of circular-orbit propagators (``fixed_footprints`` True, e.g.
    :class:`~constellations.propagation.J2Propagator`): ``elements`` (the :class:`Elements` at the
    start) and ``angles_rad(t_s) -> (node_lon_rad, arg_latitude_rad)``, each (n_time, n_sat), the
    Earth-fixed longitude of the ascending node and the argument of latitude, linear in ``t_s``;
    and ``subsatellite_trig(t_s, unit=False) -> (lat_rad, lon_rad, sin_lat, cos_lat[, unit_vectors])``,
    each (n_time, n_sat) (the unit vectors (n_time, n_sat, 3), with ``unit=True``), the sub-satellite
    points with the sine and cosine of their latitudes and their Earth-fixed unit vectors (the
    engine's compiled counting and window-finding paths take them instead of forming their own).
    Analyses that work per orbital plane (the SBI counter of
    :mod:`constellations.goldendome.counting`) use them when ``fixed_footprints`` is True and fall
    back to :meth:`positions_ecef_km` otherwise.
    """

    n_sat: int
    fixed_footprints: bool

    def subsatellite(self, t_s):
        """Geocentric latitude, longitude in [-pi, pi) (n_time, n_sat) and orbit radius, km.

        The radius has shape (n_sat,) when :attr:`fixed_footprints`, else (n_time, n_sat); NaN
        entries (failed propagation) are never visible.
        """

    def positions_ecef_km(self, t_s) -> np.ndarray:
        """Earth-fixed positions, km, shape (n_time, n_sat, 3)."""


@runtime_checkable
class SatelliteSource(Protocol):
    """What :func:`constellations.analyze` needs of a constellation or catalog."""

    name: str

    def __len__(self) -> int: ...

    def min_elevation_deg_per_sat(self) -> np.ndarray:
        """Minimum user elevation of each satellite, deg, shape (n_sat,)."""

    def max_nadir_deg_per_sat(self) -> np.ndarray:
        """Sensor half-angle from nadir, deg, shape (n_sat,); ``inf``: no sensor limit."""

    def propagator(self, start) -> Propagator:
        """Propagator of every satellite, counted from ``start`` (UTC)."""


@dataclass(frozen=True)
class Elements:
    """Mean elements of circular orbits, one entry per satellite.

    Attributes
    ----------
    altitude_km, inclination_rad, raan_rad, arg_latitude_rad : ndarray, shape (n_sat,)
        Altitude above the spherical Earth, inclination, right ascension of the ascending node and
        argument of latitude at the analysis start, in the TEME frame.
    min_elevation_deg : ndarray, shape (n_sat,)
        Minimum elevation of each satellite's users.
    max_nadir_deg : ndarray, shape (n_sat,)
        Sensor half-angle from nadir (``inf``: no sensor limit).
    shell : ndarray of int, shape (n_sat,)
        Index of the satellite's shell.
    """

    altitude_km: np.ndarray
    inclination_rad: np.ndarray
    raan_rad: np.ndarray
    arg_latitude_rad: np.ndarray
    min_elevation_deg: np.ndarray
    max_nadir_deg: np.ndarray
    shell: np.ndarray

    def __len__(self) -> int:
        return len(self.altitude_km)

    def subset(self, index) -> Elements:
        """Return the elements of the satellites selected by ``index`` (mask or integer array)."""
        return Elements(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})
