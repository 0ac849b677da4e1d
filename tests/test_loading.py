"""The loader: every problem named by file, row and column; odd-but-valid input accepted; ids hashed."""
import pandas as pd
import pytest

from ceasefire_analysis.errors import CeasefireError, InputError
from ceasefire_analysis.loading import clear_snapshots, load_data_dir, validate_data_dir


def only(problems, **fields):
    matches = [p for p in problems if all(getattr(p, k) == v for k, v in fields.items())]
    assert matches, f"no problem with {fields} in {[str(p) for p in problems]}"
    return matches[0]


def test_valid_city_has_no_problems(make_city):
    assert validate_data_dir(make_city()) == []


def test_missing_required_file_and_absent_optional_file(make_city):
    folder = make_city(incidents=None)
    p = only(validate_data_dir(folder), file="incidents.csv")
    assert "missing" in p.message and p.row is None
    data = load_data_dir(make_city("ok"), use_cache=False)
    assert data.enforcement_actions is None and data.participant_events is None


def test_problems_name_file_row_and_column(make_city):
    incidents = [
        {"incident_id": "A", "occurred_on": "2017-01-05", "incident_type": "homicide"},
        {"incident_id": "B", "occurred_on": "2017-02-30", "incident_type": "homicide"},
        {"incident_id": "C", "occurred_on": "05/01/2017", "incident_type": "homicide"},
        {"incident_id": "D", "occurred_on": "2017-01-05", "incident_type": "homicde"},
        {"incident_id": "", "occurred_on": "2017-01-05", "incident_type": "homicide"},
        {"incident_id": "F", "occurred_on": "2099-01-05", "incident_type": "homicide"},
    ]
    problems = validate_data_dir(make_city(incidents=incidents))
    assert "not a real calendar date" in only(problems, file="incidents.csv", row=3, column="occurred_on").message
    assert "YYYY-MM-DD" in only(problems, file="incidents.csv", row=4, column="occurred_on").message
    bad_type = only(problems, file="incidents.csv", row=5, column="incident_type")
    assert "'homicde'" in bad_type.message and "homicide" in bad_type.expected
    assert "blank" in only(problems, file="incidents.csv", row=6, column="incident_id").message
    assert "future" in only(problems, file="incidents.csv", row=7, column="occurred_on").message
    assert "row 3, column 'occurred_on'" in str(only(problems, row=3))


def test_cross_field_rules(make_city):
    folder = make_city(
        case_management=[{"participant_id": "x", "enrolled_on": "2017-01-10", "exited_on": "2017-01-09",
                          "referral_source": "outreach", "opd_highest_risk": "no"}],
        staffing=[{"as_of": "2017-01-01", "unit": "U", "unit_group": "area", "authorized": "5", "filled": "6"},
                  {"as_of": "2017-01-01", "unit": "V", "unit_group": "area", "authorized": "-1", "filled": "x"}],
    )
    problems = validate_data_dir(folder)
    only(problems, file="case_management.csv", row=2, column="exited_on")
    only(problems, file="staffing.csv", row=3, column="authorized")
    only(problems, file="staffing.csv", row=3, column="filled")


def test_duplicate_rows_that_cannot_be_right(make_city):
    folder = make_city(incidents=[
        {"incident_id": "N1", "occurred_on": "2017-01-05", "incident_type": "non_injury_shooting", "victim_id": ""},
        {"incident_id": "N1", "occurred_on": "2017-01-05", "incident_type": "non_injury_shooting", "victim_id": ""},
        {"incident_id": "H1", "occurred_on": "2017-01-05", "incident_type": "homicide", "victim_id": "v1"},
        {"incident_id": "H1", "occurred_on": "2017-01-05", "incident_type": "homicide", "victim_id": "v1"},
        {"incident_id": "H1", "occurred_on": "2017-01-05", "incident_type": "homicide", "victim_id": "v2"},
    ])
    problems = validate_data_dir(folder)
    only(problems, file="incidents.csv", row=3, column="incident_id")
    only(problems, file="incidents.csv", row=5, column="victim_id")
    assert not [p for p in problems if p.row == 6]


def test_file_level_problems(make_city, tmp_path):
    folder = make_city()
    (folder / "incidents.csv").write_text("")
    (folder / "meetings.csv").write_text("meeting_id,scheduled_on,kind,held,opd_lead_present,hsd_lead_present,risk_focus\n")
    (folder / "staffing.csv").write_text("as_of;unit;unit_group;authorized;filled\n2017-01-01;U;area;1;1\n")
    (folder / "communications.csv").write_bytes(b"participant_id,occurred_on,kind,highest_risk\nJos\xe9,2017-01-01,call_in,yes\n")
    (folder / "case_management.csv").write_text("participant_id,enrolled_on\nx,2017-01-01\n")
    problems = validate_data_dir(folder)
    assert "empty" in only(problems, file="incidents.csv").message
    assert not [p for p in problems if p.file == "meetings.csv"]  # optional, header only: an empty table
    assert "';'" in only(problems, file="staffing.csv", row=1).message
    assert "UTF-8" in only(problems, file="communications.csv", row=2).message
    only(problems, file="case_management.csv", row=1, column="exited_on")


def test_odd_but_valid_input_is_accepted(make_city):
    folder = make_city()
    text = ("\ufeffincident_id , occurred_on,incident_type,notes_from_police\r\n"
            " C-9 ,2017-01-05 10:30,HOMICIDE ,extra column kept out of the way\r\n")
    (folder / "incidents.csv").write_bytes(text.encode("utf-8"))
    (folder / "meetings.csv").write_text("meeting_id,scheduled_on,kind,held,opd_lead_present,hsd_lead_present,risk_focus\n"
                                         "M1,2017-01-12,coordination,YES,Y,1,True\n")
    assert validate_data_dir(folder) == []
    data = load_data_dir(folder, use_cache=False)
    assert data.incidents["incident_type"].tolist() == ["homicide"]
    assert data.incidents["occurred_on"].iloc[0] == pd.Timestamp("2017-01-05")
    assert "notes_from_police" not in data.incidents.columns
    assert bool(data.meetings["held"].iloc[0]) and bool(data.meetings["risk_focus"].iloc[0])


def test_identifiers_are_pseudonymised_and_key_required(make_city, monkeypatch):
    folder = make_city()
    data = load_data_dir(folder, use_cache=False)
    for table in (data.communications, data.case_management):
        assert not table["participant_id"].str.contains("PFN").any()
        assert table["participant_id"].str.startswith("p_").all()
    # the same person links across files
    assert data.communications["participant_id"].iloc[0] == data.case_management["participant_id"].iloc[0]
    monkeypatch.delenv("CEASEFIRE_ID_KEY")
    monkeypatch.setattr("ceasefire_analysis.privacy.ID_KEY_FILE", folder / "no-such-key")
    with pytest.raises(CeasefireError, match="CEASEFIRE_ID_KEY"):
        load_data_dir(folder, use_cache=False)


def test_load_raises_with_every_problem_and_leaves_raw_data_alone(make_city):
    folder = make_city(incidents=[{"incident_id": "A", "occurred_on": "bad", "incident_type": "x"}])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(InputError) as info:
        load_data_dir(folder, use_cache=False)
    assert len(info.value.problems) == 2 and "incidents.csv, row 2" in str(info.value)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_processed_cache_is_typed_parquet_and_reused(make_city, monkeypatch, tmp_path):
    monkeypatch.setattr("ceasefire_analysis.loading.CACHE_DIR", tmp_path / "cache")
    folder = make_city()
    first = load_data_dir(folder)
    files = list((tmp_path / "cache").rglob("*.parquet"))
    assert {f.stem for f in files} >= {"incidents", "communications"}
    for f in files:
        assert b"PFN-" not in f.read_bytes()
    clear_snapshots()  # read the parquet, not this process's copy in memory
    monkeypatch.setattr("ceasefire_analysis.loading._read_folder", None)  # the CSV files are not read again
    second = load_data_dir(folder)
    pd.testing.assert_frame_equal(first.communications, second.communications)
    assert second.communications["occurred_on"].dtype.kind == "M"
    assert [i.sha256 for i in first.inputs] == [i.sha256 for i in second.inputs]


def test_a_folder_is_loaded_once_per_process_and_each_caller_gets_its_own_copy(make_city, monkeypatch, tmp_path):
    monkeypatch.setattr("ceasefire_analysis.loading.CACHE_DIR", tmp_path / "cache")
    folder = make_city()
    first = load_data_dir(folder)
    first.incidents.loc[0, "incident_type"] = "non_injury_shooting"  # a notebook changing its copy
    first.tables["communications"] = None
    with monkeypatch.context() as patched:
        patched.setattr("ceasefire_analysis.loading._load_data_dir", None)  # neither CSV nor parquet is read
        second = load_data_dir(folder)
    assert second.incidents.loc[0, "incident_type"] == "homicide"
    assert second.communications is not None and len(second.communications) == 1
    assert [i.sha256 for i in second.inputs] == [i.sha256 for i in first.inputs]
    with open(folder / "incidents.csv", "a") as fh:  # a changed file is read again
        fh.write("C-2,2017-01-20,homicide\n")
    assert len(load_data_dir(folder).incidents) == 2


def test_xlsx_with_the_same_columns_is_read(make_city):
    folder = make_city()
    rows = pd.read_csv(folder / "incidents.csv", dtype=str)
    (folder / "incidents.csv").unlink()
    rows.to_excel(folder / "incidents.xlsx", index=False)
    assert validate_data_dir(folder) == []
    assert load_data_dir(folder, use_cache=False).incidents["incident_type"].tolist() == ["homicide"]
    (folder / "incidents.xlsx").write_bytes(b"not a workbook")
    assert "Excel" in only(validate_data_dir(folder), file="incidents.xlsx").message
