"""Grids of named places: equal-area cells inside a Natural Earth country, and cities as weighted points.

The geometry of the grids is :mod:`constellations.grid`'s; this module only chooses the cells or points
from the Natural Earth layers (:mod:`constellations.sources.naturalearth`), so results at the same spacing
line up cell for cell with global, band and box grids.
"""

from __future__ import annotations

from ..grid import Grid, _ring_grid, _spacing_deg, points
from . import naturalearth

__all__ = ["city_grid", "country_grid"]


def country_grid(country: str, spacing_deg: float | None = None,
                 spacing_km: float | None = None) -> Grid:
    """Equal-area cells whose centres fall inside a Natural Earth country polygon.

    Parameters
    ----------
    country : str
        A name, ISO code or alias (see :func:`constellations.sources.naturalearth.country_names`).
    spacing_deg, spacing_km : float, optional
        Ring spacing as for :func:`constellations.global_grid`; give exactly one.

    Examples
    --------
    >>> g = country_grid("Germany", spacing_deg=1.0)
    >>> 25 < len(g) < 45
    True
    """
    deg = _spacing_deg(spacing_deg, spacing_km)
    lat_min, lat_max, _, _ = naturalearth.country_bounds(country)  # raises on unknown names
    return _ring_grid(
        deg, lat_min, lat_max, f"{country}, {deg:g} deg equal-area",
        mask_fn=lambda lat, lon: naturalearth.points_in_country(country, lat, lon),
    )


def city_grid(names=None, min_population: float = 0.0) -> Grid:
    """Natural Earth populated places as points, weighted by population.

    Parameters
    ----------
    names : str or sequence of str, optional
        Places to keep, in this order (see :func:`constellations.sources.naturalearth.cities` for
        the spellings accepted); default all 1,249 places, most populous first.
    min_population : float
        Drop places whose metropolitan population is below this.

    Examples
    --------
    >>> g = city_grid(["Berlin", "Pyongyang"])
    >>> g.names.tolist()
    ['Berlin', 'Pyongyang']
    """
    c = naturalearth.cities(names=names, min_population=min_population)
    label = "cities" if names is None else "cities: " + ", ".join(c["name"][:5])
    return points(c["lat_deg"], c["lon_deg"], names=c["name"], weights=c["population"],
                  name=label)
