"""The speed mechanisms of issue 17 keep outputs the same: one layout pass per chart gives savefig's bytes,
and the run's own process does not import what only the notebooks need."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import matplotlib
import numpy as np

from ceasefire_analysis import charts
from ceasefire_analysis.config import DEMO_DATA_DIR


def busy_figure(rows: int = 1):
    """A constrained-layout figure with what moves a layout: titles, long tick labels, a legend outside."""
    fig, axes = charts.new_panels(8.0, 3.0 * rows, rows, 1)
    for i, ax in enumerate(np.atleast_1d(axes)):
        ax.plot(np.arange(12), np.arange(12) ** (1 + i / 3), label="homicides, year to date")
        ax.bar(np.arange(12), np.arange(12)[::-1], label="benchmark")
        ax.set_xticks(range(12), [f"month {m} of the review" for m in range(12)], rotation=45)
        charts.label_axes(ax, "month", "count of shootings", title=f"panel {i}", counts=True)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("A chart whose layout matters")
    return fig


def savefig_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def test_render_png_gives_savefig_bytes():
    for rows in (1, 3):
        assert charts.render_png(busy_figure(rows)) == savefig_png(busy_figure(rows))


def test_render_png_puts_the_layout_engine_back():
    fig = busy_figure()
    engine = fig.get_layout_engine()
    charts.render_png(fig)
    assert fig.get_layout_engine() is engine
    assert fig.dpi == 100
    # and a figure drawn again later is laid out as before
    assert savefig_png(fig) == savefig_png(busy_figure())


def test_render_png_with_global_layout_settings_on():
    # a notebook may turn these on: the painted figure must still be the one the figure's own engine laid out
    with matplotlib.rc_context({"figure.autolayout": True, "figure.constrained_layout.use": True}):
        assert charts.render_png(busy_figure()) == savefig_png(busy_figure())


def test_render_png_of_a_figure_without_layout_engine():
    fig = matplotlib.figure.Figure(figsize=(4, 3))
    fig.add_subplot().plot([1, 2, 3])
    assert charts.render_png(fig) == savefig_png(fig)


def test_the_run_process_does_not_import_what_only_notebooks_need():
    # `ceasefire validate` goes through the same imports as `ceasefire run`'s own process (the CLI imports
    # every command's modules); seaborn (and with it pyplot) and lifelines are the kernels' only, scipy.stats
    # is imported when a probability is first computed, and rfc3987_syntax's grammar never (see __init__.py)
    code = ("import sys, json\nfrom ceasefire_analysis.cli import main\n"
            f"code = main(['validate', {str(DEMO_DATA_DIR)!r}])\n"
            "heavy = ['seaborn', 'matplotlib.pyplot', 'scipy.stats', 'statsmodels', 'lifelines', 'rfc3987_syntax']\n"
            "print(json.dumps({'code': code, 'loaded': [m for m in heavy if sys.modules.get(m) is not None]}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"code": 0, "loaded": []}


def test_notebooks_still_validate_without_rfc3987_syntax():
    # in a fresh process (pytest's own may have imported jsonschema before the package)
    code = ("import sys, ceasefire_analysis, nbformat\n"
            "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])\n"
            "nbformat.validate(nb)\n"
            "bad = nbformat.v4.new_notebook()\nbad.cells.append({'cell_type': 'code', 'source': 'x'})\n"
            "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    print('refused')\n"
            "print(sys.modules.get('rfc3987_syntax') is None)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["refused", "True"]
