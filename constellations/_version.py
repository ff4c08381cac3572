"""The package version, in one place: read by ``pyproject.toml`` and stamped into every result.

It imports nothing, so any module may import it without cycles.
"""

__version__ = "0.1.0"
