"""The one reader and checker of the package's TOML files: one message form for every mistake.

Every loader (coverage scenarios, presets, launch manifests, threat sites, sizing and race scenarios)
reads its file with :func:`read_toml` and checks it with a :class:`Checker` bound to that file, before any
computing starts. Every message has the same form::

    FILE: key.path = VALUE: what is allowed; how to fix

with a did-you-mean suggestion for misspelt keys and names. Unknown keys are errors everywhere; types
are strict (a number written as a string, ``step_s = "10"``, is an error that says to drop the quotes).

Examples
--------
>>> c = Checker("demo.toml")
>>> c.number(60, "analysis.step_s", "60", low=0.0)
60.0
>>> try:
...     c.number("10", "analysis.step_s", "60", low=0.0)
... except ValueError as e:
...     print(e)
demo.toml: analysis.step_s = '10': must be a number, not a string; write it without quotes, e.g. step_s = 60
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

__all__ = ["MAX_CELLS", "MAX_SATELLITE_STEPS", "MAX_STEPS", "Checker", "did_you_mean", "printable_prefix",
           "read_text", "read_toml", "show_value"]

MAX_SHOWN_CHARS = 60  # a value longer than this is shown cut, with its length
MAX_NAME_CHARS = 200  # names and labels longer than this are refused
# Sizes of a run refused at load, before any computing (README "Reliability"). Work grows with
# satellites x steps (propagation, footprints) and memory with cells; a year at 30 s steps is 1.05
# million steps, the default comparison 7,644 satellites x 1,440 steps = 1.1e7 satellite-steps (~1 min).
MAX_STEPS = 2_000_000  # time steps in one analysis window
MAX_SATELLITE_STEPS = 2e10  # satellites x time steps of one constellation (~1 day of computing)
MAX_CELLS = 10_000_000  # grid cells (a global 0.064 deg grid; ~6 GiB of memory)
MAX_QUOTED_CHARS = 40  # at most this much of a line of a data file is quoted in a message


def show_value(value) -> str:
    """A short, printable rendering of a value for a message (long strings are cut).

    Examples
    --------
    >>> show_value("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (100 characters)"
    """
    text = repr(value)
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return text[:MAX_SHOWN_CHARS - 3] + "..." + ("'" if isinstance(value, str) else "") + size


def _kind(value) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


def did_you_mean(name, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``.

    Examples
    --------
    >>> did_you_mean("presett", ["preset", "tle"])
    "; did you mean 'preset'?"
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def read_toml(path, *, what: str = "file") -> dict:
    """Read a TOML file, turning every failure into a ValueError that names the file.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is (``"scenario"``, ``"preset"``), for the messages.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        Missing or unreadable file, bytes that are not UTF-8 (with the line), or TOML syntax errors
        (tomllib's message carries the line and column). The file's contents are never quoted.
    """
    path = Path(path)
    text = read_text(path, what=what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: is not valid TOML ({e}); see https://toml.io for the syntax") from None


def printable_prefix(text: str, max_chars: int = MAX_QUOTED_CHARS) -> str:
    """A short quotable form of a line of a data file: at most ``max_chars``, non-printables escaped.

    Messages quote lines of the files they read only through this (and only for files that look
    like the expected format), so a message never shows more than a short prefix of a file.

    Examples
    --------
    >>> printable_prefix("1 25544U 98067A\\x00\\x1b[31m")
    "'1 25544U 98067A\\\\x00\\\\x1b[31m'"
    >>> printable_prefix("x" * 100, 8)
    "'xxxxxxxx...' (100 characters)"
    """
    text = str(text)
    shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                    for ch in text[:max_chars])
    return f"'{shown}...' ({len(text)} characters)" if len(text) > max_chars else f"'{shown}'"


def read_text(path, *, what: str = "file", encoding: str = "utf-8") -> str:
    """Read a text file, turning every failure into a ValueError that names the file.

    The text counterpart of :func:`read_toml`, for data files that are not TOML (TLE files).

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is (``"TLE file"``), for the messages.
    encoding : str
        Expected encoding; bytes that do not decode are an error naming the line.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        Missing, unreadable or non-regular file, or bytes that are not ``encoding`` text (with
        the line). The file's contents are never quoted.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such {what}; check the path") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a folder, not a {what}; give the path of a file") from None
    except OSError as e:
        raise ValueError(f"{path}: cannot be read ({e.strerror or e}); check its permissions") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise ValueError(f"{path}: line {line}: byte 0x{data[e.start]:02x} is not {encoding} text; "
                         f"a {what} is plain {encoding} text") from None


class Checker:
    """Checks bound to one file, so that every message starts with its name.

    Parameters
    ----------
    where : str
        The file (or other origin) named at the start of every message.

    Every method takes the value and its dotted ``key`` path and returns the value converted, or
    raises a ValueError in the form ``WHERE: key = VALUE: allowed; fix``.
    """

    def __init__(self, where):
        self.where = str(where)

    def error(self, key: str, value, message: str) -> ValueError:
        """A ValueError ``WHERE: key = VALUE: message``."""
        return ValueError(f"{self.where}: {key} = {show_value(value)}: {message}")

    def missing(self, key: str, message: str) -> ValueError:
        """A ValueError for a required key that is absent."""
        return ValueError(f"{self.where}: {key} is missing: {message}")

    def keys(self, table: Mapping, allowed: Iterable[str], prefix: str = "", required=()) -> None:
        """Reject unknown keys of ``table`` (with a did-you-mean) and require ``required``."""
        allowed = sorted(allowed)
        for k in table:
            if k not in allowed:
                hint = did_you_mean(k, allowed) or "."
                raise ValueError(f"{self.where}: {prefix}{k} is not a known key{hint} "
                                 f"Allowed here: {', '.join(allowed) or 'no keys'}; remove or rename it")
        for k in required:
            if k not in table:
                raise self.missing(f"{prefix}{k}", f"it is required (allowed here: {', '.join(allowed)})")

    def table(self, value, key: str) -> dict:
        """A TOML table (``[key]`` with keys below it)."""
        if not isinstance(value, dict):
            raise self.error(key, value, f"must be a table ([{key}] with keys below it), not {_kind(value)}")
        return value

    def string(self, value, key: str, example: str, *, max_chars: int = MAX_NAME_CHARS,
               multiline: bool = False) -> str:
        """A non-empty string without control characters (newlines only if ``multiline``)."""
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, value, f"must be a non-empty string, e.g. {example}, not {_kind(value)}")
        bad = [ch for ch in value if (ord(ch) < 32 and not (multiline and ch in "\n\t")) or ord(ch) == 127]
        if bad:
            raise self.error(key, value, f"contains the control character {bad[0]!r}; write it on one "
                             "line without control characters")
        if len(value) > max_chars:
            raise self.error(key, value, f"is {len(value)} characters long; at most {max_chars} are "
                             "allowed, shorten it")
        return value.strip()

    def boolean(self, value, key: str) -> bool:
        """``true`` or ``false``."""
        if not isinstance(value, bool):
            raise self.error(key, value, f"must be true or false, not {_kind(value)}")
        return value

    def number(self, value, key: str, example: str, *, low=None, high=None, strict_low=True,
               strict_high=False, integer=False):
        """A finite number (or integer) within optional bounds; strings are refused."""
        leaf = key.rsplit(".", 1)[-1]
        want = "an integer" if integer else "a number"
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            hint = "; write it without quotes" if isinstance(value, str) else ""
            raise self.error(key, value, f"must be {want}, not {_kind(value)}{hint}, e.g. "
                             f"{leaf} = {example}")
        number = float(value)
        if not math.isfinite(number):
            raise self.error(key, value, f"must be a finite number, e.g. {leaf} = {example}")
        if low is not None and (number <= low if strict_low else number < low):
            rel = ">" if strict_low else ">="
            raise self.error(key, value, f"must be {rel} {low:g}, e.g. {leaf} = {example}")
        if high is not None and (number >= high if strict_high else number > high):
            rel = "<" if strict_high else "<="
            raise self.error(key, value, f"must be {rel} {high:g}, e.g. {leaf} = {example}")
        return int(value) if integer else number

    def numbers(self, value, key: str, length: int | None, example: str, *, unique: bool = False,
                **bounds) -> tuple:
        """A list of numbers (of a given length, if not None), each checked by :meth:`number`.

        With ``unique``, a number given twice is refused (``nfold = [2, 2]``).
        """
        if not isinstance(value, list) or (length is not None and len(value) != length) or not value:
            size = f"{length} numbers" if length else "a non-empty list of numbers"
            raise self.error(key, value, f"must be {size}, e.g. {example}")
        out = tuple(self.number(v, f"{key}[{i}]", example, **bounds) for i, v in enumerate(value))
        if unique and len(set(out)) != len(out):
            dup = next(v for v, o in zip(value, out, strict=True) if out.count(o) > 1)
            raise self.error(key, value, f"lists {dup!r} twice; give each number once, e.g. {example}")
        return out

    def strings(self, value, key: str, example: str, *, allow_empty=False, unique=False) -> tuple[str, ...]:
        """A list of strings (a single string counts as a list of one)."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.error(key, value, f"must be a list of strings, e.g. {example}")
        out = tuple(self.string(v, f"{key}[{i}]", example) for i, v in enumerate(value))
        if unique and len(set(out)) != len(out):
            dup = next(s for s in out if out.count(s) > 1)
            raise self.error(key, value, f"lists {dup!r} twice; give each entry once")
        return out

    def choice(self, value, key: str, allowed: Iterable):
        """One of ``allowed`` (with a did-you-mean)."""
        allowed = list(allowed)
        if isinstance(value, list | dict) or value not in allowed:
            raise self.error(key, value, f"must be one of {', '.join(map(repr, allowed))}"
                             f"{did_you_mean(value, map(str, allowed))}")
        return value

    def date(self, value, key: str, example: str = "2026-08-22") -> dt.date:
        """A TOML date (``2026-08-22``) or an ISO date string."""
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.error(key, value, f"must be a date like {example} (year-month-day)")

    def exclusive(self, table: Mapping, names: Sequence[str], key: str, example: str, *,
                  required: bool = True) -> str | None:
        """Which one of the alternative keys ``names`` the table has (exactly one, or at most one).

        Parameters
        ----------
        table : mapping
        names : sequence of str
            Keys that exclude each other, e.g. ``("duration_s", "duration_h")``.
        key : str
            Dotted path of the table (``""`` for the top level), for the message.
        example : str
            A correct line, shown in the message.
        required : bool
            If false, none of them is allowed too (then None is returned).

        Returns
        -------
        str or None
            The name present.

        Examples
        --------
        >>> Checker("s.toml").exclusive({"duration_h": 24}, ("duration_s", "duration_h"), "", "x")
        'duration_h'
        """
        given = [n for n in names if n in table]
        where = f"{key}." if key else ""
        options = " or ".join(f"{where}{n}" for n in names)
        if len(given) > 1:
            how_many = "exactly one" if required else "at most one"
            raise ValueError(f"{self.where}: {where}{given[0]} and {where}{given[1]} are both given: "
                             f"give {how_many} of {options}, e.g. {example}")
        if not given:
            if not required:
                return None
            raise self.missing(options, f"exactly one of them is required, e.g. {example}")
        return given[0]

    def at_most(self, value, key: str, count: float, limit: float, what: str, fix: str) -> float:
        """Refuse a request of ``count`` units (``what``, e.g. ``"time steps"``) above ``limit``.

        For the size limits (:data:`MAX_STEPS`, :data:`MAX_SATELLITE_STEPS`, :data:`MAX_CELLS`): the
        message names the key whose value asks for too much, the size and the limit.

        Examples
        --------
        >>> try:
        ...     Checker("s.toml").at_most(1e6, "duration_h", 6e7, MAX_STEPS, "steps", "cut it")
        ... except ValueError as e:
        ...     print(e)
        s.toml: duration_h = 1000000.0: asks for 60,000,000 steps, more than the limit of 2,000,000; cut it
        """
        if not count <= limit:
            raise self.error(key, value, f"asks for {count:,.0f} {what}, more than the limit of "
                             f"{limit:,.0f}; {fix}")
        return count

    def converted(self, value, key: str, convert: Callable, fix: str = ""):
        """``convert(value)``, with its ValueError turned into a message of this file's form.

        For checks that live with the data they check (a country or city name, a UTC time): the
        converter's own message says what is allowed (and suggests close names); ``fix`` is added.

        Examples
        --------
        >>> Checker("s.toml").converted("3", "n", int)
        3
        >>> try:
        ...     Checker("s.toml").converted("x", "n", float, "write a number")
        ... except ValueError as e:
        ...     print(e)
        s.toml: n = 'x': could not convert string to float: 'x'; write a number
        """
        try:
            return convert(value)
        except (ValueError, TypeError) as exc:
            reason = str(exc).rstrip(". ")
            raise self.error(key, value, reason + (f"; {fix}" if fix else "")) from None
