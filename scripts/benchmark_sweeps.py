"""Benchmark the sizing sweep on Dask: k = 1..10 at one reach assumption and one site, serial vs LocalCluster.

Each k is one task (a bisection over the Walker ladder, one day at 10 s per evaluation). The same task
list runs in a plain loop and on a LocalCluster of --workers processes (started and closed inside the
timing, as a user would see it). The sizes must agree; the table gives wall times and the speed-up.

Run:  python scripts/benchmark_sweeps.py [--workers 2] [--reach solid-4kms] [--site Sohae] [--fast]
      [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from constellations.atomic import atomic_write_text
from constellations.goldendome import sizing_sweep
from constellations.sweeps import map_tasks


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    parser.add_argument("--reach", default="solid-4kms", help="reach assumption (default solid-4kms)")
    parser.add_argument("--site", default="Sohae", help="threat site name (default Sohae)")
    parser.add_argument("--fast", action="store_true", help="3-hour window at 60 s and k = 1..4 (for CI)")
    parser.add_argument("--out", type=Path, default=None, help="folder for benchmark_sweeps.json/.md")
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine; the fastest is kept")
    args = parser.parse_args(argv)
    ks = range(1, 5) if args.fast else range(1, 11)
    window = ({"duration_s": 3 * 3600.0, "step_s": 60.0} if args.fast
              else {"duration_s": 86400.0, "step_s": 10.0})
    common = {"ks": ks, "reaches": [args.reach], "families": [("walker", 400.0, 50.0)], "sites": [args.site],
              "progress": False, **window}
    runs_serial = [sizing_sweep(serial=True, **common) for _ in range(max(1, args.repeat))]
    runs_dask = [sizing_sweep(n_workers=args.workers, **common) for _ in range(max(1, args.repeat))]
    serial_ds, serial = min(runs_serial, key=lambda r: r[1].wall_s)
    dask_ds, dask = min(runs_dask, key=lambda r: r[1].wall_s)
    overhead = min(map_tasks(int, [{}] * args.workers, n_workers=args.workers, progress=False).wall_s
                   for _ in range(max(1, args.repeat)))
    same = bool((serial_ds["n_required"].values == dask_ds["n_required"].values).all())
    task_s = float(serial_ds["elapsed_s"].sum())
    result = {
        "tasks": len(serial.results), "reach": args.reach, "site": args.site,
        "window": f"{window['duration_s'] / 3600:g} h at {window['step_s']:g} s",
        "serial_wall_s": round(serial.wall_s, 2), "cluster_wall_s": round(dask.wall_s, 2),
        "cluster_mode": f"{dask.mode}, {args.workers} workers x 1 thread",
        "speedup": round(serial.wall_s / dask.wall_s, 2),
        "sum_of_task_s_serial": round(task_s, 2), "cluster_start_stop_s": round(overhead, 2),
        "sizes_agree": same,
        "n_required": [int(v) for v in serial_ds["n_required"].values],
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }
    lines = [f"Sizing sweep, k = {ks.start}..{ks.stop - 1}, reach {args.reach}, site {args.site}, "
             f"{result['window']}, Walker 400 km / 50 deg ({result['tasks']} tasks, {os.cpu_count()} CPUs):",
             "", "| engine | wall time (s) |", "|---|---|",
             f"| serial loop | {serial.wall_s:.1f} |",
             f"| LocalCluster, {args.workers} workers (incl. start/stop) | {dask.wall_s:.1f} |",
             f"| of which LocalCluster start/stop alone | {overhead:.1f} |",
             "", f"speed-up {result['speedup']:.2f}x (best of {max(1, args.repeat)}); sizes agree: {same}; "
             f"sizes: {result['n_required']}"]
    print("\n".join(lines))
    if args.out is not None:
        atomic_write_text(args.out / "benchmark_sweeps.json", json.dumps(result, indent=2) + "\n")
        atomic_write_text(args.out / "benchmark_sweeps.md", "\n".join(lines) + "\n")
    if not same:
        raise SystemExit("serial and Dask sizes differ")
    return result


if __name__ == "__main__":
    main()
