"""Architecture: the package's import graph has no cycles and its arrows only point down the layers.

Layers, top to bottom (``docs`` and the README describe them)::

    app (constellations/app/: scenarios, runs, reports, the command)       <- only __main__ imports it
    analyses (constellations/race/, constellations/goldendome/)
    plotting (constellations/plotting/)
    the package root (constellations/__init__.py: the public names of the core and the sources)
    sources (constellations/sources/: presets, TLE, Natural Earth, regions, data files)
    core (flat modules: elements, constellation, geometry, ... engine, result)
    leaf utilities (validation, atomic, _version, pages, sweeps): import only each other

Every module of the package is parsed with :mod:`ast` (not imported, so a module that does not import
yet is still checked); every import counts, also those inside functions. Each failure prints the
offending edges as ``importer -> imported (file:line)``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import constellations

PACKAGE = "constellations"
ROOT = Path(constellations.__file__).resolve().parent

CORE = {"elements", "constellation", "geometry", "earth", "frames", "propagation", "sgp4_propagator",
        "grid", "coverage", "metrics", "engine", "result",
        "windows",  # exact access windows, used by the engine
        "kernels", "coverage_compiled",  # counting backend selection, the compiled (numba) kernels
        "windows_compiled",  # the compiled exact-window refinement
        "propagation_compiled", "metrics_compiled",  # compiled J2 sub-satellite points, accumulator
        "band_split"}  # analyze() split by latitude bands over a Dask cluster
LEAF = {"validation", "atomic", "_version", "pages", "sweeps"}
SUBPACKAGE_LAYERS = {"sources": "sources", "plotting": "plotting", "race": "analyses",
                     "goldendome": "analyses", "app": "app"}
RANK = {"leaf": 0, "core": 1, "sources": 2, "root": 3, "plotting": 4, "analyses": 5, "app": 6,
        "main": 7}


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package (``__init__`` names the package)."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join((PACKAGE, *parts))] = path
    return out


MODULES = module_files()


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _target(name: str) -> str:
    """The module an import of ``name`` loads: the name itself, or its package if it is an attribute."""
    return name if name in MODULES or name == PACKAGE else name.rsplit(".", 1)[0]


def imports_of(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import of a package module in ``module``'s file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names
                      if a.name == PACKAGE or a.name.startswith(PACKAGE + ".")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(module, path).split(".")
                base = base[:len(base) - (node.level - 1)]
                if len(base) < 1:
                    raise AssertionError(f"{path}:{node.lineno}: relative import beyond the package")
                prefix = ".".join(base)
                source = f"{prefix}.{node.module}" if node.module else prefix
            elif node.module and (node.module == PACKAGE or node.module.startswith(PACKAGE + ".")):
                source = node.module
            else:
                continue
            for alias in node.names:  # "from .sources import naturalearth" imports a module
                sub = f"{source}.{alias.name}"
                found.append((sub if sub in MODULES else source, node.lineno))
    return found


def edges() -> list[tuple[str, str, str]]:
    """(importer, imported, "file:line") for every import between modules of the package."""
    out = []
    for module, path in MODULES.items():
        for name, line in imports_of(module, path):
            target = name if name in MODULES else _target(name)
            edge = (module, target, f"{path.relative_to(ROOT.parent)}:{line}")
            if target != module and edge not in out:
                out.append(edge)
    return out


EDGES = edges()


def layer(module: str) -> str | None:
    """The layer of a module, or None if the table above does not place it."""
    if module == PACKAGE:
        return "root"
    parts = module.split(".")[1:]
    if parts == ["__main__"]:
        return "main"
    if len(parts) == 1 and parts[0] in CORE:
        return "core"
    if len(parts) == 1 and parts[0] in LEAF:
        return "leaf"
    return SUBPACKAGE_LAYERS.get(parts[0])


def _show(bad) -> str:
    return "\n  " + "\n  ".join(f"{a} -> {b} ({where})" + (f": {why}" if why else "")
                                for a, b, where, why in bad)


def test_the_graph_is_built_from_every_module():
    assert {"constellations.engine", "constellations.validation", "constellations.app.cli",
            "constellations.sources.presets", "constellations.plotting.style"} <= set(MODULES)
    # a few edges that exist for certain, through each form of import
    pairs = {(a, b) for a, b, _ in EDGES}
    assert ("constellations.app.scenario", "constellations.validation") in pairs  # from ..validation
    assert ("constellations.app.scenario", "constellations.sources.naturalearth") in pairs  # a module
    assert ("constellations.__main__", "constellations.app.cli") in pairs


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in MODULES if layer(m) is None)
    assert not unplaced, ("modules in no layer (move them into one, or add them to the layer table of "
                          f"tests/test_architecture.py): {unplaced}")


def test_every_import_names_a_module_of_the_package():
    missing = [(a, b, where, "no such module") for a, b, where in EDGES
               if b not in MODULES and b != PACKAGE]
    assert not missing, "imports of modules that do not exist:" + _show(missing)


def test_no_import_cycles():
    graph = defaultdict(dict)  # importer -> imported -> where (the first import)
    for a, b, where in EDGES:
        graph[a].setdefault(b, where)
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def connect(v):  # Tarjan's strongly connected components (the graph has ~100 nodes)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(set(graph) | {b for a in graph for b in graph[a]}):
        if v not in index:
            connect(v)
    bad = [(a, b, graph[a][b], f"cycle {' / '.join(c)}") for c in components for a in c for b in graph[a]
           if b in c]
    assert not components, "import cycles (each edge inside a cycle):" + _show(bad)


def _violations(rule) -> list:
    out = []
    for a, b, where in EDGES:
        la, lb = layer(a), layer(b)
        if la is None or lb is None:
            continue  # reported by test_every_module_has_a_layer
        why = rule(la, lb)
        if why:
            out.append((a, b, where, why))
    return out


def test_arrows_point_down_the_layers():
    def rule(la, lb):
        if lb == "app" and la not in ("app", "main"):
            return "nothing imports the app layer except constellations/__main__.py"
        if la == lb or la == "leaf":
            return None  # the leaf rule is test_leaf_utilities_import_only_each_other
        if RANK[lb] > RANK[la]:
            return f"{la} imports {lb}, a higher layer"
        return None

    bad = _violations(rule)
    assert not bad, "imports that point up the layers:" + _show(bad)


@pytest.mark.parametrize("low, high", [
    ("core", ("sources", "root", "plotting", "analyses", "app")),
    ("sources", ("root", "plotting", "analyses", "app")),
    ("plotting", ("analyses", "app")),
    ("analyses", ("app",)),
])
def test_layer_rule(low, high):
    bad = _violations(lambda la, lb: f"{la} must not import {lb}" if la == low and lb in high else None)
    assert not bad, f"the {low} layer imports from above it:" + _show(bad)


def test_leaf_utilities_import_only_each_other():
    bad = _violations(lambda la, lb: "a leaf utility imports only other leaf utilities"
                      if la == "leaf" and lb != "leaf" else None)
    assert not bad, "leaf utilities importing the package:" + _show(bad)


def test_the_checker_sees_a_bad_edge(tmp_path):
    """The rules are not vacuous: an upward import and a cycle in a small fake graph are found."""
    assert layer("constellations.engine") == "core" and layer("constellations.app.runs") == "app"
    assert layer("constellations.race.run") == "analyses" and layer("constellations.pages") == "leaf"
    assert RANK[layer("constellations.sources.tle")] > RANK[layer("constellations.engine")]
    fake = tmp_path / "m.py"
    fake.write_text("from ..app import cli\nimport constellations.engine\n"
                    "def f():\n    from . import tle\n")
    found = imports_of("constellations.sources.m", fake)
    assert sorted(found) == [("constellations.app.cli", 1), ("constellations.engine", 2),
                             ("constellations.sources.tle", 4)]  # also the import inside f()
    fake_edges = [("constellations.sources.m", b, f"m.py:{line}") for b, line in found]
    assert [b for a, b, _ in fake_edges if RANK[layer(b)] > RANK["sources"]] == ["constellations.app.cli"]


def test_public_names_and_old_module_names_reach_the_moved_modules():
    import constellations as cs
    from constellations.sources import datafiles, naturalearth, presets, regions, tle

    assert cs.tle is tle and cs.naturalearth is naturalearth and cs.datafiles is datafiles
    assert cs.Catalog is tle.Catalog and cs.preset is presets.preset and cs.presets is presets.presets
    assert cs.country_grid is regions.country_grid and cs.city_grid is regions.city_grid
    assert all(hasattr(cs, name) for name in cs.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        cs.nonesuch  # noqa: B018
