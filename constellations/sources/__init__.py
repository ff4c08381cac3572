"""Where satellites and places come from: shipped data files, presets, TLE catalogs, Natural Earth regions.

The modules here read inputs and turn them into objects of the core (a
:class:`~constellations.Constellation`, a :class:`~constellations.Catalog`, a
:class:`~constellations.Grid`); they import the core and never the analyses, figures or the command.

- :mod:`~constellations.sources.datafiles`: where the data shipped in the package lives.
- :mod:`~constellations.sources.presets`: named constellations from ``data/constellations/*.toml``.
- :mod:`~constellations.sources.tle`: TLE parsing and checks, :class:`Catalog`, shell detection.
- :mod:`~constellations.sources.naturalearth`: coastlines, country polygons and cities (offline).
- :mod:`~constellations.sources.regions`: country and city grids built from Natural Earth.

Importing this package loads none of them.
"""
