"""Input rules found by the third adversarial round: victims of one incident are not copies (A1), and an
optional column blank in every row is not recorded, not a count of zero (A7)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ceasefire_analysis.config import PARAMS_DIR
from ceasefire_analysis.importing import import_export, load_map
from ceasefire_analysis.loading import identical_rows, load_data_dir
from ceasefire_analysis.quality import duplicate_row_warnings

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
NYPD_MAP = PARAMS_DIR / "maps" / "nypd_shooting_incidents.yaml"


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """Runs here cache their tables in the test's own folder: the checkout's shared cache keeps only the most
    recent few, and another test (in another worker) may be reading its own there."""
    from ceasefire_analysis import loading

    monkeypatch.setattr(loading, "CACHE_DIR", tmp_path / "cache")


def _imported_one_day(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    import_export(load_map(NYPD_MAP), [EXPORTS / "nypd_historic_one_day_excerpt.csv"], out)
    return out


# --------------------------------------------------------------------------- A1: victims of one incident


def test_victims_of_one_incident_with_different_types_are_not_copies_apart(tmp_path):
    # the real export lists incident 169761300's four victims far apart; import writes them together in the
    # export's order: non-fatal, homicide, homicide, non-fatal. The second non-fatal row repeats the first one
    # exactly, two homicide rows between them: victims, not a second extract
    out = _imported_one_day(tmp_path)
    with open(out / "incidents.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["incident_id"], r["incident_type"]) for r in rows if r["incident_id"] == "169761300"] == [
        ("169761300", "nonfatal_injury_shooting"), ("169761300", "homicide"), ("169761300", "homicide"),
        ("169761300", "nonfatal_injury_shooting")]
    data = load_data_dir(out, use_cache=False)
    assert data.duplicate_rows["incidents"] == {"identical": 2, "apart": 0}
    assert duplicate_row_warnings(data.duplicate_rows) == []


def test_an_extract_exported_twice_is_still_flagged_when_its_incidents_have_victims_of_two_types(tmp_path):
    out = _imported_one_day(tmp_path)
    lines = (out / "incidents.csv").read_text().splitlines(keepends=True)
    (out / "incidents.csv").write_text("".join(lines + lines[1:]))  # every row again, after the first copy
    data = load_data_dir(out, use_cache=False)
    # the second copy: 4 single-victim incidents and 169761300's first non-fatal and first homicide row come back
    # after other incidents' rows (6 apart); its other two rows repeat rows of their own block (4 beside in all)
    assert data.duplicate_rows["incidents"] == {"identical": 10, "apart": 6}
    [text] = duplicate_row_warnings(data.duplicate_rows)
    assert text.startswith("The incidents file has 6 rows that repeat an earlier row exactly but sit away from it")
    assert "exported twice" in text


def test_a_repeat_inside_its_incidents_block_is_beside_it_whatever_its_place():
    import pandas as pd

    frame = pd.DataFrame({"incident_id": ["A", "A", "A", "B", "B", "A"],
                          "incident_type": ["nonfatal", "homicide", "nonfatal", "homicide", "homicide", "homicide"]})
    assert identical_rows(frame, key="incident_id") == {"identical": 3, "apart": 1}  # only the last A, after B
    assert identical_rows(frame) == {"identical": 3, "apart": 2}  # without a key: beside means right above


# --------------------------------------------------------------------------- A7: a column blank in every row


def _blank_group_city(make_city, group_values):
    incidents = [{"incident_id": f"C-{i}", "occurred_on": f"2017-02-{i + 1:02d}",
                  "incident_type": "homicide" if i % 2 else "nonfatal_injury_shooting", "area": "",
                  "group": group} for i, group in enumerate(group_values)]
    return make_city(incidents=incidents,
                     review_flags=[{"participant_id": "PFN-1", "flagged_on": "2017-02-02", "group": ""}])


def test_a_group_column_blank_in_every_row_is_not_recorded_not_zero_percent(make_city, city_params):
    from ceasefire_analysis import focus
    from ceasefire_analysis.focus_report import focus_worksheet_html
    from ceasefire_analysis.review import PeriodReview

    folder = _blank_group_city(make_city, [""] * 6)  # as imported with the map line `group: {constant: ""}`
    data = load_data_dir(folder, use_cache=False)
    for table, column in (("incidents", "group"), ("incidents", "area"), ("review_flags", "group")):
        assert column not in data.tables[table], (table, column)  # read as absent, like a missing column
    params = city_params(folder)
    table = focus.focus_worksheet(data.tables, params)
    group_rows = table[table["indicator"].str.startswith(("group_involved_", "groups_"))]
    assert len(group_rows) and (group_rows["status"] == "not_recorded").all()
    assert group_rows["actual"].isna().all()
    review = PeriodReview(params=params, data=data, params_label="t", _indicators=table)
    text = focus_worksheet_html(review).data
    assert "group-involved" in text and "0%" not in text


def test_a_group_column_with_one_value_is_recorded_and_its_blanks_mean_not_involved(make_city, city_params):
    from ceasefire_analysis import focus

    folder = _blank_group_city(make_city, ["", "", "", "A", "", ""])  # C-3, a homicide, is group-involved
    data = load_data_dir(folder, use_cache=False)
    assert data.tables["incidents"]["group"].notna().sum() == 1
    table = focus.focus_worksheet(data.tables, city_params(folder))
    row = table[(table["indicator"] == "group_involved_homicides_pct") & (table["window"] == "period")].iloc[0]
    assert row["status"] != "not_recorded" and row["actual"] == pytest.approx(100 / 3)


# --------------------------------------------------------------------------- A12: degenerate params, one failure each


@pytest.mark.parametrize("key, value, expected", [
    ("case_management_capacity", 0, "a whole number of 1 or more (leave the key out when the capacity is not known)"),
    ("coordination_meetings_per_month", 0, "a number above 0 (2 when the key is left out)"),
])
def test_a_zero_capacity_or_meeting_rate_is_refused_not_met(key, value, expected):
    from ceasefire_analysis.errors import ParamsError
    from ceasefire_analysis.params import params_from_values

    values = {"city": "T", "period_start": "2017-02", "period_end": "2017-03", "data_dir": ".", key: value}
    with pytest.raises(ParamsError) as refused:
        params_from_values(values, "p4.yaml")
    assert str(refused.value) == f"'{key}' in p4.yaml must be {expected}"
    assert getattr(params_from_values({**values, key: 1}), key) == 1  # the smallest real value is accepted


def test_three_params_files_for_one_folder_are_one_failure_printed_once(make_city, tmp_path, own_cache):
    import io

    from ceasefire_analysis.reports import run_failures, run_params_files

    folder = make_city()
    files = []
    for name in ("p10", "p11", "p4"):
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_text(f"city: T\nperiod_start: '2017-01'\nperiod_end: '2017-01'\ndata_dir: {folder}\n")
    bad = tmp_path / "z_bad.yaml"
    bad.write_text("city: T\nperiod_start: '2017-03'\nperiod_end: '2017-02'\n")
    results = run_params_files(files + [bad], tmp_path / "out", notebooks=(), stream=io.StringIO())
    failures = run_failures(results)
    assert len(failures) == 2  # the clash once (its sentence names all three files), and the bad file
    [clash] = [f for f in failures if "would all write" in f]
    assert all(f"{name}.yaml" in clash for name in ("p10", "p11", "p4"))
    assert failures[1].startswith(results[3].params_file + ": ")


# --------------------------------------------------------------------------- A11: another period's notes


def test_a_notebook_set_to_another_period_leaves_the_files_notes_and_next_steps_out_and_says_so():
    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.params import notebook_params, params_from_values, read_params_file
    from ceasefire_analysis.review import open_review
    from ceasefire_analysis.tables import next_steps_html, note_for

    on_file = read_params_file(DEMO_PARAMS)
    assert on_file["notes"] and on_file["next_steps"] and on_file["previous_next_steps"]  # Feb–Mar 2017's
    review = open_review(str(DEMO_PARAMS), period_start="2016-10", period_end="2016-11")
    assert review.params.notes == {} and review.params.next_steps == () and review.params.previous_next_steps == ()
    assert review.params.notes_written_for == "Feb–Mar 2017"
    assert all(note_for(review, key) == "" for key in on_file["notes"])
    page = next_steps_html(review).data
    assert ("The notes on trends and the next steps on file were written for the Feb–Mar 2017 review, so they are "
            "not shown for this one (Oct–Nov 2016).") in page
    assert "17 March" not in page and "3.17.17" not in page
    # the file's own period, or only the audience set in the notebook: its notes are its own, and shown
    for given in ({"period_end": on_file["period_end"]}, {"audience": "partner"}):
        params, _ = notebook_params(DEMO_PARAMS, given, params_from_values)
        assert params.notes and params.next_steps and params.notes_written_for == ""
