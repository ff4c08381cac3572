"""Repository hygiene: no tracked file names a path that exists only on one machine; citations resolve.

An absolute path into a user's home folder, root's home, the temporary folder or a build machine's work
folder (see MACHINE_PATH) in code, data, notebooks or docs works on the machine that wrote it and nowhere
else (a clone, CI, an installed wheel), and it tells how that machine is laid out. Provenance is written
as a description instead ("copied from the project's shared reference data, file X, on DATE"), data are
found through ``constellations.sources.datafiles.data_dir()``, and tests write to pytest's ``tmp_path``,
never to a literal folder. Nothing is allow-listed: a hit is fixed in the file, not excused here.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# An absolute path starting with one of these folders: the "/" must not follow a letter, digit or one of
# ". : / ~ -", so that a URL's path or a relative path that merely contains such a folder doesn't match.
# (This file spells no such path in one piece, so that it passes its own test and a plain grep.)
MACHINE_PATH = re.compile(rb"(?<![\w.:/~-])/(?:work|home|root|tmp)/")


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs a git checkout to list the tracked files")
    names = [n for n in out.stdout.decode().split("\0") if n]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def test_pattern_finds_machine_paths_and_nothing_else():
    hits = [b'open("/t' b'mp/x.nc")', b"`/ho" b"me/alice/data`", b"/ro" b"ot/.cache", b" /wo" b"rk/main/data"]
    misses = [b"https://example.org/ho" b"me/page", b"data/tle/x.tle", b"~/t" b"mp/x", b"tmp_path / 'x'"]
    assert all(MACHINE_PATH.search(text) for text in hits)
    assert not any(MACHINE_PATH.search(text) for text in misses)


def test_no_tracked_file_names_an_absolute_machine_path():
    files = _tracked_files()
    assert len(files) > 50  # the listing worked
    found = []
    for path in files:
        for lineno, line in enumerate(path.read_bytes().splitlines(), start=1):
            match = MACHINE_PATH.search(line)
            if match:
                text = line.decode("utf-8", "replace").strip()
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {text[:120]}")
    assert not found, ("absolute machine paths in tracked files (describe the source instead, or use "
                       "data_dir() / tmp_path):\n" + "\n".join(found))


# Citations of the project's reference notes: "docs/REFERENCE.md section N" (or "sections N and M",
# "sections N-M") and "docs/PERFORMANCE.md". The names are spelled in pieces so that this file does not
# cite anything itself.
_REF, _PERF = "REFER" "ENCE", "PERFOR" "MANCE"
BARE_CITATION = re.compile(rf"(?<![/\w])(?:{_REF}|{_PERF})\b")
SECTION_CITATION = re.compile(rf"docs/{_REF}\.md (sections? \d+(?:(?:-| and |, )\d+)*)")


def test_citations_name_the_docs_and_an_existing_section():
    ref, perf = ROOT / "docs" / f"{_REF}.md", ROOT / "docs" / f"{_PERF}.md"
    assert ref.is_file() and perf.is_file()
    sections = {int(m) for m in re.findall(r"^## (\d+)\. ", ref.read_text(), flags=re.M)}
    assert sections >= set(range(1, 8))
    bare, unknown = [], []
    for path in _tracked_files():
        if path.suffix not in {".py", ".md", ".toml", ".ipynb", ".txt", ".cfg"}:
            continue
        if path.name.startswith("LICENSE"):  # third-party licence texts, kept verbatim
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(ROOT)
        bare += [f"{where}: ...{text[max(0, m.start() - 40):m.end() + 20]!r}"
                 for m in BARE_CITATION.finditer(text)]
        for m in SECTION_CITATION.finditer(text):
            numbers = [int(n) for n in re.findall(r"\d+", m.group(1))]
            if "-" in m.group(1):
                numbers = list(range(numbers[0], numbers[-1] + 1))
            unknown += [f"{where}: {m.group(0)!r}" for n in numbers if n not in sections]
    assert not bare, f"cite docs/{_REF}.md section N or docs/{_PERF}.md:\n" + "\n".join(bare)
    assert not unknown, f"no such section in docs/{_REF}.md:\n" + "\n".join(unknown)
