"""Running a deployment race: launch model -> monthly snapshots -> metrics -> answers, results and figures.

:func:`run_race` takes a checked :class:`~constellations.race.scenario.RaceScenario` and returns a
:class:`RaceResult`: the timeline of satellites and metrics per case and month, coverage maps at
selected dates, and the answers (month each case reaches each milestone; month each metric first
matches the benchmark). :meth:`RaceResult.save` writes them (NetCDF, CSV, Markdown, each atomically);
:func:`run_scenario` loads, runs, saves, draws the figures and writes the index page;
:func:`resolution_check` compares the scenario's analysis settings with a finer reference.

All the distinct snapshots of all cases cost one counting pass over the full pattern
(:func:`constellations.race.snapshots.coverage_by_count`). Grid parts (the global grid, slices of the
city list) and the benchmark are independent tasks run by :func:`constellations.sweeps.map_tasks` on
Dask when it is installed, serially otherwise.

Per-snapshot analysis (defaults in the scenario file): a global 4-degree equal-area grid (2,578 cells)
plus the 1,249 Natural Earth populated places as population-weighted points, over a 3-hour window at
60 s steps, one window for every snapshot (the date selects which satellites exist, not the Earth's
orientation: a Walker pattern looks statistically the same at any epoch). Why that is enough: the
window spans about two orbits (97 min at 630 km) in which the Earth turns 45 degrees, four plane
spacings of the 630 km shell (10.6 degrees), so every cell sees the range of geometries; coverage time
and gaps come from exact access windows (to 0.5 s whatever the step), the 60 s step only samples the
satellites in view. Checked against a 1-degree grid over a whole day at 60 s (:data:`RESOLUTION_CHECK`,
exact windows): the benchmark and the snapshots of 1,618 and 3,236 satellites agree within 0.75
percentage points (band metrics exactly), and the smallest snapshot that matches the benchmark on the
headline metric is the same with both settings: 1,122 satellites (every size from 1,118 to 1,129 and
every 8th from 1,000 to 1,400 through :func:`resolution_check`, exact windows, 2026-12-01; 1,121
reaches 99.8 % and 97.5 % of the band's population; the sampled mode of earlier versions gave 1,124).
Sparse snapshots are flattered by the short window (578 satellites: continuous
coverage 0.3-0.9 points higher, longest gap 8.5 instead of 15.9 min), because a day holds rarer
alignments.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..atomic import atomic_write_text, relocate, staged_folder
from ..pages import dataframe_rows, write_index
from ..plotting.style import format_duration_s, format_percent
from ..result import save
from ..sources.datafiles import data_path, display_path
from ..sources.presets import preset
from ..sources.regions import city_grid
from ..sweeps import map_tasks
from .deployment import LaunchModel
from .figures import RACE_FIGURE_CAPTIONS, answer_rows, draw_race_figures
from .hindcast import HindcastResult, hindcast
from .hindcast_figures import draw_hindcast_figure
from .scenario import RaceScenario, load_race_scenario
from .snapshots import METRICS, _concat_cells, _coverage_task, race_metrics

__all__ = [
    "RESOLUTION_CHECK",
    "RaceResult",
    "resolution_check",
    "run_race",
    "run_scenario",
]

RESOLUTION_CHECK = """\
Scenario settings (4 deg grid, 3 h at 60 s, all 1,249 places) against a reference (1 deg grid, 1 day
at 60 s, same places), exact windows on WGS84; scripts/deployment_race.py --check-resolution, 240 s on
2 Dask workers (shared VM).

satellites      metric                         3 h / 4 deg   1 day / 1 deg
benchmark       continuous_area                99.92 %       99.79 %
benchmark       continuous_population(_band)   100 %         100 %
benchmark       visible_mean_population        40.53         40.63
578             continuous_area                51.5 %        50.6 %
578             continuous_population_band     68.1 %        67.8 %
578             coverage_time_area             82.50 %       82.57 %
578             revisit_max_band_s             8.5 min       15.9 min
1,618 and 3,236 continuous_area                84.70 %       84.70 %
1,618 and 3,236 continuous_population          99.15 %       99.15 %
1,618 and 3,236 coverage_time_area             84.70 %       85.44 %
1,618 and 3,236 band metrics                   100 %, 0 s    100 %, 0 s
all             visible_mean_population        within 0.1 %
"""
"""The resolution check behind the default per-snapshot settings (see the module docstring)."""



# --------------------------------------------------------------------------- running


@dataclass
class RaceResult:
    """Outcome of :func:`run_race`.

    Attributes
    ----------
    scenario : RaceScenario
    timeline : xarray.Dataset
        Dimensions ``case`` and ``date`` (monthly): ``satellites_launched``, ``satellites_in_orbit``,
        ``satellites_operational``, ``rival_satellites`` and every metric of :data:`METRICS`; the
        benchmark's values as ``benchmark_<metric>`` (no dimension).
    maps : xarray.Dataset
        ``coverage_time_fraction`` on (``panel``, ``cell``) for the map dates of the map case and the
        benchmark, with the cell coordinates of the ground grid.
    answers : pandas.DataFrame
        One row per (case, milestone) and (case, metric): the date reached (see :meth:`summary`).
    benchmark : dict
        Metric -> the benchmark's value.
    deployments : dict
        Case -> :class:`~constellations.deployment.Deployment` of the operator.
    timings : dict
        Wall times, s.
    hindcast : HindcastResult or None
        The scenario's ``[hindcast]``: the forecasts as shipped against the observed counts
        (:mod:`constellations.race.hindcast`).
    """

    scenario: RaceScenario
    timeline: object
    maps: object
    answers: object
    benchmark: dict
    deployments: dict
    rival_deployments: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    hindcast: HindcastResult | None = None

    def summary(self) -> str:
        """The answers in words: milestone months per case, and the catch-up month per case."""
        s = self.scenario
        a = self.answers
        lines = [f"Deployment race: {s.name} ({', '.join(s.cases)} cadence), {s.start} to {s.horizon}"]
        for m in s.milestones:
            parts = []
            for case in s.cases:
                row = a[(a["case"] == case) & (a["kind"] == "milestone") & (a["item"] == m.label)].iloc[0]
                when = row["month"] if row["month"] else f"not by {s.horizon.astype('datetime64[M]')}"
                late = "" if not row["month"] else (" (on time)" if row["met_deadline"] else " (late)")
                parts.append(f"{case} {when}{late}")
            lines.append(f"  {m.label}, deadline {m.deadline}: " + "; ".join(parts))
        metric = s.catch_up_metric
        bench = self.benchmark[metric]
        meta = METRICS[metric]
        parts = []
        for case in s.cases:
            row = a[(a["case"] == case) & (a["kind"] == "catch-up") & (a["item"] == metric)].iloc[0]
            parts.append(f"{case} {row['month'] or 'not by ' + str(s.horizon.astype('datetime64[M]'))}"
                         + (f" ({int(row['satellites']):,} satellites)" if row["month"] else ""))
        lines.append(f"  catch-up on {meta.long_name} (benchmark {s.benchmark['label']}: "
                     f"{_fmt(bench, meta.units)}, tolerance {s.tolerance:g}): " + "; ".join(parts))
        other = [m for m in METRICS if m != metric]
        for m in other:
            rows = a[(a["kind"] == "catch-up") & (a["item"] == m)]
            text = "; ".join(f"{r.case} {r.month or 'never'}" for r in rows.itertuples())
            lines.append(f"    {m} (benchmark {_fmt(self.benchmark[m], METRICS[m].units)}): {text}")
        return "\n".join(lines)

    def save(self, out_dir) -> dict:
        """Write ``timeline.nc``, ``maps.nc``, ``answers.csv``, ``answers.md``, ``launches_<case>.csv`` and,
        with a hindcast, ``hindcast.csv`` and ``hindcast_errors.csv`` (each atomically) into ``out_dir``;
        return name -> path."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = {"timeline": save(self.timeline, out / "timeline.nc"),
                   "maps": save(self.maps, out / "maps.nc")}
        written["answers_csv"] = atomic_write_text(out / "answers.csv", self.answers.to_csv(index=False))
        written["answers_md"] = atomic_write_text(out / "answers.md", _answers_markdown(self))
        for case, dep in self.deployments.items():
            written[f"launches_{case}"] = atomic_write_text(out / f"launches_{case}.csv",
                                                      dep.table().to_csv(index=False))
        if self.hindcast is not None:
            written["hindcast"] = atomic_write_text(out / "hindcast.csv",
                                                    self.hindcast.table.to_csv(index=False))
            written["hindcast_errors"] = atomic_write_text(out / "hindcast_errors.csv",
                                                           self.hindcast.errors.to_csv(index=False))
        return written


def _fmt(value, units) -> str:
    """A metric value in its display unit (shared formats of :mod:`constellations.plotting.style`)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if units == "1":
        return format_percent(value, digits=2)
    if units == "s":
        return format_duration_s(value)
    return f"{value:.2f} {units}"


def _answers_markdown(result: RaceResult) -> str:
    s = result.scenario
    a = result.answers
    lines = [f"# Deployment race answers: {s.name}", "", result.summary().replace("\n", "  \n"), "",
             "## Milestones (first day with that many satellites operational)", "",
             "| case | milestone | deadline | operational on | launched on | on time |",
             "|---|---|---|---|---|---|"]
    for r in a[a["kind"] == "milestone"].itertuples():
        lines.append(f"| {r.case} | {r.item} | {r.deadline} | {r.date or 'not by horizon'} | "
                     f"{r.launched_date or 'not by horizon'} | {'yes' if r.met_deadline else 'no'} |")
    lines += ["", f"## First month each metric matches the benchmark ({s.benchmark['label']})", "",
              "| case | metric | benchmark | first month | satellites | value then |",
              "|---|---|---|---|---|---|"]
    for r in a[a["kind"] == "catch-up"].itertuples():
        units = METRICS[r.item].units
        star = " (headline)" if r.headline else ""
        sats = f"{int(r.satellites):,}" if r.month else ""
        lines.append(f"| {r.case} | {r.item}{star} | {_fmt(r.target, units)} | "
                     f"{r.month or 'not by horizon'} | {sats} | {_fmt(r.value, units) if r.month else ''} |")
    lines += ["", f"Assumptions: see the launch file {s.launches} (every figure tagged measured / press / "
              "derived / assumption) and the scenario file.", ""]
    return "\n".join(lines)


def _city_grid_parts(min_population: float, parts: int) -> list:
    g = city_grid(min_population=min_population)
    idx = np.array_split(np.arange(len(g)), max(1, min(parts, len(g))))
    return [{"kind": "points", "lat_deg": g.lat_deg[i], "lon_deg": g.lon_deg[i], "weight": g.weight[i],
             "name": f"cities part {k + 1}/{len(idx)}"} for k, i in enumerate(idx)]


def _matches(values, target, better, tolerance):
    values = np.asarray(values, dtype=float)
    if better == "higher":
        return values >= target - tolerance - 1e-12
    return values <= target + tolerance + 1e-12


def _elevations_text(min_elevation_deg, constellation: str) -> str:
    """The operator's minimum elevations in degrees as text: the override, or the preset's values."""
    if min_elevation_deg is not None:
        return f"{min_elevation_deg:g}"
    values = np.unique(preset(constellation).min_elevation_deg_per_sat())
    return ", ".join(f"{v:g}" for v in values)


def _benchmark_source(scenario) -> dict:
    """Task description of the rival's TLE benchmark (a picklable dict for the sweep workers)."""
    b = scenario.benchmark
    tle = data_path(b["tle"])  # relative to the data folder ('tle/x.tle'; 'data/tle/x.tle' also works)
    return {"kind": "tle", "path": str(tle), "altitude_km": b["altitude_km"],
            "designators": b["designators"], "name_pattern": b["name_pattern"],
            "min_elevation_deg": b["min_elevation_deg"], "name": b["label"]}


def run_race(scenario: RaceScenario | str = "deployment_race", *, fast: bool = False, serial: bool = False,
             scheduler: str | None = None, n_workers: int = 2, progress: bool | None = None,
             model: LaunchModel | None = None) -> RaceResult:
    """Run a deployment race: launch model -> monthly snapshots -> metrics -> answers.

    Parameters
    ----------
    scenario : RaceScenario or str
        A scenario or a name / path for :func:`load_race_scenario`.
    fast : bool
        With a name or path: apply the file's ``[fast]`` settings.
    serial : bool
        Run the analysis tasks in this process (also the fallback when Dask is not installed).
    scheduler : str, optional
        Address of a running Dask scheduler (default: a LocalCluster of ``n_workers`` processes).
    n_workers : int
    progress : bool, optional
        Progress bar over tasks (default: when stderr is a terminal).
    model : LaunchModel, optional
        Use this launch model instead of reading the scenario's launch file (e.g. one changed in a
        notebook with :func:`dataclasses.replace`).

    Returns
    -------
    RaceResult
    """
    import pandas as pd  # heavy libraries load when a race runs, not when the package is imported
    import xarray as xr

    t0 = time.perf_counter()
    if not isinstance(scenario, RaceScenario):
        scenario = load_race_scenario(scenario, fast=fast)
    s, a = scenario, scenario.analysis
    model = LaunchModel.from_toml(s.launches) if model is None else model
    op = model.operator(s.operator)
    months = s.months()
    deployments = {c: model.deployment(s.operator, c, s.start, s.horizon, failures=s.failures, seed=s.seed)
                   for c in s.cases}
    counts = {c: d.counts(months) for c, d in deployments.items()}
    rival = {}
    if s.rival:
        rival = {c: model.deployment(s.rival, c, s.start, s.horizon, failures=s.failures, seed=s.seed)
                 for c in s.cases}
    map_dates = np.array(s.map_dates, dtype="datetime64[D]")
    map_n = deployments[s.map_case].counts(map_dates)["operational"] if map_dates.size else np.array([], int)
    n_values = np.unique(np.concatenate([counts[c]["operational"] for c in s.cases] + [map_n]))
    order = op.fill_order()
    t_model = time.perf_counter() - t0

    operator_source = {"kind": "preset", "name": op.constellation,
                       "min_elevation_deg": a["min_elevation_deg"]}
    b = s.benchmark
    bench_source = _benchmark_source(s)
    ground = {"kind": "global", "spacing_deg": a["grid_spacing_deg"]}
    city_parts = _city_grid_parts(a["city_min_population"], a["city_parts"])
    common = {"start": a["window_start"], "duration_s": a["duration_s"], "step_s": a["step_s"],
              "boundary": a["boundary"]}
    params = []
    for grid in [ground, *city_parts]:  # the benchmark first: its tasks are the longest
        params.append({"source": bench_source, "grid": grid, "counts": None, "order": None, **common,
                       "label": "benchmark"})
    for grid in [ground, *city_parts]:
        params.append({"source": operator_source, "grid": grid, "counts": n_values.tolist(),
                       "order": order, **common, "label": "operator"})
    sweep = map_tasks(_coverage_task, params, serial=serial, scheduler=scheduler, n_workers=n_workers,
                      progress=progress)
    if sweep.failures:
        raise RuntimeError("deployment race analysis failed:\n" + sweep.report())
    res = sweep.results
    n_parts = 1 + len(city_parts)
    bench_ground, bench_cities = res[0], _concat_cells(res[1:n_parts])
    op_ground, op_cities = res[n_parts], _concat_cells(res[n_parts + 1:])
    bench_all = race_metrics(bench_ground, bench_cities, a["populated_lat_deg"])
    bench = {k: float(bench_all[k][0]) for k in METRICS}
    bench_n = int(bench_ground["n_satellites"][0])
    per_n = race_metrics(op_ground, op_cities, a["populated_lat_deg"])
    t_analysis = sweep.wall_s

    # ---- timeline
    cases = list(s.cases)
    idx = {c: np.searchsorted(n_values, counts[c]["operational"]) for c in cases}
    data = {}
    for key, long_name in (("launched", "satellites launched (cumulative)"),
                           ("in_orbit", "satellites delivered to orbit alive (cumulative)"),
                           ("operational", "satellites in the operational orbit")):
        data[f"satellites_{key}"] = (("case", "date"), np.stack([counts[c][key] for c in cases]),
                                     {"units": "satellites", "long_name": long_name})
    if rival:
        data["rival_satellites"] = (("case", "date"),
                                    np.stack([rival[c].counts(months)["operational"] for c in cases]),
                                    {"units": "satellites",
                                     "long_name": f"{model.operator(s.rival).label} satellites operational "
                                                  "(launch model, gross)"})
    for m, meta in METRICS.items():
        data[m] = (("case", "date"), np.stack([per_n[m][idx[c]] for c in cases]),
                   {"units": meta.units, "long_name": meta.long_name, "better": meta.better})
        data[f"benchmark_{m}"] = ((), bench[m], {"units": meta.units,
                                                  "long_name": f"{b['label']}: {meta.long_name}"})
    attrs = {
        "title": f"Deployment race: {op.label} against {b['label']}",
        "operator": op.label, "constellation": op.constellation, "benchmark": b["label"],
        "benchmark_satellites": bench_n, "launch_file": display_path(model.source),
        "window_start_utc": str(a["window_start"]), "duration_s": float(a["duration_s"]),
        "step_s": float(a["step_s"]), "grid_spacing_deg": float(a["grid_spacing_deg"]),
        "ground_cells": int(op_ground["lat_deg"].size), "city_points": int(op_cities["lat_deg"].size),
        "city_population": float(op_cities["weight"].sum()),
        "populated_lat_deg": list(a["populated_lat_deg"]), "boundary": a["boundary"],
        "operator_min_elevation_deg": _elevations_text(a["min_elevation_deg"], op.constellation),
        "failures": s.failures, "notes": json.dumps(list(op.notes)),
        "scenario": json.dumps(s.to_dict(), default=str), "package": "constellations",
        "package_version": __version__,
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    timeline = xr.Dataset(data, coords={"case": ("case", np.array(cases)),
                                        "date": ("date", months.astype("datetime64[ns]"))}, attrs=attrs)

    # ---- maps
    panels, values, sats = [], [], []
    for d, n in zip(map_dates, map_n, strict=True):
        panels.append(f"{s.map_case}, {str(d)[:7]}")
        values.append(op_ground["coverage_time_fraction"][np.searchsorted(n_values, n)])
        sats.append(int(n))
    panels.append(f"{b['label']}")
    values.append(bench_ground["coverage_time_fraction"][0])
    sats.append(bench_n)
    g = op_ground
    maps = xr.Dataset(
        {"coverage_time_fraction": (("panel", "cell"), np.stack(values),
                                    {"units": "1", "long_name": "share of time with at least one satellite "
                                                                "in view"})},
        coords={"panel": ("panel", np.array(panels)), "satellites": ("panel", np.array(sats)),
                "lat_deg": ("cell", g["lat_deg"], {"units": "degrees_north"}),
                "lon_deg": ("cell", g["lon_deg"], {"units": "degrees_east"}),
                "area_km2": ("cell", g["area_km2"], {"units": "km2"}),
                "weight": ("cell", g["weight"], {"units": "1"})},
        attrs={**attrs, "grid": f"global {a['grid_spacing_deg']:g} deg equal-area",
               "map_dates": json.dumps([str(d) for d in map_dates])})

    # ---- answers
    rows = []
    for c in cases:
        dep = deployments[c]
        for m in s.milestones:
            d_op = dep.first_date(m.satellites, "operational", until=s.horizon)
            d_l = dep.first_date(m.satellites, "launched", until=s.horizon)
            rows.append({"case": c, "kind": "milestone", "item": m.label, "target": float(m.satellites),
                         "deadline": str(m.deadline), "date": "" if d_op is None else str(d_op),
                         "month": "" if d_op is None else str(d_op)[:7],
                         "launched_date": "" if d_l is None else str(d_l),
                         "met_deadline": bool(d_op is not None and d_op <= m.deadline),
                         "satellites": float(m.satellites), "value": np.nan, "headline": False})
        for metric, meta in METRICS.items():
            series = timeline[metric].sel(case=c).values
            ok = np.flatnonzero(_matches(series, bench[metric], meta.better, s.tolerance))
            hit = ok[0] if ok.size else None
            rows.append({"case": c, "kind": "catch-up", "item": metric, "target": bench[metric],
                         "deadline": "", "date": "" if hit is None else str(months[hit]),
                         "month": "" if hit is None else str(months[hit])[:7], "launched_date": "",
                         "met_deadline": False,
                         "satellites": np.nan if hit is None else float(counts[c]["operational"][hit]),
                         "value": np.nan if hit is None else float(series[hit]),
                         "headline": metric == s.catch_up_metric})
    answers = pd.DataFrame(rows)
    timings = {"launch_model_s": t_model, "analysis_s": t_analysis, "mode": sweep.mode,
               "tasks": len(params), "snapshots": int(n_values.size),
               "task_wall_s": float(sum(r["wall_s"] for r in res)),
               "total_s": time.perf_counter() - t0}
    timeline.attrs["timings"] = json.dumps(timings)
    graded = None
    if s.hindcast is not None:  # the launch model only: milliseconds
        h = s.hindcast
        graded = hindcast(h.launches, s.operator, h.cases, s.start, h.observations, label=op.label)
    return RaceResult(scenario=s, timeline=timeline, maps=maps, answers=answers, benchmark=bench,
                      deployments=deployments, rival_deployments=rival, timings=timings, hindcast=graded)


def resolution_check(scenario: RaceScenario | str = "deployment_race", counts=(578, 1618, 3236), *,
                     reference: dict | None = None, serial: bool = False, n_workers: int = 2,
                     progress: bool | None = None):
    """Metrics of a few snapshots with the scenario's analysis settings and with a finer reference.

    Parameters
    ----------
    scenario : RaceScenario or str
    counts : sequence of int
        Snapshot sizes of the operator (first ``n`` of the fill order).
    reference : dict, optional
        Analysis settings of the reference (default: 1-degree grid, one day at 60 s).
    serial, n_workers, progress
        As in :func:`run_race`.

    Returns
    -------
    pandas.DataFrame
        One row per (snapshot, metric): ``value`` with the scenario's settings, ``reference`` and
        ``difference``; the benchmark is the row with ``satellites = "benchmark"``.
    """
    import pandas as pd

    if not isinstance(scenario, RaceScenario):
        scenario = load_race_scenario(scenario)
    ref = scenario.with_analysis(**(reference or {"grid_spacing_deg": 1.0, "duration_s": 86400.0,
                                                  "step_s": 60.0}))
    model = LaunchModel.from_toml(scenario.launches)
    op = model.operator(scenario.operator)
    order = op.fill_order()
    bench_source = _benchmark_source(scenario)
    params = []
    for sc in (scenario, ref):
        a = sc.analysis
        op_source = {"kind": "preset", "name": op.constellation, "min_elevation_deg": a["min_elevation_deg"]}
        common = {"start": a["window_start"], "duration_s": a["duration_s"], "step_s": a["step_s"],
                  "boundary": a["boundary"]}
        cities = _city_grid_parts(a["city_min_population"], a["city_parts"])
        for grid in [{"kind": "global", "spacing_deg": a["grid_spacing_deg"]}, *cities]:
            params.append({"source": bench_source, "grid": grid, **common, "label": "benchmark"})
            params.append({"source": op_source, "grid": grid, "counts": list(counts), "order": order,
                           **common, "label": "operator"})
    sweep = map_tasks(_coverage_task, params, serial=serial, n_workers=n_workers, progress=progress)
    if sweep.failures:
        raise RuntimeError("resolution check failed:\n" + sweep.report())
    half = len(params) // 2
    rows = {}
    for k, sc in enumerate((scenario, ref)):
        res = sweep.results[k * half:(k + 1) * half]
        for label in ("benchmark", "operator"):
            parts = [r for r in res if r["label"] == label]
            m = race_metrics(parts[0], _concat_cells(parts[1:]), sc.analysis["populated_lat_deg"])
            for i, n in enumerate(m["n_satellites"]):
                key = "benchmark" if label == "benchmark" else str(int(n))
                column = "value" if k == 0 else "reference"
                for metric in METRICS:
                    rows.setdefault((key, metric), {})[column] = float(m[metric][i])
    df = pd.DataFrame([{"satellites": key, "metric": metric, **v} for (key, metric), v in rows.items()])
    df["difference"] = df["value"] - df["reference"]
    df.attrs["settings"] = {"scenario": scenario.analysis, "reference": ref.analysis}
    df.attrs["wall_s"] = sweep.wall_s
    return df


def run_scenario(path_or_name="deployment_race", out_dir="results/deployment_race", *, fast: bool = False,
                 serial: bool = False, scheduler: str | None = None, n_workers: int = 2,
                 formats=None, progress: bool | None = None) -> dict:
    """Run a deployment-race scenario and write its results, figures and an index.

    Parameters
    ----------
    path_or_name : str or path
        Race scenario (``kind = "deployment_race"``).
    out_dir : path
        Output folder; ``index.md`` and ``index.html`` are written last.
    fast, serial, scheduler, n_workers
        See :func:`load_race_scenario` and :func:`run_race`.
    formats : sequence of str, optional
        Figure formats (default: the scenario's).
    progress : bool, optional
        Progress bars (default: on a terminal).

    Returns
    -------
    dict
        ``result`` (the :class:`RaceResult`), ``files`` (name -> path), ``figures`` (name -> paths).
    """
    target = Path(out_dir)
    scenario = load_race_scenario(path_or_name, fast=fast)
    with staged_folder(target, what="deployment race") as stage:  # preflight and lock before the run
        result = run_race(scenario, serial=serial, scheduler=scheduler, n_workers=n_workers,
                          progress=progress)
        files = result.save(stage)
        figures = draw_race_figures(result, stage, formats=list(formats or scenario.formats))
        if result.hindcast is not None:
            figures["hindcast"] = draw_hindcast_figure(result.hindcast, stage, events=scenario.events,
                                                       formats=list(formats or scenario.formats))
        write_index(stage, title=f"Deployment race: {scenario.name}", description=scenario.description,
                    caption=result.summary().splitlines()[0], figures=figures,
                    data_files=list(files.values()),
                    tables=[(f"Answers: milestones and the month {result.timeline.attrs['operator']} first "
                             f"matches {scenario.benchmark['label']}", answer_rows(result))]
                    + ([("Hindcast: the 2025 forecasts (as shipped) against the satellites observed in orbit",
                         dataframe_rows(result.hindcast.table)),
                        ("Hindcast errors per case (forecast - observed, satellites)",
                         dataframe_rows(result.hindcast.errors))] if result.hindcast is not None else []),
                    note=f"Assumptions of the launch model: {scenario.launches} (every number tagged with "
                         "its source or as an assumption).", captions=RACE_FIGURE_CAPTIONS)
    return relocate({"result": result, "files": files, "figures": figures}, stage, target)
