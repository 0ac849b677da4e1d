"""Reader review 3, layout (N12, N15, N2, N7): pack tables as cards on a phone, chart images that stay legible,
long words that wrap, tables kept with their titles on paper, the scorecard panels' axes and the c-chart legend."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ceasefire_analysis.charts import Chart, control_chart_figure, scorecard_chart
from ceasefire_analysis.loading import load_data_dir
from ceasefire_analysis.meetings import all_shootings_html, open_meeting
from ceasefire_analysis.reader import stylesheet
from ceasefire_analysis.review import PeriodReview


def _phone_rules() -> str:
    css = stylesheet()
    start = css.index("@media (max-width: 600px)")
    return css[start:css.index("\n}", start)]


def _print_rules() -> str:
    css = stylesheet()
    return css[css.index("@media print"):]


def test_a_packs_tables_are_cards_on_a_phone(make_city, tmp_path):
    """N12: at 420 px the listing's Area and Group columns and the context table's comparisons were cut off."""
    shootings = [{"incident_id": f"S{i}", "occurred_on": f"2017-01-{10 + i:02d}", "incident_type": "nonfatal_injury_shooting",
                  "reviewed_on": ""} for i in range(3)]
    params = tmp_path / "review.yaml"
    params.write_text(f"meeting: shooting_review\ncity: T\ndata_dir: {make_city(incidents=shootings)}\n"
                      "meeting_on: '2017-01-24'\nwindow_start: '2017-01-10'\nwindow_end: '2017-01-24'\n")
    page = all_shootings_html(open_meeting(str(params))).data
    tables = re.findall(r'<table class="([^"]*)"><caption>([^<]*)</caption>(.*?)</table>', page, re.S)
    assert {caption.split(" from")[0] for _, caption, _ in tables} >= {"Every shooting", "The window in context"}
    for css, caption, body in tables:
        assert "cf-stack" in css.split(), caption
        header = re.findall(r"<th>([^<]*)</th>", body)
        first_row = re.search(r"<tbody><tr[^>]*>(.*?)</tr>", body).group(1)
        assert re.findall(r'data-label="([^"]*)"', first_row) == header[1:], caption


def test_chart_images_keep_a_legible_size_on_a_phone_and_long_words_wrap():
    """N12: chart images shrank to ~320 px (4 px labels); a source URL ran off the history page."""
    phone = _phone_rules()
    rule = re.search(r"\.jp-OutputArea-output img \{([^}]*)\}", phone)
    assert rule and "max-width: none !important" in rule.group(1)
    assert int(re.search(r"width: (\d+)px", rule.group(1)).group(1)) >= 600
    assert re.search(r"\.jp-OutputArea-output, \.cf-scroll \{ overflow-x: auto", stylesheet())  # it scrolls sideways
    wrap = re.search(r"\n([^{\n]*)\{ overflow-wrap: anywhere; \}", stylesheet())
    assert wrap and {"p", "li"} <= {s.strip() for s in wrap.group(1).split(",")}


def test_on_paper_a_small_table_moves_whole_and_a_header_never_ends_a_page():
    """N15: a table's title and header row sat alone at a page's foot, its rows on the next page."""
    rules = _print_rules()
    assert re.search(r"table\.cf-table:not\(:has\(tbody > tr:nth-child\(13\)\)\) \{ break-inside: avoid", rules)
    kept = re.search(r"\n  ([^{\n]*)\{ break-after: avoid;[^}]*\}\n  tbody", rules)
    assert kept and {"thead", "tbody > tr:first-child"} <= {s.strip() for s in kept.group(1).split(",")}
    assert re.search(r"tbody > tr:first-child \{ break-before: avoid", rules)
    assert "thead { display: table-header-group; }" in rules
    assert re.search(r"h2, h3, caption[^{]*\{ break-after: avoid", rules)


def _card(label: str, unit: str, actual: list[float], benchmark: list[float]) -> pd.DataFrame:
    reviews = ["Oct–Nov 2016", "Dec 2016–Jan 2017", "Feb–Mar 2017"]
    return pd.DataFrame({"review": reviews, "label": label, "unit": unit, "actual": actual, "benchmark": benchmark})


def _panel(card: pd.DataFrame):
    chart = scorecard_chart(card, title="Testville")
    chart.figure.canvas.draw()
    return chart, chart.figure.axes[0]


def test_scorecard_panels_have_headroom_and_whole_number_ticks_for_counts():
    """N2: the largest point sat half-clipped on the frame; homicide ticks read 2.5, 7.5, 12.5."""
    _, ax = _panel(_card("Homicides", "count", [9, 14, 11], [12, 12, 12]))
    low, high = ax.get_ylim()
    assert low == 0 and high >= 14 * 1.1
    ticks = [t for t in ax.get_yticks() if low <= t <= high]
    assert ticks and all(float(t).is_integer() for t in ticks)
    _, ax = _panel(_card("Share reached", "percent", [40, 57, 52], [50, 50, 50]))
    assert ax.get_ylim()[1] >= 57 * 1.05


def test_an_axis_of_zeros_reads_zero_to_one():
    """N2: another city's homicides (0 and a benchmark of 0) were drawn on an axis 0.00 to 0.05."""
    _, ax = _panel(_card("Homicides", "count", [0, 0, 0], [0, 0, 0]))
    low, high = ax.get_ylim()
    assert low == 0 and 1 <= high < 1.2
    assert [t for t in ax.get_yticks() if low <= t <= high] == [0, 1]


def test_a_hidden_value_says_so_on_its_panel():
    """N2: a public scorecard's suppressed indicator was an empty panel with only the benchmark dash."""
    _, ax = _panel(_card("New enrolments", "count", [np.nan] * 3, [6, 6, 6]))
    assert "value hidden" in [t.get_text() for t in ax.texts]
    _, ax = _panel(_card("New enrolments", "count", [7, np.nan, 8], [6, 6, 6]))
    hidden = [t for t in ax.texts if t.get_text() == "hidden"]
    assert len(hidden) == 1 and hidden[0].xy[0] == 1  # under the one review whose count is hidden
    _, ax = _panel(_card("New enrolments", "count", [7, 9, 8], [6, 6, 6]))
    assert not ax.texts


def test_a_long_c_chart_legend_entry_is_wrapped_inside_the_image(make_city, city_params):
    """N7: with a centre line below 1 a month the signal's explanation ran off the image's right edge."""
    rows = [{"incident_id": f"H{y}{m:02d}", "occurred_on": f"{y}-{m:02d}-10", "incident_type": "homicide"}
            for y in (2014, 2015, 2016) for m in (1, 4, 7, 10)] + [
        {"incident_id": "H1", "occurred_on": "2017-02-10", "incident_type": "homicide"}]
    folder = make_city("quiet", incidents=rows, communications=None, case_management=None, staffing=None,
                       meetings=None)
    params = city_params(folder, data_from="2014-01-01", data_through="2017-03-31")
    chart = control_chart_figure(PeriodReview(params=params, data=load_data_dir(folder), params_label="test"),
                                 "homicides")
    assert isinstance(chart, Chart)
    fig = chart.figure
    legend = fig.axes[0].get_legend()
    signal = [t for t in legend.get_texts() if t.get_text().startswith("Signal")]
    assert signal and "run of 8 is not used" in " ".join(signal[0].get_text().split())
    chart._repr_png_()  # laid out as the page's image is
    for text in legend.get_texts():  # every word of the key on the image (the key's blank padding may touch its edge)
        box = text.get_window_extent().transformed(fig.transFigure.inverted())
        assert box.x1 <= 1 and box.x0 >= 0 and box.y0 >= 0, text.get_text()
    assert "the run of 8 is not used where the centre line is below 1 a month" in chart.description


def test_the_last_review_s_next_steps_are_cards_on_a_phone():
    """At 420 px the next-steps table (step, status, note) scrolled sideways: the status was off the screen."""
    from ceasefire_analysis.review import open_review
    from ceasefire_analysis.tables import previous_next_steps_html

    page = previous_next_steps_html(open_review())
    css, body = re.search(r'<table class="([^"]*)">(.*?)</table>', page, re.S).groups()
    assert "cf-stack" in css.split()
    first_row = re.search(r"<tbody><tr[^>]*>(.*?)</tr>", body).group(1)
    assert re.findall(r'data-label="([^"]*)"', first_row) == ["Status", "Note"]


def test_a_long_chart_title_wraps_to_fit_and_a_short_one_stays_one_line():
    """reader4 F4/F9: titles wider than the figure lost both ends ("omicides per month ... which includes r")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ceasefire_analysis.charts import Chart, label_axes, new_figure

    long = ("Homicides per month with control limits (baseline Jan 2014–Dec 2016: 36 whole months, which includes "
            "review months)")
    for title, lines in ((long, 2), ("Homicides per month, Apr 2016–Mar 2017", 1)):
        fig, ax = new_figure()
        ax.plot([1, 2, 3])
        label_axes(ax, "Month", "Homicides", title)
        assert ax.get_title().count("\n") + 1 == lines
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        box = ax.title.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width  # all of it on the image
        assert Chart(fig).title == title  # the alternative text reads it as one line


def test_the_call_in_page_s_tables_are_cards_on_a_phone():
    """reader4 F11: at 420 px the call-in page's figures were off-screen and a continuation row's figure could be
    read against the group above: each table is cards, every cell naming its column, a continuation its group."""
    from ceasefire_analysis.outcomes import callin_outcomes_report
    from ceasefire_analysis.review import open_review

    report = callin_outcomes_report(open_review())
    for html_text in (report.breakdown_table.data, report.curves_table.data, report.cohort_table.data):
        css, body = re.search(r'<table class="([^"]*)">(.*?)</table>', html_text, re.S).groups()
        assert "cf-stack" in css.split()
        header = re.findall(r"<th>([^<]*)</th>", body)
        for row in re.findall(r"<tbody>.*", body, re.S)[0].split("</tr>")[:-1]:
            assert re.findall(r'data-label="([^"]*)"', row) == header[1:]
            first = re.search(r"<td([^>]*)>([^<]*)</td>", row)
            assert first.group(2) or "data-row=" in first.group(1)  # a continuation row names its group
