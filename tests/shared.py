"""Helpers that several test files use: message checks and a satellite subset as a source."""

import numpy as np

from constellations.propagation import J2Propagator


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
