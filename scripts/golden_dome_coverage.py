"""The 16,000-satellite Golden Dome layer beside Kuiper and Starlink: line-of-sight coverage figures.

Coverage here is geometric (a satellite above 10 degrees elevation); whether an interceptor can reach a
rising missile is the question of scripts/golden_dome_sizing.py.

Run:  python scripts/golden_dome_coverage.py [--out DIR] [--fast]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import constellations as cs
from constellations.plotting import draw_figures

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", type=Path, default=Path("results/golden_dome_coverage"))
parser.add_argument("--fast", action="store_true", help="coarse grid and a 1-hour window (for CI)")
args = parser.parse_args()

spacing_deg, duration_s = (10.0, 3600.0) if args.fast else (1.0, 86400.0)
start, step_s = "2025-07-01T00:00:00Z", 60.0
names = ["golden_dome", "starlink_gen1", "kuiper"]

grid = cs.global_grid(spacing_deg=spacing_deg)
usa = cs.country_grid("United States of America", spacing_deg=max(spacing_deg, 1.0))
sites = cs.city_grid(["Washington", "Pyongyang", "Tehran", "Moscow", "Beijing"])
results = [cs.analyze(cs.preset(n), grid, start, duration_s, step_s) for n in names]
usa_results = [cs.analyze(cs.preset(n), usa, start, duration_s, step_s) for n in names]
site_results = [cs.analyze(cs.preset(n), sites, start, duration_s, step_s) for n in names]

print(cs.summary(results)[["constellation", "satellites", "coverage_time", "visible_mean",
                           "revisit_max_s"]].to_string(index=False))
print("over the USA:")
print(cs.summary(usa_results)[["constellation", "coverage_time", "visible_mean",
                               "revisit_max_s"]].to_string(index=False))

written = draw_figures(results, args.out, city_results=site_results,
                       caption=f"Golden Dome layer (hypothetical) vs Kuiper and Starlink, {grid.name}, "
                               f"{duration_s / 3600:g} h at {step_s:g} s; line of sight only")
print(f"wrote {sum(len(p) for p in written.values())} figures to {args.out}")
