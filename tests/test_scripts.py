"""The example scripts run end to end in --fast mode and write their figures."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
FAST_SCRIPTS = ["compare_kuiper_starlink.py", "golden_dome_coverage.py", "crosscheck_j2_sgp4.py",
                "benchmark.py"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FAST_SCRIPTS)
def test_script_runs_in_fast_mode(name, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(SCRIPTS / name), "--fast", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = list(out.glob("*.png")) + list(out.glob("*.md"))
    assert written and all(p.stat().st_size > 0 for p in written)
