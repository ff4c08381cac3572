"""Scenario files: one TOML file says what to compare, where, when, and which outputs to make.

A scenario names the constellations (presets, inline shells or TLE catalogs), the ground grid, the
analysis window and step, the metrics options, the figures and the output formats. :func:`load_scenario`
reads and validates one (a bare name resolves to ``data/scenarios/<name>.toml``), :func:`scenarios`
lists the shipped ones, and :meth:`Scenario.analyze` runs the coverage engine on every constellation.

Every validation error names the file, the key in dotted form (``constellations[1].preset``), the
value received and what is allowed, so a typo is one edit away from fixed. Unknown keys are errors too.

Format (all keys; ``#`` marks optional ones)::

    name = "kuiper_vs_starlink"            # also the default output folder name
    description = "..."                    # optional
    start = "2025-07-01T00:00:00Z"         # UTC, ISO 8601 (a TOML date-time also works)
    duration_h = 24                        # or duration_s = 86400
    step_s = 60

    [grid]
    spacing_deg = 2.0                      # or spacing_km = 222; not with cities
    # one optional region: country = "Germany" | lat_band = [lo, hi]
    #   | box = [lat_min, lat_max, lon_min, lon_max] | cities = ["Berlin", ...]

    [[constellations]]
    preset = "kuiper"                      # see constellations.presets()
    # min_elevation_deg = 30.0             # optional override, every shell
    # label = "Kuiper at 30 deg"           # optional display name (and file name)

    [[constellations]]                     # inline: name + shells (keys of a preset file)
    name = "My shell"
    [[constellations.shells]]
    altitude_km = 550.0
    inclination_deg = 53.0
    planes = 24
    sats_per_plane = 22
    phasing = 1

    [[constellations]]                     # real satellites from a TLE file (SGP4)
    tle = "tle/kuiper_20251003_from_active.tle"   # relative to data/ (or the repo, or absolute)
    designators = ["2025-088", "2025-134", "2025-151"]   # optional filters:
    # name_pattern = "KUIPER-*"; altitude_km = [600, 650]; max_epoch_age_days = 3
    min_elevation_deg = 35.0

    [metrics]                              # optional
    nfold = [1, 2, 4]
    boundary = "optimistic"                # or "interior"
    percentiles = [50, 90, 95, 99]
    population_weighted = true             # analyse Natural Earth cities as weighted points
    city_min_population = 1000000

    [figures]                              # optional
    names = ["coverage_map", "dashboard"]  # default: all
    cities = ["Berlin", "Washington", "Pyongyang"]

    [output]                               # optional
    formats = ["png"]                      # png, svg, pdf
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .datafiles import data_dir
from .figures import FIGURES
from .frames import parse_utc

__all__ = [
    "DEFAULT_FIGURE_CITIES",
    "DEFAULT_SCENARIO",
    "FIGURE_NAMES",
    "ConstellationSpec",
    "GridSpec",
    "Scenario",
    "load_scenario",
    "scenarios",
    "slugify",
]

DEFAULT_SCENARIO = "kuiper_vs_starlink"
DEFAULT_FIGURE_CITIES = ("Berlin", "Washington", "Pyongyang")
DEFAULT_CITY_MIN_POPULATION = 1_000_000
FIGURE_NAMES = tuple(FIGURES)  # every figure of constellations.figures, the default of a run
MAP_FIGURES = frozenset({"coverage_map", "revisit_mean_map", "revisit_max_map", "visible_map",
                         "latitude_profiles", "dashboard"})
FORMATS = ("png", "svg", "pdf")
BOUNDARIES = ("optimistic", "interior")

SPECIAL_KINDS = {  # scenario kinds with their own analysis: kind -> module with run_scenario()
    "deployment_race": "constellations.race",
    "golden_dome_sizing": "constellations.sizing",
}
TOP_KEYS = {"kind", "name", "description", "start", "duration_s", "duration_h", "step_s", "grid",
            "constellations", "metrics", "figures", "output"}
GRID_KEYS = {"spacing_deg", "spacing_km", "country", "lat_band", "box", "cities"}
REGION_KEYS = ("country", "lat_band", "box", "cities")
ENTRY_COMMON = {"min_elevation_deg", "label"}
PRESET_KEYS = {"preset"} | ENTRY_COMMON
INLINE_KEYS = {"name", "title", "shells", "source", "description", "assumptions"} | ENTRY_COMMON
TLE_KEYS = {"tle", "designators", "name_pattern", "altitude_km", "max_epoch_age_days", "start"} | ENTRY_COMMON
METRICS_KEYS = {"nfold", "boundary", "percentiles", "population_weighted", "city_min_population"}
FIGURES_KEYS = {"names", "cities"}
OUTPUT_KEYS = {"formats"}


def slugify(text: str) -> str:
    """A file-name-safe lower-case slug: ``"Kuiper (3,236)"`` -> ``"kuiper_3_236"``.

    Examples
    --------
    >>> slugify("Starlink Gen1 (4,408)")
    'starlink_gen1_4_408'
    """
    slug = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return slug or "constellation"


def _scenario_dir() -> Path:
    return data_dir() / "scenarios"


def scenarios() -> list[str]:
    """Names of the shipped scenarios (files in ``data/scenarios/``), sorted.

    Examples
    --------
    >>> "kuiper_vs_starlink" in scenarios() and "tiny" in scenarios()
    True
    """
    return sorted(p.stem for p in _scenario_dir().glob("*.toml"))


# ----------------------------------------------------------------------------- type checks

def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, dt.datetime | dt.date):
        return "a date-time"
    return type(value).__name__


class _Checker:
    """Validation helpers bound to one file, so every message starts with its name."""

    def __init__(self, where: str):
        self.where = where

    def error(self, key: str, message: str) -> ValueError:
        return ValueError(f"{self.where}: {key} {message}")

    def keys(self, table: dict, allowed: set, prefix: str, required=()) -> None:
        for k in table:
            if k not in allowed:
                close = difflib.get_close_matches(k, sorted(allowed), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise self.error(f"{prefix}{k}", f"is not a known key{hint} Allowed keys here: "
                                 f"{', '.join(sorted(allowed))}")
        for k in required:
            if k not in table:
                raise self.error(f"{prefix}{k}", "is missing; it is required "
                                 f"(allowed keys here: {', '.join(sorted(allowed))})")

    def table(self, value, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table ([{key}] with keys below it), got {value!r} "
                             f"({_kind(value)})")
        return value

    def string(self, value, key: str, example: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string (e.g. {example}), got {value!r} "
                             f"({_kind(value)})")
        return value.strip()

    def boolean(self, value, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r} ({_kind(value)})")
        return value

    def number(self, value, key: str, example: str, *, low=None, high=None, strict_low=True,
               integer=False) -> float:
        leaf = key.rsplit(".", 1)[-1]
        want = "an integer" if integer else "a number"
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            hint = ""
            if isinstance(value, str):
                hint = f"; write it without quotes, e.g. {leaf} = {example}"
            raise self.error(key, f"must be {want} (e.g. {leaf} = {example}), got {value!r} "
                             f"({_kind(value)}){hint}")
        number = float(value)
        if not np.isfinite(number):
            raise self.error(key, f"must be finite, got {value!r}")
        if low is not None and (number <= low if strict_low else number < low):
            rel = ">" if strict_low else ">="
            raise self.error(key, f"must be {rel} {low:g}, got {value!r} (e.g. {leaf} = {example})")
        if high is not None and number > high:
            raise self.error(key, f"must be <= {high:g}, got {value!r} (e.g. {leaf} = {example})")
        return int(value) if integer else number

    def numbers(self, value, key: str, length: int | None, example: str) -> tuple[float, ...]:
        if not isinstance(value, list) or (length is not None and len(value) != length):
            size = f"{length} numbers" if length else "a list of numbers"
            raise self.error(key, f"must be {size} like {example}, got {value!r}")
        return tuple(self.number(v, f"{key}[{i}]", example) for i, v in enumerate(value))

    def strings(self, value, key: str, example: str, *, allow_empty=False) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.error(key, f"must be a list of strings like {example}, got {value!r}")
        return tuple(self.string(v, f"{key}[{i}]", example) for i, v in enumerate(value))

    def choice(self, value, key: str, allowed) -> str:
        if value not in allowed:
            close = difflib.get_close_matches(str(value), list(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.error(key, f"= {value!r} is not allowed{hint} Choose one of: "
                             f"{', '.join(map(str, allowed))}")
        return value


# ----------------------------------------------------------------------------- parts

@dataclass(frozen=True)
class GridSpec:
    """Where coverage is evaluated: a global ring grid or a region of it, or named cities.

    Attributes
    ----------
    spacing_deg : float or None
        Ring spacing, degrees (``None`` for a city list).
    region : str
        ``"global"``, ``"country"``, ``"lat_band"``, ``"box"`` or ``"cities"``.
    value : str, tuple of float or tuple of str, or None
        The region's parameter: a country name, ``(lat_min, lat_max)``,
        ``(lat_min, lat_max, lon_min, lon_max)`` or city names.
    """

    spacing_deg: float | None
    region: str = "global"
    value: object = None

    def build(self):
        """The :class:`~constellations.Grid`."""
        from . import grid as g

        if self.region == "global":
            return g.global_grid(spacing_deg=self.spacing_deg)
        if self.region == "country":
            return g.country_grid(self.value, spacing_deg=self.spacing_deg)
        if self.region == "lat_band":
            return g.latitude_band_grid(*self.value, spacing_deg=self.spacing_deg)
        if self.region == "box":
            return g.box_grid(*self.value, spacing_deg=self.spacing_deg)
        return g.city_grid(list(self.value))

    def contains(self, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
        """Whether points (deg, shape (n,)) lie inside the region (used to select cities)."""
        lat, lon = np.asarray(lat_deg, float), np.asarray(lon_deg, float)
        if self.region in ("global", "cities"):
            return np.ones(lat.shape, dtype=bool)
        if self.region == "lat_band":
            return (lat >= self.value[0]) & (lat <= self.value[1])
        if self.region == "box":
            lat_min, lat_max, lon_min, lon_max = self.value
            lon_in = ((lon >= lon_min) & (lon <= lon_max) if lon_min <= lon_max
                      else (lon >= lon_min) | (lon <= lon_max))
            return (lat >= lat_min) & (lat <= lat_max) & lon_in
        from .naturalearth import points_in_country

        return np.asarray(points_in_country(self.value, lat, lon), dtype=bool)

    def describe(self) -> str:
        spacing = f"{self.spacing_deg:g} deg equal-area" if self.spacing_deg else ""
        if self.region == "global":
            return f"global {spacing}"
        if self.region == "country":
            return f"{self.value}, {spacing}"
        if self.region == "lat_band":
            return f"latitudes {self.value[0]:g} to {self.value[1]:g} deg, {spacing}"
        if self.region == "box":
            return "box {:g}..{:g} N, {:g}..{:g} E, ".format(*self.value) + spacing
        return "cities: " + ", ".join(self.value)


@dataclass(frozen=True)
class ConstellationSpec:
    """One ``[[constellations]]`` entry: a preset, an inline constellation or a TLE catalog.

    Attributes
    ----------
    key : str
        Its place in the file, e.g. ``"constellations[0]"`` (used in messages).
    slug : str
        File-name stem of its results (``<slug>.nc``, ``cities_<slug>.nc``); unique in a scenario.
    kind : str
        ``"preset"``, ``"inline"`` or ``"tle"``.
    preset : str or None
    inline : Constellation or None
    tle_path : pathlib.Path or None
    tle_filters : tuple of (str, object)
        Keyword arguments for :meth:`~constellations.tle.Catalog.from_tle`.
    min_elevation_deg : float or None
        Override for every shell (degrees).
    label : str or None
        Display name replacing the constellation's own.
    start : datetime.datetime or str or None
        TLE catalogs only: analyse from this UTC time instead of the scenario's start; ``"epoch"``
        means the newest TLE epoch of the catalog (a snapshot analysed at its own date).
    """

    key: str
    slug: str
    kind: str
    preset: str | None = None
    inline: object = None
    tle_path: Path | None = None
    tle_filters: tuple = ()
    min_elevation_deg: float | None = None
    label: str | None = None
    start: object = None

    def analysis_start(self, source, default):
        """UTC start for this entry: its own ``start``, its catalog's newest epoch, or ``default``."""
        if self.start is None:
            return default
        if self.start == "epoch":
            newest = source.epoch_range()[1]
            return parse_utc(str(np.datetime_as_string(newest, unit="s")) + "Z")
        return self.start

    def build(self, start=None):
        """The satellite source (a Constellation or a TLE Catalog) for the coverage engine.

        Parameters
        ----------
        start : datetime, optional
            Reference time for ``max_epoch_age_days`` (the scenario start).
        """
        try:
            if self.kind == "tle":
                from .tle import Catalog

                kwargs = dict(self.tle_filters)
                if "max_epoch_age_days" in kwargs and start is not None:
                    kwargs["reference_time"] = start
                elevation = 25.0 if self.min_elevation_deg is None else self.min_elevation_deg
                source = Catalog.from_tle(self.tle_path, name=self.label or self.tle_path.stem,
                                          min_elevation_deg=elevation, **kwargs)
                if len(source) == 0:
                    raise ValueError(f"no satellite of {self.tle_path} passes the filters "
                                     f"({source.report()}); loosen designators/name_pattern/"
                                     "altitude_km/max_epoch_age_days")
                return source
            if self.kind == "preset":
                from .presets import preset

                source = preset(self.preset)
            else:
                source = self.inline
            if self.min_elevation_deg is not None:
                source = source.with_min_elevation(self.min_elevation_deg)
            if self.label:
                source = dataclasses.replace(source, name=self.label)
            return source
        except ValueError as exc:
            raise ValueError(f"{self.key}: {exc}") from None

    def describe(self) -> str:
        what = {"preset": f"preset {self.preset!r}",
                "inline": f"inline {getattr(self.inline, 'name', '')!r}",
                "tle": f"TLE file {str(self.tle_path)!r}"}[self.kind]
        extra = ""
        if self.tle_filters:
            extra += " (" + ", ".join(f"{k}={v!r}" for k, v in self.tle_filters) + ")"
        if self.min_elevation_deg is not None:
            extra += f", min elevation {self.min_elevation_deg:g} deg"
        return what + extra


# ----------------------------------------------------------------------------- scenario

@dataclass(frozen=True)
class Scenario:
    """A validated scenario: what to analyse and which outputs to make.

    Build one with :func:`load_scenario` or :meth:`from_dict`; see the module docstring for the
    file format.

    Attributes
    ----------
    name, description : str
    start : datetime.datetime
        UTC start of the analysis.
    duration_s, step_s : float
        Length and time step, seconds.
    grid : GridSpec
    constellations : tuple of ConstellationSpec
    nfold : tuple of int
    boundary : str
    percentiles : tuple of float
    population_weighted : bool
        Also analyse Natural Earth cities in the region (weighted by population).
    city_min_population : float
        Smallest metropolitan population in that city sample.
    figure_names : tuple of str
    figure_cities : tuple of str
        Cities shown in the city figure (always part of the city analysis).
    formats : tuple of str
        Figure file formats.
    path : str
        Where it was read from (``""`` for a dict).
    raw : dict
        The mapping it was built from (stored in the results' attributes).
    """

    name: str
    start: dt.datetime
    duration_s: float
    step_s: float
    grid: GridSpec
    constellations: tuple[ConstellationSpec, ...]
    description: str = ""
    nfold: tuple[int, ...] = (1, 2, 4)
    boundary: str = "optimistic"
    percentiles: tuple[float, ...] = (50.0, 90.0, 95.0, 99.0)
    population_weighted: bool = True
    city_min_population: float = DEFAULT_CITY_MIN_POPULATION
    figure_names: tuple[str, ...] = FIGURE_NAMES
    figure_cities: tuple[str, ...] = DEFAULT_FIGURE_CITIES
    formats: tuple[str, ...] = ("png",)
    path: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------------ parsing
    @classmethod
    def from_dict(cls, raw: dict, where: str = "scenario", *, base_dir: Path | None = None) -> Scenario:
        """Validate a scenario mapping (a parsed TOML file).

        Parameters
        ----------
        raw : dict
            The TOML tables, see the module docstring.
        where : str
            Named at the start of every error message (the file path).
        base_dir : pathlib.Path, optional
            Folder of the scenario file; relative TLE paths are also looked up there.

        Raises
        ------
        ValueError
            Naming the file, the dotted key, the value and what is allowed.

        Examples
        --------
        >>> s = Scenario.from_dict({"name": "demo", "start": "2025-07-01T00:00:00Z",
        ...     "duration_h": 1, "step_s": 60, "grid": {"spacing_deg": 10},
        ...     "constellations": [{"preset": "kuiper_2025"}]})
        >>> s.duration_s, s.constellations[0].slug
        (3600.0, 'kuiper_2025')
        """
        c = _Checker(where)
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: a scenario must be a table of keys, got {_kind(raw)}")
        c.keys(raw, TOP_KEYS, "", required=("name", "start", "step_s", "grid", "constellations"))
        if "kind" in raw:
            c.choice(raw["kind"], "kind", ("coverage",))
        name = c.string(raw["name"], "name", '"kuiper_vs_starlink"')
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise c.error("description", f"must be a string, got {description!r} ({_kind(description)})")
        start_raw = raw["start"]
        if not isinstance(start_raw, str | dt.datetime | dt.date):
            raise c.error("start", f'must be a UTC time like "2025-07-01T00:00:00Z", got {start_raw!r} '
                          f"({_kind(start_raw)})")
        try:
            start = parse_utc(start_raw)
        except ValueError as exc:
            raise c.error("start", f"= {start_raw!r} is not valid: {exc}") from None

        step_s = c.number(raw["step_s"], "step_s", "60", low=0.0)
        if ("duration_s" in raw) == ("duration_h" in raw):
            raise c.error("duration_s", "or duration_h (exactly one of them) is required, e.g. "
                          "duration_h = 24 or duration_s = 86400; got "
                          + ("both" if "duration_s" in raw else "neither"))
        if "duration_s" in raw:
            duration_s = c.number(raw["duration_s"], "duration_s", "86400", low=0.0)
        else:
            duration_s = 3600.0 * c.number(raw["duration_h"], "duration_h", "24", low=0.0)
        if duration_s < step_s:
            raise c.error("duration_s", f"= {duration_s:g} s is shorter than step_s = {step_s:g} s; "
                          "make the duration at least one step")

        grid = _grid_spec(c, raw["grid"])
        entries = raw["constellations"]
        if not isinstance(entries, list) or not entries:
            raise c.error("constellations", "must be a non-empty list of tables ([[constellations]] "
                          f'with preset = "kuiper", inline shells or tle = "..."), got {entries!r}')
        base = [d for d in (base_dir, data_dir(), data_dir().parent) if d is not None]
        specs = tuple(_constellation_spec(c, e, f"constellations[{i}]", base)
                      for i, e in enumerate(entries))
        seen: dict[str, str] = {}
        for s in specs:
            if s.slug in seen:
                raise c.error(f"{s.key}.label", f"is needed: its file name {s.slug!r} is already used "
                              f"by {seen[s.slug]}; give each a distinct label = \"...\"")
            seen[s.slug] = s.key

        m = c.table(raw.get("metrics", {}), "metrics")
        c.keys(m, METRICS_KEYS, "metrics.")
        nfold = (1, 2, 4)
        if "nfold" in m:
            if not isinstance(m["nfold"], list) or not m["nfold"]:
                raise c.error("metrics.nfold", f"must be a list of positive integers like [1, 2, 4], "
                              f"got {m['nfold']!r}")
            nfold = tuple(c.number(v, f"metrics.nfold[{i}]", "2", low=0, integer=True)
                          for i, v in enumerate(m["nfold"]))
        boundary = c.choice(m.get("boundary", "optimistic"), "metrics.boundary", BOUNDARIES)
        percentiles = (50.0, 90.0, 95.0, 99.0)
        if "percentiles" in m:
            percentiles = c.numbers(m["percentiles"], "metrics.percentiles", None, "[50, 90, 99]")
            for i, p in enumerate(percentiles):
                c.number(p, f"metrics.percentiles[{i}]", "90", low=0.0, high=100.0, strict_low=False)
        population_weighted = c.boolean(m.get("population_weighted", True), "metrics.population_weighted")
        min_pop = c.number(m.get("city_min_population", DEFAULT_CITY_MIN_POPULATION),
                           "metrics.city_min_population", "1000000", low=0.0, strict_low=False)

        f = c.table(raw.get("figures", {}), "figures")
        c.keys(f, FIGURES_KEYS, "figures.")
        known = FIGURE_NAMES
        if "names" in f:
            names = c.strings(f["names"], "figures.names", '["coverage_map", "dashboard"]',
                              allow_empty=True)
            for i, n in enumerate(names):
                c.choice(n, f"figures.names[{i}]", known)
        elif grid.region == "cities":
            names = tuple(n for n in known if n not in MAP_FIGURES)
        else:
            names = tuple(known)
        cities = DEFAULT_FIGURE_CITIES
        if "cities" in f:
            cities = c.strings(f["cities"], "figures.cities", '["Berlin", "Washington"]',
                               allow_empty=True)
        _check_cities(c, cities, "figures.cities")

        o = c.table(raw.get("output", {}), "output")
        c.keys(o, OUTPUT_KEYS, "output.")
        formats = ("png",)
        if "formats" in o:
            formats = c.strings(o["formats"], "output.formats", '["png", "svg"]')
            for i, fmt in enumerate(formats):
                c.choice(fmt, f"output.formats[{i}]", FORMATS)

        return cls(name=name, description=description.strip(), start=start, duration_s=duration_s,
                   step_s=step_s, grid=grid, constellations=specs, nfold=nfold, boundary=boundary,
                   percentiles=percentiles, population_weighted=population_weighted,
                   city_min_population=min_pop, figure_names=names, figure_cities=cities,
                   formats=formats, path=where if where != "scenario" else "", raw=_plain(raw))

    # ------------------------------------------------------------------ derived
    @property
    def slug(self) -> str:
        """Folder-name form of :attr:`name`."""
        return slugify(self.name)

    @property
    def n_steps(self) -> int:
        return int(np.floor(self.duration_s / self.step_s + 1e-9))

    def to_dict(self) -> dict:
        """The parameters as plain JSON-friendly values (stored in every result's attributes)."""
        return {
            "name": self.name, "description": self.description, "file": self.path,
            "start_utc": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"), "duration_s": self.duration_s,
            "step_s": self.step_s, "grid": self.grid.describe(),
            "constellations": [s.describe() for s in self.constellations],
            "nfold": list(self.nfold), "boundary": self.boundary,
            "percentiles": list(self.percentiles), "population_weighted": self.population_weighted,
            "city_min_population": self.city_min_population,
            "figure_cities": list(self.figure_cities), "raw": self.raw,
        }

    def caption(self) -> str:
        """One line with the analysis parameters, for figures and reports."""
        hours = self.duration_s / 3600.0
        return (f"Scenario {self.name}: {self.start:%Y-%m-%d %H:%M} UTC + {hours:g} h at "
                f"{self.step_s:g} s steps; grid {self.grid.describe()}; {self.boundary} edge gaps")

    def build_grid(self):
        """The analysis grid (:class:`~constellations.Grid`)."""
        try:
            return self.grid.build()
        except ValueError as exc:
            raise ValueError(f"{self.path or 'scenario'}: grid: {exc}") from None

    def build_city_grid(self):
        """Cities analysed as weighted points, or ``None``.

        The population sample (Natural Earth places in the region with a metropolitan population
        of at least :attr:`city_min_population`, when :attr:`population_weighted`) followed by any
        :attr:`figure_cities` not already in it. Returns ``(grid, in_sample, figure_index)``:
        the points grid (weights = population), a boolean mask of shape (n_point,) marking the
        population sample, and the positions of the figure cities in the grid.
        """
        from . import naturalearth
        from .grid import points

        if not self.population_weighted and not self.figure_cities:
            return None
        cols = ("name", "country", "lat_deg", "lon_deg", "population")
        if self.population_weighted:
            allc = naturalearth.cities(min_population=self.city_min_population)
            inside = self.grid.contains(allc["lat_deg"], allc["lon_deg"])
            sample = {k: allc[k][inside] for k in cols}
        else:
            sample = {k: np.asarray([], dtype=object if k in ("name", "country") else float)
                      for k in cols}
        fig = naturalearth.cities(list(self.figure_cities)) if self.figure_cities else None
        key = [f"{n}|{c}" for n, c in zip(sample["name"], sample["country"], strict=True)]
        figure_index, extra = [], []
        for j in range(0 if fig is None else len(fig["name"])):
            k = f"{fig['name'][j]}|{fig['country'][j]}"
            if k in key:
                figure_index.append(key.index(k))
            else:
                figure_index.append(len(key) + len(extra))
                extra.append(j)
        extra = np.asarray(extra, dtype=int)
        merged = {k: np.concatenate([np.asarray(sample[k]), np.asarray(fig[k])[extra]])
                  if fig is not None else np.asarray(sample[k]) for k in cols}
        if merged["lat_deg"].size == 0:
            return None
        in_sample = np.arange(merged["lat_deg"].size) < len(key)
        grid = points(merged["lat_deg"], merged["lon_deg"], names=merged["name"],
                      weights=merged["population"].astype(float),
                      name=f"cities ({int(in_sample.sum())} with population >= "
                           f"{self.city_min_population:,.0f}, + {extra.size} named)")
        return grid, in_sample, np.asarray(figure_index, dtype=int)

    # ------------------------------------------------------------------ running
    def analyze(self, *, threads: int | None = None, progress: bool | None = None,
                report: Callable[[str], None] | None = None):
        """Run the coverage engine on every constellation, on the grid and on the cities.

        Parameters
        ----------
        threads : int, optional
            Counting threads per analysis (see :func:`constellations.analyze`).
        progress : bool, optional
            Progress bars of :func:`constellations.analyze`.
        report : callable, optional
            Called with one line of text per finished analysis (progress lines).

        Returns
        -------
        results : list of xarray.Dataset
            One per constellation, on the grid; ``attrs["slug"]`` holds the file stem.
        city_results : list of xarray.Dataset or None
            One per constellation on the city points (``None`` entries if no cities); coordinate
            ``population_sample`` (bool, per point) and ``attrs["figure_cities"]`` (JSON list of
            the names shown in the city figure).
        """
        import json

        from .engine import analyze

        grid = self.build_grid()
        cities = self.build_city_grid()
        kwargs = dict(start=self.start, duration_s=self.duration_s, step_s=self.step_s,
                      boundary=self.boundary, nfold=self.nfold, percentiles=self.percentiles,
                      threads=threads, progress=progress, scenario=self.to_dict())
        results, city_results = [], []
        n = len(self.constellations)
        for i, spec in enumerate(self.constellations):
            source = spec.build(self.start)
            kwargs["start"] = spec.analysis_start(source, self.start)
            t0 = time.perf_counter()
            ds = analyze(source, grid, **kwargs)
            ds.attrs.update(slug=spec.slug, role="grid", scenario_name=self.name, order=i)
            results.append(ds)
            cds = None
            if cities is not None:
                city_grid, in_sample, figure_index = cities
                cds = analyze(source, city_grid, keep_counts=True, **kwargs)
                cds = cds.assign_coords(population_sample=(
                    "cell", in_sample, {"units": "1", "long_name":
                                        "in the population-weighted city sample"}))
                names = [str(city_grid.names[k]) for k in figure_index]
                cds.attrs.update(slug=spec.slug, role="cities", scenario_name=self.name, order=i,
                                 figure_cities=json.dumps(names),
                                 city_min_population=float(self.city_min_population),
                                 population_weighted=int(self.population_weighted))
            city_results.append(cds)
            if report is not None:
                report(f"[{i + 1}/{n}] {ds.attrs['constellation']} ({len(source):,} satellites): "
                       f"{time.perf_counter() - t0:.1f} s")
        return results, city_results


def _check_cities(c: _Checker, names, key: str) -> None:
    if not names:
        return
    from . import naturalearth

    try:
        naturalearth.cities(list(names))
    except ValueError as exc:
        raise c.error(key, f"= {list(names)!r}: {exc}") from None


def _grid_spec(c: _Checker, raw) -> GridSpec:
    g = c.table(raw, "grid")
    c.keys(g, GRID_KEYS, "grid.")
    regions = [k for k in REGION_KEYS if k in g]
    if len(regions) > 1:
        raise c.error("grid", f"has several regions {regions}; give at most one of "
                      f"{', '.join(REGION_KEYS)}")
    region = regions[0] if regions else "global"
    spacing = None
    if region == "cities":
        if "spacing_deg" in g or "spacing_km" in g:
            raise c.error("grid.cities", "is a list of points; drop spacing_deg/spacing_km")
    else:
        if ("spacing_deg" in g) == ("spacing_km" in g):
            raise c.error("grid.spacing_deg", "or grid.spacing_km (exactly one) is required, e.g. "
                          "spacing_deg = 2.0 or spacing_km = 222")
        if "spacing_deg" in g:
            spacing = c.number(g["spacing_deg"], "grid.spacing_deg", "2.0", low=0.0, high=30.0)
        else:
            km = c.number(g["spacing_km"], "grid.spacing_km", "222", low=0.0)
            from .geometry import EARTH_RADIUS_KM

            spacing = float(np.degrees(km / EARTH_RADIUS_KM))
            if spacing > 30.0:
                raise c.error("grid.spacing_km", f"= {km:g} is too coarse (over 30 deg); use at "
                              "most 3339 km")
    value = None
    if region == "country":
        value = c.string(g["country"], "grid.country", '"Germany"')
        from . import naturalearth

        try:
            naturalearth.country_bounds(value)
        except ValueError as exc:
            raise c.error("grid.country", f"= {value!r}: {exc}") from None
    elif region == "lat_band":
        value = c.numbers(g["lat_band"], "grid.lat_band", 2, "[-60, 60]")
        if not -90.0 <= value[0] < value[1] <= 90.0:
            raise c.error("grid.lat_band", f"= {list(value)} must satisfy -90 <= lo < hi <= 90")
    elif region == "box":
        value = c.numbers(g["box"], "grid.box", 4, "[24, 50, -125, -66] (lat_min, lat_max, "
                          "lon_min, lon_max)")
        if not -90.0 <= value[0] < value[1] <= 90.0:
            raise c.error("grid.box", f"= {list(value)}: latitudes must satisfy -90 <= lat_min < "
                          "lat_max <= 90")
        if not all(-180.0 <= v <= 360.0 for v in value[2:]):
            raise c.error("grid.box", f"= {list(value)}: longitudes must lie in [-180, 360]")
    elif region == "cities":
        value = c.strings(g["cities"], "grid.cities", '["Berlin", "Paris"]')
        _check_cities(c, value, "grid.cities")
    return GridSpec(spacing_deg=spacing, region=region, value=value)


def _constellation_spec(c: _Checker, raw, key: str, base_dirs) -> ConstellationSpec:
    e = c.table(raw, key)
    kinds = [k for k in ("preset", "tle", "shells") if k in e]
    if len(kinds) != 1:
        got = "none of them" if not kinds else " and ".join(kinds)
        raise c.error(key, f'needs exactly one of preset = "kuiper", tle = "tle/<file>.tle" or '
                      f"inline [[{key.split('[')[0]}.shells]] (with name); got {got}")
    kind = kinds[0]
    allowed = {"preset": PRESET_KEYS, "tle": TLE_KEYS, "shells": INLINE_KEYS}[kind]
    c.keys(e, allowed, f"{key}.", required=("name",) if kind == "shells" else ())
    elevation = None
    if "min_elevation_deg" in e:
        elevation = c.number(e["min_elevation_deg"], f"{key}.min_elevation_deg", "25.0", low=0.0,
                             strict_low=False)
        if elevation >= 90.0:
            raise c.error(f"{key}.min_elevation_deg", f"must be below 90, got {elevation!r}")
    label = c.string(e["label"], f"{key}.label", '"Kuiper at 30 deg"') if "label" in e else None

    if kind == "preset":
        from .presets import presets

        name = e["preset"]
        if not isinstance(name, str):
            raise c.error(f"{key}.preset", f"must be a preset name string, got {name!r} "
                          f"({_kind(name)}); available: {', '.join(presets())}")
        if name not in presets():
            close = difflib.get_close_matches(name, presets(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise c.error(f"{key}.preset", f"= {name!r} is not a known preset{hint} Available "
                          f"presets: {', '.join(presets())}")
        return ConstellationSpec(key=key, slug=slugify(label or name), kind="preset", preset=name,
                                 min_elevation_deg=elevation, label=label)

    if kind == "shells":
        from .presets import constellation_from_dict

        name = c.string(e["name"], f"{key}.name", '"My shell"')
        body = {k: v for k, v in e.items() if k not in ("label",)}
        constellation = constellation_from_dict(body, where=f"{c.where}: {key}", default_name=name)
        return ConstellationSpec(key=key, slug=slugify(label or name), kind="inline",
                                 inline=constellation, label=label)
    # TLE
    text = c.string(e["tle"], f"{key}.tle", '"tle/starlink_20250727.tle"')
    path = _find_file(text, base_dirs)
    if path is None:
        tried = ", ".join(str(d / text) for d in base_dirs) if not Path(text).is_absolute() else text
        raise c.error(f"{key}.tle", f"= {text!r}: file not found (looked at {tried}); give a path "
                      "relative to the data folder, e.g. \"tle/starlink_20250727.tle\", or absolute")
    filters = []
    if "designators" in e:
        filters.append(("designators", c.strings(e["designators"], f"{key}.designators",
                                                 '["2025-088", "2025-134"]')))
    if "name_pattern" in e:
        filters.append(("name_pattern", c.string(e["name_pattern"], f"{key}.name_pattern",
                                                 '"STARLINK-*"')))
    if "altitude_km" in e:
        lo, hi = c.numbers(e["altitude_km"], f"{key}.altitude_km", 2, "[540, 560]")
        if not 0 <= lo < hi:
            raise c.error(f"{key}.altitude_km", f"= {[lo, hi]} must be [min, max] with 0 <= min < max")
        filters.append(("altitude_km", (lo, hi)))
    if "max_epoch_age_days" in e:
        filters.append(("max_epoch_age_days", c.number(e["max_epoch_age_days"],
                                                       f"{key}.max_epoch_age_days", "3",
                                                       low=0.0, strict_low=False)))
    own_start = None
    if "start" in e:
        own_start = e["start"]
        if own_start != "epoch":
            try:
                own_start = parse_utc(own_start)
            except ValueError as exc:
                raise c.error(f"{key}.start", f'= {e["start"]!r}: {exc}; or write "epoch" for the '
                              "catalog's newest TLE epoch") from None
    return ConstellationSpec(key=key, slug=slugify(label or path.stem), kind="tle", tle_path=path,
                             tle_filters=tuple(filters), min_elevation_deg=elevation, label=label,
                             start=own_start)


def _find_file(text: str, base_dirs) -> Path | None:
    p = Path(text).expanduser()
    if p.is_absolute():
        return p if p.is_file() else None
    for d in base_dirs:
        if (d / p).is_file():
            return (d / p).resolve()
    return None


def _plain(value):
    """TOML values as JSON-friendly plain values (date-times become ISO strings)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def read_scenario(path_or_name: str | Path = DEFAULT_SCENARIO) -> tuple[Path, dict]:
    """Find a scenario file (a path, or a shipped name) and parse its TOML; no validation yet.

    Returns
    -------
    path : pathlib.Path
    raw : dict
    """
    text = str(path_or_name)
    path = Path(text).expanduser()
    if not path.is_file():
        named = _scenario_dir() / f"{text}.toml"
        if "/" not in text and "\\" not in text and not text.endswith(".toml") and named.is_file():
            path = named
        else:
            raise FileNotFoundError(
                f"scenario {text!r} not found: no such file, and not a shipped scenario name. "
                f"Shipped scenarios: {', '.join(scenarios())} (in {_scenario_dir()}); or give the "
                "path of a .toml file")
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}; check quotes, brackets and '=' signs "
                         "near that line") from None
    return path, raw


def scenario_kind(path_or_name: str | Path = DEFAULT_SCENARIO) -> str:
    """The scenario's ``kind``: ``"coverage"`` (no ``kind`` key) or one of :data:`SPECIAL_KINDS`.

    Examples
    --------
    >>> scenario_kind("tiny"), scenario_kind("deployment_race")
    ('coverage', 'deployment_race')
    """
    path, raw = read_scenario(path_or_name)
    kind = raw.get("kind", "coverage")
    if kind != "coverage" and kind not in SPECIAL_KINDS:
        raise ValueError(f"{path}: kind = {kind!r} is not known; allowed: 'coverage' (or no kind), "
                         + ", ".join(repr(k) for k in SPECIAL_KINDS))
    return kind


def special_runner(kind: str):
    """The ``run_scenario(path_or_name, out_dir, *, fast, formats, progress)`` of a special kind."""
    import importlib

    return importlib.import_module(SPECIAL_KINDS[kind]).run_scenario


def load_scenario(path_or_name: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path_or_name : str or pathlib.Path
        A ``.toml`` file, or the name of a shipped scenario (see :func:`scenarios`), default
        :data:`DEFAULT_SCENARIO`.

    Raises
    ------
    FileNotFoundError
        If there is no such file or shipped scenario (the message lists them).
    ValueError
        If the file is not valid TOML or not a valid scenario (the message names the key).

    Examples
    --------
    >>> s = load_scenario("tiny")
    >>> s.name, len(s.constellations) >= 2
    ('tiny', True)
    """
    path, raw = read_scenario(path_or_name)
    if raw.get("kind", "coverage") != "coverage":
        raise ValueError(f"{path}: this is a {raw['kind']!r} scenario, not a coverage scenario; run it "
                         f"with 'constellations run {path.stem}'")
    return Scenario.from_dict(raw, where=str(path), base_dir=path.parent)
