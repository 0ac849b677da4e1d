"""History series against published values, and the seed's prose claims against hand calculations."""
import math
import re

import pandas as pd
import pytest

from ceasefire_analysis.config import HISTORY_DATA_DIR
from ceasefire_analysis.errors import InputError
from ceasefire_analysis.history import (
    computed_facts, era_year, load_history, pct_change, rate_comparison, rate_per_100k, read_series, runs_below,
)


@pytest.fixture(scope="module")
def series():
    return load_history(HISTORY_DATA_DIR)


def value(frame, year):
    return frame.set_index("year").loc[year, "value"]


def test_published_values(series):
    h = series["homicides"]
    assert value(h, 1992) == 165 and value(h, 2012) == 127 and value(h, 1969) == 74
    assert value(h, 1995) == 138  # California Attorney General via the Marshall Project
    assert h.set_index("year").loc[2018, "definition"] == "city_homicide"  # the definitional break
    assert h.set_index("year").loc[2017, "definition"] == "ucr_murder"
    assert value(series["state_homicides"], 1993) == 4096
    assert value(series["sworn_officers"], 2009) == 793
    assert h["year"].min() <= 1969 and h["year"].max() >= 2025


def test_rates_match_the_marshall_project(series):
    city = rate_per_100k(series["homicides"], series["population"]).set_index("year")["rate"]
    assert city[2012] == pytest.approx(31.79, abs=0.01)  # M1 homs_per_100k
    assert city[1992] == pytest.approx(42.74, abs=0.01)
    rates = rate_comparison(series).set_index("year")
    assert rates.loc[2012, "ratio"] == pytest.approx((127 / 399487) / (1884 / 37999878))


def test_computed_facts_against_hand_calculation(series):
    facts = computed_facts(series, {"changes": [[2005, 2012]], "threshold": 90, "runs_before": 2012,
                                    "ratio_since": 1985}, first_year=1969).set_index("fact")["value"]
    assert facts["Change in homicides, 2005 to 2012"].startswith("+36.6%")  # 127/93 - 1
    runs = facts["Runs of two or more consecutive years under 90 homicides, 1969 to 2011"]
    assert runs == "2: 1969–1972, 1998–2001"  # the seed's "only one" holds only from 1973
    assert facts["The same count starting after the first run"] == "1: 1998–2001"
    ratio = facts["City murder rate as a multiple of the state rate, since 1985"]
    assert ratio.startswith("2.5× (1985)") and "6.4× (2012)" in ratio


def test_arithmetic_edge_cases():
    s = pd.DataFrame({"year": [2000, 2001, 2003, 2004], "value": [0.0, 5.0, 5.0, 5.0]})
    assert math.isnan(pct_change(s, 2000, 2001))  # from zero
    assert math.isnan(pct_change(s, 1999, 2001))  # missing year
    assert runs_below(s, 10, 2000, 2005) == [(2000, 2001), (2003, 2004)]  # the missing 2002 breaks the run
    assert runs_below(s, 10, 2000, 2005, min_length=3) == []
    assert era_year("2012-10") == pytest.approx(2012.75) and era_year(2005) == 2005.0


def test_series_validation_names_file_row_and_column(tmp_path):
    bad = tmp_path / "homicides.csv"
    bad.write_text("year,value,source,definition\n2000,5,K,ucr\n2000,6,K,ucr\n2002,-1,K,ucr\nabc,3,K,ucr\n")
    with pytest.raises(InputError) as info:
        read_series(bad)
    text = str(info.value)
    assert f"{tmp_path.name}/homicides.csv, row 4, column 'value'" in text
    assert "homicides.csv, row 5, column 'year'" in text
    gap = tmp_path / "gap.csv"
    gap.write_text("year,value,source,definition\n2000,5,K,ucr\n2002,6,K,ucr\n")
    with pytest.raises(InputError, match="2001 is missing"):
        read_series(gap)
    missing = tmp_path / "m.csv"
    missing.write_text("year,count\n2000,5\n")
    with pytest.raises(InputError, match="/m.csv, row 1, column 'value'"):
        read_series(missing)


def test_a_city_can_add_a_series(tmp_path):
    (tmp_path / "arrests.csv").write_text("year,value,source,definition\n2015,900,city,arrests\n2016,850,city,arrests\n")
    assert value(load_history(tmp_path)["arrests"], 2016) == 850
    assert load_history(None) == {} and load_history(tmp_path / "absent") == {}
    from ceasefire_analysis.history import extra_series_chart
    chart = extra_series_chart(load_history(tmp_path))
    assert "Arrests per year" in chart.title
    assert extra_series_chart(load_history(HISTORY_DATA_DIR)) is None  # only the standard roles


def test_history_from_incidents_per_area_with_the_review_year_partial(make_city, city_params):
    from types import SimpleNamespace

    from ceasefire_analysis.history import annual_incident_counts, incident_history_chart
    from ceasefire_analysis.loading import load_data_dir

    cases = [("2015-01-03", "homicide", "North"), ("2015-07-01", "nonfatal_injury_shooting", "South"),
             ("2016-12-31", "homicide", "South"), ("2017-03-31", "homicide", "North"),
             ("2017-04-01", "homicide", "North")]  # after the review: never charted
    folder = make_city(incidents=[{"incident_id": f"C{i}", "occurred_on": d, "incident_type": t, "area": a}
                                  for i, (d, t, a) in enumerate(cases)])
    review = SimpleNamespace(data=load_data_dir(folder, use_cache=False), params=city_params(folder))
    counts = annual_incident_counts(review.data.incidents, review.params.windows.end)
    assert counts.values.tolist() == [[2015, 1, 1, False], [2016, 1, 0, False], [2017, 1, 0, True]]
    chart = incident_history_chart(review)
    homicide_axes = chart.figure.axes[0]
    lines = {line.get_label(): list(line.get_ydata()) for line in homicide_axes.get_lines()}
    assert lines["whole city"] == [1, 1, 1] and lines["North"] == [1, 0, 1] and lines["South"] == [0, 1, 0]
    assert lines["partial year (open circle)"] == [1]
    assert "2015–2017" in homicide_axes.get_title() and len(chart.figure.axes) == 2


def _another_city_with_history(make_city):
    """A city whose published series run 1960-2016 (homicides 100 a year, 80 in 1994-1995)."""
    folder = make_city(incidents=[{"incident_id": "C1", "occurred_on": "2017-02-03", "incident_type": "homicide"}])
    history = folder / "history"
    history.mkdir()
    years = range(1960, 2017)
    for name, values in {"homicides": [80 if y in (1994, 1995) else 100 for y in years],
                         "population": [400_000] * len(years), "state_homicides": [2_000] * len(years),
                         "state_population": [30_000_000] * len(years), "sworn_officers": [700] * len(years)}.items():
        rows = "".join(f"{y},{v},K,{name}_definition\n" for y, v in zip(years, values))
        (history / f"{name}.csv").write_text("year,value,source,definition\n" + rows)
    return folder


@pytest.mark.parametrize("history_start,first", [(1990, 1990), (None, 1960)])
def test_history_start_sets_where_every_long_run_chart_begins(make_city, city_params, history_start, first):
    """history_start 1990 charts (and counts runs) from 1990; without it, from the series' first year (1960)."""
    from ceasefire_analysis.history import history_report
    from ceasefire_analysis.loading import load_data_dir
    from ceasefire_analysis.review import PeriodReview

    folder = _another_city_with_history(make_city)
    params = city_params(folder, history_start=history_start,
                         history_facts={"threshold": 90, "runs_before": 2012})
    review = PeriodReview(params=params, data=load_data_dir(folder, use_cache=False), params_label="test")
    report = history_report(review)
    homicides_axes = report.homicides_chart.figure.axes[0]
    assert homicides_axes.get_title().startswith(f"Homicides per year, {first}–2017")
    assert homicides_axes.get_xlim()[0] == first - 1
    assert min(min(line.get_xdata()) for line in homicides_axes.get_lines()) == first
    for chart in (report.rate_chart, report.footprint_chart):
        assert all(ax.get_xlim()[0] == first - 1 for ax in chart.figure.axes)
        assert min(min(line.get_xdata()) for ax in chart.figure.axes for line in ax.get_lines()) == first
    assert f"Runs of two or more consecutive years under 90 homicides, {first} to 2011" in report.facts.data
    assert "1994–1995" in report.facts.data


def test_the_real_figures_banner_only_when_published_series_were_loaded(tmp_path):
    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.history import history_report
    from ceasefire_analysis.params import read_params_file
    from ceasefire_analysis.review import open_review

    with_series = history_report(open_review(None)).header.data
    assert "REAL published figures" in with_series
    empty = tmp_path / "history"
    empty.mkdir()
    values = read_params_file(DEMO_PARAMS)
    values["data_dir"] = str((DEMO_PARAMS.parent / values["data_dir"]).resolve())
    report = history_report(open_review(None, **values, history_dir=str(empty)))
    assert "REAL published figures" not in report.header.data
    assert "No published annual series were supplied" in report.sources.data


# --------------------------------------------------------------------------- series with no rows in the chart's span

HISTORY_ROLES = ("homicides", "population", "state_homicides", "state_population", "sworn_officers",
                 "sworn_officers_jan1", "arrests")
# years a series may hold that the review's charts (1965 to the review's year, 2017) cannot show, or barely
SHAPES = {"after the review": [2018, 2019], "before history_start": [1950, 1951], "one year": [2000],
          "no rows": []}


def _review_with_history(make_city, city_params, role: str, years: list[int]):
    """A city whose history folder holds every series for 1960-2016, except ``role``, which holds ``years``."""
    from ceasefire_analysis.loading import load_data_dir
    from ceasefire_analysis.review import PeriodReview

    folder = make_city(incidents=[{"incident_id": "C1", "occurred_on": "2015-02-03", "incident_type": "homicide"},
                                  {"incident_id": "C2", "occurred_on": "2017-02-03", "incident_type": "homicide"}])
    history = folder / "history"
    history.mkdir()
    values = {"homicides": 100, "population": 400_000, "state_homicides": 2_000, "state_population": 30_000_000,
              "sworn_officers": 700, "sworn_officers_jan1": 690, "arrests": 5_000}
    for name, value in values.items():
        span = years if name == role else range(1960, 2017)
        rows = "".join(f"{y},{value},K,{name}_definition\n" for y in span)
        (history / f"{name}.csv").write_text("year,value,source,definition\n" + rows)
    params = city_params(folder, history_start=1965, history_facts={"changes": [[2000, 2010]], "threshold": 90,
                                                                    "runs_before": 2012, "ratio_since": 1990})
    return PeriodReview(params=params, data=load_data_dir(folder, use_cache=False), params_label="test")


def _page_text(report) -> str:
    """Every item of the history page as its reader gets it: HTML as text, each chart drawn to a PNG."""
    from ceasefire_analysis.charts import Chart

    parts = []
    for item in (report.header, report.homicides_chart, report.rate_chart, report.footprint_chart, report.facts,
                 report.sources, report.extra_chart):
        if isinstance(item, Chart):
            assert item._repr_png_()  # drawn without error
            parts.append(item.title)
        elif item is not None:
            parts.append(item.data)
    return "\n".join(parts)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("role", HISTORY_ROLES)
def test_every_history_chart_renders_when_a_series_has_few_or_no_years_in_its_span(make_city, city_params,
                                                                                     role, shape):
    from ceasefire_analysis.history import history_report

    report = history_report(_review_with_history(make_city, city_params, role, SHAPES[shape]))
    text = _page_text(report)
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    if shape != "one year":
        # the page says what is missing, in the reader's words, for the years the charts show
        word = {"sworn_officers": "sworn-officer", "sworn_officers_jan1": "1 January sworn-officer",
                "state_homicides": "state homicide", "state_population": "state population",
                "homicides": "homicide"}.get(role, role)
        assert f"No {word} figures for 1965–2016" in text


def test_the_footprint_chart_is_a_sentence_when_no_sworn_officer_year_is_in_its_span():
    from ceasefire_analysis.history import footprint_chart

    later = pd.DataFrame({"year": [2018, 2019], "value": [740.0, 745.0], "source": "K3",
                          "definition": "leoka_sworn_officers", "note": ""})
    for frame in (later, later.assign(year=[1962, 1963])):
        shown = footprint_chart({"sworn_officers": frame}, 1969, 2016)
        assert "No sworn-officer figures for 1969–2016." in shown.data


def test_series_only_after_the_review_year_are_named_not_charted(make_city, city_params):
    from ceasefire_analysis.history import history_report

    review = _review_with_history(make_city, city_params, "homicides", [2018])
    for path in (review.data.data_dir / "history").glob("*.csv"):  # every series only after the review's year
        path.write_text("year,value,source,definition\n2018,7,K,x\n2019,8,K,x\n")
    report = history_report(review)
    text = _page_text(report)
    for word in ("homicide", "population", "state homicide", "state population", "sworn-officer",
                 "1 January sworn-officer", "arrests"):
        assert f"No {word} figures for 1965–2016 in " in text
    assert "(it has 2018–2019)" in text and "No published annual series were supplied" not in text


def test_each_deck_claim_says_whether_it_holds_and_why():
    """Hand-made series: the change rounds to the deck's figure (holds); two low runs where the deck says one
    (holds only after the first); a ratio against the national rate cannot be checked on state series."""
    from ceasefire_analysis.history import claim_verdicts

    years = list(range(1969, 1981))
    homicides = pd.DataFrame({"year": years, "value": [80, 85, 95, 99, 100, 70, 75, 100, 100, 100, 100, 130]})
    state = pd.DataFrame({"year": years, "value": [1000.0] * len(years)})
    series = {"homicides": homicides, "population": pd.DataFrame({"year": years, "value": [100_000.0] * 12}),
              "state_homicides": state, "state_population": pd.DataFrame({"year": years, "value": [5e6] * 12})}
    settings = {"changes": [[1969, 1980]], "claimed_change": 0.63, "threshold": 90, "runs_before": 1980,
                "claimed_runs": 1, "ratio_since": 1969, "claimed_ratio": [4, 6], "claimed_ratio_of": "national"}
    change, runs, ratio = claim_verdicts(series, settings, 1969)
    assert change == "Deck: +63% from 1969 to 1980. Holds: the series give +62.5% (80 → 130), which rounds " \
                     "to the same whole percent."
    assert runs.startswith("Deck: 1 period of two or more consecutive years under 90 homicides before 1980. "
                           "Holds only if the count starts after 1970: from 1969 the series have 2 (1969–1970, "
                           "1974–1975); from 1971, 1 (1974–1975).")
    # city 80–130 per 100,000 against the state's 20: 3.5× to 6.5×; 4–6× in 9 of the 12 years
    assert ratio == ("Deck: 4 to 6 times the national rate since 1969. Cannot be checked here: these series give "
                     "the state rate, not the national one. Against the state the city's rate ran 3.5× to 6.5×; "
                     "9 of 12 years from 1969 fall in that range.")
    settings.update(claimed_change=0.50, claimed_runs=2, claimed_ratio_of="state")
    change, runs, ratio = claim_verdicts(series, settings, 1969)
    assert change.endswith("Does not hold: the series give +62.5% (80 → 130).")
    assert runs.endswith("Holds: the series from 1969 have 2 (1969–1970, 1974–1975).")
    assert "Does not hold: the city's rate ran 3.5× to 6.5× the state's" in ratio


def test_history_sources_are_printed_by_name(rendered_demo):
    text = (rendered_demo[1] / "history.html").read_text(encoding="utf-8")
    assert "K1: FBI UCR Offenses Known, Oakland" in text and "SOURCES.md)" not in text
    assert "Deck: +37% from 2005 to 2012. Holds" in text


def test_facts_the_series_cannot_answer_say_so_instead_of_vanishing_or_printing_backwards_ranges():
    from ceasefire_analysis.history import computed_facts
    series = {"homicides": pd.DataFrame({"year": list(range(1969, 2017)), "value": [80.0] * 47 + [0.0]})}
    facts = computed_facts(series, {"changes": [[1900, 1901], [2016, 2017], [2005, 2016]], "threshold": 0,
                                    "runs_before": 1900}, 1969)
    values = dict(zip(facts["fact"], facts["value"]))
    assert values["Change in homicides, 1900 to 1901"].startswith("cannot be computed: no homicide figure for 1900 "
                                                                   "or 1901 (the series run 1969–2016)")
    assert values["Change in homicides, 2016 to 2017"].startswith("cannot be computed: no homicide figure for 2017")
    assert values["Change in homicides, 2005 to 2016"] == "−100.0% (80 → 0)"  # the formatter's minus sign
    assert not facts["fact"].str.contains("1969 to 1899").any()
    assert values["Runs of two or more consecutive years under 0 homicides before 1900"] == \
        "cannot be computed: the series start in 1969"


def test_a_chart_drawn_from_the_same_inputs_is_rendered_once(monkeypatch):
    import matplotlib
    from matplotlib.figure import Figure

    from ceasefire_analysis import charts
    from ceasefire_analysis.history import rate_chart

    monkeypatch.setattr(charts, "PNG_MEMO", charts.OrderedDict())
    drawn = []
    savefig = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (drawn.append(self), savefig(self, *a, **k))[1])
    rates = pd.DataFrame({"year": [2014, 2015, 2016], "rate_city": [20.0, 21.5, 19.0],
                          "rate_state": [4.8, 4.9, 5.0]})
    rates["ratio"] = rates["rate_city"] / rates["rate_state"]
    first = rate_chart(rates, 2014, 2017)._repr_png_()
    same = rate_chart(rates.copy(), 2014, 2017)  # another period of the same year: the same inputs
    assert same._repr_png_() == first and len(drawn) == 1
    changed = rates.assign(rate_city=[20.0, 21.5, 25.0], ratio=lambda f: f["rate_city"] / f["rate_state"])
    assert rate_chart(changed, 2014, 2017)._repr_png_() != first and len(drawn) == 2
    assert rate_chart(rates, 2014, 2018)._repr_png_() != first and len(drawn) == 3  # another end year
    with matplotlib.rc_context({"lines.linewidth": 4.0}):  # other chart settings: drawn again, not reused
        assert rate_chart(rates, 2014, 2017)._repr_png_() != first and len(drawn) == 4
    assert len(charts.PNG_MEMO) == 4
    monkeypatch.setattr(charts, "PNG_MEMO_SIZE", 2)
    rate_chart(rates, 2014, 2019)._repr_png_()
    assert len(charts.PNG_MEMO) == 2  # bounded: the oldest are dropped


def test_a_claimed_ratio_after_the_rates_end_says_it_cannot_be_checked():
    from ceasefire_analysis.history import claim_verdicts
    series = {"homicides": pd.DataFrame({"year": [2000, 2001], "value": [80.0, 90.0]}),
              "population": pd.DataFrame({"year": [2000, 2001], "value": [400000.0, 400000.0]}),
              "state_homicides": pd.DataFrame({"year": [2000, 2001], "value": [2000.0, 2000.0]}),
              "state_population": pd.DataFrame({"year": [2000, 2001], "value": [34e6, 34e6]})}
    verdicts = claim_verdicts(series, {"claimed_ratio": [4, 6], "claimed_ratio_of": "state", "ratio_since": 2100})
    assert any("Cannot be checked here: the rates run from 2000 to 2001" in v for v in verdicts)


def test_the_sources_read_as_plain_text_without_commit_hashes():
    # reader3 N8: the page printed Markdown back-ticks and 40-digit commit hashes from SOURCES.md
    from ceasefire_analysis.history import source_names
    keys = ["K1", "K2", "K3", "M1", "F1", "C1", "N11"]
    shown = source_names(HISTORY_DATA_DIR, keys)
    assert [line.split(":")[0] for line in shown] == keys
    for line in shown:
        assert "`" not in line and "**" not in line, line
        assert not re.search(r"\b[0-9a-f]{40}\b", line), line
    assert "GitHub jacobkap/crimedatatool_helper" in shown[0]
    assert "not the City's own record" in shown[5]  # a mirror is named as a copy


def test_era_labels_say_when_each_ran_and_overlapping_ones_do_not_share_a_line():
    # The seed's Measure Y (2005-2014) and Ceasefire (from October 2012) overlap: the band where both apply must not
    # read as a third, unnamed era, so each label says when it ran and the later one sits lower.
    from matplotlib.figure import Figure

    from ceasefire_analysis.history import _shade_eras, era_span_text

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(9.5, 4.8), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    eras = [{"label": "Measure Y", "start": 2005, "end": 2014}, {"label": "Ceasefire", "start": "2012-10"},
            {"label": "Operation Safe Streets", "start": 1996, "end": 1998}, {"label": "Project Exile", "start": 1998,
                                                                                 "end": 2001},
            {"label": "Operation Ceasefire relaunch", "start": "2016-07"}]
    _shade_eras(ax, eras, 1969, 2017)
    texts = {t.get_text(): t for t in ax.texts}
    assert set(texts) == {"Measure Y\n2005–2014", "Ceasefire\nfrom Oct 2012", "Operation Safe Streets\n1996–1998",
                          "Project Exile\n1998–2001", "Operation Ceasefire\nrelaunch\nfrom Jul 2016"}
    # the two short neighbours' names would meet: the second sits a line lower
    assert texts["Project Exile\n1998–2001"].get_position()[1] != texts["Operation Safe Streets\n1996–1998"].get_position()[1]
    # drawn (after the layout), no two labels overlap, and each lies within the chart's width
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    plot = ax.get_window_extent(renderer)
    assert all(plot.x0 <= b.x0 and b.x1 <= plot.x1 + 1 for b in boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert era_span_text({"start": 2012.75, "end": "2014-06"}) == "Oct 2012–Jun 2014"
    # late in December (a fraction above 11/12): December, not a thirteenth month
    assert era_span_text({"start": 2012.96}) == era_span_text({"start": 2012.99}) == "from Dec 2012"
    assert era_span_text({"start": "2012-12", "end": 2013.5}) == "Dec 2012–Jul 2013"
