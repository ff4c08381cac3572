"""Two-line element sets: parsing, validation and filtering into a satellite catalog.

:func:`parse_tle` reads 2-line and 3-line (name line first) element sets, with LF or CRLF line
endings and blank lines, checks the layout and the modulo-10 checksum of every line, and raises a
``ValueError`` that names the file, the line number, what is wrong and what a valid line looks like.
The checked lines are then parsed by ``sgp4.api.Satrec.twoline2rv`` (WGS72, as SGP4 expects).

:class:`Catalog` is the satellite source the coverage engine consumes (``len``, ``name``,
``min_elevation_deg_per_sat()``, ``propagator(start)``). :meth:`Catalog.from_tle` selects satellites
by name, launch (international designator), mean altitude and TLE age, and records how many each
filter dropped (:attr:`Catalog.dropped`, :meth:`Catalog.report`).

Element sets are trusted near their epochs only: a catalog refuses (ValueError) an analysis window
that reaches further than :attr:`Catalog.max_epoch_age_days` (default
:data:`DEFAULT_MAX_EPOCH_AGE_DAYS`, 14 days) from the epoch of any of its satellites, in
:meth:`Catalog.check_window` (the scenario loader calls it before any computing) and in
:meth:`Catalog.propagator` (the guard every analysis passes through). Why 14 days: SGP4's along-track
error grows by about 1-3 km per day for LEO element sets (drag, unmodelled manoeuvres), so after two
weeks satellites are tens of km off, which is still small next to a 1,000-km footprint; but
constellations in orbit raising change within weeks (Kuiper's first 78 satellites cover 18.8 % of the
grid at their epoch and 72.5 % three months later, when SGP4 still shows the deployment orbits),
so a window months away describes a fleet that no longer exists.

Messages never quote more than a short printable prefix of a line
(:func:`constellations.validation.printable_prefix`), and only of a file that looks like a TLE file
(first line a TLE line 1, or a name line followed by one): pointed at any other file, they name it
and quote nothing.

:func:`detect_shells` groups a catalog into orbital shells by inclination and mean altitude, and
:func:`shell_table` sets them next to the licensed shells (:data:`STARLINK_GEN1_SHELLS`,
:data:`KUIPER_SHELLS`).

Mean altitude convention: ``altitude_km = a - 6378.137 km`` with ``a = (mu / n**2) ** (1/3)`` from
the TLE (Kozai) mean motion ``n`` and ``mu = 398600.4418 km^3/s^2``. This runs 5-10 km below the
filed shell altitudes (Earth oblateness and mean-element effects), e.g. the Starlink 550 km shell
appears at 540-550 km. It differs from the un-Kozai (Brouwer) mean motion by -2..+3 km.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sgp4.api import Satrec

from ..frames import parse_utc
from ..geometry import EARTH_RADIUS_KM, MU_KM3_S2
from ..sgp4_propagator import SGP4Propagator, epoch_window_error
from ..validation import MAX_NAME_CHARS, printable_prefix, read_text
from .datafiles import data_dir, data_path, display_path

__all__ = [
    "DEFAULT_MAX_EPOCH_AGE_DAYS",
    "KUIPER_SHELLS",
    "LICENSED_SHELLS",
    "STARLINK_GEN1_SHELLS",
    "TLE",
    "Catalog",
    "LicensedShell",
    "SGP4FailureWarning",
    "detect_shells",
    "parse_tle",
    "shell_table",
    "tle_checksum",
]

_VALID_LINE1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
_VALID_LINE2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"
_TLE_LINE_LENGTH = 69
_DAY_S = 86400.0

#: Longest time, days, between a satellite's TLE epoch and any analysed time (see the module
#: docstring): SGP4 errors of ~1-3 km/day stay well below a footprint for two weeks, while orbit
#: raising changes a young fleet within weeks. Override with ``Catalog.with_max_epoch_age(days)``
#: or ``max_epoch_age_days`` in a scenario's TLE entry.
DEFAULT_MAX_EPOCH_AGE_DAYS = 14.0


class SGP4FailureWarning(UserWarning):
    """Some satellites of a catalog cannot be propagated by SGP4 at the requested start."""


class TLE(NamedTuple):
    """One checked element set as read from a file.

    Attributes
    ----------
    name : str
        Name line (stripped; a leading ``"0 "`` of the 3LE format removed), or the catalog number
        for 2-line sets without a name line.
    line1, line2 : str
        The two element lines, 69 characters each, trailing blanks and ``\\r`` removed.
    line_number : int
        1-based line number of ``line1`` in the source.
    """

    name: str
    line1: str
    line2: str
    line_number: int


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of a TLE line: the sum of its first 68 digits, each ``-`` counting 1.

    Examples
    --------
    >>> tle_checksum("1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927")
    7
    """
    return sum(int(c) if c.isdigit() else c == "-" for c in line[:68]) % 10


def _read_source(path_or_text) -> tuple[str, str]:
    """Return ``(text, label)`` from a path or from TLE text itself."""
    if isinstance(path_or_text, Path):
        path = path_or_text
    elif isinstance(path_or_text, str):
        if "\n" in path_or_text or path_or_text.lstrip().startswith(("1 ", "2 ")):
            return path_or_text, "<text>"
        path = Path(path_or_text)
    else:
        raise ValueError(
            f"expected a path or TLE text, got {type(path_or_text).__name__}; "
            "pass e.g. 'tle/starlink_20250727.tle' (a shipped file) or the text of the element sets"
        )
    if not path.is_file() and not path.is_absolute():
        # a shipped file, relative to the data folder ('tle/x.tle', or the older 'data/tle/x.tle')
        shipped = data_path(path)
        path = shipped if shipped.is_file() else path
    if not path.exists():
        raise ValueError(
            f"TLE file {str(path)!r} does not exist; pass the path of a .tle "
            "file, a shipped one such as 'tle/starlink_20250727.tle', or the TLE text itself"
        )
    if not path.is_file() and not path.is_dir():  # a pipe or device: reading it could block or never end
        raise ValueError(f"{path}: is not a regular file, so not a TLE file; give the path of a .tle file")
    # unreadable files, folders and non-UTF-8 bytes: a message naming the file, quoting nothing
    # messages name a shipped file as in the data folder and the user's own as given; what the catalog
    # keeps (its source) is display_path's, never an absolute local path
    shipped = path.resolve().is_relative_to(data_dir().resolve())
    return read_text(path, what="TLE file"), display_path(path) if shipped else str(path)


def _check_line(line: str, number: int, expected: str, label: str, lineno: int) -> None:
    valid = _VALID_LINE1 if number == 1 else _VALID_LINE2
    where = f"{label}, line {lineno}"
    if not line.startswith(f"{number} ") or len(line) != _TLE_LINE_LENGTH:
        raise ValueError(
            f"{where}: expected TLE line {number} ({expected}starting with '{number} ', "
            f"{_TLE_LINE_LENGTH} characters), got {printable_prefix(line)} ({len(line)} characters); "
            f"a valid line {number} looks like {valid!r}"
        )
    if not line[-1].isdigit():
        raise ValueError(
            f"{where}: TLE line {number} must end with its checksum digit, got "
            f"{printable_prefix(line[-1])}; a valid line {number} looks like {valid!r}"
        )
    checksum = tle_checksum(line)
    if checksum != int(line[-1]):
        raise ValueError(
            f"{where}: checksum mismatch in TLE line {number}: the last digit is {line[-1]} but "
            f"the modulo-10 sum of the first 68 characters (digits, '-' counts 1) is {checksum}; "
            "the line is corrupted or was edited, re-download the element set"
        )


def parse_tle(path_or_text) -> list[TLE]:
    """Read and check the element sets of a TLE file or text.

    Parameters
    ----------
    path_or_text : str or pathlib.Path
        Path of a ``.tle`` file, or the TLE text itself (any string containing a newline, or
        starting with ``"1 "``). 3-line sets (name line, line 1, line 2) and 2-line sets may be
        mixed; ``\\r\\n`` line endings, trailing blanks and blank lines are accepted.

    Returns
    -------
    list of TLE
        In file order.

    Raises
    ------
    ValueError
        On a missing file, a line 1 not followed by a line 2 (or vice versa), a line of the
        wrong length, a checksum mismatch, or line 1 and line 2 with different catalog numbers; the
        message names the file and line number and shows a valid line.

    Examples
    --------
    >>> sets = parse_tle('''ISS (ZARYA)
    ... 1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927
    ... 2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537
    ... ''')
    >>> sets[0].name, sets[0].line_number
    ('ISS (ZARYA)', 2)
    """
    return _parse(*_read_source(path_or_text))


def _looks_like_tle(lines: list[tuple[int, str]]) -> bool:
    """Whether a file may be quoted: empty, or one of its first three non-empty lines is a TLE line."""
    return not lines or any(line.startswith(("1 ", "2 ")) for _, line in lines[:3])


def _parse(text: str, label: str) -> list[TLE]:
    lines = [(k + 1, raw.rstrip()) for k, raw in enumerate(text.splitlines())]
    lines = [(k, line) for k, line in lines if line.strip()]
    if label != "<text>" and not _looks_like_tle(lines):  # quote nothing of another kind of file
        raise ValueError(
            f"{label}: is not a TLE file: none of its first lines is a TLE line 1 or 2; give a file "
            f"of element sets, whose lines 1 look like {_VALID_LINE1!r}"
        )
    sets: list[TLE] = []
    i = 0
    while i < len(lines):
        lineno, line = lines[i]
        name = None
        if not line.startswith(("1 ", "2 ")):
            name = line.strip()
            if name.startswith("0 "):
                name = name[2:].strip()
            if len(name) > MAX_NAME_CHARS or not name.isprintable():
                raise ValueError(
                    f"{label}, line {lineno}: a name line must be printable text of at most "
                    f"{MAX_NAME_CHARS} characters, got {printable_prefix(name)}; "
                    f"expected a satellite name or TLE line 1, like {_VALID_LINE1!r}"
                )
            i += 1
            if i == len(lines):
                raise ValueError(
                    f"{label}, line {lineno}: the input ends after the name line "
                    f"{printable_prefix(name)}; expected TLE line 1 and line 2 after it, like "
                    f"{_VALID_LINE1!r}"
                )
            lineno, line = lines[i]
            expected = f"after the name line {printable_prefix(name)}, "
        else:
            expected = ""
        _check_line(line, 1, expected, label, lineno)
        if i + 1 == len(lines):
            raise ValueError(
                f"{label}, line {lineno}: the input ends after TLE line 1; expected TLE line 2 "
                f"after it, like {_VALID_LINE2!r}"
            )
        lineno2, line2 = lines[i + 1]
        _check_line(line2, 2, f"after line 1 of catalog number {line[2:7].strip()}, ",
                    label, lineno2)
        if line[2:7] != line2[2:7]:
            raise ValueError(
                f"{label}, line {lineno2}: TLE line 2 is for catalog number {line2[2:7].strip()!r} "
                f"but the line 1 before it (line {lineno}) is for {line[2:7].strip()!r}; "
                "each line 1 must be followed by the line 2 of the same satellite"
            )
        sets.append(TLE(name if name else line[2:7].strip(), line, line2, lineno))
        i += 2
    if not sets:
        raise ValueError(
            f"{label}: no element sets found; expected lines like {_VALID_LINE1!r}"
        )
    return sets


def _satrec(tle: TLE, label: str) -> Satrec:
    sat = Satrec.twoline2rv(tle.line1, tle.line2)
    if not sat.no_kozai > 0.0 or not 0.0 <= sat.ecco < 1.0:
        raise ValueError(
            f"{label}, line {tle.line_number + 1}: {printable_prefix(tle.name)}: mean motion must be "
            f"> 0 rev/day and eccentricity within 0..1, got "
            f"{sat.no_kozai * 1440 / (2 * np.pi):g} rev/day and {sat.ecco:g}; "
            "check columns 27-33 and 53-63 of line 2"
        )
    return sat


def _cospar(intldesg: str) -> str:
    """``'25088A'`` -> ``'2025-088A'`` (two-digit years 57-99 are 19xx)."""
    intldesg = intldesg.strip()
    if len(intldesg) < 5 or not intldesg[:5].isdigit():
        return intldesg
    yy = int(intldesg[:2])
    return f"{1900 + yy if yy >= 57 else 2000 + yy}-{intldesg[2:5]}{intldesg[5:]}"


_DESIGNATOR_RE = re.compile(r"^(\d{4})-(\d{3})([A-Z]{0,3})$")
_TLE_DESIGNATOR_RE = re.compile(r"^(\d{2})(\d{3})([A-Z]{0,3})$")


def _normalise_designator(value) -> str:
    text = str(value).strip().upper()
    m = _DESIGNATOR_RE.match(text)
    if m:
        return text
    m = _TLE_DESIGNATOR_RE.match(text)
    if m:
        return _cospar(text)
    raise ValueError(
        f"international designator {value!r} is not recognised; write the launch as 'YYYY-NNN' "
        "(e.g. '2025-088'), a piece as 'YYYY-NNNP' (e.g. '2025-088A'), or the TLE form '25088A'"
    )


def _datetime64_from_jd(jd_whole: np.ndarray, jd_fraction: np.ndarray) -> np.ndarray:
    """UTC Julian dates (whole + fraction) to ``datetime64[us]``."""
    days = (np.asarray(jd_whole) - 2440587.5) + np.asarray(jd_fraction)
    us = np.round(days * (_DAY_S * 1e6)).astype(np.int64)
    return np.datetime64("1970-01-01T00:00:00", "us") + us.astype("timedelta64[us]")


def _as_datetime64(value) -> np.datetime64:
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[us]")
    return np.datetime64(parse_utc(value).replace(tzinfo=None), "us")


def _after(t0: np.datetime64, duration_s) -> np.datetime64:
    """``t0 + duration_s`` seconds, to the microsecond."""
    return t0 + np.timedelta64(round(float(duration_s) * 1e6), "us")


def _frozen(a, dtype=None) -> np.ndarray:
    a = np.array(a, dtype=dtype)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Catalog:
    """A set of real satellites with their SGP4 element sets; a satellite source.

    Build one with :meth:`from_tle` (or :meth:`from_satrecs`). Per-satellite fields are tuples or
    read-only arrays of shape ``(n_sat,)``, in file order.

    Attributes
    ----------
    name : str
        Label used in reports and results (default: the file name without suffix).
    names : tuple of str
        Satellite names.
    satrecs : tuple of sgp4.api.Satrec
        Parsed element sets.
    designators : tuple of str
        International (COSPAR) designators, ``'2025-088A'``; ``''`` if the TLE has none.
    catalog_numbers : ndarray of int
        NORAD catalog numbers.
    epochs : ndarray of datetime64[us]
        TLE epochs, UTC.
    inclination_deg : ndarray of float
    altitude_km : ndarray of float
        Mean altitude ``a - 6378.137 km`` from the Kozai mean motion (see the module docstring).
    eccentricity : ndarray of float
    min_elevation_deg : float
        Minimum elevation for a ground point to be served (default 25 deg, Starlink as filed; Kuiper
        files 35 deg), for every satellite outside the bands of ``min_elevation_by_altitude``.
    source : str
        Where the element sets came from, e.g. the file path.
    dropped : tuple of (str, int)
        ``(reason, count)`` for each filter applied, in order.
    min_elevation_by_altitude : tuple of (float, float, float)
        ``(altitude_min_km, altitude_max_km, min_elevation_deg)`` bands: a satellite whose mean
        altitude lies in ``altitude_min_km <= altitude_km < altitude_max_km`` is served down to that
        elevation instead of ``min_elevation_deg`` (e.g. Starlink's 20 deg at 400-500 km under the FCC
        order of 2026-01-09). The bands must not overlap. Default ``()``: one elevation for all.
    max_epoch_age_days : float
        Longest time, days, between any satellite's TLE epoch and any analysed time
        (default :data:`DEFAULT_MAX_EPOCH_AGE_DAYS`); :meth:`check_window` and :meth:`propagator`
        refuse windows reaching further. ``math.inf`` removes the limit.

    Examples
    --------
    >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle",
    ...                        designators=["2025-088", "2025-134", "2025-151"])
    >>> len(cat), cat.dropped
    (78, (('launch not in 2025-088, 2025-134, 2025-151', 24),))
    """

    name: str
    names: tuple[str, ...]
    satrecs: tuple[Satrec, ...]
    designators: tuple[str, ...]
    catalog_numbers: np.ndarray
    epochs: np.ndarray
    inclination_deg: np.ndarray
    altitude_km: np.ndarray
    eccentricity: np.ndarray
    min_elevation_deg: float = 25.0
    source: str = ""
    dropped: tuple[tuple[str, int], ...] = field(default=())
    min_elevation_by_altitude: tuple[tuple[float, float, float], ...] = field(default=())
    max_epoch_age_days: float = DEFAULT_MAX_EPOCH_AGE_DAYS
    _warned: set = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self):
        n = len(self.satrecs)
        set_ = object.__setattr__
        set_(self, "names", tuple(str(x) for x in self.names))
        set_(self, "satrecs", tuple(self.satrecs))
        set_(self, "designators", tuple(str(x) for x in self.designators))
        set_(self, "catalog_numbers", _frozen(self.catalog_numbers, np.int64))
        set_(self, "epochs", _frozen(self.epochs, "datetime64[us]"))
        for attr in ("inclination_deg", "altitude_km", "eccentricity"):
            set_(self, attr, _frozen(getattr(self, attr), float))
        set_(self, "dropped", tuple((str(r), int(c)) for r, c in self.dropped))
        for attr in ("names", "designators", "catalog_numbers", "epochs", "inclination_deg",
                     "altitude_km", "eccentricity"):
            if len(getattr(self, attr)) != n:
                raise ValueError(
                    f"Catalog field {attr} has {len(getattr(self, attr))} entries but there are "
                    f"{n} satrecs; every per-satellite field needs one entry per satellite"
                )
        value = self.min_elevation_deg
        if not (np.isfinite(value) and 0.0 <= value < 90.0):
            raise ValueError(
                f"min_elevation_deg must be within 0 <= value < 90 deg, got {value!r}; "
                "Starlink files 25 deg, Kuiper 35 deg"
            )
        set_(self, "min_elevation_deg", float(value))
        set_(self, "min_elevation_by_altitude", _elevation_bands(self.min_elevation_by_altitude))
        set_(self, "max_epoch_age_days", _epoch_age_days(self.max_epoch_age_days))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_satrecs(cls, satrecs: Sequence[Satrec], names: Sequence[str] | None = None, *,
                     name: str = "catalog", min_elevation_deg: float = 25.0, source: str = "",
                     dropped: Iterable[tuple[str, int]] = (),
                     min_elevation_by_altitude: Iterable[Sequence[float]] = (),
                     max_epoch_age_days: float = DEFAULT_MAX_EPOCH_AGE_DAYS) -> Catalog:
        """Build a catalog from initialised ``Satrec`` objects, deriving the element arrays.

        Parameters
        ----------
        satrecs : sequence of sgp4.api.Satrec, length n_sat
        names : sequence of str, optional
            Default: the catalog numbers.
        name, min_elevation_deg, source, dropped, min_elevation_by_altitude, max_epoch_age_days
            As the attributes of the same name.
        """
        satrecs = tuple(satrecs)
        if names is None:
            names = [s.satnum_str for s in satrecs]
        no_kozai_rad_s = np.array([s.no_kozai for s in satrecs], dtype=float) / 60.0
        a_km = np.cbrt(MU_KM3_S2 / no_kozai_rad_s**2)
        return cls(
            name=name,
            names=tuple(names),
            satrecs=satrecs,
            designators=tuple(_cospar(s.intldesg) for s in satrecs),
            catalog_numbers=np.array([s.satnum for s in satrecs], dtype=np.int64),
            epochs=_datetime64_from_jd(np.array([s.jdsatepoch for s in satrecs], dtype=float),
                                       np.array([s.jdsatepochF for s in satrecs], dtype=float)),
            inclination_deg=np.degrees([s.inclo for s in satrecs]),
            altitude_km=a_km - EARTH_RADIUS_KM,
            eccentricity=np.array([s.ecco for s in satrecs], dtype=float),
            min_elevation_deg=min_elevation_deg,
            source=source,
            dropped=tuple(dropped),
            min_elevation_by_altitude=tuple(min_elevation_by_altitude),
            max_epoch_age_days=max_epoch_age_days,
        )

    @classmethod
    def from_tle(cls, path_or_text, *, name: str | None = None,
                 name_pattern: str | re.Pattern | None = None,
                 designators: Iterable[str] | None = None,
                 altitude_km: tuple[float, float] | None = None,
                 max_epoch_age_days: float | None = None,
                 reference_time=None,
                 min_elevation_deg: float = 25.0,
                 min_elevation_by_altitude: Iterable[Sequence[float]] = ()) -> Catalog:
        """Read a TLE file (or text) and select satellites.

        Filters apply in the order of the parameters below, each recorded in :attr:`dropped`
        with the number of satellites it removed. A catalog number that appears twice keeps its
        newest element set (recorded as a drop only when it happens).

        Parameters
        ----------
        path_or_text : str or pathlib.Path
            A ``.tle`` file or TLE text (see :func:`parse_tle`).
        name : str, optional
            Catalog label; default the file name without suffix (``"TLE text"`` for text input).
        name_pattern : str or re.Pattern, optional
            Keep satellites whose name matches: a ``str`` is a shell-style glob matched against the
            whole name, case-insensitive (``"STARLINK-*"``); a compiled regular expression is
            searched in the name (``re.compile(r"^KUIPER-0+\\d{2}$")``).
        designators : iterable of str, optional
            Keep satellites of these launches (``"2025-088"``: the launch part of the international
            designator ``25088A``) or pieces (``"2025-088A"``); TLE form ``"25088"`` also accepted.
        altitude_km : (float, float), optional
            Keep mean altitudes within ``min <= altitude <= max`` km.
        max_epoch_age_days : float, optional
            Keep element sets whose epoch is at most this many days before ``reference_time``,
            and make it the catalog's limit between epochs and analysed times (attribute of the
            same name; default :data:`DEFAULT_MAX_EPOCH_AGE_DAYS`). To keep exactly the element
            sets a window accepts, use :meth:`drop_stale` instead.
        reference_time : datetime, str or numpy.datetime64, optional
            UTC reference for ``max_epoch_age_days``; default the newest epoch in the file.
        min_elevation_deg : float
            Minimum user elevation, default 25 deg.
        min_elevation_by_altitude : iterable of (float, float, float), optional
            ``(altitude_min_km, altitude_max_km, min_elevation_deg)`` bands that replace
            ``min_elevation_deg`` for the satellites whose mean altitude lies in
            ``[altitude_min_km, altitude_max_km)``; see the attribute of the same name.

        Returns
        -------
        Catalog

        Examples
        --------
        >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle",
        ...                        altitude_km=(625.0, 640.0), min_elevation_deg=35.0)
        >>> len(cat), cat.dropped
        (37, (('mean altitude outside 625-640 km', 65),))
        """
        text, label = _read_source(path_or_text)
        sets = _parse(text, label)
        satrecs = [_satrec(t, label) for t in sets]
        if name is None:
            name = Path(label).stem if label != "<text>" else "TLE text"
        catalog = cls.from_satrecs(
            satrecs, [t.name for t in sets], name=name, min_elevation_deg=min_elevation_deg,
            source=display_path(label) if label != "<text>" else "TLE text",  # no local path kept
            min_elevation_by_altitude=min_elevation_by_altitude,
            max_epoch_age_days=(DEFAULT_MAX_EPOCH_AGE_DAYS if max_epoch_age_days is None
                                else _epoch_age_days(max_epoch_age_days)),
        )

        # Duplicated catalog numbers: keep the newest epoch; only reported when it happens.
        order = np.lexsort((-catalog.epochs.astype(np.int64), catalog.catalog_numbers))
        first = np.ones(order.size, dtype=bool)
        first[1:] = np.diff(catalog.catalog_numbers[order]) != 0
        if not first.all():
            keep = np.zeros(len(catalog), dtype=bool)
            keep[order[first]] = True
            catalog = catalog.select(keep, reason="duplicate catalog number (older epoch)")

        if name_pattern is not None:
            if isinstance(name_pattern, re.Pattern):
                keep = np.array([name_pattern.search(n) is not None for n in catalog.names],
                                dtype=bool)
                reason = f"name does not match regex {name_pattern.pattern!r}"
            elif isinstance(name_pattern, str):
                glob = name_pattern.upper()
                keep = np.array([fnmatch.fnmatchcase(n.upper(), glob) for n in catalog.names],
                                dtype=bool)
                reason = f"name does not match {name_pattern!r}"
            else:
                raise ValueError(
                    f"name_pattern must be a glob string or a compiled regular expression, got "
                    f"{type(name_pattern).__name__} {name_pattern!r}; pass e.g. 'STARLINK-*' or "
                    "re.compile(r'^STARLINK-1\\d{3}$')"
                )
            catalog = catalog.select(keep, reason=reason)

        if designators is not None:
            if isinstance(designators, str):
                designators = [designators]
            wanted = [_normalise_designator(d) for d in designators]
            if not wanted:
                raise ValueError(
                    "designators is empty; pass launches like ['2025-088'] or None for no filter"
                )
            launches = {w for w in wanted if len(w) == 8}
            pieces = {w for w in wanted if len(w) > 8}
            keep = np.array([d[:8] in launches or d in pieces for d in catalog.designators],
                            dtype=bool)
            catalog = catalog.select(keep, reason=f"launch not in {', '.join(wanted)}")

        if altitude_km is not None:
            lo, hi = _altitude_window(altitude_km)
            keep = (catalog.altitude_km >= lo) & (catalog.altitude_km <= hi)
            catalog = catalog.select(keep, reason=f"mean altitude outside {lo:g}-{hi:g} km")

        if max_epoch_age_days is not None:
            age = float(max_epoch_age_days)
            if not (np.isfinite(age) and age >= 0.0):
                raise ValueError(
                    f"max_epoch_age_days must be a finite number >= 0, got {max_epoch_age_days!r}; "
                    "pass e.g. 3.0 to keep element sets at most 3 days old"
                )
            if reference_time is None:
                if len(catalog) == 0:
                    ref = np.datetime64("NaT", "us")
                else:
                    ref = catalog.epochs.max()
            else:
                ref = _as_datetime64(reference_time)
            age_days = (ref - catalog.epochs) / np.timedelta64(1, "s") / _DAY_S
            keep = age_days <= age
            catalog = catalog.select(
                keep, reason=f"epoch more than {age:g} days before {str(ref)[:16]}Z")
        elif reference_time is not None:
            raise ValueError(
                "reference_time is only used with max_epoch_age_days, which is None; "
                "pass max_epoch_age_days too, or drop reference_time"
            )
        return catalog

    # ------------------------------------------------------------------ selection
    def select(self, keep, *, reason: str) -> Catalog:
        """Return a new catalog with the satellites ``keep`` (boolean mask or indices).

        The number of satellites removed is appended to :attr:`dropped` under ``reason``.

        Examples
        --------
        >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle")
        >>> shell = cat.select(cat.altitude_km > 600.0, reason="below 600 km")
        >>> len(shell), shell.dropped
        (43, (('below 600 km', 59),))
        """
        keep = np.asarray(keep)
        if keep.dtype == bool:
            if keep.shape != (len(self),):
                raise ValueError(
                    f"a boolean selection needs shape ({len(self)},), got {keep.shape}"
                )
            index = np.flatnonzero(keep)
        else:
            index = keep.astype(np.int64).ravel()
            if index.size and (index.min() < -len(self) or index.max() >= len(self)):
                raise ValueError(
                    f"selection indices must be within 0..{len(self) - 1}, got "
                    f"{index.min()}..{index.max()}"
                )
        return Catalog(
            name=self.name,
            names=tuple(self.names[i] for i in index),
            satrecs=tuple(self.satrecs[i] for i in index),
            designators=tuple(self.designators[i] for i in index),
            catalog_numbers=self.catalog_numbers[index],
            epochs=self.epochs[index],
            inclination_deg=self.inclination_deg[index],
            altitude_km=self.altitude_km[index],
            eccentricity=self.eccentricity[index],
            min_elevation_deg=self.min_elevation_deg,
            source=self.source,
            dropped=(*self.dropped, (reason, len(self) - len(np.unique(index)))),
            min_elevation_by_altitude=self.min_elevation_by_altitude,
            max_epoch_age_days=self.max_epoch_age_days,
        )

    def with_max_epoch_age(self, days: float) -> Catalog:
        """The same catalog with another :attr:`max_epoch_age_days` (``math.inf``: no limit).

        Examples
        --------
        >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle")
        >>> cat.max_epoch_age_days, cat.with_max_epoch_age(120).max_epoch_age_days
        (14.0, 120.0)
        """
        return dataclasses.replace(self, max_epoch_age_days=days)

    # ------------------------------------------------------------------ epochs and windows
    def epoch_distance_days(self, start, duration_s: float = 0.0) -> np.ndarray:
        """Largest time between each satellite's epoch and the window ``start .. start + duration_s``.

        Parameters
        ----------
        start : datetime.datetime, str or numpy.datetime64
            UTC start of the window.
        duration_s : float
            Length of the window, s (>= 0).

        Returns
        -------
        ndarray of float, shape (n_sat,)
            Days, ``max(|start - epoch|, |end - epoch|)``.

        Examples
        --------
        >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle")
        >>> round(float(cat.epoch_distance_days("2025-07-01T00:00:00Z").max()), 1)
        94.7
        """
        duration_s = float(duration_s)
        if not (np.isfinite(duration_s) and duration_s >= 0.0):
            raise ValueError(f"duration_s must be a finite number >= 0 s, got {duration_s!r}")
        t0 = _as_datetime64(start)
        t1 = _after(t0, duration_s)
        day = np.timedelta64(86_400_000_000, "us")
        return np.maximum(np.abs(t0 - self.epochs) / day, np.abs(t1 - self.epochs) / day)

    def check_window(self, start, duration_s: float = 0.0) -> None:
        """Refuse a window reaching further than :attr:`max_epoch_age_days` from a satellite's epoch.

        Parameters
        ----------
        start : datetime.datetime, str or numpy.datetime64
            UTC start of the window.
        duration_s : float
            Length of the window, s.

        Raises
        ------
        ValueError
            Naming the catalog, its epoch range, the window and the override.

        Examples
        --------
        >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle")
        >>> cat.check_window("2025-10-03T16:00:00Z", 86400.0)  # at the epochs: fine
        >>> cat.check_window("2025-07-01T00:00:00Z", 86400.0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: catalog 'kuiper_20251003_from_active': the analysis window 2025-07-01 00:00 UTC ...
        """
        if not len(self):
            return
        distance = self.epoch_distance_days(start, duration_s)
        beyond = distance > self.max_epoch_age_days
        if beyond.any():
            t0 = _as_datetime64(start)
            lo, hi = self.epoch_range()
            raise epoch_window_error(self.name, lo, hi, t0,
                                     _after(t0, duration_s),
                                     int(beyond.sum()), len(self), self.max_epoch_age_days,
                                     [(self.names[i], self.epochs[i]) for i in np.flatnonzero(beyond)[:4]])

    def drop_stale(self, start, duration_s: float = 0.0) -> Catalog:
        """The catalog without the satellites whose epoch is too far from the window for the limit.

        Keeps the satellites for which :meth:`check_window` holds (epoch within
        :attr:`max_epoch_age_days` of every time of ``start .. start + duration_s``); the removal is
        recorded in :attr:`dropped`.

        Examples
        --------
        >>> cat = Catalog.from_tle("tle/starlink_20260822.tle")
        >>> fresh = cat.drop_stale("2026-08-22T17:16:00Z", 86400.0)
        >>> fresh.dropped[-1]
        ('epoch more than 14 days from 2026-08-22T17:16Z .. 2026-08-23T17:16Z', 1)
        >>> fresh.check_window("2026-08-22T17:16:00Z", 86400.0)
        """
        keep = self.epoch_distance_days(start, duration_s) <= self.max_epoch_age_days
        t0 = _as_datetime64(start)
        t1 = _after(t0, duration_s)
        return self.select(keep, reason=f"epoch more than {self.max_epoch_age_days:g} days from "
                                        f"{str(t0)[:16]}Z .. {str(t1)[:16]}Z")

    def drop_failed(self, start) -> Catalog:
        """Return a new catalog without the satellites that SGP4 cannot propagate at ``start``.

        The removal is recorded in :attr:`dropped`, so :meth:`report` shows it.
        """
        prop = SGP4Propagator(self.satrecs, start, names=self.names)
        keep = np.ones(len(self), dtype=bool)
        keep[prop.excluded] = False
        when = f"{prop.start:%Y-%m-%dT%H:%M:%SZ}"
        return self.select(keep, reason=f"SGP4 error at {when} (e.g. decayed)")

    # ------------------------------------------------------------------ satellite source protocol
    def __len__(self) -> int:
        return len(self.satrecs)

    def __repr__(self) -> str:
        return f"Catalog(name={self.name!r}, n_sat={len(self)}, source={self.source!r})"

    def min_elevation_deg_per_sat(self) -> np.ndarray:
        """Minimum user elevation of each satellite, deg, shape (n_sat,).

        ``min_elevation_deg``, or the elevation of the :attr:`min_elevation_by_altitude` band that
        holds the satellite's mean altitude.

        Examples
        --------
        >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle", min_elevation_deg=35.0,
        ...                        min_elevation_by_altitude=[(0.0, 600.0, 20.0)])
        >>> int((cat.min_elevation_deg_per_sat() == 20.0).sum()), int((cat.altitude_km < 600).sum())
        (59, 59)
        """
        elevation = np.full(len(self), self.min_elevation_deg)
        for lo_km, hi_km, band_deg in self.min_elevation_by_altitude:  # a few bands, not satellites
            elevation[(self.altitude_km >= lo_km) & (self.altitude_km < hi_km)] = band_deg
        return elevation

    def max_nadir_deg_per_sat(self) -> np.ndarray:
        """Sensor half-angle from nadir of each satellite: ``inf`` (no sensor limit), shape (n_sat,)."""
        return np.full(len(self), np.inf)

    def propagator(self, start) -> SGP4Propagator:
        """SGP4 propagator of all satellites, counted from ``start`` (UTC).

        Satellites that fail SGP4 at ``start`` (decayed, or elements out of range) are excluded:
        their positions are NaN at every time, so they never count as visible, and the satellite
        axis still matches this catalog (``propagator.n_sat == len(catalog)``, aligned with
        :meth:`min_elevation_deg_per_sat`). One :class:`SGP4FailureWarning` of one line lists
        them, once per catalog and start. To remove them from the catalog instead (and see them in
        :meth:`report`), use :meth:`drop_failed` first.

        The propagator refuses (ValueError) every time further than :attr:`max_epoch_age_days`
        from a satellite's epoch, ``start`` first (see :meth:`check_window`).

        Parameters
        ----------
        start : datetime.datetime or str
            UTC start of the analysis, e.g. ``"2025-07-28T00:00:00Z"``.

        Returns
        -------
        SGP4Propagator
        """
        self.check_window(start)
        prop = SGP4Propagator(self.satrecs, start, names=self.names,
                              max_epoch_age_days=self.max_epoch_age_days, label=self.name)
        when = f"{prop.start:%Y-%m-%dT%H:%M:%SZ}"
        if prop.excluded.size and when not in self._warned:
            self._warned.add(when)
            listed = ", ".join(printable_prefix(self.names[i], 24)[1:-1] for i in prop.excluded[:5])
            more = f" and {prop.excluded.size - 5:,} more" if prop.excluded.size > 5 else ""
            warnings.warn(
                f"{self.name}: {prop.excluded.size:,} of {len(self):,} satellites fail SGP4 at "
                f"{when} and are excluded (NaN positions): {listed}{more}; never visible (an SGP4 error "
                "code, or an altitude outside 100 - 50,000 km); catalog.drop_failed(start) removes them",
                SGP4FailureWarning,
                stacklevel=2,
            )
        return prop

    # ------------------------------------------------------------------ reporting
    def epoch_range(self) -> tuple[np.datetime64, np.datetime64]:
        """Oldest and newest TLE epoch (UTC)."""
        return self.epochs.min(), self.epochs.max()

    def report(self) -> str:
        """Human-readable summary: source, filters and what they dropped, epochs, elements.

        Examples
        --------
        >>> print(Catalog.from_tle("tle/kuiper_20251003_from_active.tle").report())
        ... # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
        Catalog 'kuiper_20251003_from_active': 102 satellites
          source: ...tle/kuiper_20251003_from_active.tle
          read: 102 element sets
          kept: 102
          TLE epochs (UTC): 2025-10-01 19:35 .. 2025-10-03 16:00
          inclination 51.87 .. 51.92 deg, mean altitude 388.7 .. 636.6 km
          min elevation: 25 deg
        """
        n_read = len(self) + sum(c for _, c in self.dropped)
        lines = [f"Catalog {self.name!r}: {len(self):,} satellites",
                 f"  source: {self.source or 'unknown'}",
                 f"  read: {n_read:,} element sets"]
        lines += [f"  dropped {count:,}: {reason}" for reason, count in self.dropped]
        lines.append(f"  kept: {len(self):,}")
        if len(self):
            lo, hi = self.epoch_range()
            lines += [
                f"  TLE epochs (UTC): {str(lo)[:16].replace('T', ' ')} .. "
                f"{str(hi)[:16].replace('T', ' ')}",
                f"  inclination {self.inclination_deg.min():.2f} .. "
                f"{self.inclination_deg.max():.2f} deg, mean altitude "
                f"{self.altitude_km.min():.1f} .. {self.altitude_km.max():.1f} km",
            ]
        if self.min_elevation_by_altitude:
            alt = self.altitude_km
            bands = [f"{e:g} deg at {lo:g}-{hi:g} km ({int(((alt >= lo) & (alt < hi)).sum()):,} satellites)"
                     for lo, hi, e in self.min_elevation_by_altitude]
            lines.append(f"  min elevation: {'; '.join(bands)}; {self.min_elevation_deg:g} deg elsewhere")
        else:
            lines.append(f"  min elevation: {self.min_elevation_deg:g} deg")
        return "\n".join(lines)


def _epoch_age_days(value) -> float:
    """Check a :attr:`Catalog.max_epoch_age_days` limit: a number > 0 days (``inf``: no limit)."""
    number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    days = float(value) if number else float("nan")
    if not days > 0.0:
        raise ValueError(
            f"max_epoch_age_days must be a number of days > 0 (math.inf: no limit), got {value!r}; "
            f"the default is {DEFAULT_MAX_EPOCH_AGE_DAYS:g}"
        )
    return days


def _elevation_bands(bands) -> tuple[tuple[float, float, float], ...]:
    """Check ``(altitude_min_km, altitude_max_km, min_elevation_deg)`` bands; sorted by altitude."""
    example = "[(400.0, 500.0, 20.0)]"
    try:
        rows = [tuple(float(x) for x in band) for band in bands]
    except (TypeError, ValueError):
        raise ValueError(
            f"min_elevation_by_altitude must hold (altitude_min_km, altitude_max_km, "
            f"min_elevation_deg) triples, got {bands!r}; pass e.g. {example}"
        ) from None
    for row in rows:
        if len(row) != 3:
            raise ValueError(
                f"min_elevation_by_altitude: each band is (altitude_min_km, altitude_max_km, "
                f"min_elevation_deg), got {row!r}; pass e.g. {example}"
            )
        lo, hi, elevation = row
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(
                f"min_elevation_by_altitude: band {row!r} needs finite altitudes with min < max, km; "
                f"pass e.g. {example}"
            )
        if not (np.isfinite(elevation) and 0.0 <= elevation < 90.0):
            raise ValueError(
                f"min_elevation_by_altitude: band {row!r} has elevation {elevation!r}; it must be "
                f"within 0 <= value < 90 deg (Starlink: 20 deg at 400-500 km, 25 deg above)"
            )
    rows.sort()
    for (lo1, hi1, _), (lo2, hi2, _) in pairwise(rows):
        if lo2 < hi1:
            raise ValueError(
                f"min_elevation_by_altitude: bands {lo1:g}-{hi1:g} km and {lo2:g}-{hi2:g} km overlap; "
                "give each altitude at most one band"
            )
    return tuple(rows)


def _altitude_window(altitude_km) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in altitude_km)
    except (TypeError, ValueError):
        raise ValueError(
            f"altitude_km must be a (min, max) pair in km, got {altitude_km!r}; "
            "pass e.g. (500.0, 600.0)"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(
            f"altitude_km must be a (min, max) pair with min < max, got {altitude_km!r}; "
            "pass e.g. (500.0, 600.0)"
        )
    return lo, hi


# ---------------------------------------------------------------------------- shells


class LicensedShell(NamedTuple):
    """One shell of a constellation as licensed (filed), with its source."""

    name: str
    altitude_km: float
    inclination_deg: float
    n_planes: int
    sats_per_plane: int
    source: str

    @property
    def n_sat(self) -> int:
        """Number of satellites licensed in this shell."""
        return self.n_planes * self.sats_per_plane


_STARLINK_SOURCE = "FCC DA 19-1294, DA 21-34 (Starlink Gen1 as licensed) [primary via secondary]"
_KUIPER_SOURCE = "FCC SAT-LOA-20190704-00057, granted FCC 20-102 (2020) [primary via secondary]"

#: Starlink Gen1 as licensed, 4,408 satellites (docs/REFERENCE.md section 3).
STARLINK_GEN1_SHELLS = (
    LicensedShell("Starlink Gen1 1", 550.0, 53.0, 72, 22, _STARLINK_SOURCE),
    LicensedShell("Starlink Gen1 2", 540.0, 53.2, 72, 22, _STARLINK_SOURCE),
    LicensedShell("Starlink Gen1 3", 570.0, 70.0, 36, 20, _STARLINK_SOURCE),
    LicensedShell("Starlink Gen1 4", 560.0, 97.6, 6, 58, _STARLINK_SOURCE),
    LicensedShell("Starlink Gen1 5", 560.0, 97.6, 4, 43, _STARLINK_SOURCE),
)

#: Amazon Kuiper as licensed, 3,236 satellites (docs/REFERENCE.md section 2).
KUIPER_SHELLS = (
    LicensedShell("Kuiper 1", 630.0, 51.9, 34, 34, _KUIPER_SOURCE),
    LicensedShell("Kuiper 2", 610.0, 42.0, 36, 36, _KUIPER_SOURCE),
    LicensedShell("Kuiper 3", 590.0, 33.0, 28, 28, _KUIPER_SOURCE),
)

LICENSED_SHELLS = {"starlink-gen1": STARLINK_GEN1_SHELLS, "kuiper": KUIPER_SHELLS}


def _split_sorted(values: np.ndarray, gap: float) -> list[np.ndarray]:
    """Indices of ``values``, sorted, split where consecutive values differ by more than ``gap``."""
    order = np.argsort(values, kind="stable")
    cuts = np.flatnonzero(np.diff(values[order]) > gap) + 1
    return np.split(order, cuts)


def detect_shells(catalog: Catalog, inclination_tol_deg: float = 0.5,
                  altitude_tol_km: float = 15.0, *, min_count: int = 10) -> list[dict]:
    """Group the satellites of a catalog into orbital shells by inclination and mean altitude.

    1. Inclination families: sort the inclinations and split where consecutive values differ by
       more than ``inclination_tol_deg`` (inclination does not change during orbit raising, so
       families are well separated). Rows come in increasing inclination.
    2. Within a family, altitude shells by greedy mode seeking: the altitude window of half-width
       ``altitude_tol_km`` holding the most satellites becomes a shell (re-centred twice on the
       median of its members); its members are removed and the search repeats until no window
       holds ``min_count`` satellites. (Plain gap splitting does not work in altitude: satellites
       raising or lowering their orbits fill the gaps between shells.)

    Satellites in no shell (orbit raising, deorbiting, sparse) are not in any row; their number is
    ``len(catalog) - sum(row["count"] for row in rows)``.

    Parameters
    ----------
    catalog : Catalog
    inclination_tol_deg : float
        Largest inclination gap inside a family, deg.
    altitude_tol_km : float
        Half-width of a shell in mean altitude, km.
    min_count : int
        Fewest satellites that make a shell.

    Returns
    -------
    list of dict
        One row per shell, by inclination family then altitude, with keys ``inclination_deg``,
        ``altitude_km`` (means of the members), ``count``, ``inclination_min_deg``,
        ``inclination_max_deg``, ``altitude_min_km``, ``altitude_max_km`` and ``indices``
        (ndarray of int, positions in ``catalog``; ``catalog.select(row["indices"], reason=...)``
        gives the shell as a catalog).

    Examples
    --------
    >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle")
    >>> [(round(r["inclination_deg"], 1), round(r["altitude_km"]), r["count"])
    ...  for r in detect_shells(cat)]
    [(51.9, 456, 17), (51.9, 487, 13), (51.9, 630, 40)]
    """
    for label, value in (("inclination_tol_deg", inclination_tol_deg),
                         ("altitude_tol_km", altitude_tol_km)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{label} must be a positive number, got {value!r}")
    if int(min_count) < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count!r}")
    inc = catalog.inclination_deg
    alt = catalog.altitude_km
    rows = []
    for family in _split_sorted(inc, inclination_tol_deg):
        family_rows = []
        members_left = family[np.argsort(alt[family], kind="stable")]
        while members_left.size >= min_count:
            a = alt[members_left]  # sorted
            lo = np.searchsorted(a, a - altitude_tol_km, side="left")
            hi = np.searchsorted(a, a + altitude_tol_km, side="right")
            j = int(np.argmax(hi - lo))
            if hi[j] - lo[j] < min_count:
                break
            in_shell = np.zeros(a.size, dtype=bool)
            in_shell[lo[j]:hi[j]] = True
            for _ in range(2):  # re-centre on the members' median
                centre = np.median(a[in_shell])
                in_shell = np.abs(a - centre) <= altitude_tol_km
            if in_shell.sum() < min_count:
                break
            index = np.sort(members_left[in_shell])
            family_rows.append({
                "inclination_deg": float(inc[index].mean()),
                "altitude_km": float(alt[index].mean()),
                "count": int(index.size),
                "inclination_min_deg": float(inc[index].min()),
                "inclination_max_deg": float(inc[index].max()),
                "altitude_min_km": float(alt[index].min()),
                "altitude_max_km": float(alt[index].max()),
                "indices": index,
            })
            members_left = members_left[~in_shell]
        rows += sorted(family_rows, key=lambda r: r["altitude_km"])
    return rows


def _resolve_licensed(catalog: Catalog, licensed) -> tuple[str, tuple[LicensedShell, ...]]:
    if licensed is None:
        upper = [n.upper() for n in catalog.names]
        for key, prefix in (("kuiper", "KUIPER"), ("starlink-gen1", "STARLINK")):
            if upper and sum(n.startswith(prefix) for n in upper) > len(upper) / 2:
                return key, LICENSED_SHELLS[key]
        return "none", ()
    if isinstance(licensed, str):
        try:
            return licensed, LICENSED_SHELLS[licensed.lower()]
        except KeyError:
            raise ValueError(
                f"licensed={licensed!r} is not known; pass one of {sorted(LICENSED_SHELLS)}, "
                "a sequence of LicensedShell, or None to choose from the satellite names"
            ) from None
    shells = tuple(licensed)
    if not all(isinstance(s, LicensedShell) for s in shells):
        raise ValueError(
            "licensed must hold LicensedShell rows, e.g. constellations.sources.tle.KUIPER_SHELLS"
        )
    return "custom", shells


def shell_table(catalog: Catalog, licensed=None, *, inclination_tol_deg: float = 0.5,
                altitude_tol_km: float = 15.0, min_count: int = 10) -> str:
    """Markdown table of the detected shells next to the licensed shells they fill.

    A detected shell is matched with every licensed shell whose inclination is within
    ``inclination_tol_deg`` of the shell's inclination span and whose altitude is within
    ``altitude_tol_km`` of its altitude span (so the adjacent Starlink Gen1 shells 1 and 2, and the
    co-planar shells 4 and 5, count together). Fill = detected satellites / licensed satellites.
    Licensed shells that no detected shell matches are listed with 0 %.

    Parameters
    ----------
    catalog : Catalog
    licensed : None, str or sequence of LicensedShell
        None picks :data:`KUIPER_SHELLS` or :data:`STARLINK_GEN1_SHELLS` from the satellite names;
        ``"kuiper"`` or ``"starlink-gen1"`` choose one; ``()`` compares with nothing.
    inclination_tol_deg, altitude_tol_km, min_count
        Passed to :func:`detect_shells`.

    Returns
    -------
    str
        The table, ready to ``print``.

    Examples
    --------
    >>> cat = Catalog.from_tle("tle/kuiper_20251003_from_active.tle")
    >>> print(shell_table(cat))  # doctest: +ELLIPSIS
    Shells of 'kuiper_20251003_from_active' (102 satellites) vs licensed kuiper ...
    | incl (deg) | mean alt (km) | alt range (km) | sats | licensed shell(s) | licensed | fill |
    |---|---|---|---|---|---|---|
    | 51.9 | 455.8 | 451-466 | 17 | - | - | - |
    | 51.9 | 486.8 | 473-503 | 13 | - | - | - |
    | 51.9 | 629.7 | 616-637 | 40 | Kuiper 1 (630 km, 51.9 deg) | 1,156 | 3.5 % |
    | - | - | - | 0 | Kuiper 2 (610 km, 42.0 deg) | 1,296 | 0.0 % |
    | - | - | - | 0 | Kuiper 3 (590 km, 33.0 deg) | 784 | 0.0 % |
    | not in a shell | | | 32 | | | |
    Licensed: FCC SAT-LOA-20190704-00057, ...
    """
    label, shells = _resolve_licensed(catalog, licensed)
    rows = detect_shells(catalog, inclination_tol_deg, altitude_tol_km, min_count=min_count)
    lic_inc = np.array([s.inclination_deg for s in shells])
    lic_alt = np.array([s.altitude_km for s in shells])
    lic_n = np.array([s.n_sat for s in shells])
    matched = np.zeros(len(shells), dtype=bool)
    out = [
        f"Shells of {catalog.name!r} ({len(catalog):,} satellites) vs licensed {label} "
        f"(detected within +/-{inclination_tol_deg:g} deg, +/-{altitude_tol_km:g} km, "
        f">= {min_count} satellites; mean-motion altitudes run 5-10 km below filed altitudes)",
        "| incl (deg) | mean alt (km) | alt range (km) | sats | licensed shell(s) | licensed "
        "| fill |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        hit = (
            (lic_inc >= r["inclination_min_deg"] - inclination_tol_deg)
            & (lic_inc <= r["inclination_max_deg"] + inclination_tol_deg)
            & (lic_alt >= r["altitude_min_km"] - altitude_tol_km)
            & (lic_alt <= r["altitude_max_km"] + altitude_tol_km)
        ) if shells else np.zeros(0, dtype=bool)
        matched |= hit
        cells = [f"{r['inclination_deg']:.1f}", f"{r['altitude_km']:.1f}",
                 f"{r['altitude_min_km']:.0f}-{r['altitude_max_km']:.0f}", f"{r['count']:,}"]
        if hit.any():
            names = " + ".join(f"{shells[k].name} ({shells[k].altitude_km:g} km, "
                               f"{shells[k].inclination_deg:.1f} deg)" for k in np.flatnonzero(hit))
            total = int(lic_n[hit].sum())
            cells += [names, f"{total:,}", f"{100.0 * r['count'] / total:.1f} %"]
        else:
            cells += ["-", "-", "-"]
        out.append("| " + " | ".join(cells) + " |")
    for k in np.flatnonzero(~matched):
        s = shells[k]
        out.append(f"| - | - | - | 0 | {s.name} ({s.altitude_km:g} km, {s.inclination_deg:.1f} deg)"
                   f" | {s.n_sat:,} | 0.0 % |")
    unassigned = len(catalog) - sum(r["count"] for r in rows)
    out.append(f"| not in a shell | | | {unassigned:,} | | | |")
    if shells:
        out.append(f"Licensed: {shells[0].source}.")
    return "\n".join(out)

