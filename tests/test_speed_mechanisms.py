"""The speed mechanisms of issue 17 keep outputs the same: one layout pass per chart gives savefig's bytes,
and the run's own process does not import what only the notebooks need."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd

from ceasefire_analysis import charts
from ceasefire_analysis.config import DEMO_DATA_DIR
from test_executing import wait_until_gone


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


# --------------------------------------------------------------------------- the template forked from the run

FORKED_TEMPLATE_SCRIPT = """
import json, os, sys, threading, time
import nbformat
from ceasefire_analysis.executing import ForkedTemplate, KernelTemplate, WarmKernel, execute_notebook

def notebook(name, source):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("CWD = ''", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(source)]
    path = os.path.join(os.getcwd(), name + ".ipynb")
    nbformat.write(nb, path)
    return path

def ppid(pid):
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])

# this process's own state, which the kernels must not show: a global of its main module and a chart setting
RUN_STATE = "the run's own"
leak = notebook("leak", "import os, json, matplotlib\\nleaked = 'x'\\n"
                "print(json.dumps([os.getpid(), matplotlib.get_backend(), 'RUN_STATE' in globals()]))")
check = notebook("check", "import os, json\\nprint(json.dumps([os.getpid(), 'leaked' in globals()]))")
template = KernelTemplate([], fork_from_here=True).__enter__()
first, second = WarmKernel(), WarmKernel()
one = execute_notebook(first, leak, "leak.out.ipynb", {}, os.getcwd())
two = execute_notebook(second, check, "check.out.ipynb", {}, os.getcwd())
again = execute_notebook(first, check, "again.out.ipynb", {}, os.getcwd())
out = lambda nb: json.loads(nb.cells[-1].outputs[0]["text"])
pid, backend, run_state = out(one)
print(json.dumps({"forked": isinstance(template.process, ForkedTemplate),
                  "template_parent_is_run": ppid(template.process.pid) == os.getpid(),
                  "kernels_parent_is_template": ppid(pid) == ppid(out(two)[0]) == template.process.pid,
                  "backend": backend, "run_state_seen": run_state,
                  "leaked_to_other_kernel": out(two)[1], "leaked_to_next_notebook": out(again)[1],
                  "pids": [template.process.pid, pid, out(two)[0]]}), flush=True)
if sys.argv[1] == "close":
    first.shutdown(); second.shutdown()
    template.close()
    print(json.dumps({"template_exit": template.process.returncode}), flush=True)
else:
    time.sleep(600)  # killed by the test
"""


def read_json_line(process) -> dict:
    return json.loads(process.stdout.readline())


def test_a_template_forked_from_the_run_serves_clean_kernels_and_stops(tmp_path):
    done = subprocess.run([sys.executable, "-c", FORKED_TEMPLATE_SCRIPT, "close"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    answer, closed = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert answer["forked"] and answer["template_parent_is_run"] and answer["kernels_parent_is_template"]
    assert "inline" in answer["backend"]  # as in a kernel started on its own, not the run's default backend
    assert answer["run_state_seen"] is False
    assert answer["leaked_to_other_kernel"] is False and answer["leaked_to_next_notebook"] is False
    assert closed == {"template_exit": 0}


def test_a_template_forked_from_the_run_and_its_kernels_exit_when_the_run_is_killed(tmp_path):
    run = subprocess.Popen([sys.executable, "-c", FORKED_TEMPLATE_SCRIPT, "wait"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
    try:
        answer = read_json_line(run)
        assert answer["forked"]
    finally:
        run.kill()  # no clean-up code runs: the template sees its requests end, the kernels their parent go
        run.wait()
    assert wait_until_gone(answer["pids"]) == set()


def test_with_another_thread_running_the_template_is_started_not_forked(tmp_path):
    script = ("import subprocess, threading, time\n"
              "from ceasefire_analysis.executing import KernelTemplate\n"
              "stop = threading.Event()\nthreading.Thread(target=stop.wait).start()\n"
              "template = KernelTemplate([], fork_from_here=True)\n"
              "print(isinstance(template.process, subprocess.Popen))\n"
              "template.close()\nstop.set()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.stdout.split() == ["True"], done.stderr[-2000:]


def test_a_cached_table_reads_back_as_pandas_reads_it(tmp_path):
    from ceasefire_analysis.loading import read_cached_table

    frame = pd.DataFrame({
        "incident_id": ["a", "b", None],
        "occurred_on": pd.to_datetime(["2016-12-31", None, "2017-01-01"]),
        "victims": pd.array([1, None, 3], dtype="Int64"),
        "fatal": [True, False, True],
        "rate": [0.5, float("nan"), 2.0],
        "kind": pd.Categorical(["call-in", "custom", "call-in"]),
    })
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False)
    read = read_cached_table(path)
    pd.testing.assert_frame_equal(read, pd.read_parquet(path), check_exact=True)
    pd.testing.assert_frame_equal(read, frame, check_exact=True)


def test_record_dates_are_the_sorted_distinct_dates_of_each_file():
    from ceasefire_analysis.coverage import record_dates

    incidents = pd.DataFrame({"occurred_on": pd.to_datetime(["2017-01-02", "2016-12-31", "2017-01-02", None,
                                                             "2016-02-29"])})
    dates = record_dates({"incidents": incidents, "tasks": None})
    assert list(dates) == ["incidents"]
    assert dates["incidents"].tolist() == [pd.Timestamp("2016-02-29"), pd.Timestamp("2016-12-31"),
                                           pd.Timestamp("2017-01-02")]
    assert dates["incidents"].index.tolist() == [0, 1, 2] and dates["incidents"].name is None
    assert str(dates["incidents"].dtype).startswith("datetime64")
    # already in order (pandas then keeps the old index): still numbered from 0
    ordered = pd.DataFrame({"occurred_on": pd.to_datetime([None, "2016-02-29", "2016-02-29", "2016-03-01"])})
    again = record_dates({"incidents": ordered})["incidents"]
    assert again.index.tolist() == [0, 1] and again.tolist() == [pd.Timestamp("2016-02-29"), pd.Timestamp("2016-03-01")]
