"""Imports flow one way, in the order data flows (GUIDE.md, "How we write code").

Every import of a package module counts, including imports inside functions: a function-level
import is still a dependency, and hiding a cycle inside a function only moves the failure to run time.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ceasefire_analysis

PACKAGE_DIR = Path(ceasefire_analysis.__file__).parent
PACKAGE = PACKAGE_DIR.name

# The layers, lowest first. A module may import modules of its own layer or of lower layers only.
# (Notebooks sit between "tables and charts" and "executing and publishing"; they are not modules.)
LAYERS = (
    ("schema, periods, files and config",
     {"schema", "periods", "files", "config", "errors", "formatting", "demo"}),
    ("params, privacy, loading", {"params", "privacy", "loading", "quality", "importing", "newcity", "handoff"}),
    ("counts, indicators, statistics", {"counts", "indicators", "statistics", "coverage"}),
    ("the period under review", {"review", "focus"}),
    ("tables and charts",
     {"tables", "charts", "history", "outcomes", "meetings", "focus_report", "front_page", "reader"}),
    ("executing and publishing reports", {"reports", "executing", "publishing", "progress"}),
    ("the CLI", {"cli"}),
)
LAYER_OF = {module: rank for rank, (_, modules) in enumerate(LAYERS) for module in modules}


def package_modules(package_dir: Path) -> dict[str, Path]:
    return {p.stem: p for p in package_dir.glob("*.py") if p.stem != "__init__"}


def imported_modules(path: Path, modules: set[str]) -> dict[str, int]:
    """Package modules imported anywhere in a file (top level or inside functions), with a line of each."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 or (node.level == 0 and (node.module or "").split(".")[0] == PACKAGE):
                module = node.module or ""
                if node.level == 0:
                    module = module[len(PACKAGE) + 1:] if module != PACKAGE else ""
                if module:
                    names.append(module.split(".")[0])
                else:  # from . import x  /  from ceasefire_analysis import x
                    names += [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name.split(".")[1] for alias in node.names
                      if alias.name.startswith(PACKAGE + ".")]
        for name in names:
            if name in modules:
                found.setdefault(name, node.lineno)
    return found


def import_graph(package_dir: Path) -> dict[str, dict[str, int]]:
    modules = package_modules(package_dir)
    return {name: {m: line for m, line in imported_modules(path, set(modules)).items() if m != name}
            for name, path in modules.items()}


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer_violations(graph: dict[str, dict[str, int]]) -> list[str]:
    return [f"{module}.py line {line}: {module} ({LAYERS[LAYER_OF[module]][0]}) imports {target} "
            f"({LAYERS[LAYER_OF[target]][0]}), a later layer"
            for module, targets in sorted(graph.items()) for target, line in sorted(targets.items())
            if LAYER_OF[target] > LAYER_OF[module]]


def test_no_import_cycles_counting_imports_inside_functions():
    found = cycles(import_graph(PACKAGE_DIR))
    assert found == [], f"import cycles (counting imports inside functions): {found}"


def test_every_module_has_a_layer():
    missing = sorted(set(package_modules(PACKAGE_DIR)) - set(LAYER_OF))
    assert missing == [], f"add these modules to LAYERS in tests/test_layers.py: {missing}"


def test_imports_flow_one_way_in_the_order_data_flows():
    assert layer_violations(import_graph(PACKAGE_DIR)) == []


def write_package(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in files.items():
        (package / f"{name}.py").write_text(text)
    return package


def test_the_checks_see_a_cycle_hidden_in_a_function(tmp_path):
    package = write_package(tmp_path, {
        "loading": "def f():\n    from .indicators import x\n",
        "indicators": "from ceasefire_analysis.loading import f\n",
        "schema": "import ceasefire_analysis.periods\n",
        "periods": "",
    })
    graph = import_graph(package)
    assert graph["loading"] == {"indicators": 2} and graph["schema"] == {"periods": 1}
    assert cycles(graph) == [["indicators", "loading"]]
    assert layer_violations(graph) == [
        "loading.py line 2: loading (params, privacy, loading) imports indicators "
        "(counts, indicators, statistics), a later layer"]


@pytest.mark.parametrize("text", ["from . import reports\n", "from .reports import run_params_files\n",
                                  "import ceasefire_analysis.reports as r\n"])
def test_each_spelling_of_an_import_is_seen(tmp_path, text):
    package = write_package(tmp_path, {"schema": text, "reports": ""})
    assert set(import_graph(package)["schema"]) == {"reports"}


def test_the_template_leaves_out_the_run_s_own_modules():
    # The kernels' template does not import what the modules above the notebooks import (papermill, nbconvert):
    # its list of them is these two layers.
    from ceasefire_analysis.executing import RUN_MODULES

    assert RUN_MODULES == LAYERS[-2][1] | LAYERS[-1][1]
