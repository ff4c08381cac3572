"""Deployment race: Kuiper's coverage month by month as it builds out, against Starlink's mid-2025 coverage.

Runs the scenario ``constellations/data/scenarios/deployment_race.toml`` (launch model
``constellations/data/launches.toml``), prints the answers (month each cadence case reaches the FCC
milestones; month Kuiper's metrics first match Starlink's mid-2025 values) and writes into ``--out``:

- ``answers.csv``, ``answers.md``: the answers table
- ``timeline.nc``: satellites and metrics per case and month; ``maps.nc``: coverage maps at the map dates
- ``launches_<case>.csv``: every launch of each case
- ``race_satellites.png``, ``race_metrics.png``, ``race_maps.png``: the figures

Run:  python scripts/deployment_race.py --out results/deployment_race [--fast] [--serial]
      python scripts/deployment_race.py --check-resolution --out results/deployment_race
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/deployment_race", help="output folder")
    parser.add_argument("--scenario", default="deployment_race",
                        help="race scenario name (constellations/data/scenarios/<name>.toml) or TOML path")
    parser.add_argument("--fast", action="store_true",
                        help="coarse grid and short window (the scenario's [fast] settings), for CI")
    parser.add_argument("--serial", action="store_true", help="run the analysis in this process (no Dask)")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    parser.add_argument("--formats", default=None, help="figure formats, e.g. png,svg (default: scenario)")
    parser.add_argument("--check-resolution", action="store_true",
                        help="compare the scenario's grid/window with a 1-deg, 1-day reference instead")
    args = parser.parse_args(argv)

    from constellations.race import load_race_scenario, resolution_check, run_scenario

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.check_resolution:
        df = resolution_check(load_race_scenario(args.scenario, fast=args.fast), serial=args.serial,
                              n_workers=args.workers)
        print(df.to_string(index=False))
        df.to_csv(out / "resolution_check.csv", index=False)
        print(f"resolution check: {df.attrs['wall_s']:.1f} s; written {out / 'resolution_check.csv'}")
        return 0
    run = run_scenario(args.scenario, out, fast=args.fast, serial=args.serial, scheduler=args.scheduler,
                       n_workers=args.workers, formats=args.formats.split(",") if args.formats else None)
    result = run["result"]
    print(result.summary())
    t = result.timings
    print(f"\nsnapshots: {t['snapshots']} distinct satellite counts, {t['tasks']} tasks ({t['mode']}); "
          f"analysis {t['analysis_s']:.1f} s (task time {t['task_wall_s']:.1f} s), "
          f"total {time.perf_counter() - t0:.1f} s")
    for path in [*run["files"].values(), *(p for paths in run["figures"].values() for p in paths)]:
        print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
