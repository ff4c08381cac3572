"""Benchmark the coverage engine: wall time and peak memory of the issue's reference cases.

Each case runs in a fresh subprocess so that its peak resident memory (ru_maxrss) is its own.
Run:  python scripts/benchmark.py [--cases a,b,c,d] [--threads N] [--repeat R] [--fast] [--out DIR]
``--fast`` checks that every case runs (2 simulated hours on coarser grids, in well under 30 s); its
times are not the README's numbers. ``--out`` also writes the table as ``benchmark.md``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

# key: (what, constellation expression, grid spacing in deg, grid spacing in deg with --fast)
CASES = {
    "a": ("Starlink shell 1 (1,584)", "cs.walker_delta(1584, 72, 1, 550.0, 53.0, name='Starlink shell 1')",
          10.0, 10.0),
    "b": ("Kuiper 3,236", "cs.preset('kuiper')", 1.0, 5.0),
    "c": ("Golden Dome 16,000", "cs.preset('golden_dome')", 1.0, 5.0),
    "d": ("Golden Dome 16,000", "cs.preset('golden_dome')", 0.25, 2.0),
    "e": ("Starlink TLE snapshot (7,996) through SGP4",
          "Catalog.from_tle('tle/starlink_20250727.tle', name='Starlink 2025-07-27')",
          1.0, 5.0),
}
DURATION_S = 86400.0  # one simulated day
FAST_DURATION_S = 2 * 3600.0
STEP_S = 60.0

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import constellations as cs
from constellations.sources.tle import Catalog
c = {constellation}
g = cs.global_grid({spacing_deg})
t1 = time.perf_counter()
ds = cs.analyze(c, g, "{start}", {duration_s}, {step_s}, threads={threads}, progress=False)
t2 = time.perf_counter()
print(json.dumps({{"setup_s": t1 - t0, "analyze_s": t2 - t1, "cells": len(g),
    "satellites": len(c), "coverage_time": float((ds.coverage_time_fraction * ds.weight).sum()
    / ds.weight.sum()),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_case(key: str, *, threads: int, repeat: int, fast: bool) -> dict:
    """Run one case ``repeat`` times in fresh processes and return the fastest run's figures."""
    what, constellation, spacing_deg, fast_spacing_deg = CASES[key]
    spacing_deg = fast_spacing_deg if fast else spacing_deg
    duration_s = FAST_DURATION_S if fast else DURATION_S
    start = "2025-07-27T00:00:00Z" if key == "e" else "2025-07-01T00:00:00Z"
    code = CHILD.format(constellation=constellation, spacing_deg=spacing_deg, threads=threads,
                        start=start, duration_s=duration_s, step_s=STEP_S)
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"case {key} failed:\n{out.stderr[-3000:]}")
        wall = time.perf_counter() - t0
        res = json.loads(out.stdout.strip().splitlines()[-1])
        res["wall_s"] = wall
        if best is None or res["analyze_s"] < best["analyze_s"]:
            best = res
    best["label"] = (f"{what}, {spacing_deg:g} deg equal-area ({best['cells']:,} cells), "
                     f"{duration_s / 3600:g} h at {STEP_S:g} s")
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="a,b,c,d,e", help="comma-separated subset of a,b,c,d,e")
    parser.add_argument("--threads", type=int, default=2, help="counting threads (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the best is kept")
    parser.add_argument("--fast", action="store_true",
                        help=f"{FAST_DURATION_S / 3600:g} simulated hours on coarser grids: checks that "
                             "every case runs, in well under 30 s (not the README's timings)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to OUT/benchmark.md")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.cases.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CASES]
    if unknown or not keys:
        parser.error(f"--cases {args.cases!r}: unknown case(s) {unknown}; choose from {','.join(CASES)}")
    header = f"{'case':4} {'analyze (s)':>11} {'wall (s)':>9} {'peak RSS (MB)':>13}  description"
    print(header)
    rows = []
    for key in keys:
        best = run_case(key, threads=args.threads, repeat=args.repeat, fast=args.fast)
        rows.append((key, best))
        print(f"{key:4} {best['analyze_s']:11.2f} {best['wall_s']:9.2f} "
              f"{best['peak_rss_mb']:13.0f}  {best['label']} (threads={args.threads}, "
              f"coverage time {best['coverage_time']:.4f})", flush=True)
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest child peak RSS: {child:.0f} MB")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        lines = [f"# Benchmark{' (--fast: a smoke test, not the README timings)' if args.fast else ''}", "",
                 f"threads = {args.threads}, best of {args.repeat} run(s) per case", "",
                 "| case | analyze (s) | wall (s) | peak RSS (MB) | coverage time | description |",
                 "|---|--:|--:|--:|--:|---|"]
        lines += [f"| {key} | {b['analyze_s']:.2f} | {b['wall_s']:.2f} | {b['peak_rss_mb']:.0f} | "
                  f"{b['coverage_time']:.4f} | {b['label']} |" for key, b in rows]
        path = args.out / "benchmark.md"
        path.write_text("\n".join(lines) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
