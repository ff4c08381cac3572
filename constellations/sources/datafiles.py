"""Location of the data shipped inside the package (presets, scenarios, maps, TLEs, launches, threats).

The files are package data in ``constellations/data/`` and install with the wheel, so an installed
package needs no checkout. ``$CONSTELLATIONS_DATA`` names another folder of the same layout instead
(``constellations/``, ``scenarios/``, ``naturalearth/``, ``tle/``, ``launches.toml``, ``threats.toml``).
Files of the data folder are named relative to it, e.g. ``"tle/starlink_20250727.tle"``; the older
spelling relative to the repository root, ``"data/tle/starlink_20250727.tle"``, is accepted as an alias
by :func:`data_path`.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from ..validation import did_you_mean

__all__ = ["DATA_ENV_VAR", "ScenarioNotFoundError", "data_dir", "data_path", "display_path",
           "scenario_file", "shipped_scenarios"]

DATA_ENV_VAR = "CONSTELLATIONS_DATA"

_LEGACY_PREFIX = "data"  # "data/tle/x.tle": the data folder sat at the repository root until it moved in


def data_dir() -> Path:
    """Return the data directory: ``$CONSTELLATIONS_DATA`` if set, else the package's ``data/``.

    Raises
    ------
    FileNotFoundError
        If the directory does not exist (the message names it and the environment variable).

    Examples
    --------
    >>> (data_dir() / "constellations").is_dir()
    True
    """
    override = os.environ.get(DATA_ENV_VAR)
    if override:
        path = Path(override).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(
                f"constellations data directory not found: {path} (from ${DATA_ENV_VAR}). Point "
                f"{DATA_ENV_VAR} at a folder laid out like the package's data/ (constellations/, "
                "scenarios/, naturalearth/, tle/), or unset it to use the data installed with the package"
            )
        return path
    resource = files("constellations") / "data"
    try:
        path = Path(os.fspath(resource))
    except TypeError:  # pragma: no cover - a zip import keeps no files on disk
        raise FileNotFoundError(
            f"the package data {resource} is not a folder on disk (was the package imported from a "
            f"zip file?); install the wheel normally, or set {DATA_ENV_VAR} to a copy of the data"
        ) from None
    if not path.is_dir():
        raise FileNotFoundError(
            f"constellations data directory not found: {path}; the installation is incomplete. "
            f"Reinstall the package (pip install constellations), or set the {DATA_ENV_VAR} "
            "environment variable to a copy of its data/ folder"
        )
    return path


def data_path(name: str | os.PathLike) -> Path:
    """The file or folder ``name`` of the data directory (absolute paths are returned unchanged).

    Parameters
    ----------
    name : str or path-like
        Relative to the data directory, e.g. ``"tle/starlink_20250727.tle"``. The older spelling
        relative to the repository root, ``"data/tle/starlink_20250727.tle"``, names the same file.

    Returns
    -------
    pathlib.Path
        The path, whether or not it exists (callers say what was expected).

    Examples
    --------
    >>> data_path("data/tle/starlink_20250727.tle") == data_path("tle/starlink_20250727.tle")
    True
    >>> data_path("tle/starlink_20250727.tle").is_file()
    True
    """
    path = Path(name).expanduser()
    if path.is_absolute():
        return path
    root = data_dir()
    if not (root / path).exists() and len(path.parts) > 1 and path.parts[0] == _LEGACY_PREFIX:
        return root.joinpath(*path.parts[1:])
    return root / path


def display_path(path: str | os.PathLike) -> str:
    """How a file is named in results and messages that are kept: never an absolute local path.

    A file of the data folder is named relative to it (``tle/starlink_20250727.tle``), a relative path
    as given, any other absolute path by its file name only.

    Examples
    --------
    >>> display_path(data_path("scenarios/tiny.toml")), display_path("my/launches.toml")
    ('scenarios/tiny.toml', 'my/launches.toml')
    >>> display_path("/data/private/launches.toml")
    'launches.toml'
    """
    path = Path(path)
    try:
        return path.resolve().relative_to(data_dir().resolve()).as_posix()
    except (ValueError, OSError):
        return path.name if path.is_absolute() else path.as_posix()


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``<data>/scenarios/``, sorted.

    Examples
    --------
    >>> "tiny" in shipped_scenarios()
    True
    """
    return sorted(p.stem for p in (data_dir() / "scenarios").glob("*.toml"))


class ScenarioNotFoundError(FileNotFoundError, ValueError):
    """A scenario that is neither a file nor a shipped name (a FileNotFoundError and a ValueError)."""


def scenario_file(path_or_name, what: str = "scenario") -> Path:
    """The file of a scenario: a path, or the bare name of a shipped scenario.

    Every scenario loader (coverage, race, Golden Dome sizing) finds its file here.

    Parameters
    ----------
    path_or_name : str or path-like
        A TOML file, or a name such as ``"tiny"`` for ``<data>/scenarios/tiny.toml``.
    what : str
        The kind of scenario, for the message (``"race scenario"``).

    Raises
    ------
    ScenarioNotFoundError
        Neither; the message suggests the closest shipped name and lists them all.

    Examples
    --------
    >>> scenario_file("tiny").name
    'tiny.toml'
    """
    text = str(path_or_name)
    path = Path(text).expanduser()
    if path.is_file():
        return path
    named = data_dir() / "scenarios" / f"{text}.toml"
    if "/" not in text and "\\" not in text and not text.endswith(".toml") and named.is_file():
        return named
    shipped = shipped_scenarios()
    hint = did_you_mean(Path(text).stem, shipped) or "."
    raise ScenarioNotFoundError(
        f"{what} {text!r} not found: no such file, and not a shipped scenario name{hint} "
        f"Shipped: {', '.join(shipped)}; or give the path of a .toml file")
