"""The application layer: coverage-scenario files, run folders, reports and the ``constellations`` command.

- :mod:`~constellations.app.scenario`: the coverage-scenario schema (frozen dataclasses) and its
  loader, every check made with :mod:`constellations.validation` before any work.
- :mod:`~constellations.app.runs`: one results folder per run; coverage runs, and the dispatch of
  race and Golden Dome sizing files to :mod:`constellations.race` and :mod:`constellations.goldendome`.
- :mod:`~constellations.app.report`: the summary tables of a coverage run and its index page.
- :mod:`~constellations.app.cli`: the command line (``constellations`` / ``python -m constellations``).

This is the top layer: it imports the analyses, the figures, the sources and the core, and nothing
in the package imports it except ``constellations/__main__.py`` (and the lazy ``cs.scenario``).
Importing this package loads none of its modules.

Examples
--------
>>> from constellations.app.scenario import load_scenario
>>> load_scenario("tiny").name
'tiny'
"""

__all__ = ["cli", "report", "runs", "scenario"]
