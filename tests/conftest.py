"""Shared fixtures: the demo period, small hand-made cities, and one rendered demo run."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from ceasefire_analysis.config import DEMO_PARAMS
from ceasefire_analysis.loading import load_data_dir
from ceasefire_analysis.params import load_params, params_from_values

TEST_KEY = "test-key-for-hand-made-cities-at-least-32-characters"

# Minimal valid rows for each required file; tests override what they examine.
BASE_ROWS = {
    "incidents": [{"incident_id": "C-1", "occurred_on": "2017-01-15", "incident_type": "homicide"}],
    "communications": [{"participant_id": "PFN-1", "occurred_on": "2017-01-10", "kind": "call_in",
                        "highest_risk": "yes"}],
    "case_management": [{"participant_id": "PFN-1", "enrolled_on": "2017-01-11", "exited_on": "",
                         "referral_source": "call_in", "opd_highest_risk": "no"}],
    "staffing": [{"as_of": "2017-01-01", "unit": "CRT", "unit_group": "ceasefire", "authorized": "10",
                  "filled": "8"}],
    "meetings": [{"meeting_id": "M1", "scheduled_on": "2017-01-12", "kind": "coordination", "held": "yes",
                  "opd_lead_present": "yes", "hsd_lead_present": "yes", "risk_focus": "yes"}],
}


def write_rows(path: Path, rows: list[dict], fieldnames: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fieldnames is None:
        fieldnames = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def make_city(tmp_path, monkeypatch):
    """Write a small city's data folder: ``make_city(incidents=[...], ...)`` -> folder path."""
    monkeypatch.setenv("CEASEFIRE_ID_KEY", TEST_KEY)

    def build(name: str = "city", **tables: list[dict]) -> Path:
        folder = tmp_path / name
        for table, rows in {**BASE_ROWS, **tables}.items():
            if rows is not None:
                write_rows(folder / f"{table}.csv", rows)
        return folder

    return build


@pytest.fixture
def city_params():
    """Params for a small city: ``city_params(folder, period_start=..., ...)``."""

    def build(folder: Path, **values):
        base = {"city": "Testville", "period_start": "2017-02", "period_end": "2017-03", "data_dir": str(folder)}
        base.update(values)
        return params_from_values(base)

    return build


@pytest.fixture(scope="session")
def demo_params():
    return load_params(DEMO_PARAMS)


@pytest.fixture(scope="session")
def demo_data(demo_params):
    return load_data_dir(demo_params.data_dir)


@pytest.fixture(scope="session")
def demo_indicators(demo_params, demo_data):
    from ceasefire_analysis.indicators import build_indicators
    return build_indicators(demo_data, demo_params)


# what an analyst types, never what the room reads (reader2 R6): file names with where to look, params keys, repo paths
ANALYST_PHRASES = ("params file", "params key", ".csv (see", "docs/", "data/raw", "seed worksheet")


@pytest.fixture(scope="session")
def analyst_text():
    """``analyst_text(page_text)`` -> the analyst instructions or repository paths a page for the room holds."""
    def found(text: str) -> list[str]:
        return [phrase for phrase in ANALYST_PHRASES if phrase in text]

    return found


def _render_demo(out: Path) -> tuple[int, Path]:
    from ceasefire_analysis.cli import main

    code = main(["run", str(DEMO_PARAMS), "--out", str(out)])
    return code, out / "2017-02_2017-03"


@pytest.fixture(scope="session")
def rendered_demo(tmp_path_factory):
    """The demo period rendered once, exactly as `ceasefire run` does it; tests only read it.

    Under pytest-xdist (`make test` runs two workers) it is rendered once for all of them: the first worker
    that needs it renders it into the run's shared temporary folder while holding a lock; the others wait
    for the lock and read the same folder.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _render_demo(tmp_path_factory.mktemp("reports"))
    import fcntl  # a lock between the worker processes; POSIX, like the forked kernels the runs use

    shared = tmp_path_factory.getbasetemp().parent  # holds each worker's own temporary folder
    code_file = shared / "rendered_demo.exit_code"
    with open(shared / "rendered_demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not code_file.exists():
            code, _ = _render_demo(shared / "rendered_demo")
            code_file.write_text(str(code))
    return int(code_file.read_text()), shared / "rendered_demo" / "2017-02_2017-03"


def write_notebook(path: Path, parameters: str, *code: str) -> Path:
    """A small notebook: a ``parameters`` cell, then one code cell for each of ``code`` (for runs that must fail)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(source) for source in code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path
