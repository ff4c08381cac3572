"""Deployment race: coverage month by month as a constellation builds out, against a fixed benchmark.

A race scenario (``constellations/data/scenarios/deployment_race.toml``, ``kind = "deployment_race"``)
names a launch model, the operator that builds out (Kuiper), its cadence cases, a timeline of monthly
snapshots, the per-snapshot analysis, the benchmark (Starlink's mid-2025 TLE snapshot, computed once)
and the FCC milestones. The modules, from the bottom up:

- :mod:`~constellations.race.deployment`: the launch model and the launch-file loader; which
  satellites of the full pattern are operational on which date (:class:`LaunchModel`,
  :class:`Deployment`, :func:`fill_order`).
- :mod:`~constellations.race.snapshots`: coverage of the first ``n`` satellites of a fill order for many
  ``n`` in one counting pass (:func:`coverage_by_count`) and the race metrics (:data:`METRICS`,
  :func:`race_metrics`).
- :mod:`~constellations.race.scenario`: the frozen :class:`RaceScenario` and its loader, which checks
  every key before anything runs (:func:`load_race_scenario`).
- :mod:`~constellations.race.run`: :func:`run_race` -> :class:`RaceResult` (timeline, maps, answers),
  its files, :func:`run_scenario` and :func:`resolution_check`.
- :mod:`~constellations.race.figures`: satellites and metrics over time and the map strip
  (:data:`RACE_FIGURES`, :func:`draw_race_figures`).

Importing this package loads numpy only; xarray, pandas, Dask and matplotlib load when a race runs or a
figure is drawn.

Examples
--------
>>> from constellations.race import load_race_scenario
>>> load_race_scenario("deployment_race").cases
('low', 'nominal', 'high')
"""

from .deployment import (
    BASES,
    CadenceCase,
    Deployment,
    FillOrder,
    Launch,
    LaunchModel,
    Operator,
    Vehicle,
    VehicleRate,
    as_day,
    fill_order,
    rate_launch_days,
    spread_order,
)
from .figures import (
    RACE_FIGURES,
    caption,
    coverage_map_strip,
    draw_race_figures,
    metrics_over_time,
    satellites_over_time,
)
from .run import RESOLUTION_CHECK, RaceResult, resolution_check, run_race, run_scenario
from .scenario import Milestone, RaceScenario, load_race_scenario, race_scenario_from_dict
from .snapshots import METRICS, Metric, coverage_by_count, race_metrics

__all__ = [
    "BASES",
    "METRICS",
    "RACE_FIGURES",
    "RESOLUTION_CHECK",
    "CadenceCase",
    "Deployment",
    "FillOrder",
    "Launch",
    "LaunchModel",
    "Metric",
    "Milestone",
    "Operator",
    "RaceResult",
    "RaceScenario",
    "Vehicle",
    "VehicleRate",
    "as_day",
    "caption",
    "coverage_by_count",
    "coverage_map_strip",
    "draw_race_figures",
    "fill_order",
    "load_race_scenario",
    "metrics_over_time",
    "race_metrics",
    "race_scenario_from_dict",
    "rate_launch_days",
    "resolution_check",
    "run_race",
    "run_scenario",
    "satellites_over_time",
    "spread_order",
]
