"""Shared test settings: headless plotting, offline data from the repository."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
