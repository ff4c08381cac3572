"""Helpers that several test files use: message checks, a satellite subset as a source, and observers
placed on the Earth without the package's geometry."""

import numpy as np

from constellations.propagation import J2Propagator

A_KM = 6378.137  # WGS84 semi-major axis (NIMA TR8350.2), written here independently of the package
F = 1.0 / 298.257223563  # WGS84 flattening
E2 = F * (2.0 - F)


def observers(lat_deg, lon_deg, earth="wgs84"):
    """Positions (n, 3), km, and local vertical unit vectors (n, 3) of observers at height 0.

    ``earth="wgs84"``: on the ellipsoid at geodetic latitude, the geodetic normal as vertical;
    ``"sphere"``: radius ``A_KM``, radial vertical.
    """
    phi, lon = np.broadcast_arrays(np.radians(lat_deg), np.radians(lon_deg))
    up = np.stack([np.cos(phi) * np.cos(lon), np.cos(phi) * np.sin(lon), np.sin(phi)], axis=-1)
    if earth == "sphere":
        return A_KM * up, up
    n_km = A_KM / np.sqrt(1.0 - E2 * np.sin(phi) ** 2)
    pos = np.stack([n_km * np.cos(phi) * np.cos(lon), n_km * np.cos(phi) * np.sin(lon),
                    n_km * (1.0 - E2) * np.sin(phi)], axis=-1)
    return pos, up


def check_message(err, file, key, value, *texts):
    """The message has the form ``FILE: key = VALUE: ...`` and says ``texts``."""
    text = str(err.value)
    shown = f" = {value!r}: " if value is not None else " "
    assert text.startswith(f"{file}: {key}{shown}"), text
    for t in texts:
        assert t in text, text


class Subset:
    """The satellites ``index`` of a constellation as a satellite source (a brute-force reference)."""

    def __init__(self, constellation, index):
        self.c, self.index = constellation, np.asarray(index, dtype=int)
        self.name = f"{constellation.name} subset"

    def __len__(self):
        return self.index.size

    def min_elevation_deg_per_sat(self):
        return self.c.min_elevation_deg_per_sat()[self.index]

    def max_nadir_deg_per_sat(self):
        return self.c.max_nadir_deg_per_sat()[self.index]

    def propagator(self, start):
        return J2Propagator(self.c.elements().subset(self.index), start)
