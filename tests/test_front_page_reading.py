"""The front page as the room reads it: a cut period's counts say "so far", rows keep one order for every
audience, an empty cell says why, dates read as on other pages, the audience heads each period's card
(reader2 R8, R9). The folders are written by hand: a manifest and an indicators.csv are all the page reads."""
from __future__ import annotations

import json
import re

import pandas as pd

from ceasefire_analysis.charts import scorecard_chart
from ceasefire_analysis.front_page import front_page_html, read_reports_folder, scorecard, scorecard_order

COLUMNS = ["worksheet", "indicator", "label", "unit", "window", "actual", "benchmark", "status", "benchmark_note"]


def _row(indicator, actual, benchmark=None, status="", note="", worksheet="outcomes", unit="count"):
    return dict(zip(COLUMNS, [worksheet, indicator, indicator.replace("_", " ").capitalize(), unit, "period", actual,
                              benchmark, status, note]))


def _period(out, folder, start, end, rows, audience="internal", through=None, last_incident=None):
    path = out / folder
    path.mkdir(parents=True)
    coverage = {"first_incident": "2014-01-01", "last_incident": last_incident or through or "2017-03-31",
                "data_through": through or "2017-03-31"}
    manifest = {"params": {"city": "Testville", "period_start": start, "period_end": end, "audience": audience},
                "coverage": coverage, "reports": [{"status": "ok"}]}
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path / "indicators.csv", index=False)


FEB_MAR = [_row("homicides", 14, 12, "does_not_meet"),
           _row("direct_communications", 51, 50, "meets", worksheet="activities"),
           _row("coordination_meetings", 3, 4, "does_not_meet", worksheet="activities")]
# December 2016 has no benchmark for direct communications: its row is there, without one
DEC_JAN = [_row("homicides", 10, 12, "meets"),
           _row("direct_communications", 27, None, "", "no 2016 benchmark set", worksheet="activities"),
           _row("coordination_meetings", 4, 4, "meets", worksheet="activities")]


def _scorecard_rows(page: str, who: str) -> list[str]:
    table = page.split(f"Scorecard over time: {who}</h2>", 1)[1].split("</table>", 1)[0]
    return [cell.split("</td>")[0] for cell in table.split("<tr><td>")[1:]]


def test_a_cut_period_on_the_scorecard_says_so_far_to_the_datas_last_day(tmp_path):
    out = tmp_path / "reports"
    cut = [_row("homicides", 12, 12, "incomplete"), _row("nonfatal_injury_shootings", 38, 51, "incomplete")]
    _period(out, "2017-02_2017-03", "2017-02", "2017-03", cut, through="2017-03-15")
    _period(out, "2016-12_2017-01", "2016-12", "2017-01", [_row("homicides", 10, 12, "meets"),
                                                           _row("nonfatal_injury_shootings", 43, 51, "meets")])
    contents = read_reports_folder(out)
    page = front_page_html(contents)
    assert "12 so far (to 15 Mar) (benchmark 12)" in page and "38 so far (to 15 Mar) (benchmark 51)" in page
    assert "10 (benchmark 12)" in page  # the complete period reads as before
    # on the chart the count so far is a hollow point, the complete one a filled point
    card = scorecard(contents.periods)
    chart = scorecard_chart(card[card["indicator"] == "homicides"], reviews=["Dec 2016–Jan 2017", "Feb–Mar 2017"])
    ax = chart.figure.axes[0]
    hollow = [line for line in ax.lines if line.get_markerfacecolor() == "white"]
    assert len(hollow) == 1 and list(hollow[0].get_ydata()) == [12] and list(hollow[0].get_xdata()) == [1]
    filled = [line for line in ax.lines if line.get_label() == "actual"][0]
    assert pd.isna(filled.get_ydata()[1]) and filled.get_ydata()[0] == 10
    legend = [t.get_text() for t in chart.figure.legends[0].get_texts()]
    assert "Feb–Mar 2017: count so far (to 15 Mar), the data stop before the period's end" in legend


def test_the_scorecard_lists_its_rows_in_one_order_for_every_audience_and_says_why_a_cell_is_empty(tmp_path):
    out = tmp_path / "reports"
    _period(out, "2017-02_2017-03", "2017-02", "2017-03", FEB_MAR)
    _period(out, "2016-12_2017-01", "2016-12", "2017-01", DEC_JAN)
    _period(out, "2017-02_2017-03-public", "2017-02", "2017-03", FEB_MAR, audience="public")
    contents = read_reports_folder(out)
    assert scorecard_order(contents.periods) == ["homicides", "direct_communications", "coordination_meetings"]
    page = front_page_html(contents)
    order = ["Homicides", "Direct communications", "Coordination meetings"]
    assert _scorecard_rows(page, "Testville") == order  # the internal one, with the older period
    assert _scorecard_rows(page, "Testville (public reports)") == order
    assert "— no 2016 benchmark set" in page
    assert "<td>—</td>" not in page


def test_the_periods_table_heads_each_card_with_period_and_audience_and_writes_dates_in_words(tmp_path):
    out = tmp_path / "reports"
    _period(out, "2017-02_2017-03", "2017-02", "2017-03", FEB_MAR)
    _period(out, "2017-02_2017-03-public", "2017-02", "2017-03", FEB_MAR, audience="public")
    page = front_page_html(read_reports_folder(out))
    table = page.split("<caption>Review periods, newest first</caption>", 1)[1].split("</table>", 1)[0]
    assert '<table class="cf-table cf-stack">' in page.split("<caption>Review periods, newest first", 1)[0][-40:]
    # each row's first cell (a card's heading on a phone) tells the copies apart
    assert "<tr><td>Feb–Mar 2017, internal</td>" in table and "<tr><td>Feb–Mar 2017, public</td>" in table
    assert "incidents 1 Jan 2014 to 31 Mar 2017" in table
    assert "2014-01-01" not in page and "2017-03-31" not in page


def test_the_scorecard_is_one_card_per_indicator_on_a_phone(tmp_path):
    # reader4 F7: at 420 px the wide scorecard showed the oldest review and cut off the newest, marks included
    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.reports import run_params_files

    out = tmp_path / "reports"
    run_params_files([DEMO_PARAMS], out, notebooks=())
    page = (out / "index.html").read_text(encoding="utf-8")
    table = page.split("Scorecard over time: ", 1)[1].split("</table>", 1)[0]
    assert '<table class="cf-table cf-stack">' in table
    header = re.findall(r"<th>([^<]*)</th>", table)
    first_row = re.search(r"<tbody><tr[^>]*>(.*?)</tr>", table, re.S).group(1)
    assert re.findall(r'data-label="([^"]*)"', first_row) == header[1:] == ["Feb–Mar 2017"]
