"""Space-based interceptors (SBIs) in reach of a missile launch: threat sites, reach models, in-reach counts.

An SBI counts for a launch only if it can reach the rising missile before its boost phase ends
(REFERENCE.md section 4). :class:`ReachModel` turns that into a distance: with boost duration
``t_b``, detection-and-decision delay ``t_d`` and average interceptor flyout speed ``v``, an SBI is
*in reach* at the moment it is ordered to fire if its straight-line distance to the **engagement
point** (a point at ``engagement_altitude_km`` above the launch site) is at most
``v (t_b - t_d)`` ("flyout" mode). A plain "ground" mode instead asks for the sub-satellite point to
lie within a ground range ``d`` of the site, the assumption behind REFERENCE's formula
``k_mean = N (1 - cos(d/R)) / (pi sqrt(sin^2 i - sin^2 phi))`` (:func:`expected_in_reach`).

Both criteria are a bound on the Earth central angle ``theta`` between the satellite and the site:
``cos theta >= c`` with ``c = cos(d/R)`` (ground) or
``c = (r^2 + r_e^2 - D^2) / (2 r r_e)`` (flyout; ``r`` orbit radius, ``r_e = R + h_e``, ``D`` the
flyout range). :func:`in_reach_counts` counts the satellites meeting it at every time step for a
few sites. For circular J2 orbits it works **per orbital plane**: with the site's angular distance
``beta`` from the plane and its projection ``u_s`` onto it, ``cos theta = cos beta cos(u - u_s)``,
so the satellites in reach are those of the plane whose argument of latitude ``u`` lies within
``arccos(c / cos beta)`` of ``u_s`` -- a range count on the plane's sorted phases (a binary
search), exact and ``O(n_time * n_plane * n_site * log n)`` instead of ``O(n_time * n_sat * n_site)``.
Other satellite sources (SGP4 catalogs) take a direct distance test over (time, satellite) chunks.

The time ``t`` of a count is the moment the SBI is ordered to fire (launch + ``t_d``); over a window
in which a launch can come at any moment the statistics do not depend on that shift.

Model limits, stated in every result's attributes: the engagement point is straight above the
launch site (the missile's downrange travel during boost is ignored); flyout is a straight line at
an average speed (no gravity turn, no orbital velocity bookkeeping); one SBI engages one missile and
is not shared between sites; no SBI is lost to failures, fuel state or prior engagements.

Examples
--------
>>> import constellations as cs
>>> from constellations.interceptors import ReachModel, in_reach_counts, threat_sites
>>> sites = threat_sites(["Sohae"])
>>> counts = in_reach_counts(cs.walker_delta(1600, 40, 1, 400.0, 50.0), sites, ReachModel(),
...                          "2025-07-01T00:00:00Z", duration_s=600.0, step_s=60.0)
>>> counts.shape
(10, 1)
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .geometry import EARTH_RADIUS_KM

__all__ = [
    "DEFAULT_START",
    "REACH_ASSUMPTIONS",
    "REACH_SOURCES",
    "ReachModel",
    "ThreatSite",
    "expected_in_reach",
    "expected_in_reach_constellation",
    "in_reach_counts",
    "longest_run_s",
    "mean_in_reach_map",
    "reach_metrics",
    "reach_model",
    "sites_from_points",
    "sites_in_country",
    "threat_sites",
    "tracking_metrics",
]

DEFAULT_START = "2025-07-01T00:00:00Z"
TWO_PI = 2.0 * np.pi
TRIPLE_BUDGET = 1_500_000  # (time, plane, site) triples per chunk of the plane counter
PAIR_BUDGET = 3_000_000  # (time, satellite, site) triples per chunk of the direct counter

MODEL_LIMITS = (
    "engagement point straight above the launch site (downrange travel during boost ignored); "
    "straight-line flyout at an average speed; one SBI per missile, not shared between sites; "
    "no failures or prior engagements; spherical Earth, circular J2 orbits"
)


# --------------------------------------------------------------------------- threat sites


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
        Source quality: "secondary", "derived", "approximate" or "user".
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


def _threats_path() -> Path:
    from .datafiles import data_dir

    return data_dir() / "threats.toml"


def threat_sites(names=None, *, countries=None, path=None) -> list[ThreatSite]:
    """Launch areas from ``data/threats.toml`` (or another file of the same format).

    Parameters
    ----------
    names : str or sequence of str, optional
        Site names to keep (case-insensitive), in the order given; default all.
    countries : str or sequence of str, optional
        Keep sites of these countries (case-insensitive).
    path : str or Path, optional
        A TOML file with ``[[sites]]`` tables (keys as :class:`ThreatSite`).

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
    file = Path(path) if path is not None else _threats_path()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"threat site file {str(file)!r} does not exist; give the path of a TOML file "
                         "with [[sites]] tables") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"threat site file {str(file)!r} is not valid TOML ({exc})") from None
    fields = {f.name for f in dataclasses.fields(ThreatSite)}
    sites = []
    for i, entry in enumerate(raw.get("sites", [])):
        unknown = set(entry) - fields
        missing = {"name", "country", "lat_deg", "lon_deg"} - set(entry)
        if unknown or missing:
            raise ValueError(f"{file.name}: site #{i + 1} ({entry.get('name', '?')!r}) has unknown keys "
                             f"{sorted(unknown)} or lacks {sorted(missing)}; allowed: {sorted(fields)}")
        sites.append(ThreatSite(**entry))
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
                                 "build your own with sites_from_points()")
            chosen.append(by_name[str(n).lower()])
        sites = chosen
    return sites


def sites_from_points(lat_deg, lon_deg, names=None, *, country: str = "user-defined") -> list[ThreatSite]:
    """User-defined launch points.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (n_site,)
    names : sequence of str, optional
        Default ``"point 1"``, ``"point 2"``, ...

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

    Examples
    --------
    >>> sites = sites_in_country("North Korea", spacing_deg=1.0)
    >>> 5 < len(sites) < 20 and all(37 < s.lat_deg < 43.5 for s in sites)
    True
    """
    from .grid import country_grid

    grid = country_grid(country, spacing_deg=spacing_deg)
    if len(grid) == 0:
        raise ValueError(f"no {spacing_deg:g}-degree cell centre falls inside {country!r}; use a smaller "
                         "spacing_deg")
    return [ThreatSite(f"{country} {i + 1}", country, float(a), float(o), kind="cell of country polygon",
                       uncertainty_km=spacing_deg * 111.2 / 2, tag="user",
                       source=f"Natural Earth 1:110m polygon of {country}, {spacing_deg:g} deg cells")
            for i, (a, o) in enumerate(zip(grid.lat_deg, grid.lon_deg, strict=True))]


def _unit_vectors(sites) -> np.ndarray:
    """Earth-fixed unit vectors of the sites, shape (n_site, 3)."""
    lat = np.radians([s.lat_deg for s in sites])
    lon = np.radians([s.lon_deg for s in sites])
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def _check_sites(sites) -> list[ThreatSite]:
    if isinstance(sites, ThreatSite):
        return [sites]
    sites = list(sites)
    if not sites or not all(isinstance(s, ThreatSite) for s in sites):
        raise ValueError("sites must be a non-empty list of ThreatSite (from threat_sites(), "
                         "sites_from_points() or sites_in_country())")
    return sites


# --------------------------------------------------------------------------- reach model

REACH_SOURCES = {
    "boost_s": "solid-propellant ICBM ~170 s, liquid ~250 s (APS 2003 boost-phase study, via REFERENCE "
               "section 4) [secondary]",
    "detect_decide_s": "detection plus decision ~45-60 s [weak secondary]",
    "flyout_speed_km_s": "average interceptor flyout speed of a few km/s [assumption; unverified]",
    "engagement_altitude_km": "height above the launch site at which the intercept happens [assumption]",
    "ground_range_km": "reach as a ground range of the sub-satellite point [assumption]",
}


@dataclass(frozen=True)
class ReachModel:
    """When an SBI can reach a missile in boost phase.

    Parameters
    ----------
    name : str
        Label for tables and figures.
    mode : {"flyout", "ground"}
        "flyout": straight-line distance from the SBI to the engagement point at most
        ``flyout_speed_km_s * (boost_s - detect_decide_s)``. "ground": great-circle distance from the
        sub-satellite point to the site at most ``ground_range_km``.
    boost_s : float
        Boost duration, s (solid ~170, liquid ~250) [secondary].
    detect_decide_s : float
        Detection and decision delay, s (~45-60) [weak secondary].
    flyout_speed_km_s : float
        Average flyout speed of the interceptor, km/s [assumption].
    engagement_altitude_km : float
        Altitude of the engagement point above the launch site, km [assumption].
    ground_range_km : float
        Reach in "ground" mode, km [assumption].
    note : str
        Which published estimate this assumption set is meant to be compared with.

    Examples
    --------
    >>> r = ReachModel(boost_s=170.0, detect_decide_s=50.0, flyout_speed_km_s=4.0)
    >>> r.time_left_s, r.flyout_range_km
    (120.0, 480.0)
    >>> round(float(r.ground_range_equivalent_km(400.0)), 1)  # 400 km orbit, 150 km engagement
    393.0
    """

    name: str = "solid 170 s, 50 s delay, 4 km/s"
    mode: str = "flyout"
    boost_s: float = 170.0
    detect_decide_s: float = 50.0
    flyout_speed_km_s: float = 4.0
    engagement_altitude_km: float = 150.0
    ground_range_km: float = 1000.0
    note: str = ""

    def __post_init__(self):
        if self.mode not in ("flyout", "ground"):
            raise ValueError(f"reach {self.name!r}: mode must be 'flyout' or 'ground', got {self.mode!r}")
        limits = {"boost_s": (1.0, 1000.0, "solid ICBMs ~170 s, liquid ~250 s"),
                  "detect_decide_s": (0.0, 1000.0, "45-60 s is typical"),
                  "flyout_speed_km_s": (0.0, 20.0, "a few km/s"),
                  "engagement_altitude_km": (0.0, 2000.0, "e.g. 100-200 km"),
                  "ground_range_km": (0.0, 20100.0, "e.g. 500-2000 km; half the circumference is 20,038 km")}
        for key, (low, high, hint) in limits.items():
            value = getattr(self, key)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"reach {self.name!r}: {key} must be a number, got {value!r} ({hint})"
                                 ) from None
            if not low <= number <= high:
                raise ValueError(f"reach {self.name!r}: {key} = {value!r} is outside [{low:g}, {high:g}] "
                                 f"({hint})")
            object.__setattr__(self, key, number)

    @property
    def time_left_s(self) -> float:
        """Flyout time available, s: boost duration minus the detection-and-decision delay (>= 0)."""
        return max(0.0, self.boost_s - self.detect_decide_s)

    @property
    def flyout_range_km(self) -> float:
        """Straight-line reach D = flyout speed x time left, km (flyout mode)."""
        return self.flyout_speed_km_s * self.time_left_s

    def cos_threshold(self, radius_km):
        """Smallest cosine of the satellite-site central angle that is in reach.

        Parameters
        ----------
        radius_km : array_like
            Orbit radius of the satellite(s), km.

        Returns
        -------
        ndarray
            ``c`` with "in reach" meaning ``cos(theta) >= c``; ``c > 1`` means never (e.g. no time
            left or an orbit too far above the engagement point), ``c <= -1`` always.
        """
        r = np.asarray(radius_km, dtype=float)
        if self.mode == "ground":
            return np.full_like(r, math.cos(self.ground_range_km / EARTH_RADIUS_KM))
        d = self.flyout_range_km
        if d <= 0.0:
            return np.full_like(r, 2.0)
        r_e = EARTH_RADIUS_KM + self.engagement_altitude_km
        return (r * r + r_e * r_e - d * d) / (2.0 * r * r_e)

    def central_angle_rad(self, altitude_km):
        """Largest central angle between sub-satellite point and site that is in reach.

        Parameters
        ----------
        altitude_km : array_like
            Satellite altitude(s), km.

        Returns
        -------
        ndarray
            Radians; ``-1`` where nothing is reachable from that altitude.
        """
        c = self.cos_threshold(EARTH_RADIUS_KM + np.asarray(altitude_km, dtype=float))
        return np.where(c > 1.0, -1.0, np.arccos(np.clip(c, -1.0, 1.0)))

    def ground_range_equivalent_km(self, altitude_km):
        """The reach as a ground range of the sub-satellite point, km (NaN where nothing is reachable)."""
        lam = self.central_angle_rad(altitude_km)
        return np.where(lam < 0.0, np.nan, lam * EARTH_RADIUS_KM)

    def describe(self) -> str:
        """One line with the assumptions, e.g. for figure titles."""
        if self.mode == "ground":
            return f"ground range {self.ground_range_km:g} km"
        return (f"boost {self.boost_s:g} s - delay {self.detect_decide_s:g} s = {self.time_left_s:g} s x "
                f"{self.flyout_speed_km_s:g} km/s = {self.flyout_range_km:g} km to a point "
                f"{self.engagement_altitude_km:g} km above the site")

    def as_attrs(self, prefix: str = "reach_") -> dict:
        """The parameters as flat NetCDF-safe attributes."""
        out = {f"{prefix}{f.name}": getattr(self, f.name) for f in dataclasses.fields(self)}
        out[f"{prefix}description"] = self.describe()
        return out

    @classmethod
    def from_dict(cls, raw: dict, *, where: str = "reach") -> ReachModel:
        """Build from a TOML-like dict with the field names as keys (a ``preset`` key starts from one)."""
        raw = dict(raw)
        base = {}
        if "preset" in raw:
            base = dataclasses.asdict(reach_model(raw.pop("preset")))
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - fields
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(fields)} "
                             "or 'preset'")
        base.update(raw)
        return cls(**base)


# Assumption sets. The published estimates (APS 2003, CBO, "16,000") rest on reach assumptions that are
# not public in full; these sets span the plausible range. Which of them lands near which estimate is
# computed, not tuned: see scripts/golden_dome_sizing.py and the README.
REACH_ASSUMPTIONS: dict[str, ReachModel] = {
    m.name: m for m in (
        ReachModel("solid-fast", "flyout", 170.0, 45.0, 6.0, 150.0,
                   note="solid ICBM, short delay, fast interceptor: the optimistic end"),
        ReachModel("solid-4kms", "flyout", 170.0, 50.0, 4.0, 150.0,
                   note="solid ICBM, mid delay, 4 km/s: the central case"),
        ReachModel("solid-slow", "flyout", 170.0, 60.0, 3.0, 150.0,
                   note="solid ICBM, long delay, slow interceptor: the pessimistic end"),
        ReachModel("liquid-4kms", "flyout", 250.0, 50.0, 4.0, 150.0,
                   note="liquid ICBM (longer boost), mid delay, 4 km/s"),
        ReachModel("ground-1000km", "ground", ground_range_km=1000.0,
                   note="plain 1,000 km ground range (REFERENCE formula's geometry)"),
    )
}


def reach_model(name: str | ReachModel) -> ReachModel:
    """A named assumption set from :data:`REACH_ASSUMPTIONS` (a ReachModel passes through).

    Examples
    --------
    >>> reach_model("solid-4kms").flyout_range_km
    480.0
    """
    if isinstance(name, ReachModel):
        return name
    if name not in REACH_ASSUMPTIONS:
        raise ValueError(f"unknown reach assumption {name!r}; choose among {list(REACH_ASSUMPTIONS)} or "
                         "build a ReachModel(...)")
    return REACH_ASSUMPTIONS[name]


# --------------------------------------------------------------------------- counting


def _time_axis(duration_s: float, step_s: float) -> np.ndarray:
    for key, value in (("duration_s", duration_s), ("step_s", step_s)):
        try:
            ok = float(value) > 0 and math.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"{key} must be a positive number of seconds, got {value!r} "
                             "(e.g. duration_s=86400.0, step_s=10.0)")
    n = int(np.floor(float(duration_s) / float(step_s) + 1e-9))
    if n < 1:
        raise ValueError(f"duration_s = {duration_s!r} is shorter than one step of {step_s!r} s")
    return np.arange(n) * float(step_s)


def _is_circular_j2(prop) -> bool:
    from .propagation import J2Propagator

    return type(prop) is J2Propagator


def in_reach_counts(source, sites, reach: ReachModel | str, start=DEFAULT_START, duration_s: float = 86400.0,
                    step_s: float = 10.0, *, method: str = "auto") -> np.ndarray:
    """Number of SBIs in reach of each site at each time step.

    Parameters
    ----------
    source : Constellation or satellite source
        Anything with ``propagator(start)`` (see :func:`constellations.analyze`).
    sites : list of ThreatSite
    reach : ReachModel or str
        A model or the name of one of :data:`REACH_ASSUMPTIONS`.
    start : str or datetime
        UTC start of the window.
    duration_s, step_s : float
        Window and step, s; ``n_time = floor(duration_s / step_s)``, times ``0, step_s, ...``.
    method : {"auto", "planes", "direct"}
        "planes": the per-plane range count (circular J2 propagators only); "direct": distance test
        over (time, satellite) chunks; "auto": planes when possible.

    Returns
    -------
    ndarray of int32, shape (n_time, n_site)
    """
    reach = reach_model(reach)
    sites = _check_sites(sites)
    t_s = _time_axis(duration_s, step_s)
    prop = source.propagator(start)
    return _count(prop, _unit_vectors(sites), reach.cos_threshold, t_s, method)


def _count(prop, units, threshold_fn, t_s, method="auto"):
    from .engine import keep_freed_memory

    if method not in ("auto", "planes", "direct"):
        raise ValueError(f"method must be 'auto', 'planes' or 'direct', got {method!r}")
    keep_freed_memory()  # short-lived multi-MB temporaries: avoid a page fault per allocation (glibc)
    circular = _is_circular_j2(prop)
    if method == "planes" and not circular:
        raise ValueError("method='planes' needs circular J2 orbits (a Constellation); use 'direct' or 'auto'")
    if circular and method != "direct":
        return _count_planes(prop, units, threshold_fn, t_s)
    return _count_direct(prop, units, threshold_fn, t_s)


def _count_direct(prop, units, threshold_fn, t_s):
    """Distance test over (time, satellite, site): the reference path, and the one for SGP4 sources."""
    n_sat, n_site = prop.n_sat, len(units)
    out = np.zeros((len(t_s), n_site), dtype=np.int32)
    step = max(1, PAIR_BUDGET // max(1, n_sat * n_site))
    for t0 in range(0, len(t_s), step):
        pos = prop.positions_ecef_km(t_s[t0:t0 + step])  # (tc, n_sat, 3)
        r = np.sqrt(np.einsum("tni,tni->tn", pos, pos))
        limit = r * threshold_fn(r)  # r cos(theta) >= r c
        dots = pos @ units.T  # (tc, n_sat, n_site); NaN positions compare False
        out[t0:t0 + step] = (dots >= limit[..., None]).sum(axis=1)
    return out


def _planes(prop, threshold_fn):
    """Group the satellites of a circular J2 propagator by orbital plane (and reach threshold)."""
    from .propagation import J2Propagator

    e = prop.elements
    thr = np.broadcast_to(threshold_fn(np.asarray(prop.radius_km, dtype=float)), (len(e),))
    key = np.stack([e.altitude_km, e.inclination_rad, e.raan_rad, thr], axis=1)
    _, rep, plane_of = np.unique(np.round(key, 12), axis=0, return_index=True, return_inverse=True)
    plane_of = plane_of.ravel()
    n_plane = len(rep)
    offset = np.mod(e.arg_latitude_rad - e.arg_latitude_rad[rep][plane_of], TWO_PI)
    offset = np.where(offset >= TWO_PI, 0.0, offset)
    base = 2.0 * TWO_PI * np.arange(n_plane)
    phases = np.sort(np.concatenate([offset + base[plane_of], offset + TWO_PI + base[plane_of]]))
    return {
        "prop": J2Propagator(e.subset(rep), prop.start),
        "n": np.bincount(plane_of, minlength=n_plane),
        "cos_i": np.cos(e.inclination_rad[rep]),
        "sin_i": np.sin(e.inclination_rad[rep]),
        "threshold": thr[rep],
        "base": base,
        "phases": phases,
    }


def _count_planes(prop, units, threshold_fn, t_s):
    """Per-plane range counting (module docstring); exact for circular J2 orbits."""
    planes = _planes(prop, threshold_fn)
    n_plane, n_site = len(planes["n"]), len(units)
    out = np.zeros((len(t_s), n_site), dtype=np.int32)
    sx, sy, sz = units[:, 0], units[:, 1], units[:, 2]
    ci, si = planes["cos_i"][:, None], planes["sin_i"][:, None]
    thr = planes["threshold"][:, None]
    n_in_plane = planes["n"][:, None]
    step = max(1, TRIPLE_BUDGET // max(1, n_plane * n_site))
    for t0 in range(0, len(t_s), step):
        node, u_rep = planes["prop"].angles_rad(t_s[t0:t0 + step])  # (tc, n_plane)
        cn, sn = np.cos(node)[..., None], np.sin(node)[..., None]
        # site . orbit normal = sin(beta); normal = (sin i sin node, -sin i cos node, cos i)
        sin_beta = si * (sn * sx - cn * sy) + ci * sz  # (tc, n_plane, n_site)
        cos_beta = np.sqrt(np.maximum(0.0, 1.0 - sin_beta * sin_beta))
        full = thr <= -cos_beta
        active = ~full & (thr <= cos_beta)
        contrib = np.where(full, n_in_plane, 0).astype(np.int32)
        ti, pi, ki = np.nonzero(active)
        if ti.size:
            cn_a, sn_a = cn[ti, pi, 0], sn[ti, pi, 0]
            a = cn_a * sx[ki] + sn_a * sy[ki]  # site . node direction
            b = ci[pi, 0] * (cn_a * sy[ki] - sn_a * sx[ki]) + si[pi, 0] * sz[ki]  # site . (normal x node)
            u_site = np.arctan2(b, a)
            half = np.arccos(np.clip(thr[pi, 0] / cos_beta[ti, pi, ki], -1.0, 1.0))
            lo = np.mod(u_site - u_rep[ti, pi] - half, TWO_PI)
            lo = np.where(lo >= TWO_PI, lo - TWO_PI, lo)
            lo += planes["base"][pi]
            hi = lo + 2.0 * half
            contrib[ti, pi, ki] = (np.searchsorted(planes["phases"], hi, side="right")
                                   - np.searchsorted(planes["phases"], lo, side="left"))
        out[t0:t0 + step] = contrib.sum(axis=1)
    return out


# --------------------------------------------------------------------------- closed form


def expected_in_reach(n_sat, inclination_deg, lat_deg, central_angle_rad):
    """Time-averaged number of satellites within a central angle of a site (REFERENCE section 4).

    ``k_mean = N (1 - cos lambda) / (pi sqrt(sin^2 i - sin^2 phi))`` for N satellites on circular
    orbits of inclination ``i`` with nodes and phases spread uniformly, a site at latitude ``phi`` and
    a reach of central angle ``lambda`` (``d / R`` for a ground range ``d``). It takes the density of
    sub-satellite points at the site's latitude as constant over the reach cap, so it holds for
    ``lambda`` well inside the band ``|phi| < i`` and fails near ``|phi| = i``, where the density has
    an integrable singularity.

    Parameters
    ----------
    n_sat : array_like
    inclination_deg, lat_deg : array_like
        Degrees; broadcast together.
    central_angle_rad : array_like
        Reach; negative values mean nothing in reach.

    Returns
    -------
    ndarray
        NaN where ``|phi| >= i`` (the formula does not apply).

    Examples
    --------
    >>> round(float(expected_in_reach(1600, 90.0, 0.0, 1000.0 / 6378.137)), 3)  # polar, equator
    6.247
    """
    i = np.radians(np.asarray(inclination_deg, dtype=float))
    phi = np.radians(np.asarray(lat_deg, dtype=float))
    lam = np.asarray(central_angle_rad, dtype=float)
    s2 = np.sin(i) ** 2 - np.sin(phi) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.asarray(n_sat, dtype=float) * (1.0 - np.cos(np.maximum(lam, 0.0))) / (np.pi * np.sqrt(s2))
    return np.where(s2 > 0.0, k, np.nan)


def expected_in_reach_constellation(constellation, lat_deg, reach: ReachModel | str):
    """:func:`expected_in_reach` summed over the shells of a Walker constellation, where it applies.

    A shell contributes the formula's value when the whole reach cap lies inside its latitude band
    (``|phi| + lambda < i``), zero when the cap lies entirely outside it (``|phi| - lambda > i``), and
    makes the sum NaN in between, where the constant-density formula does not hold.

    Parameters
    ----------
    constellation : Constellation
    lat_deg : array_like, shape (n_site,)
    reach : ReachModel or str

    Returns
    -------
    ndarray, shape (n_site,)
        NaN where a shell's band edge crosses the reach cap or the source has no shells.
    """
    reach = reach_model(reach)
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
    shells = getattr(constellation, "shells", None)
    if not shells:
        return np.full(lat.shape, np.nan)
    total = np.zeros(lat.shape)
    for shell in shells:  # a handful of shells
        inc = shell.inclination_deg if shell.inclination_deg <= 90 else 180.0 - shell.inclination_deg
        lam = float(reach.central_angle_rad(shell.altitude_km))
        if lam < 0:
            continue
        lam_deg = np.degrees(lam)
        inside = np.abs(lat) + lam_deg < inc
        outside = np.abs(lat) - lam_deg > inc
        k = expected_in_reach(shell.total, inc, lat, lam)
        total = total + np.where(inside, k, np.where(outside, 0.0, np.nan))
    return total


# --------------------------------------------------------------------------- per-site metrics


def _source_attrs(source, start, t_s, step_s):
    from .frames import parse_utc

    return {
        "constellation": str(getattr(source, "name", "satellites")),
        "satellites": len(source),
        "start_utc": parse_utc(start).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": float(len(t_s) * step_s),
        "step_s": float(step_s),
        "n_steps": len(t_s),
        "model_limits": MODEL_LIMITS,
    }


def _times(start, t_s):
    from .frames import parse_utc

    t0 = np.datetime64(parse_utc(start).replace(tzinfo=None), "ns")
    return t0 + (np.asarray(t_s) * 1e9).astype("timedelta64[ns]")


def _site_coords(sites):
    return {
        "site": ("site", [s.name for s in sites]),
        "country": ("site", [s.country for s in sites]),
        "lat_deg": ("site", np.array([s.lat_deg for s in sites]), {"units": "degrees_north"}),
        "lon_deg": ("site", np.array([s.lon_deg for s in sites]), {"units": "degrees_east"}),
    }


def longest_run_s(mask, step_s: float) -> np.ndarray:
    """Longest run of True along axis 0, in seconds (a run of m steps lasts ``m * step_s``).

    Parameters
    ----------
    mask : ndarray of bool, shape (n_time, n_col)
    step_s : float

    Returns
    -------
    ndarray, shape (n_col,)

    Examples
    --------
    >>> longest_run_s(np.array([[1, 0], [1, 1], [0, 1], [1, 1]], dtype=bool), 10.0).tolist()
    [20.0, 30.0]
    """
    m = np.asarray(mask, dtype=bool)
    n_time, n_col = m.shape
    padded = np.zeros((n_time + 2, n_col), dtype=np.int8)
    padded[1:-1] = m
    edges = np.diff(padded, axis=0)  # +1 at run starts, -1 one past run ends
    out = np.zeros(n_col)
    starts_t, starts_c = np.nonzero(edges == 1)
    ends_t, ends_c = np.nonzero(edges == -1)
    if starts_t.size:
        s_order = np.lexsort((starts_t, starts_c))
        e_order = np.lexsort((ends_t, ends_c))
        length = ends_t[e_order] - starts_t[s_order]
        np.maximum.at(out, starts_c[s_order], length * float(step_s))
    return out


def reach_metrics(source, sites, reach: ReachModel | str, start=DEFAULT_START, duration_s: float = 86400.0,
                  step_s: float = 10.0, *, k_max: int = 10, percentiles=(1, 5), keep_counts: bool = True):
    """SBIs in reach of each site over a window, and their statistics.

    Parameters
    ----------
    source : Constellation or satellite source
    sites : list of ThreatSite
    reach : ReachModel or str
    start, duration_s, step_s
        Window; default one day at 10 s from :data:`DEFAULT_START`.
    k_max : int
        Salvo sizes ``k = 1 .. k_max`` for ``share_at_least``.
    percentiles : sequence of float
        Lower percentiles of the in-reach count over time (1st and 5th by default).
    keep_counts : bool
        Keep the (time, site) series ``in_reach``.

    Returns
    -------
    xarray.Dataset
        Dims ``site``, ``time``, ``k``, ``percentile``. Variables: ``in_reach`` (time, site),
        ``in_reach_mean``, ``in_reach_min``, ``in_reach_max`` (site), ``in_reach_percentile``
        (percentile, site; inverted-CDF definition, so an integer count), ``share_at_least``
        (k, site), ``absentee_ratio_mean`` = N / mean and ``absentee_ratio_min`` = N / min (inf when
        the minimum is 0), ``expected_mean`` (site; :func:`expected_in_reach_constellation`, NaN when
        not applicable). Attributes carry the reach assumptions and the model limits.
    """
    import xarray as xr

    reach = reach_model(reach)
    sites = _check_sites(sites)
    if not isinstance(k_max, int | np.integer) or k_max < 1:
        raise ValueError(f"k_max must be a positive integer (largest salvo size), got {k_max!r}")
    pct = np.atleast_1d(np.asarray(percentiles, dtype=float))
    if pct.size and not np.all((pct >= 0) & (pct <= 100)):
        raise ValueError(f"percentiles must lie in [0, 100], got {percentiles!r}")
    t_s = _time_axis(duration_s, step_s)
    counts = _count(source.propagator(start), _unit_vectors(sites), reach.cos_threshold, t_s)
    n_sat = len(source)
    mean = counts.mean(axis=0)
    minimum = counts.min(axis=0)
    ks = np.arange(1, k_max + 1)
    share = (counts[None, :, :] >= ks[:, None, None]).mean(axis=1)
    with np.errstate(divide="ignore"):
        ratio_mean = np.where(mean > 0, n_sat / np.where(mean > 0, mean, 1.0), np.inf)
        ratio_min = np.where(minimum > 0, n_sat / np.where(minimum > 0, minimum, 1), np.inf)
    coords = _site_coords(sites)
    coords.update({"k": ("k", ks, {"long_name": "salvo size: SBIs needed at once", "units": "1"}),
                   "percentile": ("percentile", pct, {"units": "percent"})})
    data = {
        "in_reach_mean": ("site", mean, {"long_name": "mean number of SBIs in reach", "units": "1"}),
        "in_reach_min": ("site", minimum, {"long_name": "minimum number of SBIs in reach", "units": "1"}),
        "in_reach_max": ("site", counts.max(axis=0), {"long_name": "maximum number in reach", "units": "1"}),
        "in_reach_percentile": (("percentile", "site"),
                                np.percentile(counts, pct, axis=0, method="inverted_cdf")
                                if pct.size else np.zeros((0, len(sites))),
                                {"long_name": "lower percentile of the number in reach over time",
                                 "units": "1"}),
        "share_at_least": (("k", "site"), share,
                           {"long_name": "share of time with at least k SBIs in reach", "units": "1"}),
        "absentee_ratio_mean": ("site", ratio_mean,
                                {"long_name": "absentee ratio N / mean number in reach", "units": "1"}),
        "absentee_ratio_min": ("site", ratio_min,
                               {"long_name": "absentee ratio N / minimum number in reach", "units": "1"}),
        "expected_mean": ("site", expected_in_reach_constellation(source, coords["lat_deg"][1], reach),
                          {"long_name": "closed-form mean in reach (REFERENCE section 4)", "units": "1"}),
    }
    if keep_counts:
        data["in_reach"] = (("time", "site"), counts.astype(np.int32),
                            {"long_name": "number of SBIs in reach", "units": "1"})
        coords["time"] = ("time", _times(start, t_s))
        coords["time_s"] = ("time", t_s, {"units": "s"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(_source_attrs(source, start, t_s, step_s))
    ds.attrs.update(reach.as_attrs())
    ds.attrs["title"] = f"SBIs in reach: {ds.attrs['constellation']}, {reach.name}"
    return ds


# --------------------------------------------------------------------------- global map


def _subsatellite(prop, t_s):
    """Sub-satellite lat/lon (n_time, n_sat) and orbit radius (n_time, n_sat) or (n_sat,)."""
    if hasattr(prop, "subsatellite"):
        return prop.subsatellite(t_s)
    pos = prop.positions_ecef_km(t_s)
    r = np.sqrt(np.einsum("tni,tni->tn", pos, pos))
    bad = ~np.isfinite(r)
    r = np.where(bad, np.nan, r)
    lat = np.arcsin(np.clip(np.where(bad, 0.0, pos[..., 2]) / np.where(bad, 1.0, r), -1.0, 1.0))
    lon = np.arctan2(np.where(bad, 0.0, pos[..., 1]), np.where(bad, 1.0, pos[..., 0]))
    lon = np.where(lon >= np.pi, lon - TWO_PI, lon)
    return lat, lon, r


def mean_in_reach_map(source, reach: ReachModel | str, grid=None, start=DEFAULT_START,
                      duration_s: float = 86400.0, step_s: float = 60.0, *, k=(1, 2, 5, 10)):
    """Mean (and minimum) number of SBIs in reach of every cell of a grid: where the layer is thin.

    A reach is a footprint of central angle :meth:`ReachModel.central_angle_rad` around each
    sub-satellite point, so the ring-scanline kernel of the coverage engine counts it exactly.

    Parameters
    ----------
    source : Constellation or satellite source
    reach : ReachModel or str
    grid : Grid, optional
        Default ``global_grid(spacing_deg=2.0)``; point grids use the direct kernel.
    start, duration_s, step_s
        Window; default one day at 60 s (a mean needs no finer step).
    k : sequence of int
        Salvo sizes for ``share_at_least``.

    Returns
    -------
    xarray.Dataset
        Dims ``cell``, ``k``; variables ``in_reach_mean``, ``in_reach_min`` (cell),
        ``share_at_least`` (k, cell) and ``expected_mean`` (cell, closed form).
    """
    import xarray as xr

    from .coverage import PointKernel, RingKernel
    from .grid import global_grid

    reach = reach_model(reach)
    grid = global_grid(spacing_deg=2.0) if grid is None else grid
    ks = np.atleast_1d(np.asarray(k, dtype=int))
    t_s = _time_axis(duration_s, step_s)
    prop = source.propagator(start)
    kernel = RingKernel(grid) if grid.is_ring_grid else PointKernel(grid)
    n_cell = len(grid)
    total = np.zeros(n_cell)
    minimum = np.full(n_cell, np.iinfo(np.int32).max, dtype=np.int64)
    at_least = np.zeros((len(ks), n_cell))
    chunk = max(1, min(256, 3_000_000 // max(1, n_cell), 2_000_000 // max(1, prop.n_sat)))
    for t0 in range(0, len(t_s), chunk):
        lat, lon, r = _subsatellite(prop, t_s[t0:t0 + chunk])
        lam = reach.central_angle_rad(np.broadcast_to(r, lat.shape) - EARTH_RADIUS_KM)
        lam = np.where(np.isfinite(lam) & np.isfinite(lat), lam, -1.0)
        lat = np.where(np.isfinite(lat), lat, 0.0)
        lon = np.where(np.isfinite(lon), lon, 0.0)
        counts = kernel.count(lat, lon, lam)  # (tc, n_cell)
        total += counts.sum(axis=0)
        np.minimum(minimum, counts.min(axis=0), out=minimum)
        at_least += (counts[None] >= ks[:, None, None]).sum(axis=1)
    ds = xr.Dataset(
        {
            "in_reach_mean": ("cell", total / len(t_s), {"long_name": "mean number of SBIs in reach",
                                                         "units": "1"}),
            "in_reach_min": ("cell", minimum.astype(np.int32), {"long_name": "minimum number in reach",
                                                                "units": "1"}),
            "share_at_least": (("k", "cell"), at_least / len(t_s),
                               {"long_name": "share of time with at least k SBIs in reach", "units": "1"}),
            "expected_mean": ("cell", expected_in_reach_constellation(source, grid.lat_deg, reach),
                              {"long_name": "closed-form mean in reach (REFERENCE section 4)", "units": "1"}),
        },
        coords={
            "lat_deg": ("cell", grid.lat_deg, {"units": "degrees_north"}),
            "lon_deg": ("cell", grid.lon_deg, {"units": "degrees_east"}),
            "area_km2": ("cell", grid.area_km2, {"units": "km2"}),
            "k": ("k", ks, {"units": "1"}),
        },
    )
    ds.attrs.update(_source_attrs(source, start, t_s, step_s))
    ds.attrs.update(reach.as_attrs())
    ds.attrs["grid"] = grid.name
    ds.attrs["grid_spacing_deg"] = float(grid.spacing_deg)
    ds.attrs["title"] = f"Mean SBIs in reach: {ds.attrs['constellation']}, {reach.name}"
    return ds


# --------------------------------------------------------------------------- tracking layer


def tracking_metrics(sensors, sites, start=DEFAULT_START, duration_s: float = 86400.0, step_s: float = 10.0,
                     *, min_sensors: int = 2, min_elevation_deg: float | None = None):
    """Sensor satellites seeing each launch area over time, and the longest stretch without stereo.

    A sensor sees a site when the site is above its minimum elevation (and inside its sensor cone, if
    the source sets one): the footprint of :func:`constellations.central_angle_rad`.

    Parameters
    ----------
    sensors : Constellation or satellite source
        E.g. ``cs.preset("golden_dome")`` (its 10 deg minimum elevation) or a user's sensor layer.
    sites : list of ThreatSite
    start, duration_s, step_s
        Window (default one day at 10 s).
    min_sensors : int
        Sensors needed at once (2 for stereo tracking).
    min_elevation_deg : float, optional
        Overrides the source's per-satellite minimum elevation.

    Returns
    -------
    xarray.Dataset
        ``sensors_in_view`` (time, site), ``sensors_mean``, ``sensors_min`` (site),
        ``share_at_least_min`` (site), ``longest_below_min_s`` (site: longest interval with fewer than
        ``min_sensors`` in view, truncated at the window ends; resolution ``step_s``).
    """
    import xarray as xr

    from .geometry import central_angle_rad

    sites = _check_sites(sites)
    if not isinstance(min_sensors, int | np.integer) or min_sensors < 1:
        raise ValueError(f"min_sensors must be a positive integer (2 for stereo), got {min_sensors!r}")
    t_s = _time_axis(duration_s, step_s)
    prop = sensors.propagator(start)
    eps = (np.asarray(sensors.min_elevation_deg_per_sat(), dtype=float) if min_elevation_deg is None
           else np.full(prop.n_sat, float(min_elevation_deg)))
    elements = getattr(sensors, "elements", None)
    nadir = np.asarray(elements().max_nadir_deg, dtype=float) if callable(elements) else np.full(prop.n_sat,
                                                                                               np.inf)
    nadir_arg = None if np.all(np.isinf(nadir)) else np.where(np.isinf(nadir), 90.0, nadir)

    def threshold(radius_km):
        lam = central_angle_rad(radius_km - EARTH_RADIUS_KM, eps, nadir_arg)
        return np.where(np.isfinite(lam), np.cos(lam), 2.0)

    counts = _count(prop, _unit_vectors(sites), threshold, t_s)
    below = counts < min_sensors
    coords = _site_coords(sites)
    coords["time"] = ("time", _times(start, t_s))
    coords["time_s"] = ("time", t_s, {"units": "s"})
    ds = xr.Dataset(
        {
            "sensors_in_view": (("time", "site"), counts,
                                {"long_name": "sensor satellites seeing the site", "units": "1"}),
            "sensors_mean": ("site", counts.mean(axis=0),
                             {"long_name": "mean sensors in view", "units": "1"}),
            "sensors_min": ("site", counts.min(axis=0),
                            {"long_name": "minimum sensors in view", "units": "1"}),
            "share_at_least_min": ("site", (~below).mean(axis=0),
                                   {"long_name": f"share of time with at least {min_sensors} in view",
                                    "units": "1"}),
            "longest_below_min_s": ("site", longest_run_s(below, step_s),
                                    {"long_name": f"longest interval with fewer than {min_sensors} in view",
                                     "units": "s"}),
        },
        coords=coords,
    )
    ds.attrs.update(_source_attrs(sensors, start, t_s, step_s))
    ds.attrs["min_sensors"] = int(min_sensors)
    ds.attrs["min_elevation_deg"] = "per satellite" if min_elevation_deg is None else float(min_elevation_deg)
    ds.attrs["title"] = f"Tracking sensors in view: {ds.attrs['constellation']}"
    return ds
