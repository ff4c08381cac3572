"""The Golden Dome sizing scenario: a frozen :class:`SizingScenario` and its checked TOML loader.

A ``kind = "golden_dome_sizing"`` file (``constellations/data/scenarios/golden_dome_sizing.toml``)
names the launch sites, the reach assumptions, the layer whose SBIs are counted, the map, the sizing
sweep and the tracking layers. :func:`load_sizing_scenario` checks every key of it with
:mod:`constellations.validation` -- unknown keys at every level, strict types, ranges -- before any
computing starts, and returns plain frozen values that
:func:`constellations.goldendome.run.run_sizing_scenario` runs.

Examples
--------
>>> s = load_sizing_scenario({"kind": "golden_dome_sizing", "duration_h": 1, "step_s": 60,
...                           "sites": {"names": ["Sohae"]}})
>>> s.duration_s, [site.name for site in s.sites], [r.name for r in s.reaches]
(3600.0, ['Sohae'], ['solid-4kms'])
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..constellation import Constellation, walker_delta
from ..frames import parse_utc
from ..sources.datafiles import scenario_file
from ..sources.presets import preset, presets
from ..validation import Checker, did_you_mean, read_toml
from .counting import DEFAULT_START
from .reach import REACH_ASSUMPTIONS, ReachModel
from .sites import ThreatSite, sites_from_points, sites_in_country, threat_sites
from .sizing import FAMILIES, MAX_SATELLITES, PatternFamily

__all__ = [
    "SCENARIO_KIND",
    "InReachSpec",
    "MapSpec",
    "SizingScenario",
    "SizingSpec",
    "TrackingSpec",
    "load_sizing_scenario",
    "sizing_scenario_path",
]

SCENARIO_KIND = "golden_dome_sizing"

_TOP_KEYS = ("kind", "name", "description", "start", "duration_h", "step_s", "sites", "reach", "metrics",
             "map", "sizing", "tracking", "fast")
_SITES_KEYS = ("names", "points", "countries")
_POINT_KEYS = ("name", "lat_deg", "lon_deg")
_COUNTRY_KEYS = ("name", "spacing_deg")
_METRICS_KEYS = ("constellation", "k_max", "percentiles", "figure_reach", "figure_hours")
_MAP_KEYS = ("reach", "spacing_deg", "step_s")
_SIZING_KEYS = ("sites", "ks", "share", "n_max", "families", "reaches")
_FAMILY_KEYS = ("kind", "altitude_km", "inclination_deg")
_TRACKING_KEYS = ("min_sensors", "sensors")
_SENSOR_KEYS = ("preset", "name", "total", "planes", "phasing", "altitude_km", "inclination_deg",
                "min_elevation_deg")
_FAST_KEYS = ("duration_h", "step_s", "map_spacing_deg", "map_step_s", "sizing_ks", "sizing_reaches",
              "sizing_families")
_MAX_DURATION_H = 24.0 * 366  # a year: longer windows are a typo, not a study
_TEXT_CHARS = 2000


@dataclass(frozen=True)
class InReachSpec:
    """What the in-reach statistics count: the layer, the salvo sizes, the percentiles, the figure.

    Attributes
    ----------
    constellation : str
        Preset whose SBIs are counted.
    k_max : int
        Salvo sizes 1..k_max.
    percentiles : tuple of float
        Lower percentiles of the in-reach count, percent.
    figure_reach : ReachModel
        Reach drawn in the time-series figure.
    figure_hours : float
        Hours shown in that figure.
    """

    constellation: str = "golden_dome"
    k_max: int = 10
    percentiles: tuple[float, ...] = (1.0, 5.0)
    figure_reach: ReachModel = REACH_ASSUMPTIONS["solid-4kms"]
    figure_hours: float = 6.0


@dataclass(frozen=True)
class MapSpec:
    """The mean-in-reach map: reach, grid spacing (deg) and time step (s)."""

    reach: ReachModel
    spacing_deg: float = 2.0
    step_s: float = 60.0


@dataclass(frozen=True)
class SizingSpec:
    """The sizing sweep: sites, salvo sizes, required share of time, size limit, families, reaches.

    ``families`` holds ``(kind, altitude_km, inclination_deg)`` tuples (see
    :class:`~constellations.goldendome.sizing.PatternFamily`).
    """

    sites: tuple[ThreatSite, ...]
    ks: tuple[int, ...]
    share: float
    n_max: int
    families: tuple[tuple[str, float, float], ...]
    reaches: tuple[ReachModel, ...]


@dataclass(frozen=True)
class TrackingSpec:
    """The tracking layers checked for stereo coverage: sensors needed at once, sensor layers."""

    min_sensors: int
    sensors: tuple[Constellation, ...]


@dataclass(frozen=True)
class SizingScenario:
    """A checked Golden Dome sizing scenario (from :func:`load_sizing_scenario`).

    Attributes
    ----------
    name, description : str
    start : str
        UTC start, ISO 8601.
    duration_s, step_s : float
        Window and step, s.
    sites : tuple of ThreatSite
        Launch sites of the in-reach statistics, map marks and tracking.
    reaches : tuple of ReachModel
        Reach assumptions of the in-reach statistics.
    metrics : InReachSpec
    map : MapSpec or None
    sizing : SizingSpec
    tracking : TrackingSpec or None
    fast : bool
        Whether the ``[fast]`` table was applied.
    """

    name: str
    description: str
    start: str
    duration_s: float
    step_s: float
    sites: tuple[ThreatSite, ...]
    reaches: tuple[ReachModel, ...]
    metrics: InReachSpec
    map: MapSpec | None
    sizing: SizingSpec
    tracking: TrackingSpec | None
    fast: bool = False


def sizing_scenario_path(path_or_name=SCENARIO_KIND) -> Path:
    """The file of a sizing scenario: a path, or a bare name of ``scenarios/<name>.toml`` in the data folder.

    Raises
    ------
    ValueError
        If there is no such file; the message lists the shipped scenarios.

    Examples
    --------
    >>> sizing_scenario_path("golden_dome_sizing").name
    'golden_dome_sizing.toml'
    """
    return scenario_file(path_or_name, "sizing scenario")


def load_sizing_scenario(source=SCENARIO_KIND, *, fast: bool = False) -> SizingScenario:
    """Read and check a ``kind = "golden_dome_sizing"`` scenario (TOML file, shipped name or dict).

    Parameters
    ----------
    source : str, Path or dict
        A file (e.g. ``constellations/data/scenarios/golden_dome_sizing.toml``), the bare name of a
        shipped scenario (``"golden_dome_sizing"``) or the parsed table.
    fast : bool
        Apply the ``[fast]`` table (small settings for CI). The table is checked either way.

    Returns
    -------
    SizingScenario

    Raises
    ------
    ValueError
        For every mistake, before anything is computed, in the form ``FILE: key.path = VALUE: what is
        allowed; how to fix`` (:mod:`constellations.validation`): unknown keys at any level (with a
        did-you-mean), strings where numbers belong, values out of range (``k_max = 0``,
        ``share = 1.5``, a step or duration that is not positive), unknown sites, presets or reach
        names.
    """
    if isinstance(source, dict):
        raw, where = dict(source), "scenario"
    else:
        path = sizing_scenario_path(source)
        raw, where = read_toml(path, what="scenario"), str(path)
    c = Checker(where)
    c.keys(raw, _TOP_KEYS, required=("kind",))
    if raw["kind"] != SCENARIO_KIND:
        raise c.error("kind", raw["kind"], f"must be {SCENARIO_KIND!r} for this loader; coverage and race "
                                           "scenarios have their own (constellations run picks it)")
    fast_cfg = _fast_table(c, raw.get("fast", {}))
    use = fast_cfg if fast else {}

    duration_h = c.number(raw.get("duration_h", 24.0), "duration_h", "24", low=0.0, high=_MAX_DURATION_H)
    step_s = c.number(raw.get("step_s", 10.0), "step_s", "10", low=0.0)
    duration_h, step_s = use.get("duration_h", duration_h), use.get("step_s", step_s)
    if step_s > 3600.0 * duration_h:
        raise c.error("step_s", step_s, f"is longer than the window of {duration_h:g} h; give a step of "
                                        "at most the window, e.g. step_s = 10")
    sites = _sites(c, c.table(raw.get("sites", {}), "sites"))
    reaches = _reaches(c, raw.get("reach", [{"preset": "solid-4kms"}]))
    by_name = {r.name: r for r in reaches}

    def pick_reach(value, key):
        """A reach named in the scenario's [[reach]] tables or one of REACH_ASSUMPTIONS."""
        name = c.string(value, key, '"solid-4kms"')
        if name in by_name:
            return by_name[name]
        if name in REACH_ASSUMPTIONS:
            return REACH_ASSUMPTIONS[name]
        choices = [*by_name, *(n for n in REACH_ASSUMPTIONS if n not in by_name)]
        raise c.error(key, value, f"is not a reach of this scenario's [[reach]] tables nor a named "
                                  f"assumption set{did_you_mean(name, choices)}; choose among {choices}")

    metrics = _metrics(c, c.table(raw.get("metrics", {}), "metrics"), reaches[0].name, pick_reach)
    map_spec = None
    if "map" in raw:
        mp = c.table(raw["map"], "map")
        c.keys(mp, _MAP_KEYS, prefix="map.")
        spacing = use.get("map_spacing_deg",
                          c.number(mp.get("spacing_deg", 2.0), "map.spacing_deg", "2.0", low=0.0, high=90.0))
        map_step = use.get("map_step_s", c.number(mp.get("step_s", 60.0), "map.step_s", "60", low=0.0))
        map_spec = MapSpec(pick_reach(mp.get("reach", reaches[0].name), "map.reach"), spacing, map_step)
    sizing = _sizing(c, c.table(raw.get("sizing", {}), "sizing"), use, sites, reaches, pick_reach)
    tracking = _tracking(c, c.table(raw["tracking"], "tracking")) if "tracking" in raw else None
    return SizingScenario(
        name=c.string(raw.get("name", SCENARIO_KIND), "name", '"golden_dome_sizing"'),
        description=(c.string(raw["description"], "description", '"what the study asks"',
                              max_chars=_TEXT_CHARS, multiline=True) if "description" in raw else ""),
        start=_start(c, raw.get("start", DEFAULT_START)),
        duration_s=3600.0 * duration_h, step_s=step_s, sites=sites, reaches=reaches, metrics=metrics,
        map=map_spec, sizing=sizing, tracking=tracking, fast=bool(fast))


# --------------------------------------------------------------------------- the tables


def _start(c: Checker, value) -> str:
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    text = c.string(value, "start", '"2025-07-01T00:00:00Z"')
    try:
        return parse_utc(text).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise c.error("start", value, 'must be a UTC time in ISO 8601, e.g. start = "2025-07-01T00:00:00Z"'
                      ) from None


def _fast_table(c: Checker, table) -> dict:
    """The ``[fast]`` overrides, checked whether or not they are applied."""
    table = c.table(table, "fast")
    c.keys(table, _FAST_KEYS, prefix="fast.")
    out = dict(table)
    if "duration_h" in table:
        out["duration_h"] = c.number(table["duration_h"], "fast.duration_h", "3", low=0.0,
                                     high=_MAX_DURATION_H)
    for key, example, high in (("step_s", "30", None), ("map_spacing_deg", "10.0", 90.0),
                               ("map_step_s", "600", None)):
        if key in table:
            out[key] = c.number(table[key], f"fast.{key}", example, low=0.0, high=high)
    if "sizing_ks" in table:
        out["sizing_ks"] = _ks(c, table["sizing_ks"], "fast.sizing_ks")
    if "sizing_reaches" in table:
        out["sizing_reaches"] = c.strings(table["sizing_reaches"], "fast.sizing_reaches", '["solid-4kms"]')
    if "sizing_families" in table:
        out["sizing_families"] = c.number(table["sizing_families"], "fast.sizing_families", "1", low=1,
                                          strict_low=False, integer=True)
    return out


def _ks(c: Checker, value, key: str) -> tuple[int, ...]:
    ks = c.numbers(value, key, None, "[1, 2, 5, 10]", low=1, strict_low=False, high=MAX_SATELLITES,
                   integer=True)
    if len(set(ks)) != len(ks):
        raise c.error(key, value, "lists a salvo size twice; give each k once")
    return ks


def _site_names(c: Checker, value, key: str) -> tuple[ThreatSite, ...]:
    """Sites of the shipped threats.toml, by name (case-insensitive), with a did-you-mean."""
    names = c.strings(value, key, '["Sohae", "Plesetsk"]', unique=True)
    known = {s.name.lower(): s for s in threat_sites()}
    out = []
    for i, n in enumerate(names):
        if n.lower() not in known:
            choices = [s.name for s in known.values()]
            raise c.error(f"{key}[{i}]", n, f"is not a site of threats.toml{did_you_mean(n, choices)}; "
                                            f"choose among {choices}, or add a [[sites.points]] entry")
        out.append(known[n.lower()])
    return tuple(out)


def _sites(c: Checker, table) -> tuple[ThreatSite, ...]:
    c.keys(table, _SITES_KEYS, prefix="sites.")
    sites = list(_site_names(c, table["names"], "sites.names")) if "names" in table else []
    points = table.get("points", [])
    if not isinstance(points, list):
        raise c.error("sites.points", points, 'must be a list of tables, e.g. points = [{ name = "Barents '
                                              'Sea", lat_deg = 72.0, lon_deg = 40.0 }]')
    for i, p in enumerate(points):
        key = f"sites.points[{i}]"
        p = c.table(p, key)
        c.keys(p, _POINT_KEYS, prefix=f"{key}.", required=("lat_deg", "lon_deg"))
        lat = c.number(p["lat_deg"], f"{key}.lat_deg", "72.0", low=-90.0, high=90.0, strict_low=False)
        lon = c.number(p["lon_deg"], f"{key}.lon_deg", "40.0")
        name = c.string(p.get("name", f"point {i + 1}"), f"{key}.name", '"Barents Sea"')
        sites += sites_from_points([lat], [lon], [name])
    countries = table.get("countries", [])
    if not isinstance(countries, list):
        raise c.error("sites.countries", countries, 'must be a list, e.g. countries = [{ name = "North '
                                                    'Korea", spacing_deg = 1.0 }]')
    for i, entry in enumerate(countries):
        key = f"sites.countries[{i}]"
        entry = {"name": entry} if isinstance(entry, str) else c.table(entry, key)
        c.keys(entry, _COUNTRY_KEYS, prefix=f"{key}.", required=("name",))
        name = c.string(entry["name"], f"{key}.name", '"North Korea"')
        spacing = c.number(entry.get("spacing_deg", 2.0), f"{key}.spacing_deg", "1.0", low=0.0, high=30.0)
        try:
            sites += sites_in_country(name, spacing)
        except ValueError as exc:
            raise c.error(f"{key}.name", name, str(exc)) from None
    if not sites:
        sites = threat_sites()
    seen = set()
    for s in sites:
        if s.name in seen:
            raise c.error("sites", s.name, "names this site twice (names, points and countries together); "
                                           "give each site once")
        seen.add(s.name)
    return tuple(sites)


def _reaches(c: Checker, entries) -> tuple[ReachModel, ...]:
    if not isinstance(entries, list) or not entries:
        raise c.error("reach", entries, 'must be one or more [[reach]] tables, e.g. [[reach]] with '
                                        'preset = "solid-4kms"')
    reaches = tuple(ReachModel.from_dict(r, where=c.where, key=f"reach[{i}]") for i, r in enumerate(entries))
    names = [r.name for r in reaches]
    for i, n in enumerate(names):
        if names.index(n) != i:
            raise c.error(f"reach[{i}].name", n, f"is already the name of reach[{names.index(n)}]; give "
                                                 "each reach assumption its own name")
    return reaches


def _metrics(c: Checker, m, first_reach: str, pick_reach) -> InReachSpec:
    c.keys(m, _METRICS_KEYS, prefix="metrics.")
    layer = c.choice(m.get("constellation", "golden_dome"), "metrics.constellation", presets())
    k_max = c.number(m.get("k_max", 10), "metrics.k_max", "10", low=1, strict_low=False, high=10_000,
                     integer=True)
    pct = c.numbers(m.get("percentiles", [1, 5]), "metrics.percentiles", None, "[1, 5]", low=0.0,
                    strict_low=False, high=100.0)
    return InReachSpec(constellation=layer, k_max=k_max, percentiles=tuple(float(p) for p in pct),
                       figure_reach=pick_reach(m.get("figure_reach", first_reach), "metrics.figure_reach"),
                       figure_hours=c.number(m.get("figure_hours", 6.0), "metrics.figure_hours", "6",
                                             low=0.0))


def _sizing(c: Checker, sz, use: dict, sites, reaches, pick_reach) -> SizingSpec:
    c.keys(sz, _SIZING_KEYS, prefix="sizing.")
    families_raw = sz.get("families", [{}])
    if not isinstance(families_raw, list) or not families_raw:
        raise c.error("sizing.families", families_raw, 'must be a non-empty list of tables, e.g. families = '
                                                       '[{ kind = "walker", altitude_km = 400.0, '
                                                       'inclination_deg = 50.0 }]')
    families = []
    for i, f in enumerate(families_raw):
        key = f"sizing.families[{i}]"
        f = c.table(f, key)
        c.keys(f, _FAMILY_KEYS, prefix=f"{key}.")
        fam = (c.choice(f.get("kind", "walker"), f"{key}.kind", FAMILIES),
               c.number(f.get("altitude_km", 400.0), f"{key}.altitude_km", "400.0", low=0.0),
               c.number(f.get("inclination_deg", 50.0), f"{key}.inclination_deg", "50.0", low=0.0,
                        strict_low=False, high=180.0))
        try:
            PatternFamily(*fam)
        except ValueError as exc:
            raise c.error(key, f, str(exc)) from None
        families.append(fam)
    families = families[: use.get("sizing_families", len(families))]
    if "sizing_reaches" in use:
        chosen = tuple(pick_reach(r, f"fast.sizing_reaches[{i}]")
                       for i, r in enumerate(use["sizing_reaches"]))
    elif "reaches" in sz:
        names = c.strings(sz["reaches"], "sizing.reaches", '["solid-4kms"]', unique=True)
        chosen = tuple(pick_reach(r, f"sizing.reaches[{i}]") for i, r in enumerate(names))
    else:
        chosen = reaches
    ks = use["sizing_ks"] if "sizing_ks" in use else _ks(c, sz.get("ks", list(range(1, 11))), "sizing.ks")
    n_max = c.number(sz.get("n_max", 60_000), "sizing.n_max", "60000", low=1, strict_low=False,
                     high=MAX_SATELLITES, integer=True)
    if max(ks) > n_max:
        raise c.error("sizing.n_max", n_max, f"is below the largest salvo size k = {max(ks)}; give at "
                                             "least that many satellites, e.g. n_max = 60000")
    return SizingSpec(
        sites=_site_names(c, sz["sites"], "sizing.sites") if "sites" in sz else tuple(sites[:1]),
        ks=tuple(ks),
        share=c.number(sz.get("share", 0.999), "sizing.share", "0.999", low=0.0, high=1.0),
        n_max=n_max, families=tuple(families), reaches=chosen)


def _tracking(c: Checker, tr) -> TrackingSpec:
    c.keys(tr, _TRACKING_KEYS, prefix="tracking.")
    min_sensors = c.number(tr.get("min_sensors", 2), "tracking.min_sensors", "2", low=1, strict_low=False,
                           high=1000, integer=True)
    entries = tr.get("sensors", [{"preset": "golden_dome"}])
    if not isinstance(entries, list) or not entries:
        raise c.error("tracking.sensors", entries, 'must be a non-empty list of tables, e.g. sensors = '
                                                   '[{ preset = "golden_dome" }]')
    return TrackingSpec(min_sensors, tuple(_sensor_layer(c, s, f"tracking.sensors[{i}]")
                                           for i, s in enumerate(entries)))


def _sensor_layer(c: Checker, spec, key: str) -> Constellation:
    """A tracking layer: a preset, or a Walker delta shell given by its numbers."""
    spec = c.table(spec, key)
    c.keys(spec, _SENSOR_KEYS, prefix=f"{key}.")
    if "preset" in spec:
        extra = sorted(set(spec) - {"preset"})
        if extra:
            raise c.error(f"{key}.{extra[0]}", spec[extra[0]], "cannot be combined with preset; give either "
                                                               "a preset or a Walker shell's numbers")
        return preset(c.choice(spec["preset"], f"{key}.preset", presets()))
    missing = [k for k in ("total", "planes", "altitude_km", "inclination_deg") if k not in spec]
    if missing:
        raise c.missing(f"{key}.{missing[0]}", "a tracking sensor layer needs a preset, or total, planes, "
                                               "altitude_km and inclination_deg (a Walker shell)")
    total = c.number(spec["total"], f"{key}.total", "48", low=1, strict_low=False, high=MAX_SATELLITES,
                     integer=True)
    planes = c.number(spec["planes"], f"{key}.planes", "6", low=1, strict_low=False, high=total, integer=True)
    phasing = c.number(spec.get("phasing", 1), f"{key}.phasing", "1", low=0, strict_low=False, integer=True)
    altitude = c.number(spec["altitude_km"], f"{key}.altitude_km", "1000.0", low=0.0)
    inclination = c.number(spec["inclination_deg"], f"{key}.inclination_deg", "60.0", low=0.0,
                           strict_low=False, high=180.0)
    elevation = c.number(spec.get("min_elevation_deg", 10.0), f"{key}.min_elevation_deg", "10.0", low=0.0,
                         strict_low=False, high=90.0, strict_high=True)
    name = c.string(spec.get("name", "sensor layer"), f"{key}.name", '"notional tracking layer"',
                    max_chars=_TEXT_CHARS)
    try:
        return walker_delta(total, planes, phasing, altitude, inclination, name=name,
                            min_elevation_deg=elevation)
    except ValueError as exc:
        raise c.error(key, spec, str(exc)) from None
