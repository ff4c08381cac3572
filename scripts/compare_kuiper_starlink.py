"""Kuiper (licensed and mid-2025) against Starlink Gen1: coverage, revisit, figures and a table.

Run:  python scripts/compare_kuiper_starlink.py [--out DIR] [--fast]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import constellations as cs
from constellations.plotting import draw_figures

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", type=Path, default=Path("results/compare_kuiper_starlink"))
parser.add_argument("--fast", action="store_true", help="coarse grid and a 2-hour window (for CI)")
args = parser.parse_args()

spacing_deg, duration_s = (10.0, 2 * 3600.0) if args.fast else (1.0, 86400.0)
start, step_s = "2025-07-01T00:00:00Z", 60.0
names = ["kuiper", "starlink_gen1", "kuiper_2025"]

grid = cs.global_grid(spacing_deg=spacing_deg)
cities = cs.city_grid(["Berlin", "Washington", "Pyongyang"])
results = [cs.analyze(cs.preset(n), grid, start, duration_s, step_s) for n in names]
city_results = [cs.analyze(cs.preset(n), cities, start, duration_s, step_s) for n in names]

table = cs.summary(results)
print(table[["constellation", "satellites", "coverage_time", "visible_mean", "revisit_mean_s",
             "revisit_max_s", "mean_response_time_s"]].to_string(index=False))
args.out.mkdir(parents=True, exist_ok=True)
tmp = args.out / ".summary.csv.tmp"
table.to_csv(tmp, index=False)
tmp.replace(args.out / "summary.csv")

written = draw_figures(results, args.out, city_results=city_results,
                       caption=f"Kuiper vs Starlink, {grid.name}, {duration_s / 3600:g} h at {step_s:g} s")
print(f"wrote {sum(len(p) for p in written.values())} figures to {args.out}")
