"""Benchmark the coverage engine: wall time and peak memory of the issue's reference cases.

Each case runs in a fresh subprocess so that its peak resident memory (ru_maxrss) is its own.
Run:  python scripts/benchmark.py [--cases a,b,c,d] [--threads N] [--repeat R] [--fast] [--out DIR]
                                  [--mode sampled|exact|both|all] [--kernels numpy,numba]
``--fast`` checks that every case runs (2 simulated hours on coarser grids, in well under 30 s); its
times are not the README's numbers. ``--out`` also writes the table as ``benchmark.md``. ``--mode``
picks the sampled analysis (``exact=False``), the exact access windows (``exact=True``, the default of
``analyze``), both, or ``all`` (both, and the sampled analysis on the sphere, ``earth="sphere"``: the
first release's counting), run one after the other in the same process so the ratio (the row's time
over the sampled row's) compares like with like; sampled and exact rows count on the WGS84 ellipsoid,
``analyze``'s default. ``--kernels numpy,numba`` runs every case once per counting backend
(``CONSTELLATIONS_KERNEL``, each in its own process, so peak memory is per backend; a tiny warm-up
analysis, the same for every backend, loads lazy imports and the compiled kernels before the clock
starts, its time shown as ``jit (s)``); ``speedup`` is the NumPy time over the row's;
``count (s)`` times the streaming count loop alone (propagation and counting with spherical
footprints, no statistics).
Case ``g`` is issue 14's reference: 16,000 satellites in 4 Walker shells, 12 h.
"""

from __future__ import annotations

import argparse
import json
import os
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
    "f": ("Kuiper mid-2025 (78), the hard case for exact windows", "cs.preset('kuiper_2025')",
          1.0, 5.0),
    "g": ("Issue 14: 16,000 in 4 Walker shells of 80 x 50 (540-570 km; 43, 53, 70, 97.6 deg; 25 deg)",
          "cs.Constellation('16,000 in 4 shells', tuple(cs.Shell(a, i, 80, 50, 1, name=f'{i:g} deg') "
          "for a, i in ((540.0, 43.0), (550.0, 53.0), (560.0, 70.0), (570.0, 97.6))), "
          "min_elevation_deg=25.0)", 1.0, 5.0),
}
CASE_DURATION_S = {"g": 43200.0}  # cases not run for one simulated day
# (row label, exact, earth): the sampled and exact modes on the default WGS84 ellipsoid, and the sampled
# mode on the sphere (the first release's counting), for reference
_SAMPLED, _EXACT, _SPHERE = ("sampled", False, "wgs84"), ("exact", True, "wgs84"), ("sphere", False, "sphere")
MODES = {"sampled": (_SAMPLED,), "exact": (_EXACT,), "both": (_SAMPLED, _EXACT),
         "all": (_SAMPLED, _EXACT, _SPHERE)}
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
from constellations import kernels
tj = time.perf_counter()  # warm-up, for every backend: lazy imports and the compiled kernels' load
for warm in (False, True):
    cs.analyze(c, cs.global_grid(30.0), "{start}", 120.0, 60.0, threads={threads}, progress=False,
               exact=warm)
jit_s = time.perf_counter() - tj
t1 = time.perf_counter()
count_s = float("nan")
if {count}:  # the streaming count loop alone: propagation and counting, no statistics
    from constellations.engine import elevation_footprint, stream_counts
    radius_rad = elevation_footprint(c.min_elevation_deg_per_sat(), c.max_nadir_deg_per_sat())
    for _ in stream_counts(c, g, "{start}", int({duration_s} / {step_s} + 1e-9), {step_s},
                           radius_rad=radius_rad, threads={threads}):
        pass
    count_s = time.perf_counter() - t1
for mode, exact, earth in {modes}:
    t2 = time.perf_counter()
    ds = cs.analyze(c, g, "{start}", {duration_s}, {step_s}, threads={threads}, progress=False,
                    exact=exact, earth=earth)
    t3 = time.perf_counter()
    print(json.dumps({{"mode": mode, "exact": exact, "earth": earth, "setup_s": t1 - t0 - jit_s,
        "analyze_s": t3 - t2, "cells": len(g),
        "kernel": kernels.backend(), "jit_s": jit_s, "count_s": count_s,
        "satellites": len(c), "coverage_time": float((ds.coverage_time_fraction * ds.weight).sum()
        / ds.weight.sum()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}), flush=True)
"""


def run_case(key: str, *, threads: int, repeat: int, fast: bool, mode: str = "exact",
             kernel: str | None = None, count: bool = False) -> list[dict]:
    """Run one case ``repeat`` times in fresh processes; the fastest run's figures, one per mode.

    ``kernel``: the counting backend (``CONSTELLATIONS_KERNEL``) of the child processes; default:
    this process's environment. ``count``: also time the streaming count loop alone (``count_s``).
    """
    what, constellation, spacing_deg, fast_spacing_deg = CASES[key]
    spacing_deg = fast_spacing_deg if fast else spacing_deg
    duration_s = FAST_DURATION_S if fast else CASE_DURATION_S.get(key, DURATION_S)
    env = dict(os.environ)
    if kernel:
        env["CONSTELLATIONS_KERNEL"] = kernel
    start = "2025-07-27T00:00:00Z" if key == "e" else "2025-07-01T00:00:00Z"
    modes = MODES[mode]
    code = CHILD.format(constellation=constellation, spacing_deg=spacing_deg, threads=threads,
                        start=start, duration_s=duration_s, step_s=STEP_S, modes=modes, count=count)
    best = [None] * len(modes)
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise SystemExit(f"case {key} failed:\n{out.stderr[-3000:]}")
        wall = time.perf_counter() - t0
        results = [json.loads(line) for line in out.stdout.strip().splitlines()[-len(modes):]]
        for i, res in enumerate(results):
            res["wall_s"] = wall
            if best[i] is None or res["analyze_s"] < best[i]["analyze_s"]:
                best[i] = res
    for res in best:
        res["ratio"] = res["analyze_s"] / best[0]["analyze_s"] if len(best) > 1 else float("nan")
        res["label"] = (f"{what}, {spacing_deg:g} deg equal-area ({res['cells']:,} cells), "
                        f"{duration_s / 3600:g} h at {STEP_S:g} s")
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="a,b,c,d,e", help="comma-separated subset of a,b,c,d,e,f,g")
    parser.add_argument("--threads", type=int, default=2, help="counting threads (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the best is kept")
    parser.add_argument("--fast", action="store_true",
                        help=f"{FAST_DURATION_S / 3600:g} simulated hours on coarser grids: checks that "
                             "every case runs, in well under 30 s (not the README's timings)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to OUT/benchmark.md")
    parser.add_argument("--mode", choices=sorted(MODES), default="both",
                        help="sampled (exact=False), exact (exact windows), both (default; the "
                             "ratio column is exact / sampled) or all (both and sampled on the sphere)")
    parser.add_argument("--kernels", default="",
                        help="comma-separated counting backends to compare, e.g. numpy,numba (default: "
                             "the environment's CONSTELLATIONS_KERNEL, auto when unset)")
    args = parser.parse_args(argv)
    backends = [k.strip() for k in args.kernels.split(",") if k.strip()] or [None]
    bad = [k for k in backends if k not in (None, "numpy", "numba", "auto")]
    if bad:
        parser.error(f"--kernels {args.kernels!r}: unknown backend(s) {bad}; choose from numpy,numba,auto")
    keys = [k.strip() for k in args.cases.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CASES]
    if unknown or not keys:
        parser.error(f"--cases {args.cases!r}: unknown case(s) {unknown}; choose from {','.join(CASES)}")
    header = (f"{'case':4} {'mode':7} {'kernel':6} {'analyze (s)':>11} {'ratio':>5} {'speedup':>7} "
              f"{'count (s)':>9} {'speedup':>7} {'jit (s)':>7} {'wall (s)':>9} {'peak RSS (MB)':>13}  "
              "description")
    print(header)
    rows = []
    for key in keys:
        numpy_s = {}
        for kernel in backends:
            for best in run_case(key, threads=args.threads, repeat=args.repeat, fast=args.fast,
                                 mode=args.mode, kernel=kernel, count=backends != [None]):
                if best["kernel"] == "numpy":
                    numpy_s[best["mode"]] = best["analyze_s"]
                    numpy_s["count"] = best["count_s"]
                best["speedup"] = numpy_s.get(best["mode"], float("nan")) / best["analyze_s"]
                best["count_speedup"] = numpy_s.get("count", float("nan")) / best["count_s"]
                rows.append((key, best))
                print(f"{key:4} {best['mode']:7} {best['kernel']:6} {best['analyze_s']:11.2f} "
                      f"{best['ratio']:5.2f} {best['speedup']:7.2f} {best['count_s']:9.2f} "
                      f"{best['count_speedup']:7.2f} {best['jit_s']:7.2f} "
                      f"{best['wall_s']:9.2f} {best['peak_rss_mb']:13.0f}  {best['label']} "
                      f"(threads={args.threads}, coverage time {best['coverage_time']:.4f})", flush=True)
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest child peak RSS: {child:.0f} MB")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        lines = [f"# Benchmark{' (--fast: a smoke test, not the README timings)' if args.fast else ''}", "",
                 f"threads = {args.threads}, best of {args.repeat} run(s) per case", "",
                 "| case | mode | kernel | analyze (s) | / sampled | NumPy / this | count (s) | "
                 "NumPy / this | jit (s) | wall (s) | peak RSS (MB) | coverage time | description |",
                 "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
        lines += [f"| {key} | {b['mode']} | {b['kernel']} | {b['analyze_s']:.2f} | {b['ratio']:.2f} | "
                  f"{b['speedup']:.2f} | {b['count_s']:.2f} | {b['count_speedup']:.2f} | "
                  f"{b['jit_s']:.2f} | {b['wall_s']:.2f} | "
                  f"{b['peak_rss_mb']:.0f} | {b['coverage_time']:.4f} | {b['label']} |"
                  for key, b in rows]
        path = args.out / "benchmark.md"
        path.write_text("\n".join(lines) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
