"""Launch model: which satellites of a constellation are operational on which date.

A :class:`LaunchModel` (read from ``data/launches.toml`` by :meth:`LaunchModel.from_toml`) holds launch
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
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
_EPS = 1e-9


# --------------------------------------------------------------------------- small validators


def _where(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _closest(value, allowed) -> str:
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keys(raw: dict, allowed: set, where: str, required=()) -> None:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a table of keys, got {type(raw).__name__} {raw!r}")
    for key in raw:
        if key not in allowed:
            raise ValueError(f"{_where(where, key)} is not a known key{_closest(key, allowed)}; "
                             f"allowed: {', '.join(sorted(allowed))}")
    for key in required:
        if key not in raw:
            raise ValueError(f"{_where(where, key)} is missing; it is required")


def _number(value, key: str, *, low=None, high=None, integer=False, fix="") -> float:
    ok_type = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if integer:
        ok_type = ok_type and float(value) == int(value)
    if not ok_type or not np.isfinite(float(value)):
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{key} must be {kind}, got {value!r}; {fix}".rstrip("; "))
    v = float(value)
    if (low is not None and v < low) or (high is not None and v > high):
        span = (f"between {low:g} and {high:g}" if low is not None and high is not None
                else f">= {low:g}" if low is not None else f"<= {high:g}")
        raise ValueError(f"{key} must be {span}, got {value!r}; {fix}".rstrip("; "))
    return int(v) if integer else v


def _text(value, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")
    return value


def as_day(value, key: str = "date") -> np.datetime64:
    """A calendar day from a ``datetime.date``, ``datetime.datetime``, ``numpy.datetime64`` or ISO text.

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
        _number(self.satellites_per_launch, f"vehicle {self.key!r}: satellites_per_launch", low=1,
                integer=True, fix="give the satellites carried per launch, e.g. 27")
        if self.basis not in BASES:
            raise ValueError(f"vehicle {self.key!r}: basis must be one of {BASES}, got {self.basis!r}")


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
    """

    date: np.datetime64
    vehicle: str
    satellites: int
    label: str = ""
    flown: bool = False
    source: str = "manifest"


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
        if isinstance(self.planes, str) and self.planes not in ORDERS:
            raise ValueError(f"fill.planes must be one of {ORDERS} or a list of plane indices, got "
                             f"{self.planes!r}")
        if self.slots not in ORDERS:
            raise ValueError(f"fill.slots must be one of {ORDERS}, got {self.slots!r}")


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
        from .presets import preset

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
    n = _number(n, "n", low=1, integer=True)
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
                                 f"{_closest(s, names)}; shells: {names}")
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
        """The launches as a pandas DataFrame (date, vehicle, satellites, delivered, label, flown, source)."""
        import pandas as pd

        return pd.DataFrame({
            "date": self.launch_dates,
            "vehicle": [x.vehicle for x in self.launches],
            "satellites": [x.satellites for x in self.launches],
            "delivered": self.delivered,
            "label": [x.label for x in self.launches],
            "flown": [x.flown for x in self.launches],
            "source": [x.source for x in self.launches],
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
    >>> from constellations.deployment import LaunchModel
    >>> model = LaunchModel.from_toml()
    >>> sorted(model.operators["kuiper"].cases)
    ['high', 'low', 'nominal']
    """

    vehicles: dict
    operators: dict
    title: str = ""
    source: str = ""

    @classmethod
    def from_toml(cls, path=None) -> LaunchModel:
        """Read a launch file (default: ``data/launches.toml``); see :meth:`from_dict` for the keys."""
        from .datafiles import data_dir

        path = Path(path) if path is not None else data_dir() / "launches.toml"
        if not path.is_absolute() and not path.is_file():
            path = data_dir() / path
        if not path.is_file():
            raise ValueError(f"launch file {str(path)!r} does not exist; give a path to a TOML file like "
                             "data/launches.toml")
        with open(path, "rb") as f:
            try:
                raw = tomllib.load(f)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"launch file {str(path)!r} is not valid TOML: {exc}") from None
        return cls.from_dict(raw, where=path.name, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, where: str = "launches", source: str = "") -> LaunchModel:
        """Build and validate a launch model from a TOML-like dict.

        Keys (see ``data/launches.toml`` for a commented example):

        - ``title``, ``description``
        - ``[vehicles.<key>]``: ``label``, ``satellites_per_launch``, ``basis``, ``source``, ``provider``
        - ``[operators.<key>]``: ``label``, ``constellation`` (preset), ``max_satellites``,
          ``initial_satellites``, ``start_state``, ``orbit_raising_days`` (days or ``[min, max]``),
          ``contracts`` (vehicle = launches), ``notes``
        - ``[operators.<key>.fill]``: ``shells``, ``planes``, ``slots``
        - ``[[operators.<key>.manifest]]``: ``date``, ``vehicle``, ``satellites``, ``label``, ``flown``,
          ``source``
        - ``[operators.<key>.cases.<name>]``: ``description``, ``rates_start``, ``launch_failure_rate``,
          ``satellite_failure_rate``, ``contracts``, ``orbit_raising_days``, ``manifest``
        - ``[operators.<key>.cases.<name>.rates.<vehicle>]``: ``launches_per_year`` (year = launches),
          ``share``, ``satellites_per_launch``
        """
        _check_keys(raw, {"title", "description", "vehicles", "operators"}, where,
                    required=("vehicles", "operators"))
        vehicles = {}
        for key, v in raw["vehicles"].items():
            w = f"{where}: vehicles.{key}"
            _check_keys(v, {"label", "satellites_per_launch", "basis", "source", "provider"}, w,
                        required=("satellites_per_launch",))
            basis = v.get("basis", "assumption")
            if basis not in BASES:
                raise ValueError(f"{w}.basis must be one of {BASES}, got {basis!r}; label press figures "
                                 "'press' and modelling choices 'assumption'")
            vehicles[key] = Vehicle(
                key=key, label=_text(v.get("label", key), f"{w}.label"),
                satellites_per_launch=_number(v["satellites_per_launch"], f"{w}.satellites_per_launch",
                                              low=1, integer=True, fix="e.g. 27"),
                basis=basis, source=_text(v.get("source", ""), f"{w}.source"),
                provider=_text(v.get("provider", ""), f"{w}.provider"))
        if not vehicles:
            raise ValueError(f"{where}: [vehicles] is empty; define at least one vehicle")
        operators = {key: _operator(key, o, vehicles, f"{where}: operators.{key}")
                     for key, o in raw["operators"].items()}
        return cls(vehicles=vehicles, operators=operators, title=str(raw.get("title", "")), source=source)

    def operator(self, key: str) -> Operator:
        """The operator named ``key`` (with a helpful error otherwise)."""
        if key not in self.operators:
            raise ValueError(f"unknown operator {key!r}{_closest(key, self.operators)}; the launch file "
                             f"defines: {', '.join(self.operators)}")
        return self.operators[key]

    def case(self, operator: str, case: str) -> CadenceCase:
        """The cadence case ``case`` of ``operator``."""
        op = self.operator(operator)
        if case not in op.cases:
            raise ValueError(f"operator {operator!r} has no case {case!r}{_closest(case, op.cases)}; "
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
        manifest = sorted(op.manifest + cs_.manifest, key=lambda x: x.date)
        contracts = {**op.contracts, **cs_.contracts}
        used = {}
        for x in manifest:
            used[x.vehicle] = used.get(x.vehicle, 0) + 1
        for vehicle, n in used.items():
            if vehicle in contracts and n > contracts[vehicle]:
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


# --------------------------------------------------------------------------- parsing helpers


def _raising(value, where: str) -> tuple:
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"{where} must be a number of days or [min, max], got {value!r}")
        lo = _number(value[0], f"{where}[0]", low=0, fix="days from launch to the operational orbit")
        hi = _number(value[1], f"{where}[1]", low=0, fix="days from launch to the operational orbit")
        if hi < lo:
            raise ValueError(f"{where} = {value!r}: max ({hi:g}) is below min ({lo:g}); give [min, max]")
        return (lo, hi)
    d = _number(value, where, low=0, fix="days from launch to the operational orbit, e.g. 90 or [50, 175]")
    return (d, d)


def _contracts(raw, vehicles, where: str) -> dict:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a table vehicle = launches, got {raw!r}")
    out = {}
    for key, n in raw.items():
        if key not in vehicles:
            raise ValueError(f"{where}: unknown vehicle {key!r}{_closest(key, vehicles)}; vehicles: "
                             f"{', '.join(vehicles)}")
        out[key] = _number(n, f"{where}.{key}", low=0, integer=True, fix="the launches bought")
    return out


def _manifest(raw, vehicles, where: str) -> tuple:
    if not isinstance(raw, list):
        raise ValueError(f"{where} must be a list of launches ([[...manifest]] tables), got {raw!r}")
    out = []
    for i, e in enumerate(raw):
        w = f"{where}[{i}]"
        _check_keys(e, {"date", "vehicle", "satellites", "label", "flown", "source"}, w,
                    required=("date", "vehicle"))
        vehicle = e["vehicle"]
        if vehicle not in vehicles:
            raise ValueError(f"{w}.vehicle: unknown vehicle {vehicle!r}{_closest(vehicle, vehicles)}; "
                             f"vehicles: {', '.join(vehicles)}")
        n = e.get("satellites", vehicles[vehicle].satellites_per_launch)
        n = _number(n, f"{w}.satellites", low=0, integer=True,
                    fix="give the satellites on board (0 or more)")
        flown = e.get("flown", False)
        if not isinstance(flown, bool):
            raise ValueError(f"{w}.flown must be true or false, got {flown!r}")
        out.append(Launch(date=as_day(e["date"], f"{w}.date"), vehicle=vehicle, satellites=n,
                          label=_text(e.get("label", ""), f"{w}.label"), flown=flown,
                          source=_text(e.get("source", "manifest"), f"{w}.source")))
    for i in range(1, len(out)):
        if out[i].date < out[i - 1].date:
            raise ValueError(f"{where}: dates out of order: entry {i} ({out[i].date}) comes after entry "
                             f"{i - 1} ({out[i - 1].date}); list launches by date")
    return tuple(out)


def _rates(raw, vehicles, where: str) -> tuple:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a table of vehicles, got {raw!r}")
    out = []
    for key, r in raw.items():
        w = f"{where}.{key}"
        if key not in vehicles:
            raise ValueError(f"{where}: unknown vehicle {key!r}{_closest(key, vehicles)}; vehicles: "
                             f"{', '.join(vehicles)}")
        _check_keys(r, {"launches_per_year", "share", "satellites_per_launch"}, w,
                    required=("launches_per_year",))
        lpy = r["launches_per_year"]
        if isinstance(lpy, int | float) and not isinstance(lpy, bool):
            raise ValueError(f"{w}.launches_per_year must be a table year = launches, e.g. "
                             f"{{ 2026 = 4, 2027 = 8 }}, got {lpy!r}")
        if not isinstance(lpy, dict) or not lpy:
            raise ValueError(f"{w}.launches_per_year must be a non-empty table year = launches, e.g. "
                             f"{{ 2026 = 4, 2027 = 8 }}, got {lpy!r}")
        table = {}
        for year, n in lpy.items():
            try:
                y = int(year)
            except (TypeError, ValueError):
                raise ValueError(f"{w}.launches_per_year: key {year!r} is not a year like 2026") from None
            if not 1957 <= y <= 2200:
                raise ValueError(f"{w}.launches_per_year: year {year!r} is outside 1957-2200")
            table[y] = _number(n, f"{w}.launches_per_year.{year}", low=0,
                               fix="launches per year cannot be negative")
        share = _number(r.get("share", 1.0), f"{w}.share", low=0, high=1,
                        fix="the share of the vehicle's launches for this operator, 0-1")
        spl = r.get("satellites_per_launch")
        if spl is not None:
            spl = _number(spl, f"{w}.satellites_per_launch", low=1, integer=True, fix="e.g. 45")
        out.append(VehicleRate(vehicle=key, launches_per_year=table, share=share, satellites_per_launch=spl))
    return tuple(out)


def _case(name, raw, vehicles, where: str) -> CadenceCase:
    allowed = {"description", "rates_start", "rates", "manifest", "launch_failure_rate",
               "satellite_failure_rate", "contracts", "orbit_raising_days"}
    _check_keys(raw, allowed, where)
    kw = {}
    if "orbit_raising_days" in raw:
        kw["orbit_raising_days"] = _raising(raw["orbit_raising_days"], f"{where}.orbit_raising_days")
    return CadenceCase(
        name=name, description=_text(raw.get("description", ""), f"{where}.description"),
        rates_start=as_day(raw["rates_start"], f"{where}.rates_start") if "rates_start" in raw else None,
        rates=_rates(raw.get("rates", {}), vehicles, f"{where}.rates"),
        manifest=_manifest(raw.get("manifest", []), vehicles, f"{where}.manifest"),
        launch_failure_rate=_number(raw.get("launch_failure_rate", 0.0), f"{where}.launch_failure_rate",
                                    low=0, high=0.999, fix="a probability below 1, e.g. 0.03"),
        satellite_failure_rate=_number(raw.get("satellite_failure_rate", 0.0),
                                       f"{where}.satellite_failure_rate", low=0, high=0.999,
                                       fix="a probability below 1, e.g. 0.01"),
        contracts=_contracts(raw.get("contracts", {}), vehicles, f"{where}.contracts"),
        **kw)


def _operator(key, raw, vehicles, where: str) -> Operator:
    allowed = {"label", "constellation", "manifest", "contracts", "orbit_raising_days", "start_state",
               "fill", "max_satellites", "initial_satellites", "cases", "notes"}
    _check_keys(raw, allowed, where, required=("cases",))
    start_state = raw.get("start_state", "operational")
    if start_state not in START_STATES:
        raise ValueError(f"{where}.start_state must be one of {START_STATES}, got {start_state!r}")
    fill_raw = raw.get("fill", {})
    _check_keys(fill_raw, {"shells", "planes", "slots"}, f"{where}.fill")
    planes = fill_raw.get("planes", "spread")
    fill = FillOrder(shells=tuple(fill_raw.get("shells", ())),
                     planes=tuple(planes) if isinstance(planes, list) else planes,
                     slots=fill_raw.get("slots", "spread"))
    constellation = raw.get("constellation")
    if constellation is not None:
        from .presets import presets

        if constellation not in presets():
            raise ValueError(f"{where}.constellation: unknown preset {constellation!r}"
                             f"{_closest(constellation, presets())}; presets: {', '.join(presets())}")
    max_sat = raw.get("max_satellites")
    if max_sat is not None:
        max_sat = _number(max_sat, f"{where}.max_satellites", low=0, integer=True)
    notes = raw.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise ValueError(f"{where}.notes must be a list of strings, got {notes!r}")
    cases_raw = raw["cases"]
    if not isinstance(cases_raw, dict) or not cases_raw:
        raise ValueError(f"{where}.cases must define at least one case, e.g. [{where.split(': ')[-1]}"
                         ".cases.nominal]")
    op = Operator(
        key=key, label=_text(raw.get("label", key), f"{where}.label"), constellation=constellation,
        manifest=_manifest(raw.get("manifest", []), vehicles, f"{where}.manifest"),
        contracts=_contracts(raw.get("contracts", {}), vehicles, f"{where}.contracts"),
        orbit_raising_days=_raising(raw.get("orbit_raising_days", 0.0), f"{where}.orbit_raising_days"),
        start_state=start_state, fill=fill, max_satellites=max_sat,
        initial_satellites=_number(raw.get("initial_satellites", 0), f"{where}.initial_satellites", low=0,
                                   integer=True, fix="satellites operational at the start"),
        cases={name: _case(name, c, vehicles, f"{where}.cases.{name}") for name, c in cases_raw.items()},
        notes=tuple(notes))
    if constellation is not None:
        op.fill_order()  # validate the fill order against the pattern now
    return op
