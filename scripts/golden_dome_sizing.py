"""Golden Dome interceptor sizing: SBIs in reach of launch sites, size per salvo, tracking layer.

Reads constellations/data/scenarios/golden_dome_sizing.toml (or --scenario), counts the interceptors of the
16,000-satellite preset in reach of each launch area under several reach assumptions, maps the mean in
reach, sizes the smallest Walker constellation for salvos k = 1..10 as independent tasks on Dask (a
2-worker LocalCluster unless --scheduler or --serial), compares the sizes with the published ones and
checks the tracking layer's stereo coverage. Writes NetCDF, CSV, Markdown and PNG files to --out.

Run:  python scripts/golden_dome_sizing.py [--out DIR] [--fast] [--scheduler tcp://host:8786] [--serial]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from constellations.goldendome import load_sizing_scenario, run_sizing_scenario
from constellations.sources.datafiles import data_dir


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=data_dir() / "scenarios" / "golden_dome_sizing.toml",
                        help="scenario TOML (kind = 'golden_dome_sizing')")
    parser.add_argument("--out", type=Path, default=Path("results/golden_dome_sizing"), help="output folder")
    parser.add_argument("--fast", action="store_true",
                        help="small settings from the scenario's [fast] table (CI)")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (tcp://host:8786)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    parser.add_argument("--serial", action="store_true", help="run the sizing tasks in this process, no Dask")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    scenario = load_sizing_scenario(args.scenario, fast=args.fast)
    result = run_sizing_scenario(scenario, args.out, scheduler=args.scheduler, serial=args.serial,
                                 n_workers=args.workers, progress=None)
    print(result["published"][["estimate", "k", "published_n", "reach", "family", "our_n", "ratio",
                                "reproduces"]].to_string(index=False))
    print(f"wrote {len(result['written'])} files to {args.out} in {time.perf_counter() - t0:.1f} s")
    if result["sweep"].failures:
        print(result["sweep"].report(), file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
