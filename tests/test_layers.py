"""Import direction inside the package: the core reads no data source, the sources run no analysis.

Layers, arrows pointing down: app -> analyses (Golden Dome, race) -> plotting -> sources (presets, TLE,
Natural Earth, regions) -> core (orbits, geometry, grids, counting, metrics, engine, results). Every
``import`` in a module counts, also one inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "constellations"

CORE = ("constellation", "walker", "elements", "geometry", "earth", "frames", "propagation",
        "sgp4_propagator", "grid", "coverage", "metrics", "engine", "result")
# modules and subpackages above the sources (old flat names included, in case one comes back)
ABOVE_SOURCES = ("app", "plotting", "goldendome", "race", "scenario", "report", "cli", "figures",
                 "race_figures", "interceptors", "interceptors_figures", "sizing", "deployment", "sweeps")


def _imported(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """Absolute names of the ``constellations`` modules that the file (below ``root``) imports."""
    package = path.relative_to(root).parts[:-1]  # the package a relative import starts from
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}  # "from . import x"
    return {n for n in names if n == "constellations" or n.startswith("constellations.")}


def _layer_of(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) < 2:
        return None
    if parts[1] == "sources":
        return "sources"
    if parts[1] in ABOVE_SOURCES:
        return "above"
    return None


def _modules(*names: str) -> list[Path]:
    paths = []
    for name in names:
        paths += [PACKAGE / f"{name}.py"] if (PACKAGE / f"{name}.py").is_file() else []
        paths += sorted((PACKAGE / name).rglob("*.py")) if (PACKAGE / name).is_dir() else []
    return paths


@pytest.mark.parametrize("path", _modules(*CORE), ids=lambda p: p.stem)
def test_the_core_imports_no_source_and_no_analysis(path):
    bad = sorted(n for n in _imported(path) if _layer_of(n) in ("sources", "above"))
    assert not bad, f"{path.name} (core) imports {bad}; pass the data in from the caller instead"


@pytest.mark.parametrize("path", _modules("sources"), ids=lambda p: p.stem)
def test_the_sources_import_no_analysis_plotting_or_app(path):
    bad = sorted(n for n in _imported(path) if _layer_of(n) == "above")
    assert not bad, f"sources/{path.name} imports {bad}; the sources may import only the core"


def test_the_check_sees_lazy_relative_imports(tmp_path):
    pkg = tmp_path / "constellations" / "sources"
    pkg.mkdir(parents=True)
    (pkg / "x.py").write_text("def f():\n    from ..app import cli\n    from . import tle\n")
    names = _imported(pkg / "x.py", root=tmp_path)
    assert {"constellations.app.cli", "constellations.sources.tle"} <= names


def test_public_names_and_old_module_names_reach_the_moved_modules():
    import constellations as cs
    from constellations.sources import datafiles, naturalearth, presets, regions, tle

    assert cs.tle is tle and cs.naturalearth is naturalearth and cs.datafiles is datafiles
    assert cs.Catalog is tle.Catalog and cs.preset is presets.preset and cs.presets is presets.presets
    assert cs.country_grid is regions.country_grid and cs.city_grid is regions.city_grid
    assert all(hasattr(cs, name) for name in cs.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        cs.nonesuch  # noqa: B018
