"""The wheel is complete: built offline and installed in a fresh venv, it runs from an empty folder.

A checkout hides missing package data (the code finds the files beside itself), so the checks run on an
installed wheel: every file of ``constellations/data`` (nested folders and READMEs included) and every
module of every subpackage must be in it, and the ``tiny`` scenario must run with the installed copy, not
with the checkout. About 10-20 s: pip builds without build isolation (offline, using the setuptools of
this environment) and the venv sees this environment's packages (numpy, xarray, ...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "constellations"


def _project_files() -> list[Path]:
    """Files of the project as a clean clone would have them (tracked, plus new files not ignored)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs git to list the project's files")
    names = [n for n in out.stdout.decode().split("\0") if n]
    return [Path(n) for n in names if (ROOT / n).is_file()]  # skip files deleted in the work tree


def _copy_project(dest: Path) -> None:
    # Build from a copy: pip builds in the source folder and would leave build/ and *.egg-info in it.
    for rel in _project_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, (f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-2000:]}\n"
                                  f"{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    _copy_project(src)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--disable-pip-version-check", "-q", "-w", tmp / "dist", src])
    (path,) = (tmp / "dist").glob("constellations-*.whl")
    return path


@pytest.mark.slow
def test_wheel_holds_every_data_file_and_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [rel for rel in _project_files() if rel.parts[0] == "constellations"
               and (rel.parts[1] == "data" or rel.suffix == ".py")]
    data = [rel for rel in shipped if rel.parts[1] == "data"]
    assert any(rel.name == "README.md" and len(rel.parts) > 3 for rel in data)  # nested READMEs count
    missing = sorted(rel.as_posix() for rel in shipped if rel.as_posix() not in names)
    assert not missing, f"not in {wheel.name}: {missing}"
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "notebooks/"))]


@pytest.mark.slow
def test_installed_wheel_runs_tiny_from_an_empty_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", venv])
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", "-q",
          wheel])
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CONSTELLATIONS_DATA", "PYTHONPATH")}
    env["MPLBACKEND"] = "Agg"

    # the package and the command's module come from the venv, not from this checkout
    # (an editable install of the checkout is visible through --system-site-packages)
    code = ("import importlib, importlib.metadata as md, constellations; "
            "ep = md.entry_points(group='console_scripts', name='constellations'); "
            "print(constellations.__file__); print(importlib.import_module(next(iter(ep)).module).__file__); "
            "from constellations.sources.datafiles import data_dir; print(data_dir())")
    paths = _run([python, "-c", code], cwd=empty, env=env).stdout.split()
    assert len(paths) == 3
    for path in paths:
        assert Path(path).resolve().is_relative_to(venv.resolve()), (path, venv)
        assert not Path(path).resolve().is_relative_to(ROOT), path

    _run([venv / "bin" / "constellations", "run", "tiny", "--out", "out", "--quiet"], cwd=empty, env=env)
    out = empty / "out"
    for name in ("summary.csv", "summary.md", "index.md", "index.html"):
        assert (out / name).stat().st_size > 0, name
    assert list(out.glob("*.nc")) and list(out.rglob("*.png"))
    assert sorted(p.name for p in empty.iterdir()) == ["out"]  # nothing written beside it
