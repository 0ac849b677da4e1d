"""A new city from a police export: new-city, import, run; incident-only; paths read from the params file."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ceasefire_analysis.cli import main
from ceasefire_analysis.newcity import new_city, params_text
from ceasefire_analysis.params import DEFAULTS, load_params
from ceasefire_analysis.periods import Month
from ceasefire_analysis.review import open_review

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def test_params_template_has_every_key_and_no_demo_value(tmp_path):
    text = params_text("Springfield", Month(2022, 11), Month(2022, 12))
    for key in DEFAULTS:
        assert f"\n{key}:" in text or f"\n# {key}:" in text, key
    for demo_value in ("Oakland", "demo", "synthetic", "200", "Measure Y", "OML"):
        assert demo_value not in text
    written = yaml.safe_load(text)
    assert set(written) == {"city", "period_start", "period_end", "data_dir", "homicide_scope", "share_targets"}
    # the seed worksheet's share targets, written out so that a new city sees and sets its own
    assert written["share_targets"] == {"direct_communications_highest_risk_pct": 90,
                                        "case_management_opd_highest_risk_pct": 75, "staffing_pct": 100,
                                        "enforcement_vhr_pct_area": 50, "enforcement_vhr_pct_specialised": 90}
    assert "seed worksheet" in text


def test_new_city_writes_params_and_a_data_folder_git_ignores(tmp_path, capsys):
    assert main(["new-city", str(tmp_path / "springfield"), "--name", "Springfield"]) == 0
    out = capsys.readouterr().out
    params_file = next((tmp_path / "springfield" / "params").glob("*.yaml"))
    data = tmp_path / "springfield" / "data"
    assert (data / "README.md").is_file()
    assert (data / ".gitignore").read_text().splitlines()[1:4] == ["*", "!.gitignore", "!README.md"]
    commands = [line.strip() for line in out.splitlines() if line.strip().startswith("ceasefire ")]
    assert len(commands) == 3 and commands[1] == f"ceasefire validate {data}"
    assert load_params(params_file).data_dir == data.resolve()
    assert main(["new-city", str(tmp_path / "springfield"), "--name", "Springfield"]) == 1  # never overwrites


def test_police_export_to_first_worksheet_for_an_incident_only_city(tmp_path, monkeypatch, capsys, analyst_text):
    """new-city, import, validate, run: no activity verdict, no key, history from incidents."""
    monkeypatch.delenv("CEASEFIRE_ID_KEY", raising=False)
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative paths: the params file's folder; reports/ here
    params_file, data = new_city("nyc", "New York City", today=dt.date(2023, 1, 20))
    assert params_file == Path("nyc/params/2022-11_2022-12.yaml")
    params_file.write_text(params_file.read_text().replace("homicide_scope: all", "homicide_scope: firearm"))
    assert main(["import", "--map", "nypd_shooting_incidents", "--out", str(data),
                 str(EXPORTS / "nypd_historic_excerpt.csv"), str(EXPORTS / "nypd_ytd2022_excerpt.csv")]) == 0
    assert main(["validate", str(data)]) == 0
    capsys.readouterr()
    assert main(["run", str(params_file), "--jobs", "1"]) == 0, capsys.readouterr().err
    period = elsewhere / "reports" / "2022-11_2022-12"
    table = pd.read_csv(period / "indicators.csv", keep_default_na=False)
    activities = table[table["worksheet"] == "activities"]
    assert len(activities) and (activities["status"] == "not_recorded").all() and (activities["actual"] == "").all()
    non_injury = table[table["indicator"] == "non_injury_shootings"]
    assert (non_injury["status"] == "not_recorded").all() and (non_injury["actual"] == "").all()
    homicides = table[(table["indicator"] == "homicides") & (table["window"] == "ytd")]
    assert homicides["actual"].tolist() == ["1"]  # 2022-04-12, flag Y
    worksheet = (period / "worksheet.html").read_text(encoding="utf-8")
    assert "not recorded for this city" in worksheet and "Does not meet" not in worksheet.split("Worksheet 2")[1]
    assert "firearm homicides only" in worksheet
    # Worksheet 3 renders what incidents alone can give and says what is not recorded (issue 18)
    focus = worksheet.partition("Worksheet 3")[2]
    assert "Group involvement" in focus and "safe-city path" in focus.lower()
    assert "not recorded for this city" in focus.lower()
    assert set(table[table["worksheet"] == "focus"]["status"]) >= {"not_recorded"}
    history = (period / "history.html").read_text(encoding="utf-8")
    assert "Series used: annual counts from this city's incidents.csv" in history
    assert "Homicides per year, 2006–2022" in history and "data:image/png" in history
    index = (period / "index.html").read_text(encoding="utf-8")
    for page in (worksheet, history, index):
        assert "Oakland" not in page and "SYNTHETIC" not in page
    # a type the city does not record reads so in every cell of its row, never as a number or a raw value
    non_injury_rows = worksheet.partition("Non-injury shootings")[2].partition("</tbody>")[0]
    assert "No benchmark" not in non_injury_rows and "incident data start" not in non_injury_rows
    assert non_injury_rows.count("not recorded for this city") >= 2 * 4  # benchmark, actual, year before, 3 years
    # never a raw missing value on any page the run wrote
    for page in sorted((elsewhere / "reports").rglob("*.html")):
        text = re.sub(r"data:image/[^\"']+", "", page.read_text(encoding="utf-8"))  # images' base64 is not prose
        # "None recorded" is a sentence; a None, nan or NaN standing alone is a value that was never formatted
        found = re.findall(r".{0,60}\b(?:nan|NaN|None)\b(?! [a-z]).{0,20}", text)
        assert not found, f"{page.relative_to(elsewhere)}: {found[:3]}"
        assert not analyst_text(text), f"{page.relative_to(elsewhere)}: {analyst_text(text)}"


def test_relative_paths_read_against_the_params_file(tmp_path, monkeypatch):
    (tmp_path / "city" / "params").mkdir(parents=True)
    (tmp_path / "city" / "hist").mkdir()
    params = tmp_path / "city" / "params" / "p.yaml"
    params.write_text("city: X\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: ../data\n"
                      "history_dir: ../hist\n")
    monkeypatch.chdir(tmp_path)
    loaded = load_params("city/params/p.yaml")
    assert loaded.data_dir == tmp_path / "city" / "data" and loaded.history_dir == tmp_path / "city" / "hist"


def test_a_demo_name_on_a_city_folder_is_warned(make_city, tmp_path):
    folder = make_city()
    params = tmp_path / "copied.yaml"
    params.write_text(f"city: Oakland (demo data, synthetic)\nperiod_start: '2017-01'\nperiod_end: '2017-01'\n"
                      f"data_dir: {folder}\n")
    review = open_review(str(params))
    assert any("says demo or synthetic" in w for w in review.warnings)
    params.write_text(params.read_text().replace("Oakland (demo data, synthetic)", "Oakland"))
    assert not any("says demo" in w for w in open_review(str(params)).warnings)


def test_a_homicide_only_city_shows_non_fatal_shootings_as_not_recorded(make_city, monkeypatch):
    from ceasefire_analysis.charts import year_to_date_chart
    from ceasefire_analysis.tables import outcome_worksheet_html, pace_html

    rows = [{"incident_id": f"C{i}", "occurred_on": f"2016-{i % 12 + 1:02d}-05", "incident_type": "homicide"}
            for i in range(30)] + [{"incident_id": "X", "occurred_on": "2017-02-10", "incident_type": "homicide"}]
    folder = make_city(incidents=rows, communications=None, case_management=None, staffing=None, meetings=None)
    # the first homicide is on 5 Jan 2016; the extract covers all of 2016 (data_from), so 2017's benchmark derives
    review = open_review(None, city="T", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                         data_through="2017-03-31", data_from="2016-01-01")
    table = review.indicators
    nonfatal = table[table["indicator"] == "nonfatal_injury_shootings"]
    assert (nonfatal["status"] == "not_recorded").all() and nonfatal["actual"].isna().all()
    assert "Homicides" in pace_html(review).data and "Non-fatal" not in pace_html(review).data
    assert "not recorded for this city" in year_to_date_chart(review, "nonfatal_injury_shootings").data
    assert "not recorded for this city" in outcome_worksheet_html(review).data


@pytest.mark.parametrize("under", [False, True])
def test_new_city_on_a_file_is_one_sentence(tmp_path, capsys, under):
    a_file = tmp_path / "a.txt"
    a_file.write_text("mine\n")
    target = a_file / "nyc" if under else a_file
    code = main(["new-city", str(target), "--name", "X"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert ("could not be made" if under else "is a file; give a folder") in err
    assert a_file.read_text() == "mine\n"


def test_git_picks_up_no_cache_or_report_file_in_a_new_city_folder(tmp_path, monkeypatch, capsys):
    """attack2 F10: the processed cache (the city's records) and the reports sat outside the ignored data/."""
    import shutil
    import subprocess

    from ceasefire_analysis import loading
    from ceasefire_analysis.reports import run_params_files

    if shutil.which("git") is None:
        pytest.fail("git is needed for this test")
    monkeypatch.setattr(loading, "CACHE_DIR", None)  # as installed: the cache sits next to the data folder
    monkeypatch.delenv("CEASEFIRE_ID_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    params_file, data = new_city("chi", "Chicago", today=dt.date(2023, 1, 20))
    assert main(["import", "--map", "nypd_shooting_incidents", "--out", str(data),
                 str(EXPORTS / "nypd_historic_excerpt.csv"), str(EXPORTS / "nypd_ytd2022_excerpt.csv")]) == 0
    monkeypatch.chdir(tmp_path / "chi")
    [result] = run_params_files([params_file.relative_to("chi")], Path("reports"), notebooks=())
    assert result.error == ""
    caches = list((tmp_path / "chi" / ".ceasefire_cache").rglob("*.parquet"))
    assert caches and list((tmp_path / "chi" / "reports").rglob("indicators.csv"))

    def untracked() -> list[str]:
        subprocess.run(["git", "init", "-q", "."], check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], check=True,
                                capture_output=True, text=True).stdout
        return [line[3:] for line in status.splitlines()]

    assert sorted(untracked()) == [".gitignore", "data/.gitignore", "data/README.md", f"params/{params_file.name}"]
    # the cache keeps itself out of git even without the city folder's .gitignore
    (tmp_path / "chi" / ".gitignore").unlink()
    files = untracked()
    assert not [f for f in files if ".ceasefire_cache" in f] and any(f.startswith("reports/") for f in files)


def test_new_city_adds_its_lines_to_an_existing_gitignore(tmp_path):
    (tmp_path / "city").mkdir()
    (tmp_path / "city" / ".gitignore").write_text("*.pyc", encoding="utf-8")
    new_city(tmp_path / "city", "Gary")
    assert (tmp_path / "city" / ".gitignore").read_text(encoding="utf-8").splitlines() == [
        "*.pyc", "# written by ceasefire new-city: the processed cache and the reports stay out of git",
        ".ceasefire_cache/", "reports/"]
