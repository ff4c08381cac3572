"""Location of the data files shipped with the project (presets, scenarios, maps, TLEs)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_ENV_VAR", "data_dir"]

DATA_ENV_VAR = "CONSTELLATIONS_DATA"


def data_dir() -> Path:
    """Return the data directory (``$CONSTELLATIONS_DATA``, else ``<repo root>/data``).

    Raises
    ------
    FileNotFoundError
        If the directory does not exist.

    Examples
    --------
    >>> (data_dir() / "constellations").is_dir()
    True
    """
    default = Path(__file__).resolve().parent.parent / "data"
    path = Path(os.environ.get(DATA_ENV_VAR) or default)
    if not path.is_dir():
        raise FileNotFoundError(
            f"constellations data directory not found: {path}. Set the {DATA_ENV_VAR} "
            "environment variable to the repository's data/ folder, or install the package "
            "from its git checkout with 'pip install -e .'"
        )
    return path
