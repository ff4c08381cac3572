"""Every notebook in notebooks/ runs top to bottom on a fresh kernel (small settings, offline) and shows
every figure it draws as an image, not as the text ``<Figure size ... with 2 Axes>``."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from constellations import plotting
from constellations.goldendome import figures as gd_figures
from constellations.race import figures as race_figures

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

# every public figure-drawing function of the package (a call to one of them makes a figure cell)
FIGURE_FUNCTIONS = sorted(
    {n for n in plotting.__all__ if n.islower() and n not in {"draw_figures", "new_figure", "save_figure",
                                                              "equal_earth", "equal_earth_inverse",
                                                              "constellation_colour", "maps_into"}}
    | {n for n in gd_figures.__all__ if n.islower()}
    | {n for n in race_figures.__all__ if n.islower() and n not in {"caption", "answer_rows",
                                                                     "draw_race_figures"}})
CALL = re.compile(r"\b(" + "|".join(FIGURE_FUNCTIONS) + r")\(")


def figure_cells(nb):
    """Code cells whose last line calls a figure function (their value is the figure shown)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [x for x in cell.source.splitlines() if x.strip() and not x.lstrip().startswith("#")]
        if lines and CALL.search(lines[-1]) and not re.match(r"\s*\w+\s*=", lines[-1]):
            out.append(cell)
    return out


def test_figure_cell_detection_is_not_vacuous():
    # the notebooks draw figures with these functions; the detection must find them
    assert {"maps", "dashboard", "sizing_curves", "satellites_over_time"} <= set(FIGURE_FUNCTIONS)
    counts = {p.name: len(figure_cells(nbformat.read(p, as_version=4))) for p in NOTEBOOKS}
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_and_shows_its_figures(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and "limits" in first.source.lower(), (
        "each notebook opens by saying what it shows and the model's limits")
    assert "what" in first.source.lower() and "show" in first.source.lower()
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    cells = figure_cells(nb)
    assert cells
    for cell in cells:
        images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        assert images, f"no image from the figure cell {cell.source!r}"
    as_text = [c.source for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "<Figure size" in str(o.get("data", {}).get("text/plain", ""))
               and "image/png" not in o.get("data", {})]
    assert not as_text, f"figures shown as text, not images: {as_text}"
