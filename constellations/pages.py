"""Index pages of a results folder: ``index.md`` and ``index.html`` with tables, figures and links.

Every run writes its index last (coverage runs, the deployment race, the Golden Dome sizing), so a
folder with an index is a finished run; :func:`remove_index` deletes a stale one before a folder is
rewritten. Both files are written atomically (:mod:`constellations.atomic`). The pages take plain
rows of strings (:func:`dataframe_rows` turns a DataFrame into them), so this module knows nothing
of coverage results and any analysis can use it.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .atomic import atomic_write_text

__all__ = ["INDEX_FILES", "LIMITS", "dataframe_rows", "markdown_table", "remove_index", "write_index"]

INDEX_FILES = ("index.md", "index.html")

LIMITS = (
    "Geometric visibility only: a point counts as covered when a satellite is above the minimum "
    "elevation (and inside the sensor cone, if one is given). No capacity, beams, spectrum, link "
    "budget, weather, ground stations or inter-satellite links. Spherical Earth; circular orbits "
    "with J2 drift for presets (SGP4 for TLE catalogs); every satellite assumed working. Times are "
    "sampled at the step: gaps and accesses are resolved to one step. Population weights: Natural "
    "Earth 1:50m populated places (metropolitan population, pop_max)."
)


def remove_index(out_dir) -> None:
    """Delete ``index.md``/``index.html`` before a run rewrites a folder.

    A stale index would vouch for results that are being replaced (the index is written last, once
    everything else is).
    """
    for name in INDEX_FILES:
        (Path(out_dir) / name).unlink(missing_ok=True)


def dataframe_rows(df) -> list[list[str]]:
    """A DataFrame as rows of strings for :func:`write_index`, the header first (floats to 4 digits).

    Examples
    --------
    >>> import pandas as pd
    >>> dataframe_rows(pd.DataFrame({"a": [1.234567, float("nan")], "b": ["x", None]}))
    [['a', 'b'], ['1.235', 'x'], ['', '']]
    """
    def cell(v) -> str:
        if isinstance(v, float | np.floating):
            return "" if not np.isfinite(v) else f"{v:.4g}"
        return "" if v is None else str(v)

    return [[str(c) for c in df.columns]] + [[cell(v) for v in row] for row in df.itertuples(index=False)]


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of strings (header first) as a Markdown table; the first column left-aligned.

    Examples
    --------
    >>> print(markdown_table([["name", "n"], ["a|b", "3"]]))
    | name | n |
    |---|--:|
    | a\\|b | 3 |
    """
    def esc(s):
        return s.replace("|", "\\|")

    lines = ["| " + " | ".join(esc(c) for c in rows[0]) + " |",
             "|" + "|".join("---" if i == 0 else "--:" for i in range(len(rows[0]))) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _figure_entries(figures: Mapping, out_dir: Path, captions: Mapping[str, str]):
    """(name, caption, shown file, [other files]) with paths relative to out_dir."""
    entries = []
    for name, paths in figures.items():
        rel = [os.path.relpath(p, out_dir) for p in paths]
        if not rel:
            continue
        shown = next((p for p in rel if p.endswith((".png", ".svg"))), None)
        entries.append((name, captions.get(name, name.replace("_", " ")), shown,
                        [p for p in rel if p != shown]))
    return entries


def write_index(out_dir, *, title: str, description: str, caption: str, figures: Mapping,
                tables: Sequence[tuple[str, Sequence[Sequence[str]]]] = (), data_files: Sequence = (),
                parameters: Sequence[tuple[str, str]] = (), note: str = "", limits: str = LIMITS,
                captions: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``index.md`` and ``index.html`` showing the tables and every figure.

    Parameters
    ----------
    out_dir : path
        The results folder; links are relative to it.
    title, description, caption : str
        Heading, free text and the one-line parameter caption.
    figures : mapping of str to list of path
        Figure files per figure name; a PNG or SVG is shown, other formats are linked.
    tables : sequence of (str, rows)
        A lead-in line and rows of strings (header first), e.g. from :func:`dataframe_rows`.
    data_files : sequence of path
        NetCDF and table files to link.
    parameters : sequence of (str, str)
        Parameter name and value, listed under the caption.
    note, limits : str
        Text under the tables; the model-limits section.
    captions : mapping of str to str, optional
        Caption per figure name (default: the name in words).

    Returns
    -------
    list of pathlib.Path
        ``[index.md, index.html]``.
    """
    out_dir = Path(out_dir)
    entries = _figure_entries(figures, out_dir, captions or {})
    files = [os.path.relpath(p, out_dir) for p in data_files]

    md = [f"# {title}", ""]
    if description:
        md += [description, ""]
    md += [f"*{caption}*", ""]
    md += [f"- **{k}**: {v}" for k, v in parameters]
    md += ["", "## Summary", ""]
    for lead, rows in tables:
        md += ([lead, ""] if lead else []) + [markdown_table(rows), ""]
    md += [note, ""] if note else []
    if entries:
        md += ["## Figures", ""]
        for name, cap, shown, others in entries:
            md += [f"### {name.replace('_', ' ').capitalize()}", "", cap, ""]
            if shown:
                md += [f"![{cap}]({shown})", ""]
            if others:
                md += ["Also: " + ", ".join(f"[{Path(o).suffix[1:]}]({o})" for o in others), ""]
    if files:
        md += ["## Files", ""] + [f"- [{f}]({f})" for f in files] + [""]
    md += ["## Model limits", "", limits, ""]

    e = html.escape

    def html_table(rows):
        head = "".join(f"<th>{e(c)}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         f"<title>{e(title)}</title>",
         "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
         "line-height:1.4}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
         "padding:.3em .6em;text-align:right}td:first-child,th:first-child{text-align:left}"
         "img{max-width:100%;border:1px solid #eee}figure{margin:2em 0}"
         ".caption{color:#444;font-style:italic}</style></head><body>",
         f"<h1>{e(title)}</h1>"]
    if description:
        h.append(f"<p>{e(description)}</p>")
    h.append(f'<p class="caption">{e(caption)}</p>')
    if parameters:
        h.append("<ul>" + "".join(f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in parameters) + "</ul>")
    h.append("<h2>Summary</h2>")
    for lead, rows in tables:
        h += ([f"<p>{e(lead)}</p>"] if lead else []) + [html_table(rows)]
    h += [f"<p>{e(note)}</p>"] if note else []
    if entries:
        h.append("<h2>Figures</h2>")
        for name, cap, shown, others in entries:
            h.append(f'<figure id="{e(name)}"><h3>{e(name.replace("_", " ").capitalize())}</h3>')
            if shown:
                h.append(f'<img src="{e(shown)}" alt="{e(cap)}">')
            links = " ".join(f'<a href="{e(o)}">{e(Path(o).suffix[1:])}</a>' for o in others)
            h.append(f"<figcaption>{e(cap)} {links}</figcaption></figure>")
    if files:
        h.append("<h2>Files</h2><ul>" + "".join(f'<li><a href="{e(f)}">{e(f)}</a></li>' for f in files)
                 + "</ul>")
    h += ["<h2>Model limits</h2>", f"<p>{e(limits)}</p>", "</body></html>"]
    return [atomic_write_text(out_dir / "index.md", "\n".join(md)),
            atomic_write_text(out_dir / "index.html", "\n".join(h) + "\n")]
