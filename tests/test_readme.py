"""The README's "API in ten lines" runs as written (from any folder)."""

from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.slow
def test_readme_api_block_runs(tmp_path, monkeypatch):
    text = README.read_text()
    block = text.split("## The API in ten lines")[1].split("```python")[1].split("```")[0]
    assert len([line for line in block.splitlines() if line.strip()]) <= 11  # the import + ten lines
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own documentation
    assert (tmp_path / "coverage.png").stat().st_size > 0
    assert (tmp_path / "kuiper.nc").stat().st_size > 0
    assert len(namespace["starlink"]) == 7996
