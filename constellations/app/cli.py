"""The ``constellations`` command: run scenarios, compare saved results, list presets and scenarios.

Usage::

    constellations run [SCENARIO ...] [--out DIR] [--formats png,svg] [--threads N] [--quiet]
    constellations compare RESULT.nc ... [--out DIR] [--formats png,svg] [--quiet]
    constellations presets
    constellations show PRESET
    constellations scenarios
    constellations tle FILE.tle [--designators LIST] [--name-pattern GLOB] [--altitude-km MIN MAX]

Every subcommand also takes ``--debug`` (show the traceback of any error). Exit codes: 0 success,
2 bad input (the message says which value and how to fix it; also a busy or unwritable output folder,
a run over the size limits or out of memory), 1 internal error, 130 interrupted (SIGINT, Ctrl-C),
143 terminated (SIGTERM). An interrupted run leaves no temporary file: its staging folder is deleted
and its output folder keeps the previous complete run (:func:`constellations.atomic.staged_folder`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
import warnings
from pathlib import Path

import numpy as np

from ..geometry import EARTH_RADIUS_KM, central_angle_rad
from ..sources.datafiles import data_dir
from ..sources.presets import preset, presets
from ..sources.tle import Catalog, shell_table
from .report import summary_markdown
from .runs import compare_results, run_scenarios
from .scenario import (
    DEFAULT_SCENARIO,
    FIGURE_NAMES,
    FORMATS,
    load_scenario,
    read_scenario,
    scenario_kind,
    scenarios,
)

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
PROG = "constellations"


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C (every ``finally`` runs, staging folders are deleted)."""


SIGNAL_RETRY_S = 0.05  # a signal that arrived inside numba's callbacks is delivered again this much later


def _raiser(exc_type):
    """A signal handler raising ``exc_type``, except inside numba's own Python callbacks.

    Compiled kernels call back into Python (numba unpickles constants there); an exception raised
    in such a frame makes CPython report a SystemError and can crash the process (seen: SIGSEGV in 1
    of 6 tries). There the handler sends the signal again a moment later, until it lands in the
    package's own code, where the exception unwinds every ``finally`` as usual.
    """
    def handle(signum, frame):
        if frame is not None and "numba" in Path(frame.f_code.co_filename).parts:
            threading.Timer(SIGNAL_RETRY_S, os.kill, (os.getpid(), signum)).start()
            return
        raise exc_type

    return handle


@contextlib.contextmanager
def _stop_signals():
    """SIGTERM raises :class:`Terminated` and SIGINT KeyboardInterrupt while the command runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {signal.SIGTERM: signal.signal(signal.SIGTERM, _raiser(Terminated)),
           signal.SIGINT: signal.signal(signal.SIGINT, _raiser(KeyboardInterrupt))}
    try:
        yield
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)


class UsageError(Exception):
    """Bad command-line arguments (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # raise instead of printing and exiting, so main() returns 2
        raise UsageError(f"{message}\n{self.format_usage().strip()}\n"
                         f"Run '{self.prog} --help' for details.")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _formats(text: str) -> tuple[str, ...]:
    items = tuple(x.strip().lower().lstrip(".") for x in text.split(",") if x.strip())
    bad = [x for x in items if x not in FORMATS]
    if not items or bad:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(FORMATS)} "
                                         f"(e.g. png,svg), got {text!r}")
    return items


def _figure_list(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "none":
        return ()
    known = FIGURE_NAMES
    items = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in items if x not in known]
    if not items or bad:
        raise argparse.ArgumentTypeError(f"expected 'none' or a comma-separated list of figure "
                                         f"names from {', '.join(known)}; got {text!r}")
    return items


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``constellations`` command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="print the full traceback of any error")
    common.add_argument("--quiet", "-q", action="store_true",
                        help="no progress output and no summary on stdout")
    figures = argparse.ArgumentParser(add_help=False)
    figures.add_argument("--formats", type=_formats, metavar="LIST",
                         help="figure formats, comma-separated: png, svg, pdf (default: the "
                              "scenario's [output] formats, else png)")
    figures.add_argument("--figures", type=_figure_list, metavar="LIST",
                         help="figures to draw, comma-separated names, or 'none' (default: the "
                              "scenario's [figures] names, else all)")

    parser = _Parser(
        prog=PROG,
        description="Coverage and revisit of satellite mega-constellations (Kuiper, Starlink, "
                    "Golden Dome): run scenarios, compare saved results, list presets.",
        epilog="Exit codes: 0 success, 2 bad input (also a busy or unwritable output folder, a run "
               "too large), 1 internal error, 130 interrupted, 143 terminated. "
               f"Example: {PROG} run --out results/default")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser(
        "run", parents=[common, figures], help="run scenarios and write results, tables, figures, index",
        description=f"Run one or more scenarios (shipped names or .toml files; default: "
                    f"{DEFAULT_SCENARIO}). Each writes NetCDF results, summary.csv/.md, figures "
                    "and index.md/index.html to its own folder.")
    run.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                     help="shipped scenario name (see 'constellations scenarios') or .toml path")
    run.add_argument("--out", type=Path, metavar="DIR",
                     help="output folder (default ./results/<scenario name>; with several "
                          "scenarios, DIR/<scenario name>)")
    run.add_argument("--threads", type=_positive_int, metavar="N",
                     help="counting threads per analysis (default: CPUs, at most 2)")

    cmp_ = sub.add_parser(
        "compare", parents=[common, figures], help="tables and figures from saved results (no recomputing)",
        description="Build summary tables, figures and an index from saved NetCDF results "
                    "(files written by 'constellations run'; a folder means all its .nc files).")
    cmp_.add_argument("inputs", nargs="+", metavar="RESULT.nc", type=Path)
    cmp_.add_argument("--out", type=Path, metavar="DIR",
                      help="output folder (default ./results/compare)")

    sub.add_parser("presets", parents=[common], help="list the preset constellations",
                   description="Table of the shipped preset constellations.")
    show = sub.add_parser("show", parents=[common], help="describe one preset: shells, sources, "
                          "assumptions", description="Describe a preset constellation.")
    show.add_argument("preset", metavar="PRESET")
    sub.add_parser("scenarios", parents=[common], help="list the shipped scenarios",
                   description="List the shipped scenario files.")
    tle = sub.add_parser("tle", parents=[common], help="inspect a TLE file: filters, shells found, "
                         "fill of the licensed shells",
                         description="Parse a TLE file, apply filters, report what was dropped, and "
                                     "print the shells found next to the licensed shells.")
    tle.add_argument("path", metavar="FILE.tle", help="TLE file (2- or 3-line sets)")
    tle.add_argument("--designators", metavar="LIST", type=lambda v: [x for x in v.split(",") if x],
                     help="launches to keep, comma-separated, e.g. 2025-088,2025-134,2025-151")
    tle.add_argument("--name-pattern", metavar="GLOB", help="satellite names to keep, e.g. 'KUIPER-*'")
    tle.add_argument("--altitude-km", nargs=2, type=float, metavar=("MIN", "MAX"),
                     help="keep satellites whose mean altitude is in this window (km)")
    tle.add_argument("--licensed", choices=["kuiper", "starlink-gen1", "none"],
                     help="licensed shells to compare with (default: guessed from the names)")
    return parser


# ----------------------------------------------------------------------------- helpers

def _progress_enabled(args) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _reporter(enabled: bool):
    """Where progress lines go: stderr on a terminal, nowhere otherwise."""
    return _stderr if enabled else None


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _say_paragraph(text: str) -> None:
    print(text, flush=True)


def _say(args, text: str = "") -> None:
    if not args.quiet:
        print(text, flush=True)


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- commands

def _cmd_run(args) -> int:
    progress = _progress_enabled(args)
    run_scenarios(args.scenarios, args.out, threads=args.threads, figure_names=args.figures,
                  formats=args.formats, progress=progress, report=_reporter(progress),
                  done=None if args.quiet else _say_paragraph)
    return EXIT_OK


def _cmd_compare(args) -> int:
    written = compare_results(args.inputs, args.out, figure_names=args.figures, formats=args.formats,
                              progress=_progress_enabled(args))
    _say(args, f"wrote {written['out']}/ (summary.csv, summary.md, "
               f"{sum(len(v) for v in written['figures'].values())} figure files, index.md, index.html)")
    _say(args, summary_markdown(written["table"]).split("\n\n")[0])
    return EXIT_OK


def _cmd_presets(args) -> int:
    rows = [["name", "satellites", "shells", "min elevation", "source"]]
    for name in presets():
        c = preset(name)
        elev = sorted({c.min_elevation_deg} | {s.min_elevation_deg for s in c.shells
                                                if s.min_elevation_deg is not None})
        source = c.source if len(c.source) <= 70 else c.source[:67] + "..."
        rows.append([name, f"{len(c):,}", str(len(c.shells)),
                     " / ".join(f"{e:g} deg" for e in elev), source])
    print(_table(rows))
    print(f"\n'{PROG} show NAME' describes one preset in full.")
    return EXIT_OK


def _cmd_show(args) -> int:
    c = preset(args.preset)  # unknown names raise ValueError listing the presets
    print(c.describe())
    if c.description:
        print(f"\n{c.description}")
    rows = [["shell", "altitude", "inclination", "planes x per plane", "satellites", "min elev",
             "footprint radius"]]
    for s in c.shells:
        elev = c.min_elevation_deg if s.min_elevation_deg is None else s.min_elevation_deg
        lam = float(central_angle_rad(s.altitude_km, elev, s.max_nadir_deg))
        rows.append([s.name or "shell", f"{s.altitude_km:g} km", f"{s.inclination_deg:g} deg",
                     f"{s.planes} x {s.sats_per_plane}", f"{s.total:,}", f"{elev:g} deg",
                     f"{lam * EARTH_RADIUS_KM:,.0f} km ({np.degrees(lam):.2f} deg)"])
    print()
    print(_table(rows))
    return EXIT_OK


def _cmd_scenarios(args) -> int:
    def short(text):
        text = " ".join(str(text).split()).split(". ")[0]
        return text if len(text) <= 60 else text[:57] + "..."

    rows = [["name", "constellations", "grid", "window", "description"]]
    for name in scenarios():
        mark = " (default)" if name == DEFAULT_SCENARIO else ""
        kind = scenario_kind(name)
        if kind != "coverage":
            _, raw = read_scenario(name)
            rows.append([name + mark, f"({kind})", "-", "-", short(raw.get("description", ""))])
            continue
        s = load_scenario(name)
        labels = ", ".join(c.preset or c.label or c.slug for c in s.constellations)
        rows.append([name + mark, labels, s.grid.describe(),
                     f"{s.duration_s / 3600:g} h / {s.step_s:g} s", short(s.description)])
    print(_table(rows))
    print(f"\nRun one with '{PROG} run NAME'; the files are in {data_dir() / 'scenarios'}.")
    return EXIT_OK


def _cmd_tle(args) -> int:
    catalog = Catalog.from_tle(args.path, designators=args.designators, name_pattern=args.name_pattern,
                               altitude_km=tuple(args.altitude_km) if args.altitude_km else None)
    print(catalog.report())
    licensed = () if args.licensed == "none" else args.licensed
    print()
    print(shell_table(catalog, licensed))
    return EXIT_OK


COMMANDS = {"run": _cmd_run, "compare": _cmd_compare, "presets": _cmd_presets, "show": _cmd_show,
            "scenarios": _cmd_scenarios, "tle": _cmd_tle}


def main(argv=None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 bad input, 1 internal error, 130 SIGINT,
    143 SIGTERM).

    Examples
    --------
    >>> main(["presets"])  # doctest: +ELLIPSIS
    name ...
    0
    """
    with _stop_signals():
        code = _main(argv)
    if argv is None and code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        # the command line: everything is cleaned up; do not wait for counting threads still busy
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one clean line on stderr (no file, line or source), ``--quiet`` drops them."""
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr if file is None else file)


def _main(argv) -> int:
    parser = build_parser()
    debug = "--debug" in (sys.argv[1:] if argv is None else list(argv))
    try:
        args = parser.parse_args(argv)
        debug = args.__dict__.get("debug", debug)
        if args.command is None:
            parser.print_help(sys.stderr)
            raise UsageError("choose a command: " + ", ".join(COMMANDS))
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            if args.__dict__.get("quiet"):
                warnings.simplefilter("ignore")
            elif not debug:  # numerical noise of the kernels is not the user's business
                warnings.simplefilter("ignore", RuntimeWarning)
            return COMMANDS[args.command](args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (ValueError, FileNotFoundError) as exc:
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except MemoryError as exc:
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {exc or 'out of memory'}", file=sys.stderr)
        return EXIT_INPUT
    except (KeyboardInterrupt, Terminated) as exc:
        return _stopped(exc)
    except SystemError as exc:
        # a signal handled while compiled (numba) code calls back into Python: CPython reports the
        # handler's exception as the cause (maybe of a cause) of "returned a result with an exception set"
        cause = exc
        while isinstance(cause, SystemError) and cause.__cause__ is not None:
            cause = cause.__cause__
        if isinstance(cause, KeyboardInterrupt | Terminated):
            return _stopped(cause)
        return _internal_error(exc, debug)
    except Exception as exc:
        return _internal_error(exc, debug)


def _stopped(exc: BaseException) -> int:
    """Say that a signal stopped the run (everything was cleaned up while unwinding); its exit code."""
    name, code = ("SIGINT", EXIT_INTERRUPTED) if isinstance(exc, KeyboardInterrupt) else \
        ("SIGTERM", EXIT_TERMINATED)
    what = "interrupted" if code == EXIT_INTERRUPTED else "terminated"
    print(f"{PROG}: {what} ({name}); the unfinished run was discarded, its output folder "
          "keeps its previous run", file=sys.stderr)
    return code


def _internal_error(exc: BaseException, debug: bool) -> int:
    """Report an unexpected exception (its traceback with ``--debug``); exit code 1."""
    if debug:
        traceback.print_exception(exc)
    print(f"{PROG}: internal error: {type(exc).__name__}: {exc}\n"
          f"This is a bug or an environment problem, not your input. "
          + ("" if debug else "Rerun with --debug to see the traceback, and please report it."),
          file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
