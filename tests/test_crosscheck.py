"""J2 model against SGP4 on the same shells (issue 4): coverage within 0.5 pp, revisit within 5 %."""

import importlib.util
from pathlib import Path

import pytest

import constellations as cs

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "crosscheck_j2_sgp4.py"


@pytest.fixture(scope="module")
def crosscheck():
    spec = importlib.util.spec_from_file_location("crosscheck_j2_sgp4", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["kuiper_2025", "starlink_shell_1"])
def test_j2_and_sgp4_give_the_same_coverage_and_revisit(crosscheck, name):
    if name == "starlink_shell_1":
        c = cs.Constellation("Starlink shell 1", (cs.preset("starlink_gen1").shells[0],))
    else:
        c = cs.preset(name)
    r = crosscheck.compare(c, cs.global_grid(spacing_deg=5.0), 6 * 3600.0, 60.0)
    (c1, g1, _), (c2, g2, _) = r["J2"], r["SGP4"]
    assert abs(c2 - c1) <= 0.005  # 0.5 percentage points of coverage time
    assert g2 == pytest.approx(g1, rel=0.05)  # mean revisit within 5 %


def test_script_writes_its_table(crosscheck, tmp_path):
    text = crosscheck.main(["--fast", "--out", str(tmp_path)])
    assert (tmp_path / "crosscheck.md").read_text().strip() == text.strip()
    assert "Kuiper mid-2025 (78)" in text
