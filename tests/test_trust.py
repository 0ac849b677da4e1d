"""Privacy tiers, planted identifiers, data-quality warnings, determinism and untouched raw data."""
import datetime as dt
import hashlib
import json
import re

import pandas as pd
import pytest

from ceasefire_analysis.config import DEMO_DATA_DIR, DEMO_PARAMS, sha256_of
from ceasefire_analysis.loading import _cache_dir_for, find_input
from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.privacy import Relation, protect_indicators, resolve_id_key, suppress_cells
from ceasefire_analysis.quality import empty_months, late_reporting, reconcile_victims
from ceasefire_analysis.reports import run_params_files
from ceasefire_analysis.schema import FILE_SPECS

from conftest import write_rows

# Identifiers nobody would write by accident: if any byte of them survives into an output, it leaked.
PLANTED = ["Zebulon Quarrington-Fitch", "PFN-9912345", "Xanthe Ollivander-Kemp", "CRN#77-31-4159"]
# A name only staff notes hold (notes, next steps, previous next steps written starting "internal:").
PLANTED_NOTE_NAME = "Ignatius Wolstenholme-Brae"


def _group(counts, threshold=5):
    names = [f"c{i}" for i in range(len(counts))]
    values = dict(zip(names, counts), total=sum(counts))
    hidden = suppress_cells(values, [Relation.total("total", names)], threshold)
    return [hidden.get(n, "") for n in names]


def test_suppression_primary_and_complementary():
    assert _group([38, 3, 14, 35, 83]) == ["", "small", "complementary", "", ""]
    assert _group([38, 3, 2, 35]) == ["", "small", "small", ""]  # two primaries protect each other
    assert _group([10, 0, 3]) == ["complementary", "", "small"]  # a shown zero does not protect
    assert _group([0, 0]) == ["", ""]
    # 1 + 1 = 2 with both at least 1: each is pinned to 1, so a third cell has to go
    assert _group([1, 1, 40, 50]).count("") == 1


def test_public_indicators_hide_small_counts_and_what_reveals_them(demo_indicators):
    public = protect_indicators(demo_indicators, threshold=20)
    # 14 people at call-ins is below 20: hidden; custom notifications would give it away from the total
    for window in ("ytd", "period"):
        assert pd.isna(lookup(public, "call_ins", window))
        assert lookup(public, "call_ins", window, "suppressed") == "small"
        assert lookup(public, "custom_notifications", window, "suppressed") == "complementary"
    # the year to date's total stays; the period's may go too, now that year to date = period + January
    assert lookup(public, "direct_communications", "ytd") == lookup(demo_indicators, "direct_communications", "ytd")
    # caseload split: 13 custom and 14 other-Ceasefire are both small; the rest are shown
    assert lookup(public, "case_management_active_custom_notification", "as_of", "suppressed") == "small"
    assert lookup(public, "case_management_active_ceasefire_other", "as_of", "suppressed") == "small"
    assert lookup(public, "case_management_active_outreach", "as_of") == 35
    assert lookup(public, "homicides", "ytd") == 16  # outcomes are not counts of participants


def test_reconcile_victims_counts_a_death_once_as_homicide():
    incidents = pd.DataFrame({
        "incident_id": ["A", "A", "B", "C"], "victim_id": ["v1", "v1", "v2", None],
        "occurred_on": pd.to_datetime(["2017-01-02"] * 4),
        "incident_type": ["nonfatal_injury_shooting", "homicide", "nonfatal_injury_shooting", "nonfatal_injury_shooting"],
    })
    kept, listed = reconcile_victims(incidents)
    assert kept["incident_type"].value_counts().to_dict() == {"homicide": 1, "nonfatal_injury_shooting": 2}
    assert listed["incident_id"].tolist() == ["A"]


def test_empty_months_and_late_reports():
    dates = pd.to_datetime(["2016-01-05", "2016-03-05"] + [f"2016-0{m}-1{d}" for m in (4, 5, 6) for d in range(10)])
    incidents = pd.DataFrame({"occurred_on": dates})
    assert empty_months(incidents, pd.Timestamp("2016-07-31").date()) == ["2016-02", "2016-07"]
    assert late_reporting(incidents, pd.Timestamp("2016-07-10").date()).startswith("Only 0 shootings")
    steady = pd.DataFrame({"occurred_on": pd.date_range("2016-01-01", "2016-06-30", freq="D")})
    assert late_reporting(steady, pd.Timestamp("2016-06-30").date()) is None


def test_a_long_gap_reads_as_runs_of_months_not_a_wall_of_dates():
    """reader2 R5: an export that starts in 2018 after one 2006 record listed ~140 raw YYYY-MM ids."""
    from ceasefire_analysis.quality import quality_warnings

    dates = pd.to_datetime(["2006-08-10"] + [f"{y}-{m:02d}-10" for y in range(2018, 2023) for m in range(1, 13, 2)]
                           + ["2018-08-20"])
    warnings = quality_warnings(pd.DataFrame({"occurred_on": dates}), pd.DataFrame(), dt.date(2022, 12, 31))
    [gaps] = [w for w in warnings if w.startswith("No incident at all")]
    assert gaps.startswith("No incident at all is recorded in Sep 2006–Dec 2017 (136 months) and 29 other months "
                           "between Feb 2018 and Dec 2022:"), gaps
    assert not re.search(r"\d{4}-\d{2}", gaps)


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """A small city whose raw identifiers are planted, run end to end through every notebook.

    Returns the run's results, its period folder and the processed-data cache folder it wrote.
    """
    with pytest.MonkeyPatch.context() as patch:  # the key only for this run: later tests use the usual one
        patch.setenv("CEASEFIRE_ID_KEY", "planted-test-key-long-enough-to-be-accepted")
        root = tmp_path_factory.mktemp("planted")
        # its own cache: the shared data/processed/cache keeps only the newest caches, and the other test
        # worker's runs could prune this one before the cache test reads it
        patch.setattr("ceasefire_analysis.loading.CACHE_DIR", root / "cache")
        run = _planted_run(root)
    return run


def _planted_run(root):
    city = root / "city"
    people = PLANTED * 3
    comms, cases, events = [], [], []
    for i, pid in enumerate(people):
        day = f"2016-{(i % 12) + 1:02d}-1{i % 9}"
        comms.append({"participant_id": pid, "occurred_on": day, "kind": "call_in" if i % 2 else "custom_notification",
                      "highest_risk": "yes"})
        cases.append({"participant_id": pid, "enrolled_on": day, "exited_on": "", "referral_source": "outreach",
                      "opd_highest_risk": "y"})
        events.append({"participant_id": pid, "occurred_on": "2017-02-0" + str(i % 9 + 1),
                       "event": "arrest_violent_or_gun"})
    incidents = [{"incident_id": f"C{i}", "occurred_on": f"{2015 + i % 3}-{(i % 12) + 1:02d}-0{i % 9 + 1}",
                  "incident_type": ["homicide", "nonfatal_injury_shooting", "non_injury_shooting"][i % 3],
                  "victim_id": f"victim {PLANTED[i % 4]}" if i % 3 < 2 else ""} for i in range(60)]
    write_rows(city / "incidents.csv", incidents)
    write_rows(city / "communications.csv", comms)
    write_rows(city / "case_management.csv", cases)
    write_rows(city / "participant_events.csv", events)
    write_rows(city / "incident_people.csv", [{"incident_id": f"C{i}", "participant_id": PLANTED[i % 4],
                                               "role": "victim" if i % 2 else "suspect"} for i in range(0, 60, 3)])
    write_rows(city / "staffing.csv", [{"as_of": "2017-01-01", "unit": "CRT", "unit_group": "area", "authorized": 5,
                                        "filled": 4}])
    write_rows(city / "meetings.csv", [{"meeting_id": "M1", "scheduled_on": "2017-02-02", "kind": "coordination",
                                        "held": "yes", "opd_lead_present": "yes", "hsd_lead_present": "no",
                                        "risk_focus": "yes"}])
    params = root / "city.yaml"
    note = f"internal: call {PLANTED_NOTE_NAME} about the list"
    params.write_text(f"city: Planted City\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {city}\n"
                      f"audience: partner\nnotes: {{homicides: '{note}', call_ins: 'Two call-ins were held.'}}\n"
                      f"next_steps: ['{note}', 'Train the outreach team.']\n"
                      f"previous_next_steps:\n  - {{text: '{note}', status: done}}\n"
                      f"  - {{text: 'Hold a call-in.', status: done, note: '{note}'}}\n")
    out = root / "out"
    results = run_params_files([params], out)
    paths = {spec.name: find_input(city, spec) for spec in FILE_SPECS}
    cache = _cache_dir_for({name: sha256_of(p) for name, p in paths.items() if p is not None}, resolve_id_key(city),
                           city)
    return results, out / "2017-02_2017-03-partner", cache


def test_planted_identifiers_never_reach_any_output(planted_run):
    results, folder, _ = planted_run
    assert results[0].failures == []  # every report of a small, unfamiliar city renders
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) >= 7
    assert not (folder / "executed").exists()  # a partner run keeps no executed notebook
    pseudonym = re.compile(rb"p_[0-9a-f]{20}")
    for path in files:
        data = path.read_bytes()
        for raw in PLANTED:
            for form in (raw, raw.upper(), raw.lower()):
                assert form.encode() not in data, (raw, path)
        assert not pseudonym.search(data), path  # not even the hashed stand-ins are listed
        assert PLANTED_NOTE_NAME.lower().encode() not in data.lower(), path  # staff-only notes stay internal
        assert str(folder.parent.parent).encode() not in data, path  # no absolute path (data_dir, params file)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["params"]["data_dir"] == "city" and manifest["params_file"] == "city.yaml"
    assert manifest["params"]["next_steps"] == ["Train the outreach team."]
    assert manifest["params"]["notes"] == {"call_ins": "Two call-ins were held."}
    assert [s["text"] for s in manifest["params"]["previous_next_steps"]] == ["Hold a call-in."]
    worksheet = (folder / "worksheet.html").read_text()
    assert "Train the outreach team." in worksheet and "Hold a call-in." in worksheet  # the rest is shown


def test_planted_identifiers_never_reach_the_processed_cache(planted_run):
    _, _, cache = planted_run
    tables = sorted(cache.glob("*.parquet"))
    # parquet pages are compressed, so the bytes are not enough: every cell is read back as text
    assert {p.stem for p in tables} >= {"incidents", "communications", "case_management", "participant_events",
                                        "incident_people"}
    texts = [(cache / "record.json").read_text(encoding="utf-8")]
    for path in tables:
        frame = pd.read_parquet(path)
        texts += [f"{path.name} {column}: {value}" for column in frame.columns
                  for value in frame[column].astype(str)]
    leaks = [text for text in texts for raw in PLANTED if raw.lower() in text.lower()]
    assert leaks == []
    assert any(re.search(r"p_[0-9a-f]{20}", text) for text in texts)  # the identifiers are there, pseudonymised


def test_small_city_reports_say_what_is_missing(planted_run):
    folder = planted_run[1]
    history = (folder / "history.html").read_text()
    assert "Series used: annual counts from this city's incidents.csv" in history
    assert "Oakland" not in history  # never another city's data
    outcomes = (folder / "callin_outcomes.html").read_text()
    assert "fewer than 5" in outcomes  # partner tier: small numbers hidden
    assert "not an evaluation" in outcomes


def test_run_is_deterministic_and_leaves_raw_data_alone(rendered_demo, tmp_path):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in DEMO_DATA_DIR.iterdir()}
    results = run_params_files([DEMO_PARAMS], tmp_path)
    assert results[0].failures == []
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in DEMO_DATA_DIR.iterdir()}
    assert before == after
    first, second = rendered_demo[1], tmp_path / "2017-02_2017-03"
    assert (first / "indicators.csv").read_bytes() == (second / "indicators.csv").read_bytes()
    assert (first / "callin_outcomes.csv").read_bytes() == (second / "callin_outcomes.csv").read_bytes()
    run_time = re.compile(r"run at \d{4}-\d\d-\d\dT[\d:]+[+-]\d\d:\d\d")
    for name in ("index.html", "worksheet.html", "history.html", "callin_outcomes.html"):
        a = run_time.sub("", (first / name).read_text())
        b = run_time.sub("", (second / name).read_text())
        assert a == b, name


def test_public_run_hides_small_counts(tmp_path):
    params = tmp_path / "public.yaml"
    params.write_text(DEMO_PARAMS.read_text().replace("../data/raw/demo", str(DEMO_DATA_DIR))
                      + "audience: public\nsmall_count_threshold: 15\n")
    run_params_files([params], tmp_path / "out", notebooks=("worksheet",))
    folder = tmp_path / "out" / "2017-02_2017-03-public"
    table = pd.read_csv(folder / "indicators.csv", keep_default_na=False)
    call_ins = table[(table["indicator"] == "call_ins")]
    assert (call_ins["suppressed"] == "small").all() and (call_ins["actual"] == "").all()
    html = (folder / "worksheet.html").read_text()
    assert "fewer than 15" in html and "hidden (would reveal a small number)" in html
    assert "public" in html


def test_victim_identifiers_are_hashed_and_quality_warnings_reach_the_report(make_city, tmp_path, monkeypatch):
    monkeypatch.setattr("ceasefire_analysis.loading.CACHE_DIR", tmp_path / "cache")
    incidents = [
        {"incident_id": "K-1", "occurred_on": "2016-11-03", "incident_type": "nonfatal_injury_shooting",
         "victim_id": "Zebulon Quarrington-Fitch"},
        {"incident_id": "K-1", "occurred_on": "2016-11-03", "incident_type": "homicide",
         "victim_id": "Zebulon Quarrington-Fitch"},
        {"incident_id": "K-2", "occurred_on": "2017-01-15", "incident_type": "homicide", "victim_id": ""},
    ]  # nothing in December 2016: a month with no incident at all
    folder = make_city(incidents=incidents)
    params = tmp_path / "q.yaml"
    params.write_text(f"city: Q\nperiod_start: '2016-12'\nperiod_end: '2017-01'\ndata_dir: {folder}\n")
    run_params_files([params], tmp_path / "out", notebooks=("worksheet",))
    html = (tmp_path / "out" / "2016-12_2017-01" / "worksheet.html").read_text()
    assert "No incident at all is recorded in Dec 2016:" in html
    assert "appear both as a non-fatal injury shooting and as a homicide (incidents K-1)" in html
    for path in list((tmp_path / "cache").rglob("*")) + list((tmp_path / "out").rglob("*")):
        if path.is_file():
            assert b"Quarrington" not in path.read_bytes(), path
    from ceasefire_analysis.loading import load_data_dir
    data = load_data_dir(folder)
    assert data.incidents["incident_type"].value_counts().to_dict() == {"homicide": 2}  # counted once
    assert data.incidents["victim_id"].isna().sum() == 1  # a blank stays blank


def test_a_benchmark_below_5_shows_its_decimal_beside_the_change_it_explains(make_city):
    """reader2 R5: "0" beside "3 or more (+800%)", when the benchmark was 0.33 (2 homicides in 2016 less 10%, whole, / 6)."""
    from ceasefire_analysis.review import open_review
    from ceasefire_analysis.tables import how_to_read_html, outcome_worksheet_html

    rows = [{"incident_id": f"H{i}", "occurred_on": day, "incident_type": "homicide"}
            for i, day in enumerate(["2016-01-05", "2016-07-09", "2017-02-10"])]
    folder = make_city(incidents=rows, communications=None, case_management=None, staffing=None, meetings=None)
    review = open_review(None, city="T", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                         data_through="2017-03-31", data_from="2016-01-01")
    row = review.indicators.query("indicator == 'homicides' and window == 'period'").iloc[0]
    assert abs(row["benchmark_exact"] - 1 / 3) < 1e-9  # the annual 2 (2 less 10%, whole), / 6
    stand_out = how_to_read_html(review).data
    assert '<td class="num">0.3</td><td>3 or more (+800%)</td>' in stand_out and '<td class="num">0</td>' not in stand_out
    worksheet = outcome_worksheet_html(review).data
    assert 'data-label="Benchmark">0.3<br>' in worksheet and 'data-label="Benchmark">0<br>' not in worksheet
