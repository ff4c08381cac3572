"""Launch model: which satellites of a constellation are operational on which date.

A :class:`LaunchModel` (read from ``constellations/data/launches.toml`` by :meth:`LaunchModel.from_toml`,
which checks every key with :mod:`constellations.validation` before anything is computed) holds launch
vehicles (satellites per launch, each tagged ``measured``, ``press`` or ``assumption``) and operators.
An :class:`Operator` has a dated manifest of launches (flown or planned), launch contracts per vehicle,
the delay from launch to the operational orbit, the order in which its planes and shells are filled
(:class:`FillOrder`) and cadence cases (:class:`CadenceCase`, e.g. low / nominal / high), each a
launch rate per vehicle and calendar year.

From these, :meth:`LaunchModel.deployment` builds a :class:`Deployment`: every launch with its date and
satellites, and per date the satellites launched, in orbit (after failures) and operational (after orbit
raising). The operational satellites on a date are the first ``n`` of the fill order, so every snapshot is
a subset of the full pattern and the snapshots of one operator are nested.

Model, in formulas (``t`` in days):

- Rate launches: vehicle ``v`` flies ``r_v(Y) = launches_per_year(Y) * share`` launches per calendar year
  ``Y`` for this operator (the last listed year's rate continues; years before the first listed one have
  none), spread evenly over the year. With ``L_v(d)`` the expected number flown by the end of day ``d``
  (counted from ``rates_start``), launch ``k = 1, 2, ...`` flies on the first day with
  ``L_v(d) >= k - 1/2``, until the vehicle's contract is used up (manifest launches count against it).
- Failures: a launch is lost with probability ``launch_failure_rate`` and each satellite dies on arrival
  with probability ``satellite_failure_rate``. ``failures="expected"`` delivers ``n (1 - p_L)(1 - p_S)``
  satellites per launch (deterministic); ``"seeded"`` draws them with a seeded generator. Launches marked
  ``flown`` in the manifest are facts: no failure is applied to them.
- Orbit raising: a launch's satellites reach the operational orbit spread uniformly between
  ``orbit_raising_days = (d_min, d_max)`` after launch (``d_min = d_max``: all at once). Launches flown
  before the start date are all operational at the start when ``start_state = "operational"``.
- Operational on day ``t``: ``floor(sum_i delivered_i * f((t - t_i - d_min) / (d_max - d_min)))``, with
  ``f`` clipped to [0, 1], capped at the satellites of the shells in the fill order (more are spares).
- Forecasts keep their date: a case with ``as_of`` ignores the launches of the shared manifest flown
  after that day, so a forecast made in 2025 gives the same satellites after the manifest has grown
  (the hindcast, :mod:`constellations.race.hindcast`, grades the frozen 2025 file itself).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..sources.datafiles import data_path
from ..sources.presets import preset, presets
from ..validation import Checker, did_you_mean, read_toml

__all__ = [
    "BASES",
    "CadenceCase",
    "Deployment",
    "FillOrder",
    "Launch",
    "LaunchModel",
    "Operator",
    "Vehicle",
    "VehicleRate",
    "as_day",
    "fill_order",
    "rate_launch_days",
    "spread_order",
]

BASES = ("measured", "press", "assumption", "derived")
ORDERS = ("spread", "sequential")
START_STATES = ("operational", "raising")
FAILURE_MODES = ("expected", "seeded")
FIRST_YEAR, LAST_YEAR = 1957, 2200  # calendar years a launch cadence may name (Sputnik onwards)
_EPS = 1e-9

TOP_KEYS = ("title", "description", "vehicles", "operators")
VEHICLE_KEYS = ("label", "satellites_per_launch", "basis", "source", "provider")
OPERATOR_KEYS = ("label", "constellation", "manifest", "contracts", "orbit_raising_days", "start_state",
                 "fill", "max_satellites", "initial_satellites", "cases", "notes")
FILL_KEYS = ("shells", "planes", "slots")
MANIFEST_KEYS = ("date", "vehicle", "satellites", "label", "flown", "source", "approximate")
CASE_KEYS = ("description", "rates_start", "rates", "manifest", "launch_failure_rate",
             "satellite_failure_rate", "contracts", "orbit_raising_days", "as_of")
RATE_KEYS = ("launches_per_year", "share", "satellites_per_launch")
MAX_TEXT_CHARS = 1000  # sources, notes and descriptions are sentences, longer than names


def as_day(value, key: str = "date") -> np.datetime64:
    """A calendar day from a ``datetime.date``, ``datetime.datetime``, ``numpy.datetime64`` or ISO text.

    Parameters
    ----------
    value : date, datetime, numpy.datetime64 or str
    key : str
        What the value is, for the message.

    Returns
    -------
    numpy.datetime64
        ``datetime64[D]``.

    Examples
    --------
    >>> as_day("2026-07-30")
    np.datetime64('2026-07-30')
    """
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]")
    if isinstance(value, dt.datetime):
        return np.datetime64(value.date(), "D")
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    if isinstance(value, str):
        try:
            return np.datetime64(dt.date.fromisoformat(value.strip()[:10]), "D")
        except ValueError:
            pass
    raise ValueError(f"{key} must be a date like 2026-07-30 (TOML date or ISO text), got {value!r}")


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Vehicle:
    """A launch vehicle as used by one or more operators.

    Parameters
    ----------
    key : str
        Identifier used in manifests and rates, e.g. ``"vulcan"``.
    label : str
        Display name, e.g. ``"Vulcan Centaur VC6"``.
    satellites_per_launch : int
        Satellites of the constellation carried per launch (>= 1).
    basis : {"measured", "press", "assumption", "derived"}
        Where the capacity comes from: ``measured`` from TLE data, ``press`` from unverified press
        figures, ``assumption`` a modelling choice.
    source : str
        Citation or note.
    provider : str
        Launch provider, e.g. ``"ULA"``.
    """

    key: str
    label: str
    satellites_per_launch: int
    basis: str = "assumption"
    source: str = ""
    provider: str = ""

    def __post_init__(self):
        c = Checker(f"vehicle {self.key!r}")
        c.number(self.satellites_per_launch, "satellites_per_launch", "27", low=1, strict_low=False,
                 integer=True)
        c.choice(self.basis, "basis", BASES)


@dataclass(frozen=True)
class Launch:
    """One launch of an operator.

    Parameters
    ----------
    date : numpy.datetime64
        Launch day (``datetime64[D]``).
    vehicle : str
        Vehicle key.
    satellites : int
        Satellites on board (>= 0).
    label : str
        E.g. ``"KA-01"``.
    flown : bool
        A launch that happened: no failure rate is applied to it.
    source : str
        ``"manifest"`` or ``"rate"`` (generated from a cadence), or a citation.
    approximate : bool
        The date is an estimate (e.g. derived from TLE data), not a published launch date.
    """

    date: np.datetime64
    vehicle: str
    satellites: int
    label: str = ""
    flown: bool = False
    source: str = "manifest"
    approximate: bool = False


@dataclass(frozen=True)
class VehicleRate:
    """Launch cadence of one vehicle for one operator in one case.

    Parameters
    ----------
    vehicle : str
        Vehicle key.
    launches_per_year : dict of int to float
        Calendar year -> launches of the vehicle per year (all customers). The last year's rate continues
        after it; years before the first listed one have no launches.
    share : float
        Share of the vehicle's launches that carry this operator's satellites, 0-1.
    satellites_per_launch : int, optional
        Overrides the vehicle's capacity in this case.
    """

    vehicle: str
    launches_per_year: dict
    share: float = 1.0
    satellites_per_launch: int | None = None

    def operator_rate(self, year) -> np.ndarray:
        """This operator's launches per year of the vehicle in each calendar year, shape like ``year``."""
        years = np.asarray(sorted(self.launches_per_year), dtype=int)
        rates = np.asarray([self.launches_per_year[y] for y in years], dtype=float)
        year = np.asarray(year, dtype=int)
        if years.size == 0:
            return np.zeros(year.shape)
        idx = np.searchsorted(years, year, side="right") - 1
        return np.where(idx >= 0, rates[np.clip(idx, 0, None)], 0.0) * self.share


@dataclass(frozen=True)
class CadenceCase:
    """One cadence case of an operator (e.g. ``"nominal"``).

    Parameters
    ----------
    name : str
    description : str
    rates_start : numpy.datetime64
        First day on which rate launches may fly (after the dated manifest).
    rates : tuple of VehicleRate
    manifest : tuple of Launch
        Extra dated launches of this case only.
    launch_failure_rate, satellite_failure_rate : float
        Probability a launch is lost, and a satellite dies on arrival, 0 <= p < 1.
    contracts : dict of str to int
        Overrides of the operator's contracts (total launches per vehicle).
    orbit_raising_days : tuple of float, optional
        Overrides the operator's ``(d_min, d_max)``.
    as_of : numpy.datetime64, optional
        The day the case was made: launches of the operator's shared manifest dated after it were not
        known then and are left out of this case (its own ``manifest`` is kept whole). This is how a
        forecast made in 2025 stays as it was while the manifest grows with the launches flown since.
        ``None``: the whole manifest.
    """

    name: str
    description: str = ""
    rates_start: np.datetime64 | None = None
    rates: tuple = ()
    manifest: tuple = ()
    launch_failure_rate: float = 0.0
    satellite_failure_rate: float = 0.0
    contracts: dict = field(default_factory=dict)
    orbit_raising_days: tuple | None = None
    as_of: np.datetime64 | None = None

    def known_manifest(self, shared) -> tuple:
        """The launches of this case: those of ``shared`` (the operator's manifest) dated on or before
        :attr:`as_of`, then the case's own, in date order."""
        known = tuple(x for x in shared if self.as_of is None or x.date <= self.as_of)
        return tuple(sorted(known + tuple(self.manifest), key=lambda x: x.date))


@dataclass(frozen=True)
class FillOrder:
    """The order in which an operator fills the satellites of its full pattern.

    Parameters
    ----------
    shells : tuple of int or str
        Shells in fill order, by index or by name; shells not listed are never filled.
        Empty: all shells in the constellation's order.
    planes : {"spread", "sequential"} or tuple of int
        Order of the planes within a shell: ``"spread"`` fills every other plane first, recursively
        (:func:`spread_order`; 0, P/2, P/4, 3P/4, ... for a power of two), ``"sequential"`` 0, 1, 2, ...
        An explicit permutation of ``0..P-1`` is used for every shell.
    slots : {"spread", "sequential"}
        Order of the satellites within a plane, the same way.
    """

    shells: tuple = ()
    planes: str | tuple = "spread"
    slots: str = "spread"

    def __post_init__(self):
        c = Checker("FillOrder")
        if isinstance(self.planes, str):
            c.choice(self.planes, "fill.planes", ORDERS)
        c.choice(self.slots, "fill.slots", ORDERS)


@dataclass(frozen=True)
class Operator:
    """A constellation operator: its full pattern, launches, contracts, orbit raising and fill order.

    Parameters
    ----------
    key, label : str
    constellation : str, optional
        Preset name of the full pattern that the launches fill (``None``: counts only).
    manifest : tuple of Launch
        Dated launches shared by every case, in date order.
    contracts : dict of str to int
        Total launches bought per vehicle (manifest launches count against them); missing: no limit.
    orbit_raising_days : tuple of float
        ``(d_min, d_max)``: satellites reach the operational orbit spread uniformly over these days
        after launch.
    start_state : {"operational", "raising"}
        Launches flown before the start date: all operational at the start, or still subject to the
        orbit-raising delay.
    fill : FillOrder
    max_satellites : int, optional
        Cap on operational satellites when there is no constellation (default: no cap).
    initial_satellites : int
        Satellites operational at the start that are not in the manifest (e.g. a TLE snapshot count).
    cases : dict of str to CadenceCase
    notes : tuple of str
        Assumptions in words, for captions.
    """

    key: str
    label: str
    constellation: str | None = None
    manifest: tuple = ()
    contracts: dict = field(default_factory=dict)
    orbit_raising_days: tuple = (0.0, 0.0)
    start_state: str = "operational"
    fill: FillOrder = field(default_factory=FillOrder)
    max_satellites: int | None = None
    initial_satellites: int = 0
    cases: dict = field(default_factory=dict)
    notes: tuple = ()

    def full_constellation(self):
        """The full pattern as a :class:`~constellations.Constellation` (``None`` without one)."""
        if self.constellation is None:
            return None
        return preset(self.constellation)

    def fill_order(self) -> np.ndarray:
        """Satellite indices of the full pattern in fill order, shape (n_fill,); see :func:`fill_order`."""
        c = self.full_constellation()
        if c is None:
            raise ValueError(f"operator {self.key!r} has no constellation, so it has no fill order; set "
                             "constellation = '<preset>' in the launch file")
        return fill_order(c, self.fill)

    def capacity(self) -> int | None:
        """Most satellites that can be operational: the filled shells' total, or ``max_satellites``."""
        if self.constellation is not None:
            return int(self.fill_order().size)
        return self.max_satellites


# --------------------------------------------------------------------------- fill order


def spread_order(n: int) -> np.ndarray:
    """A permutation of ``0..n-1`` whose prefixes are spread evenly: every other item first, recursively.

    ``spread(n) = 2 spread(ceil(n/2))`` followed by ``2 spread(floor(n/2)) + 1``: the first ``ceil(n/2)``
    items are the even ones (every other plane), the first quarter every fourth one, and so on; for a
    power of two this is the bit-reversal order 0, n/2, n/4, 3n/4, ...

    Examples
    --------
    >>> spread_order(8).tolist()
    [0, 4, 2, 6, 1, 5, 3, 7]
    >>> spread_order(6).tolist()
    [0, 4, 2, 1, 5, 3]
    """
    n = Checker("spread_order").number(int(n) if isinstance(n, np.integer) else n, "n", "8", low=1,
                                       strict_low=False, integer=True)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    return np.concatenate([2 * spread_order((n + 1) // 2), 2 * spread_order(n // 2) + 1])


def _order(kind, n: int, what: str) -> np.ndarray:
    if isinstance(kind, str):
        return spread_order(n) if kind == "spread" else np.arange(n)
    order = np.asarray(kind, dtype=int)
    if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"fill.{what} must be a permutation of 0..{n - 1}, got {list(kind)!r}")
    return order


def fill_order(constellation, fill: FillOrder | None = None) -> np.ndarray:
    """Satellite indices of a constellation in the order an operator fills them.

    Parameters
    ----------
    constellation : Constellation
        The full pattern; its satellites are indexed as in ``constellation.elements()`` (shell by shell,
        plane by plane, slot by slot).
    fill : FillOrder, optional
        Default: every shell in order, planes and slots spread.

    Returns
    -------
    ndarray of int, shape (n_fill,)
        A permutation of the satellites of the listed shells; the first ``n`` entries are the operational
        satellites when ``n`` are operational.

    Examples
    --------
    >>> from constellations import Constellation, Shell
    >>> c = Constellation("demo", (Shell(550.0, 53.0, 4, 2, name="a"), Shell(600.0, 40.0, 2, 1, name="b")))
    >>> fill_order(c, FillOrder(shells=("b", "a"), planes="sequential", slots="sequential")).tolist()
    [8, 9, 0, 1, 2, 3, 4, 5, 6, 7]
    >>> fill_order(c, FillOrder(shells=(0,), planes="spread", slots="sequential")).tolist()
    [0, 1, 4, 5, 2, 3, 6, 7]
    """
    fill = FillOrder() if fill is None else fill
    shells = constellation.shells
    names = [s.name for s in shells]
    wanted = fill.shells or tuple(range(len(shells)))
    picked = []
    for s in wanted:
        if isinstance(s, str):
            if s not in names:
                raise ValueError(f"fill.shells: no shell named {s!r} in {constellation.name!r}"
                                 f"{did_you_mean(s, names)}; shells: {names}")
            picked.append(names.index(s))
        elif isinstance(s, int | np.integer) and not isinstance(s, bool) and 0 <= s < len(shells):
            picked.append(int(s))
        else:
            raise ValueError(f"fill.shells entries must be shell names or indices 0..{len(shells) - 1}, "
                             f"got {s!r}")
    if len(set(picked)) != len(picked):
        raise ValueError(f"fill.shells lists a shell twice: {list(wanted)!r}")
    offsets = np.concatenate([[0], np.cumsum([s.total for s in shells])])
    parts = []
    for i in picked:
        shell = shells[i]
        planes = _order(fill.planes, shell.planes, "planes")
        slots = _order(fill.slots, shell.sats_per_plane, "slots")
        idx = planes[:, None] * shell.sats_per_plane + slots[None, :]  # (plane, slot), plane-major
        parts.append(offsets[i] + idx.ravel())
    return np.concatenate(parts).astype(np.int64)


# --------------------------------------------------------------------------- deployment


@dataclass(frozen=True)
class Deployment:
    """Launches of one operator in one case and the satellites they make operational.

    Attributes
    ----------
    operator, case : str
    start : numpy.datetime64
        Start day of the timeline.
    launches : tuple of Launch
        All launches (manifest and rate), by date.
    delivered : ndarray, shape (n_launch,)
        Satellites reaching orbit alive per launch (expected value or drawn).
    orbit_raising_days : tuple of float
    capacity : int or None
        Cap on operational satellites.
    start_state : str
    initial_satellites : int
        Operational from the start, outside the launch list.
    """

    operator: str
    case: str
    start: np.datetime64
    launches: tuple
    delivered: np.ndarray
    orbit_raising_days: tuple
    capacity: int | None
    start_state: str
    initial_satellites: int = 0

    @property
    def launch_dates(self) -> np.ndarray:
        """Launch days, ``datetime64[D]``, shape (n_launch,)."""
        return np.array([x.date for x in self.launches], dtype="datetime64[D]")

    def counts(self, dates) -> dict:
        """Satellites launched, in orbit and operational on each date.

        Parameters
        ----------
        dates : array_like of datetime64 or dates, shape (n_date,)

        Returns
        -------
        dict of ndarray of int, shape (n_date,)
            ``launched`` (satellites on launches flown by the date, failed or not), ``in_orbit``
            (delivered alive, floor of the expected value) and ``operational`` (in the operational orbit,
            capped at the capacity).
        """
        days = np.asarray([as_day(d, "dates") for d in np.atleast_1d(dates)], dtype="datetime64[D]")
        t = (days - self.start).astype(float)[:, None]  # (n_date, 1), days since start
        initial = np.where(t[:, 0] >= 0, float(self.initial_satellites), 0.0)
        if not self.launches:
            n0 = initial if self.capacity is None else np.minimum(initial, self.capacity)
            return {"launched": initial.astype(np.int64), "in_orbit": initial.astype(np.int64),
                    "operational": n0.astype(np.int64)}
        t_launch = (self.launch_dates - self.start).astype(float)[None, :]  # (1, n_launch)
        n = np.array([x.satellites for x in self.launches], dtype=float)[None, :]
        flown = t >= t_launch
        launched = initial + np.sum(np.where(flown, n, 0.0), axis=1)
        in_orbit = initial + np.sum(np.where(flown, self.delivered[None, :], 0.0), axis=1)
        d_min, d_max = self.orbit_raising_days
        age = t - t_launch
        if d_max > d_min:
            frac = np.clip((age - d_min) / (d_max - d_min), 0.0, 1.0)
        else:
            frac = (age >= d_min).astype(float)
        if self.start_state == "operational":  # launched before the start: operational from the start
            frac = np.where((t_launch < 0) & (t >= 0), 1.0, frac)
        frac = np.where(flown, frac, 0.0)
        operational = initial + np.floor(np.sum(frac * self.delivered[None, :], axis=1) + _EPS)
        if self.capacity is not None:
            operational = np.minimum(operational, self.capacity)
        return {"launched": np.round(launched).astype(np.int64),
                "in_orbit": np.floor(in_orbit + _EPS).astype(np.int64),
                "operational": operational.astype(np.int64)}

    def first_date(self, satellites: int, what: str = "operational", until=None):
        """First day on which ``what`` reaches ``satellites``, or ``None`` if not by ``until``.

        Parameters
        ----------
        satellites : int
        what : {"operational", "in_orbit", "launched"}
        until : date, optional
            Last day searched (default: 20 years after the start).
        """
        if what not in ("operational", "in_orbit", "launched"):
            raise ValueError(f"what must be 'operational', 'in_orbit' or 'launched', got {what!r}")
        end = as_day(until, "until") if until is not None else self.start + np.timedelta64(7305, "D")
        days = np.arange(self.start, end + np.timedelta64(1, "D"), dtype="datetime64[D]")
        values = self.counts(days)[what]
        hit = np.flatnonzero(values >= satellites)
        return days[hit[0]] if hit.size else None

    def table(self):
        """The launches as a pandas DataFrame (date, vehicle, satellites, delivered, label, flown, source,
        approximate_date)."""
        import pandas as pd

        return pd.DataFrame({
            "date": self.launch_dates,
            "vehicle": [x.vehicle for x in self.launches],
            "satellites": [x.satellites for x in self.launches],
            "delivered": self.delivered,
            "label": [x.label for x in self.launches],
            "flown": [x.flown for x in self.launches],
            "source": [x.source for x in self.launches],
            "approximate_date": [x.approximate for x in self.launches],
        })


def rate_launch_days(rate: VehicleRate, start, until, max_launches=None) -> np.ndarray:
    """Days of the launches generated by a cadence, from ``start`` to ``until``.

    Parameters
    ----------
    rate : VehicleRate
    start, until : date
        First and last day on which a launch may fly.
    max_launches : int, optional
        Stop after this many (contract).

    Returns
    -------
    ndarray of datetime64[D], shape (n_launch,)
        Launch ``k`` (1, 2, ...) flies on the first day ``d`` whose cumulative expected launches
        ``L(d)`` (the sum of ``rate / days_in_year`` over the days ``start .. d``) reach ``k - 1/2``.

    Examples
    --------
    >>> r = VehicleRate("atlas_v", {2026: 4})
    >>> rate_launch_days(r, "2026-01-01", "2026-12-31").tolist()[:2]
    [datetime.date(2026, 2, 15), datetime.date(2026, 5, 17)]
    """
    start, until = as_day(start, "start"), as_day(until, "until")
    if until < start:
        return np.array([], dtype="datetime64[D]")
    days = np.arange(start, until + np.timedelta64(1, "D"), dtype="datetime64[D]")
    year0 = days.astype("datetime64[Y]")
    year_len = ((year0 + np.timedelta64(1, "Y")).astype("datetime64[D]")
                - year0.astype("datetime64[D]")).astype(float)
    daily = rate.operator_rate(year0.astype(int) + 1970) / year_len
    cumulative = np.cumsum(daily)
    total = int(np.floor(cumulative[-1] + 0.5 + _EPS)) if cumulative.size else 0
    if max_launches is not None:
        total = min(total, int(max_launches))
    if total <= 0:
        return np.array([], dtype="datetime64[D]")
    k = np.arange(1, total + 1)
    idx = np.searchsorted(cumulative, k - 0.5 - _EPS, side="left")
    return days[idx[idx < days.size]]


@dataclass(frozen=True)
class LaunchModel:
    """Vehicles and operators of a launch file.

    Parameters
    ----------
    vehicles : dict of str to Vehicle
    operators : dict of str to Operator
    title : str
    source : str
        Where the model was read from.

    Examples
    --------
    >>> from constellations.race.deployment import LaunchModel
    >>> model = LaunchModel.from_toml()
    >>> sorted(model.operators["kuiper"].cases)
    ['high', 'low', 'nominal', 'nominal_2026', 'observed']
    """

    vehicles: dict
    operators: dict
    title: str = ""
    source: str = ""

    @classmethod
    def from_toml(cls, path=None) -> LaunchModel:
        """Read and check a launch file (default: ``launches.toml`` of the data folder).

        Parameters
        ----------
        path : str or path, optional
            A TOML file, or a name relative to the data folder
            (:func:`constellations.sources.datafiles.data_path`).

        Returns
        -------
        LaunchModel

        Raises
        ------
        ValueError
            Missing or unreadable file, bad TOML, or any mistake of :meth:`from_dict`, naming the file.
        """
        path = Path(path).expanduser() if path is not None else data_path("launches.toml")
        if not path.is_absolute() and not path.is_file():
            path = data_path(path)
        raw = read_toml(path, what="launch file")
        return cls.from_dict(raw, where=str(path), source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, where: str = "launches", source: str = "") -> LaunchModel:
        """Build and check a launch model from a TOML-like dict; every check runs here, before any use.

        Keys (see ``constellations/data/launches.toml`` for a commented example):

        - ``title``, ``description``
        - ``[vehicles.<key>]``: ``label``, ``satellites_per_launch``, ``basis``, ``source``, ``provider``
        - ``[operators.<key>]``: ``label``, ``constellation`` (preset), ``max_satellites``,
          ``initial_satellites``, ``start_state``, ``orbit_raising_days`` (days or ``[min, max]``),
          ``contracts`` (vehicle = launches), ``notes``
        - ``[operators.<key>.fill]``: ``shells``, ``planes``, ``slots``
        - ``[[operators.<key>.manifest]]``: ``date``, ``vehicle``, ``satellites``, ``label``, ``flown``,
          ``source``, ``approximate`` (the date is an estimate)
        - ``[operators.<key>.cases.<name>]``: ``description``, ``rates_start``, ``launch_failure_rate``,
          ``satellite_failure_rate``, ``contracts``, ``orbit_raising_days``, ``manifest``, ``as_of``
          (the day the case was made: later launches of the operator's manifest are left out)
        - ``[operators.<key>.cases.<name>.rates.<vehicle>]``: ``launches_per_year`` (year = launches),
          ``share``, ``satellites_per_launch``

        Parameters
        ----------
        raw : dict
        where : str
            The file named at the start of every message.
        source : str
            Where the model was read from (kept in :attr:`source`).

        Raises
        ------
        ValueError
            ``WHERE: key.path = VALUE: what is allowed; how to fix``
            (:class:`~constellations.validation.Checker`) for unknown keys at every level, strings
            where numbers belong, values out of range, bad dates, unknown vehicles and presets,
            launches out of date order and manifests that use more launches than a contract allows.
        """
        c = Checker(where)
        c.table(raw, "launch file")
        c.keys(raw, TOP_KEYS, "", required=("vehicles", "operators"))
        title = c.string(raw["title"], "title", '"Kuiper launch model"') if "title" in raw else ""
        if "description" in raw:
            c.string(raw["description"], "description", '"..."', max_chars=MAX_TEXT_CHARS, multiline=True)
        vehicles = {key: _vehicle(c, key, v) for key, v in c.table(raw["vehicles"], "vehicles").items()}
        if not vehicles:
            raise c.error("vehicles", raw["vehicles"], "is empty; define at least one vehicle, e.g. "
                          "[vehicles.falcon_9] with satellites_per_launch = 24")
        operators = {key: _operator(c, key, o, vehicles)
                     for key, o in c.table(raw["operators"], "operators").items()}
        return cls(vehicles=vehicles, operators=operators, title=title, source=source)

    def operator(self, key: str) -> Operator:
        """The operator named ``key`` (with a helpful error otherwise)."""
        if key not in self.operators:
            raise ValueError(f"unknown operator {key!r}{did_you_mean(key, self.operators)}; the launch file "
                             f"defines: {', '.join(self.operators)}")
        return self.operators[key]

    def case(self, operator: str, case: str) -> CadenceCase:
        """The cadence case ``case`` of ``operator``."""
        op = self.operator(operator)
        if case not in op.cases:
            raise ValueError(f"operator {operator!r} has no case {case!r}{did_you_mean(case, op.cases)}; "
                             f"cases: {', '.join(op.cases)}")
        return op.cases[case]

    def deployment(self, operator: str, case: str, start, until, *, failures: str = "expected",
                   seed: int = 0) -> Deployment:
        """Launches of an operator in one case from ``start`` to ``until``, and their satellites.

        Parameters
        ----------
        operator, case : str
        start, until : date
            Timeline start (the starting state) and last day of launches.
        failures : {"expected", "seeded"}
            Expected-value satellites per launch, or random failures drawn with ``seed``.
        seed : int

        Returns
        -------
        Deployment
        """
        if failures not in FAILURE_MODES:
            raise ValueError(f"failures must be one of {FAILURE_MODES}, got {failures!r}")
        op = self.operator(operator)
        cs_ = self.case(operator, case)
        start, until = as_day(start, "start"), as_day(until, "until")
        if until < start:
            raise ValueError(f"until ({until}) is before start ({start}); give a horizon after the start")
        manifest = list(cs_.known_manifest(op.manifest))
        contracts = {**op.contracts, **cs_.contracts}
        used = _manifest_launches(manifest)
        for vehicle, n in _over_contract(used, contracts).items():
            raise ValueError(f"operator {operator!r}, case {case!r}: the manifest has {n} {vehicle} "
                             f"launches but the contract allows {contracts[vehicle]}; raise "
                             f"contracts.{vehicle} or remove launches")
        launches = [x for x in manifest if x.date <= until]
        rates_start = cs_.rates_start if cs_.rates_start is not None else start
        for rate in cs_.rates:
            left = None
            if rate.vehicle in contracts:
                left = contracts[rate.vehicle] - used.get(rate.vehicle, 0)
            n_sat = rate.satellites_per_launch or self.vehicles[rate.vehicle].satellites_per_launch
            for day in rate_launch_days(rate, max(rates_start, start), until, left):
                launches.append(Launch(date=day, vehicle=rate.vehicle, satellites=int(n_sat),
                                       source="rate"))
        launches.sort(key=lambda x: x.date)
        n = np.array([x.satellites for x in launches], dtype=float)
        flown = np.array([x.flown for x in launches], dtype=bool)
        p_l, p_s = cs_.launch_failure_rate, cs_.satellite_failure_rate
        if failures == "expected":
            delivered = np.where(flown, n, n * (1.0 - p_l) * (1.0 - p_s))
        else:
            rng = np.random.default_rng(seed)
            lost = rng.random(n.size) < p_l
            alive = rng.binomial(n.astype(np.int64), 1.0 - p_s).astype(float)
            delivered = np.where(flown, n, np.where(lost, 0.0, alive))
        raising = cs_.orbit_raising_days if cs_.orbit_raising_days is not None else op.orbit_raising_days
        return Deployment(operator=operator, case=case, start=start, launches=tuple(launches),
                          delivered=delivered, orbit_raising_days=tuple(raising),
                          capacity=op.capacity(), start_state=op.start_state,
                          initial_satellites=op.initial_satellites)


# --------------------------------------------------------------------------- reading a launch file


def _manifest_launches(manifest) -> dict:
    """Launches per vehicle in a manifest: vehicle key -> count."""
    used: dict = {}
    for x in manifest:
        used[x.vehicle] = used.get(x.vehicle, 0) + 1
    return used


def _over_contract(used: dict, contracts: dict) -> dict:
    """The vehicles whose manifest launches exceed their contract: vehicle -> launches in the manifest."""
    return {v: n for v, n in used.items() if v in contracts and n > contracts[v]}


def _text(c: Checker, raw: dict, name: str, key: str, default: str, example: str) -> str:
    """An optional sentence (label, source, description) of ``raw``: ``default`` when absent."""
    if name not in raw:
        return default
    return c.string(raw[name], key, example, max_chars=MAX_TEXT_CHARS)


def _vehicle(c: Checker, key: str, raw) -> Vehicle:
    w = f"vehicles.{key}"
    c.table(raw, w)
    c.keys(raw, VEHICLE_KEYS, f"{w}.", required=("satellites_per_launch",))
    return Vehicle(
        key=key, label=_text(c, raw, "label", f"{w}.label", key, '"Falcon 9"'),
        satellites_per_launch=c.number(raw["satellites_per_launch"], f"{w}.satellites_per_launch", "27",
                                       low=1, strict_low=False, integer=True),
        basis=c.choice(raw.get("basis", "assumption"), f"{w}.basis", BASES),
        source=_text(c, raw, "source", f"{w}.source", "", '"TLE data: 27 per launch"'),
        provider=_text(c, raw, "provider", f"{w}.provider", "", '"ULA"'))


def _raising(c: Checker, value, key: str) -> tuple:
    """Orbit-raising days: one number (all at once) or ``[min, max]``."""
    if isinstance(value, list):
        lo, hi = c.numbers(value, key, 2, "[50, 175]", low=0, strict_low=False)
        if hi < lo:
            raise c.error(key, value, f"max ({hi:g}) is below min ({lo:g}); give [min, max] in days")
        return (lo, hi)
    d = c.number(value, key, "90", low=0, strict_low=False)
    return (d, d)


def _contracts(c: Checker, raw, vehicles: dict, key: str) -> dict:
    c.table(raw, key)
    c.keys(raw, vehicles, f"{key}.")  # the keys are vehicles
    return {v: c.number(n, f"{key}.{v}", "38", low=0, strict_low=False, integer=True)
            for v, n in raw.items()}


def _manifest(c: Checker, raw, vehicles: dict, key: str) -> tuple:
    if not isinstance(raw, list):
        raise c.error(key, raw, "must be a list of launches: [[...manifest]] tables with date and vehicle")
    out = []
    for i, e in enumerate(raw):
        w = f"{key}[{i}]"
        c.table(e, w)
        c.keys(e, MANIFEST_KEYS, f"{w}.", required=("date", "vehicle"))
        vehicle = c.choice(e["vehicle"], f"{w}.vehicle", vehicles)
        n = c.number(e.get("satellites", vehicles[vehicle].satellites_per_launch), f"{w}.satellites", "27",
                     low=0, strict_low=False, integer=True)
        out.append(Launch(date=np.datetime64(c.date(e["date"], f"{w}.date", "2026-07-30"), "D"),
                          vehicle=vehicle, satellites=n,
                          label=_text(c, e, "label", f"{w}.label", "", '"KA-01"'),
                          flown=c.boolean(e.get("flown", False), f"{w}.flown"),
                          source=_text(c, e, "source", f"{w}.source", "manifest", '"press release"'),
                          approximate=c.boolean(e.get("approximate", False), f"{w}.approximate")))
    for i in range(1, len(out)):
        if out[i].date < out[i - 1].date:
            raise c.error(f"{key}[{i}].date", str(out[i].date), f"comes before the date of entry {i - 1} "
                          f"({out[i - 1].date}); list the launches by date")
    return tuple(out)


def _rates(c: Checker, raw, vehicles: dict, key: str) -> tuple:
    c.table(raw, key)
    c.keys(raw, vehicles, f"{key}.")  # the keys are vehicles
    out = []
    for vehicle, r in raw.items():
        w = f"{key}.{vehicle}"
        c.table(r, w)
        c.keys(r, RATE_KEYS, f"{w}.", required=("launches_per_year",))
        lpy = r["launches_per_year"]
        if not isinstance(lpy, dict) or not lpy:
            raise c.error(f"{w}.launches_per_year", lpy, "must be a non-empty table year = launches, e.g. "
                          "launches_per_year = { 2026 = 4, 2027 = 8 }")
        table = {}
        for year, n in lpy.items():
            y = int(year) if str(year).isdigit() else None
            if y is None or not FIRST_YEAR <= y <= LAST_YEAR:
                raise c.error(f"{w}.launches_per_year", year, f"each key must be a calendar year "
                              f"{FIRST_YEAR}-{LAST_YEAR}, e.g. {{ 2026 = 4 }}")
            table[y] = c.number(n, f"{w}.launches_per_year.{year}", "4", low=0, strict_low=False)
        spl = r.get("satellites_per_launch")
        out.append(VehicleRate(
            vehicle=vehicle, launches_per_year=table,
            share=c.number(r.get("share", 1.0), f"{w}.share", "0.5", low=0, strict_low=False, high=1),
            satellites_per_launch=None if spl is None else c.number(
                spl, f"{w}.satellites_per_launch", "45", low=1, strict_low=False, integer=True)))
    return tuple(out)


def _case(c: Checker, name: str, raw, vehicles: dict, key: str) -> CadenceCase:
    c.table(raw, key)
    c.keys(raw, CASE_KEYS, f"{key}.")
    kw = {}
    if "orbit_raising_days" in raw:
        kw["orbit_raising_days"] = _raising(c, raw["orbit_raising_days"], f"{key}.orbit_raising_days")
    rates_start = raw.get("rates_start")
    if "as_of" in raw:
        kw["as_of"] = np.datetime64(c.date(raw["as_of"], f"{key}.as_of", "2025-09-30"), "D")
    return CadenceCase(
        name=name, description=_text(c, raw, "description", f"{key}.description", "", '"fast ramp"'),
        rates_start=None if rates_start is None else np.datetime64(
            c.date(rates_start, f"{key}.rates_start", "2026-01-01"), "D"),
        rates=_rates(c, raw.get("rates", {}), vehicles, f"{key}.rates"),
        manifest=_manifest(c, raw.get("manifest", []), vehicles, f"{key}.manifest"),
        launch_failure_rate=c.number(raw.get("launch_failure_rate", 0.0), f"{key}.launch_failure_rate",
                                     "0.03", low=0, strict_low=False, high=1, strict_high=True),
        satellite_failure_rate=c.number(raw.get("satellite_failure_rate", 0.0),
                                        f"{key}.satellite_failure_rate", "0.01", low=0, strict_low=False,
                                        high=1, strict_high=True),
        contracts=_contracts(c, raw.get("contracts", {}), vehicles, f"{key}.contracts"),
        **kw)


def _fill(c: Checker, raw, key: str) -> FillOrder:
    c.table(raw, key)
    c.keys(raw, FILL_KEYS, f"{key}.")
    shells = raw.get("shells", [])
    if not isinstance(shells, list) or not all(isinstance(x, str | int) and not isinstance(x, bool)
                                               for x in shells):
        raise c.error(f"{key}.shells", shells, 'must be a list of shell names or indices, e.g. '
                      'shells = ["Kuiper 630 km", "Kuiper 610 km"]')
    planes = raw.get("planes", "spread")
    if isinstance(planes, list):
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in planes):
            raise c.error(f"{key}.planes", planes, 'must be "spread", "sequential" or a list of plane '
                          "indices, e.g. [0, 2, 1, 3]")
        planes = tuple(planes)
    else:
        c.choice(planes, f"{key}.planes", ORDERS)
    return FillOrder(shells=tuple(shells), planes=planes,
                     slots=c.choice(raw.get("slots", "spread"), f"{key}.slots", ORDERS))


def _operator(c: Checker, key: str, raw, vehicles: dict) -> Operator:
    w = f"operators.{key}"
    c.table(raw, w)
    c.keys(raw, OPERATOR_KEYS, f"{w}.", required=("cases",))
    constellation = raw.get("constellation")
    if constellation is not None:
        constellation = c.choice(constellation, f"{w}.constellation", presets())
    max_sat = raw.get("max_satellites")
    if max_sat is not None:
        max_sat = c.number(max_sat, f"{w}.max_satellites", "3236", low=0, strict_low=False, integer=True)
    cases_raw = c.table(raw["cases"], f"{w}.cases")
    if not cases_raw:
        raise c.error(f"{w}.cases", cases_raw, f"must define at least one case, e.g. [{w}.cases.nominal]")
    notes = raw.get("notes", [])
    notes = () if notes == [] else tuple(c.string(n, f"{w}.notes[{i}]", '"an assumption in words"',
                                                  max_chars=MAX_TEXT_CHARS)
                                         for i, n in enumerate(c.strings(notes, f"{w}.notes", '["..."]')))
    op = Operator(
        key=key, label=_text(c, raw, "label", f"{w}.label", key, '"Amazon Kuiper"'),
        constellation=constellation,
        manifest=_manifest(c, raw.get("manifest", []), vehicles, f"{w}.manifest"),
        contracts=_contracts(c, raw.get("contracts", {}), vehicles, f"{w}.contracts"),
        orbit_raising_days=_raising(c, raw.get("orbit_raising_days", 0.0), f"{w}.orbit_raising_days"),
        start_state=c.choice(raw.get("start_state", "operational"), f"{w}.start_state", START_STATES),
        fill=_fill(c, raw.get("fill", {}), f"{w}.fill"), max_satellites=max_sat,
        initial_satellites=c.number(raw.get("initial_satellites", 0), f"{w}.initial_satellites", "78",
                                    low=0, strict_low=False, integer=True),
        cases={name: _case(c, name, case, vehicles, f"{w}.cases.{name}") for name, case in cases_raw.items()},
        notes=notes)
    for name, case in op.cases.items():  # a manifest may not use more launches than were bought
        contracts = {**op.contracts, **case.contracts}
        for vehicle, n in _over_contract(_manifest_launches(case.known_manifest(op.manifest)),
                                         contracts).items():
            raise c.error(f"{w}.cases.{name}.contracts.{vehicle}" if vehicle in case.contracts
                          else f"{w}.contracts.{vehicle}", contracts[vehicle],
                          f"the manifest of case {name!r} has {n} {vehicle} launches, more than the "
                          "contract allows; raise the contract or remove launches")
    if constellation is not None:
        try:  # check the fill order against the pattern now, not when the race runs
            op.fill_order()
        except ValueError as e:
            raise c.error(f"{w}.fill", raw.get("fill", {}), str(e)) from None
    return op
