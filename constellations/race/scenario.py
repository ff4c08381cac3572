"""Race scenario: the frozen :class:`RaceScenario` and its loader, which checks every key before any run.

A race scenario (``constellations/data/scenarios/deployment_race.toml``, ``kind = "deployment_race"``)
names a launch model (:mod:`constellations.race.deployment`), the operator that builds out, its cadence
cases, a timeline (monthly snapshots from a start date to a horizon), the per-snapshot analysis (grid,
window, step), the benchmark (a TLE snapshot, computed once), the milestones, the answers and the
figures. :func:`load_race_scenario` reads the file with :func:`constellations.validation.read_toml` and
checks it with a :class:`~constellations.validation.Checker`: unknown keys at every level, strict types,
ranges, dates, the names of operators, cases and metrics, the launch file and the benchmark's TLE file.
A scenario either fails here with a message ``FILE: key.path = VALUE: allowed; fix`` or runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..frames import parse_utc
from ..metrics import BOUNDARIES
from ..plotting.style import SAVE_FORMATS
from ..sources.datafiles import data_dir, data_path, display_path, scenario_file
from ..validation import Checker, read_toml
from .deployment import FAILURE_MODES, LaunchModel
from .hindcast import Observation
from .snapshots import METRICS

__all__ = [
    "DEFAULT_ANALYSIS",
    "SCENARIO_KIND",
    "Event",
    "HindcastSpec",
    "Milestone",
    "RaceScenario",
    "load_race_scenario",
    "race_scenario_from_dict",
    "race_scenario_path",
]

SCENARIO_KIND = "deployment_race"
TOP_KEYS = ("kind", "name", "description", "launches", "operator", "rival", "cases", "start", "horizon",
            "failures", "seed", "milestones", "events", "hindcast", "analysis", "benchmark", "answers",
            "figures", "fast")
ANALYSIS_KEYS = ("window_start", "duration_h", "duration_s", "step_s", "grid_spacing_deg",
                 "city_min_population", "city_parts", "populated_lat_deg", "boundary", "min_elevation_deg")
MILESTONE_KEYS = ("label", "satellites", "deadline", "note")
EVENT_KEYS = ("date", "label", "source")
HINDCAST_KEYS = ("launches", "cases", "observed")
OBSERVED_KEYS = ("date", "satellites", "source")
BENCHMARK_KEYS = ("label", "tle", "altitude_km", "min_elevation_deg", "designators", "name_pattern")
ANSWERS_KEYS = ("catch_up_metric", "tolerance")
FIGURES_KEYS = ("map_dates", "map_case", "formats")
MAX_DESCRIPTION_CHARS = 2000

DEFAULT_ANALYSIS = {"window_start": "2025-07-28T00:00:00Z", "duration_s": 3 * 3600.0, "step_s": 60.0,
                    "grid_spacing_deg": 4.0, "city_min_population": 0.0, "city_parts": 2,
                    "populated_lat_deg": (-56.0, 56.0), "boundary": "optimistic",
                    "min_elevation_deg": None}
"""Per-snapshot analysis settings when the scenario's ``[analysis]`` leaves them out."""


@dataclass(frozen=True)
class Milestone:
    """A satellite count to reach by a deadline (e.g. FCC: 1,618 by 2026-07-30); ``note`` says what
    became of it (e.g. waived)."""

    label: str
    satellites: int
    deadline: np.datetime64
    note: str = ""


@dataclass(frozen=True)
class Event:
    """A dated annotation of the timeline that the model does not act on (an order, a waiver, a rule)."""

    date: np.datetime64
    label: str
    source: str = ""


@dataclass(frozen=True)
class HindcastSpec:
    """What the hindcast grades: the cases of a frozen launch file against observed counts.

    Attributes
    ----------
    launches : str
        The launch file as shipped when the forecast was made (data folder or path).
    cases : tuple of str
        Its cases to grade.
    observations : tuple of Observation
        Satellites observed in orbit, in date order.
    """

    launches: str
    cases: tuple
    observations: tuple


@dataclass(frozen=True)
class RaceScenario:
    """A deployment-race scenario, checked; see ``constellations/data/scenarios/deployment_race.toml``.

    Attributes
    ----------
    name, description : str
    launches : str
        Launch file (relative to the data folder, or a path).
    operator, rival : str
        Operator that builds out and operator drawn for context (counts only; may be ``""``).
    cases : tuple of str
    start, horizon : numpy.datetime64
        First and last monthly snapshot (first day of a month).
    failures : {"expected", "seeded"}
    seed : int
    milestones : tuple of Milestone
    analysis : dict
        ``window_start``, ``duration_s``, ``step_s``, ``grid_spacing_deg``, ``city_min_population``,
        ``city_parts``, ``populated_lat_deg``, ``boundary``, ``min_elevation_deg``.
    benchmark : dict
        ``label``, ``tle``, ``altitude_km``, ``min_elevation_deg``, ``designators``, ``name_pattern``.
    catch_up_metric : str
    tolerance : float
        A metric "matches" when within this (absolute) of the benchmark, or better.
    map_dates : tuple of numpy.datetime64
    map_case : str
    formats : tuple of str
    source : str
    events : tuple of Event
        Dated annotations (orders, waivers) drawn on the timeline; the model does not act on them.
    hindcast : HindcastSpec or None
        The forecast graded against observed counts (:mod:`constellations.race.hindcast`).
    """

    name: str
    description: str
    launches: str
    operator: str
    rival: str
    cases: tuple
    start: np.datetime64
    horizon: np.datetime64
    failures: str
    seed: int
    milestones: tuple
    analysis: dict
    benchmark: dict
    catch_up_metric: str
    tolerance: float
    map_dates: tuple
    map_case: str
    formats: tuple = ("png",)
    source: str = ""
    events: tuple = ()
    hindcast: HindcastSpec | None = None

    def with_analysis(self, **changes) -> RaceScenario:
        """A copy with some analysis settings changed (e.g. ``duration_s=3600``)."""
        bad = [k for k in changes if k not in self.analysis]
        if bad:
            raise ValueError(f"unknown analysis settings {bad}; allowed: {', '.join(self.analysis)}")
        return dataclasses.replace(self, analysis={**self.analysis, **changes})

    def months(self) -> np.ndarray:
        """Snapshot dates: the first day of every month from ``start`` to ``horizon``, datetime64[D]."""
        m0 = self.start.astype("datetime64[M]")
        m1 = self.horizon.astype("datetime64[M]")
        return np.arange(m0, m1 + np.timedelta64(1, "M")).astype("datetime64[D]")

    def to_dict(self) -> dict:
        """JSON-friendly parameters (for result attributes)."""
        out = dataclasses.asdict(self)
        out["source"] = display_path(self.source) if self.source else ""  # no local paths in results
        out["launches"] = display_path(self.launches)
        return json.loads(json.dumps(out, default=str))


def race_scenario_path(path_or_name="deployment_race") -> Path:
    """The file of a race scenario: a path, or a bare name of ``scenarios/<name>.toml`` in the data folder.

    Raises
    ------
    ValueError
        If there is no such file; the message lists the shipped scenarios.
    """
    return scenario_file(path_or_name, "race scenario")


def load_race_scenario(path_or_name="deployment_race", *, fast: bool = False) -> RaceScenario:
    """Read and check a deployment-race scenario.

    Parameters
    ----------
    path_or_name : str or path
        A TOML file, or a bare name resolved to ``scenarios/<name>.toml`` of the data folder.
    fast : bool
        Apply the file's ``[fast]`` overrides (a coarse, short analysis for CI and notebooks).

    Returns
    -------
    RaceScenario

    Raises
    ------
    ValueError
        ``FILE: key.path = VALUE: allowed; fix`` for any mistake (see :func:`race_scenario_from_dict`).

    Examples
    --------
    >>> s = load_race_scenario("deployment_race")
    >>> s.operator, s.cases, s.catch_up_metric
    ('kuiper', ('low', 'nominal', 'high'), 'continuous_population_band')
    """
    path = race_scenario_path(path_or_name)
    raw = read_toml(path, what="race scenario")
    return race_scenario_from_dict(raw, where=str(path), source=str(path), fast=fast)


def _window_start(c: Checker, value, key: str) -> str:
    """The analysis window's start: a UTC time (TOML datetime or text) or a date (midnight UTC)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, str | dt.datetime):
        raise c.error(key, value, 'must be a UTC time like "2025-07-28T00:00:00Z"')
    try:
        parse_utc(value)
    except ValueError as e:
        raise c.error(key, value, f'must be a UTC time like "2025-07-28T00:00:00Z" ({e})') from None
    return str(value)


def _analysis(c: Checker, raw, prefix: str, base: dict) -> dict:
    """Per-snapshot analysis settings of ``[analysis]`` or ``[fast]`` over ``base``."""
    c.table(raw, prefix)
    c.keys(raw, ANALYSIS_KEYS, f"{prefix}.")
    a = dict(base)
    k = f"{prefix}."
    if "duration_h" in raw and "duration_s" in raw:
        raise c.error(f"{k}duration_s", raw["duration_s"], "is given together with duration_h; keep one")
    if "window_start" in raw:
        a["window_start"] = _window_start(c, raw["window_start"], f"{k}window_start")
    if "duration_h" in raw:
        a["duration_s"] = 3600.0 * c.number(raw["duration_h"], f"{k}duration_h", "3", low=0)
    if "duration_s" in raw:
        a["duration_s"] = c.number(raw["duration_s"], f"{k}duration_s", "10800", low=1, strict_low=False)
    if "step_s" in raw:
        a["step_s"] = c.number(raw["step_s"], f"{k}step_s", "60", low=1, strict_low=False)
    if "grid_spacing_deg" in raw:
        a["grid_spacing_deg"] = c.number(raw["grid_spacing_deg"], f"{k}grid_spacing_deg", "4", low=0.1,
                                         strict_low=False, high=30.0)
    if "city_min_population" in raw:
        a["city_min_population"] = c.number(raw["city_min_population"], f"{k}city_min_population",
                                            "1000000", low=0, strict_low=False)
    if "city_parts" in raw:
        a["city_parts"] = c.number(raw["city_parts"], f"{k}city_parts", "2", low=1, strict_low=False,
                                   integer=True)
    if "populated_lat_deg" in raw:
        lo, hi = c.numbers(raw["populated_lat_deg"], f"{k}populated_lat_deg", 2, "[-56.0, 56.0]", low=-90,
                           strict_low=False, high=90)
        if hi <= lo:
            raise c.error(f"{k}populated_lat_deg", raw["populated_lat_deg"], "north must exceed south; "
                          "give [south, north] in degrees, e.g. [-56.0, 56.0]")
        a["populated_lat_deg"] = (lo, hi)
    if "boundary" in raw:
        a["boundary"] = c.choice(raw["boundary"], f"{k}boundary", BOUNDARIES)
    if "min_elevation_deg" in raw:
        a["min_elevation_deg"] = c.number(raw["min_elevation_deg"], f"{k}min_elevation_deg", "35", low=0,
                                          strict_low=False, high=89)
    if a["duration_s"] < a["step_s"]:
        raise c.error(f"{k}step_s", a["step_s"], f"is longer than the window ({a['duration_s']:g} s); "
                      "shorten the step or lengthen the window")
    return a


def _launch_model(c: Checker, value) -> LaunchModel:
    """The scenario's launch model, read and checked now (its messages name the launch file)."""
    name = c.string(value, "launches", '"launches.toml"')
    path = Path(name).expanduser()
    if not path.is_file() and not data_path(path).is_file():
        raise c.error("launches", value, "no such launch file, neither as a path nor in the data folder "
                      f"({data_dir()}); e.g. launches = \"launches.toml\"")
    return LaunchModel.from_toml(name)


def _milestones(c: Checker, raw) -> tuple:
    if not isinstance(raw, list):
        raise c.error("milestones", raw, "must be a list of [[milestones]] tables with satellites and "
                      "deadline")
    out = []
    for i, m in enumerate(raw):
        w = f"milestones[{i}]"
        c.table(m, w)
        c.keys(m, MILESTONE_KEYS, f"{w}.", required=("satellites", "deadline"))
        n = c.number(m["satellites"], f"{w}.satellites", "1618", low=1, strict_low=False, integer=True)
        label = f"{n:,} satellites"
        if "label" in m:
            label = c.string(m["label"], f"{w}.label", '"FCC 50 % (1,618)"')
        note = c.string(m["note"], f"{w}.note", '"waived 2026-06-05"', max_chars=MAX_DESCRIPTION_CHARS) \
            if "note" in m else ""
        out.append(Milestone(label, n, np.datetime64(c.date(m["deadline"], f"{w}.deadline", "2026-07-30"),
                                                     "D"), note))
    return tuple(out)


def _events(c: Checker, raw) -> tuple:
    if not isinstance(raw, list):
        raise c.error("events", raw, "must be a list of [[events]] tables with date and label")
    out = []
    for i, e in enumerate(raw):
        w = f"events[{i}]"
        c.table(e, w)
        c.keys(e, EVENT_KEYS, f"{w}.", required=("date", "label"))
        out.append(Event(np.datetime64(c.date(e["date"], f"{w}.date", "2026-06-05"), "D"),
                         c.string(e["label"], f"{w}.label", '"FCC waives the 50 % milestone"'),
                         c.string(e["source"], f"{w}.source", '"FCC order [secondary]"',
                                  max_chars=MAX_DESCRIPTION_CHARS) if "source" in e else ""))
    return tuple(out)


def _hindcast(c: Checker, raw, operator: str) -> HindcastSpec:
    """The ``[hindcast]`` table: a frozen launch file, its cases, and the observed counts."""
    c.table(raw, "hindcast")
    c.keys(raw, HINDCAST_KEYS, "hindcast.", required=("launches", "observed"))
    name = c.string(raw["launches"], "hindcast.launches", '"launches_2025.toml"')
    path = Path(name).expanduser()
    if not path.is_file() and not data_path(path).is_file():
        raise c.error("hindcast.launches", name, "no such launch file, neither as a path nor in the data "
                      f"folder ({data_dir()}); e.g. launches = \"launches_2025.toml\"")
    model = LaunchModel.from_toml(name)
    if operator not in model.operators:
        raise c.error("hindcast.launches", name, f"has no operator {operator!r} (the race's operator); "
                      "give the frozen launch file of that operator")
    op_cases = model.operators[operator].cases
    cases = c.strings(raw.get("cases", list(op_cases)), "hindcast.cases", '["low", "nominal", "high"]',
                      unique=True)
    for i, case in enumerate(cases):
        c.choice(case, f"hindcast.cases[{i}]", op_cases)
    observed = raw["observed"]
    if not isinstance(observed, list) or not observed:
        raise c.error("hindcast.observed", observed, "must be a non-empty list of tables, e.g. "
                      "observed = [{ date = 2026-08-22, satellites = 391, source = \"TLE\" }]")
    obs = []
    for i, o in enumerate(observed):
        w = f"hindcast.observed[{i}]"
        c.table(o, w)
        c.keys(o, OBSERVED_KEYS, f"{w}.", required=("date", "satellites"))
        day = np.datetime64(c.date(o["date"], f"{w}.date", "2026-08-22"), "D")
        if obs and day <= obs[-1].date:
            raise c.error(f"{w}.date", str(day), f"does not come after the date of entry {i - 1} "
                          f"({obs[-1].date}); list the observations by date, one per day")
        obs.append(Observation(day, c.number(o["satellites"], f"{w}.satellites", "391", low=0,
                                             strict_low=False, integer=True),
                               c.string(o["source"], f"{w}.source", '"TLE 2026-08-22"',
                                        max_chars=MAX_DESCRIPTION_CHARS) if "source" in o else ""))
    return HindcastSpec(launches=name, cases=cases, observations=tuple(obs))


def _benchmark(c: Checker, raw) -> dict:
    c.table(raw, "benchmark")
    c.keys(raw, BENCHMARK_KEYS, "benchmark.", required=("tle",))
    tle = c.string(raw["tle"], "benchmark.tle", '"tle/starlink_20250727.tle"')
    if not data_path(tle).is_file():
        raise c.error("benchmark.tle", tle, f"no such TLE file in the data folder ({data_dir()}) or as a "
                      'path; e.g. tle = "tle/starlink_20250727.tle"')
    altitude = raw.get("altitude_km")
    if altitude is not None:
        altitude = c.numbers(altitude, "benchmark.altitude_km", 2, "[460, 600]", low=0)
        if altitude[1] <= altitude[0]:
            raise c.error("benchmark.altitude_km", raw["altitude_km"], "the upper altitude must exceed the "
                          "lower; give [low, high] in km, e.g. [460, 600]")
    designators = raw.get("designators")
    if designators is not None:
        designators = c.strings(designators, "benchmark.designators", '["2025-088"]')
    pattern = raw.get("name_pattern")
    if pattern is not None:
        pattern = c.string(pattern, "benchmark.name_pattern", '"STARLINK*"')
    return {"label": c.string(raw.get("label", "benchmark"), "benchmark.label", '"Starlink mid-2025 (TLE)"'),
            "tle": tle, "altitude_km": altitude, "designators": designators, "name_pattern": pattern,
            "min_elevation_deg": c.number(raw.get("min_elevation_deg", 25.0), "benchmark.min_elevation_deg",
                                          "25", low=0, strict_low=False, high=89)}


def race_scenario_from_dict(raw: dict, where: str = "scenario", source: str = "",
                            fast: bool = False) -> RaceScenario:
    """Build and check a :class:`RaceScenario` from a TOML-like dict (see :func:`load_race_scenario`).

    Parameters
    ----------
    raw : dict
    where : str
        The file named at the start of every message.
    source : str
        Where the scenario was read from.
    fast : bool
        Use the ``[fast]`` analysis settings (they are checked either way).

    Returns
    -------
    RaceScenario

    Raises
    ------
    ValueError
        ``WHERE: key.path = VALUE: allowed; fix``: unknown keys at every level (top, ``analysis``,
        ``fast``, ``benchmark``, ``answers``, ``figures``, each milestone), numbers written as strings,
        values out of range, bad dates, a horizon before the start, unknown operators, cases, metrics
        and figure formats, a missing launch or TLE file, an operator without a constellation.
        The launch file is read and checked too (its messages name it).
    """
    c = Checker(where)
    c.table(raw, "race scenario")
    c.keys(raw, TOP_KEYS, "", required=("kind", "name", "launches", "operator", "start", "horizon"))
    c.choice(raw["kind"], "kind", (SCENARIO_KIND,))
    name = c.string(raw["name"], "name", '"deployment_race"')
    description = ""
    if "description" in raw:
        description = c.string(raw["description"], "description", '"When does ... catch up?"',
                               max_chars=MAX_DESCRIPTION_CHARS, multiline=True)
    start = np.datetime64(c.date(raw["start"], "start", "2025-08-01"), "D")
    horizon = np.datetime64(c.date(raw["horizon"], "horizon", "2030-12-01"), "D")
    if horizon <= start:
        raise c.error("horizon", str(horizon), f"must come after start ({start}); give a later horizon")
    model = _launch_model(c, raw["launches"])
    operator = c.choice(raw["operator"], "operator", model.operators)
    op = model.operators[operator]
    if op.constellation is None:
        raise c.error("operator", operator, f"has no constellation to analyse in {model.source}; choose "
                      "an operator with constellation = '<preset>' in the launch file")
    rival = raw.get("rival", "")
    if rival != "":
        rival = c.choice(rival, "rival", model.operators)
    cases = c.strings(raw.get("cases", ["low", "nominal", "high"]), "cases", '["low", "nominal", "high"]',
                      unique=True)
    for i, case in enumerate(cases):
        c.choice(case, f"cases[{i}]", op.cases)
        if rival and case not in model.operators[rival].cases:
            raise c.error(f"cases[{i}]", case, f"is not a case of the rival {rival!r} (its cases: "
                          f"{', '.join(model.operators[rival].cases)}); every case must exist for both")
    milestones = _milestones(c, raw.get("milestones", []))
    events = _events(c, raw.get("events", []))
    hindcast = _hindcast(c, raw["hindcast"], operator) if "hindcast" in raw else None
    analysis = _analysis(c, raw.get("analysis", {}), "analysis", DEFAULT_ANALYSIS)
    fast_analysis = _analysis(c, raw.get("fast", {}), "fast", analysis)  # checked in every run
    benchmark = _benchmark(c, raw.get("benchmark", {}))
    answers = c.table(raw.get("answers", {}), "answers")
    c.keys(answers, ANSWERS_KEYS, "answers.")
    metric = c.choice(answers.get("catch_up_metric", "continuous_population_band"), "answers.catch_up_metric",
                      METRICS)
    tolerance = c.number(answers.get("tolerance", 0.0), "answers.tolerance", "0.0", low=0, strict_low=False)
    figures = c.table(raw.get("figures", {}), "figures")
    c.keys(figures, FIGURES_KEYS, "figures.")
    map_case = c.choice(figures.get("map_case", "nominal" if "nominal" in cases else cases[0]),
                        "figures.map_case", cases)
    map_dates_raw = figures.get("map_dates", [])
    if not isinstance(map_dates_raw, list):
        raise c.error("figures.map_dates", map_dates_raw, "must be a list of dates, e.g. [2026-07-01]")
    map_dates = []
    for i, d in enumerate(map_dates_raw):
        day = np.datetime64(c.date(d, f"figures.map_dates[{i}]", "2026-07-01"), "D")
        if not start <= day <= horizon:
            raise c.error(f"figures.map_dates[{i}]", str(day), f"lies outside the timeline {start} to "
                          f"{horizon}; pick a date in it")
        map_dates.append(day)
    formats = c.strings(figures.get("formats", ["png"]), "figures.formats", '["png"]', unique=True)
    for i, fmt in enumerate(formats):
        c.choice(fmt, f"figures.formats[{i}]", SAVE_FORMATS)
    return RaceScenario(
        name=name, description=description, launches=str(raw["launches"]), operator=operator, rival=rival,
        cases=cases, start=start, horizon=horizon,
        failures=c.choice(raw.get("failures", "expected"), "failures", FAILURE_MODES),
        seed=c.number(raw.get("seed", 0), "seed", "0", low=0, strict_low=False, integer=True),
        milestones=milestones, analysis=fast_analysis if fast else analysis, benchmark=benchmark,
        catch_up_metric=metric, tolerance=tolerance, map_dates=tuple(map_dates), map_case=map_case,
        formats=formats, source=source, events=events, hindcast=hindcast)
