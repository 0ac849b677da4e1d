"""Notebooks are thin, committed clean, and take exactly the params-file keys.

The .ipynb files in notebooks/ are the only source of the notebooks: analysts edit them in
JupyterLab and commit them. These tests are what keeps them thin and clean.
"""
import ast
import json

import papermill as pm
import pytest

from ceasefire_analysis.config import NOTEBOOKS_DIR, PARAMS_DIR
from ceasefire_analysis.handoff import SNAPSHOT_KEY
from ceasefire_analysis.meetings import KINDS, NOTEBOOK_MEETING_KEYS, meeting_params_from_values
from ceasefire_analysis.params import NOTEBOOK_KEYS, load_params, read_params_file

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_there_are_the_period_and_meeting_notebooks():
    assert {p.stem for p in NOTEBOOKS} == {"worksheet", "history", "callin_outcomes"} | set(KINDS)


def committed_text(path):
    """What a commit of ``path`` stores: the staged (filtered) version when git strips notebooks on commit,
    else the file as it is (a commit would take it so)."""
    import subprocess

    root = path.parents[1]
    git = ["git", "-C", str(root)]
    configured = subprocess.run([*git, "config", "filter.nbstripout.clean"], capture_output=True, text=True)
    attribute = subprocess.run([*git, "check-attr", "filter", "--", str(path.relative_to(root))],
                               capture_output=True, text=True)
    if configured.stdout.strip() and attribute.stdout.strip().endswith("nbstripout"):
        staged = subprocess.run([*git, "show", f":{path.relative_to(root).as_posix()}"], capture_output=True,
                                text=True)
        if staged.returncode == 0:
            return staged.stdout
    return path.read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(committed_text(path))
    with_outputs = [i for i, cell in enumerate(nb["cells"])
                    if cell["cell_type"] == "code" and (cell["outputs"] or cell["execution_count"] is not None)]
    assert not with_outputs, (
        f"{path.name} was committed with outputs (cells {with_outputs}). Strip them with "
        f"`.venv/bin/nbstripout {path.relative_to(path.parents[1])}` (or Edit > Clear Outputs of All Cells and "
        "save), and run `make` once so that git strips them on every commit from now on.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_thin_shape(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and cells[0]["source"][0].startswith("# "), (
        f"{path.name}: the first cell must be a markdown title ('# ...') saying what the notebook is for")
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code[0]["metadata"].get("tags") == ["parameters"], (
        f"{path.name}: the first code cell must be the one tagged 'parameters' (JupyterLab: Property Inspector > "
        "Cell Tags)")
    assert sum("parameters" in c["metadata"].get("tags", []) for c in cells) == 1, (
        f"{path.name}: exactly one cell may be tagged 'parameters'")
    for line in "".join(code[0]["source"]).splitlines():
        target, _, rest = line.partition(":")
        assert target.strip().isidentifier() and "=" in rest and "#" in rest, (
            f"{path.name}: parameters-cell line {line!r} must read `name: type = literal  # what it is`")
        value = rest.split("=", 1)[1].split("  #")[0]
        try:
            ast.literal_eval(value.strip())
        except ValueError:
            pytest.fail(f"{path.name}: parameters-cell line {line!r} must hold a literal (text, number, None, "
                        "list or dict), not an expression; compute values in the library")
    for number, cell in enumerate(code):
        tree = ast.parse("".join(cell["source"]))
        defined = [n.name if hasattr(n, "name") else "lambda" for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]
        assert not defined, (
            f"{path.name}: code cell {number} defines {', '.join(defined)}. Notebooks stay thin: put helpers in the "
            "library (ceasefire_analysis/, with a test) and call them from the notebook")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_the_params_file_and_the_keys_an_analyst_changes(path):
    params = pm.inspect_notebook(str(path))
    keys = {"meeting_on", "audience"} if path.stem in KINDS else set(NOTEBOOK_KEYS)
    assert keys <= set(NOTEBOOK_MEETING_KEYS if path.stem in KINDS else NOTEBOOK_KEYS)  # laid over the file
    assert set(params) == keys | {"params_file", SNAPSHOT_KEY}
    # the params file's value unless changed; no snapshot (read the files) unless `ceasefire run` passes one
    assert all(params[key]["default"] == "None" for key in keys | {SNAPSHOT_KEY})
    default = params["params_file"]["default"].strip("\"'")
    assert (PARAMS_DIR.parent / default).is_file()  # opens in JupyterLab as it is


def test_every_params_file_is_valid():
    for path in PARAMS_DIR.glob("*.yaml"):
        values = read_params_file(path)
        if "meeting" in values:
            meeting_params_from_values(values)
        else:
            load_params(path)


def test_interactive_run_lays_parameters_cell_over_params_file_and_errors_are_one_line():
    """As an analyst in JupyterLab: set period_end alone in the parameters cell and run."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS_DIR / "worksheet.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    cells[0].source = cells[0].source.replace('period_end: "Optional[str]" = None', 'period_end: str = "2017-05"')
    check = nbformat.v4.new_code_cell('print(review.params.period_id, review.params.annual_benchmarks["homicides"][2017],'
                                      ' sorted(review.params.notes), review.params.notes_written_for)')
    bad = nbformat.v4.new_code_cell('period_end = "2017-5"\nreview = review_from_notebook(globals())')
    nb.cells = cells[:2] + [check, bad]
    NotebookClient(nb, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}).execute()
    printed = nb.cells[2].outputs[0]["text"]
    expected = load_params(PARAMS_DIR / "2017-02_2017-03.yaml")
    assert printed.split()[:2] == ["2017-02_2017-05", str(expected.annual_benchmarks["homicides"][2017])]
    # the file's notes are Feb–Mar's: not carried onto Feb–May's page, which names their period (attack3 A11)
    assert expected.notes and printed.split()[2:] == ["[]", "Feb–Mar", "2017"]
    error = nb.cells[3].outputs[0]
    assert error["output_type"] == "error" and len(error["traceback"]) == 1
    assert error["traceback"][0].startswith("ParamsError: 'period_end'")


def test_committing_a_run_notebook_commits_no_outputs(tmp_path):
    """The set-up's git filter: an analyst runs a notebook, saves it and commits; the commit has no outputs."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import nbformat

    root = NOTEBOOKS_DIR.parent
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(root), str(clone)], check=True)
    for name in ("Makefile", ".gitattributes"):  # the set-up as it is in this tree, committed or not
        shutil.copy(root / name, clone / name)
    bin_dir = Path(sys.executable).parent  # this environment's nbstripout, as .venv/bin would give
    setup = subprocess.run(["make", "--no-print-directory", "-C", str(clone), "git-filter", f"BIN={bin_dir}"],
                           capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr

    path = clone / "notebooks" / "worksheet.ipynb"
    committed = path.read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    for count, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output {count}\n")]
    nb.metadata["papermill"] = {"parameters": {"period_end": "2017-05"}}
    nbformat.write(nb, path)
    git = ["git", "-C", str(clone), "-c", "user.name=Analyst", "-c", "user.email=analyst@example.org"]
    subprocess.run([*git, "add", "notebooks/worksheet.ipynb"], check=True)
    subprocess.run([*git, "commit", "--quiet", "--allow-empty", "-m", "Run the worksheet"], check=True)

    stored = subprocess.run([*git, "show", "HEAD:notebooks/worksheet.ipynb"], capture_output=True, text=True,
                            check=True).stdout
    cells = json.loads(stored)["cells"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in cells if c["cell_type"] == "code")
    assert "papermill" not in json.loads(stored)["metadata"]
    assert stored == committed  # ids, tags and sources as they were: a run leaves no trace in git
    assert "output 0" in path.read_text(encoding="utf-8")  # the analyst's own file keeps its outputs


def test_the_safe_city_chart_follows_its_heading_and_explanation():
    # reader4 F10: the chart came before "The safe-city path" heading and the paragraph that says what it shows
    import nbformat

    sources = [c.source.strip() for c in nbformat.read(NOTEBOOKS_DIR / "worksheet.ipynb", as_version=4).cells
               if c.cell_type == "code"]
    assert sources.index("safe_city_html(review)") < sources.index("safe_city_chart(review)")
