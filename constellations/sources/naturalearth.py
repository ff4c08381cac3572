"""Offline Natural Earth layers: coastlines, country polygons and borders, and populated places.

The files live in ``<data_dir()>/naturalearth/`` (see ``data/naturalearth/README.md``) and are
read on first use, then cached. Nothing is downloaded. Two scales: 1:110m GeoJSON (coastlines and
the admin-0 countries every region and grid uses) and 1:50m admin-0 countries as TopoJSON (from
world-atlas 2.0.2), decoded here, for regional maps: their coastlines, the land borders between
countries and each country's detailed outline. Coordinates are WGS84 degrees;
arrays of vertices are ``(n, 2)`` with columns ``(lon_deg, lat_deg)`` (GeoJSON order), while
function arguments are ``lat_deg, lon_deg``. Features that cross the antimeridian (Russia, Fiji)
are split at +/-180 in the data, so rings never wrap.

Only the standard library and numpy are imported at import time; ``matplotlib.path`` is imported
on the first point-in-polygon test.
"""

from __future__ import annotations

import difflib
import functools
import json
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

from .datafiles import DATA_ENV_VAR, data_dir

__all__ = [
    "DATA_ENV_VAR",
    "SCALES",
    "cities",
    "coastlines",
    "country_borders",
    "country_bounds",
    "country_names",
    "country_polygons",
    "data_dir",
    "places_in_country",
    "points_in_country",
    "points_in_rings",
]


_SUBDIR = "naturalearth"
_COASTLINE_FILE = "ne_110m_coastline.geojson"
_COUNTRIES_FILE = "ne_110m_admin_0_countries.geojson"
_PLACES_FILE = "ne_50m_populated_places_simple.geojson"
_COUNTRIES_50M_FILE = "countries-50m.topojson"  # world-atlas 2.0.2 countries-50m.json, byte for byte

SCALES = ("110m", "50m")
"""Natural Earth scales of the coastlines and country outlines (1:110m and 1:50m)."""

# Country attributes matched by country_polygons(), in priority order. ISO_A3/ISO_A2 are "-99"
# for France, Norway and a few disputed areas; ADM0_A3 (FRA, NOR, ...) covers those.
_COUNTRY_KEYS = ("NAME", "NAME_LONG", "ADMIN", "ISO_A3", "ADM0_A3", "ISO_A2")

# Extra spellings -> a value of one of _COUNTRY_KEYS (normalized with _norm).
_COUNTRY_ALIASES = {
    "united states": "USA",
    "us": "USA",
    "u.s.": "USA",
    "u.s.a.": "USA",
    "america": "USA",
    "dprk": "PRK",
    "korea, north": "PRK",
    "rok": "KOR",
    "korea, south": "KOR",
    "russian federation": "RUS",
    "uk": "GBR",
    "u.k.": "GBR",
    "great britain": "GBR",
    "britain": "GBR",
    "czech republic": "CZE",
    "ivory coast": "CIV",
    "eswatini": "SWZ",
    "north macedonia": "MKD",
    "burma": "MMR",
    "drc": "COD",
    "turkiye": "TUR",
}

# Extra city spellings -> a name or ASCII name in the populated-places layer (normalized).
_CITY_ALIASES = {
    "washington": "washington, d.c.",
    "washington dc": "washington, d.c.",
    "washington d.c.": "washington, d.c.",
    "peking": "beijing",
    "moskva": "moscow",
    "teheran": "tehran",
    "p'yongyang": "pyongyang",
    "pyeongyang": "pyongyang",
    "new york city": "new york",
    "nyc": "new york",
    "kyiv": "kiev",
    "yangon": "rangoon",
    "copenhagen": "kobenhavn",
}


def _layer_path(filename: str) -> str:
    path = data_dir() / _SUBDIR / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"Natural Earth file not found: {path}. Set the {DATA_ENV_VAR} environment "
            f"variable to a directory whose '{_SUBDIR}/' holds {filename}."
        )
    return str(path)


def _norm(text: str) -> str:
    """Case-fold, strip accents and surrounding blanks, for name matching."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=8)
def _features(path: str) -> tuple[dict, ...]:
    with open(path, encoding="utf-8") as f:
        return tuple(json.load(f)["features"])


# --------------------------------------------------------------------------- coastlines


@functools.lru_cache(maxsize=4)
def _coastlines(path: str) -> tuple[np.ndarray, ...]:
    lines = []
    for feature in _features(path):
        geometry = feature["geometry"]
        parts = (
            [geometry["coordinates"]]
            if geometry["type"] == "LineString"
            else geometry["coordinates"]
        )
        for part in parts:
            xy = np.asarray(part, dtype=float)
            # A few vertices overshoot 180 deg by < 1e-6 deg in the source data.
            xy[:, 0] = np.clip(xy[:, 0], -180.0, 180.0)
            lines.append(_frozen(xy))
    return tuple(lines)


def coastlines(scale: str = "110m") -> list[np.ndarray]:
    """Return the coastlines as polylines.

    Parameters
    ----------
    scale : {"110m", "50m"}
        ``"110m"``: the 1:110m coastline layer (world maps). ``"50m"``: the outlines of the
        1:50m land (world-atlas ``land`` object; regional maps), cut where they run along the
        antimeridian or the south edge of the map, so no false coast is drawn there.

    Returns
    -------
    list of numpy.ndarray
        Read-only arrays of shape ``(n, 2)``: ``lon_deg`` in [-180, 180], ``lat_deg``; 134 lines
        at 1:110m, 1,428 at 1:50m.

    Examples
    --------
    >>> lines = coastlines()
    >>> len(lines), lines[0].shape[1]
    (134, 2)
    """
    if _check_scale(scale) == "50m":
        return list(_topology(_layer_path(_COUNTRIES_50M_FILE))["coast"])
    return list(_coastlines(_layer_path(_COASTLINE_FILE)))


# --------------------------------------------------------------------------- countries


@functools.lru_cache(maxsize=4)
def _countries(path: str):
    """Return (names, polygons, key -> index, suggestion key -> display name)."""
    names: list[str] = []
    polygons: list[tuple[tuple[np.ndarray, ...], ...]] = []
    index: dict[str, int] = {}
    for feature in _features(path):
        props = feature["properties"]
        names.append(props["NAME"])
        geometry = feature["geometry"]
        coords = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        polygons.append(
            tuple(tuple(_frozen(np.asarray(r, dtype=float)) for r in poly) for poly in coords)
        )
    # Fill the index key by key so that a NAME always wins over a code of another country.
    features = _features(path)
    for key in _COUNTRY_KEYS:
        for i, feature in enumerate(features):
            value = feature["properties"].get(key)
            if value is None or str(value) == "-99":
                continue
            index.setdefault(_norm(value), i)
    for alias, target in _COUNTRY_ALIASES.items():
        if _norm(target) in index:
            index.setdefault(_norm(alias), index[_norm(target)])
    suggestions = {_norm(n): n for n in names}
    for feature in features:
        for key in ("NAME_LONG", "ADMIN"):
            suggestions.setdefault(_norm(feature["properties"][key]), feature["properties"][key])
    return tuple(names), tuple(polygons), index, suggestions


def _country_index(name: str) -> int:
    names, _, index, suggestions = _countries(_layer_path(_COUNTRIES_FILE))
    key = _norm(name)
    if key in index:
        return index[key]
    close = difflib.get_close_matches(key, list(suggestions), n=5, cutoff=0.6)
    hint = "did you mean " + ", ".join(repr(suggestions[c]) for c in close) + "? " if close else ""
    raise ValueError(
        f"unknown country {name!r}; {hint}see constellations.sources.naturalearth.country_names() "
        f"for the {len(names)} names (ISO alpha-2/alpha-3 codes also work)."
    )


def country_names() -> list[str]:
    """Return the sorted ``NAME`` of every country in the 1:110m admin-0 layer.

    Returns
    -------
    list of str
        177 names, e.g. ``"Germany"``, ``"United States of America"``, ``"Bosnia and Herz."``.

    Examples
    --------
    >>> names = country_names()
    >>> len(names), "Germany" in names
    (177, True)
    """
    return sorted(_countries(_layer_path(_COUNTRIES_FILE))[0])


def country_polygons(name: str, scale: str = "110m") -> list[np.ndarray]:
    """Return the rings of a country's polygons.

    Parameters
    ----------
    name : str
        Case-insensitive ``NAME``, ``NAME_LONG``, ``ADMIN``, ``ISO_A3``, ``ADM0_A3`` or
        ``ISO_A2`` (e.g. ``"france"``, ``"FRA"``, ``"DE"``), or an alias such as ``"USA"``,
        ``"US"``, ``"United States"``, ``"UK"``, ``"Russia"``, ``"DPRK"``, ``"South Korea"``.
        Names are those of the 1:110m layer at both scales.
    scale : {"110m", "50m"}
        ``"50m"``: the 1:50m outline (world-atlas), the feature of the same name, or else of the
        same ISO 3166-1 numeric code (1:110m ``Swaziland`` is 1:50m ``eSwatini``, 748).

    Returns
    -------
    list of numpy.ndarray
        Read-only closed rings of shape ``(n, 2)`` (``lon_deg``, ``lat_deg``): for each polygon
        its exterior ring followed by its holes (at 1:110m only South Africa has one, around
        Lesotho).

    Raises
    ------
    ValueError
        If the name is unknown; the message lists close matches.

    Examples
    --------
    >>> len(country_polygons("South Africa"))  # exterior + Lesotho hole
    2
    >>> country_polygons("Germany")[0].shape[1]
    2
    """
    if _check_scale(scale) == "50m":
        polygons = _topology(_layer_path(_COUNTRIES_50M_FILE))["polygons"][_country_50m_index(name)]
    else:
        polygons = _countries(_layer_path(_COUNTRIES_FILE))[1][_country_index(name)]
    return [ring for polygon in polygons for ring in polygon]


@functools.lru_cache(maxsize=256)
def _ring_paths(path: str, i: int):
    from matplotlib.path import Path as MplPath

    polygons = _countries(path)[1][i]
    return tuple(
        tuple((MplPath(ring), ring.min(axis=0), ring.max(axis=0)) for ring in polygon)
        for polygon in polygons
    )


def _even_odd(paths, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Even-odd rule over (Path, min_xy, max_xy) rings; lon, lat are 1-D."""
    inside = np.zeros(lon.shape, dtype=bool)
    for mpl_path, lo, hi in paths:
        candidates = np.flatnonzero(
            (lon >= lo[0]) & (lon <= hi[0]) & (lat >= lo[1]) & (lat <= hi[1])
        )
        if candidates.size:
            hit = mpl_path.contains_points(np.column_stack([lon[candidates], lat[candidates]]))
            inside[candidates[hit]] ^= True
    return inside


def _as_points(lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    lat, lon = np.broadcast_arrays(
        np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float)
    )
    lon_wrapped = (lon.ravel() + 180.0) % 360.0 - 180.0
    return lat.ravel(), lon_wrapped, lat.shape


def points_in_rings(rings: Iterable[np.ndarray], lat_deg, lon_deg) -> np.ndarray:
    """Test points against one polygon given as rings, with the even-odd rule.

    A point is inside if it is inside an odd number of the rings, so a ring inside the
    exterior ring is a hole.

    Parameters
    ----------
    rings : iterable of array_like, each (n, 2)
        ``(lon_deg, lat_deg)`` vertices of the exterior ring and its holes (closure optional).
    lat_deg, lon_deg : array_like
        Point coordinates in degrees, broadcast together; longitudes are wrapped to [-180, 180).

    Returns
    -------
    numpy.ndarray of bool
        Broadcast shape of ``lat_deg`` and ``lon_deg``.

    Examples
    --------
    >>> square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    >>> hole = [[4, 4], [6, 4], [6, 6], [4, 6]]
    >>> points_in_rings([square, hole], [2, 5, 20], [2, 5, 5]).tolist()
    [True, False, False]
    """
    from matplotlib.path import Path as MplPath

    paths = []
    for ring in rings:
        xy = np.asarray(ring, dtype=float)
        paths.append((MplPath(xy), xy.min(axis=0), xy.max(axis=0)))
    lat, lon, shape = _as_points(lat_deg, lon_deg)
    return _even_odd(paths, lon, lat).reshape(shape)


def points_in_country(name: str, lat_deg, lon_deg) -> np.ndarray:
    """Test which points lie in a country (holes excluded, even-odd rule per polygon).

    Parameters
    ----------
    name : str
        Country, as accepted by :func:`country_polygons`.
    lat_deg, lon_deg : array_like
        Point coordinates in degrees, broadcast together; longitudes are wrapped to [-180, 180).

    Returns
    -------
    numpy.ndarray of bool
        Broadcast shape of ``lat_deg`` and ``lon_deg``. Points on a border may go either way;
        NaN coordinates give False.

    Examples
    --------
    >>> points_in_country("Germany", [52.5, 48.9], [13.4, 2.35]).tolist()  # Berlin, Paris
    [True, False]
    """
    path = _layer_path(_COUNTRIES_FILE)
    polygons = _ring_paths(path, _country_index(name))
    lat, lon, shape = _as_points(lat_deg, lon_deg)
    inside = np.zeros(lat.shape, dtype=bool)
    for polygon in polygons:
        inside |= _even_odd(polygon, lon, lat)
    return inside.reshape(shape)


def places_in_country(name: str, places: dict) -> np.ndarray:
    """Which populated places belong to a country: by their admin-0 name, else by position.

    The 1:110m outlines are coarse: Mumbai, Istanbul, Durban and 109 other places of the
    1:50m places layer fall outside their own country's polygon. So a place whose admin-0 name
    is a country of the 1:110m layer (names, codes and aliases as :func:`country_polygons`)
    belongs to that country; only places whose admin-0 name it does not know (Hong Kong
    S.A.R., Congo (Kinshasa), ...) are tested against the polygon.

    Parameters
    ----------
    name : str
        Country, as accepted by :func:`country_polygons`.
    places : dict of numpy.ndarray
        From :func:`cities`: ``country``, ``lat_deg`` and ``lon_deg`` of shape ``(n,)``.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)

    Examples
    --------
    >>> places_in_country("India", cities(["Mumbai", "Delhi", "Karachi"])).tolist()
    [True, True, False]
    """
    target = _country_index(name)
    country = np.asarray(places["country"], dtype=str)
    known, inside = np.zeros(country.shape, dtype=bool), np.zeros(country.shape, dtype=bool)
    for admin in np.unique(country):  # a few hundred names at most
        try:
            index = _country_index(str(admin))
        except ValueError:
            continue
        sel = country == admin
        known |= sel
        inside |= sel & (index == target)
    unknown = ~known
    if unknown.any():
        lat = np.asarray(places["lat_deg"], dtype=float)[unknown]
        lon = np.asarray(places["lon_deg"], dtype=float)[unknown]
        inside[unknown] = points_in_country(name, lat, lon)
    return inside


def country_bounds(name: str) -> tuple[float, float, float, float]:
    """Return a country's bounding box over all its polygons.

    Parameters
    ----------
    name : str
        Country, as accepted by :func:`country_polygons`.

    Returns
    -------
    tuple of float
        ``(lat_min_deg, lat_max_deg, lon_min_deg, lon_max_deg)``. Overseas parts count (France
        includes French Guiana), and countries split at the antimeridian (Russia, Fiji) span
        -180..180.

    Examples
    --------
    >>> [round(v, 1) for v in country_bounds("Germany")]
    [47.3, 55.0, 6.0, 15.0]
    """
    xy = np.concatenate(country_polygons(name))
    lon_min, lat_min = xy.min(axis=0)
    lon_max, lat_max = xy.max(axis=0)
    return float(lat_min), float(lat_max), float(lon_min), float(lon_max)


# --------------------------------------------------------------------------- 1:50m (TopoJSON)


def _check_scale(scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"scale = {scale!r}: not a shipped Natural Earth scale; use one of "
                         + ", ".join(repr(v) for v in SCALES))
    return scale


def _decode_arcs(arcs: Sequence, transform: dict | None) -> list[np.ndarray]:
    """TopoJSON arcs as absolute ``(n, 2)`` positions.

    With a ``transform``, positions are quantized and delta-encoded: the first position of each
    arc is absolute, the others are offsets from the previous one, and degrees are
    ``integer * scale + translate``. All arcs are decoded in one cumulative sum.
    """
    lengths = np.array([len(a) for a in arcs], dtype=np.intp)
    xy = np.concatenate([np.asarray(a, dtype=float).reshape(-1, np.shape(a)[-1])[:, :2] for a in arcs])
    ends = np.cumsum(lengths)
    if transform:
        total = np.cumsum(xy, axis=0)  # integers below 2**53: exact in float64
        before = np.vstack([np.zeros((1, 2)), total[ends[:-1] - 1]])  # sums before each arc
        xy = ((total - np.repeat(before, lengths, axis=0)) * np.asarray(transform["scale"], float)
              + np.asarray(transform["translate"], float))
    return [_frozen(a) for a in np.split(xy, ends[:-1])]


def _ring(arc_ids: Sequence[int], arcs: Sequence[np.ndarray]) -> np.ndarray:
    """One ring from its arcs: ``~i`` is arc ``i`` reversed; consecutive arcs share an end point."""
    parts = []
    for k, i in enumerate(arc_ids):
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(arc if k == 0 else arc[1:])
    return _frozen(np.concatenate(parts))


def _polygon_arcs(geometry: dict) -> list:
    """A Polygon or MultiPolygon geometry's arc indices as a list of polygons of rings."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return list(geometry["arcs"])
    return []  # null geometry


def _split_at_map_edges(line: np.ndarray) -> list[np.ndarray]:
    """Cut a closed land outline where it runs along the antimeridian or the south pole line."""
    lon, lat = line[:, 0], line[:, 1]
    edge = ((np.abs(lon[:-1]) >= 180.0 - 1e-9) & (lon[1:] == lon[:-1])) | (
        (lat[:-1] <= -89.99) & (lat[1:] <= -89.99))
    pieces = np.split(line, np.flatnonzero(edge) + 1) if edge.any() else [line]
    return [_frozen(p.copy()) for p in pieces if len(p) >= 2]


def _decode_topology(topology: dict) -> dict:
    """The countries, their shared borders and the land outlines of a world-atlas topology.

    Returns
    -------
    dict
        ``names`` (tuple of str, the ``name`` property), ``ids`` (tuple of str, ISO 3166-1
        numeric, ``""`` if none), ``polygons`` (per country, a tuple of polygons, each a tuple of
        rings), ``borders`` (tuple of polylines: the arcs that two different countries share) and
        ``coast`` (tuple of polylines: the ``land`` object's rings, cut at the map edges).
    """
    arcs = _decode_arcs(topology["arcs"], topology.get("transform"))
    names, ids, polygons = [], [], []
    users = np.zeros(len(arcs), dtype=int)
    for geometry in topology["objects"]["countries"]["geometries"]:
        parts = _polygon_arcs(geometry)
        names.append(str(geometry.get("properties", {}).get("name", "")))
        ids.append(str(geometry.get("id", "") or ""))
        polygons.append(tuple(tuple(_ring(r, arcs) for r in poly) for poly in parts))
        used = {i if i >= 0 else ~i for poly in parts for ring in poly for i in ring}
        users[list(used)] += 1
    coast = []
    if "land" in topology["objects"]:
        for geometry in topology["objects"]["land"]["geometries"]:
            for poly in _polygon_arcs(geometry):
                for ring in poly:
                    coast += _split_at_map_edges(_ring(ring, arcs))
    return {"names": tuple(names), "ids": tuple(ids), "polygons": tuple(polygons),
            "borders": tuple(arcs[i] for i in np.flatnonzero(users >= 2)), "coast": tuple(coast)}


@functools.lru_cache(maxsize=4)
def _topology(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return _decode_topology(json.load(f))


def _country_50m_index(name: str) -> int:
    """The 1:50m feature of a 1:110m country: same name (NAME, NAME_LONG, ADMIN), else ISO numeric."""
    props = _features(_layer_path(_COUNTRIES_FILE))[_country_index(name)]["properties"]
    topology = _topology(_layer_path(_COUNTRIES_50M_FILE))
    by_name = {_norm(n): i for i, n in reversed(list(enumerate(topology["names"])))}
    for key in ("NAME", "NAME_LONG", "ADMIN"):
        if _norm(props.get(key, "")) in by_name:
            return by_name[_norm(props[key])]
    for key in ("ISO_N3", "UN_A3"):
        code = str(props.get(key, "")).lstrip("0")
        if code and code != "-99":
            for i, other in enumerate(topology["ids"]):
                if other.lstrip("0") == code:
                    return i
    raise ValueError(f"country {name!r} ({props['NAME']}) has no 1:50m outline in "
                     f"{_COUNTRIES_50M_FILE} (no feature of that name or ISO numeric code "
                     f"{props.get('ISO_N3')}); use scale='110m'")


def country_borders() -> list[np.ndarray]:
    """Return the 1:50m land borders between countries (no coastlines) as polylines.

    Each border is a TopoJSON arc that two different countries share, so every border is drawn
    once; the coast is :func:`coastlines` ``("50m")``.

    Returns
    -------
    list of numpy.ndarray
        Read-only arrays of shape ``(n, 2)``: ``lon_deg``, ``lat_deg``.

    Examples
    --------
    >>> lines = country_borders()
    >>> len(lines) > 300, lines[0].shape[1]
    (True, 2)
    """
    return list(_topology(_layer_path(_COUNTRIES_50M_FILE))["borders"])


# --------------------------------------------------------------------------- cities


@functools.lru_cache(maxsize=4)
def _places(path: str):
    """Return (columns sorted by population descending, normalized name -> row indices)."""
    rows = []
    for feature in _features(path):
        props = feature["properties"]
        # Use the point geometry: the latitude/longitude attributes are wrong for a few
        # places (Peter I Island has longitude +90.5 instead of -90.6).
        lon, lat = feature["geometry"]["coordinates"][:2]
        rows.append(
            (props["name"], props["nameascii"], props["adm0name"], lat, lon, int(props["pop_max"]))
        )
    rows.sort(key=lambda r: -r[5])  # stable: ties keep file order
    columns = {
        "name": np.array([r[0] for r in rows], dtype=str),
        "country": np.array([r[2] for r in rows], dtype=str),
        "lat_deg": np.array([r[3] for r in rows], dtype=float),
        "lon_deg": np.array([r[4] for r in rows], dtype=float),
        "population": np.array([r[5] for r in rows], dtype=np.int64),
    }
    index: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for key in {_norm(row[0]), _norm(row[1])}:
            index.setdefault(key, []).append(i)  # largest population first
    for alias, target in _CITY_ALIASES.items():
        if target in index:
            index.setdefault(alias, index[target])
    return {k: _frozen(v) for k, v in columns.items()}, index


def _city_index(query: str, columns: dict, index: dict[str, list[int]]) -> int | None:
    key = _norm(query)
    if key in index:
        return index[key][0]
    if "," in key:  # "Valencia, Spain" or "Portland, USA"
        city, _, country = key.rpartition(",")
        try:
            names = _countries(_layer_path(_COUNTRIES_FILE))[0]
            wanted = _norm(names[_country_index(country)])
        except ValueError:
            wanted = _norm(country)
        for i in index.get(city.strip(), []):
            if _norm(columns["country"][i]) in (wanted, _norm(country)):
                return i
    return None


def cities(names: str | Sequence[str] | None = None, min_population: int = 0) -> dict:
    """Return populated places from the 1:50m layer (1,249 places).

    Parameters
    ----------
    names : str or sequence of str, optional
        Case- and accent-insensitive ``name`` or ``nameascii`` (e.g. ``"Sao Paulo"``), or an
        alias (``"Washington"`` -> ``"Washington, D.C."``, ``"Peking"``, ``"Kyiv"``, ...). An
        ambiguous name gives the most populous place; ``"Valencia, Spain"`` picks by country
        (admin-0 name or a code/alias accepted by :func:`country_polygons`). The result keeps
        the requested order. Default: all places, most populous first.
    min_population : int, optional
        Drop places whose ``pop_max`` is below this (also applied to requested names).

    Returns
    -------
    dict of numpy.ndarray
        Arrays of equal length ``(n,)``: ``name`` (str), ``country`` (str, admin-0 name),
        ``lat_deg``, ``lon_deg`` (float, from the point geometry) and ``population``
        (int64, ``pop_max``, metropolitan population).

    Raises
    ------
    ValueError
        If a name is unknown; the message lists close matches.

    Examples
    --------
    >>> c = cities(["Berlin", "Washington"])
    >>> c["name"].tolist(), c["country"].tolist()
    (['Berlin', 'Washington, D.C.'], ['Germany', 'United States of America'])
    >>> round(float(c["lat_deg"][0]), 1), round(float(c["lon_deg"][0]), 1)
    (52.5, 13.4)
    """
    columns, index = _places(_layer_path(_PLACES_FILE))
    if names is None:
        rows = np.arange(columns["population"].size)
    else:
        if isinstance(names, str):
            names = [names]
        found, unknown = [], []
        for query in names:
            i = _city_index(query, columns, index)
            (unknown if i is None else found).append(query if i is None else i)
        if unknown:
            parts = []
            for query in unknown:
                close = difflib.get_close_matches(_norm(query), list(index), n=3, cutoff=0.7)
                shown = ", ".join(repr(str(columns["name"][index[c][0]])) for c in close)
                parts.append(f"{query!r}" + (f" (did you mean {shown}?)" if close else ""))
            raise ValueError(
                "unknown city name(s): "
                + "; ".join(parts)
                + ". Names come from Natural Earth ne_50m_populated_places_simple."
            )
        rows = np.asarray(found, dtype=np.intp)
    rows = rows[columns["population"][rows] >= min_population]
    return {k: v[rows] for k, v in columns.items()}
