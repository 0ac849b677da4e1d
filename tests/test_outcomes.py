"""Call-in outcomes: precedence, censoring, and hand-derived incidence on a hand-made cohort."""
import datetime as dt
import math

import pandas as pd
import pytest

from ceasefire_analysis.outcomes import (
    classify_outcomes, cumulative_incidence, first_contacts, follow_up_table, milestone_table, outcome_breakdown,
)

AS_OF = dt.date(2017, 3, 31)


def frame(rows, cols):
    df = pd.DataFrame(rows, columns=cols)
    df["occurred_on"] = pd.to_datetime(df["occurred_on"])
    return df


def test_first_contact_and_kind():
    comms = frame([("a", "2016-05-01", "custom_notification"), ("a", "2016-01-01", "custom_notification"),
                   ("b", "2016-02-01", "custom_notification"), ("b", "2016-02-01", "call_in"),
                   ("c", "2017-04-01", "call_in")], ["participant_id", "occurred_on", "kind"])
    cohort = first_contacts(comms, AS_OF)
    assert cohort.set_index("participant_id")["first_on"].to_dict() == {
        "a": pd.Timestamp("2016-01-01"), "b": pd.Timestamp("2016-02-01")}  # c: after the as-of date
    assert cohort.set_index("participant_id").loc["b", "first_kind"] == "call_in"
    assert first_contacts(comms, AS_OF, "call_in")["participant_id"].tolist() == ["b"]


def test_precedence_and_event_window():
    cohort = pd.DataFrame({"participant_id": list("abcdef"), "first_on": pd.to_datetime(["2016-01-01"] * 6),
                           "first_kind": ["call_in"] * 3 + ["custom_notification"] * 3})
    events = frame([
        ("a", "2016-02-01", "arrest_violent_or_gun"), ("a", "2016-09-01", "murder_victim"),  # killed after arrest
        ("b", "2016-03-01", "suspect_violent_not_arrested"), ("b", "2016-04-01", "shooting_victim"),
        ("c", "2016-01-01", "arrest_violent_or_gun"),  # same day as the call-in: not after it
        ("d", "2017-04-01", "arrest_violent_or_gun"),  # after the as-of date
        ("e", "2016-06-01", "suspect_violent_not_arrested"),
    ], ["participant_id", "occurred_on", "event"])
    got = classify_outcomes(cohort, events, AS_OF).tolist()
    assert got == ["murder_victim", "shooting_victim", "no_action", "no_action", "suspect_violent_not_arrested",
                   "no_action"]
    table = outcome_breakdown(cohort, events, AS_OF).set_index(["group", "outcome"])
    assert table.loc[("all", "no_action"), "people"] == 3 and table.loc[("all", "no_action"), "share"] == 0.5
    assert table.loc[("call_in", "murder_victim"), "share"] == pytest.approx(1 / 3)
    assert table.groupby(level=0)["people"].sum().to_dict() == {"all": 6, "call_in": 3, "custom_notification": 3}
    empty = outcome_breakdown(cohort.iloc[0:0], events, AS_OF)
    assert math.isnan(empty["share"].iloc[0])


def test_censoring_someone_contacted_last_week_has_no_6_month_outcome():
    cohort = pd.DataFrame({"participant_id": ["new"], "first_on": pd.to_datetime(["2017-03-24"]),
                           "first_kind": ["call_in"]})
    table = milestone_table(cohort, None, AS_OF).set_index(["outcome", "months"])
    assert table.loc[("arrest", 6), "still_followed"] == 0
    assert math.isnan(table.loc[("arrest", 6), "incidence"])
    follow = follow_up_table(cohort, None, AS_OF, ("arrest_violent_or_gun",))
    assert follow["code"].tolist() == [0] and follow["months"].iloc[0] == pytest.approx(7 / (365.25 / 12))


HAND = pd.DataFrame({
    "participant_id": list("abcdefgh"),
    "first_on": pd.to_datetime(["2016-01-01"] * 8),
    "first_kind": ["call_in"] * 8,
})
HAND_EVENTS = frame([
    ("a", "2016-02-15", "arrest_violent_or_gun"), ("b", "2016-04-10", "arrest_violent_or_gun"),
    ("c", "2016-03-20", "murder_victim"), ("c", "2016-06-01", "arrest_violent_or_gun"),
    ("d", "2016-08-01", "shooting_victim"), ("e", "2016-11-05", "arrest_violent_or_gun"),
], ["participant_id", "occurred_on", "event"])


def test_curve_matches_hand_derived_aalen_johansen_values():
    follow = follow_up_table(HAND, HAND_EVENTS, AS_OF, ("arrest_violent_or_gun",), ("murder_victim",))
    assert follow.set_index("participant_id")["code"].to_dict() == {
        "a": 1, "b": 1, "c": 2, "d": 0, "e": 1, "f": 0, "g": 0, "h": 0}  # c was killed before the arrest row
    ours = cumulative_incidence(follow)
    # by hand: each arrest adds (share still free of both events) / (number at risk):
    # a at 1.5 months: 1 * 1/8; c killed at 2.6 months (free share 7/8 -> 6/8); b at 3.3 months: 6/8 * 1/6;
    # e at 10.1 months with 5 at risk: 5/8 * 1/5. Total 3/8. Everyone is followed to 31 March 2017 (15 months).
    at = lambda curve, m: curve[curve.index <= m]["incidence"].iloc[-1]
    assert [at(ours, m) for m in (1, 2, 3, 6, 10, 11, 14)] == pytest.approx([0, 1 / 8, 1 / 8, 2 / 8, 2 / 8, 3 / 8, 3 / 8])
    # with no competing event the curve is 1 - Kaplan-Meier: c shot dead at 2.6 months (7/8 left),
    # d shot at 7.0 months (6/7 of those left): 1/8, then 1 - 7/8 * 6/7 = 2/8
    shot = follow_up_table(HAND, HAND_EVENTS, AS_OF, ("shooting_victim", "murder_victim"))
    ours_shot = cumulative_incidence(shot)
    assert [at(ours_shot, m) for m in (1, 3, 6.9, 7.1, 14)] == pytest.approx([0, 1 / 8, 1 / 8, 2 / 8, 2 / 8])


def test_intervals_bracket_the_curve():
    follow = follow_up_table(HAND, HAND_EVENTS, AS_OF, ("arrest_violent_or_gun",), ("murder_victim",))
    curve = cumulative_incidence(follow)
    assert (curve["lower"] <= curve["incidence"] + 1e-12).all() and (curve["incidence"] <= curve["upper"] + 1e-12).all()
    assert (curve["lower"] >= 0).all() and (curve["upper"] <= 1).all()


def test_comparison_group_follow_up_ends_at_a_later_contact():
    from ceasefire_analysis.outcomes import comparison_cohort
    comparison = pd.DataFrame({"participant_id": ["x", "y", "z"],
                               "identified_on": pd.to_datetime(["2016-01-01", "2016-01-01", "2016-06-01"])})
    comms = frame([("y", "2016-07-01", "call_in"), ("z", "2016-05-01", "call_in")],
                  ["participant_id", "occurred_on", "kind"])
    cohort = comparison_cohort(comparison, comms, AS_OF)
    assert cohort["participant_id"].tolist() == ["x", "y"]  # z was contacted before being identified
    events = frame([("y", "2016-03-01", "arrest_violent_or_gun"), ("y", "2016-09-01", "shooting_victim")],
                   ["participant_id", "occurred_on", "event"])
    shot = follow_up_table(cohort, events, AS_OF, ("shooting_victim",)).set_index("participant_id")
    assert shot.loc["y", "code"] == 0  # shot after contact: no longer counts for the comparison group
    assert shot.loc["y", "months"] == pytest.approx(181 / (365.25 / 12))  # censored 2016-06-30
    assert classify_outcomes(cohort, events, AS_OF).tolist() == ["no_action", "arrest_violent_or_gun"]


def test_demo_outcomes_report_shows_breakdown_curves_and_warning(demo_params, demo_data):
    from ceasefire_analysis.outcomes import callin_outcomes_report
    from ceasefire_analysis.review import open_review
    report = callin_outcomes_report(open_review())
    assert "not an evaluation" in report.header.data
    assert "Murder victim" in report.breakdown_table.data
    assert "95% CI" in report.curves_table.data and "People still followed" in report.curves_table.data
    assert "Identified, not contacted" in report.comparison.data and "cannot show" in report.comparison.data
    assert report.curves_chart._repr_png_().startswith(b"\x89PNG")


def test_public_status_chart_keeps_its_legend_inside_and_the_hidden_block_apart():
    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.outcomes import OUTCOME_LABELS, callin_outcomes_report
    from ceasefire_analysis.review import open_review
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    chart = callin_outcomes_report(open_review(str(DEMO_PARAMS), audience="public")).breakdown_chart
    figure = chart.figure
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # laid out as the page's PNG is
    renderer = canvas.get_renderer()
    legend = figure.legends[0]  # below the chart, in space the layout keeps for it
    box, page = legend.get_window_extent(renderer), figure.bbox
    assert box.x0 >= page.x0 and box.x1 <= page.x1 and box.y0 >= page.y0  # not clipped at the edge
    patches = dict(zip([t.get_text() for t in legend.get_texts()], legend.get_patches()))
    hidden, nothing = patches["Hidden small numbers (together)"], patches[OUTCOME_LABELS["no_action"]]
    assert (hidden.get_facecolor(), hidden.get_hatch()) != (nothing.get_facecolor(), nothing.get_hatch())
    assert hidden.get_hatch() and not nothing.get_hatch()  # lines, not a second shade of grey


def test_an_old_participant_events_extract_reads_the_outcomes_as_of_its_last_record(make_city):
    """F21: events cut at 21 Dec 2015 while the other files run to 31 Mar 2017: the call-in page said
    'Status on 31 Mar 2017' and followed everyone to then with no event."""
    from ceasefire_analysis.outcomes import breakdown_for_review, callin_outcomes_report, outcomes_csv, status_day
    from ceasefire_analysis.review import open_review

    contacts = ([{"participant_id": f"PFN-{i}", "occurred_on": "2015-01-10", "kind": "call_in", "highest_risk": "yes"}
                 for i in range(10)]
                + [{"participant_id": "PFN-late", "occurred_on": "2016-06-01", "kind": "call_in", "highest_risk": "no"},
                   {"participant_id": "PFN-0", "occurred_on": "2017-03-31", "kind": "call_in", "highest_risk": "yes"}])
    # an arrest a month for people 1-9, from Feb to Dec 2015 (the file's rhythm: monthly), then nothing
    events = [{"participant_id": f"PFN-{1 + m % 9}", "occurred_on": f"2015-{m:02d}-21", "event": "arrest_violent_or_gun"}
              for m in range(2, 13)]
    incidents = [{"incident_id": "C-1", "occurred_on": "2015-01-01", "incident_type": "homicide"},
                 {"incident_id": "C-2", "occurred_on": "2017-03-31", "incident_type": "homicide"}]
    folder = make_city(communications=contacts, participant_events=events, incidents=incidents)
    review = open_review(None, city="Oldtown", period_start="2017-02", period_end="2017-03", data_dir=str(folder))
    assert dict(review.coverage.stale).get("participant_events") == dt.date(2015, 12, 21)
    assert status_day(review) == dt.date(2015, 12, 21)
    cohort, breakdown = breakdown_for_review(review)
    # by hand: the ten people reached on 10 Jan 2015; PFN-late (June 2016) is after the events' end
    assert sorted(cohort["participant_id"]) == sorted(review.data.communications.loc[
        review.data.communications["occurred_on"] == "2015-01-10", "participant_id"])
    # people 1-9 each had an arrest in 2015 after their call-in; person 0 none
    everyone = breakdown[breakdown["group"] == "all"].set_index("outcome")["people"]
    assert everyone["arrest_violent_or_gun"] == 9 and everyone.sum() == 10
    report = callin_outcomes_report(review)
    assert "participant_events.csv: its last record is 21 Dec 2015" in report.header.data
    assert "Status on 21 Dec 2015" in report.breakdown_table.data
    assert "31 Mar 2017" not in report.breakdown_table.data
    assert "as of 2015-12-21" in outcomes_csv(review)
    # a current events file changes nothing: the status is read at the period's end
    events.append({"participant_id": "PFN-3", "occurred_on": "2017-03-20", "event": "arrest_violent_or_gun"})
    current = open_review(None, city="Oldtown", period_start="2017-02", period_end="2017-03",
                          data_dir=str(make_city("current", communications=contacts, participant_events=events,
                                                 incidents=incidents)))
    assert status_day(current) == dt.date(2017, 3, 31)
    assert "its last record is" not in callin_outcomes_report(current).header.data
