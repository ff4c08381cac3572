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
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

import numpy as np

from .atomic import atomic_write_text

__all__ = ["INDEX_FILES", "LIMITS", "dataframe_rows", "escape_markdown", "markdown_table", "remove_index",
           "write_index"]

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


_MD_INLINE = re.compile(r"[\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_markdown(text, *, multiline: bool = False, line_start: bool = True) -> str:
    """A user string as literal Markdown text: no HTML, headings, links, emphasis or table breaks.

    ``<`` and ``>`` become entities (no raw HTML such as ``<script>``), Markdown punctuation
    (backslash, backtick, ``*``, ``_`` at word edges, ``[``, ``]``, ``|``, ``~``) is backslash-escaped,
    and a line that would open a block (``#``, ``>``, ``-``, ``+``, ``=``, ``1.``) gets its marker
    escaped (not with ``line_start=False``: table cells, text after other text). Newlines become
    spaces unless ``multiline``; other control characters are dropped.

    Examples
    --------
    >>> print(escape_markdown("# Plan [A](http://x) <script>|"))
    \\# Plan \\[A\\](http://x) &lt;script&gt;\\|
    >>> escape_markdown("snake_case stays")
    'snake_case stays'
    """
    text = _CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    lines = text.split("\n") if multiline else [text.replace("\n", " ")]
    out = []
    for line in lines:
        line = _MD_INLINE.sub(lambda m: "\\" + m.group(0), line)
        line = line.replace("<", "&lt;").replace(">", "&gt;")
        if line_start:
            line = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), line, count=1)
        out.append(line)
    return "\n".join(out)


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
        return escape_markdown(s, line_start=False)

    lines = ["| " + " | ".join(esc(c) for c in rows[0]) + " |",
             "|" + "|".join("---" if i == 0 else "--:" for i in range(len(rows[0]))) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _figure_entries(figures: Mapping, out_dir: Path, captions: Mapping[str, str], titles: Mapping[str, str]):
    """(heading, caption, shown file, [other files]) with paths relative to out_dir."""
    entries = []
    for name, paths in figures.items():
        rel = [os.path.relpath(p, out_dir) for p in paths]
        if not rel:
            continue
        shown = next((p for p in rel if p.endswith((".png", ".svg"))), None)
        words = name.replace("_", " ")
        entries.append((titles.get(name, words[:1].upper() + words[1:]), captions.get(name, ""), shown,
                        [p for p in rel if p != shown]))
    return entries


def write_index(out_dir, *, title: str, description: str, caption: str, figures: Mapping,
                tables: Sequence[tuple[str, Sequence[Sequence[str]]]] = (), data_files: Sequence = (),
                parameters: Sequence[tuple[str, str]] = (), note: str = "", limits: str = LIMITS,
                captions: Mapping[str, str] | None = None, titles: Mapping[str, str] | None = None,
                answer_heading: str = "The answer") -> list[Path]:
    """Write ``index.md`` and ``index.html``: the answer tables first, then every figure, then how.

    The page reads top down as a reader needs it: the title and what was compared, the answer
    tables (with their note), each figure under a heading with its one-line explanation, then the
    parameters, the files and the model's limits.

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
        One-line explanation per figure name: what the figure answers (default: none).
    titles : mapping of str to str, optional
        Heading per figure name (default: the name in words, capitalized).
    answer_heading : str
        Heading of the tables section.

    Returns
    -------
    list of pathlib.Path
        ``[index.md, index.html]``.
    """
    out_dir = Path(out_dir)
    entries = _figure_entries(figures, out_dir, captions or {}, titles or {})
    files = [os.path.relpath(p, out_dir) for p in data_files]

    m = escape_markdown  # every user string (names, labels, descriptions) is shown literally
    md = [f"# {m(title, line_start=False)}", ""]
    if description:
        md += [m(description, multiline=True), ""]
    if tables:
        md += [f"## {m(answer_heading, line_start=False)}", ""]
    for lead, rows in tables:
        md += ([m(lead), ""] if lead else []) + [markdown_table(rows), ""]
    md += [m(note, multiline=True), ""] if note else []
    if entries:
        md += ["## Figures", ""]
        for heading, cap, shown, others in entries:
            md += [f"### {m(heading, line_start=False)}", ""] + ([m(cap), ""] if cap else [])
            if shown:
                md += [f"![{m(cap or heading, line_start=False)}]({quote(shown)})", ""]
            if others:
                md += ["Also: " + ", ".join(f"[{m(Path(o).suffix[1:])}]({quote(o)})" for o in others), ""]
    md += ["## How this was computed", "", f"*{m(caption, line_start=False)}*", ""]
    md += [f"- **{m(k, line_start=False)}**: {m(v, line_start=False)}" for k, v in parameters]
    md += [""] if parameters else []
    if files:
        md += ["## Files", ""] + [f"- [{m(f, line_start=False)}]({quote(f)})" for f in files] + [""]
    md += ["## Model limits", "", m(limits, multiline=True), ""]

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
    if tables:
        h.append(f"<h2>{e(answer_heading)}</h2>")
    for lead, rows in tables:
        h += ([f"<p>{e(lead)}</p>"] if lead else []) + [html_table(rows)]
    h += [f"<p>{e(note)}</p>"] if note else []
    if entries:
        h.append("<h2>Figures</h2>")
        for heading, cap, shown, others in entries:
            h.append(f"<figure><h3>{e(heading)}</h3>")
            if shown:
                h.append(f'<img src="{e(shown)}" alt="{e(cap or heading)}">')
            links = " ".join(f'<a href="{e(o)}">{e(Path(o).suffix[1:])}</a>' for o in others)
            h.append(f"<figcaption>{e(cap)} {links}</figcaption></figure>")
    h += ["<h2>How this was computed</h2>", f'<p class="caption">{e(caption)}</p>']
    if parameters:
        h.append("<ul>" + "".join(f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in parameters) + "</ul>")
    if files:
        h.append("<h2>Files</h2><ul>" + "".join(f'<li><a href="{e(f)}">{e(f)}</a></li>' for f in files)
                 + "</ul>")
    h += ["<h2>Model limits</h2>", f"<p>{e(limits)}</p>", "</body></html>"]
    return [atomic_write_text(out_dir / "index.md", "\n".join(md)),
            atomic_write_text(out_dir / "index.html", "\n".join(h) + "\n")]
