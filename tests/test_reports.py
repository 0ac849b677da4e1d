"""The demo period through `ceasefire run`: reports exist, show the seed's numbers, and are safe to share."""
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from ceasefire_analysis.charts import year_to_date_chart
from ceasefire_analysis.config import DEMO_DATA_DIR, DEMO_PARAMS
from ceasefire_analysis.reports import REPORTS, run_params_files
from ceasefire_analysis.review import open_review
from conftest import write_notebook

HTML_FILES = ["index.html"] + [f"{name}.html" for name in REPORTS]


class ResourceCollector(HTMLParser):
    """Every resource a browser would fetch, and any code input cell."""

    def __init__(self):
        super().__init__()
        self.external, self.code_inputs, self.scripts = [], 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href", "data", "srcset"):
            value = (attrs.get(key) or "").strip()
            fetched = tag in ("script", "img", "iframe", "embed", "object", "source", "video", "audio") or (
                tag == "link")
            if value and fetched and not value.startswith("data:") and not value.startswith("#"):
                self.external.append((tag, value))
        classes = attrs.get("class") or ""
        if "jp-CodeMirrorEditor" in classes or "jp-InputPrompt" in classes or "hl-ipython" in classes:
            self.code_inputs += 1


def test_run_exits_zero_and_writes_every_file(rendered_demo):
    code, folder = rendered_demo
    assert code == 0
    for name in HTML_FILES + ["indicators.csv", "manifest.json", "callin_outcomes.csv"]:
        assert (folder / name).is_file(), name
    for name in REPORTS:
        assert (folder / "executed" / f"{name}.ipynb").is_file()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


@pytest.mark.parametrize("name", HTML_FILES)
def test_html_is_offline_and_shows_no_code(rendered_demo, name):
    text = (rendered_demo[1] / name).read_text(encoding="utf-8")
    parser = ResourceCollector()
    parser.feed(text)
    assert parser.external == []
    assert parser.code_inputs == 0
    assert not re.search(r"https?://[^\s\"'<>]*\.(js|css|woff2?|ttf|png|svg)", text)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text) and "@import" not in text  # fonts and styles in CSS
    assert "Traceback" not in text and "Warning:" not in text


def _table_rows(html_text):
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html_text, re.S)
    return [[re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in rows]


def test_worksheet_shows_the_seed_numbers(rendered_demo):
    text = (rendered_demo[1] / "worksheet.html").read_text(encoding="utf-8")
    rows = _table_rows(text)
    header = [" ".join(c) for c in next(r for r in rows if r and r[0] == ["Indicator"] and len(r) > 6)]
    col = {name: header.index(next(h for h in header if h.startswith(name))) for name in
           ("Benchmark", "Actual", "Status", "Could it be chance?", "Same months a year earlier", "3-year")}
    homicide_ytd = next(r for r in rows if r and r[0][:1] == ["Homicides"])
    homicide_period = rows[rows.index(homicide_ytd) + 1]
    assert homicide_ytd[col["Benchmark"]] == ["18"] and homicide_ytd[col["Actual"]] == ["16"]
    # the prior year and the 3-year average say which months they are, with their E-tests
    prior, average = " ".join(homicide_ytd[col["Same months a year earlier"]]), " ".join(homicide_ytd[col["3-year"]])
    # ... in a few words, explained once under the table rather than in every cell
    assert prior == "12 (Jan–Mar 2016) — no clear change (46%)"
    assert average == "18 (Jan–Mar 2014 to Jan–Mar 2016) — no clear change (69%)"
    worksheet_1 = text[text.index("Worksheet 1:"):text.index("Worksheet 2:")]
    assert worksheet_1.count("E-test") == 1 and worksheet_1.count("if the rate had not changed") == 1
    assert "Meets" in homicide_ytd[col["Status"]]
    assert homicide_period[col["Benchmark"]] == ["12"] and homicide_period[col["Actual"]] == ["14"]
    assert "Does" in homicide_period[col["Status"]] and "14%" in homicide_period[col["Status"]]
    chance = " ".join(homicide_period[col["Could it be chance?"]])
    assert chance.startswith("Within normal variation") and "32%" in chance
    assert "Counts that would stand out from chance" in text and "Chance of meeting it" in text
    assert "SYNTHETIC DEMO DATA" in text
    assert "Custom notification training convened on 3.17.17." in text  # notes from the params file
    assert text.count("data:image/png;base64") >= 6  # trend and control charts are embedded


def test_executed_notebook_records_the_numbers(rendered_demo):
    nb = nbformat.read(rendered_demo[1] / "executed" / "worksheet.ipynb", as_version=4)
    outputs = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "Worksheet 1" in outputs and "Worksheet 2" in outputs
    assert nb.metadata["papermill"]["parameters"]["params_file"] == str(DEMO_PARAMS)


def test_index_and_manifest(rendered_demo):
    folder = rendered_demo[1]
    index = (folder / "index.html").read_text(encoding="utf-8")
    for name in REPORTS:
        assert f'href="{name}.html"' in index
    assert "from 1 January 2014" in index and "31 March 2017" in index
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["period"] == "2017-02_2017-03"
    assert {r["name"]: r["status"] for r in manifest["reports"]} == {n: "ok" for n in REPORTS}
    files = {i["file"] for i in manifest["inputs"]}
    assert files == {p.name for p in DEMO_DATA_DIR.glob("*.csv")}
    assert all(len(i["sha256"]) == 64 and i["rows"] > 0 for i in manifest["inputs"])
    assert manifest["params"]["annual_benchmarks"]["homicides"] == {"2017": 72}  # JSON object keys are text


def test_provenance_line_in_every_report(rendered_demo):
    for name in REPORTS:
        text = (rendered_demo[1] / f"{name}.html").read_text(encoding="utf-8")
        assert "Provenance" in text and "2017-02_2017-03" in text
        assert re.search(r"sha256 [0-9a-f]{64}", text)


def test_no_participant_identifier_in_any_output(rendered_demo):
    # the demo's raw identifiers all start PFN-; none may survive into anything the run wrote
    for path in rendered_demo[1].rglob("*"):
        if path.is_file():
            assert b"PFN-" not in path.read_bytes(), path


def test_bad_params_writes_nothing(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text(DEMO_PARAMS.read_text() + "\nbenchmark_reductoin: 0.2\n")
    out = tmp_path / "out"
    results = run_params_files([bad], out)
    assert results[0].error and "benchmark_reductoin" in results[0].error
    assert not out.exists() or not any(out.iterdir())


def test_failed_notebook_leaves_other_reports_and_a_failure_page(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    good = nbformat.read(Path(__file__).parents[1] / "notebooks" / "worksheet.ipynb", as_version=4)
    nbformat.write(good, notebooks / "worksheet.ipynb")
    write_notebook(notebooks / "history.ipynb", "params_file = ''", "raise RuntimeError('the history server is down')")
    monkeypatch.setattr("ceasefire_analysis.reports.NOTEBOOKS_DIR", notebooks)
    results = run_params_files([DEMO_PARAMS], tmp_path / "out", notebooks=("worksheet", "history"))
    folder = tmp_path / "out" / "2017-02_2017-03"
    assert results[0].failures == ["2017-02_2017-03/history: RuntimeError: the history server is down"]
    assert "Worksheet 1" in (folder / "worksheet.html").read_text()
    failure = (folder / "history.html").read_text()
    assert "not produced" in failure and "executed/history.ipynb" in failure and "Traceback" not in failure
    # the page does not promise partner and public readers a notebook their folder does not keep
    assert "partner and public runs keep none" in failure
    assert "RuntimeError" in (folder / "executed" / "history.ipynb").read_text()


def test_rerun_replaces_the_period_and_is_deterministic(rendered_demo, tmp_path):
    out = tmp_path / "out"
    run_params_files([DEMO_PARAMS], out, notebooks=())
    first = (out / "2017-02_2017-03" / "indicators.csv").read_bytes()
    # a file the older run made (its manifest lists it) and this run does not make goes
    stale = out / "2017-02_2017-03" / "stale.txt"
    stale.write_text("from an older run")
    manifest_path = out / "2017-02_2017-03" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "outputs": manifest["outputs"] + ["stale.txt"]}))
    run_params_files([DEMO_PARAMS], out, notebooks=())
    assert not stale.exists()
    assert (out / "2017-02_2017-03" / "indicators.csv").read_bytes() == first
    assert first == (rendered_demo[1] / "indicators.csv").read_bytes()


def test_kernels_talk_over_private_sockets_not_tcp_ports(tmp_path):
    # parallel workers picking TCP ports at the same moment could collide ("Address already in use")
    from ceasefire_analysis.executing import ipc_kernel_manager_class
    manager = ipc_kernel_manager_class(tmp_path)(kernel_name="python3")
    assert manager.transport == "ipc" and manager.ip.startswith(str(tmp_path))


def test_a_new_city_with_weeks_of_data_gets_readable_reports(make_city, tmp_path):
    folder = make_city()  # one month of data, no history, no participant events
    params = tmp_path / "new.yaml"
    params.write_text(f"city: Newtown\nperiod_start: '2017-01'\nperiod_end: '2017-01'\ndata_dir: {folder}\n"
                      "seasonal_benchmarks: true\n")
    results = run_params_files([params], tmp_path / "out")
    assert results[0].failures == []
    folder_out = tmp_path / "out" / "2017-01_2017-01"
    worksheet = (folder_out / "worksheet.html").read_text()
    assert "Chart not shown" in worksheet and "No outcome has a benchmark" in worksheet
    charts = worksheet.count('src="data:image/png')
    # one homicide and no shooting: running total and monthly counts of homicides; no control chart on a month
    assert charts == 2, charts
    assert "Non-fatal injury shootings are not recorded for this city" in worksheet
    review = open_review(str(params))  # the prior year is named as missing in the charts' legends
    legend = [t.get_text() for t in year_to_date_chart(review, "homicides").figure.axes[0].get_legend().get_texts()]
    assert "2016 (not in the data)" in legend, legend
    assert "Series used: annual counts from this city's incidents.csv" in (folder_out / "history.html").read_text()
    assert "No participant events are available" in (folder_out / "callin_outcomes.html").read_text()
    for name in REPORTS:  # nothing went to stderr: no warning was swallowed on the way to the reader
        nb = nbformat.read(folder_out / "executed" / f"{name}.ipynb", as_version=4)
        assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"], name


def test_progress_is_plain_lines_off_a_terminal_and_a_bar_on_one():
    import io
    from ceasefire_analysis.reports import Progress

    log = io.StringIO()
    progress = Progress(2, log)
    progress.step("2017-02_2017-03 worksheet: ok (3.0 s)")
    progress.step("2017-02_2017-03 history: ok (2.0 s)")
    assert log.getvalue().splitlines() == ["[1/2] 2017-02_2017-03 worksheet: ok (3.0 s)",
                                           "[2/2] 2017-02_2017-03 history: ok (2.0 s)"]

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    bar = Progress(2, tty)
    bar.step("a")
    assert tty.getvalue().startswith("\r[###############...............] 1/2")


def test_progress_shows_at_once_with_the_time_left():
    import io
    from ceasefire_analysis.reports import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    bar = Progress(4, tty, seconds_each=30.0, jobs=2)
    bar.start()  # before any notebook ends, the bar is there with an estimate from past runs
    try:
        import re
        shown = re.search(r"0/4 .*about (\d+) s left", tty.getvalue())
        assert shown and 50 <= int(shown.group(1)) <= 60  # 4 notebooks x 30 s over 2 workers
    finally:
        bar.close()
    log = io.StringIO()
    lines = Progress(3, log, seconds_each=40.0)
    lines.start()
    assert log.getvalue() == "[0/3] started: 3 notebooks, about 2 min left\n"


def test_folders_left_by_a_dead_run_are_cleared(tmp_path):
    import os
    import subprocess
    from ceasefire_analysis.reports import remove_abandoned_staging

    import json
    import socket
    from ceasefire_analysis.reports import STAGING_MARKER

    child = subprocess.Popen(["true"])  # once finished and reaped, its pid belongs to no one
    child.wait()

    def marked(name, pid):  # folders a run made carry its marker
        (tmp_path / name).mkdir()
        (tmp_path / name / STAGING_MARKER).write_text(json.dumps({"pid": pid, "host": socket.gethostname()}))

    marked(f".tmp-{child.pid}__2017-02_2017-03", child.pid)
    marked(f".old-2017-02_2017-03-{child.pid}", child.pid)
    marked(f".tmp-{os.getpid()}__2017-04_2017-05", os.getpid())  # this process: still working
    (tmp_path / "2017-02_2017-03").mkdir()
    removed = remove_abandoned_staging(tmp_path)
    assert len(removed) == 2
    assert {p.name for p in tmp_path.iterdir()} == {"2017-02_2017-03", f".tmp-{os.getpid()}__2017-04_2017-05"}


@pytest.mark.parametrize("start,end,label", [("2016-12", "2017-01", "Dec 2016–Jan 2017"),
                                             ("2017-02", "2017-03", "Feb–Mar 2017")])
def test_demo_banner_names_the_period_run_not_the_seeds(start, end, label):
    """The demo run for any period: its worksheet and index page carry one banner, naming that period; the seed
    deck is cited as the model of the layout, never as the period shown."""
    from ceasefire_analysis.publishing import index_page
    from ceasefire_analysis.tables import demo_banner_html, report_header

    review = open_review(str(DEMO_PARAMS), period_start=start, period_end=end)
    banner = demo_banner_html(review)
    assert f"SYNTHETIC DEMO DATA: the numbers for {label} are invented" in banner
    assert "seed deck" in banner and "February–March" not in banner
    if label != "Feb–Mar 2017":
        assert "Feb–Mar 2017" not in banner
    for page in (report_header(review, "Worksheets", "purpose").data, index_page(review, [])):
        assert page.count('class="cf-banner">SYNTHETIC') == 1 and banner in page


def test_chart_titles_name_months_in_words_and_axis_labels_fit(demo_params, demo_data):
    from ceasefire_analysis.charts import control_chart_figure
    from ceasefire_analysis.review import PeriodReview
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    review = PeriodReview(params=demo_params, data=demo_data, params_label="demo")
    title = control_chart_figure(review, "homicides").title
    assert "(baseline Jan 2014–Dec 2016: 36 whole months)" in title and "2014-01" not in title
    chart = year_to_date_chart(review, "nonfatal_injury_shootings")
    figure = chart.figure
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # laid out as the page's PNG is
    box = figure.axes[0].yaxis.label.get_window_extent(canvas.get_renderer())
    assert box.y0 >= figure.bbox.y0 and box.y1 <= figure.bbox.y1  # the whole y-axis label is on the chart
