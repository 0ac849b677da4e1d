"""Notebooks are thin, committed clean, and take exactly the params-file keys."""
import ast
import json

import papermill as pm
import pytest

from ceasefire_analysis.config import NOTEBOOKS_DIR, PARAMS_DIR
from ceasefire_analysis.meetings import KINDS, MEETING_KEYS, meeting_params_from_values
from ceasefire_analysis.params import DEFAULTS, load_params, read_params_file

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_there_are_the_period_and_meeting_notebooks():
    assert {p.stem for p in NOTEBOOKS} == {"worksheet", "history", "callin_outcomes"} | set(KINDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_thin_shape(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and cells[0]["source"][0].startswith("# ")
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code[0]["metadata"].get("tags") == ["parameters"]
    assert sum("parameters" in c["metadata"].get("tags", []) for c in cells) == 1
    for line in "".join(code[0]["source"]).splitlines():
        target, _, rest = line.partition(":")
        assert target.strip().isidentifier() and "=" in rest and "#" in rest, line  # typed, commented
        value = rest.split("=", 1)[1].split("  #")[0]
        ast.literal_eval(value.strip())  # literals only
    for cell in code:
        tree = ast.parse("".join(cell["source"]))
        assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_exactly_the_params_keys(path):
    params = pm.inspect_notebook(str(path))
    keys = MEETING_KEYS if path.stem in KINDS else DEFAULTS
    assert set(params) == set(keys) | {"params_file"}
    default = params["params_file"]["default"].strip("\"'")
    assert (PARAMS_DIR.parent / default).is_file()  # opens in JupyterLab as it is


def test_every_params_file_is_valid():
    for path in PARAMS_DIR.glob("*.yaml"):
        values = read_params_file(path)
        if "meeting" in values:
            meeting_params_from_values(values)
        else:
            load_params(path)
