"""Header and file names a person mistypes: read when the meaning is plain, named in a warning when close
(attack finding 7: a misspelt optional column or file was dropped without a word and the numbers changed)."""
from ceasefire_analysis.cli import main
from ceasefire_analysis.loading import contract_name_warnings, load_data_dir, normalise_headers
from ceasefire_analysis.reports import PeriodResult, prepare_job

from conftest import BASE_ROWS, write_rows

INCIDENT = {"incident_id": "C-1", "occurred_on": "2017-01-15", "incident_type": "homicide"}


def test_spaces_and_hyphens_in_headers_read_as_underscores(make_city):
    folder = make_city(incidents=[{"Incident_ID": "C-1", " Occurred On ": "2017-01-15", "INCIDENT-TYPE": "homicide",
                                   "Group": "G", "Reviewed On": "2017-01-20", "group-involved": "yes",
                                   "Victim ID": "V1"}])
    table = load_data_dir(folder, use_cache=False).tables["incidents"]
    assert {"reviewed_on", "group_involved", "victim_id"} <= set(table.columns)
    assert table.loc[0, "reviewed_on"].isoformat()[:10] == "2017-01-20" and bool(table.loc[0, "group_involved"])
    assert contract_name_warnings(folder) == []


def test_an_ambiguous_underscore_reading_is_not_taken():
    assert normalise_headers(["Victim ID", "victim_id", "a - b"]) == ["victim id", "victim_id", "a_b"]
    assert normalise_headers(["Reviewed On", "reviewed-on"]) == ["reviewed on", "reviewed-on"]


def test_near_miss_columns_and_files_are_named_with_the_name_meant(make_city, capsys):
    folder = make_city(incidents=[{**INCIDENT, "reviewd_on": "2017-01-20", "Victim ID": "V1", "victim_id": "V1",
                                   "officer notes": "x"}])
    (folder / "communications.csv").rename(folder / "Communications.csv")
    (folder / "case_management.csv").rename(folder / "case-management.csv")
    write_rows(folder / "incidents.csv.csv", [INCIDENT])
    (folder / "export 2017.txt").write_text("x")
    (folder / "old").mkdir()
    (folder / "README.md").write_text("notes")
    (folder / ".ceasefire_cache").mkdir()
    warnings = contract_name_warnings(folder)
    joined = "\n".join(warnings)
    assert "incidents.csv: the column 'reviewd_on' is not part of the data contract and is not read; " \
           "did you mean 'reviewed_on'?" in joined
    assert "the column 'victim id' is not read: the header also has 'victim_id'" in joined
    assert "Communications.csv is not read: the data contract's name for it is communications.csv" in joined
    assert "case-management.csv is not read: the data contract's name for it is case_management.csv" in joined
    assert "incidents.csv.csv is not read (and incidents.csv is read)" in joined
    assert any(w.endswith("not part of the data contract, so not read: export 2017.txt, old/") for w in warnings)
    assert "officer notes" not in joined and "README" not in joined and "cache" not in joined
    assert main(["validate", str(folder)]) == 0  # optional files and columns: not errors, but said
    out = capsys.readouterr()
    assert out.err.count("warning: ") == len(warnings) == 6 and "Communications.csv" in out.err
    assert f"{len(warnings)} warnings" in out.out


def test_the_demo_and_a_clean_city_have_no_name_warnings(make_city):
    from ceasefire_analysis.config import DEMO_DATA_DIR

    assert contract_name_warnings(DEMO_DATA_DIR) == []
    assert contract_name_warnings(make_city()) == []


def test_a_run_prints_the_name_warnings(make_city, tmp_path):
    folder = make_city(incidents=[{**INCIDENT, "group_involvd": "yes"}])
    params = tmp_path / "p.yaml"
    params.write_text(f"city: T\nperiod_start: '2017-01'\nperiod_end: '2017-01'\ndata_dir: {folder}\n")
    out = tmp_path / "out"
    out.mkdir()
    job = prepare_job(params, out, PeriodResult(params_file=str(params)), ("worksheet",))
    assert any("'group_involvd'" in w and "did you mean 'group_involved'?" in w for w in job.warnings)
