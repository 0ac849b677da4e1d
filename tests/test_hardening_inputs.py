"""Inputs attacked as real mistakes make them (issue 19, items 2 and 3): no silent wrong number, no value of a
column that can hold a name echoed into a terminal, no case number in partner or public output."""
import io
import json
import shutil

import pandas as pd
import pytest

from ceasefire_analysis import loading
from ceasefire_analysis.cli import main
from ceasefire_analysis.config import DEMO_DATA_DIR, DEMO_MARKER, is_demo_dir
from ceasefire_analysis.errors import CeasefireError, InputError
from ceasefire_analysis.loading import load_data_dir, prune_caches, validate_data_dir
from ceasefire_analysis.privacy import resolve_id_key
from ceasefire_analysis.publishing import output_folder_name
from ceasefire_analysis.reports import run_params_files

from conftest import BASE_ROWS, write_rows

NAMES = ["Marcus JOHNSON", "Delphine Okonkwo-Reyes"]


def problems_at(problems, **fields):
    return [p for p in problems if all(getattr(p, k) == v for k, v in fields.items())]


# --------------------------------------------------------------------------- values described, not echoed

def test_swapped_columns_do_not_echo_names_to_stderr(make_city, capsys):
    comms = [{"participant_id": "2017-01-10", "occurred_on": f"{name} 1994-03-02", "kind": "call_in",
              "highest_risk": "yes"} for name in NAMES]
    folder = make_city(communications=comms)
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "communications.csv, row 2, column 'occurred_on': a name-like text (25 characters) is not a date" in err
    for name in NAMES:
        for part in name.replace("-", " ").split():
            assert part not in err


def test_near_miss_dates_numbers_and_codes_are_still_shown(make_city):
    folder = make_city(incidents=[{"incident_id": "A", "occurred_on": "2017-02-30", "incident_type": "homicde"},
                                  {"incident_id": "B", "occurred_on": "2017-01-05", "incident_type": "Homocide X"},
                                  {"incident_id": "C", "occurred_on": "05/01/2017", "incident_type": "stabbing"}],
                       staffing=[{"as_of": "2017-01-01", "unit": "U", "unit_group": "area", "authorized": "-3",
                                  "filled": "2"}])
    problems = validate_data_dir(folder)
    assert "'2017-02-30' is not a real calendar date" in problems_at(problems, row=2, column="occurred_on")[0].message
    assert "'homicde' is not an allowed value" in problems_at(problems, row=2, column="incident_type")[0].message
    assert "'-3' is not a whole number" in problems_at(problems, file="staffing.csv", column="authorized")[0].message
    described = problems_at(problems, row=3, column="incident_type")[0].message
    assert "Homocide" not in described and "a name-like text (10 characters), close to 'homicide'," in described
    # not a near miss of an allowed value, or not a well-formed date: described, with a hint at the shape
    assert "a text (8 characters) is not" in problems_at(problems, row=4, column="incident_type")[0].message
    slashed = problems_at(problems, row=4, column="occurred_on")[0].message
    assert "05/01/2017" not in slashed and "shaped like a date with '/'" in slashed


def test_only_a_time_of_day_may_follow_a_date(make_city):
    """A name or junk stuck onto a date is an error naming file, row and column, the value described."""
    values = ["2014-01-01 John Smith", "2014-01-01 junk", "2014-01-01 2015-01-01", "2014-01-01T99:99",
              "2014-01-01 14:30", "2014-01-01T14:30:00", "2014-01-01 00:00:00.000", "2014-01-01T23:59:59Z"]
    folder = make_city(incidents=[{"incident_id": f"I{i}", "occurred_on": v, "incident_type": "homicide"}
                                  for i, v in enumerate(values)])
    problems = [p for p in validate_data_dir(folder) if p.column == "occurred_on"]
    assert [(p.file, p.row) for p in problems] == [("incidents.csv", row) for row in (2, 3, 4, 5)]
    for problem, value in zip(problems, values):
        assert "followed by something that is not a time of day" in problem.message
        assert value not in problem.message and "John" not in problem.message and "junk" not in problem.message
    assert problems[0].message.startswith("a name-like text (21 characters) is a date followed by")


SHIFTED = {  # what a shifted column puts into a code, yes/no, date or number column: user names, person numbers
    "kind": ["jwashington", "pfn-1234567", "washington_jamal", "123-45-6789"],
    "highest_risk": ["jamal", "19870412", "jwashington", "pfn-1234567"],
    "occurred_on": ["19870412", "123-45-6789", "2017-01-01x", "1987.04.12.5"],
}


def test_identifiers_in_a_shifted_column_are_described_not_echoed(make_city, capsys):
    comms = [{"participant_id": "P1", "occurred_on": "2017-01-10", "kind": "call_in", "highest_risk": "yes"}
             for _ in range(4)]
    for column, values in SHIFTED.items():
        for row, value in zip(comms, values):
            row[column] = value
    folder = make_city(communications=comms)
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    for column in SHIFTED:
        assert err.count(f"column '{column}'") == 4
    for value in {v for values in SHIFTED.values() for v in values}:
        assert value not in err
    assert "a number of 8 digits" in err and "a value of 11 characters with digits" in err


# --------------------------------------------------------------------------- keys

@pytest.mark.parametrize("key", ["Q", "zq9-short-secret-of-31-chars-!!"])
def test_a_short_key_is_refused_without_being_shown(make_city, monkeypatch, key):
    folder = make_city()
    monkeypatch.setenv("CEASEFIRE_ID_KEY", key)
    with pytest.raises(CeasefireError, match=f"is {len(key)} characters? long; a key must be at least 32") as info:
        load_data_dir(folder, use_cache=False)
    assert key not in str(info.value)


def test_a_short_key_file_is_refused(make_city, monkeypatch, tmp_path):
    folder = make_city()
    monkeypatch.delenv("CEASEFIRE_ID_KEY")
    key_file = tmp_path / "key"
    key_file.write_text("short\n")
    monkeypatch.setattr("ceasefire_analysis.privacy.ID_KEY_FILE", key_file)
    with pytest.raises(CeasefireError, match="is 5 characters long"):
        resolve_id_key(folder)


# --------------------------------------------------------------------------- the demo knows itself

def test_the_demo_is_recognised_by_its_files_wherever_it_is(tmp_path, monkeypatch):
    monkeypatch.delenv("CEASEFIRE_ID_KEY", raising=False)
    monkeypatch.setattr("ceasefire_analysis.privacy.ID_KEY_FILE", tmp_path / "no-key")
    copy = tmp_path / "elsewhere" / "demo"
    shutil.copytree(DEMO_DATA_DIR, copy)
    assert is_demo_dir(copy) and resolve_id_key(copy)  # banner and demo key away from data/raw/demo

    changed = tmp_path / "changed"
    shutil.copytree(DEMO_DATA_DIR, changed)
    with open(changed / "incidents.csv", "a") as fh:
        fh.write("REAL-17-000001,2017-03-30,homicide,Area 1,,\n")
    dropped = tmp_path / "dropped"
    shutil.copytree(DEMO_DATA_DIR, dropped)
    write_rows(dropped / "incidents_march.csv", BASE_ROWS["incidents"])  # a city's file dropped beside the demo's
    replaced = tmp_path / "replaced"
    shutil.copytree(DEMO_DATA_DIR, replaced)
    write_rows(replaced / "review_flags.csv", [{"participant_id": "Real Person", "flagged_on": "2017-03-01"}])
    unmarked = tmp_path / "unmarked"
    shutil.copytree(DEMO_DATA_DIR, unmarked)
    (unmarked / DEMO_MARKER).unlink()
    for folder in (changed, dropped, replaced, unmarked):
        assert not is_demo_dir(folder)
        with pytest.raises(CeasefireError, match="no key to pseudonymise"):
            resolve_id_key(folder)


# --------------------------------------------------------------------------- no silent wrong numbers

def test_a_table_given_as_csv_and_xlsx_is_an_error_even_with_a_cache(make_city, monkeypatch, tmp_path):
    monkeypatch.setattr("ceasefire_analysis.loading.CACHE_DIR", tmp_path / "cache")
    folder = make_city()
    load_data_dir(folder)  # cached
    pd.read_csv(folder / "incidents.csv", dtype=str).to_excel(folder / "incidents.xlsx", index=False)
    message = "incidents.csv and incidents.xlsx are both in"
    assert message in problems_at(validate_data_dir(folder), file="incidents.xlsx")[0].message
    with pytest.raises(InputError, match=message):
        load_data_dir(folder)


def test_a_repeated_header_name_is_an_error(make_city):
    folder = make_city()
    (folder / "incidents.csv").write_text("incident_id,occurred_on,incident_type,Incident_Type\n"
                                          "A,2017-01-05,homicide,non_injury_shooting\n")
    [problem] = validate_data_dir(folder)
    assert (problem.file, problem.row, problem.column) == ("incidents.csv", 1, "incident_type")
    assert "twice" in problem.message


@pytest.mark.parametrize("total", ["TOTAL 575", "Grand Total", "sum", "Subtotal:"])
def test_a_totals_line_is_an_error_not_a_person(make_city, total):
    comms = BASE_ROWS["communications"] + [{"participant_id": total, "occurred_on": "2017-01-31", "kind": "call_in",
                                            "highest_risk": "no"}]
    problems = validate_data_dir(make_city(communications=comms))
    [problem] = problems_at(problems, file="communications.csv", row=3, column="participant_id")
    assert "looks like a totals line" in problem.message and total not in str(problem)


def test_ids_that_only_start_like_a_total_are_fine(make_city):
    comms = [{**BASE_ROWS["communications"][0], "participant_id": pid} for pid in ("Sumner-1", "Totten 2")]
    assert validate_data_dir(make_city(communications=comms)) == []


def test_row_numbers_are_the_files_own_lines_after_blank_lines_and_quoted_newlines(make_city):
    folder = make_city()
    (folder / "incidents.csv").write_text(
        "incident_id,occurred_on,incident_type,area\n"          # line 1
        "A,2017-01-05,homicide,Area 1\n"                          # line 2
        "\n"                                                      # line 3: blank
        'B,2017-01-06,homicide,"Area 2\nnear the park"\n'         # lines 4-5: a quoted newline
        "\n"                                                      # line 6: blank
        "C,2017-13-01,homicide,Area 3\n"                          # line 7: the bad date
        "D,2017-01-07,stabbing,Area 4\n")                         # line 8
    problems = validate_data_dir(folder)
    assert [(p.row, p.column) for p in problems] == [(7, "occurred_on"), (8, "incident_type")]


def test_a_ragged_row_is_named_by_its_own_line(make_city):
    folder = make_city()
    (folder / "incidents.csv").write_text("incident_id,occurred_on,incident_type\n\nA,2017-01-05,homicide\n"
                                          "B,2017-01-06,homicide,extra\n")
    [problem] = validate_data_dir(folder)
    assert problem.row == 4 and "3 columns" in problem.message


def test_identical_rows_are_a_warning_with_counts_in_the_reports_and_the_manifest(make_city, tmp_path):
    homicides = [{"incident_id": f"H{i}", "occurred_on": f"2017-02-{i + 1:02d}", "incident_type": "homicide"}
                 for i in range(14)]
    victims = [{"incident_id": "H0", "occurred_on": "2017-02-01", "incident_type": "homicide"}]  # a 2nd victim
    folder = make_city(incidents=victims + homicides + homicides[:7])  # 7 rows exported twice, at the end
    params = tmp_path / "p.yaml"
    params.write_text(f"city: Twice\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n")
    [result] = run_params_files([params], tmp_path / "out", notebooks=(), stream=io.StringIO())
    assert result.error == ""
    folder_out = tmp_path / "out" / "2017-02_2017-03"
    manifest = json.loads((folder_out / "manifest.json").read_text())
    record = next(i for i in manifest["inputs"] if i["file"] == "incidents.csv")
    assert (record["rows"], record["identical_rows"], record["identical_rows_apart"]) == (22, 8, 7)
    assert manifest["params"]["audience"] == "internal"  # the validated params, defaults filled in
    assert manifest["params"]["period_start"] == "2017-02" and "outputs" in manifest
    assert "The incidents file has 7 rows that repeat an earlier row exactly" in (folder_out / "index.html").read_text()


def test_the_demo_shows_no_duplicate_warning(demo_data):
    from ceasefire_analysis.quality import duplicate_row_warnings
    assert demo_data.duplicate_rows["incidents"]["apart"] == 0  # victims of one incident, one under the other
    assert duplicate_row_warnings(demo_data.duplicate_rows) == []


# --------------------------------------------------------------------------- caches

@pytest.fixture
def cached_city(make_city, monkeypatch, tmp_path):
    monkeypatch.setattr("ceasefire_analysis.loading.CACHE_DIR", tmp_path / "cache")
    homicides = [{"incident_id": f"H{i}", "occurred_on": f"2017-01-{i + 1:02d}", "incident_type": "homicide"}
                 for i in range(14)]
    folder = make_city(incidents=homicides)
    load_data_dir(folder)
    loading.clear_snapshots()  # the next load reads the cache on disk, not this process's copy in memory
    [cache] = [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    return folder, cache


def test_a_truncated_cache_is_rebuilt(cached_city):
    folder, cache = cached_city
    parquet = cache / "incidents.parquet"
    parquet.write_bytes(parquet.read_bytes()[:100])
    assert len(load_data_dir(folder).incidents) == 14
    assert len(pd.read_parquet(parquet)) == 14  # and the cache is whole again


def test_an_altered_cache_is_not_trusted(cached_city):
    folder, cache = cached_city
    parquet = cache / "incidents.parquet"
    pd.read_parquet(parquet).head(9).to_parquet(parquet, index=False)  # valid parquet, wrong rows
    data = load_data_dir(folder)
    assert len(data.incidents) == 14 and data.inputs[0].rows == 14


def test_a_cache_record_that_disagrees_is_rebuilt(cached_city):
    folder, cache = cached_city
    record = json.loads((cache / "record.json").read_text())
    record["rows"]["incidents"] = 9
    (cache / "record.json").write_text(json.dumps(record))
    data = load_data_dir(folder)
    assert len(data.incidents) == 14 and next(i for i in data.inputs if i.name == "incidents").rows == 14


def test_old_caches_are_pruned_and_nothing_else(tmp_path):
    import os
    for i in range(12):
        folder = tmp_path / f"{i:024x}"
        folder.mkdir()
        os.utime(folder, (1000 + i, 1000 + i))
    (tmp_path / "my-notes").mkdir()
    old_tmp = tmp_path / ".tmp-abc"
    old_tmp.mkdir()
    os.utime(old_tmp, (1000, 1000))
    removed = prune_caches(tmp_path, keep=8, now=1000 + 2 * 86400)
    assert sorted(p.name for p in removed) == sorted([f"{i:024x}" for i in range(4)] + [".tmp-abc"])
    assert (tmp_path / "my-notes").is_dir() and (tmp_path / f"{11:024x}").is_dir()


def test_loading_prunes_after_writing_a_cache(make_city, monkeypatch, tmp_path):
    monkeypatch.setattr("ceasefire_analysis.loading.CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(loading, "CACHE_KEEP", 2)
    for i in range(4):
        load_data_dir(make_city(f"city{i}", incidents=[{**BASE_ROWS["incidents"][0], "incident_id": f"C{i}"}]))
    assert len([p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]) == 2


# --------------------------------------------------------------------------- case numbers in partner and public output

CASES = ["OPD-17-PLANTED-4711", "OPD-17-PLANTED-0815"]


@pytest.mark.parametrize("audience", ["partner", "public"])
def test_no_case_number_in_any_byte_of_partner_or_public_output(make_city, tmp_path, audience):
    incidents = []
    for i, case in enumerate(CASES):  # each victim is listed as non-fatal and as a homicide: the warning fires
        for kind in ("nonfatal_injury_shooting", "homicide"):
            incidents.append({"incident_id": case, "occurred_on": f"2017-02-1{i}", "incident_type": kind,
                              "victim_id": f"V{i}"})
    incidents += [{"incident_id": f"OPD-16-{i:04d}", "occurred_on": f"2016-{i % 12 + 1:02d}-05",
                   "incident_type": "homicide", "victim_id": ""} for i in range(30)]
    folder = make_city(incidents=incidents)
    params = tmp_path / "p.yaml"
    params.write_text(f"city: Planted\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n"
                      f"audience: {audience}\n")
    stream = io.StringIO()
    [result] = run_params_files([params], tmp_path / "out", notebooks=("worksheet",), stream=stream)
    assert result.failures == []
    out = tmp_path / "out" / output_folder_name("2017-02_2017-03", audience)
    assert "appear both as a non-fatal injury shooting and as a homicide" in (out / "index.html").read_text()
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(written) >= 4 and not (out / "executed").exists()  # partner and public runs keep no executed notebook
    for path in written:
        data = path.read_bytes()
        for case in CASES:
            assert case.encode() not in data, f"{case} in {path}"
            assert b"PLANTED" not in data, path
    assert "PLANTED" not in stream.getvalue()


def test_internal_reports_still_name_the_case_numbers():
    from ceasefire_analysis.quality import quality_warnings, reconcile_victims

    incidents = pd.DataFrame({"incident_id": CASES[:1] * 2, "victim_id": ["V"] * 2,
                              "occurred_on": pd.to_datetime(["2017-02-10"] * 2),
                              "incident_type": ["nonfatal_injury_shooting", "homicide"]})
    kept, twice = reconcile_victims(incidents)
    end = pd.Timestamp("2017-03-31").date()
    assert any(CASES[0] in w for w in quality_warnings(kept, twice, end, show_case_numbers=True))
    assert not any(CASES[0] in w for w in quality_warnings(kept, twice, end))


def test_history_rows_are_the_files_own_lines_too(tmp_path):
    from ceasefire_analysis.history import read_series

    bad = tmp_path / "homicides.csv"
    bad.write_text('year,value,source,definition\n2000,5,K,ucr\n\n2001,6,"K\nsecond line",ucr\n2002,-1,K,ucr\n')
    with pytest.raises(InputError) as info:
        read_series(bad)
    assert [(p.row, p.column) for p in info.value.problems] == [(6, "value")]


def test_xlsx_rows_are_the_sheets_own_rows_after_a_blank_row(make_city):
    folder = make_city()
    (folder / "incidents.csv").unlink()
    sheet = pd.DataFrame([["A", "2017-01-05", "homicide"], [None, None, None], ["B", "2017-13-05", "homicide"]],
                         columns=["incident_id", "occurred_on", "incident_type"])
    sheet.to_excel(folder / "incidents.xlsx", index=False)
    assert [(p.row, p.column) for p in validate_data_dir(folder)] == [(4, "occurred_on")]


def test_case_management_rows_exported_twice_are_counted_once_and_the_page_says_so(make_city, tmp_path):
    """F22: six enrolments appended again at the end counted 12 -> 18 and flipped the mark; now counted once."""
    from ceasefire_analysis.indicators import lookup
    from ceasefire_analysis.review import open_review

    enrolments = [{"participant_id": f"PFN-{i}", "enrolled_on": f"2017-02-{i + 1:02d}", "exited_on": "",
                   "referral_source": "call_in", "opd_highest_risk": "no"} for i in range(6)]
    # the file starts in 2016 (a window before a file's first month is not counted)
    enrolments.insert(0, {"participant_id": "PFN-9", "enrolled_on": "2016-01-04", "exited_on": "2016-06-30",
                          "referral_source": "outreach", "opd_highest_risk": "no"})
    contacts = [{"participant_id": f"PFN-{i}", "occurred_on": "2017-02-03", "kind": "call_in", "highest_risk": "yes"}
                for i in range(3)]
    once = make_city("once", case_management=enrolments, communications=contacts)
    twice = make_city("twice", case_management=enrolments + enrolments, communications=contacts + contacts)
    values = {"city": "Twice", "period_start": "2017-01", "period_end": "2017-02", "data_through": "2017-02-28",
              "annual_benchmarks": {"case_management_new": {2017: 40}}}
    clean = open_review(None, data_dir=str(once), **values)
    doubled = open_review(None, data_dir=str(twice), **values)
    # by hand: 6 enrolments in Jan-Feb 2017 against 40 / 12 * 2 = 6.67 -> 7: does not meet, in both folders
    for review in (clean, doubled):
        assert lookup(review.indicators, "case_management_new", "period") == 6
        assert lookup(review.indicators, "case_management_new", "period", "status") == "does_not_meet"
        assert lookup(review.indicators, "case_management_active", "as_of") == 6
        assert lookup(review.indicators, "direct_communications", "period") == 3
    assert doubled.data.duplicate_rows["case_management"]["identical"] == 7  # still reported, in the manifest too
    [warning] = [w for w in doubled.warnings if w.startswith("The case management file")]
    assert "7 rows that repeat an earlier row exactly" in warning and "each was counted once" in warning
    assert "counts are too high" not in warning
    # incidents keep their rule: two identical rows are two victims of one incident
    victims = [{"incident_id": "H1", "occurred_on": "2017-02-01", "incident_type": "homicide"}] * 2 + [
        {"incident_id": "H2", "occurred_on": "2017-02-27", "incident_type": "homicide"}]
    review = open_review(None, data_dir=str(make_city("victims", incidents=victims)), **values)
    assert lookup(review.indicators, "homicides", "period") == 3
