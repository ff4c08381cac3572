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

from ._version import __version__
from .constellation import Constellation, Shell, walker_delta, walker_star
from .elements import Elements
from .engine import analyze
from .geometry import central_angle_rad, footprint_area_fraction, nadir_angle_rad, slant_range_km
from .grid import Grid, box_grid, global_grid, latitude_band_grid, points
from .result import latitude_bands, load, save, summary
from .sources.presets import preset, presets
from .sources.regions import city_grid, country_grid
from .sources.tle import Catalog

# Submodules reached as attributes (``cs.figures``), imported on first use; the readers of the
# shipped data live in constellations.sources, and their old names keep working here.
_LAZY_MODULES = {
    "coverage": ".coverage",
    "datafiles": ".sources.datafiles",
    "deployment": ".race.deployment",
    "figures": ".plotting",
    "frames": ".frames",
    "interceptors": ".goldendome",
    "metrics": ".metrics",
    "naturalearth": ".sources.naturalearth",
    "plotting": ".plotting",
    "race": ".race",
    "regions": ".sources.regions",
    "scenario": ".app.scenario",
    "sizing": ".goldendome",
    "sweeps": ".sweeps",
    "tle": ".sources.tle",
}


def __getattr__(name):
    """Submodules that load heavier libraries (matplotlib) on first use: ``cs.figures``, ``cs.tle``."""
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(_LAZY_MODULES[name], __name__)
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
