"""SGP4 propagation of whole catalogs into the Earth-fixed frame.

One call of :meth:`SGP4Propagator.positions_ecef_km` runs python-sgp4's compiled many-satellite
kernel (``sgp4.api.SatrecArray.sgp4``) over every satellite and time at once, then rotates the TEME
result into the Earth-fixed frame with the package's single Earth-orientation convention
(:func:`constellations.frames.gmst_rad`, GMST 1982, the angle SGP4's TEME frame is defined with).
There is no Python loop over satellites or times on this path.

Shapes follow the package convention: positions are ``(n_time, n_sat, 3)`` in km, Earth-fixed.
(python-sgp4 itself returns ``(n_sat, n_time, 3)``; the transpose happens here.)

Failures are data, not exceptions, as in python-sgp4: a satellite whose SGP4 evaluation fails (error
codes in :data:`sgp4.api.SGP4_ERRORS`, e.g. 6 "decayed") or whose state is not physical (distance
from the Earth's centre outside 6,378 km + :data:`PHYSICAL_ALTITUDE_KM`: a diverged solution, which
SGP4 can return without an error code, at altitudes up to 1e12 km) gets NaN positions at those times
and an entry in :attr:`SGP4Propagator.failed`. A satellite that already fails at the start time is
*excluded*: NaN at every time. NaN positions are never visible to a coverage test
(``elevation >= min`` is False for NaN), so these satellites drop out of the statistics without
changing the shape contract ``n_sat == len(source)``; :meth:`SGP4Propagator.excluded_count` says how
many satellites were dropped at one step or more.

Element sets are trusted only near their epochs: with ``max_epoch_age_days``, a request for a time
further than that from any satellite's epoch raises a ValueError (see
:data:`constellations.sources.tle.DEFAULT_MAX_EPOCH_AGE_DAYS` for the reasons and the default).

This module also builds synthetic circular-orbit satellites from mean elements
(:func:`satrec_from_mean_elements`) so that Walker shells can be propagated with SGP4 and compared
with the package's J2 propagator.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np
from sgp4.api import SGP4_ERRORS, WGS72, Satrec, SatrecArray, jday

from .frames import gmst_rad, parse_utc, teme_to_ecef
from .geometry import EARTH_RADIUS_KM, MU_KM3_S2

__all__ = [
    "NON_PHYSICAL_CODE",
    "PHYSICAL_ALTITUDE_KM",
    "SGP4Failure",
    "SGP4Propagator",
    "mean_motion_rad_min",
    "satrec_from_mean_elements",
]

_DAY_S = 86400.0
_JD_1949_12_31 = 2433281.5  # Julian date of the sgp4init epoch origin, 1949 December 31 00:00 UT


PHYSICAL_ALTITUDE_KM = (100.0, 50_000.0)  # km: states outside are diverged SGP4 solutions, never visible
NON_PHYSICAL_CODE = -1  # SGP4Failure.code of a state outside PHYSICAL_ALTITUDE_KM (no SGP4 error code)
_NON_PHYSICAL_MESSAGE = "state not physical: altitude outside 100 - 50,000 km (diverged SGP4 solution)"


def epoch_window_error(label: str, epoch_min, epoch_max, window_start, window_end, n_beyond: int,
                       n_sat: int, max_epoch_age_days: float, examples=()) -> ValueError:
    """The one message for an analysis window too far from a catalog's TLE epochs.

    Parameters
    ----------
    label : str
        The catalog's name.
    epoch_min, epoch_max, window_start, window_end : numpy.datetime64
        Oldest and newest epoch, and the requested times (UTC).
    n_beyond, n_sat : int
        Satellites whose epoch is further than the limit from the window, and all satellites.
    max_epoch_age_days : float
        The limit, days.
    examples : sequence of (str, numpy.datetime64)
        A few of the satellites beyond the limit, with their epochs (named when at most 3 are).

    Returns
    -------
    ValueError
    """
    def utc(t):
        return str(np.datetime64(t, "m")).replace("T", " ") + " UTC"

    window = utc(window_start) if window_start == window_end else \
        f"{utc(window_start)} .. {utc(window_end)}"
    named = ""
    if 0 < len(examples) <= 3:
        named = "; beyond it: " + ", ".join(f"{str(name)[:24]} ({utc(epoch)})" for name, epoch in examples)
    return ValueError(
        f"catalog {label!r}: the analysis window {window} reaches more than "
        f"{max_epoch_age_days:g} days from the TLE epochs of {n_beyond:,} of its {n_sat:,} satellites "
        f"(epochs {utc(epoch_min)} .. {utc(epoch_max)}{named}); SGP4 errors grow by ~1-3 km per day "
        "and orbit raising changes a fleet within weeks, so the result would not describe the fleet. "
        "Analyse near the epochs (start = \"epoch\" in a scenario's TLE entry), use element sets of "
        "the analysed date, or set max_epoch_age_days (a scenario's TLE entry: element sets further "
        "than that from the window are dropped; API: catalog.with_max_epoch_age(days)) to accept it"
    )


class SGP4Failure(NamedTuple):
    """One satellite that SGP4 could not propagate.

    Attributes
    ----------
    index : int
        Position of the satellite on the propagator's satellite axis (= index into the catalog).
    name : str
        Satellite name (or catalog number).
    code : int
        SGP4 error code, a key of :data:`sgp4.api.SGP4_ERRORS`, or :data:`NON_PHYSICAL_CODE` (-1) for
        a state outside :data:`PHYSICAL_ALTITUDE_KM` that SGP4 returned without an error.
    message : str
        The SGP4 error message for ``code``.
    t_s : float
        First requested offset from ``start`` (seconds) at which the error occurred.
    """

    index: int
    name: str
    code: int
    message: str
    t_s: float


class SGP4Propagator:
    """Propagate a set of SGP4 satellites to Earth-fixed positions, all at once.

    Parameters
    ----------
    satrecs : sequence of sgp4.api.Satrec, length n_sat
        Initialised satellite records (``Satrec.twoline2rv`` or :func:`satrec_from_mean_elements`).
    start : datetime.datetime or str
        UTC start of the analysis; the ``t_s`` offsets are counted from here.
    names : sequence of str, optional
        Satellite names, used in :attr:`failed` and :meth:`failure_report`.
    max_epoch_age_days : float, optional
        Refuse (ValueError) any request for a time further than this many days from a satellite's
        epoch; default no limit. :meth:`constellations.Catalog.propagator` passes the catalog's.
    label : str
        The catalog's name, for that message.

    Attributes
    ----------
    start : datetime.datetime
        Timezone-aware UTC start.
    n_sat : int
        Number of satellites (length of the satellite axis of every result).
    excluded : ndarray of int
        Indices of satellites that fail SGP4 at ``start``; their positions are NaN at every time.

    Notes
    -----
    Time: SGP4 counts time from the TLE epoch, which is UTC (AIAA 2006-6753), so the Julian dates
    passed to SGP4 are UTC-based, split into a whole part and a fraction for precision:
    ``jd, fr = jday(start)``, ``fr + t_s / 86400``. A leap second inside the window would shift the
    later times by 1 s (none is scheduled). Rotation: TEME -> Earth-fixed by GMST 1982 from
    :func:`constellations.frames.gmst_rad` (UT1 of ``start`` plus the sidereal rate); polar motion
    is ignored (< 15 m).

    :attr:`failed` accumulates: it lists the satellites that failed at ``start`` or at any time
    requested so far, each with the first failing offset. Construction evaluates ``t_s = 0``.

    Examples
    --------
    >>> from constellations.sgp4_propagator import SGP4Propagator, satrec_from_mean_elements
    >>> sats = satrec_from_mean_elements([550.0, 630.0], 53.0, 0.0, [0.0, 90.0], "2025-07-01")
    >>> prop = SGP4Propagator(sats, "2025-07-01T00:00:00Z")
    >>> prop.positions_ecef_km([0.0, 60.0, 120.0]).shape
    (3, 2, 3)
    >>> prop.failed
    ()
    """

    fixed_footprints = False  # altitudes change along the orbit: footprints are recomputed per step

    def __init__(self, satrecs, start, *, names=None, max_epoch_age_days=None, label="satellites"):
        satrecs = tuple(satrecs)
        if not satrecs:
            raise ValueError(
                "SGP4Propagator needs at least one satellite, got an empty sequence; "
                "check the filters that built the catalog (see Catalog.report())"
            )
        bad = [type(s).__name__ for s in satrecs if not isinstance(s, Satrec)]
        if bad:
            raise ValueError(
                f"satrecs must all be sgp4.api.Satrec objects, got {len(bad)} of type {bad[0]}; "
                "build them with Satrec.twoline2rv(line1, line2) or satrec_from_mean_elements(...)"
            )
        if names is None:
            names = tuple(s.satnum_str for s in satrecs)
        names = tuple(str(n) for n in names)
        if len(names) != len(satrecs):
            raise ValueError(
                f"names has {len(names)} entries but there are {len(satrecs)} satrecs; "
                "pass one name per satellite"
            )
        self.start = parse_utc(start)
        self.satrecs = satrecs
        self.names = names
        self.n_sat = len(satrecs)
        self._array = SatrecArray(list(satrecs))
        s = self.start
        self._jd0, self._fr0 = jday(
            s.year, s.month, s.day, s.hour, s.minute, s.second + s.microsecond * 1e-6
        )
        self._failures: dict[int, SGP4Failure] = {}
        self._lock = threading.Lock()  # the engine may call from several threads
        self._dropped = np.zeros(self.n_sat, dtype=bool)  # failed or not physical at a step so far
        self.label = str(label)
        self.max_epoch_age_days = None if max_epoch_age_days is None else float(max_epoch_age_days)
        epoch_jd = np.array([(sat.jdsatepoch, sat.jdsatepochF) for sat in satrecs], dtype=float)
        # epoch of each satellite as an offset from start, s (whole and fraction days kept apart)
        self._epoch_s = ((epoch_jd[:, 0] - self._jd0) + (epoch_jd[:, 1] - self._fr0)) * _DAY_S
        self.excluded = np.empty(0, dtype=int)
        errors, _ = self._teme_km(np.zeros(1))
        self.excluded = np.flatnonzero(errors[0])

    def __repr__(self) -> str:
        return (
            f"SGP4Propagator(n_sat={self.n_sat}, start={self.start.isoformat()!r}, "
            f"excluded={self.excluded.size}, failed={len(self._failures)})"
        )

    @property
    def failed(self) -> tuple[SGP4Failure, ...]:
        """Satellites that failed at ``start`` or at any time requested so far, by index."""
        return tuple(self._failures[i] for i in sorted(self._failures))

    def excluded_count(self) -> int:
        """Number of satellites never visible at one requested step or more, so far.

        A satellite counts once, however many steps it was dropped at: an SGP4 error code, NaN, or
        a state outside :data:`PHYSICAL_ALTITUDE_KM` (including the :attr:`excluded` ones).
        """
        with self._lock:
            return int(self._dropped.sum())

    def check_times(self, t_s) -> None:
        """Raise ValueError if ``start + t_s`` reaches further than ``max_epoch_age_days`` from an epoch.

        Parameters
        ----------
        t_s : array_like, shape (n_time,)
            Offsets from ``start`` in seconds.
        """
        if self.max_epoch_age_days is None:
            return
        t = _as_offsets(t_s)
        limit_s = self.max_epoch_age_days * _DAY_S
        reach_s = np.maximum(np.abs(t.max() - self._epoch_s), np.abs(t.min() - self._epoch_s))
        beyond = reach_s > limit_s
        if beyond.any():
            start = np.datetime64(self.start.replace(tzinfo=None), "us")
            epochs = start + np.round(self._epoch_s * 1e6).astype("timedelta64[us]")
            raise epoch_window_error(
                self.label, epochs.min(), epochs.max(),
                start + np.timedelta64(round(float(t.min()) * 1e6), "us"),
                start + np.timedelta64(round(float(t.max()) * 1e6), "us"),
                int(beyond.sum()), self.n_sat, self.max_epoch_age_days,
                [(self.names[i], epochs[i]) for i in np.flatnonzero(beyond)[:4]])

    def failure_report(self) -> str:
        """Return a short human-readable list of the SGP4 failures recorded so far."""
        failed = self.failed
        if not failed:
            return f"SGP4: all {self.n_sat} satellites propagated without error."
        lines = [
            f"SGP4: {len(failed)} of {self.n_sat} satellites failed "
            f"({self.excluded.size} already at start {self.start:%Y-%m-%dT%H:%M:%SZ}, "
            "excluded: NaN at all times; the others are NaN at the times they fail):"
        ]
        lines += [
            f"  [{f.index}] {f.name}: error {f.code} at t = {f.t_s:g} s ({f.message})"
            for f in failed
        ]
        return "\n".join(lines)

    def _teme_km(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run SGP4; return error codes (n_time, n_sat) and TEME positions (n_time, n_sat, 3) km.

        Positions are NaN where SGP4 failed, for :attr:`excluded` satellites, and where the state
        is not physical (error code :data:`NON_PHYSICAL_CODE` then, if SGP4 gave none).
        """
        self.check_times(t_s)
        jd = np.full(t_s.shape, self._jd0)
        fr = self._fr0 + t_s / _DAY_S
        errors, r_km, _ = self._array.sgp4(jd, fr)  # (n_sat, n_time), (n_sat, n_time, 3)
        errors = errors.T.astype(np.int64)
        r_km = np.ascontiguousarray(r_km.transpose(1, 0, 2))
        radius_km = np.sqrt(np.einsum("tsk,tsk->ts", r_km, r_km))
        low, high = PHYSICAL_ALTITUDE_KM
        with np.errstate(invalid="ignore"):
            physical = (radius_km >= EARTH_RADIUS_KM + low) & (radius_km <= EARTH_RADIUS_KM + high)
        errors[(errors == 0) & ~physical] = NON_PHYSICAL_CODE
        r_km[errors != 0] = np.nan
        if self.excluded.size:
            r_km[:, self.excluded, :] = np.nan
        self._record_failures(errors, t_s)
        return errors, r_km

    def _record_failures(self, errors: np.ndarray, t_s: np.ndarray) -> None:
        """Remember, per failing satellite, the earliest failing offset requested so far."""
        failing = errors.any(axis=0)
        with self._lock:
            self._dropped |= failing
        for i in np.flatnonzero(failing):  # failing satellites only, which are few
            bad = np.flatnonzero(errors[:, i])
            k = int(bad[np.argmin(t_s[bad])])
            code = int(errors[k, i])
            message = (_NON_PHYSICAL_MESSAGE if code == NON_PHYSICAL_CODE
                       else SGP4_ERRORS.get(code, "unknown error"))
            failure = SGP4Failure(int(i), self.names[i], code, message, float(t_s[k]))
            with self._lock:
                earlier = self._failures.get(failure.index)
                if earlier is None or failure.t_s < earlier.t_s:
                    self._failures[failure.index] = failure

    def positions_teme_km(self, t_s) -> np.ndarray:
        """TEME (inertial, SGP4's frame) positions at ``start + t_s``.

        Parameters
        ----------
        t_s : array_like, shape (n_time,)
            Offsets from ``start`` in seconds.

        Returns
        -------
        ndarray, shape (n_time, n_sat, 3)
            km; NaN where SGP4 failed or the state is not physical.
        """
        return self._teme_km(_as_offsets(t_s))[1]

    def positions_ecef_km(self, t_s) -> np.ndarray:
        """Earth-fixed positions at ``start + t_s``.

        Parameters
        ----------
        t_s : array_like, shape (n_time,)
            Offsets from ``start`` in seconds.

        Returns
        -------
        ndarray, shape (n_time, n_sat, 3)
            km, Earth-fixed (TEME rotated by GMST 1982); NaN where SGP4 failed or the state is not
            physical (altitude outside :data:`PHYSICAL_ALTITUDE_KM`) and, for satellites in
            :attr:`excluded`, at every time.
        """
        t_s = _as_offsets(t_s)
        _, r_teme_km = self._teme_km(t_s)
        return teme_to_ecef(r_teme_km, gmst_rad(self.start, t_s))

    def subsatellite(self, t_s):
        """Sub-satellite points and orbit radii: the satellite-source protocol of the engine.

        Parameters
        ----------
        t_s : array_like, shape (n_time,)
            Offsets from ``start`` in seconds.

        Returns
        -------
        lat_rad, lon_rad, radius_km : ndarray, shape (n_time, n_sat)
            Geocentric latitude, longitude in [-pi, pi) and distance from the Earth's centre. All
            three are NaN where SGP4 failed or the state is not physical (altitude outside
            :data:`PHYSICAL_ALTITUDE_KM`): such a satellite is never visible at that step.
        """
        pos = self.positions_ecef_km(t_s)  # NaN where failed or not physical (see _teme_km)
        x, y, z = pos[..., 0], pos[..., 1], pos[..., 2]
        r = np.sqrt(x * x + y * y + z * z)
        with np.errstate(invalid="ignore"):
            lat = np.arcsin(np.clip(z / r, -1.0, 1.0))
            lon = np.arctan2(y, x)
        lon = np.where(lon >= np.pi, lon - 2 * np.pi, lon)
        return lat, lon, r

    def errors(self, t_s) -> np.ndarray:
        """SGP4 error codes at ``start + t_s``, shape (n_time, n_sat); 0 means success.

        :data:`NON_PHYSICAL_CODE` marks a state outside :data:`PHYSICAL_ALTITUDE_KM` that SGP4
        returned without an error code.
        """
        return self._teme_km(_as_offsets(t_s))[0]


def _as_offsets(t_s) -> np.ndarray:
    t = np.asarray(t_s, dtype=float)
    if t.ndim == 0:
        t = t[None]
    if t.ndim != 1:
        raise ValueError(
            f"t_s must be a 1-D array of offsets in seconds, got shape {t.shape}; "
            "pass e.g. np.arange(0, 86400, 60.0)"
        )
    if not np.all(np.isfinite(t)):
        raise ValueError(
            f"t_s must be finite, got {int(np.sum(~np.isfinite(t)))} NaN/inf values; "
            "remove them before propagating"
        )
    return t


def mean_motion_rad_min(altitude_km) -> np.ndarray:
    """Kepler mean motion ``sqrt(mu / a**3)`` for ``a = 6378.137 km + altitude_km``, in rad/min.

    This is the inverse of the mean-altitude convention used by :class:`constellations.tle.Catalog`.

    Examples
    --------
    >>> round(float(mean_motion_rad_min(550.0)) * 1440 / (2 * 3.141592653589793), 4)  # rev/day
    15.0549
    """
    a_km = EARTH_RADIUS_KM + np.asarray(altitude_km, dtype=float)
    return np.sqrt(MU_KM3_S2 / a_km**3) * 60.0


def satrec_from_mean_elements(
    altitude_km, inclination_deg, raan_deg, arg_latitude_deg, epoch
) -> tuple[Satrec, ...]:
    """Build circular-orbit SGP4 satellites from mean elements.

    Parameters
    ----------
    altitude_km : array_like
        Mean altitude ``a - 6378.137 km``; the Kozai mean motion is ``sqrt(mu / a**3)``.
    inclination_deg : array_like
        Inclination, 0 to 180 deg.
    raan_deg : array_like
        Right ascension of the ascending node (TEME of epoch), deg.
    arg_latitude_deg : array_like
        Argument of latitude at epoch (mean anomaly, perigee at the node), deg.
    epoch : datetime.datetime or str
        UTC epoch of the elements.

    All element arguments broadcast against each other to shape ``(n_sat,)``.

    Returns
    -------
    tuple of sgp4.api.Satrec, length n_sat
        WGS72, improved ('i') mode, eccentricity 0, B* 0 (no drag), catalog numbers 1..n_sat.

    Notes
    -----
    A Python loop builds the records (one ``sgp4init`` each): construction, not the hot path.

    Examples
    --------
    >>> sats = satrec_from_mean_elements(630.0, 51.9, [0.0, 10.0, 20.0], 0.0, "2025-07-01")
    >>> len(sats), round(sats[0].inclo, 4)
    (3, 0.9058)
    """
    alt, inc, raan, u = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(x, dtype=float)) for x in (
            altitude_km, inclination_deg, raan_deg, arg_latitude_deg))
    )
    if alt.ndim != 1:
        raise ValueError(
            f"mean elements must broadcast to one dimension (n_sat,), got shape {alt.shape}; "
            "pass flat arrays"
        )
    for label, x in (("altitude_km", alt), ("inclination_deg", inc), ("raan_deg", raan),
                     ("arg_latitude_deg", u)):
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{label} must be finite, got {x[~np.isfinite(x)][0]}")
    if np.any(alt <= 0.0):
        raise ValueError(
            f"altitude_km must be > 0 km, got {alt[alt <= 0.0][0]:g}; "
            "pass the mean altitude above the equator, e.g. 550.0"
        )
    if np.any((inc < 0.0) | (inc > 180.0)):
        bad = inc[(inc < 0.0) | (inc > 180.0)][0]
        raise ValueError(f"inclination_deg must be within 0..180 deg, got {bad:g}")
    epoch_utc = parse_utc(epoch)
    jd, fr = jday(
        epoch_utc.year, epoch_utc.month, epoch_utc.day, epoch_utc.hour, epoch_utc.minute,
        epoch_utc.second + epoch_utc.microsecond * 1e-6,
    )
    epoch_days = (jd - _JD_1949_12_31) + fr
    no_kozai = mean_motion_rad_min(alt)
    inc_rad, raan_rad, u_rad = np.radians(inc), np.radians(raan) % (2 * np.pi), np.radians(u)
    u_rad = u_rad % (2 * np.pi)
    satrecs = []
    for k in range(alt.size):
        sat = Satrec()
        sat.sgp4init(
            WGS72, "i", k + 1, epoch_days,
            0.0, 0.0, 0.0,  # bstar, ndot, nddot
            0.0, 0.0,  # eccentricity, argument of perigee (rad)
            float(inc_rad[k]), float(u_rad[k]), float(no_kozai[k]), float(raan_rad[k]),
        )
        satrecs.append(sat)
    return tuple(satrecs)

