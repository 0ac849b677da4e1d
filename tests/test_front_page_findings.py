"""Front page findings of the third adversarial round, on hand-made report folders and runs without notebooks:
reviews of different lengths never share a scorecard line (A3); a period whose re-run failed is marked (A13)."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from ceasefire_analysis.charts import scorecard_chart
from ceasefire_analysis.formatting import format_moment
from ceasefire_analysis.front_page import (FAILED_RUNS, front_page_html, read_reports_folder, scorecard,
                                           scorecard_groups)
from ceasefire_analysis.reports import run_params_files

HOMICIDES = {"worksheet": "outcomes", "section": "Outcomes", "indicator": "homicides", "label": "Homicides",
             "unit": "count", "window": "period"}


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """Runs here cache their tables in the test's own folder: the checkout's shared cache keeps only the most
    recent few, and another test (in another worker) may be reading its own there."""
    from ceasefire_analysis import loading

    monkeypatch.setattr(loading, "CACHE_DIR", tmp_path / "cache")


def write_period(out: Path, start: str, end: str, actual: float, benchmark: float, city: str = "New York City",
                 audience: str = "internal", finished_at: str = "2026-11-29T10:00:00") -> Path:
    """One period folder as a run leaves it: manifest.json and indicators.csv (the homicides row only)."""
    folder = out / (f"{start}_{end}" + ("" if audience == "internal" else f"-{audience}"))
    folder.mkdir(parents=True)
    params = {"city": city, "period_start": start, "period_end": end, "audience": audience}
    (folder / "manifest.json").write_text(json.dumps({"params": params, "finished_at": finished_at,
                                                      "reports": [{"name": "worksheet", "status": "ok"}]}))
    status = "meets" if actual <= benchmark else "does_not_meet"
    pd.DataFrame([{**HOMICIDES, "actual": actual, "benchmark": benchmark, "status": status}]).to_csv(
        folder / "indicators.csv", index=False)
    return folder


def scorecard_sections(page: str) -> dict[str, list[str]]:
    """Each scorecard's title and the review columns of its table."""
    sections = re.split(r"<h2>Scorecard over time: ", page)[1:]
    return {section.split("</h2>", 1)[0]: re.findall(r"<th[^>]*>([A-Z][a-z]{2}[^<]*\d{4})</th>",
                                                     section.split("</table>", 1)[0]) for section in sections}


def test_a_12_month_and_a_1_month_review_never_join_the_two_month_line(tmp_path):
    out = tmp_path / "reports"
    for start, end, actual in (("2019-07", "2019-08", 44), ("2019-09", "2019-10", 41), ("2019-11", "2019-12", 21)):
        write_period(out, start, end, actual, 20)
    write_period(out, "2019-01", "2019-12", 184, 120)  # the year's review, kept in the same folder
    write_period(out, "2020-01", "2020-01", 22, 14)
    contents = read_reports_folder(out)
    groups = scorecard_groups(contents.periods)
    assert [(key[2], [p.label for p in periods]) for key, periods in groups.items()] == [
        (2, ["Nov–Dec 2019", "Sep–Oct 2019", "Jul–Aug 2019"]), (1, ["Jan 2020"]), (12, ["Jan–Dec 2019"])]
    for periods in groups.values():  # one length per line: the chart's points are all of one window length
        assert len({p.window.n_months for p in periods}) == 1
    sections = scorecard_sections(front_page_html(contents))
    assert sections == {"New York City, 2-month reviews": ["Jul–Aug 2019", "Sep–Oct 2019", "Nov–Dec 2019"],
                        "New York City, 1-month reviews": ["Jan 2020"],
                        "New York City, 12-month reviews": ["Jan–Dec 2019"]}


def test_a_city_with_one_review_length_keeps_its_plain_title(tmp_path):
    out = tmp_path / "reports"
    write_period(out, "2019-09", "2019-10", 41, 20)
    write_period(out, "2019-11", "2019-12", 21, 20)
    write_period(out, "2019-11", "2019-12", 21, 20, audience="public")
    assert scorecard_sections(front_page_html(read_reports_folder(out))) == {
        "New York City": ["Sep–Oct 2019", "Nov–Dec 2019"],
        "New York City (public reports)": ["Nov–Dec 2019"]}


def test_the_one_review_chart_keeps_its_highest_point_inside_the_frame(tmp_path):
    out = tmp_path / "reports"
    write_period(out, "2019-11", "2019-12", 21, 20, audience="public")  # the tester's public copy: 21 against 20
    card = scorecard(read_reports_folder(out).periods)
    chart = scorecard_chart(card, title="New York City (public reports)")
    [ax] = [a for a in chart.figure.axes if a.get_visible()]
    bottom, top = ax.get_ylim()
    assert bottom == 0 and top >= 21 * 1.1  # the red point sits below the top, not on the edge


# --------------------------------------------------------------------------- A13: a failed re-run is marked


def test_a_period_whose_rerun_failed_is_marked_not_refreshed_until_a_run_makes_it_again(make_city, tmp_path,
                                                                                        own_cache):
    homicides = [{"incident_id": f"H{i}", "occurred_on": f"2017-0{1 + i % 3}-{10 + i:02d}", "incident_type": "homicide"}
                 for i in range(6)]
    folder = make_city(incidents=homicides)
    params = tmp_path / "p.yaml"
    params.write_text(f"city: Testville\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n")
    out = tmp_path / "reports"
    [first] = run_params_files([params], out, notebooks=(), stream=io.StringIO())
    assert first.error == "" and "Not refreshed" not in (out / "index.html").read_text()
    made = (out / "2017-02_2017-03" / "manifest.json").read_text()

    good = (folder / "incidents.csv").read_text()
    (folder / "incidents.csv").write_text(good + "H9,2017-02-30,homicide\n")  # the next extract has a bad row
    [second] = run_params_files([params], out, notebooks=(), stream=io.StringIO())
    assert "2017-02-30" in second.error
    assert (out / "2017-02_2017-03" / "manifest.json").read_text() == made  # the earlier report is kept
    page = (out / "index.html").read_text()
    note = page.partition("Not refreshed")[2].partition("</div>")[0]
    made_at = dt.datetime.fromisoformat(read_reports_folder(out).periods[0].manifest["finished_at"])
    failed_at = dt.datetime.fromisoformat(json.loads((out / FAILED_RUNS).read_text())["2017-02_2017-03"])
    assert failed_at >= made_at
    # both runs on one day: the times of day tell them apart
    assert (f"Feb–Mar 2017 (Testville, internal): the run of {format_moment(failed_at, True)} failed for this "
            f"period; the report shown is from {format_moment(made_at, True)}.") in note

    (folder / "incidents.csv").write_text(good)  # fixed: the next run makes the period again
    [third] = run_params_files([params], out, notebooks=(), stream=io.StringIO())
    assert third.error == "" and "Not refreshed" not in (out / "index.html").read_text()
    assert not (out / FAILED_RUNS).exists()


def test_a_failed_run_of_a_period_never_made_before_marks_nothing(make_city, tmp_path, own_cache):
    folder = make_city(incidents=[{"incident_id": "H1", "occurred_on": "2017-02-30", "incident_type": "homicide"}])
    params = tmp_path / "p.yaml"
    params.write_text(f"city: Testville\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n")
    out = tmp_path / "reports"
    [result] = run_params_files([params], out, notebooks=(), stream=io.StringIO())
    assert result.error and not (out / FAILED_RUNS).exists() and not (out / "index.html").exists()
