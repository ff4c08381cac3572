"""Walker constellations: shells, their per-satellite orbital elements, and groups of shells.

A :class:`Shell` is one Walker pattern (delta or star) of circular orbits; a :class:`Constellation`
is a named set of shells with a default minimum elevation. Elements come out as flat arrays over all
satellites, in shell order, plane by plane.

Walker T/P/F (docs/REFERENCE.md section 5): plane ``k`` has RAAN ``k * spread / P`` (spread 360 deg for delta,
180 deg for star) and satellite ``j`` in it has argument of latitude ``j 360/S + k F 360/T``, ``S = T/P``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .elements import Elements
from .propagation import J2Propagator

__all__ = ["Constellation", "Elements", "Shell", "walker_delta", "walker_star"]

MIN_ALTITUDE_KM = 100.0
MAX_ALTITUDE_KM = 50_000.0


@dataclass(frozen=True)
class Shell:
    """One Walker shell of circular orbits.

    Parameters
    ----------
    altitude_km : float
        Orbit altitude above the spherical Earth, 100 to 50,000 km.
    inclination_deg : float
        Inclination, 0 to 180 degrees.
    planes : int
        Number of orbital planes P (divides the total).
    sats_per_plane : int
        Satellites per plane S; the total is ``T = P * S``.
    phasing : int
        Walker phasing parameter F, 0 <= F < P.
    pattern : {"delta", "star"}
        Delta spreads the nodes over 360 degrees, star over 180 degrees.
    raan_offset_deg : float
        RAAN of the first plane, degrees.
    name : str
        Label used in tables.
    min_elevation_deg : float, optional
        Overrides the constellation's minimum elevation for this shell.
    max_nadir_deg : float, optional
        Sensor half-angle from nadir; ``None`` for no sensor limit.

    Examples
    --------
    >>> shell = Shell(550.0, 53.0, planes=72, sats_per_plane=22, phasing=17, name="Starlink 1")
    >>> shell.total
    1584
    """

    altitude_km: float
    inclination_deg: float
    planes: int
    sats_per_plane: int
    phasing: int = 0
    pattern: str = "delta"
    raan_offset_deg: float = 0.0
    name: str = ""
    min_elevation_deg: float | None = None
    max_nadir_deg: float | None = None

    def __post_init__(self):
        label = f"shell {self.name!r}: " if self.name else "shell: "
        _check_range(label + "altitude_km", self.altitude_km, MIN_ALTITUDE_KM, MAX_ALTITUDE_KM,
                     "give the altitude above the Earth's surface in km (e.g. 550.0)")
        _check_range(label + "inclination_deg", self.inclination_deg, 0.0, 180.0,
                     "use 0-90 for prograde and 90-180 for retrograde orbits (e.g. 53.0)")
        for key in ("planes", "sats_per_plane"):
            value = getattr(self, key)
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{label}{key} must be a positive integer, got {value!r}")
        if not isinstance(self.phasing, int | np.integer) or not 0 <= self.phasing < self.planes:
            raise ValueError(
                f"{label}phasing F must be an integer with 0 <= F < planes ({self.planes}), "
                f"got {self.phasing!r}; F = 0 aligns the satellites of neighbouring planes"
            )
        if self.pattern not in ("delta", "star"):
            raise ValueError(f"{label}pattern must be 'delta' or 'star', got {self.pattern!r}")
        if self.min_elevation_deg is not None:
            _check_range(label + "min_elevation_deg", self.min_elevation_deg, 0.0, 89.0,
                         "typical user terminals need 25-35 degrees")
        if self.max_nadir_deg is not None:
            _check_range(label + "max_nadir_deg", self.max_nadir_deg, 0.0, 90.0,
                         "give the sensor half-angle from nadir in degrees, or None")

    @property
    def total(self) -> int:
        """Number of satellites T = planes * sats_per_plane."""
        return self.planes * self.sats_per_plane

    def elements(self, min_elevation_deg: float, shell_index: int = 0) -> Elements:
        """Per-satellite elements of this shell, plane by plane.

        Parameters
        ----------
        min_elevation_deg : float
            Used when the shell has no minimum elevation of its own.
        shell_index : int
            Stored in ``Elements.shell``.

        Returns
        -------
        Elements
            Arrays of shape (total,).
        """
        p, s, t = self.planes, self.sats_per_plane, self.total
        spread = 2 * np.pi if self.pattern == "delta" else np.pi
        plane = np.repeat(np.arange(p), s)
        slot = np.tile(np.arange(s), p)
        raan = np.radians(self.raan_offset_deg) + plane * spread / p
        arg_lat = slot * 2 * np.pi / s + plane * self.phasing * 2 * np.pi / t
        elev = self.min_elevation_deg if self.min_elevation_deg is not None else min_elevation_deg
        nadir = self.max_nadir_deg if self.max_nadir_deg is not None else np.inf
        return Elements(
            altitude_km=np.full(t, float(self.altitude_km)),
            inclination_rad=np.full(t, np.radians(self.inclination_deg)),
            raan_rad=np.mod(raan, 2 * np.pi),
            arg_latitude_rad=np.mod(arg_lat, 2 * np.pi),
            min_elevation_deg=np.full(t, float(elev)),
            max_nadir_deg=np.full(t, float(nadir)),
            shell=np.full(t, shell_index, dtype=np.int32),
        )


def _check_range(key, value, low, high, fix):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number in [{low:g}, {high:g}], got {value!r}; {fix}") from None
    if not low <= number <= high or not np.isfinite(number):
        raise ValueError(f"{key} = {value!r} is outside the allowed range [{low:g}, {high:g}]; {fix}")


@dataclass(frozen=True)
class Constellation:
    """A named set of Walker shells.

    Parameters
    ----------
    name : str
    shells : tuple of Shell
    min_elevation_deg : float
        Default minimum user elevation; a shell may override it.
    source : str
        Where the parameters come from, and which of them are assumptions.

    Examples
    --------
    >>> c = Constellation("demo", (Shell(550.0, 53.0, 10, 10, 1),), min_elevation_deg=25.0)
    >>> len(c)
    100
    """

    name: str
    shells: tuple[Shell, ...]
    min_elevation_deg: float = 25.0
    source: str = ""
    description: str = ""
    assumptions: tuple[str, ...] = field(default=())

    def __post_init__(self):
        object.__setattr__(self, "shells", tuple(self.shells))
        object.__setattr__(self, "assumptions", tuple(self.assumptions))
        if not self.shells:
            raise ValueError(f"constellation {self.name!r} has no shells; give at least one Shell")
        if not all(isinstance(s, Shell) for s in self.shells):
            raise ValueError(f"constellation {self.name!r}: every entry of shells must be a Shell")
        _check_range(f"constellation {self.name!r}: min_elevation_deg", self.min_elevation_deg,
                     0.0, 89.0, "typical user terminals need 25-35 degrees")

    def __len__(self) -> int:
        return sum(s.total for s in self.shells)

    def elements(self) -> Elements:
        """Elements of every satellite, shell after shell; arrays of shape (n_sat,)."""
        parts = [s.elements(self.min_elevation_deg, i) for i, s in enumerate(self.shells)]
        return Elements(**{
            f.name: np.concatenate([getattr(p, f.name) for p in parts])
            for f in dataclasses.fields(Elements)
        })

    def min_elevation_deg_per_sat(self) -> np.ndarray:
        """Minimum elevation of each satellite, shape (n_sat,)."""
        return self.elements().min_elevation_deg

    def max_nadir_deg_per_sat(self) -> np.ndarray:
        """Sensor half-angle from nadir of each satellite, deg, shape (n_sat,); ``inf``: no sensor limit."""
        return self.elements().max_nadir_deg

    def propagator(self, start) -> J2Propagator:
        """Circular J2 propagator of every satellite from ``start`` (UTC)."""
        return J2Propagator(self.elements(), start)

    def with_min_elevation(self, min_elevation_deg: float) -> Constellation:
        """Copy with a new minimum elevation applied to every shell."""
        shells = tuple(dataclasses.replace(s, min_elevation_deg=None) for s in self.shells)
        return dataclasses.replace(self, shells=shells, min_elevation_deg=min_elevation_deg)

    def describe(self) -> str:
        """A short multi-line text: shells, satellites and source."""
        lines = [f"{self.name}: {len(self):,} satellites in {len(self.shells)} shell(s), "
                 f"min elevation {self.min_elevation_deg:g} deg"]
        for s in self.shells:
            elev = "" if s.min_elevation_deg is None else f", min elev {s.min_elevation_deg:g} deg"
            lines.append(
                f"  {s.name or 'shell'}: {s.altitude_km:g} km, {s.inclination_deg:g} deg, "
                f"{s.planes} x {s.sats_per_plane} = {s.total:,}, {s.pattern} F={s.phasing}{elev}"
            )
        if self.source:
            lines.append(f"  source: {self.source}")
        lines.extend(f"  assumption: {a}" for a in self.assumptions)
        return "\n".join(lines)


def walker_delta(total: int, planes: int, phasing: int, altitude_km: float,
                 inclination_deg: float, *, name: str = "", min_elevation_deg: float = 25.0,
                 raan_offset_deg: float = 0.0) -> Constellation:
    """A one-shell Walker delta constellation i: T/P/F (nodes spread over 360 degrees).

    Examples
    --------
    >>> c = walker_delta(1584, 72, 17, 550.0, 53.0, name="Starlink shell 1")
    >>> len(c), c.shells[0].sats_per_plane
    (1584, 22)
    """
    return _walker(total, planes, phasing, altitude_km, inclination_deg, "delta", name,
                   min_elevation_deg, raan_offset_deg)


def walker_star(total: int, planes: int, phasing: int, altitude_km: float,
                inclination_deg: float, *, name: str = "", min_elevation_deg: float = 25.0,
                raan_offset_deg: float = 0.0) -> Constellation:
    """A one-shell Walker star constellation (nodes spread over 180 degrees, near-polar orbits).

    Examples
    --------
    >>> len(walker_star(66, 6, 2, 780.0, 86.4, name="Iridium-like"))
    66
    """
    return _walker(total, planes, phasing, altitude_km, inclination_deg, "star", name,
                   min_elevation_deg, raan_offset_deg)


def _walker(total, planes, phasing, altitude_km, inclination_deg, pattern, name,
            min_elevation_deg, raan_offset_deg):
    for key, value in (("total", total), ("planes", planes)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise ValueError(f"Walker {key} must be a positive integer, got {value!r}")
    if total % planes:
        raise ValueError(
            f"Walker planes = {planes} does not divide total = {total}; "
            f"choose planes among the divisors of {total} (e.g. {_divisors_hint(total)})"
        )
    name = name or f"Walker {pattern} {inclination_deg:g}: {total}/{planes}/{phasing}"
    shell = Shell(altitude_km, inclination_deg, planes, total // planes, phasing, pattern,
                  raan_offset_deg, name)
    return Constellation(name, (shell,), min_elevation_deg=min_elevation_deg,
                         source=f"Walker {pattern} T/P/F = {total}/{planes}/{phasing}")


def _divisors_hint(n: int) -> str:
    divisors = [d for d in range(2, min(n, 200) + 1) if n % d == 0]
    return ", ".join(str(d) for d in divisors[:8]) or "1"
