"""Missile launch sites: the :class:`ThreatSite` point, the ``threats.toml`` loader, user points, countries.

A site is one point standing for a launch area (a pad, a garrison, a silo field). The shipped sites
live in ``constellations/data/threats.toml``, each with its source and how far real launch points may
lie from it; :func:`threat_sites` reads and checks that file (or one of the same format) before any
computing, with the messages of :mod:`constellations.validation`. :func:`sites_from_points` and
:func:`sites_in_country` make sites of the user's own.

Examples
--------
>>> [s.country for s in threat_sites(["Sohae", "Plesetsk"])]
['North Korea', 'Russia']
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..sources.datafiles import data_dir
from ..sources.regions import country_grid
from ..validation import Checker, did_you_mean, read_toml

__all__ = [
    "SITE_TAGS",
    "ThreatSite",
    "as_site_list",
    "site_unit_vectors",
    "sites_from_points",
    "sites_in_country",
    "threat_sites",
    "threats_path",
]

SITE_TAGS = ("secondary", "derived", "approximate", "user")
"""Source quality of a site's coordinates (see the head of ``threats.toml``)."""

_TEXT_CHARS = 1000  # ``kind`` and ``source`` are sentences, longer than a name


@dataclass(frozen=True)
class ThreatSite:
    """A missile launch area represented by one point.

    Parameters
    ----------
    name, country : str
    lat_deg, lon_deg : float
        Geocentric latitude in [-90, 90] and longitude (any finite value; stored in [-180, 180)).
    kind, propellant : str
        What is launched there (informational).
    uncertainty_km : float
        How far real launch points may lie from this point (NaN: unknown).
    tag : str
        Source quality: one of :data:`SITE_TAGS`.
    source : str
        Where the coordinates come from.

    Examples
    --------
    >>> ThreatSite("test", "none", 40.0, 370.0).lon_deg
    10.0
    """

    name: str
    country: str
    lat_deg: float
    lon_deg: float
    kind: str = ""
    propellant: str = ""
    uncertainty_km: float = float("nan")
    tag: str = "user"
    source: str = ""

    def __post_init__(self):
        try:
            lat, lon = float(self.lat_deg), float(self.lon_deg)
        except (TypeError, ValueError):
            raise ValueError(f"site {self.name!r}: lat_deg and lon_deg must be numbers in degrees, got "
                             f"{self.lat_deg!r}, {self.lon_deg!r}") from None
        if not -90.0 <= lat <= 90.0:
            raise ValueError(f"site {self.name!r}: lat_deg = {self.lat_deg!r} is outside [-90, 90]; give "
                             "the geographic latitude in degrees, north positive")
        if not math.isfinite(lon):
            raise ValueError(f"site {self.name!r}: lon_deg = {self.lon_deg!r} must be a finite number in "
                             "degrees, east positive")
        object.__setattr__(self, "lat_deg", lat)
        if not -180.0 <= lon < 180.0:
            lon = (lon + 180.0) % 360.0 - 180.0
        object.__setattr__(self, "lon_deg", lon)
        object.__setattr__(self, "uncertainty_km", float(self.uncertainty_km))


_SITE_KEYS = tuple(f.name for f in dataclasses.fields(ThreatSite))
_REQUIRED_KEYS = ("name", "country", "lat_deg", "lon_deg")


def threats_path() -> Path:
    """The shipped launch-site file, ``constellations/data/threats.toml``."""
    return data_dir() / "threats.toml"


def _parse_site(c: Checker, entry, key: str) -> ThreatSite:
    """One ``[[sites]]`` table, checked key by key (``key`` is its path, e.g. ``sites[3]``)."""
    entry = c.table(entry, key)
    c.keys(entry, _SITE_KEYS, prefix=f"{key}.", required=_REQUIRED_KEYS)
    values = {
        "name": c.string(entry["name"], f"{key}.name", '"Sohae"'),
        "country": c.string(entry["country"], f"{key}.country", '"North Korea"'),
        "lat_deg": c.number(entry["lat_deg"], f"{key}.lat_deg", "39.66", low=-90.0, high=90.0,
                            strict_low=False),
        "lon_deg": c.number(entry["lon_deg"], f"{key}.lon_deg", "124.7"),
    }
    for text in ("kind", "propellant", "source"):
        if text in entry:
            values[text] = c.string(entry[text], f"{key}.{text}", '"solid"', max_chars=_TEXT_CHARS)
    if "uncertainty_km" in entry:
        values["uncertainty_km"] = c.number(entry["uncertainty_km"], f"{key}.uncertainty_km", "20.0",
                                            low=0.0, strict_low=False)
    if "tag" in entry:
        values["tag"] = c.choice(entry["tag"], f"{key}.tag", SITE_TAGS)
    return ThreatSite(**values)


def _read_sites(file: Path) -> list[ThreatSite]:
    """Every site of a ``threats.toml``-format file, checked before anything uses them."""
    raw = read_toml(file, what="threat-site file")
    c = Checker(file)
    c.keys(raw, ("sites",), required=("sites",))
    entries = raw["sites"]
    if not isinstance(entries, list) or not entries:
        raise c.error("sites", entries, "must be a non-empty array of tables; write one [[sites]] table "
                                        "per launch area")
    sites = [_parse_site(c, entry, f"sites[{i}]") for i, entry in enumerate(entries)]
    seen: dict[str, int] = {}
    for i, s in enumerate(sites):
        if s.name.lower() in seen:
            first = seen[s.name.lower()]
            raise c.error(f"sites[{i}].name", s.name, f"is already the name of sites[{first}]; give every "
                                                      "site its own name")
        seen[s.name.lower()] = i
    return sites


def threat_sites(names=None, *, countries=None, path=None) -> list[ThreatSite]:
    """Launch areas from ``threats.toml`` (or another file of the same format).

    Parameters
    ----------
    names : str or sequence of str, optional
        Site names to keep (case-insensitive), in the order given; default all.
    countries : str or sequence of str, optional
        Keep sites of these countries (case-insensitive).
    path : str or Path, optional
        A TOML file with ``[[sites]]`` tables (keys as :class:`ThreatSite`); default
        :func:`threats_path`. Unknown keys, strings where numbers belong and out-of-range values are
        errors that name the file, the key path and the value.

    Returns
    -------
    list of ThreatSite

    Examples
    --------
    >>> [s.country for s in threat_sites(["Sohae", "Plesetsk"])]
    ['North Korea', 'Russia']
    >>> len(threat_sites(countries="Iran"))
    2
    """
    sites = _read_sites(Path(path) if path is not None else threats_path())
    if countries is not None:
        wanted = {c.lower() for c in ([countries] if isinstance(countries, str) else countries)}
        known = {s.country.lower() for s in sites}
        if wanted - known:
            raise ValueError(f"unknown countries {sorted(wanted - known)}; the file has "
                             f"{sorted({s.country for s in sites})}")
        sites = [s for s in sites if s.country.lower() in wanted]
    if names is not None:
        by_name = {s.name.lower(): s for s in sites}
        chosen = []
        for n in [names] if isinstance(names, str) else names:
            if str(n).lower() not in by_name:
                raise ValueError(f"unknown threat site {n!r}; choose among {[s.name for s in sites]} or "
                                 f"build your own with sites_from_points()"
                                 f"{did_you_mean(n, [s.name for s in sites])}")
            chosen.append(by_name[str(n).lower()])
        sites = chosen
    return sites


def sites_from_points(lat_deg, lon_deg, names=None, *, country: str = "user-defined") -> list[ThreatSite]:
    """User-defined launch points.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (n_site,)
        Degrees.
    names : sequence of str, optional
        Default ``"point 1"``, ``"point 2"``, ...
    country : str
        Country label of every point.

    Returns
    -------
    list of ThreatSite

    Examples
    --------
    >>> [s.name for s in sites_from_points([70.0, 72.0], [35.0, 40.0], ["Barents A", "Barents B"])]
    ['Barents A', 'Barents B']
    """
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=float))
    if lat.ndim != 1 or lat.shape != lon.shape or lat.size == 0:
        raise ValueError(f"lat_deg and lon_deg must be 1-D and of equal, non-zero length; got shapes "
                         f"{lat.shape} and {lon.shape}")
    if names is None:
        names = [f"point {i + 1}" for i in range(lat.size)]
    names = [str(n) for n in names]
    if len(names) != lat.size:
        raise ValueError(f"names has {len(names)} entries for {lat.size} points; give one name per point")
    return [ThreatSite(n, country, float(a), float(o), tag="user", source="user-defined point")
            for n, a, o in zip(names, lat, lon, strict=True)]


def sites_in_country(country: str, spacing_deg: float = 2.0) -> list[ThreatSite]:
    """Launch points filling a country's polygon (Natural Earth, equal-area cells of ``spacing_deg``).

    Use it to ask "from anywhere in this country" (mobile launchers); the worst site is the answer.

    Parameters
    ----------
    country : str
        A Natural Earth country name.
    spacing_deg : float
        Cell size, degrees.

    Returns
    -------
    list of ThreatSite
        One per cell centre inside the polygon; ``uncertainty_km`` is half a cell.

    Examples
    --------
    >>> sites = sites_in_country("North Korea", spacing_deg=1.0)
    >>> 5 < len(sites) < 20 and all(37 < s.lat_deg < 43.5 for s in sites)
    True
    """
    grid = country_grid(country, spacing_deg=spacing_deg)
    if len(grid) == 0:
        raise ValueError(f"no {spacing_deg:g}-degree cell centre falls inside {country!r}; use a smaller "
                         "spacing_deg")
    return [ThreatSite(f"{country} {i + 1}", country, float(a), float(o), kind="cell of country polygon",
                       uncertainty_km=spacing_deg * 111.2 / 2, tag="user",
                       source=f"Natural Earth 1:110m polygon of {country}, {spacing_deg:g} deg cells")
            for i, (a, o) in enumerate(zip(grid.lat_deg, grid.lon_deg, strict=True))]


def site_unit_vectors(sites) -> np.ndarray:
    """Earth-fixed unit vectors of the sites.

    Parameters
    ----------
    sites : sequence of ThreatSite

    Returns
    -------
    ndarray, shape (n_site, 3)
    """
    lat = np.radians([s.lat_deg for s in sites])
    lon = np.radians([s.lon_deg for s in sites])
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def as_site_list(sites) -> list[ThreatSite]:
    """A non-empty list of ThreatSite (one site passes as a list of one), or a ValueError."""
    if isinstance(sites, ThreatSite):
        return [sites]
    sites = list(sites)
    if not sites or not all(isinstance(s, ThreatSite) for s in sites):
        raise ValueError("sites must be a non-empty list of ThreatSite (from threat_sites(), "
                         "sites_from_points() or sites_in_country())")
    return sites
