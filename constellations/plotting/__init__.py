"""Figures: one shared style, the Equal Earth map, and the coverage figures of merit.

- :mod:`~constellations.plotting.style`: identity colours, units, number formats, captions,
  :func:`new_figure` and atomic :func:`save_figure`; every figure of the package uses it.
- :mod:`~constellations.plotting.projection`: Equal Earth projection math and graticule.
- :mod:`~constellations.plotting.basemap`: Natural Earth coastlines and borders on the projection.
- :mod:`~constellations.plotting.coverage_figures`: maps, latitude profiles, revisit CDFs, time
  series, city panels, the dashboard and the :data:`FIGURES` registry.

The plotting layer reads results of the core and data of :mod:`constellations.sources`; it never
imports the analyses or the command. Importing it loads numpy only; matplotlib loads when a figure is
drawn.

Examples
--------
>>> from constellations import plotting
>>> sorted(plotting.FIGURES)[:3]
['city_visibility', 'coverage_map', 'coverage_timeseries']
"""

from .coverage_figures import (
    FIGURES,
    city_visibility,
    coverage_timeseries,
    dashboard,
    draw_figures,
    latitude_profiles,
    maps,
    maps_into,
    nfold_map,
    revisit_cdf,
)
from .projection import equal_earth, equal_earth_inverse
from .style import OKABE_ITO, constellation_colour, new_figure, save_figure

__all__ = [
    "FIGURES",
    "OKABE_ITO",
    "city_visibility",
    "constellation_colour",
    "coverage_timeseries",
    "dashboard",
    "draw_figures",
    "equal_earth",
    "equal_earth_inverse",
    "latitude_profiles",
    "maps",
    "maps_into",
    "new_figure",
    "nfold_map",
    "revisit_cdf",
    "save_figure",
]
