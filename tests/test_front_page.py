"""The front page of a reports folder: every period from every run, newest first, and the scorecard over time."""
import re

import pandas as pd

from ceasefire_analysis.formatting import format_benchmark_of
from ceasefire_analysis.config import DEMO_DATA_DIR, DEMO_PARAMS
from ceasefire_analysis.front_page import (FRONT_PAGE_MARKER, headline_marks, is_own_front_page, read_reports_folder,
                                           scorecard)
from ceasefire_analysis.reports import run_params_files


def _params(tmp_path, name, start, end, audience="internal"):
    # relative paths read against a params file's folder: the copy points at the demo folder itself
    text = DEMO_PARAMS.read_text(encoding="utf-8").replace("../data/raw/demo", str(DEMO_DATA_DIR))
    text = re.sub(r"(?m)^period_start:.*$", f'period_start: "{start}"', text)
    text = re.sub(r"(?m)^period_end:.*$", f'period_end: "{end}"', text)
    text = re.sub(r"(?m)^audience:.*$", "", text) + f"\naudience: {audience}\n"
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_front_page_lists_both_runs_newest_first_with_the_scorecard(tmp_path):
    out = tmp_path / "reports"
    # Two separate runs into one folder, the later one for an earlier period (a backfill).
    run_params_files([_params(tmp_path, "feb", "2017-02", "2017-03")], out, notebooks=())
    run_params_files([_params(tmp_path, "dec", "2016-12", "2017-01")], out, notebooks=())
    run_params_files([_params(tmp_path, "dec_partner", "2016-12", "2017-01", "partner")], out, notebooks=())
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.index('href="2017-02_2017-03/index.html"') < page.index('href="2016-12_2017-01/index.html"')
    assert 'href="2016-12_2017-01-partner/index.html"' in page
    assert '<meta name="viewport"' in page and "@media print" in page

    # The scorecard reads each period's indicators.csv: its numbers are the CSVs' numbers.
    contents = read_reports_folder(out)
    internal = [p for p in contents.periods if p.audience == "internal"]
    card = scorecard(internal)
    assert list(dict.fromkeys(card["review"])) == ["Dec 2016–Jan 2017", "Feb–Mar 2017"]  # oldest first
    for folder in ("2016-12_2017-01", "2017-02_2017-03"):
        csv = pd.read_csv(out / folder / "indicators.csv")
        want = csv[(csv["indicator"] == "homicides") & (csv["window"] == "period")].iloc[0]
        got = card[(card["folder"] == folder) & (card["indicator"] == "homicides")].iloc[0]
        # the benchmark unrounded, printed as the worksheet prints it (one rule: format_benchmark_of)
        assert (got["actual"], got["benchmark"]) == (want["actual"], want["benchmark_exact"])
        assert f'{int(want["actual"])} (benchmark {format_benchmark_of(want["benchmark_exact"], "count")})' in page
    scorecard_table = page.split("Scorecard over time", 1)[1]
    assert scorecard_table.index("Dec 2016–Jan 2017") < scorecard_table.index("Feb–Mar 2017")
    assert 'class="cf-chart"' in page and "data:image/png;base64," in page  # the small chart
    assert "Words used in this report" in page  # a partner period is listed: terms are explained
    assert "incidents 1 Jan 2014 to 31 Mar 2017" in page  # coverage, from the manifest, in the pages' date style
    # the headline counts the scorecard's indicators for the review period, so the two agree
    for period in internal:
        column = card[card["folder"] == period.folder]
        met = int((column["status"] == "meets").sum())
        headline = f"{met} of {len(column)} indicators meet their benchmark for {period.label}"
        assert headline_marks(period).startswith(headline) and headline in page
    assert "5 of 9 indicators meet their benchmark for Feb–Mar 2017" in page  # the reviewer's count


def test_front_page_headline_of_a_cut_extract_says_incomplete(tmp_path):
    out = tmp_path / "reports"
    params = _params(tmp_path, "cut", "2017-02", "2017-03")
    params.write_text(params.read_text(encoding="utf-8") + 'data_through: "2017-03-15"\n', encoding="utf-8")
    run_params_files([params], out, notebooks=())
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Incomplete: data through 15 Mar 2017, no marks" in page
    assert "0 meet" not in page and "indicators meet their benchmark" not in page


def test_front_page_skips_staging_and_names_unreadable_folders(tmp_path):
    out = tmp_path / "reports"
    run_params_files([_params(tmp_path, "feb", "2017-02", "2017-03")], out, notebooks=())
    (out / ".tmp-1__2017-04_2017-05").mkdir()
    broken = out / "2017-04_2017-05"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    contents = read_reports_folder(out)
    assert [p.folder for p in contents.periods] == ["2017-02_2017-03"]
    assert contents.unreadable == ["2017-04_2017-05"]


def test_a_users_own_index_html_is_never_written_over(tmp_path):
    # attack finding 12: `--out` pointed at a website folder replaced the user's own index.html
    import io

    out = tmp_path / "web"
    out.mkdir()
    (out / "index.html").write_text("<h1>my own site</h1>\n")
    said = io.StringIO()
    run_params_files([_params(tmp_path, "feb", "2017-02", "2017-03")], out, notebooks=(), stream=said)
    assert (out / "index.html").read_text() == "<h1>my own site</h1>\n"
    assert (out / "2017-02_2017-03" / "index.html").is_file()  # the period itself is written
    assert f"{out / 'index.html'}: not written: that index.html was not made by ceasefire" in said.getvalue()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # and no temporary file left beside it

    # a front page the package wrote is ours to refresh, with or without the marker of this version
    (out / "index.html").unlink()
    run_params_files([_params(tmp_path, "feb", "2017-02", "2017-03")], out, notebooks=())
    page = (out / "index.html").read_text(encoding="utf-8")
    assert is_own_front_page(out / "index.html") and "2017-02_2017-03/index.html" in page
    (out / "index.html").write_text(page.replace(FRONT_PAGE_MARKER, ""), encoding="utf-8")  # an older version's
    run_params_files([_params(tmp_path, "dec", "2016-12", "2017-01")], out, notebooks=())
    assert "2016-12_2017-01/index.html" in (out / "index.html").read_text(encoding="utf-8")


def test_each_city_and_audience_gets_its_own_scorecard(tmp_path):
    """attack2 F7: one folder for two cities gave one scorecard line running from one city into the other."""
    out = tmp_path / "reports"
    run_params_files([_params(tmp_path, "feb", "2017-02", "2017-03"), _params(tmp_path, "dec", "2016-12", "2017-01")],
                out, notebooks=())
    other = _params(tmp_path, "other", "2016-10", "2016-11")
    other.write_text(re.sub(r"(?m)^city:.*$", "city: Stockton", other.read_text(encoding="utf-8")), encoding="utf-8")
    public = _params(tmp_path, "pub", "2017-02", "2017-03", "public")
    run_params_files([other, public], out, notebooks=())
    page = (out / "index.html").read_text(encoding="utf-8")
    sections = re.split(r"<h2>Scorecard over time: ", page)[1:]
    titles = [section.split("</h2>", 1)[0] for section in sections]
    assert sorted(titles) == ["Oakland (demo data, synthetic)", "Oakland (demo data, synthetic) (public reports)",
                              "Stockton"]
    columns = {title: re.findall(r"<th[^>]*>([A-Z][a-z]{2}[^<]*\d{4})</th>", section.split("</table>", 1)[0])
               for title, section in zip(titles, sections)}
    assert columns["Stockton"] == ["Oct–Nov 2016"]
    assert columns["Oakland (demo data, synthetic)"] == ["Dec 2016–Jan 2017", "Feb–Mar 2017"]
    assert columns["Oakland (demo data, synthetic) (public reports)"] == ["Feb–Mar 2017"]
    assert "Oct–Nov 2016</a> (Stockton)" in page and "Feb–Mar 2017</a> (Oakland (demo data, synthetic), public)" in page


def test_pages_are_named_in_words_and_say_their_audience(tmp_path):
    """Titles, printed headers and the front page name a period by its months and a pack by its day, with the
    audience; no raw folder id, no leading zero."""
    from ceasefire_analysis.config import PROJECT_ROOT

    out = tmp_path / "reports"
    pack = tmp_path / "coordination.yaml"
    pack.write_text((PROJECT_ROOT / "params" / "coordination_2017-03-09.yaml").read_text(encoding="utf-8")
                    .replace("../data/raw/demo", str(DEMO_DATA_DIR)), encoding="utf-8")
    run_params_files([_params(tmp_path, "feb", "2017-02", "2017-03", "partner"), pack], out, notebooks=())
    identity = "Oakland (demo data, synthetic) — review period Feb–Mar 2017 — partner audience"
    index = (out / "2017-02_2017-03-partner" / "index.html").read_text(encoding="utf-8")
    assert f"<title>Period overview — {identity}</title>" in index
    assert f'<div class="cf-running-header">{identity}</div>' in index
    assert "Incident data run from 1 January 2014 to 31 March 2017" in index
    headline = index.split("Headline status of every indicator", 1)[1]
    assert re.findall(r"<th>([^<]*)</th>", headline) == ["Indicator", "Window", "Benchmark", "Actual", "Status",
                                                         "Could it be chance?"]  # Worksheet 1's order
    assert ">Year to date<br>Jan–Mar 2017</td>" in headline and ">Review period<br>Feb–Mar 2017</td>" in headline
    page = (out / "coordination_2017-03-09-partner" / "coordination.html").read_text(encoding="utf-8")
    pack_identity = "Oakland (demo data, synthetic) — meeting of 9 Mar 2017 — partner audience"
    assert f"<title>Coordination meeting pack — {pack_identity}</title>" in page
    assert f'<div class="cf-running-header">{pack_identity}</div>' in page
    front = (out / "index.html").read_text(encoding="utf-8")
    assert "meeting of 9 Mar 2017 (Oakland (demo data, synthetic); partner audience)" in front
    assert "2017-03-09 (" not in front


def test_scorecard_prints_the_seasonal_benchmark_that_decided_the_mark(tmp_path):
    """F17: with seasonal benchmarks the scorecard showed the even-months benchmark beside the seasonal mark."""
    out = tmp_path / "reports"
    params = _params(tmp_path, "seas", "2017-02", "2017-03")
    params.write_text(re.sub(r"(?m)^seasonal_benchmarks:.*$", "seasonal_benchmarks: true",
                             params.read_text(encoding="utf-8")), encoding="utf-8")
    run_params_files([params], out, notebooks=())
    csv = pd.read_csv(out / "2017-02_2017-03" / "indicators.csv")
    row = csv[(csv["indicator"] == "nonfatal_injury_shootings") & (csv["window"] == "period")].iloc[0]
    assert row["decided_by"] == "seasonal" and row["benchmark_seasonal"] != row["benchmark"]
    card = scorecard(read_reports_folder(out).periods)
    got = card[card["indicator"] == "nonfatal_injury_shootings"].iloc[0]
    assert got["benchmark"] == row["benchmark_seasonal_exact"] and got["status"] == row["status"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f'{int(row["actual"])} (benchmark {int(row["benchmark_seasonal"])})' in page
    assert f'{int(row["actual"])} (benchmark {int(row["benchmark"])})' not in page


def test_a_benchmark_below_5_reads_the_same_on_the_worksheet_the_period_page_and_the_front_page(tmp_path):
    # reader4 F3: a city's benchmark of 2 homicides a year is 0.33 for two months: the worksheet printed 0.3, the
    # period page and the front page 0 ("benchmark 0" beside a count reads as "no homicide at all allowed").
    from ceasefire_analysis.review import open_review
    from ceasefire_analysis.tables import headline_html, outcome_worksheet_html

    out = tmp_path / "reports"
    params = _params(tmp_path, "small", "2017-02", "2017-03")
    params.write_text(re.sub(r"homicides: \{2017: 72\}", "homicides: {2017: 2}", params.read_text(encoding="utf-8")),
                      encoding="utf-8")
    run_params_files([params], out, notebooks=())
    review = open_review(str(params))
    row = review.indicators.query("indicator == 'homicides' and window == 'period'").iloc[0]
    assert abs(row["benchmark_exact"] - 2 * 2 / 12) < 0.01 and row["benchmark"] == 0
    assert ">0.3<" in outcome_worksheet_html(review).data.replace("\n", "<")
    index = (out / "2017-02_2017-03" / "index.html").read_text(encoding="utf-8")
    assert 'data-label="Benchmark">0.3</td>' in headline_html(review) and 'data-label="Benchmark">0.3</td>' in index
    front = (out / "index.html").read_text(encoding="utf-8")
    assert f"{int(row['actual'])} (benchmark 0.3)" in front and "(benchmark 0)" not in front
