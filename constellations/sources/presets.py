"""Named constellations read from the TOML files in ``data/constellations/``.

Each file gives the shells, the default minimum elevation, the sources and every assumption, so a
preset can be cited. ``presets()`` lists the names; ``preset(name)`` builds the
:class:`~constellations.Constellation`.
"""

from __future__ import annotations

from functools import cache

from ..constellation import MAX_ALTITUDE_KM, MIN_ALTITUDE_KM, Constellation, Shell
from ..validation import Checker, did_you_mean, read_toml
from .datafiles import data_dir

__all__ = ["constellation_from_dict", "preset", "presets"]

SHELL_KEYS = {"altitude_km", "inclination_deg", "planes", "sats_per_plane", "phasing", "pattern",
              "raan_offset_deg", "name", "min_elevation_deg", "max_nadir_deg", "note"}
TOP_KEYS = {"name", "title", "min_elevation_deg", "source", "description", "assumptions",
            "shells"}
PATTERNS = ("delta", "star")
DEFAULT_MIN_ELEVATION_DEG = 25.0  # presets without min_elevation_deg
MAX_ELEVATION_DEG = 89.0  # as Shell allows
MAX_TEXT_CHARS = 5000  # source, description, notes


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
        raise ValueError(f"preset {name!r} is not known{did_you_mean(name, names) or '.'} Available "
                         f"presets: {', '.join(names)}; see 'constellations presets'")
    path = _preset_dir() / f"{name}.toml"
    return constellation_from_dict(read_toml(path, what="preset"), where=str(path), default_name=name)


def constellation_from_dict(raw: dict, where: str = "constellation", default_name: str = "custom", *,
                            key: str = "") -> Constellation:
    """Build a Constellation from a preset-style mapping (a TOML table), checking every key first.

    Parameters
    ----------
    raw : dict
        Keys ``name``, ``title``, ``min_elevation_deg``, ``source``, ``description``,
        ``assumptions`` and ``shells`` (a list of tables with ``altitude_km``, ``inclination_deg``,
        ``planes``, ``sats_per_plane``, and optionally ``phasing``, ``pattern``,
        ``raan_offset_deg``, ``name``, ``min_elevation_deg``, ``max_nadir_deg``, ``note``).
    where : str
        The file, named at the start of every message.
    default_name : str
        Name when the mapping has neither ``title`` nor ``name``.
    key : str
        Dotted path of the mapping inside its file (``"constellations[1]"`` for an inline entry of
        a scenario), prefixed to every key in the messages.

    Raises
    ------
    ValueError
        ``WHERE: key.path = VALUE: what is allowed; how to fix`` (unknown keys with a did-you-mean,
        numbers written as strings, out-of-range values).

    Examples
    --------
    >>> c = constellation_from_dict({"name": "demo", "shells": [
    ...     {"altitude_km": 550, "inclination_deg": 53, "planes": 4, "sats_per_plane": 5}]})
    >>> len(c)
    20
    >>> constellation_from_dict({"shells": [{"altitude_km": "550", "inclination_deg": 53,
    ...     "planes": 4, "sats_per_plane": 5}]}, where="my.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: my.toml: shells[0].altitude_km = '550': must be a number, not a string; write it ...
    """
    c = Checker(where)
    at = f"{key}." if key else ""
    if not isinstance(raw, dict):
        raise c.error(key or "constellation", raw, "must be a table of keys")
    c.keys(raw, TOP_KEYS, at, required=("shells",))
    shells_raw = raw["shells"]
    if not isinstance(shells_raw, list) or not shells_raw:
        raise c.error(f"{at}shells", shells_raw, "must be a non-empty list of tables ([[shells]] with "
                      "altitude_km, inclination_deg, planes, sats_per_plane)")
    name = default_name
    for k in ("name", "title"):  # the title, if given, is the display name
        if k in raw:
            name = c.string(raw[k], f"{at}{k}", '"Kuiper (FCC 20-102)"')
    elevation = DEFAULT_MIN_ELEVATION_DEG
    if "min_elevation_deg" in raw:
        elevation = c.number(raw["min_elevation_deg"], f"{at}min_elevation_deg", "25.0", low=0.0,
                             high=MAX_ELEVATION_DEG, strict_low=False)
    texts = {k: c.string(raw[k], f"{at}{k}", '"..."', multiline=True, max_chars=MAX_TEXT_CHARS)
             for k in ("source", "description") if k in raw}
    assumptions = raw.get("assumptions", [])
    if not isinstance(assumptions, list):
        raise c.error(f"{at}assumptions", assumptions, 'must be a list of strings, e.g. ["..."]')
    assumptions = tuple(c.string(a, f"{at}assumptions[{i}]", '"..."', multiline=True,
                                 max_chars=MAX_TEXT_CHARS) for i, a in enumerate(assumptions))
    shells = tuple(_shell(c, s, f"{at}shells[{i}]") for i, s in enumerate(shells_raw))
    try:
        return Constellation(name=name, shells=shells, min_elevation_deg=elevation,
                             source=texts.get("source", ""), description=texts.get("description", ""),
                             assumptions=assumptions)
    except ValueError as exc:
        raise c.error(key or "constellation", name, str(exc)) from None


def _shell(c: Checker, raw, key: str) -> Shell:
    """One ``[[shells]]`` table, every key checked (types strict) before the Shell is built."""
    s = c.table(raw, key)
    c.keys(s, SHELL_KEYS, f"{key}.", required=("altitude_km", "inclination_deg", "planes",
                                               "sats_per_plane"))
    args = {
        "altitude_km": c.number(s["altitude_km"], f"{key}.altitude_km", "550.0", low=MIN_ALTITUDE_KM,
                                high=MAX_ALTITUDE_KM, strict_low=False),
        "inclination_deg": c.number(s["inclination_deg"], f"{key}.inclination_deg", "53.0", low=0.0,
                                    high=180.0, strict_low=False),
        "planes": c.number(s["planes"], f"{key}.planes", "72", low=1, strict_low=False, integer=True),
        "sats_per_plane": c.number(s["sats_per_plane"], f"{key}.sats_per_plane", "22", low=1,
                                   strict_low=False, integer=True),
    }
    if "phasing" in s:
        args["phasing"] = c.number(s["phasing"], f"{key}.phasing", "1", low=0, high=args["planes"],
                                   strict_low=False, strict_high=True, integer=True)
    if "pattern" in s:
        args["pattern"] = c.choice(s["pattern"], f"{key}.pattern", PATTERNS)
    if "raan_offset_deg" in s:
        args["raan_offset_deg"] = c.number(s["raan_offset_deg"], f"{key}.raan_offset_deg", "0.0",
                                           low=-360.0, high=360.0, strict_low=False)
    if "name" in s:
        args["name"] = c.string(s["name"], f"{key}.name", '"Starlink 1"')
    if "min_elevation_deg" in s:
        args["min_elevation_deg"] = c.number(s["min_elevation_deg"], f"{key}.min_elevation_deg", "25.0",
                                             low=0.0, high=MAX_ELEVATION_DEG, strict_low=False)
    if "max_nadir_deg" in s:
        args["max_nadir_deg"] = c.number(s["max_nadir_deg"], f"{key}.max_nadir_deg", "45.0", low=0.0,
                                         high=90.0)
    if "note" in s:
        c.string(s["note"], f"{key}.note", '"..."', multiline=True, max_chars=MAX_TEXT_CHARS)
    try:
        return Shell(**args)
    except ValueError as exc:  # a rule between keys that the checks above do not see
        raise c.error(key, raw, str(exc)) from None
