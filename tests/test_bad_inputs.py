"""A corpus of broken inputs: each one stops `validate` and `run` with a message naming the file
(and the row and column where there is one), never a traceback, and leaves nothing half-written."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from ceasefire_analysis.cli import main

from conftest import BASE_ROWS, write_rows

GOOD_PARAMS = "city: Testville\nperiod_start: '2017-01'\nperiod_end: '2017-02'\ndata_dir: {folder}\n"


def set_cell(file, row, column, value):
    def mutate(folder: Path):
        rows = [dict(r) for r in BASE_ROWS[file]]
        while len(rows) < row - 1:
            rows.append(dict(rows[-1]))
        rows[row - 2][column] = value
        write_rows(folder / f"{file}.csv", rows)
    return mutate


def add_rows(file, *rows):
    def mutate(folder: Path):
        write_rows(folder / f"{file}.csv", [dict(r) for r in BASE_ROWS.get(file, [])] + [dict(r) for r in rows])
    return mutate


def write_text(name, text: str | bytes):
    def mutate(folder: Path):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return mutate


def remove(name):
    return lambda folder: (folder / name).unlink()


HEADER_INCIDENTS = "incident_id,occurred_on,incident_type\n"
HOMICIDE = {"incident_id": "C-2", "occurred_on": "2017-01-20", "incident_type": "homicide"}

# name: (mutation of a valid folder, file named, row, column); row/column None where the problem is the whole file
DATA_CASES = {
    "missing_file": (remove("incidents.csv"), "incidents.csv", None, None),
    "missing_column": (write_text("incidents.csv", "incident_id,incident_type\nC-1,homicide\n"), "incidents.csv", 1, "occurred_on"),
    "empty_file": (write_text("incidents.csv", ""), "incidents.csv", None, None),
    "header_only": (write_text("incidents.csv", HEADER_INCIDENTS), "incidents.csv", None, None),
    "unparseable_date": (set_cell("incidents", 2, "occurred_on", "last Tuesday"), "incidents.csv", 2, "occurred_on"),
    "impossible_date": (set_cell("incidents", 2, "occurred_on", "2017-02-30"), "incidents.csv", 2, "occurred_on"),
    "date_in_the_future": (set_cell("communications", 2, "occurred_on", "2099-01-10"), "communications.csv", 2, "occurred_on"),
    "unknown_category": (set_cell("incidents", 2, "incident_type", "stabbing"), "incidents.csv", 2, "incident_type"),
    "duplicate_victim_rows": (add_rows("incidents", {**HOMICIDE, "victim_id": "V1"}, {**HOMICIDE, "victim_id": "V1"}),
                              "incidents.csv", 4, "victim_id"),
    "duplicate_non_injury_incident": (add_rows("incidents", {**HOMICIDE, "incident_type": "non_injury_shooting"},
                                               {**HOMICIDE, "incident_type": "non_injury_shooting"}),
                                      "incidents.csv", 4, "incident_id"),
    "negative_staffing": (set_cell("staffing", 2, "authorized", "-4"), "staffing.csv", 2, "authorized"),
    "non_numeric_staffing": (set_cell("staffing", 2, "filled", "eight"), "staffing.csv", 2, "filled"),
    "filled_above_authorized": (set_cell("staffing", 2, "filled", "12"), "staffing.csv", 2, "filled"),
    "exit_before_enrolment": (set_cell("case_management", 2, "exited_on", "2016-12-31"), "case_management.csv", 2, "exited_on"),
    "boolean_spelled_oddly": (set_cell("meetings", 2, "held", "kind of"), "meetings.csv", 2, "held"),
    "wrong_delimiter": (write_text("incidents.csv", "incident_id;occurred_on;incident_type\nC-1;2017-01-15;homicide\n"),
                        "incidents.csv", 1, None),
    "non_utf8_bytes": (write_text("communications.csv", b"participant_id,occurred_on,kind,highest_risk\n"
                                                         b"Jos\xe9 N\xfa\xf1ez,2017-01-10,call_in,yes\n"),
                       "communications.csv", 2, None),
    "blank_required_value": (set_cell("communications", 2, "participant_id", "  "), "communications.csv", 2, "participant_id"),
    "ragged_row": (write_text("incidents.csv", HEADER_INCIDENTS + "C-1,2017-01-15,homicide,extra,values\n"), "incidents.csv", 2, None),
    "unknown_meeting_kind": (set_cell("meetings", 2, "kind", "barbecue"), "meetings.csv", 2, "kind"),
    "unknown_referral_source": (set_cell("case_management", 2, "referral_source", "friend"), "case_management.csv", 2, "referral_source"),
    "duplicate_meeting_id": (add_rows("meetings", BASE_ROWS["meetings"][0]), "meetings.csv", 3, "meeting_id"),
    "broken_optional_file": (write_text("enforcement_actions.csv", "occurred_on,unit_group,vhr_target\n2017-01-03,area,perhaps\n"),
                             "enforcement_actions.csv", 2, "vhr_target"),
    "unknown_participant_event": (write_text("participant_events.csv", "participant_id,occurred_on,event\nPFN-1,2017-01-20,lottery_win\n"),
                                  "participant_events.csv", 2, "event"),
    "incident_people_unknown_incident": (write_text("incident_people.csv", "incident_id,participant_id,role\n"
                                                                           "C-1,PFN-1,victim\nC-9,PFN-2,suspect\n"),
                                         "incident_people.csv", 3, "incident_id"),
    "incident_people_unknown_role": (write_text("incident_people.csv", "incident_id,participant_id,role\nC-1,PFN-1,witness\n"),
                                     "incident_people.csv", 2, "role"),
    "group_involved_not_yes_no": (set_cell("incidents", 2, "group_involved", "perhaps"), "incidents.csv", 2,
                                  "group_involved"),
    "negative_history_value": (write_text("history/homicides.csv", "year,value,source,definition\n2015,80,K,ucr\n2016,-5,K,ucr\n"),
                               "history/homicides.csv", 3, "value"),
    "history_year_twice": (write_text("history/homicides.csv", "year,value,source,definition\n2015,80,K,ucr\n2015,81,K,ucr\n"),
                           "history/homicides.csv", 3, "year"),
}

# name: (params text, the key the message must name)
PARAMS_CASES = {
    "unknown_key": (GOOD_PARAMS + "benchmark_reductoin: 0.2\n", "benchmark_reductoin"),
    "end_before_start": (GOOD_PARAMS.replace("'2017-02'", "'2016-11'"), "period_end"),
    "malformed_month": (GOOD_PARAMS.replace("'2017-01'", "'Jan 2017'"), "period_start"),
    "not_yaml": ("city: [Testville\n", "not valid YAML"),
    "negative_benchmark": (GOOD_PARAMS + "annual_benchmarks:\n  homicides:\n    2017: -1\n", "annual_benchmarks.homicides.2017"),
    "period_with_no_data": (GOOD_PARAMS.replace("'2017-01'", "'2011-01'").replace("'2017-02'", "'2011-02'"),
                            "no incident, communication, enrolment or meeting"),
}


def tree_digest(folder: Path) -> dict:
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def city(make_city):
    return make_city()


def check_message(text: str, file: str, row, column) -> None:
    assert "Traceback" not in text
    assert file in text
    if row is not None:
        assert f"row {row}" in text
    if column is not None:
        assert f"column '{column}'" in text


def assert_nothing_written(out: Path) -> None:
    assert not out.exists() or list(out.iterdir()) == []


def test_the_corpus_is_large_enough():
    assert len(DATA_CASES) + len(PARAMS_CASES) >= 25


@pytest.mark.parametrize("case", DATA_CASES, ids=list(DATA_CASES))
def test_broken_data(case, city, tmp_path, capsys):
    mutate, file, row, column = DATA_CASES[case]
    mutate(city)
    before = tree_digest(city)
    assert main(["validate", str(city)]) == 1
    captured = capsys.readouterr()
    check_message(captured.err, file, row, column)

    params = tmp_path / "p.yaml"
    params.write_text(GOOD_PARAMS.format(folder=city))
    out = tmp_path / "out"
    assert main(["run", str(params), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    check_message(captured.err, file, row, column)
    assert_nothing_written(out)
    assert tree_digest(city) == before  # raw data untouched


@pytest.mark.parametrize("case", PARAMS_CASES, ids=list(PARAMS_CASES))
def test_broken_params(case, city, tmp_path, capsys):
    text, named = PARAMS_CASES[case]
    params = tmp_path / "p.yaml"
    params.write_text(text.format(folder=city) if "{folder}" in text else text)
    out = tmp_path / "out"
    assert main(["run", str(params), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert_nothing_written(out)


def test_odd_but_valid_input_runs(city, tmp_path, capsys):
    (city / "incidents.csv").write_bytes("\ufeffincident_id,occurred_on,incident_type,officer_notes\r\n"
                                         "C-1 , 2017-01-15 ,Homicide,x\r\nC-2,2017-02-03T04:00,NONFATAL_INJURY_SHOOTING,y\r\n"
                                         .encode("utf-8"))
    (city / "meetings.csv").write_text("meeting_id,scheduled_on,kind,held,opd_lead_present,hsd_lead_present,risk_focus\n"
                                       "M1,2017-01-12,Coordination,YES,Yes,y,TRUE\n")
    params = tmp_path / "p.yaml"
    params.write_text(GOOD_PARAMS.format(folder=city))
    from ceasefire_analysis.reports import run_params_files
    results = run_params_files([params], tmp_path / "out", notebooks=())
    assert results[0].failures == []
    table = pd.read_csv(tmp_path / "out" / "2017-01_2017-02" / "indicators.csv")
    actual = table.set_index(["indicator", "window"])["actual"]
    # C-1 (padded id and date, title-case type) and C-2 (time of day, upper-case type) are both read
    assert actual[("homicides", "ytd")] == 1 and actual[("nonfatal_injury_shootings", "ytd")] == 1
    assert actual[("coordination_meetings", "period")] == 1  # YES / Yes / y / TRUE all read as yes
