"""`ceasefire import`: police exports through column maps into contract files."""
from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ceasefire_analysis.cli import main
from ceasefire_analysis.config import PARAMS_DIR
from ceasefire_analysis.errors import CeasefireError
from ceasefire_analysis.importing import MapError, import_export, load_map, map_from_values
from ceasefire_analysis.loading import validate_data_dir

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
NYPD_MAP = PARAMS_DIR / "maps" / "nypd_shooting_incidents.yaml"
CHICAGO_MAP = PARAMS_DIR / "maps" / "chicago_victims.yaml"


def read_out(folder: Path) -> list[dict]:
    with open(folder / "incidents.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_nypd_historic_two_digit_years_and_upper_case_flags(tmp_path):
    result = import_export(load_map(NYPD_MAP), [EXPORTS / "nypd_historic_excerpt.csv"], tmp_path)
    rows = read_out(tmp_path)
    assert (result.rows_read, result.rows_written, result.rows_dropped) == (6, 6, 0)
    assert rows[0] == {"incident_id": "24050482", "occurred_on": "2006-08-27", "incident_type": "homicide",
                       "area": "BRONX"}
    by_id = {r["incident_id"]: r for r in rows}
    assert by_id["77673979"]["occurred_on"] == "2011-03-11"
    assert by_id["77673979"]["incident_type"] == "nonfatal_injury_shooting"
    assert [r["incident_type"] for r in rows].count("homicide") == 3


def test_nypd_2022_layout_with_y_n_flags_and_four_digit_years(tmp_path):
    import_export(load_map(NYPD_MAP), [EXPORTS / "nypd_ytd2022_excerpt.csv"], tmp_path)
    rows = read_out(tmp_path)
    by_id = {r["incident_id"]: (r["occurred_on"], r["incident_type"]) for r in rows}
    assert by_id["243566884"] == ("2022-04-12", "homicide")
    assert by_id["256484816"] == ("2022-12-17", "nonfatal_injury_shooting")


def test_bom_crlf_and_windows_1252_read_the_same(tmp_path):
    source = (EXPORTS / "nypd_ytd2022_excerpt.csv").read_bytes()
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + source.replace(b"\n", b"\r\n"))
    cp1252 = tmp_path / "cp1252.csv"
    cp1252.write_bytes(source.replace(b"BRONX", "BRONX\u00e9".encode("cp1252"), 1))
    import_export(load_map(NYPD_MAP), [EXPORTS / "nypd_ytd2022_excerpt.csv"], tmp_path / "plain")
    import_export(load_map(NYPD_MAP), [bom], tmp_path / "bom")
    result = import_export(load_map(NYPD_MAP), [cp1252], tmp_path / "cp")
    assert (tmp_path / "bom" / "incidents.csv").read_bytes() == (tmp_path / "plain" / "incidents.csv").read_bytes()
    assert "BRONX\u00e9" in {r["area"] for r in read_out(tmp_path / "cp")} and result.rows_written == 6


def test_several_sources_are_written_by_date_and_rerun_gives_same_bytes(tmp_path):
    sources = [EXPORTS / "nypd_historic_excerpt.csv", EXPORTS / "nypd_ytd2021_trimmed_excerpt.csv",
               EXPORTS / "nypd_ytd2022_excerpt.csv"]
    first = import_export(load_map(NYPD_MAP), sources, tmp_path)
    before = (tmp_path / "incidents.csv").read_bytes()
    import_export(load_map(NYPD_MAP), sources, tmp_path, force=True)
    assert (tmp_path / "incidents.csv").read_bytes() == before
    rows = read_out(tmp_path)
    assert first.rows_written == len(rows) == 6 + 5 + 6
    # written by date, then case number, whatever the sources' order: 8/27/06 first, 12/17/2022 last
    assert rows[0]["incident_id"] == "24050482" and rows[-1]["incident_id"] == "256484816"
    assert [(r["occurred_on"], r["incident_id"]) for r in rows] == sorted((r["occurred_on"], r["incident_id"])
                                                                           for r in rows)
    assert validate_data_dir(tmp_path) == []


def test_xlsx_source(tmp_path):
    frame = pd.read_csv(EXPORTS / "nypd_historic_excerpt.csv", dtype=str, keep_default_na=False)
    frame["OCCUR_DATE"] = pd.to_datetime(frame["OCCUR_DATE"], format="%m/%d/%y")  # Excel stores real dates
    frame.to_excel(tmp_path / "nypd.xlsx", index=False)
    import_export(load_map(NYPD_MAP), [tmp_path / "nypd.xlsx"], tmp_path / "out")
    assert read_out(tmp_path / "out")[0]["occurred_on"] == "2006-08-27"


def test_chicago_rules_keep_homicides_of_any_cause_and_only_gunshot_nonfatal(tmp_path, capsys):
    code = main(["import", "--map", str(CHICAGO_MAP), "--out", str(tmp_path),
                 str(EXPORTS / "chicago_victims_format.csv")])
    out = capsys.readouterr().out
    assert code == 0
    rows = read_out(tmp_path)
    assert [(r["incident_id"], r["incident_type"]) for r in rows] == [
        ("XX000001", "homicide"), ("XX000002", "homicide"), ("XX000003", "nonfatal_injury_shooting"),
        ("XX000003", "nonfatal_injury_shooting"), ("XX000004", "nonfatal_injury_shooting")]
    assert "read 7 rows; wrote 5" in out and "dropped 2" in out
    # source values the map does not name are described, never echoed (see test_drop_reasons_never_echo_a_name)
    assert "2 rows: incident_type: no rule matches VICTIMIZATION_PRIMARY, GUNSHOT_INJURY_I, e.g. row " in out
    assert "(VICTIMIZATION_PRIMARY a text (7 characters), GUNSHOT_INJURY_I a text (2 characters))" in out
    assert validate_data_dir(tmp_path) == []


def test_unmatched_values_are_dropped_and_counted_by_reason(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text("KEY,D,FLAG,GUN\n1,01/02/2020,Y,x\n2,01/03/2020,U,x\n3,01/04/2020,U,x\n"
                      "4,2020-13-01,N,x\n5,01/05/2020,N,z\n")
    column_map = map_from_values({"file": "incidents", "keep": {"GUN": "x"}, "columns": {
        "incident_id": "KEY", "occurred_on": {"column": "D", "format": "%m/%d/%Y"},
        "incident_type": {"column": "FLAG", "values": {"homicide": "y", "nonfatal_injury_shooting": ["n"]}}}})
    result = import_export(column_map, [source], tmp_path / "out")
    assert (result.rows_read, result.rows_written, result.rows_dropped) == (5, 1, 4)
    assert result.dropped == {
        "incident_type: FLAG matches no value in the map": 2,
        "occurred_on: D is in none of the formats %m/%d/%Y (nor ISO 8601)": 1,
        "kept only rows with GUN in x": 1,
    }
    # each reason shows its first rows, numbered as in the file (header = 1)
    assert result.examples["incident_type: FLAG matches no value in the map"] == [
        "row 3 of src.csv (a text (1 character))", "row 4 of src.csv (a text (1 character))"]
    assert result.examples["occurred_on: D is in none of the formats %m/%d/%Y (nor ISO 8601)"] == [
        "row 5 of src.csv ('2020-13-01')"]


def test_missing_source_column_lists_the_columns_found(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text("INCIDENT_KEY,OCCUR_DATE,BORO\n1,01/02/2020,BRONX\n")
    with pytest.raises(CeasefireError) as err:
        import_export(load_map(NYPD_MAP), [source], tmp_path / "out")
    message = str(err.value)
    assert "STATISTICAL_MURDER_FLAG" in message and "columns found are: INCIDENT_KEY, OCCUR_DATE, BORO" in message
    assert not (tmp_path / "out" / "incidents.csv").exists()


@pytest.mark.parametrize("values, key", [
    ({"file": "incident", "columns": {}}, "'file'"),
    ({"file": "incidents", "columns": {"incident_id": "K", "occurred_on": {"column": "D", "format": "%d"},
                                       "incident_typ": "T"}}, "'columns.incident_typ'"),
    ({"file": "incidents", "columns": {"incident_id": "K", "occurred_on": "D", "incident_type": "T"}},
     "'columns.occurred_on.format'"),
    ({"file": "incidents", "columns": {"incident_id": "K", "occurred_on": {"column": "D", "format": "%d"},
                                       "incident_type": {"column": "T", "values": {"murder": ["y"]}}}},
     "'columns.incident_type.values'"),
    ({"file": "incidents", "colums": {}}, "'colums'"),
    ({"file": "incidents", "columns": {"incident_id": "K", "occurred_on": {"column": "D", "format": "%d"}}},
     "incident_type"),
])
def test_map_errors_name_the_key(values, key):
    with pytest.raises(MapError, match=key.replace("(", r"\(")):
        map_from_values(values, "m.yaml")


def test_output_breaking_the_contract_is_not_written(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text("K,D,T\n1,01/02/2090,homicide\n")
    column_map = map_from_values({"file": "incidents", "columns": {
        "incident_id": "K", "occurred_on": {"column": "D", "format": "%m/%d/%Y"}, "incident_type": "T"}})
    with pytest.raises(CeasefireError, match="in the future"):
        import_export(column_map, [source], tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_unquoted_yes_no_in_a_map_file_are_the_words_written(tmp_path):
    (tmp_path / "m.yaml").write_text(
        "file: incidents\nkeep: {GUN: [y, yes]}\ncolumns:\n  incident_id: K\n"
        "  occurred_on: {column: D, format: '%m/%d/%Y'}\n"
        "  incident_type:\n    column: F\n    values: {homicide: [yes, on], nonfatal_injury_shooting: [no, off]}\n")
    source = tmp_path / "s.csv"
    source.write_text("K,D,F,GUN\n1,01/02/2020,YES,Yes\n2,01/02/2020,off,y\n3,01/02/2020,no,NO\n")
    result = import_export(load_map(tmp_path / "m.yaml"), [source], tmp_path / "out")
    assert [r["incident_type"] for r in read_out(tmp_path / "out")] == ["homicide", "nonfatal_injury_shooting"]
    assert result.rows_dropped == 1


def test_drop_reasons_never_echo_a_name_or_record_number(tmp_path, capsys):
    # a shifted column puts a name or a person number in the flag or date column: the reason goes to
    # the terminal and the scheduler's log, so it describes such values the way `validate` does
    with open(EXPORTS / "nypd_historic_excerpt.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][7] = "Jamal Washington"
    rows[2][1] = "Jamal Washington"
    rows[3][1] = "B-1234567"
    rows[4][7] = "maybe"
    source = tmp_path / "names.csv"
    with open(source, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    code = main(["import", "--map", str(NYPD_MAP), "--out", str(tmp_path / "out"), str(source)])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 0
    assert "Jamal" not in text and "Washington" not in text and "1234567" not in text
    assert "STATISTICAL_MURDER_FLAG matches no value" in text and "(a name-like text (16 characters))" in text
    assert "OCCUR_DATE is in none of the formats" in text
    assert "(a code of letters and digits (9 characters))" in text
    # a word the map does not name, and not close to any value it names: described, as validate does
    assert "(a text (5 characters))" in text


def test_rules_and_keep_describe_unnamed_values_and_quote_the_maps_own_words(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text("K,D,P,G\n1,01/02/2020,Jamal Washington,YES\n2,01/02/2020,HOMICIDE,John Smith\n"
                      "3,01/02/2020,BATTERY,YES\n4,01/02/2020,SHOOTING,YES\n")
    column_map = map_from_values({"file": "incidents", "keep": {"G": ["yes", "no"]}, "columns": {
        "incident_id": "K", "occurred_on": {"column": "D", "format": "%m/%d/%Y"},
        "incident_type": {"rules": [{"when": {"P": "homicide"}, "value": "homicide"},
                                    {"when": {"G": "yes", "P": "shooting"}, "value": "nonfatal_injury_shooting"}]}}})
    result = import_export(column_map, [source], tmp_path / "out")
    assert result.dropped == {"kept only rows with G in no, yes": 1, "incident_type: no rule matches P, G": 2}
    assert result.examples == {
        "kept only rows with G in no, yes": ["row 3 of src.csv (G a name-like text (10 characters))"],
        "incident_type: no rule matches P, G": ["row 2 of src.csv (P a name-like text (16 characters), G 'YES')",
                                               "row 4 of src.csv (P a text (7 characters), G 'YES')"]}
    assert result.rows_written == 1


def _historic_with(tmp_path: Path, edit) -> Path:
    with open(EXPORTS / "nypd_historic_excerpt.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        edit(row)
    source = tmp_path / "edited.csv"
    with open(source, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return source


@pytest.mark.parametrize("suffix, year", [(" 0:00", "%y"), (" 0:00", "%Y"), (" 0:00:00", "%Y"),
                                          (" 12:00:00 AM", "%Y"), (" 12:00 AM", "%Y")])
def test_nypd_map_reads_dates_excel_wrote_with_a_time(tmp_path, suffix, year):
    def edit(row):
        day = dt.datetime.strptime(row[1], "%m/%d/%y")
        row[1] = f"{day.month}/{day.day}/{day.strftime(year)}{suffix}"
    result = import_export(load_map(NYPD_MAP), [_historic_with(tmp_path, edit)], tmp_path / "out")
    assert (result.rows_written, result.rows_dropped) == (6, 0)
    assert read_out(tmp_path / "out")[0]["occurred_on"] == "2006-08-27"


def test_every_row_dropped_says_nothing_was_written_and_why(tmp_path, capsys):
    def edit(row):
        row[1] += " at noon"
    out = tmp_path / "out"
    code = main(["import", "--map", str(NYPD_MAP), "--out", str(out), str(_historic_with(tmp_path, edit))])
    err = capsys.readouterr().err
    assert code == 1
    assert f"nothing was written to {out / 'incidents.csv'}: every row was dropped" in err
    assert "read 6 rows; dropped 6:" in err
    assert "occurred_on: OCCUR_DATE is in none of the formats" in err
    assert "(a code of letters and digits (" in err  # "8/27/06 at noon", described
    assert "is in none of the formats %m/%d/%y" in err
    assert "header but no rows" not in err
    assert not (out / "incidents.csv").exists()


def test_contract_failure_still_lists_the_dropped_rows(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text("K,D,T\n1,01/02/2090,homicide\n2,2020,homicide\n")
    column_map = map_from_values({"file": "incidents", "columns": {
        "incident_id": "K", "occurred_on": {"column": "D", "format": "%m/%d/%Y"}, "incident_type": "T"}})
    with pytest.raises(CeasefireError) as err:
        import_export(column_map, [source], tmp_path / "out")
    message = str(err.value)
    assert message.startswith(f"nothing was written to {tmp_path / 'out' / 'incidents.csv'}: the 1 rows kept would")
    assert "in the future" in message
    assert "1 row: occurred_on: D is in none of the formats %m/%d/%Y (nor ISO 8601), e.g. row 3 of src.csv " \
           "(a number of 4 digits)" in message


@pytest.mark.parametrize("case", ["source folder", "map folder", "out file", "out under a file"])
def test_wrong_kind_of_path_is_one_sentence(tmp_path, capsys, case):
    folder = tmp_path / "folder"
    folder.mkdir()
    a_file = tmp_path / "f"
    a_file.write_text("mine\n")
    source, map_arg, out = str(EXPORTS / "nypd_historic_excerpt.csv"), str(NYPD_MAP), str(tmp_path / "out")
    expected = {"source folder": "is a folder; give the export file", "map folder": "is a folder; give a map file",
                "out file": "is a file; give the data folder", "out under a file": "could not be made"}[case]
    if case == "source folder":
        source = str(folder)
    elif case == "map folder":
        map_arg = str(folder)
    elif case == "out file":
        out = str(a_file)
    else:
        out = str(a_file / "sub")
    code = main(["import", "--map", map_arg, "--out", out, source])
    err = capsys.readouterr().err
    assert code == 1 and expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert a_file.read_text() == "mine\n"


def test_overlapping_exports_count_a_shooting_once_but_keep_victims_repeated_within_one(tmp_path, capsys):
    # the 2021 excerpt lists incident 233828559 twice (two victims): both stay. A later export that
    # overlaps it (re-saved by Excel: 7/6/21, TRUE) repeats three of its rows and adds one new row
    ytd = EXPORTS / "nypd_ytd2021_trimmed_excerpt.csv"
    with open(ytd, newline="") as fh:
        header, *rows = list(csv.reader(fh))
    date_at, flag_at = header.index("OCCUR_DATE"), header.index("STATISTICAL_MURDER_FLAG")

    def resaved(row, key=None):
        row = list(row)
        day = dt.datetime.strptime(row[date_at], "%m/%d/%Y")
        row[date_at] = f"{day.month}/{day.day}/{day:%y}"
        row[flag_at] = row[flag_at].upper()
        if key:
            row[0] = key
        return row
    repeated = [r for r in rows if r[0] == "233828559"]
    assert len(repeated) == 2
    later = tmp_path / "later.csv"
    with open(later, "w", newline="") as fh:
        csv.writer(fh).writerows([header, resaved(rows[0]), resaved(repeated[0]), resaved(rows[-1]),
                                  resaved(rows[0], key="299999999")])
    code = main(["import", "--map", str(NYPD_MAP), "--out", str(tmp_path / "out"), str(ytd), str(later)])
    out = capsys.readouterr().out
    assert code == 0
    written = read_out(tmp_path / "out")
    assert len(written) == 5 + 1
    assert [r["incident_id"] for r in written].count("233828559") == 2
    assert [r["incident_id"] for r in written].count(rows[0][0]) == 1
    assert "read 9 rows; wrote 6" in out and "3 rows: duplicate of a row in an earlier source" in out
    assert validate_data_dir(tmp_path / "out") == []


def test_a_later_export_keeps_victims_beyond_what_the_earlier_one_held(tmp_path):
    ytd = EXPORTS / "nypd_ytd2021_trimmed_excerpt.csv"
    lines = ytd.read_text().splitlines(keepends=True)
    victim = next(line for line in lines if line.startswith("233828559"))
    three = tmp_path / "three_victims.csv"
    three.write_text(lines[0] + victim * 3)
    result = import_export(load_map(NYPD_MAP), [ytd, three, ytd], tmp_path / "out")
    # the earlier export had two identical victims, the later three: one more victim, kept once
    assert [r["incident_id"] for r in read_out(tmp_path / "out")].count("233828559") == 3
    assert result.rows_written == 5 + 1
    assert result.dropped == {"duplicate of a row in an earlier source": 2 + 5}


def test_an_existing_file_is_kept_unless_force(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "incidents.csv").write_text("my own hand-made file\n")
    source = str(EXPORTS / "nypd_historic_excerpt.csv")
    code = main(["import", "--map", str(NYPD_MAP), "--out", str(out), source])
    err = capsys.readouterr().err
    assert code == 1 and "already exists" in err and "--force" in err
    assert (out / "incidents.csv").read_text() == "my own hand-made file\n"
    assert main(["import", "--map", str(NYPD_MAP), "--out", str(out), "--force", source]) == 0
    assert len(read_out(out)) == 6 and validate_data_dir(out) == []


def test_a_file_that_would_break_the_folder_is_not_written(tmp_path, capsys):
    # the demo's people and tasks point at the demo's incidents: replacing incidents.csv with NYPD rows
    # would leave them pointing at unknown incidents, so the import refuses and keeps the old file
    from ceasefire_analysis.config import DEMO_DATA_DIR

    out = tmp_path / "city"
    shutil.copytree(DEMO_DATA_DIR, out)
    before = (out / "incidents.csv").read_bytes()
    code = main(["import", "--map", str(NYPD_MAP), "--out", str(out), "--force",
                 str(EXPORTS / "nypd_historic_excerpt.csv")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"nothing was written to {out / 'incidents.csv'}: with it, the folder would fail" in err
    assert f"{out}" in err and "is not an incident_id in incidents.csv" in err
    assert "ceasefire-import-check" not in err  # problems name the real folder, not the scratch one
    assert (out / "incidents.csv").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in DEMO_DATA_DIR.iterdir())


def test_problems_the_folder_already_had_do_not_block_and_are_noted(tmp_path, capsys):
    out = tmp_path / "city"
    out.mkdir()
    (out / "communications.csv").write_text("not,the,right,columns\n1,2,3,4\n")
    code = main(["import", "--map", str(NYPD_MAP), "--out", str(out), str(EXPORTS / "nypd_historic_excerpt.csv")])
    captured = capsys.readouterr()
    assert code == 0 and len(read_out(out)) == 6
    assert "had 1 problem before this import" in captured.err or "problems before this import" in captured.err


def test_a_map_carries_its_homicide_scope_and_import_reminds_the_user(tmp_path, capsys):
    assert load_map(NYPD_MAP).homicide_scope == "firearm" and load_map(CHICAGO_MAP).homicide_scope == "all"
    assert main(["import", "--map", "nypd_shooting_incidents", "--out", str(tmp_path / "nyc"),
                 str(EXPORTS / "nypd_historic_excerpt.csv")]) == 0
    assert "set `homicide_scope: firearm` in your params file" in capsys.readouterr().out
    assert main(["import", "--map", str(CHICAGO_MAP), "--out", str(tmp_path / "chi"),
                 str(EXPORTS / "chicago_victims_format.csv")]) == 0
    assert "homicide_scope" not in capsys.readouterr().out
    with pytest.raises(MapError, match="'homicide_scope' in m.yaml must be one of all, firearm"):
        map_from_values({"file": "incidents", "homicide_scope": "guns", "columns": {
            "incident_id": "K", "occurred_on": {"column": "D", "format": "%d"}, "incident_type": "T"}}, "m.yaml")


def test_time_ignore_drops_only_a_time_of_day_after_the_date(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text("K,D,T\n1,8/27/2006 0:00,homicide\n2,8/27/2006 12:00:00 AM,homicide\n"
                      "3,8/27/2006 23:59:59.5,homicide\n4,8/27/2006,homicide\n5,8/27/2006 99:99,homicide\n"
                      "6,8/27/2006 John Smith,homicide\n")
    values = {"file": "incidents", "columns": {
        "incident_id": "K", "occurred_on": {"column": "D", "format": "%m/%d/%Y", "time": "ignore"},
        "incident_type": "T"}}
    result = import_export(map_from_values(values), [source], tmp_path / "out")
    assert [r["incident_id"] for r in read_out(tmp_path / "out")] == ["1", "2", "3", "4"]
    assert result.rows_dropped == 2  # not a time of day: the row is dropped, not guessed
    values["columns"]["occurred_on"]["time"] = "keep"
    with pytest.raises(MapError, match="'columns.occurred_on.time' can only be `ignore`"):
        map_from_values(values)


def test_victims_of_one_case_listed_apart_are_written_together_and_raise_no_duplicate_warning(tmp_path):
    from ceasefire_analysis.loading import load_data_dir
    from ceasefire_analysis.quality import duplicate_row_warnings

    # Chicago lists victims by UNIQUE_ID; the map drops it, so the two victims of XX2 become identical rows,
    # far apart in the export's order
    source = tmp_path / "victims.csv"
    source.write_text("CASE_NUMBER,DATE,VICTIMIZATION_PRIMARY,GUNSHOT_INJURY_I,UNIQUE_ID,AREA\n"
                      "XX2,01/05/2019 10:00:00 PM,BATTERY,YES,SHOOT-XX2-#1,1\n"
                      "XX3,01/03/2019 01:00:00 AM,HOMICIDE,YES,HOM-XX3-#1,2\n"
                      "XX1,01/02/2019 11:40:00 PM,HOMICIDE,YES,HOM-XX1-#1,1\n"
                      "XX2,01/05/2019 10:00:00 PM,BATTERY,YES,SHOOT-XX2-#2,1\n"
                      "XX4,01/01/2019 03:00:00 AM,BATTERY,YES,SHOOT-XX4-#1,3\n")
    out = tmp_path / "data"
    import_export(load_map(CHICAGO_MAP), [source], out)
    assert [(r["occurred_on"], r["incident_id"]) for r in read_out(out)] == [
        ("2019-01-01", "XX4"), ("2019-01-02", "XX1"), ("2019-01-03", "XX3"), ("2019-01-05", "XX2"),
        ("2019-01-05", "XX2")]
    data = load_data_dir(out, use_cache=False)
    assert data.duplicate_rows["incidents"] == {"identical": 1, "apart": 0}
    assert duplicate_row_warnings(data.duplicate_rows) == []


def test_the_duplicate_warning_tells_victims_one_under_another_from_copies_far_apart():
    from ceasefire_analysis.quality import duplicate_row_warnings

    [text] = duplicate_row_warnings({"incidents": {"identical": 9, "apart": 7}})
    assert text.startswith("The incidents file has 7 rows that repeat an earlier row exactly but sit away from it")
    assert ("(2 more repeat another row of their own incident, listed with it: several victims of one incident, "
            "normal in an export with one row per victim)") in text
    [text] = duplicate_row_warnings({"incidents": {"identical": 4, "apart": 4}})
    assert "more repeat another row" not in text and "exported twice" in text


def test_iso_datetimes_of_the_portals_api_exports_are_read_by_both_shipped_maps(tmp_path):
    """F14: Socrata's API CSV writes 2019-01-14T23:40:00.000; both shipped maps must read it (and Z/offsets)."""
    nypd = tmp_path / "nypd_api.csv"
    nypd.write_text("INCIDENT_KEY,OCCUR_DATE,STATISTICAL_MURDER_FLAG,BORO\n"
                    "1,2006-08-27T00:00:00.000,true,BRONX\n2,2006-08-28T13:05:00.000Z,false,QUEENS\n"
                    "3,2006-08-29T00:00:00,FALSE,QUEENS\n")
    result = import_export(load_map(NYPD_MAP), [nypd], tmp_path / "nyc")
    assert (result.rows_written, result.rows_dropped) == (3, 0)
    assert [(r["occurred_on"], r["incident_type"]) for r in read_out(tmp_path / "nyc")] == [
        ("2006-08-27", "homicide"), ("2006-08-28", "nonfatal_injury_shooting"),
        ("2006-08-29", "nonfatal_injury_shooting")]
    chicago = tmp_path / "chi_api.csv"
    chicago.write_text("CASE_NUMBER,DATE,VICTIMIZATION_PRIMARY,GUNSHOT_INJURY_I,AREA\n"
                       "JA100001,2019-01-14T23:40:00.000,HOMICIDE,YES,1\n"
                       "JA100002,2019-01-15T01:00:00.000-06:00,BATTERY,YES,2\n")
    result = import_export(load_map(CHICAGO_MAP), [chicago], tmp_path / "chi")
    assert (result.rows_written, result.rows_dropped) == (2, 0)
    assert [r["occurred_on"] for r in read_out(tmp_path / "chi")] == ["2019-01-14", "2019-01-15"]


def test_thousands_of_distinct_bad_dates_are_one_reason_with_three_examples(tmp_path):
    """F14: the refusal is one line per reason (with a count and at most 3 rows), not one per distinct value."""
    source = tmp_path / "bad.csv"
    source.write_text("K,D,T\n" + "".join(f"{i},2019-01-{i % 28 + 1:02d}X{i},homicide\n" for i in range(1200)))
    column_map = map_from_values({"file": "incidents", "columns": {
        "incident_id": "K", "occurred_on": {"column": "D", "format": "%m/%d/%Y"}, "incident_type": "T"}})
    with pytest.raises(CeasefireError) as err:
        import_export(column_map, [source], tmp_path / "out")
    lines = str(err.value).splitlines()
    assert lines[1] == "read 1200 rows; dropped 1200:"
    assert len(lines) == 3
    assert lines[2].startswith("  - 1,200 rows: occurred_on: D is in none of the formats %m/%d/%Y (nor ISO 8601), "
                               "e.g. row 2 of bad.csv (")
    assert lines[2].count(" of bad.csv") == 3 and "row 4 of bad.csv" in lines[2] and "row 5 of" not in lines[2]
