"""Regenerate the README gallery: run the default scenario and collect its figures and summary table.

Run:  python scripts/make_gallery.py [--fast] [--out DIR | --write-docs] [--from-run DIR]

Without ``--write-docs`` nothing under docs/ is touched: the figures go to ``--out`` (default a new
temporary folder, printed). ``--write-docs`` replaces the PNGs and summary.md of docs/gallery/ (and
removes gallery PNGs the run no longer draws). ``--from-run DIR`` redraws from the NetCDF results of an
earlier ``constellations run`` of the scenario (``--figures none`` is enough) instead of recomputing.
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from constellations import load
from constellations.app.cli import main as constellations_main
from constellations.app.runs import split_results, write_run
from constellations.app.scenario import Scenario, read_scenario

DOCS = Path(__file__).resolve().parent.parent / "docs" / "gallery"

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", type=Path, help="folder for the figures (default: a new temporary folder)")
parser.add_argument("--write-docs", action="store_true", help=f"write into {DOCS} (replaces its figures)")
parser.add_argument("--fast", action="store_true", help="the tiny test scenario instead (for CI)")
parser.add_argument("--from-run", type=Path,
                    help="redraw from the .nc results of an earlier run of the scenario")
args = parser.parse_args()
if args.write_docs and args.out is not None:
    parser.error("give --out DIR or --write-docs, not both")
target = DOCS if args.write_docs else (args.out or Path(tempfile.mkdtemp(prefix="constellations-gallery-")))
scenario_name = "tiny" if args.fast else "kuiper_vs_starlink"

with tempfile.TemporaryDirectory() as tmp:
    run = Path(tmp) / "run"
    if args.from_run is None:
        code = constellations_main(["run", scenario_name, "--out", str(run), "--quiet"])
        if code != 0:
            raise SystemExit(code)
    else:
        path, raw = read_scenario(scenario_name)
        scenario = Scenario.from_dict(raw, str(path))
        results, city_results = split_results([load(p) for p in sorted(args.from_run.glob("*.nc"))])
        if not results:
            sys.exit(f"{args.from_run}: no coverage results (.nc) to redraw")
        write_run(run, results, city_results, title=f"Scenario {scenario.name}",
                  description=scenario.description, caption=scenario.caption(),
                  figure_names=scenario.figure_names, formats=("png",), save_results=False)
    drawn = sorted(run.glob("*.png"))
    target.mkdir(parents=True, exist_ok=True)
    if args.write_docs:  # the gallery shows this run only: figures it no longer draws go
        for old in target.glob("*.png"):
            if old.name not in {p.name for p in drawn}:
                old.unlink()
                print(f"removed {old}")
    for path in [*drawn, run / "summary.md"]:
        shutil.copyfile(path, target / path.name)
        print(f"wrote {target / path.name}")
