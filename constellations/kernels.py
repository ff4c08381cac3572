"""Counting backend selection: the NumPy reference kernels or the compiled (numba) ones.

The NumPy kernels of :mod:`constellations.coverage` are the reference and the fallback; the compiled
kernels of :mod:`constellations.coverage_compiled` give the same counts, several times faster. The
environment variable ``CONSTELLATIONS_KERNEL`` chooses, at every kernel call:

- ``auto`` (default): numba when it is installed (``pip install constellations[fast]``), else NumPy;
- ``numpy``: always the NumPy kernels;
- ``numba``: always the compiled kernels; an error says how to install numba when it is missing.

The same switch selects the other compiled pieces of the sampled pipeline: the J2 sub-satellite points
(:mod:`constellations.propagation_compiled`, equal to the NumPy formulas to 1e-12 rad),
:meth:`~constellations.metrics.CoverageAccumulator.add` and :func:`~constellations.metrics.gap_statistics`
(:mod:`constellations.metrics_compiled`).

Importing this module never imports numba; the first compiled call does (about 0.5 s), and loads the
kernels from numba's on-disk cache (compiled once per machine, about 15 s the first time).
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache

from .validation import did_you_mean

__all__ = ["BACKENDS", "ENV_VAR", "backend", "compiled"]

ENV_VAR = "CONSTELLATIONS_KERNEL"
BACKENDS = ("auto", "numpy", "numba")


@lru_cache(maxsize=1)
def numba_available() -> bool:
    """Whether numba can be imported (looked up once, without importing it)."""
    return importlib.util.find_spec("numba") is not None


def backend() -> str:
    """The counting backend to use now: ``"numpy"`` or ``"numba"``.

    Returns
    -------
    str
        From ``CONSTELLATIONS_KERNEL`` (``auto``, ``numpy`` or ``numba``; case and surrounding blanks
        ignored; unset or empty: ``auto``).

    Raises
    ------
    ValueError
        For any other value, or for ``numba`` when numba is not installed.

    Examples
    --------
    >>> import os
    >>> os.environ["CONSTELLATIONS_KERNEL"] = "numpy"
    >>> backend()
    'numpy'
    >>> del os.environ["CONSTELLATIONS_KERNEL"]
    """
    raw = os.environ.get(ENV_VAR, "")
    value = raw.strip().lower() or "auto"
    if value not in BACKENDS:
        raise ValueError(f"{ENV_VAR} = {raw[:40]!r}: allowed {', '.join(BACKENDS)}"
                         f"{did_you_mean(value, BACKENDS)}; unset it for the default (auto)")
    if value == "numpy":
        return "numpy"
    if numba_available():
        return "numba"
    if value == "numba":
        raise ValueError(f"{ENV_VAR} = 'numba' but numba is not installed; install it with "
                         "pip install 'constellations[fast]' (or pip install numba), or set "
                         f"{ENV_VAR}=numpy")
    return "numpy"


def compiled():
    """The compiled kernels module (imports numba on first use)."""
    from . import coverage_compiled  # numba is heavy and optional: load it only when used

    return coverage_compiled
