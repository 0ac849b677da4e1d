"""Worksheet 3, focus, scale and quality: every indicator against hand-computed values on a small city.

The city (review period Feb–Mar 2017, YTD Jan–Mar 2017):

=====  ==========  =========  =====  ==============  ===================================
case   date        type       group  group_involved  people
=====  ==========  =========  =====  ==============  ===================================
I6     2016-12-31  non-fatal  A      (blank)         (none)
I1     2017-01-31  homicide   A      (blank)         p1 victim, p2 suspect
I2     2017-02-01  non-fatal  —      true            p3 victim, p2 victim (two victim rows)
N1     2017-02-10  no injury  A      (blank)         p7 suspect (not a shooting)
I4     2017-03-15  homicide   A      (blank)         nobody linked
I7     2017-03-20  non-fatal  D      (blank)         p5 suspect (group D: nobody flagged)
I3     2017-03-31  non-fatal  B      false           p4 suspect
I5     2017-04-01  homicide   C      (blank)         p6 victim
=====  ==========  =========  =====  ==============  ===================================
"""
import datetime as dt
import math

import pandas as pd
import pytest

from ceasefire_analysis import focus
from ceasefire_analysis.focus_report import focus_worksheet_html, safe_city_html
from ceasefire_analysis.loading import CityData
from ceasefire_analysis.params import params_from_values
from ceasefire_analysis.review import PeriodReview

D = pd.Timestamp
JAN1, MAR31 = dt.date(2017, 1, 1), dt.date(2017, 3, 31)
FEB1 = dt.date(2017, 2, 1)


def frame(rows, columns, dates=()):
    out = pd.DataFrame(rows, columns=columns)
    for column in dates:
        out[column] = pd.to_datetime(out[column])
    return out


@pytest.fixture
def city():
    incidents = frame([
        ("I6", "2016-12-31", "nonfatal_injury_shooting", "A", pd.NA),
        ("I1", "2017-01-31", "homicide", "A", pd.NA),
        ("I2", "2017-02-01", "nonfatal_injury_shooting", None, True),
        ("I2", "2017-02-01", "nonfatal_injury_shooting", None, True),
        ("N1", "2017-02-10", "non_injury_shooting", "A", pd.NA),
        ("I4", "2017-03-15", "homicide", "A", pd.NA),
        ("I7", "2017-03-20", "nonfatal_injury_shooting", "D", pd.NA),
        ("I3", "2017-03-31", "nonfatal_injury_shooting", "B", False),
        ("I5", "2017-04-01", "homicide", "C", pd.NA),
    ], ["incident_id", "occurred_on", "incident_type", "group", "group_involved"], ["occurred_on"])
    incidents["group_involved"] = incidents["group_involved"].astype("boolean")
    links = frame([("I1", "p1", "victim"), ("I1", "p2", "suspect"), ("I2", "p3", "victim"), ("I2", "p2", "victim"),
                   ("N1", "p7", "suspect"), ("I7", "p5", "suspect"), ("I3", "p4", "suspect"),
                   ("I5", "p6", "victim")], ["incident_id", "participant_id", "role"])
    comms = frame([
        ("p1", "2017-01-30"),  # the day before p1's shooting: reached before
        ("p2", "2017-01-31"),  # the day of p2's first shooting as suspect: not before (tie); before as victim
        ("p3", "2017-02-15"),  # 14 days after I2: a response within 14 days
        ("p4", "2016-06-01"),
        ("p5", "2017-04-02"),  # after the window's end: no response to I7
        ("f1", "2016-03-01"),  # group A's flagged member, within 365 days before I1
        ("f3", "2017-03-30"),  # flagged with A on I4's date: I4's response after 15 days
        ("g2", "2017-01-11"),
        ("p8", "2016-04-01"),  # 365th day before 31 March 2017: counts for reach
        ("p9", "2016-03-31"),  # 366th day: does not
    ], ["participant_id", "occurred_on"], ["occurred_on"])
    cm = frame([("p1", "2017-01-31", None), ("p2", "2016-12-01", None), ("p4", "2017-01-01", None),
                ("g2", "2017-01-20", None), ("f1", "2017-01-10", None), ("f3", "2017-04-01", None)],
               ["participant_id", "enrolled_on", "exited_on"], ["enrolled_on", "exited_on"])
    flags = frame([("f1", "2017-01-10", "A"), ("f3", "2017-03-15", "A"), ("g1", "2016-12-20", None),
                   ("g1", "2017-02-01", None), ("g2", "2017-01-01", None), ("g3", "2017-04-01", None)],
                  ["participant_id", "flagged_on", "group"], ["flagged_on"])
    return {"incidents": incidents, "incident_people": links, "communications": comms, "case_management": cm,
            "review_flags": flags}


# --------------------------------------------------------------------------- 1. group involvement

def test_group_involvement_follows_the_finding_then_the_group(city):
    involved = focus.group_involvement(city["incidents"]).tolist()
    assert involved == [True, True, True, True, True, True, True, False, True]  # I3: finding 'false' wins
    only_group = city["incidents"].drop(columns="group_involved")
    assert focus.group_involvement(only_group).tolist()[2:4] == [False, False]  # I2 has no group name
    only_flag = city["incidents"].drop(columns="group")
    assert focus.group_involvement(only_flag).tolist() == [False, False, True, True] + [False] * 5


def test_group_involved_shares_with_boundary_dates(city):
    inc = city["incidents"]
    assert focus.group_involved_share(inc, "homicide", JAN1, MAR31) == (2, 2)  # I1 (31 Jan), I4
    assert focus.group_involved_share(inc, "homicide", FEB1, MAR31) == (1, 1)  # I5 on 1 April is out
    assert focus.group_involved_share(inc, "nonfatal_injury_shooting", JAN1, MAR31) == (3, 4)  # I3 (31 Mar) counts
    # a window across the year boundary: I6 on 31 December
    assert focus.group_involved_share(inc, "nonfatal_injury_shooting", dt.date(2016, 12, 1), dt.date(2017, 1, 31)) \
        == (1, 1)
    assert focus.group_involved_share(inc, "homicide", dt.date(2016, 1, 1), dt.date(2016, 12, 31)) == (0, 0)
    assert focus.group_involved_share(inc.drop(columns=["group", "group_involved"]), "homicide", JAN1, MAR31) is None


# --------------------------------------------------------------------------- 2. known before

@pytest.mark.parametrize("start,role,expected", [
    (JAN1, None, {"people": 5, "reached": 2, "enrolled": 2}),   # p1..p5; reached p1, p4; enrolled p2, p4
    (JAN1, "victim", {"people": 3, "reached": 2, "enrolled": 1}),  # p2 was a victim on 1 Feb, reached 31 Jan
    (JAN1, "suspect", {"people": 3, "reached": 1, "enrolled": 2}),  # p2 as suspect on 31 Jan: same-day tie
    (FEB1, None, {"people": 4, "reached": 2, "enrolled": 2}),   # p1's 31 January shooting is outside
])
def test_known_before(city, start, role, expected):
    people = focus.linked_people(city["incidents"], city["incident_people"], start, MAR31, role)
    assert focus.known_before(people, city["communications"], city["case_management"]) == expected


def test_known_before_without_links_or_tables(city):
    empty = city["incident_people"].iloc[0:0]
    people = focus.linked_people(city["incidents"], empty, JAN1, MAR31)
    assert focus.known_before(people, None, None) == {"people": 0, "reached": None, "enrolled": None}
    assert math.isnan(focus.share_pct(0, 0))


# --------------------------------------------------------------------------- 3. groups reached

def test_groups_reached(city):
    args = (city["incidents"], city["review_flags"], city["communications"])
    # A (first 31 Jan; f1 reached 1 Mar 2016) and D (nobody flagged); B's shooting was not group-involved
    assert focus.groups_reached(*args, JAN1, MAR31) == {"groups": 2, "reached": 1}
    # Feb-Mar: A's first shooting is 15 March; 1 March 2016 is more than 365 days before it
    assert focus.groups_reached(*args, FEB1, MAR31) == {"groups": 2, "reached": 0}
    assert focus.groups_reached(city["incidents"], None, city["communications"], JAN1, MAR31) == \
        {"groups": 2, "reached": None}


@pytest.mark.parametrize("contact,flagged_on,reached", [
    ("2016-01-31", "2017-01-10", 0),  # 366 days before 31 January 2017
    ("2016-02-01", "2017-01-10", 1),  # 365 days before
    ("2017-01-30", "2017-01-10", 1),  # the day before
    ("2017-01-31", "2017-01-10", 0),  # the day of the shooting is excluded
    ("2016-06-01", "2017-03-31", 1),  # flagged on the window's last day
    ("2016-06-01", "2017-04-01", 0),  # flagged after the window
])
def test_groups_reached_ties(city, contact, flagged_on, reached):
    flags = frame([("z", flagged_on, "A")], ["participant_id", "flagged_on", "group"], ["flagged_on"])
    comms = frame([("z", contact)], ["participant_id", "occurred_on"], ["occurred_on"])
    assert focus.groups_reached(city["incidents"], flags, comms, JAN1, MAR31)["reached"] == reached


# --------------------------------------------------------------------------- 4. response

def test_response_times(city):
    times = focus.response_times(city["incidents"], city["incident_people"], city["review_flags"],
                                 city["communications"], JAN1, MAR31)
    # I1: p2 reached on the day (0); I2: p3 after 14 days; I4: nobody linked, f3 flagged with A on its
    # date and reached after 15 days; I7: p5 reached only after the window's end
    assert times.set_index("incident_id")["days"].to_dict() == pytest.approx(
        {"I1": 0, "I2": 14, "I4": 15, "I7": math.nan}, nan_ok=True)
    assert focus.response_summary(times) == {"median_days": 14.0, "within_14_pct": 50.0, "none": 1, "incidents": 4}
    period = focus.response_times(city["incidents"], city["incident_people"], city["review_flags"],
                                  city["communications"], FEB1, MAR31)
    summary = focus.response_summary(period)
    assert summary["median_days"] == 14.5 and summary["within_14_pct"] == pytest.approx(100 / 3)
    assert summary["none"] == 1


def test_response_counts_people_flagged_after_the_window(city):
    flags = frame([("late", "2017-04-05", "D")], ["participant_id", "flagged_on", "group"], ["flagged_on"])
    comms = frame([("late", "2017-03-25")], ["participant_id", "occurred_on"], ["occurred_on"])
    times = focus.response_times(city["incidents"], None, flags, comms, JAN1, MAR31)
    assert times.set_index("incident_id")["days"].dropna().to_dict() == {"I7": 5}  # flagged with D on or after 20 March


def test_response_with_no_incident_and_flags_only(city):
    times = focus.response_times(city["incidents"], None, city["review_flags"], city["communications"],
                                 dt.date(2017, 6, 1), dt.date(2017, 6, 30))
    summary = focus.response_summary(times)
    assert math.isnan(summary["median_days"]) and math.isnan(summary["within_14_pct"]) and summary["none"] == 0
    times = focus.response_times(city["incidents"], None, city["review_flags"], city["communications"], JAN1, MAR31)
    assert times.set_index("incident_id")["days"].dropna().to_dict() == {"I1": 58, "I4": 15}  # f3 (flagged 15 March), reached 30 March


# --------------------------------------------------------------------------- 5. scale

def test_reach_in_the_365_days_to_the_period_end(city):
    # p1, p2, p3, p4, f3, g2 and p8 (on the 365th day); not f1, p9 (366th day) or p5 (after)
    assert focus.people_reached_in_year(city["communications"], MAR31) == 7


# --------------------------------------------------------------------------- 6. flagged path

def test_flagged_path(city):
    path = focus.flagged_path(city["review_flags"], city["communications"], city["case_management"], JAN1, MAR31)
    # cohort f1, f3, g2 (first flag 1 Jan: a tie on the start); g1 first flagged in 2016, g3 after the window
    assert path["people"] == 3
    assert path["reached"] == 2  # g2 (10 days), f3 (15 days); f1 only before the flag
    assert path["median_days_to_communication"] == 12.5
    assert path["enrolled"] == 2  # g2; f1 on the day of the flag; f3 after the window
    assert path["median_days_communication_to_enrolment"] == 9  # g2: 11 -> 20 January
    assert path["retention_base"] == 0  # nobody's enrolment is 90 days old


def test_flagged_retention_at_90_days():
    flags = frame([(p, "2016-10-01", None) for p in ("h1", "h2", "h3", "h4")],
                  ["participant_id", "flagged_on", "group"], ["flagged_on"])
    cm = frame([("h1", "2016-10-02", "2016-12-31"),  # exited on day 90: within 90 days
                ("h2", "2016-12-31", None),          # began exactly 90 days before the end: counted, retained
                ("h3", "2017-01-01", None),          # 89 days: too recent to count
                ("h4", "2016-11-01", "2017-01-31")],  # exited on day 91: retained
               ["participant_id", "enrolled_on", "exited_on"], ["enrolled_on", "exited_on"])
    path = focus.flagged_path(flags, None, cm, dt.date(2016, 10, 1), MAR31)
    assert (path["retained"], path["retention_base"], path["enrolled"], path["reached"]) == (2, 3, 4, None)


# --------------------------------------------------------------------------- 7. safe-city path

def test_safe_city_path_rounds_half_up():
    assert focus.safe_city_path(416, 2016, 5, 0.10)["path"].tolist() == [416, 374, 337, 303, 273, 246]
    # 25 x 0.9 = 22.5 -> 23; 25 x 0.81 = 20.25 -> 20
    assert focus.safe_city_path(25, 2020, 2, 0.10)["path"].tolist() == [25, 23, 20]


def test_safe_city_table_marks_the_partial_year(city):
    inc = city["incidents"]
    table, reason = focus.safe_city_table(inc, {"base_year": 2016, "years": 2, "reduction": 0.1, "base_count": 10},
                                          MAR31, dt.date(2016, 1, 1))
    assert reason == ""
    assert table["total"].tolist()[:2] == [1, 6]  # 2016: I6; 2017 to 31 March: I1, I2 x2, I4, I7, I3
    assert table["partial"].tolist() == [False, True, False] and table["path"].tolist() == [10, 9, 8]
    assert math.isnan(table["total"].iloc[2])
    # without base_count the base year must be whole in the data
    table, reason = focus.safe_city_table(inc, {"base_year": 2016, "years": 1, "reduction": 0.1, "base_count": None},
                                          MAR31, dt.date(2016, 12, 31))
    assert table is None and "2016" in reason
    table, _ = focus.safe_city_table(inc, {"base_year": 2016, "years": 1, "reduction": 0.5, "base_count": None},
                                     MAR31, dt.date(2016, 1, 1))
    assert table["path"].tolist() == [1, 1]  # 1 x 0.5 = 0.5 -> 1 (half up)
    assert focus.safe_city_table(inc, {}, MAR31, JAN1)[0] is None
    # data that stop in 2016 leave 2016 partial and 2017 empty, even for a 2017 period
    stopped = inc[inc["occurred_on"] <= "2016-12-31"]
    table, _ = focus.safe_city_table(stopped, {"base_year": 2016, "years": 1, "reduction": 0.1, "base_count": 5},
                                     MAR31, dt.date(2016, 1, 1))
    assert table["partial"].tolist() == [False, True] and table["total"].tolist() == [1, 0]
    midyear = stopped.assign(occurred_on=D("2016-06-30"))  # the extract ends in June
    table, _ = focus.safe_city_table(midyear, {"base_year": 2016, "years": 1, "reduction": 0.1, "base_count": 5},
                                     MAR31, dt.date(2016, 1, 1))
    assert table["partial"].tolist() == [True, True] and table["counted_to"].iloc[0] == dt.date(2016, 6, 30)


# --------------------------------------------------------------------------- the worksheet

def params(**values):
    base = {"city": "Testville", "period_start": "2017-02", "period_end": "2017-03", "data_dir": "data/raw/demo",
            "vhr_population_estimate": 10,
            "safe_city": {"base_year": 2016, "years": 2, "reduction": 0.1, "base_count": 10}}
    base.update(values)
    return params_from_values(base)


def value(table, indicator, window):
    return table[(table["indicator"] == indicator) & (table["window"] == window)].iloc[0]


def test_worksheet_rows(city):
    table = focus.focus_worksheet(city, params())
    assert set(table["worksheet"]) == {"focus"} and "suppressed" not in table
    assert value(table, "group_involved_homicides_pct", "ytd")["actual"] == 100
    assert value(table, "group_involved_nonfatal_injury_shootings_pct", "ytd")["actual"] == 75
    assert value(table, "known_before_reached_pct", "ytd")["actual"] == 40
    assert value(table, "known_before_people_suspects", "period")["actual"] == 2  # p4, p5 (p2's was 31 January)
    assert value(table, "groups_reached_pct", "ytd")["actual"] == 50
    assert value(table, "response_within_14_days_pct", "ytd")["actual"] == 50
    assert value(table, "reach_vs_vhr_pct", "as_of")["actual"] == 70
    assert value(table, "flagged_people", "ytd")["actual"] == 3
    assert math.isnan(value(table, "flagged_retained_90_days_pct", "ytd")["actual"])
    safe = table[table["indicator"] == "safe_city_shootings"]
    assert safe["window_end"].tolist() == ["2016-12-31", "2017-03-31"] and safe["benchmark"].tolist() == [10, 9]
    assert (table["status"].isin(["", "not_recorded"])).all()  # nothing is marked as meeting a benchmark
    # prior year and three-year average need the data to cover those months
    assert math.isnan(value(table, "group_involved_homicides_pct", "ytd")["prior_year"])


def test_prior_year_and_pooled_three_year_shares():
    rows = []
    for year, (involved, total) in {2014: (1, 2), 2015: (0, 1), 2016: (3, 3), 2017: (1, 4)}.items():
        for i in range(total):
            rows.append((f"H{year}{i}", f"{year}-02-0{i + 1}", "homicide", "A" if i < involved else None))
    incidents = frame(rows, ["incident_id", "occurred_on", "incident_type", "group"], ["occurred_on"])
    table = focus.focus_worksheet({"incidents": incidents}, params())
    row = value(table, "group_involved_homicides_pct", "period")
    assert row["actual"] == 25 and row["prior_year"] == 100
    assert row["three_year_average"] == pytest.approx(100 * 4 / 6)  # pooled: (1 + 0 + 3) / (2 + 1 + 3)


def test_incident_only_city_says_not_recorded(city):
    table = focus.focus_worksheet({"incidents": city["incidents"]}, params(vhr_population_estimate=None))
    recorded = table[table["status"] != "not_recorded"]["indicator"].unique().tolist()
    assert recorded == ["group_involved_homicides_pct", "group_involved_nonfatal_injury_shootings_pct",
                        "groups_involved", "safe_city_shootings"]
    assert table.loc[table["status"] == "not_recorded", "actual"].isna().all()
    review = PeriodReview(params=params(), data=CityData("x", {"incidents": city["incidents"]}), params_label="t",
                          _indicators=table)
    text = focus_worksheet_html(review).data
    assert text.count("Not recorded for this city") == 4  # known before, response, scale, flagged
    assert "75%" in text  # group involvement from the group / group_involved columns
    assert "partial year: counted to 31 Mar 2017" in safe_city_html(review).data


def test_people_counts_hidden_for_partner_and_public(city):
    for audience in ("partner", "public"):
        table = focus.focus_worksheet(city, params(audience=audience, small_count_threshold=5))
        hidden = dict(zip(zip(table["indicator"], table["window"]), table["suppressed"]))
        # 5 people, but 4 of them in the (hidden) review period and 1 only in January: the year to date
        # = the period + the months before it, and the suppression assumes the reader knows which hidden
        # cells are small, so the total goes too (as Worksheet 2's year to date does)
        assert hidden[("known_before_people", "ytd")] == "complementary"
        # 2 of 5: its 2 people are few (labelled as Worksheet 2 labels a share with a small numerator)
        assert hidden[("known_before_reached_pct", "ytd")] == "small"
        assert hidden[("known_before_people_victims", "ytd")] == "small"
        assert hidden[("flagged_people", "ytd")] == "small"
        assert hidden[("flagged_median_days_to_communication", "ytd")] == "complementary"
        assert hidden[("known_before_people_suspects", "ytd")] == "small"  # 3
        assert hidden[("known_before_people", "period")] == "small"
        assert hidden[("known_before_reached_pct_suspects", "ytd")] == "small"  # some of the 3 suspects
        assert hidden[("reach_vs_vhr_pct", "as_of")] == ""  # 7 people of the estimate of 10
        assert hidden[("group_involved_homicides_pct", "ytd")] == ""  # shootings, not people
        assert table.loc[table["suppressed"] != "", "actual"].isna().all()


def test_demo_fills_every_section(demo_params, demo_data, demo_indicators):
    table = focus.focus_worksheet(demo_data.tables, demo_params)
    assert not (table["status"] == "not_recorded").any()
    for indicator in ("known_before_people", "groups_involved", "response_median_days", "reach_vs_vhr_pct",
                      "flagged_reached", "flagged_enrolled", "safe_city_shootings"):
        assert table.loc[table["indicator"] == indicator, "actual"].gt(0).all(), indicator
    # the partial year is the period's year, counted to its end; its count is YTD homicides + shootings
    partial = table[(table["indicator"] == "safe_city_shootings") & (table["window_end"] == "2017-03-31")]
    ytd = demo_indicators[demo_indicators["window"] == "ytd"].set_index("indicator")["actual"]
    assert partial["actual"].iloc[0] == ytd["homicides"] + ytd["nonfatal_injury_shootings"]


def test_one_role_hidden_hides_the_other_and_its_shares():
    nan = math.nan
    rows = pd.DataFrame([
        ("known_before_people", 20, 20, nan, nan, None),
        ("known_before_people_victims", 17, 17, nan, nan, None),
        ("known_before_people_suspects", 3, 3, nan, nan, None),
        ("known_before_reached_pct_victims", 50.0, nan, 10, 20, "known_before_people_victims"),
        ("known_before_reached_pct", 50.0, nan, 10, 20, "known_before_people"),
    ], columns=["indicator", "actual", "_people", "_part", "_of", "_base"])
    rows["window"], rows["prior_year"], rows["three_year_average"], rows["_median_of"] = "ytd", nan, nan, nan
    out = focus.protect_people_counts(rows, "public", 5)
    assert out["suppressed"].tolist() == ["", "complementary", "small", "complementary", ""]
    assert out["actual"].isna().tolist() == [False, True, True, True, False]
    assert focus.protect_people_counts(rows, "internal", 5) is rows


def test_demo_worksheet_report_shows_worksheet_3_filled(rendered_demo):
    code, folder = rendered_demo
    assert code == 0
    page = (folder / "worksheet.html").read_text()
    assert "Worksheet 3: Focus, scale and quality" in page
    assert "Not recorded for this city" not in page and "not recorded for this city" not in page
    assert "partial year: counted to 31 Mar 2017" in page
    assert 'alt="Oakland (demo data, synthetic) / Homicides and shootings against the safe-city path' in page
    table = pd.read_csv(folder / "indicators.csv", keep_default_na=False)
    focus_rows = table[table["worksheet"] == "focus"]
    assert len(focus_rows) == 41 and (focus_rows["status"] == "").all()


def test_victims_row_says_it_counts_only_identified_people_of_everyone_shot():
    """The reader's R3: "Victims 38" read as all victims beside 59 people shot; the row now says whom it
    counts and of how many people shot, and each victims' share is also given over everyone shot."""
    import html as html_module
    import re

    from ceasefire_analysis.formatting import format_share
    from ceasefire_analysis.review import open_review

    review = open_review(None)
    table = review.indicators
    for window in ("ytd", "period"):
        at = (table["window"] == window)
        shot = int(table.loc[at & table["indicator"].isin(["homicides", "nonfatal_injury_shootings"]), "actual"].sum())
        victims = int(table.loc[at & (table["indicator"] == "known_before_people_victims"), "actual"].iloc[0])
        share = table.loc[at & (table["indicator"] == "known_before_reached_pct_victims"), "actual"].iloc[0]
        assert victims < shot  # the demo's records identify only some of the people shot
        text = html_module.unescape(re.sub(r"<[^>]+>", " ", focus_worksheet_html(review).data))
        text = re.sub(r"\s+", " ", text)
        assert f"{victims} of the {shot} people killed or shot" in text  # homicides of every cause (N3)
        reached = round(share * victims / 100)
        assert f"{format_share(share / 100)} {format_share(reached / shot)} of all {shot} people killed or shot" in text
    assert "Victims identified in the partnership's records 50 of the 79 people killed or shot 38 of the 59" in text
    assert "of these victims, reached before they were shot" in text
    assert "each share in it is of the people in the row above it" in text
