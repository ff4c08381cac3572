"""Named constellations read from the TOML files in ``data/constellations/``.

Each file gives the shells, the default minimum elevation, the sources and every assumption, so a
preset can be cited. ``presets()`` lists the names; ``preset(name)`` builds the
:class:`~constellations.Constellation`.
"""

from __future__ import annotations

import difflib
import tomllib
from functools import cache

from .constellation import Constellation, Shell
from .datafiles import data_dir

__all__ = ["constellation_from_dict", "preset", "presets"]

SHELL_KEYS = {"altitude_km", "inclination_deg", "planes", "sats_per_plane", "phasing", "pattern",
              "raan_offset_deg", "name", "min_elevation_deg", "max_nadir_deg", "note"}
TOP_KEYS = {"name", "title", "min_elevation_deg", "source", "description", "assumptions",
            "shells"}


def _preset_dir():
    return data_dir() / "constellations"


def presets() -> list[str]:
    """Names of the shipped presets, sorted.

    Examples
    --------
    >>> "kuiper" in presets() and "starlink_gen1" in presets()
    True
    """
    return sorted(p.stem for p in _preset_dir().glob("*.toml"))


def preset(name: str) -> Constellation:
    """The preset constellation ``name`` (see :func:`presets`).

    Examples
    --------
    >>> len(preset("kuiper")), len(preset("starlink_gen1")), len(preset("golden_dome"))
    (3236, 4408, 16000)
    """
    return _load(str(name))


@cache
def _load(name: str) -> Constellation:
    names = presets()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown preset {name!r}{hint} Available presets: {', '.join(names)}")
    path = _preset_dir() / f"{name}.toml"
    with open(path, "rb") as f:
        try:
            raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"preset file {path} is not valid TOML: {exc}") from None
    return constellation_from_dict(raw, where=str(path), default_name=name)


def constellation_from_dict(raw: dict, where: str = "constellation",
                            default_name: str = "custom") -> Constellation:
    """Build a Constellation from a preset-style mapping (a TOML table).

    Parameters
    ----------
    raw : dict
        Keys ``name``, ``min_elevation_deg``, ``source``, ``assumptions`` and ``shells`` (a list of
        tables with ``altitude_km``, ``inclination_deg``, ``planes``, ``sats_per_plane``, and
        optionally ``phasing``, ``pattern``, ``raan_offset_deg``, ``name``, ``min_elevation_deg``,
        ``max_nadir_deg``).
    where : str
        Named in error messages (file and table).

    Examples
    --------
    >>> c = constellation_from_dict({"name": "demo", "shells": [
    ...     {"altitude_km": 550, "inclination_deg": 53, "planes": 4, "sats_per_plane": 5}]})
    >>> len(c)
    20
    """
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    shells_raw = raw.get("shells")
    if not isinstance(shells_raw, list) or not shells_raw:
        raise ValueError(f"{where}: 'shells' must be a non-empty list of tables ([[shells]]), got "
                         f"{shells_raw!r}")
    shells = []
    for i, s in enumerate(shells_raw):
        at = f"{where}: shells[{i}]"
        if not isinstance(s, dict):
            raise ValueError(f"{at} must be a table, got {s!r}")
        unknown = set(s) - SHELL_KEYS
        if unknown:
            raise ValueError(f"{at}: unknown key(s) {sorted(unknown)}; allowed: {sorted(SHELL_KEYS)}")
        missing = {"altitude_km", "inclination_deg", "planes", "sats_per_plane"} - set(s)
        if missing:
            raise ValueError(f"{at}: missing key(s) {sorted(missing)}")
        args = {k: v for k, v in s.items() if k != "note"}
        try:
            shells.append(Shell(**args))
        except ValueError as exc:
            raise ValueError(f"{at}: {exc}") from None
        except TypeError as exc:
            raise ValueError(f"{at}: {exc}") from None
    try:
        return Constellation(
            name=str(raw.get("title", raw.get("name", default_name))),
            shells=tuple(shells),
            min_elevation_deg=raw.get("min_elevation_deg", 25.0),
            source=str(raw.get("source", "")),
            description=str(raw.get("description", "")),
            assumptions=tuple(str(a) for a in raw.get("assumptions", ())),
        )
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
