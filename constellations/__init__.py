"""constellations: coverage and revisit of satellite mega-constellations, fast and validated.

Importing the package loads numpy only; xarray, skyfield and matplotlib load when first needed.

Examples
--------
>>> import constellations as cs
>>> ds = cs.analyze(cs.preset("kuiper"), cs.global_grid(spacing_deg=10.0),
...                 "2025-07-01T00:00:00Z", duration_s=3600.0, step_s=60.0, progress=False)
>>> ds["coverage_time_fraction"].dims
('cell',)
"""

__version__ = "0.1.0"

from .constellation import Constellation, Elements, Shell, walker_delta, walker_star
from .engine import analyze
from .geometry import central_angle_rad, footprint_area_fraction, nadir_angle_rad, slant_range_km
from .grid import (
    Grid,
    box_grid,
    city_grid,
    country_grid,
    global_grid,
    latitude_band_grid,
    points,
)
from .presets import preset, presets
from .result import latitude_bands, load, save, summary
from .tle import Catalog

_LAZY_MODULES = {"coverage", "deployment", "figures", "frames", "interceptors", "metrics", "naturalearth",
                 "race", "scenario", "sizing", "sweeps", "tle"}


def __getattr__(name):
    """Submodules that load heavier libraries (matplotlib) on first use: ``cs.figures``."""
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'constellations' has no attribute {name!r}")

__all__ = [
    "Catalog",
    "Constellation",
    "Elements",
    "Grid",
    "Shell",
    "__version__",
    "analyze",
    "box_grid",
    "central_angle_rad",
    "city_grid",
    "country_grid",
    "footprint_area_fraction",
    "global_grid",
    "latitude_band_grid",
    "latitude_bands",
    "load",
    "nadir_angle_rad",
    "points",
    "preset",
    "presets",
    "save",
    "slant_range_km",
    "summary",
    "walker_delta",
    "walker_star",
]
