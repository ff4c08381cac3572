"""Regenerate the README gallery: run the default scenario and copy its figures to docs/gallery/.

Run:  python scripts/make_gallery.py [--fast]
"""

import argparse
import shutil
import tempfile
from pathlib import Path

from constellations.app.cli import main as constellations_main

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "gallery")
parser.add_argument("--fast", action="store_true", help="the tiny test scenario instead (for CI)")
args = parser.parse_args()

with tempfile.TemporaryDirectory() as tmp:
    scenario = "tiny" if args.fast else "kuiper_vs_starlink"
    code = constellations_main(["run", scenario, "--out", tmp, "--quiet"])
    if code != 0:
        raise SystemExit(code)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in [*sorted(Path(tmp).glob("*.png")), Path(tmp) / "summary.md"]:
        shutil.copyfile(path, args.out / path.name)
        print(f"wrote {args.out / path.name}")
