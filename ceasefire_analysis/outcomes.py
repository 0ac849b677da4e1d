"""What happened after a call-in or custom notification: descriptive monitoring.

Two views:
- the seed's breakdown: each person in exactly one category as of a date, by precedence
  (murder victim, shooting victim, arrest for a violent or gun offense, suspect not
  arrested, no action);
- follow-up-aware curves: cumulative incidence over months since first contact, with
  censoring at the as-of date and 95% confidence intervals (lifelines' Aalen-Johansen
  estimator; being killed competes with a later arrest).

Neither is an evaluation: without an appropriate comparison group, nothing here says
what the intervention caused.
"""
from __future__ import annotations

import datetime as dt
import html
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from IPython.display import HTML

from . import schema
from .charts import (
    BENCHMARK_COLOUR, CURRENT_COLOUR, PRIOR_COLOUR, Chart, content_key, fitted_title, label_axes, mark_synthetic,
    name_the_city,
    new_figure, new_panels,
)
from .coverage import followed_to
from .formatting import as_of_day, format_count, format_day, format_share
from .privacy import (
    COMPLEMENTARY, Relation, followed_text, hidden_text, protect_cumulative_events, shown_count, suppress_cells,
    suppresses_small_counts,
)
from .review import PeriodReview
from .tables import NOT_RECORDED_TEXT, REPORT_CSS, html_table

WARNING_TEXT = ("Descriptive monitoring, not an evaluation. These figures describe what happened to people after "
                "they were reached; they do not show what the call-ins or notifications caused. A formal "
                "evaluation needs an appropriate comparison group.")
OUTCOME_ORDER = ("murder_victim", "shooting_victim", "arrest_violent_or_gun", "suspect_violent_not_arrested",
                 "no_action")
OUTCOME_LABELS = {
    "murder_victim": "Murder victim",
    "shooting_victim": "Victim of a shooting (survived)",
    "arrest_violent_or_gun": "Arrested for a violent or gun offense",
    "suspect_violent_not_arrested": "Suspect in a violent offense, not arrested",
    "no_action": "No arrest or victimisation recorded",
}
GROUPS = ("all", schema.CALL_IN, schema.CUSTOM_NOTIFICATION)
GROUP_LABELS = {"all": "Everyone", schema.CALL_IN: "First reached at a call-in",
                schema.CUSTOM_NOTIFICATION: "First reached by custom notification"}
DAYS_PER_MONTH = 365.25 / 12
CURVE_OUTCOMES = {
    "arrest": ("Arrested for a violent or gun offense", ("arrest_violent_or_gun",), ("murder_victim",)),
    "shot_or_killed": ("Shot or killed", ("shooting_victim", "murder_victim"), ()),
}
MILESTONES = (6, 12, 24)
COHORT_LABELS = {"any": "everyone reached", schema.CALL_IN: "people first reached at a call-in",
                 schema.CUSTOM_NOTIFICATION: "people first reached by custom notification"}
COMPARISON_CAVEAT = ("A comparison group describes a second group of people; it cannot show what the intervention "
                     "caused. People chosen for a call-in or notification may differ from those who were not in "
                     "ways the data do not record (how active their group was, whether they could be found, "
                     "whether they were in custody), and those differences alone can make the groups' outcomes "
                     "differ.")


# --------------------------------------------------------------------------- cohort and breakdown

def first_contacts(communications: pd.DataFrame, as_of: dt.date, kind: str | None = None) -> pd.DataFrame:
    """One row per person first reached on or before ``as_of``: ``participant_id, first_on, first_kind``.

    ``kind`` keeps only people whose first communication was of that kind. When a
    person's first day has both kinds, the call-in counts as first.
    """
    upto = communications[communications["occurred_on"] <= pd.Timestamp(as_of)]
    ordered = upto.assign(_rank=(upto["kind"] != schema.CALL_IN).astype(int)).sort_values(
        ["participant_id", "occurred_on", "_rank"])
    first = ordered.groupby("participant_id", sort=True).head(1)
    cohort = pd.DataFrame({"participant_id": first["participant_id"].to_numpy(),
                           "first_on": first["occurred_on"].to_numpy(), "first_kind": first["kind"].to_numpy()})
    if kind is not None:
        cohort = cohort[cohort["first_kind"] == kind]
    return cohort.reset_index(drop=True)


def comparison_cohort(comparison: pd.DataFrame, communications: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The comparison group as a cohort: follow-up starts when identified and ends at any later contact.

    Someone identified and later reached stops counting as "not contacted" on the day
    before that contact (``censor_on``).
    """
    upto = comparison[comparison["identified_on"] <= pd.Timestamp(as_of)]
    first = upto.groupby("participant_id", sort=True)["identified_on"].min()
    contacts = communications.groupby("participant_id")["occurred_on"].min()
    cohort = pd.DataFrame({"participant_id": first.index, "first_on": first.to_numpy(), "first_kind": "comparison"})
    contacted = pd.to_datetime(cohort["participant_id"].map(contacts))
    cohort["censor_on"] = (contacted - pd.Timedelta(days=1)).where(contacted > cohort["first_on"])
    return cohort[~(contacted <= cohort["first_on"])].reset_index(drop=True)


def events_after_contact(cohort: pd.DataFrame, events: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    """Events strictly after each person's first contact and on or before ``as_of``."""
    if events is None or events.empty:
        return pd.DataFrame(columns=["participant_id", "occurred_on", "event", "first_on"])
    columns = ["participant_id", "first_on"] + (["censor_on"] if "censor_on" in cohort else [])
    joined = events.merge(cohort[columns], on="participant_id", how="inner")
    keep = (joined["occurred_on"] > joined["first_on"]) & (joined["occurred_on"] <= pd.Timestamp(as_of))
    if "censor_on" in joined:
        keep &= ~(joined["occurred_on"] > joined["censor_on"])
    return joined[keep]


def classify_outcomes(cohort: pd.DataFrame, events: pd.DataFrame | None, as_of: dt.date) -> pd.Series:
    """Each person's single category as of ``as_of``, by the seed's precedence.

    >>> cohort = pd.DataFrame({"participant_id": ["a", "b", "c"],
    ...                        "first_on": pd.to_datetime(["2016-01-01"] * 3)})
    >>> events = pd.DataFrame({"participant_id": ["a", "a", "b"],
    ...     "occurred_on": pd.to_datetime(["2016-03-01", "2016-06-01", "2015-12-01"]),
    ...     "event": ["arrest_violent_or_gun", "shooting_victim", "murder_victim"]})
    >>> classify_outcomes(cohort, events, dt.date(2017, 3, 31)).tolist()
    ['shooting_victim', 'no_action', 'no_action']
    """
    after = events_after_contact(cohort, events, as_of)
    rank = {name: i for i, name in enumerate(OUTCOME_ORDER)}
    if after.empty:
        return pd.Series("no_action", index=cohort.index)
    best = after.assign(_rank=after["event"].map(rank)).groupby("participant_id")["_rank"].min()
    ranks = cohort["participant_id"].map(best).fillna(rank["no_action"]).astype(int)
    return ranks.map(dict(enumerate(OUTCOME_ORDER)))


def outcome_breakdown(cohort: pd.DataFrame, events: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    """People and shares per category, for everyone and by the kind of first contact.

    Columns: ``group, outcome, people, share`` (share of the group; NaN for an empty group).
    """
    categories = classify_outcomes(cohort, events, as_of)
    rows = []
    for group in GROUPS:
        mask = pd.Series(True, index=cohort.index) if group == "all" else cohort["first_kind"] == group
        counts = categories[mask].value_counts()
        total = int(mask.sum())
        for outcome in OUTCOME_ORDER:
            people = int(counts.get(outcome, 0))
            rows.append({"group": group, "outcome": outcome, "people": people,
                         "share": people / total if total else math.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- small numbers

def suppresses(review: PeriodReview) -> bool:
    """Partner and public reports hide small numbers about participants (the rule lives in ``privacy``)."""
    return suppresses_small_counts(review.params.audience)


def breakdown_cells(breakdown: pd.DataFrame) -> tuple[dict[str, int], list[Relation]]:
    """The breakdown as cells and the relations a reader can use between them.

    Each group's size is published (it is the denominator of every share), each group's
    outcomes add up to its size, and everyone = first reached at a call-in + first
    reached by custom notification, outcome by outcome and in size.
    """
    values: dict[str, int] = {}
    for _, r in breakdown.iterrows():
        values[f"{r['group']}/{r['outcome']}"] = int(r["people"])
    for group in GROUPS:
        values[f"{group}/size"] = sum(values[f"{group}/{o}"] for o in OUTCOME_ORDER)
    relations = [Relation.group(f"{g}/size", [f"{g}/{o}" for o in OUTCOME_ORDER]) for g in GROUPS]
    parts = [g for g in GROUPS if g != "all"]
    for column in list(OUTCOME_ORDER) + ["size"]:
        relations.append(Relation.total(f"all/{column}", [f"{g}/{column}" for g in parts]))
    return values, relations


def snapshot_cells(communications: pd.DataFrame, events: pd.DataFrame | None,
                   day: dt.date) -> tuple[dict[str, int], list[Relation]]:
    """The call-in page's published counts as of ``day`` and the relations between them: the breakdown
    (:func:`breakdown_cells`) and people first reached in each year (``entry/<year>``), which add up to everyone."""
    cohort = first_contacts(communications, day)
    values, relations = breakdown_cells(outcome_breakdown(cohort, events, day))
    years = cohort["first_on"].dt.year.value_counts().sort_index()
    for year, n in years.items():
        values[f"entry/{year}"] = int(n)
    if len(years):
        relations.append(Relation.total("all/size", [f"entry/{y}" for y in years.index]))
    return values, relations


def _in_year(relation: Relation, year: int) -> Relation:
    return Relation(tuple((f"{year}|{cell}", coef) for cell, coef in relation.terms))


def year_end_hidden(communications: pd.DataFrame, events: pd.DataFrame | None, last_year: int,
                    threshold: int) -> dict[int, dict[str, str]]:
    """Which cells of each year-end snapshot (31 December, from the first contact's year to ``last_year``)
    partner and public copies hide: ``{year: {cell: "small" | "complementary"}}``.

    Partner and public call-in pages are read on 31 December of the last complete year, so every copy of
    a year shows the same numbers. From one year's copy to the next, how many people of a group newly
    reached each outcome or a more serious one (``rise_to_<outcome>``; up to "no action", the people
    first reached in the year) is a count of people too: a small one is protected with the cells of the
    year, the previous year's copy being taken as published (its shown cells known, its hidden cells
    unknown). The years are decided in order, each from the year before it, exactly as their own copies
    were, so the result does not depend on when it is computed. Not checked: three or more years' copies
    read together (a cell hidden in the middle year and shown in the years either side of it). The
    complements are chosen one at a time (``privacy.suppress_cells``), so a small change can hide much
    of a year's table: more than needed, never less.

    >>> comms = pd.DataFrame({"participant_id": [f"p{i}" for i in range(40)], "kind": "call_in",
    ...                       "occurred_on": pd.to_datetime(["2015-03-01"] * 20 + ["2016-03-01"] * 20)})
    >>> shot = pd.DataFrame({"participant_id": ["p0", "p1", "p2", "p3", "p4", "p5"], "event": "shooting_victim",
    ...                      "occurred_on": pd.to_datetime(["2015-06-01"] * 5 + ["2016-06-01"])})
    >>> hidden = year_end_hidden(comms, shot, 2016, 5)  # 5 shot by the end of 2015, 6 by the end of 2016
    >>> hidden[2015], "call_in/shooting_victim" in hidden[2016]
    ({}, True)
    """
    key = content_key("year_end_hidden", communications, events, last_year, threshold)
    if key in _YEAR_END_MEMO:
        return _YEAR_END_MEMO[key]
    decided: dict[int, dict[str, str]] = {}
    start = communications["occurred_on"].min().year if len(communications) else last_year + 1
    before: dict[str, int] = {}
    for year in range(start, last_year + 1):
        cells, rules = snapshot_cells(communications, events, dt.date(year, 12, 31))
        values = {f"{year}|{c}": v for c, v in cells.items()}
        relations = [_in_year(r, year) for r in rules]
        unpublished: set[str] = set()  # the rises, and last year's hidden cells: the reader does not see them
        rises: set[str] = set()  # the reader knows only that they are 0 or more
        published: set[str] = set()  # last year's shown cells: known to the reader whatever this copy hides
        if before:
            last = year - 1
            values.update({f"{last}|{c}": v for c, v in before.items()})
            relations += [_in_year(r, last) for r in before_rules]
            unpublished |= {f"{last}|{c}" for c in decided[last]}
            published |= {f"{last}|{c}" for c in before if c not in decided[last]}
            for group in GROUPS:
                for k, outcome in enumerate(OUTCOME_ORDER):
                    levels = OUTCOME_ORDER[:k + 1]
                    rise = f"{year}|{group}/rise_to_{outcome}"
                    values[rise] = sum(cells[f"{group}/{o}"] for o in levels) - sum(before[f"{group}/{o}"] for o in levels)
                    unpublished.add(rise)
                    rises.add(rise)
                    relations.append(Relation(tuple((f"{year}|{group}/{o}", 1) for o in levels)
                                              + tuple((f"{last}|{group}/{o}", -1) for o in levels)
                                              + ((rise, -1),)))
            for cell in cells:  # people first reached in an earlier year are the same people in every copy
                if cell in before and cell.startswith("entry/"):
                    relations.append(Relation(((f"{year}|{cell}", 1), (f"{last}|{cell}", -1))))
        hidden = suppress_cells(values, relations, threshold, unpublished, fixed=published, free=rises)
        decided[year] = {c.partition("|")[2]: kind for c, kind in hidden.items() if c.startswith(f"{year}|")}
        before, before_rules = cells, rules
    if len(_YEAR_END_MEMO) >= 8:
        _YEAR_END_MEMO.pop(next(iter(_YEAR_END_MEMO)))
    _YEAR_END_MEMO[key] = decided
    return decided


_YEAR_END_MEMO: dict[str, dict[int, dict[str, str]]] = {}  # each page asks several times for the same years


def breakdown_hidden(review: PeriodReview) -> dict[str, str]:
    """Which cells of the call-in report (``group/outcome``, ``group/size``, ``entry/<year>``: people first
    reached in a year, which add up to everyone) this audience may not see.

    Partner and public pages show the breakdown as of :func:`status_day`, a 31 December; their cells are
    protected with the earlier years' copies (:func:`year_end_hidden`)."""
    if not suppresses(review):
        return {}
    day = status_day(review)
    return year_end_hidden(review.data.communications, review.data.participant_events, day.year,
                           review.params.small_count_threshold).get(day.year, {})


# --------------------------------------------------------------------------- curves

def follow_up_table(cohort: pd.DataFrame, events: pd.DataFrame | None, as_of: dt.date,
                    event_types: tuple[str, ...], competing_types: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per person: months from first contact to the first event of interest, a competing event, or censoring.

    ``code`` is 1 for the event of interest, 2 for a competing event that came first
    (e.g. killed before any arrest), 0 for censored at ``as_of``.
    """
    after = events_after_contact(cohort, events, as_of)
    end = pd.Timestamp(as_of)

    def first_of(types: tuple[str, ...]) -> pd.Series:
        chosen = after[after["event"].isin(types)]
        firsts = chosen.groupby("participant_id")["occurred_on"].min()
        return pd.to_datetime(cohort["participant_id"].map(firsts))

    interest = first_of(event_types)
    competing = first_of(competing_types)
    code = np.where(interest.notna() & ~(competing < interest), 1, np.where(competing.notna(), 2, 0))
    censor = pd.Series(end, index=cohort.index)
    if "censor_on" in cohort:
        censor = cohort["censor_on"].where(cohort["censor_on"] < end, end).fillna(end)
    stop = interest.where(code == 1, competing.where(code == 2, censor))
    months = (pd.to_datetime(stop) - cohort["first_on"]).dt.days / DAYS_PER_MONTH
    return pd.DataFrame({"participant_id": cohort["participant_id"], "months": months.astype(float),
                         "code": code.astype(int), "first_on": cohort["first_on"]})


def cumulative_incidence(follow_up: pd.DataFrame) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of code 1, with a 95% interval, indexed by months.

    Columns: ``incidence, lower, upper``. Uses lifelines; ties are broken by its
    seeded jitter so the result is the same on every run.
    """
    from lifelines import AalenJohansenFitter  # heavy: imported only when a curve is fitted

    if follow_up.empty:
        return pd.DataFrame(columns=["incidence", "lower", "upper"])
    fitter = AalenJohansenFitter(seed=0, calculate_variance=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns about the jitter it applies to ties
        # A person with no follow-up yet (reached today) enters at a hair above zero.
        fitter.fit(follow_up["months"].clip(lower=1e-6), follow_up["code"], event_of_interest=1)
    curve = fitter.cumulative_density_.iloc[:, 0].rename("incidence").to_frame()
    ci = fitter.confidence_interval_cumulative_density_
    curve["lower"] = ci.iloc[:, 0].clip(lower=0).to_numpy()
    curve["upper"] = ci.iloc[:, 1].clip(upper=1).to_numpy()
    curve["lower"] = curve["lower"].fillna(0.0)
    curve["upper"] = curve["upper"].fillna(0.0)
    return curve


def at_risk(follow_up: pd.DataFrame, months: float) -> int:
    """People still followed (no event, not censored) just before ``months``."""
    return int((follow_up["months"] >= months).sum())


def incidence_at(curve: pd.DataFrame, months: float) -> pd.Series:
    """The step curve's value at ``months`` (0 before the first event)."""
    before = curve[curve.index <= months]
    if before.empty:
        return pd.Series({"incidence": 0.0, "lower": 0.0, "upper": 0.0})
    return before.iloc[-1]


def fit_curves(cohort: pd.DataFrame, events: pd.DataFrame | None, as_of: dt.date) -> dict:
    """Follow-up table and cumulative-incidence curve of a cohort for each curve outcome."""
    fits = {}
    for key, (_, types, competing) in CURVE_OUTCOMES.items():
        follow = follow_up_table(cohort, events, as_of, types, competing)
        fits[key] = (follow, cumulative_incidence(follow))
    return fits


def milestone_rows(fits: dict, milestones: tuple[int, ...] = MILESTONES) -> pd.DataFrame:
    """Incidence with its interval and the number still followed at each milestone, from fitted curves.

    ``events`` is how many had the outcome by the milestone, ``people`` the cohort's size (for suppression).
    """
    rows = []
    for key, (follow, curve) in fits.items():
        for m in milestones:
            followed = at_risk(follow, m)
            point = incidence_at(curve, m) if followed > 0 else pd.Series(
                {"incidence": math.nan, "lower": math.nan, "upper": math.nan})
            events = int(((follow["code"] == 1) & (follow["months"] <= m)).sum())
            rows.append({"outcome": key, "label": CURVE_OUTCOMES[key][0], "months": m, "still_followed": followed,
                         "incidence": point["incidence"], "lower": point["lower"], "upper": point["upper"],
                         "events": events, "people": len(follow)})
    return pd.DataFrame(rows)


def milestone_table(cohort: pd.DataFrame, events: pd.DataFrame | None, as_of: dt.date,
                    milestones: tuple[int, ...] = MILESTONES) -> pd.DataFrame:
    """Cumulative incidence at 6, 12 and 24 months for each curve outcome, with the number still followed.

    At a milestone nobody has reached yet (everyone reached too recently) the incidence is
    NaN: a person contacted last week contributes no 6-month outcome.
    """
    return milestone_rows(fit_curves(cohort, events, as_of), milestones)


# --------------------------------------------------------------------------- the report

@dataclass
class OutcomesReport:
    header: HTML
    breakdown_table: HTML
    breakdown_chart: Chart | HTML
    curves_chart: Chart | HTML
    curves_table: HTML
    cohort_table: HTML
    comparison: HTML


def _pct(x: float) -> str:
    return format_share(x)


def _events_day(review: PeriodReview) -> dt.date:
    """The period's end, or the last record of participant_events.csv when that file is an old extract."""
    return followed_to(review.coverage, "participant_events", review.params.windows.end)


def _data_through(review: PeriodReview) -> dt.date | None:
    return review.coverage.through if review.coverage is not None else None


def latest_status_day(review: PeriodReview) -> dt.date:
    """The latest day the call-in outcomes can be read as of: the period's end, or the last record of
    participant_events.csv when that file is an old extract (follow-up past its last record would count events
    nobody recorded as none), or the data's last day when the extract stops before the period's end
    (``data_through`` inside the period)."""
    day, through = _events_day(review), _data_through(review)
    return day if through is None else min(day, through)


def status_label(review: PeriodReview) -> str:
    """:func:`status_day` as the page's labels say it: "15 Mar 2017 (latest data)" when the data stop early; a
    partner or public page's year-end snapshot as its plain day."""
    if suppresses(review):
        return format_day(status_day(review))
    return as_of_day(_events_day(review), _data_through(review))


def data_cut_html(review: PeriodReview) -> str:
    """The line a page carries when the data stop before the review period's end ('' when they do not, and on
    partner and public pages, which are read as of an earlier 31 December anyway)."""
    through, end = _data_through(review), review.params.windows.end
    if suppresses(review) or through is None or through >= end or _events_day(review) < through:
        return ""
    return (f'<p class="cf-note">The data run through {format_day(through)}, before the end of the review period '
            f"({format_day(end)}): people reached after that day, and anything that happened to anyone after it, "
            "are not in this page.</p>")


def year_end_on_or_before(day: dt.date) -> dt.date:
    """The last 31 December on or before ``day``.

    >>> year_end_on_or_before(dt.date(2017, 3, 31)), year_end_on_or_before(dt.date(2016, 12, 31))
    (datetime.date(2016, 12, 31), datetime.date(2016, 12, 31))
    """
    return dt.date(day.year if (day.month, day.day) == (12, 31) else day.year - 1, 12, 31)


def status_day(review: PeriodReview) -> dt.date:
    """The day the call-in outcomes are read as of.

    Internal pages: :func:`latest_status_day`. Partner and public pages: the last 31 December on or
    before it (and within the data): the breakdown and the curves are running totals, so two copies read
    at two period ends would give, by subtraction, the people shot or arrested in between; every partner
    or public copy of a year shows the same snapshot instead.
    """
    day = latest_status_day(review)
    return year_end_on_or_before(day) if suppresses(review) else day


def snapshot_note(review: PeriodReview) -> str:
    """What a partner or public page says about its status day ('' for internal pages)."""
    if not suppresses(review):
        return ""
    return (f"Status on {format_day(status_day(review))}. Partner and public copies of this page are updated once a "
            "year, so that two reports cannot be subtracted to single out a person.")


def nobody_by_snapshot(review: PeriodReview) -> bool:
    """True for a partner or public page whose snapshot day comes before anyone was reached: no complete
    calendar year of the programme yet, so no figures at all."""
    comms = review.data.communications
    return suppresses(review) and (comms is None or not (comms["occurred_on"] <= pd.Timestamp(status_day(review))).any())


def stale_events_html(review: PeriodReview) -> str:
    """The warning a page built from an old participant_events.csv carries ('' when the file is current)."""
    day = _events_day(review)
    if day >= review.params.windows.end:
        return ""
    shown = status_day(review)
    return (f'<div class="cf-banner">participant_events.csv: its last record is {format_day(day)}, well before the '
            f"end of the review period ({format_day(review.params.windows.end)}); it may be an old extract. Status and "
            f"follow-up are shown as of {format_day(shown)}"
            f"{' (the latest event recorded)' if shown == day else ''}: people reached later, and "
            "anything that happened later, are not in this report.</div>")


def breakdown_for_review(review: PeriodReview) -> tuple[pd.DataFrame, pd.DataFrame]:
    as_of = status_day(review)
    cohort = first_contacts(review.data.communications, as_of)
    return cohort, outcome_breakdown(cohort, review.data.participant_events, as_of)


def breakdown_display(breakdown: pd.DataFrame, review: PeriodReview) -> pd.DataFrame:
    """The breakdown as text, small numbers hidden for partner and public audiences.

    Hidden cells lose their share too (a share and the group's size give the count), and
    a group whose size is hidden shows no share at all. Columns: ``group, outcome, people,
    share`` as text, plus ``hidden`` (the suppression reason or empty).
    """
    hidden = breakdown_hidden(review)
    threshold = review.params.small_count_threshold
    shown = breakdown.copy()
    shown["people"] = shown["people"].map(str)
    shown["share"] = breakdown["share"].map(_pct)
    shown["hidden"] = ""
    for i, r in breakdown.iterrows():
        kind = hidden.get(f"{r['group']}/{r['outcome']}")
        if kind or hidden.get(f"{r['group']}/size"):
            shown.at[i, "share"] = "hidden"
        if kind:
            shown.at[i, "people"] = hidden_text(kind, threshold)
            shown.at[i, "hidden"] = kind
    return shown


def group_sizes_text(breakdown: pd.DataFrame, review: PeriodReview) -> str:
    """'everyone: 40, first reached at a call-in: 20, ...' with hidden sizes as such."""
    hidden = breakdown_hidden(review)
    parts = []
    for g in GROUPS:
        size = int(breakdown.loc[breakdown["group"] == g, "people"].sum())
        kind = hidden.get(f"{g}/size")
        parts.append(f"{GROUP_LABELS[g].lower()}: {hidden_text(kind, review.params.small_count_threshold) if kind else size}")
    return ", ".join(parts)


def cohort_sizes_shown(cohort: pd.DataFrame, breakdown: pd.DataFrame, review: PeriodReview) -> dict[int, str]:
    """People first reached in each year, as text: the years add up to everyone, so they are protected together
    with the breakdown's cells."""
    years = cohort["first_on"].dt.year.value_counts().sort_index()
    hidden = breakdown_hidden(review)
    threshold = review.params.small_count_threshold
    return {int(y): hidden_text(hidden[f"entry/{y}"], threshold) if f"entry/{y}" in hidden else format_count(n)
            for y, n in years.items()}


def curve_points_hidden(review: PeriodReview, cohort: pd.DataFrame, breakdown: pd.DataFrame,
                        fits: dict[str, dict], comparison_size: int | None = None) -> set[tuple[str, int]]:
    """The ``(series, months)`` points of the follow-up curves this audience may not see.

    ``fits`` maps a cohort (``all``, ``call_in``, ``custom_notification``, ``comparison`` or an entry
    year ``y2015``) to its fitted curves; a series is ``<cohort>:<outcome>``. Everyone's count at a
    point is the sum of the entry years' and of the two kinds of first contact, so they are protected
    together (the rule lives in ``privacy.protect_cumulative_events``). Empty for the internal audience.
    """
    if not suppresses(review):
        return set()
    threshold = review.params.small_count_threshold
    hidden_cells = breakdown_hidden(review)
    full = dict(fits)
    for kind in (schema.CALL_IN, schema.CUSTOM_NOTIFICATION):
        if kind not in full:  # not printed, but it adds up with the other kind to everyone
            full[kind] = fit_curves(cohort[cohort["first_kind"] == kind], review.data.participant_events,
                                    status_day(review))
    if "all" not in full:
        full["all"] = fit_curves(cohort, review.data.participant_events, status_day(review))
    events, sizes, unprinted, hidden_sizes = {}, {}, set(), set()
    for who, cohort_fits in full.items():
        size_cell = "comparison" if who == "comparison" else (f"entry/{who[1:]}" if who.startswith("y") else
                                                              f"{who}/size")
        for _, r in milestone_rows(cohort_fits, (12,) if who.startswith("y") else MILESTONES).iterrows():
            series = f"{who}:{r['outcome']}"
            events.setdefault(series, {})[int(r["months"])] = int(r["events"])
            sizes[series] = int(r["people"])
            if who not in fits or r["still_followed"] == 0:
                unprinted.add((series, int(r["months"])))
            if size_cell in hidden_cells or (who == "comparison" and 0 < (comparison_size or 0) < threshold):
                hidden_sizes.add(series)
    sums = []
    for outcome in CURVE_OUTCOMES:
        sums.append((f"all:{outcome}", [f"{k}:{outcome}" for k in (schema.CALL_IN, schema.CUSTOM_NOTIFICATION)]))
        years = [f"{w}:{outcome}" for w in full if w.startswith("y")]
        if years:
            sums.append((f"all:{outcome}", years))
    return protect_cumulative_events(events, sizes, threshold, sums, unprinted, hidden_sizes)


def outcomes_csv(review: PeriodReview) -> str | None:
    """The text of ``callin_outcomes.csv``: the breakdown, with the warning in its header lines.

    ``None`` when there are no participant events or no communications (the publisher then writes no file).
    """
    if review.data.participant_events is None or review.data.communications is None or nobody_by_snapshot(review):
        return None
    _, breakdown = breakdown_for_review(review)
    shown = breakdown
    if suppresses(review):
        display = breakdown_display(breakdown, review)
        shown = breakdown.assign(people=display["people"], share=breakdown["share"].where(display["share"] != "hidden"))
    header = f"# {WARNING_TEXT}\n# Period {review.params.period_id}, as of {status_day(review)}.\n"
    return header + shown.to_csv(index=False, float_format="%.6g", lineterminator="\n")


def _breakdown_chart(breakdown: pd.DataFrame, review: PeriodReview) -> Chart:
    fig, ax = new_figure(9.0, 3.8)
    colours = ["#67001f", "#d6604d", "#f4a582", "#92c5de", "#e0e0e0"]
    hatches = ["xx", "//", "..", "\\\\", ""]
    groups = list(GROUPS)
    hidden = breakdown_hidden(review)
    hidden_labelled = False
    for g_index, group in enumerate(groups):
        left = 0.0
        part = breakdown[breakdown["group"] == group].set_index("outcome")
        if hidden.get(f"{group}/size"):
            ax.text(1, g_index, "hidden (would reveal a small number)", va="center", fontsize=8)
            continue
        for o_index, outcome in enumerate(OUTCOME_ORDER):
            share = part.loc[outcome, "share"]
            share = 0.0 if math.isnan(share) else share
            if hidden.get(f"{group}/{outcome}"):
                continue  # a hidden count's segment is not drawn: its width would give it away
            ax.barh(g_index, share * 100, left=left, color=colours[o_index], hatch=hatches[o_index],
                    edgecolor="#333", label=OUTCOME_LABELS[outcome] if g_index == 0 else None)
            left += share * 100
        if any(hidden.get(f"{group}/{o}") for o in OUTCOME_ORDER):
            # the hidden cells together, as one grey block: their sum follows from the table anyway
            # white with dark horizontal lines: told apart from the plain light grey of "no record" on paper too
            ax.barh(g_index, 100 - left, left=left, color="#ffffff", hatch="--", edgecolor="#333",
                    label=None if hidden_labelled else "Hidden small numbers (together)")
            hidden_labelled = True
    ax.set_yticks(range(len(groups)), [GROUP_LABELS[g] for g in groups])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of people in the group (%)")
    ax.set_title(fitted_title(ax, f"Status as of {status_label(review)} of everyone reached so far (one category "
                                  "each)"))
    # below the chart, in space the layout keeps for it, in two columns: three ran past the right edge
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    name_the_city(fig, review.params.city)
    mark_synthetic(fig, review.is_demo)
    return Chart(fig)


def comparison_for(review: PeriodReview, as_of: dt.date) -> pd.DataFrame | None:
    """The comparison group's cohort, or None when the city supplied none."""
    comparison = review.data.comparison_group
    if comparison is None:
        return None
    return comparison_cohort(comparison, review.data.communications, as_of)


def comparison_html(review: PeriodReview, cohort: pd.DataFrame, reached_fits: dict, group: pd.DataFrame | None,
                    group_fits: dict | None, hidden_points: set[tuple[str, int]] = frozenset()) -> HTML:
    """The comparison group side by side with everyone reached, and what it can and cannot show."""
    head = '<div class="cf-report"><h2>Comparison group</h2>'
    if group is None:
        return HTML(head + "<p>No comparison group was supplied. A file comparison_group.csv (participant_id, "
                    "identified_on) of people identified as very high risk but not yet contacted would be shown "
                    f"here side by side.</p><p>{html.escape(COMPARISON_CAVEAT)}</p></div>")
    reached = milestone_rows(reached_fits).assign(group="Reached by direct communication")
    reached["series"] = "all:" + reached["outcome"]
    compared = milestone_rows(group_fits).assign(group="Identified, not contacted")
    compared["series"] = "comparison:" + compared["outcome"]
    both = pd.concat([reached, compared], ignore_index=True)
    both["label"] = both["group"] + ": " + both["label"]
    both = both.sort_values(["outcome", "months", "group"], kind="stable")
    table = _milestone_html(both, review, f"Side by side: {shown_count(len(cohort), review.params.small_count_threshold, review.params.audience)} "
                                          f"people reached, {shown_count(len(group), review.params.small_count_threshold, review.params.audience)} identified "
                                          "but not contacted (follow-up ends if they are later contacted)",
                           hidden_points)
    return HTML(head + f'<div class="cf-banner">{html.escape(COMPARISON_CAVEAT)}</div>' + table + "</div>")


def _protected_points(fits: dict, key: str, who: str, hidden_points: set[tuple[str, int]]) -> pd.DataFrame:
    """The milestones of one curve a partner or public chart may draw: printed, followed, not hidden."""
    rows = milestone_rows({key: fits[key]})
    keep = rows["incidence"].notna() & ~rows["months"].map(lambda m: (f"{who}:{key}", int(m)) in hidden_points)
    return rows[keep]


def _curves_chart(fits: dict, comparison_fits: dict | None, review: PeriodReview,
                  hidden_points: set[tuple[str, int]] = frozenset()) -> Chart:
    """The curves; for partner and public only their points at 6, 12 and 24 months that the tables may print
    (each step of a full curve is one person's event)."""
    fig, axes = new_panels(9.0, 4.2, 1, 2, sharey=True)
    colours = {"arrest": CURRENT_COLOUR, "shot_or_killed": BENCHMARK_COLOUR}
    horizon = 36
    protect = suppresses(review)
    who = "all" if review.params.outcomes_cohort == "any" else review.params.outcomes_cohort
    threshold = review.params.small_count_threshold
    for ax, (key, (label, _, _)) in zip(axes, CURVE_OUTCOMES.items()):
        follow, curve = fits[key]
        if protect:
            points = _protected_points(fits, key, who, hidden_points)
            months = [0.0] + points["months"].astype(float).tolist()
            ax.plot(months, [0.0] + (points["incidence"] * 100).tolist(), color=colours[key], marker="o",
                    label="Cumulative incidence at 6, 12, 24 months")
            if len(points):
                ax.errorbar(points["months"].to_numpy(float), (points["incidence"] * 100).to_numpy(float),
                            yerr=[((points["incidence"] - points["lower"]) * 100).to_numpy(float),
                                  ((points["upper"] - points["incidence"]) * 100).to_numpy(float)],
                            fmt="none", ecolor=colours[key], capsize=4, label="95% confidence interval")
            if comparison_fits:
                other = _protected_points(comparison_fits, key, "comparison", hidden_points)
                ax.plot([0.0] + other["months"].astype(float).tolist(), [0.0] + (other["incidence"] * 100).tolist(),
                        color=PRIOR_COLOUR, linestyle="--", marker="s",
                        label="Comparison group (identified, not contacted)")
        else:
            curve = curve[curve.index <= horizon]
            ax.step(curve.index, curve["incidence"] * 100, where="post", color=colours[key],
                    label="Cumulative incidence")
            ax.fill_between(curve.index, curve["lower"] * 100, curve["upper"] * 100, step="post",
                            color=colours[key], alpha=0.2, label="95% confidence interval")
            if comparison_fits:
                other = comparison_fits[key][1]
                other = other[other.index <= horizon]
                ax.step(other.index, other["incidence"] * 100, where="post", color=PRIOR_COLOUR, linestyle="--",
                        label="Comparison group (identified, not contacted)")
        some_hidden = protect and len(points) < len(MILESTONES)
        label_axes(ax, "Months since first direct communication" + (
            "\n(some points hidden: they would reveal a small number)" if some_hidden else ""),
            "People with the outcome (%)" if key == "arrest" else "", label, grid_axis="both")
        ax.set_xlim(0, horizon)
        ticks = [0, 6, 12, 24, 36]
        shown = [followed_text(at_risk(follow, t), threshold, review.params.audience).replace(
            f"fewer than {threshold}", f"<{threshold}") for t in ticks]
        ax.set_xticks(ticks, [f"{t}\n({s})" for t, s in zip(ticks, shown)], fontsize=7 if protect else None)
    axes[0].legend(loc="upper left", fontsize=8, frameon=False)
    who_label = COHORT_LABELS[review.params.outcomes_cohort]
    fig.suptitle(f"Outcomes over time since first contact, {who_label}, to {status_day(review):%d %B %Y} "
                 "(numbers still followed in brackets)")
    name_the_city(fig, review.params.city)
    mark_synthetic(fig, review.is_demo)
    return Chart(fig)


def _milestone_html(table: pd.DataFrame, review: PeriodReview, caption: str,
                    hidden_points: set[tuple[str, int]] = frozenset()) -> str:
    """Rows of incidence at milestones; ``table`` may name each row's ``series`` (see :func:`curve_points_hidden`)."""
    threshold = review.params.small_count_threshold
    audience = review.params.audience
    rows = []
    for _, r in table.iterrows():
        followed = r["still_followed"]
        small = suppresses(review) and 0 < followed < threshold
        value = "not enough follow-up yet" if math.isnan(r["incidence"]) else (
            f"{_pct(r['incidence'])} (95% CI {_pct(r['lower'])}–{_pct(r['upper'])})")
        if small:
            value = f"fewer than {threshold} followed"
        elif (r.get("series"), int(r["months"])) in hidden_points:
            value = hidden_text(COMPLEMENTARY, threshold)
        rows.append([r["label"], f"{r['months']} months", value, followed_text(followed, threshold, audience)])
    return html_table(["Outcome", "Since first contact", "Cumulative incidence", "People still followed"], rows,
                      caption, stacked=True)


def callin_outcomes_report(review: PeriodReview) -> OutcomesReport:
    """Build everything the call-in outcomes notebook shows."""
    params = review.params
    as_of = status_day(review)
    intro = [REPORT_CSS, '<div class="cf-report"><h1>Outcomes after call-ins and custom notifications</h1>',
             f"<p><strong>{html.escape(params.city)}</strong>: people reached by direct communication up to "
             f"{html.escape(status_label(review))}, and what happened to them afterwards.</p>", data_cut_html(review),
             f'<div class="cf-banner">{html.escape(WARNING_TEXT)}</div>']
    if review.is_demo:
        intro.append('<div class="cf-banner">SYNTHETIC DEMO DATA: invented people and events.</div>')
    events = review.data.participant_events
    if review.data.communications is None:
        intro.append(f"<p><strong>{NOT_RECORDED_TEXT}.</strong> Direct communications (call-ins and custom "
                     "notifications) are not recorded for this city, so there is no one to follow up.</p></div>")
        empty = HTML("")
        return OutcomesReport(HTML("".join(intro)), empty, empty, empty, empty, empty, empty)
    if events is None:
        intro.append("<p><strong>No participant events are available.</strong> What happened to "
                     "people after a call-in (arrests, shootings) is not tracked for this city.</p></div>")
        empty = HTML("")
        return OutcomesReport(HTML("".join(intro)), empty, empty, empty, empty, empty, empty)
    if nobody_by_snapshot(review):
        intro.append(f"<p><strong>No figures yet.</strong> Partner and public copies of this page show the status on "
                     f"31 December of the last complete year the data cover, and no one had been reached by direct "
                     f"communication by {format_day(as_of)}.</p></div>")
        empty = HTML("")
        return OutcomesReport(HTML("".join(intro)), empty, empty, empty, empty, empty, empty)
    if snapshot_note(review):
        intro.append(f'<p class="cf-note"><strong>{html.escape(snapshot_note(review))}</strong></p>')
    intro.append(stale_events_html(review) + "</div>")
    cohort, breakdown = breakdown_for_review(review)
    shown = breakdown_display(breakdown, review)
    rows = [[GROUP_LABELS[r["group"]], OUTCOME_LABELS[r["outcome"]], r["people"], r["share"]]
            for _, r in shown.iterrows()]
    group_sizes = group_sizes_text(breakdown, review)
    table = html_table(["Group", f"Status on {status_label(review)}", "People", "Share of group"], rows,
                       f"The seed's breakdown: each person counted once, most serious outcome first ({group_sizes})",
                       stacked=True)
    note = ('<p class="cf-note">This view mixes people reached years ago with people reached last week: '
            "a low share can just mean short follow-up. The curves below account for that.</p>")
    selected = cohort if params.outcomes_cohort == "any" else cohort[cohort["first_kind"] == params.outcomes_cohort]
    everyone_fits = fit_curves(cohort, events, as_of)
    selected_fits = everyone_fits if params.outcomes_cohort == "any" else fit_curves(selected, events, as_of)
    who = "all" if params.outcomes_cohort == "any" else params.outcomes_cohort
    milestones = milestone_rows(selected_fits).assign(series=lambda t: who + ":" + t["outcome"])
    group = comparison_for(review, as_of)
    group_fits = fit_curves(group, events, as_of) if group is not None else None
    years = sorted(int(y) for y in cohort["first_on"].dt.year.unique())
    year_fits = {f"y{year}": fit_curves(cohort[cohort["first_on"].dt.year == year], events, as_of) for year in years}
    printed = {"all": everyone_fits, who: selected_fits, **year_fits}
    if group_fits is not None:
        printed["comparison"] = group_fits
    hidden_points = curve_points_hidden(review, cohort, breakdown, printed,
                                        None if group is None else len(group))
    by_cohort = []
    sizes = cohort_sizes_shown(cohort, breakdown, review)
    for year in years:
        ms = milestone_rows(year_fits[f"y{year}"], (12,))
        for _, r in ms.iterrows():
            by_cohort.append({"label": f"People first reached in {year} ({sizes[year]} people): {r['label']}", "months": 12,
                              "still_followed": r["still_followed"], "incidence": r["incidence"],
                              "lower": r["lower"], "upper": r["upper"], "series": f"y{year}:{r['outcome']}"})
    cohort_html = _milestone_html(pd.DataFrame(by_cohort), review,
                                  "By year of first contact: outcomes within 12 months", hidden_points)
    comparison = comparison_html(review, cohort, everyone_fits, group, group_fits, hidden_points)
    return OutcomesReport(
        header=HTML("".join(intro)),
        breakdown_table=HTML(table + note),
        breakdown_chart=_breakdown_chart(breakdown, review),
        curves_chart=_curves_chart(selected_fits, group_fits, review, hidden_points),
        curves_table=HTML(_milestone_html(milestones, review, "Cumulative incidence at 6, 12 and 24 months"
                                          f" ({COHORT_LABELS[params.outcomes_cohort]})", hidden_points)),
        cohort_table=HTML(cohort_html),
        comparison=comparison,
    )
