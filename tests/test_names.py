"""Names and annotations say what things are (GUIDE: "Names say what things are; one name, one meaning")."""
from __future__ import annotations

import ast
from pathlib import Path

import ceasefire_analysis

PACKAGE_DIR = Path(ceasefire_analysis.__file__).parent


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _returns_a_chart(function: ast.FunctionDef) -> bool:
    return any(isinstance(n, ast.Return) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
               and n.value.func.id == "Chart" for n in ast.walk(function))


def test_every_function_that_returns_a_chart_says_so():
    """A function returning ``Chart(fig)`` is annotated with Chart (never Figure, never nothing)."""
    wrong = []
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        for function in _functions(path):
            if _returns_a_chart(function):
                annotation = ast.unparse(function.returns) if function.returns is not None else ""
                if "Chart" not in annotation or "Figure" in annotation:
                    wrong.append(f"{path.name}:{function.lineno} {function.name} -> {annotation or '(none)'}")
    assert not wrong, "annotate these with -> Chart (or Chart | HTML):\n" + "\n".join(wrong)


def test_a_row_is_built_by_make_and_fetched_by_find():
    """No bare ``_row`` helper: building a row and fetching one have different names."""
    names = {f.name for path in PACKAGE_DIR.glob("*.py") for f in _functions(path)}
    assert "_row" not in names and "_table_row" not in names and "_missing" not in names
    assert {"_make_row", "_find_row"} <= names


def test_the_run_function_is_named_for_what_it_takes():
    """``ceasefire run`` renders review periods and meeting packs alike: its function is named for params files."""
    from ceasefire_analysis import reports
    assert hasattr(reports, "run_params_files") and not hasattr(reports, "run_periods")
    assert "meeting pack" in reports.run_params_files.__doc__.splitlines()[0]


# Modules whose text reaches a reader (pages, CSVs, chart labels, warnings shown on pages). Terminal-only
# modules (cli, progress, reports, executing) and params/import error messages are not among them.
REPORT_FACING = ("charts", "coverage", "focus", "focus_report", "front_page", "history", "indicators", "meetings",
                 "outcomes", "privacy", "publishing", "quality", "reader", "review", "statistics", "tables")


def test_numbers_in_reports_go_through_the_one_formatter():
    """No f-string number format (``:.1%``, ``:.0f``, ``:,``, ``:+``) outside formatting.py in report-facing code:
    Python's formats round half to even (0.125 -> 12%), the formatter rounds half up (13%)."""
    found = []
    for name in REPORT_FACING:
        path = PACKAGE_DIR / f"{name}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                spec = "".join(v.value for v in node.format_spec.values if isinstance(v, ast.Constant))
                if not spec.startswith("%") and any(c in spec for c in "%f,+eEgG"):  # "%d %b %Y" is a date
                    found.append(f"{name}.py:{node.lineno} :{spec}")
    assert not found, "format these with ceasefire_analysis.formatting:\n" + "\n".join(found)


def test_formatter_rounds_decimals_and_changes_half_up():
    """Hand values where Python's formats round half to even and the formatter rounds half up."""
    from ceasefire_analysis.formatting import format_change, format_decimal, format_share
    assert f"{0.25:.1f}" == "0.2" and format_decimal(0.25) == "0.3"
    assert format_decimal(2.45) == "2.5" and format_decimal(-2.45) == "-2.5" and format_decimal(float("nan")) == "n/a"
    assert format_share(0.0125, places=1) == "1.3%" and format_share(0.025, places=1) == "2.5%"
    assert format_change(127 / 93 - 1, places=1) == "+36.6%" and format_change(-0.125) == "−13%"
    assert format_change(0.0004, places=1) == "0.0%"


def test_victims_are_reconciled_in_the_named_step_only(tmp_path):
    """CityData holds what it is given; reconciled_city_data is the one step that drops a victim listed both as
    non-fatal and as a homicide from the non-fatal count."""
    import pandas as pd

    from ceasefire_analysis.loading import CityData, reconciled_city_data

    incidents = pd.DataFrame({"incident_id": ["A", "A", "B"], "victim_id": ["v1", "v1", "v2"],
                              "occurred_on": pd.to_datetime(["2017-01-02"] * 3),
                              "incident_type": ["nonfatal_injury_shooting", "homicide", "nonfatal_injury_shooting"]})
    as_given = CityData(tmp_path, {"incidents": incidents.copy()})
    assert len(as_given.incidents) == 3 and as_given.reconciled_victims is None
    reconciled = reconciled_city_data(tmp_path, {"incidents": incidents.copy()}, [], {})
    assert reconciled.incidents["incident_type"].value_counts().to_dict() == {"homicide": 1,
                                                                              "nonfatal_injury_shooting": 1}
    assert reconciled.reconciled_victims["incident_id"].tolist() == ["A"]
