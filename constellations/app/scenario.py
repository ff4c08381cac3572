"""Coverage-scenario files: the schema (frozen dataclasses) and its loader, every check before any work.

A coverage scenario names the constellations (presets, inline shells or TLE catalogs), the ground grid,
the analysis window and step, the metrics options, the figures and the output formats.
:func:`load_scenario` reads and validates one (a bare name resolves to ``<data>/scenarios/<name>.toml``),
:func:`scenarios` lists the shipped ones and :func:`scenario_kind` tells a coverage file from the
files of the other analyses (``kind = "deployment_race"``, ``kind = "golden_dome_sizing"``), which
:mod:`constellations.app.runs` hands to their own runners. Running a scenario is
:func:`constellations.app.runs.analyze_scenario`.

Every check is made with :class:`constellations.validation.Checker`, so every message has the
package's one form ``FILE: key.path = VALUE: what is allowed; how to fix`` (did-you-mean for keys,
presets, countries and cities). Unknown keys are errors, types are strict (``step_s = "60"`` is refused).

Format (all keys; ``#`` marks optional ones)::

    name = "kuiper_vs_starlink"            # also the default output folder name
    description = "..."                    # optional
    start = "2025-07-01T00:00:00Z"         # UTC, ISO 8601 (a TOML date-time also works)
    duration_h = 24                        # or duration_s = 86400; a whole number of steps
    step_s = 60                            # at most 300 (access windows are exact)

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
    tle = "tle/kuiper_20251003_from_active.tle"   # in the data folder (or beside this file, or absolute)
    designators = ["2025-088", "2025-134", "2025-151"]   # optional filters:
    # name_pattern = "KUIPER-*"; altitude_km = [600, 650]
    # max_epoch_age_days = 30              # see "TLE epochs" below
    # start = "epoch"                      # analyse from the catalog's newest epoch
    min_elevation_deg = 35.0
    # min_elevation_by_altitude = [{ altitude_km = [400, 500], min_elevation_deg = 20.0 }]
    #   (per satellite by its mean altitude, [min, max) km; min_elevation_deg elsewhere)

    [metrics]                              # optional
    nfold = [1, 2, 4]                      # distinct positive integers
    boundary = "optimistic"                # or "interior"
    percentiles = [50, 90, 95, 99]
    population_weighted = true             # analyse Natural Earth cities as weighted points
    city_min_population = 1000000

    [figures]                              # optional
    names = ["coverage_map", "dashboard"]  # default: all
    cities = ["Berlin", "Washington", "Pyongyang"]   # in the region; default: a global grid these,
                                           # a city list its own, else the region's 3 largest

    [output]                               # optional
    formats = ["png"]                      # png, svg, pdf

TLE epochs: element sets are trusted within ``max_epoch_age_days`` (default 14 days,
:data:`constellations.sources.tle.DEFAULT_MAX_EPOCH_AGE_DAYS`) of every analysed time. Without the
key, a TLE entry whose window (its start, or the scenario's, plus the duration) reaches further from
the epoch of any of its satellites is refused at load, before any computing. With the key, the
satellites further than that from the window are dropped (shown in the catalog report) and the rest
are analysed.

Durations: ``duration_s`` (or ``3600 * duration_h``) must be a whole number of ``step_s`` steps, so
every figure, caption and table states the same window; ``duration_s = 1000`` with ``step_s = 600``
is refused with the two nearest whole windows.

Paths in results: the scenario file is stored by its name, TLE files relative to the data folder
(``tle/x.tle``) or to the scenario's folder, so a result names no local absolute path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from ..frames import parse_utc
from ..geometry import EARTH_RADIUS_KM
from ..grid import box_grid, global_grid, latitude_band_grid, points
from ..plotting import FIGURES
from ..sources import naturalearth, regions
from ..sources.datafiles import data_dir, data_path, scenario_file, shipped_scenarios
from ..sources.presets import constellation_from_dict, preset, presets
from ..sources.tle import Catalog
from ..validation import Checker, read_toml
from ..windows import MAX_EXACT_STEP_S

__all__ = [
    "DEFAULT_FIGURE_CITIES",
    "DEFAULT_SCENARIO",
    "FIGURE_NAMES",
    "FORMATS",
    "KINDS",
    "ConstellationSpec",
    "GridSpec",
    "Scenario",
    "load_scenario",
    "read_scenario",
    "scenario_kind",
    "scenario_path",
    "scenarios",
    "slugify",
]

DEFAULT_SCENARIO = "kuiper_vs_starlink"
DEFAULT_FIGURE_CITIES = ("Berlin", "Washington", "Pyongyang")  # global runs
FIGURE_CITY_COUNT = 3  # regional runs: the region's largest cities by default
DEFAULT_CITY_MIN_POPULATION = 1_000_000
DEFAULT_MIN_ELEVATION_DEG = 25.0  # TLE catalogs without min_elevation_deg
MAX_SPACING_DEG = 30.0
FIGURE_NAMES = tuple(FIGURES)  # every coverage figure of constellations.plotting, the default of a run
MAP_FIGURES = frozenset({"coverage_map", "revisit_mean_map", "revisit_max_map", "visible_map",
                         "latitude_profiles", "dashboard"})
FORMATS = ("png", "svg", "pdf")
BOUNDARIES = ("optimistic", "interior")

# The kinds of scenario file: "coverage" (this module; also a file without kind) and the analyses
# with their own schema and runner (constellations.app.runs dispatches on it).
KINDS = ("coverage", "deployment_race", "golden_dome_sizing")
TOP_KEYS = {"kind", "name", "description", "start", "duration_s", "duration_h", "step_s", "grid",
            "constellations", "metrics", "figures", "output"}
GRID_KEYS = {"spacing_deg", "spacing_km", "country", "lat_band", "box", "cities"}
REGION_KEYS = ("country", "lat_band", "box", "cities")
ENTRY_KINDS = ("preset", "tle", "shells")
ENTRY_COMMON = {"min_elevation_deg", "label"}
PRESET_KEYS = {"preset"} | ENTRY_COMMON
INLINE_KEYS = {"name", "title", "shells", "source", "description", "assumptions"} | ENTRY_COMMON
TLE_KEYS = {"tle", "designators", "name_pattern", "altitude_km", "max_epoch_age_days", "start",
            "min_elevation_by_altitude"} | ENTRY_COMMON
ELEVATION_BAND_KEYS = {"altitude_km", "min_elevation_deg"}
METRICS_KEYS = {"nfold", "boundary", "percentiles", "population_weighted", "city_min_population"}
FIGURES_KEYS = {"names", "cities"}
OUTPUT_KEYS = {"formats"}
UTC_EXAMPLE = '"2025-07-01T00:00:00Z"'


def slugify(text: str) -> str:
    """A file-name-safe lower-case slug: ``"Kuiper (3,236)"`` -> ``"kuiper_3_236"``.

    Examples
    --------
    >>> slugify("Starlink Gen1 (4,408)")
    'starlink_gen1_4_408'
    """
    slug = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return slug or "constellation"


def scenarios() -> list[str]:
    """Names of the shipped scenarios (files in ``<data>/scenarios/``), sorted.

    Examples
    --------
    >>> "kuiper_vs_starlink" in scenarios() and "tiny" in scenarios()
    True
    """
    return shipped_scenarios()


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
        ``(lat_min, lat_max, lon_min, lon_max)`` (degrees) or city names.
    """

    spacing_deg: float | None
    region: str = "global"
    value: object = None

    def build(self):
        """The :class:`~constellations.Grid`."""
        if self.region == "global":
            return global_grid(spacing_deg=self.spacing_deg)
        if self.region == "country":
            return regions.country_grid(self.value, spacing_deg=self.spacing_deg)
        if self.region == "lat_band":
            return latitude_band_grid(*self.value, spacing_deg=self.spacing_deg)
        if self.region == "box":
            return box_grid(*self.value, spacing_deg=self.spacing_deg)
        return regions.city_grid(list(self.value))

    def contains(self, lat_deg: np.ndarray, lon_deg: np.ndarray, country=None) -> np.ndarray:
        """Whether points (degrees, shape (n,)) lie inside the region (used to select cities).

        Parameters
        ----------
        lat_deg, lon_deg : array_like, shape (n,)
            Degrees.
        country : array_like of str, shape (n,), optional
            The points' admin-0 names (Natural Earth places): in a country region a place then
            belongs to the country it is a city of
            (:func:`constellations.sources.naturalearth.places_in_country`), not only to the
            coarse 1:110m polygon it falls in. A city-list region contains its own cities (same
            position to 1e-6 deg).

        Returns
        -------
        numpy.ndarray of bool, shape (n,)
        """
        lat, lon = np.asarray(lat_deg, float), np.asarray(lon_deg, float)
        if self.region == "global":
            return np.ones(lat.shape, dtype=bool)
        if self.region == "cities":
            own = naturalearth.cities(list(self.value))
            same = ((np.abs(lat[:, None] - own["lat_deg"][None, :]) < 1e-6)
                    & (np.abs(lon[:, None] - own["lon_deg"][None, :]) < 1e-6))
            return same.any(axis=1)
        if self.region == "lat_band":
            return (lat >= self.value[0]) & (lat <= self.value[1])
        if self.region == "box":
            lat_min, lat_max, lon_min, lon_max = self.value
            lon_in = ((lon >= lon_min) & (lon <= lon_max) if lon_min <= lon_max
                      else (lon >= lon_min) | (lon <= lon_max))
            return (lat >= lat_min) & (lat <= lat_max) & lon_in
        if country is not None:
            return naturalearth.places_in_country(self.value, {"country": country, "lat_deg": lat,
                                                               "lon_deg": lon})
        return np.asarray(naturalearth.points_in_country(self.value, lat, lon), dtype=bool)

    def default_cities(self, n: int = FIGURE_CITY_COUNT) -> tuple[str, ...]:
        """The default figure cities: the ``n`` most populous Natural Earth places in the region.

        Fewer if the region has fewer (none in open ocean); a city-list region gives its own
        cities, a global grid :data:`DEFAULT_FIGURE_CITIES`. A name shared with a more populous place
        elsewhere is qualified by its country (``"Valencia, Venezuela"``), so that it resolves
        to this place again.
        """
        if self.region == "cities":
            return tuple(self.value)
        if self.region == "global":
            return DEFAULT_FIGURE_CITIES
        allc = naturalearth.cities()  # most populous first
        rows = np.flatnonzero(self.contains(allc["lat_deg"], allc["lon_deg"], allc["country"]))[:n]
        names = []
        for i in rows:
            name = str(allc["name"][i])
            again = naturalearth.cities(name)
            if again["lat_deg"][0] != allc["lat_deg"][i] or again["lon_deg"][0] != allc["lon_deg"][i]:
                name = f"{name}, {allc['country'][i]}"
            names.append(name)
        return tuple(names)

    def describe(self) -> str:
        """The grid in words, e.g. ``"global 2 deg equal-area"``."""
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
        Keyword arguments for :meth:`~constellations.Catalog.from_tle`.
    min_elevation_deg : float or None
        Override for every shell (degrees).
    label : str or None
        Display name replacing the constellation's own.
    start : datetime.datetime or str or None
        TLE catalogs only: analyse from this UTC time instead of the scenario's start; ``"epoch"``
        means the newest TLE epoch of the catalog (a snapshot analysed at its own date).
    duration_s : float
        Length of the analysis window, s (the scenario's), checked against the TLE epochs.
    tle_text : str
        TLE catalogs only: the file as stored in results, relative to the data folder
        (``"tle/x.tle"``) or to the scenario's folder; never a local absolute path.
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
    duration_s: float = 0.0
    tle_text: str = ""

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
            The scenario's start; with :attr:`duration_s` (and the entry's own ``start``) the
            window checked against the TLE epochs (no check without it).

        Raises
        ------
        ValueError
            ``constellations[i]: ...``: no satellite passes the filters, or the window reaches
            further than ``max_epoch_age_days`` from the epochs (see the module docstring).
        """
        try:
            if self.kind == "tle":
                kwargs = dict(self.tle_filters)
                max_age = kwargs.pop("max_epoch_age_days", None)
                elevation = (DEFAULT_MIN_ELEVATION_DEG if self.min_elevation_deg is None
                             else self.min_elevation_deg)
                source = Catalog.from_tle(self.tle_path, name=self.label or self.tle_path.stem,
                                          min_elevation_deg=elevation, **kwargs)
                source = dataclasses.replace(source, source=self.tle_text or source.source)
                if max_age is not None:
                    source = source.with_max_epoch_age(max_age)
                if len(source) and start is not None:
                    window_start = self.analysis_start(source, start)
                    if max_age is not None:  # the satellites too far from the window are dropped
                        source = source.drop_stale(window_start, self.duration_s)
                    else:  # refused: the message names the catalog, its epochs and the override
                        source.check_window(window_start, self.duration_s)
                if len(source) == 0:
                    raise ValueError(f"no satellite of {self.tle_text or self.tle_path.name} passes "
                                     f"the filters ({source.report()}); loosen designators/"
                                     "name_pattern/altitude_km/max_epoch_age_days")
                return source
            if self.kind == "preset":
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
        """The entry in words: what it is, its filters and its elevation override."""
        if self.kind == "tle":
            what = f"TLE file {self.tle_text or self.tle_path.name!r}"
        else:
            what = {"preset": f"preset {self.preset!r}",
                    "inline": f"inline {getattr(self.inline, 'name', '')!r}"}[self.kind]
        extra = ""
        if self.tle_filters:
            extra += " (" + ", ".join(f"{k}={v!r}" for k, v in self.tle_filters) + ")"
        if self.min_elevation_deg is not None:
            extra += f", min elevation {self.min_elevation_deg:g} deg"
        return what + extra


# ----------------------------------------------------------------------------- scenario

@dataclass(frozen=True)
class Scenario:
    """A validated coverage scenario: what to analyse and which outputs to make.

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
        Distinct levels N of "at least N satellites in view".
    boundary : str
    percentiles : tuple of float
    population_weighted : bool
        Also analyse Natural Earth cities in the region (weighted by population).
    city_min_population : float
        Smallest metropolitan population in that city sample.
    figure_names : tuple of str
    figure_cities : tuple of str
        Cities shown in the city figure (always part of the city analysis), inside the region:
        by default :data:`DEFAULT_FIGURE_CITIES` for a global grid, a city list's own cities, or
        the :data:`FIGURE_CITY_COUNT` most populous Natural Earth places of a country, box or
        latitude band (none if it has none).
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
        """Validate a scenario mapping (a parsed TOML file); every check runs before any computing.

        Parameters
        ----------
        raw : dict
            The TOML tables, see the module docstring.
        where : str
            Named at the start of every error message (the file path).
        base_dir : pathlib.Path, optional
            Folder of the scenario file; relative TLE paths are looked up there first, then in the
            data folder (:func:`constellations.sources.datafiles.data_path`).

        Raises
        ------
        ValueError
            ``WHERE: key.path = VALUE: what is allowed; how to fix``.

        Examples
        --------
        >>> s = Scenario.from_dict({"name": "demo", "start": "2025-07-01T00:00:00Z",
        ...     "duration_h": 1, "step_s": 60, "grid": {"spacing_deg": 10},
        ...     "constellations": [{"preset": "kuiper_2025"}]})
        >>> s.duration_s, s.constellations[0].slug
        (3600.0, 'kuiper_2025')
        """
        c = Checker(where)
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: a scenario must be a table of keys, not {type(raw).__name__}")
        c.keys(raw, TOP_KEYS, "", required=("name", "start", "step_s", "grid", "constellations"))
        if "kind" in raw:
            c.choice(raw["kind"], "kind", ("coverage",))
        name = c.string(raw["name"], "name", '"kuiper_vs_starlink"')
        description = ""
        if "description" in raw:
            description = c.string(raw["description"], "description", '"What this compares"',
                                   multiline=True, max_chars=5000)
        start = _utc(c, raw["start"], "start")

        step_s = c.number(raw["step_s"], "step_s", "60", low=0.0)
        if step_s > MAX_EXACT_STEP_S:  # the engine's access windows are exact: checked here, before any run
            raise c.error("step_s", raw["step_s"], f"must be <= {MAX_EXACT_STEP_S:g} s: access windows are "
                          "found exactly, with at most one elevation maximum per half step; use a shorter "
                          "step, e.g. step_s = 60")
        which = c.exclusive(raw, ("duration_s", "duration_h"), "", "duration_h = 24")
        if which == "duration_s":
            duration_s = c.number(raw["duration_s"], "duration_s", "86400", low=0.0)
        else:
            duration_s = 3600.0 * c.number(raw["duration_h"], "duration_h", "24", low=0.0)
        if duration_s < step_s:
            raise c.error(which, raw[which], f"the window ({duration_s:g} s) is shorter than step_s = "
                          f"{step_s:g} s; make the duration at least one step")
        n_steps = duration_s / step_s
        if abs(n_steps - round(n_steps)) > 1e-9 * max(1.0, n_steps):  # one window everywhere
            lo, hi = np.floor(n_steps) * step_s, np.ceil(n_steps) * step_s
            raise c.error(which, raw[which], f"the window ({duration_s:g} s) is not a whole number of "
                          f"step_s = {step_s:g} s steps ({n_steps:.6g}); make it a multiple of the "
                          f"step, e.g. duration_s = {lo:g} or {hi:g}")

        grid = _grid_spec(c, raw["grid"])
        entries = raw["constellations"]
        if not isinstance(entries, list) or not entries:
            raise c.error("constellations", entries, "must be a non-empty list of tables "
                          '([[constellations]] with preset = "kuiper", inline shells or tle = "...")')
        base = [] if base_dir is None else [base_dir]
        specs = tuple(dataclasses.replace(_constellation_spec(c, e, f"constellations[{i}]", base),
                                          duration_s=duration_s)
                      for i, e in enumerate(entries))
        seen: dict[str, str] = {}
        for s in specs:
            if s.slug in seen:
                raise c.error(f"{s.key}.label", s.label, f"is needed: its file name {s.slug!r} is already "
                              f"used by {seen[s.slug]}; give each a distinct label = \"...\"")
            seen[s.slug] = s.key

        m = c.table(raw.get("metrics", {}), "metrics")
        c.keys(m, METRICS_KEYS, "metrics.")
        nfold = (1, 2, 4)
        if "nfold" in m:
            nfold = c.numbers(m["nfold"], "metrics.nfold", None, "[1, 2, 4]", unique=True, low=0,
                              integer=True)
        boundary = c.choice(m.get("boundary", "optimistic"), "metrics.boundary", BOUNDARIES)
        percentiles = (50.0, 90.0, 95.0, 99.0)
        if "percentiles" in m:
            percentiles = c.numbers(m["percentiles"], "metrics.percentiles", None, "[50, 90, 99]",
                                    unique=True, low=0.0, high=100.0, strict_low=False)
        population_weighted = c.boolean(m.get("population_weighted", True), "metrics.population_weighted")
        min_pop = c.number(m.get("city_min_population", DEFAULT_CITY_MIN_POPULATION),
                           "metrics.city_min_population", "1000000", low=0.0, strict_low=False)

        f = c.table(raw.get("figures", {}), "figures")
        c.keys(f, FIGURES_KEYS, "figures.")
        if "names" in f:
            names = c.strings(f["names"], "figures.names", '["coverage_map", "dashboard"]',
                              allow_empty=True, unique=True)
            for i, n in enumerate(names):
                c.choice(n, f"figures.names[{i}]", FIGURE_NAMES)
        elif grid.region == "cities":
            names = tuple(n for n in FIGURE_NAMES if n not in MAP_FIGURES)
        else:
            names = FIGURE_NAMES
        if "cities" in f:
            cities = c.strings(f["cities"], "figures.cities", '["Berlin", "Washington"]',
                               allow_empty=True, unique=True)
            _check_cities(c, cities, "figures.cities", grid)
        else:
            cities = grid.default_cities()

        o = c.table(raw.get("output", {}), "output")
        c.keys(o, OUTPUT_KEYS, "output.")
        formats = ("png",)
        if "formats" in o:
            formats = c.strings(o["formats"], "output.formats", '["png", "svg"]', unique=True)
            for i, fmt in enumerate(formats):
                c.choice(fmt, f"output.formats[{i}]", FORMATS)

        return cls(name=name, description=description, start=start, duration_s=duration_s,
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
        """Number of time steps of :attr:`step_s` in the window."""
        return round(self.duration_s / self.step_s)  # a whole number, checked at load

    def to_dict(self) -> dict:
        """The parameters as plain JSON-friendly values (stored in every result's attributes)."""
        return {
            "name": self.name, "description": self.description, "file": Path(self.path).name,
            "start_utc": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"), "duration_s": self.duration_s,
            "step_s": self.step_s, "grid": self.grid.describe(),
            "constellations": [s.describe() for s in self.constellations],
            "nfold": list(self.nfold), "boundary": self.boundary,
            "percentiles": list(self.percentiles), "population_weighted": self.population_weighted,
            "city_min_population": self.city_min_population,
            "figure_cities": list(self.figure_cities), "raw": self._stored_raw(),
        }

    def _stored_raw(self) -> dict:
        """:attr:`raw` with each TLE path as stored in results (no local absolute paths)."""
        raw = dict(self.raw)
        entries = raw.get("constellations")
        if isinstance(entries, list) and len(entries) == len(self.constellations):
            raw["constellations"] = [
                {**e, "tle": s.tle_text} if s.kind == "tle" and isinstance(e, dict) else e
                for e, s in zip(entries, self.constellations, strict=True)]
        return raw

    def caption(self) -> str:
        """One line with the analysis parameters, for figures and reports."""
        hours = self.duration_s / 3600.0
        own = sum(s.start is not None for s in self.constellations)
        start = f"{self.start:%Y-%m-%d %H:%M} UTC"
        if own == len(self.constellations):  # every catalog at its own start: no common one
            start = "each constellation's own start (below)"
        elif own:
            start += f" ({own} of {len(self.constellations)} from their own start, below)"
        return (f"Scenario {self.name}: {hours:g} h at {self.step_s:g} s steps from {start}; "
                f"grid {self.grid.describe()}; {self.boundary} edge gaps")

    def build_grid(self):
        """The analysis grid (:class:`~constellations.Grid`)."""
        try:
            return self.grid.build()
        except ValueError as exc:
            raise ValueError(f"{self.path or 'scenario'}: grid: {exc}") from None

    def build_city_grid(self):
        """Cities analysed as weighted points, or ``None``.

        The population sample (when :attr:`population_weighted`: the Natural Earth places of the
        region with a metropolitan population of at least :attr:`city_min_population`; for a
        city-list region its own cities, whatever their population) followed by any
        :attr:`figure_cities` not already in it.

        Returns
        -------
        (Grid, numpy.ndarray, numpy.ndarray) or None
            The points grid (weights = population), a boolean mask of shape (n_point,) marking the
            population sample, and the positions (int, shape (n_figure_city,)) of the figure cities
            in the grid.
        """
        if not self.population_weighted and not self.figure_cities:
            return None
        cols = ("name", "country", "lat_deg", "lon_deg", "population")
        if self.population_weighted and self.grid.region == "cities":  # the region's own cities
            sample = naturalearth.cities(list(self.grid.value))
        elif self.population_weighted:
            allc = naturalearth.cities(min_population=self.city_min_population)
            inside = self.grid.contains(allc["lat_deg"], allc["lon_deg"], allc["country"])
            sample = {k: allc[k][inside] for k in cols}
        else:
            sample = {k: np.asarray([], dtype=object if k in ("name", "country") else float)
                      for k in cols}
        fig = naturalearth.cities(list(self.figure_cities)) if self.figure_cities else None
        position = {f"{n}|{c}": i for i, (n, c) in enumerate(zip(sample["name"], sample["country"],
                                                                 strict=True))}
        figure_index, extra = [], []
        for j in range(0 if fig is None else len(fig["name"])):  # a handful of named cities
            k = f"{fig['name'][j]}|{fig['country'][j]}"
            if k in position:
                figure_index.append(position[k])
            else:
                figure_index.append(len(position) + len(extra))
                extra.append(j)
        extra = np.asarray(extra, dtype=int)
        merged = {k: np.concatenate([np.asarray(sample[k]), np.asarray(fig[k])[extra]])
                  if fig is not None else np.asarray(sample[k]) for k in cols}
        if merged["lat_deg"].size == 0:
            return None
        in_sample = np.arange(merged["lat_deg"].size) < len(position)
        sample_text = ("of the city list" if self.grid.region == "cities"
                       else f"with population >= {self.city_min_population:,.0f}")
        grid = points(merged["lat_deg"], merged["lon_deg"], names=merged["name"],
                      weights=merged["population"].astype(float),
                      name=f"cities ({int(in_sample.sum())} {sample_text}, + {extra.size} named)")
        return grid, in_sample, np.asarray(figure_index, dtype=int)


# ----------------------------------------------------------------------------- checks

def _utc(c: Checker, value, key: str) -> dt.datetime:
    """A UTC time: an ISO 8601 string or a TOML date-time."""
    if not isinstance(value, str | dt.datetime | dt.date):
        raise c.error(key, value, f"must be a UTC time like {key} = {UTC_EXAMPLE}")
    return c.converted(value, key, parse_utc, f"write a UTC time like {key} = {UTC_EXAMPLE}")


def _check_cities(c: Checker, names, key: str, region: GridSpec | None = None) -> None:
    """Every name is a Natural Earth place (did-you-mean otherwise) and, with ``region``, in it."""
    if not names:
        return
    found = c.converted(list(names), key, naturalearth.cities)
    if region is None:
        return
    inside = region.contains(found["lat_deg"], found["lon_deg"], found["country"])
    if not inside.all():
        outside = [n for n, ok in zip(names, inside, strict=True) if not ok]
        examples = ", ".join(f'"{n}"' for n in region.default_cities())
        fix = (f"name cities in it (largest: {examples})" if examples else "the region has no Natural "
               "Earth place; use figures.cities = []")
        raise c.error(key, list(names), f"{', '.join(repr(n) for n in outside)} "
                      f"{'lies' if len(outside) == 1 else 'lie'} outside the region "
                      f"({region.describe()}); {fix}, or leave {key} out for the region's largest")


def _grid_spec(c: Checker, raw) -> GridSpec:
    g = c.table(raw, "grid")
    c.keys(g, GRID_KEYS, "grid.")
    region = c.exclusive(g, REGION_KEYS, "grid", 'country = "Germany"', required=False) or "global"
    spacing = None
    if region == "cities":
        for k in ("spacing_deg", "spacing_km"):
            if k in g:
                raise c.error(f"grid.{k}", g[k], "a city list is analysed at its points; drop "
                              f"grid.{k}, or drop grid.cities for a grid")
    else:
        which = c.exclusive(g, ("spacing_deg", "spacing_km"), "grid", "spacing_deg = 2.0")
        if which == "spacing_deg":
            spacing = c.number(g["spacing_deg"], "grid.spacing_deg", "2.0", low=0.0, high=MAX_SPACING_DEG)
        else:
            max_km = np.radians(MAX_SPACING_DEG) * EARTH_RADIUS_KM
            km = c.number(g["spacing_km"], "grid.spacing_km", "222", low=0.0, high=round(max_km))
            spacing = float(np.degrees(km / EARTH_RADIUS_KM))
    value = None
    if region == "country":
        value = c.string(g["country"], "grid.country", '"Germany"')
        c.converted(value, "grid.country", naturalearth.country_bounds)
    elif region == "lat_band":
        value = c.numbers(g["lat_band"], "grid.lat_band", 2, "[-60, 60]", low=-90.0, high=90.0,
                          strict_low=False)
        if not value[0] < value[1]:
            raise c.error("grid.lat_band", list(value), "must be [lo, hi] with -90 <= lo < hi <= 90, "
                          "e.g. lat_band = [-60, 60]")
    elif region == "box":
        example = "[24, 50, -125, -66] (lat_min, lat_max, lon_min, lon_max)"
        value = c.numbers(g["box"], "grid.box", 4, example)
        if not -90.0 <= value[0] < value[1] <= 90.0:
            raise c.error("grid.box", list(value), "latitudes must satisfy -90 <= lat_min < lat_max "
                          f"<= 90, e.g. box = {example}")
        if not all(-180.0 <= v <= 360.0 for v in value[2:]):
            raise c.error("grid.box", list(value), "longitudes must lie in [-180, 360], e.g. box = "
                          + example)
    elif region == "cities":
        value = c.strings(g["cities"], "grid.cities", '["Berlin", "Paris"]', unique=True)
        _check_cities(c, value, "grid.cities")
    return GridSpec(spacing_deg=spacing, region=region, value=value)


def _constellation_spec(c: Checker, raw, key: str, base_dirs) -> ConstellationSpec:
    e = c.table(raw, key)
    c.keys(e, PRESET_KEYS | INLINE_KEYS | TLE_KEYS, f"{key}.")  # misspelt keys first: did-you-mean
    kind = c.exclusive(e, ENTRY_KINDS, key, f'preset = "kuiper", tle = "tle/<file>.tle" or inline '
                       f"[[{key.split('[')[0]}.shells]] with a name")
    allowed = {"preset": PRESET_KEYS, "tle": TLE_KEYS, "shells": INLINE_KEYS}[kind]
    c.keys(e, allowed, f"{key}.", required=("name",) if kind == "shells" else ())
    elevation = None
    if "min_elevation_deg" in e:
        elevation = c.number(e["min_elevation_deg"], f"{key}.min_elevation_deg", "25.0", low=0.0,
                             strict_low=False, high=90.0, strict_high=True)
    label = c.string(e["label"], f"{key}.label", '"Kuiper at 30 deg"') if "label" in e else None

    if kind == "preset":
        name = c.choice(c.string(e["preset"], f"{key}.preset", '"kuiper"'), f"{key}.preset", presets())
        return ConstellationSpec(key=key, slug=slugify(label or name), kind="preset", preset=name,
                                 min_elevation_deg=elevation, label=label)

    if kind == "shells":
        name = c.string(e["name"], f"{key}.name", '"My shell"')
        body = {k: v for k, v in e.items() if k != "label"}
        constellation = constellation_from_dict(body, where=c.where, default_name=name, key=key)
        return ConstellationSpec(key=key, slug=slugify(label or name), kind="inline",
                                 inline=constellation, label=label)
    # TLE
    text = c.string(e["tle"], f"{key}.tle", '"tle/starlink_20250727.tle"')
    path = _find_file(text, base_dirs)
    if path is None:
        tried = ", ".join(str(p) for p in _candidates(text, base_dirs))
        raise c.error(f"{key}.tle", text, f"file not found (looked at {tried}); give a path relative "
                      'to the data folder, e.g. "tle/starlink_20250727.tle", or absolute')
    filters = []
    if "designators" in e:
        filters.append(("designators", c.strings(e["designators"], f"{key}.designators",
                                                 '["2025-088", "2025-134"]', unique=True)))
    if "name_pattern" in e:
        filters.append(("name_pattern", c.string(e["name_pattern"], f"{key}.name_pattern",
                                                 '"STARLINK-*"')))
    if "altitude_km" in e:
        lo, hi = c.numbers(e["altitude_km"], f"{key}.altitude_km", 2, "[540, 560]", low=0.0,
                           strict_low=False)
        if not lo < hi:
            raise c.error(f"{key}.altitude_km", [lo, hi], "must be [min, max] with 0 <= min < max, "
                          "e.g. altitude_km = [540, 560]")
        filters.append(("altitude_km", (lo, hi)))
    if "max_epoch_age_days" in e:
        filters.append(("max_epoch_age_days", c.number(e["max_epoch_age_days"],
                                                       f"{key}.max_epoch_age_days", "30",
                                                       low=0.0)))
    if "min_elevation_by_altitude" in e:
        filters.append(("min_elevation_by_altitude",
                        _elevation_bands(c, e["min_elevation_by_altitude"],
                                         f"{key}.min_elevation_by_altitude")))
    own_start = None
    if "start" in e:
        if e["start"] == "epoch":
            own_start = "epoch"
        elif not isinstance(e["start"], str | dt.datetime | dt.date):
            raise c.error(f"{key}.start", e["start"], f'must be "epoch" or a UTC time like {UTC_EXAMPLE}')
        else:
            own_start = c.converted(e["start"], f"{key}.start", parse_utc,
                                    f'write a UTC time like {UTC_EXAMPLE}, or "epoch" for the '
                                    "catalog's newest TLE epoch")
    return ConstellationSpec(key=key, slug=slugify(label or path.stem), kind="tle", tle_path=path,
                             tle_filters=tuple(filters), min_elevation_deg=elevation, label=label,
                             start=own_start, tle_text=_stored_path(path, base_dirs))


def _elevation_bands(c: Checker, value, key: str) -> tuple[tuple[float, float, float], ...]:
    """``[{altitude_km = [lo, hi], min_elevation_deg = e}, ...]`` as ``(lo, hi, e)`` triples."""
    example = "[{ altitude_km = [400, 500], min_elevation_deg = 20.0 }]"
    if not isinstance(value, list) or not value:
        raise c.error(key, value, f"must be a non-empty list of tables, e.g. {example}")
    bands = []
    for i, raw in enumerate(value):
        at = f"{key}[{i}]"
        band = c.table(raw, at)
        c.keys(band, ELEVATION_BAND_KEYS, f"{at}.", required=tuple(sorted(ELEVATION_BAND_KEYS)))
        lo, hi = c.numbers(band["altitude_km"], f"{at}.altitude_km", 2, "[400, 500]", low=0.0,
                           strict_low=False)
        if not lo < hi:
            raise c.error(f"{at}.altitude_km", [lo, hi], "must be [min, max] with min < max, km, "
                          "e.g. altitude_km = [400, 500]")
        elevation = c.number(band["min_elevation_deg"], f"{at}.min_elevation_deg", "20.0", low=0.0,
                             strict_low=False, high=90.0, strict_high=True)
        bands.append((lo, hi, elevation))
    bands.sort()
    for (lo1, hi1, _), (lo2, hi2, _) in pairwise(bands):
        if lo2 < hi1:
            raise c.error(key, value, f"bands {lo1:g}-{hi1:g} km and {lo2:g}-{hi2:g} km overlap; give "
                          "each altitude at most one band")
    return tuple(bands)


def _candidates(text: str, base_dirs) -> list[Path]:
    """Where a file named in a scenario may be: beside the scenario, then in the data folder.

    ``"tle/x.tle"`` is relative to the data folder; the older ``"data/tle/x.tle"`` names the same file.
    """
    p = Path(text).expanduser()
    if p.is_absolute():
        return [p]
    return [*(d / p for d in base_dirs), data_path(p)]


def _stored_path(path: Path, base_dirs) -> str:
    """How results name a TLE file: relative to the data folder, else to the scenario's folder."""
    path = Path(path).resolve()
    for root in (data_dir(), *base_dirs):
        try:
            return path.relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            continue
    if base_dirs:
        try:
            return Path(os.path.relpath(path, Path(base_dirs[0]).resolve())).as_posix()
        except ValueError:  # another drive (Windows)
            pass
    return path.name


def _find_file(text: str, base_dirs) -> Path | None:
    for candidate in _candidates(text, base_dirs):
        if candidate.is_file():
            return candidate.resolve()
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


# ----------------------------------------------------------------------------- files

def scenario_path(path_or_name: str | Path = DEFAULT_SCENARIO) -> Path:
    """The scenario file: a path, or the name of a shipped scenario (see :func:`scenarios`).

    Raises
    ------
    FileNotFoundError
        Neither a file nor a shipped name; the message lists the shipped scenarios.

    Examples
    --------
    >>> scenario_path("tiny").name
    'tiny.toml'
    """
    return scenario_file(path_or_name)


def read_scenario(path_or_name: str | Path = DEFAULT_SCENARIO) -> tuple[Path, dict]:
    """Find a scenario file (a path, or a shipped name) and parse its TOML; no schema checks yet.

    Returns
    -------
    path : pathlib.Path
    raw : dict

    Raises
    ------
    FileNotFoundError
        See :func:`scenario_path`.
    ValueError
        The file cannot be read or is not valid TOML (:func:`constellations.validation.read_toml`).
    """
    path = scenario_path(path_or_name)
    return path, read_toml(path, what="scenario")


def scenario_kind(path_or_name: str | Path = DEFAULT_SCENARIO) -> str:
    """The scenario's ``kind``: ``"coverage"`` (also without a ``kind`` key) or another of :data:`KINDS`.

    Examples
    --------
    >>> scenario_kind("tiny"), scenario_kind("deployment_race")
    ('coverage', 'deployment_race')
    """
    path, raw = read_scenario(path_or_name)
    return _kind_of(path, raw)


def _kind_of(path: Path, raw: dict) -> str:
    return Checker(path).choice(raw.get("kind", "coverage"), "kind", KINDS)


def load_scenario(path_or_name: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """Read and validate a coverage-scenario file.

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
        If the file is not valid TOML, not a coverage scenario, or not a valid one (the message
        names the key, the value and the fix).

    Examples
    --------
    >>> s = load_scenario("tiny")
    >>> s.name, len(s.constellations) >= 2
    ('tiny', True)
    """
    path, raw = read_scenario(path_or_name)
    kind = _kind_of(path, raw)
    if kind != "coverage":
        raise Checker(path).error("kind", kind, f"this is a {kind!r} scenario, not a coverage scenario; "
                                  f"run it with 'constellations run {path.stem}'")
    return Scenario.from_dict(raw, where=str(path), base_dir=path.parent)
