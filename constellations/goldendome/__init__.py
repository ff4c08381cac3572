"""The Golden Dome analysis: space-based interceptors (SBIs) in reach of launches, and how many are needed.

Line-of-sight coverage is the wrong question for SBIs: one counts only if it can reach the rising
missile before its boost ends. The modules, from the bottom up:

- :mod:`~constellations.goldendome.sites`: launch sites (:class:`ThreatSite`, ``threats.toml``).
- :mod:`~constellations.goldendome.reach`: when an SBI is in reach (:class:`ReachModel`, named
  assumption sets).
- :mod:`~constellations.goldendome.counting`: SBIs in reach of sites over time, their statistics,
  the global map, the tracking layer, the closed form.
- :mod:`~constellations.goldendome.sizing`: the smallest pattern-family member that keeps k in reach.
- :mod:`~constellations.goldendome.published`: published size estimates and our sizes next to them.
- :mod:`~constellations.goldendome.scenario`: the checked ``golden_dome_sizing`` scenario.
- :mod:`~constellations.goldendome.run`: running it and writing its outputs.
- :mod:`~constellations.goldendome.figures`: its figures (loads matplotlib when drawn).

Importing this package loads numpy only (xarray, pandas and matplotlib load when used).

Examples
--------
>>> import constellations as cs
>>> from constellations import goldendome as gd
>>> counts = gd.in_reach_counts(cs.walker_delta(1600, 40, 1, 400.0, 50.0), gd.threat_sites(["Sohae"]),
...                             "solid-4kms", gd.DEFAULT_START, duration_s=600.0, step_s=60.0)
>>> counts.shape
(10, 1)
"""

from .counting import (
    DEFAULT_START,
    MODEL_LIMITS,
    expected_in_reach,
    expected_in_reach_constellation,
    in_reach_counts,
    mean_in_reach_map,
    reach_metrics,
    tracking_metrics,
)
from .published import PUBLISHED_ESTIMATES, compare_published
from .reach import REACH_ASSUMPTIONS, ReachModel, reach_model
from .run import run_scenario, run_sizing_scenario
from .scenario import SCENARIO_KIND, SizingScenario, load_sizing_scenario
from .sites import ThreatSite, sites_from_points, sites_in_country, threat_sites
from .sizing import (
    FAMILIES,
    NestedPattern,
    PatternFamily,
    evaluate_member,
    size_constellation,
    sizing_sweep,
    sizing_task,
)

__all__ = [
    "DEFAULT_START",
    "FAMILIES",
    "MODEL_LIMITS",
    "PUBLISHED_ESTIMATES",
    "REACH_ASSUMPTIONS",
    "SCENARIO_KIND",
    "NestedPattern",
    "PatternFamily",
    "ReachModel",
    "SizingScenario",
    "ThreatSite",
    "compare_published",
    "evaluate_member",
    "expected_in_reach",
    "expected_in_reach_constellation",
    "in_reach_counts",
    "load_sizing_scenario",
    "mean_in_reach_map",
    "reach_metrics",
    "reach_model",
    "run_scenario",
    "run_sizing_scenario",
    "sites_from_points",
    "sites_in_country",
    "size_constellation",
    "sizing_sweep",
    "sizing_task",
    "threat_sites",
    "tracking_metrics",
]
