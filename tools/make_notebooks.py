"""Write the period notebooks in notebooks/ (run once after editing; commit the result).

Notebooks are kept thin: a title and purpose, one `parameters` cell of literals,
then calls into the library. Keeping their source here makes the shared parameters
cell one piece of text rather than three copies.
"""
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[1]

PARAMETERS = '''\
params_file: str = "params/2017-02_2017-03.yaml"  # params file read when no key below is given
city: "Optional[str]" = None  # city name shown in titles
period_start: "Optional[str]" = None  # first month of the review period, YYYY-MM
period_end: "Optional[str]" = None  # last month of the review period, YYYY-MM
data_dir: "Optional[str]" = None  # folder of input CSV files, relative to the project root
annual_benchmarks: "Optional[dict]" = None  # {indicator: {year: annual benchmark}}
case_management_capacity: "Optional[int]" = None  # case-management places available
benchmark_reduction: "Optional[float]" = None  # yearly cut that derives a missing outcome benchmark
coordination_meetings_per_month: "Optional[float]" = None  # coordination meetings expected a month
notes: "Optional[dict]" = None  # {indicator: notes-re-trends text}
next_steps: "Optional[list]" = None  # next steps agreed at the review
audience: "Optional[str]" = None  # internal, partner or public
small_count_threshold: "Optional[int]" = None  # counts below this are suppressed for partner and public
history_dir: "Optional[str]" = None  # folder of annual history series
eras: "Optional[list]" = None  # [{label, start, end}] periods marked on long-run charts
history_facts: "Optional[dict]" = None  # {changes, threshold, runs_before, ratio_since} for the history facts
seasonal_benchmarks: "Optional[bool]" = None  # also show benchmarks split by seasonal shares
seasonal_years: "Optional[int]" = None  # full prior years that set the seasonal shares
control_chart: "Optional[dict]" = None  # {baseline_start, baseline_end, resets, baseline_months}
outcomes_cohort: "Optional[str]" = None  # curves for people first reached by: any, call_in or custom_notification
vhr_population_estimate: "Optional[int]" = None  # people at very high risk, from the problem analysis
safe_city: "Optional[dict]" = None  # {base_year, years, reduction, base_count}: the safe-city path'''

OPEN = '''\
from ceasefire_analysis.review import open_review

review = open_review(
    params_file, city=city, period_start=period_start, period_end=period_end, data_dir=data_dir,
    annual_benchmarks=annual_benchmarks, case_management_capacity=case_management_capacity,
    benchmark_reduction=benchmark_reduction, coordination_meetings_per_month=coordination_meetings_per_month,
    notes=notes, next_steps=next_steps, audience=audience, small_count_threshold=small_count_threshold,
    history_dir=history_dir, eras=eras, history_facts=history_facts, seasonal_benchmarks=seasonal_benchmarks,
    seasonal_years=seasonal_years, control_chart=control_chart, outcomes_cohort=outcomes_cohort,
    vhr_population_estimate=vhr_population_estimate, safe_city=safe_city,
)'''

MEETING_PARAMETERS = '''\
params_file: str = "params/{default}"  # params file read when no key below is given
meeting: "Optional[str]" = None  # shooting_review or coordination
city: "Optional[str]" = None  # city name shown in titles
data_dir: "Optional[str]" = None  # folder of input CSV files, relative to the project root
week_start: "Optional[str]" = None  # shooting review: first day of the week, YYYY-MM-DD
week_end: "Optional[str]" = None  # shooting review: last day of the week, YYYY-MM-DD
window_start: "Optional[str]" = None  # coordination: first day since the last meeting, YYYY-MM-DD
window_end: "Optional[str]" = None  # coordination: last day of the window, YYYY-MM-DD
audience: "Optional[str]" = None  # internal, partner or public
small_count_threshold: "Optional[int]" = None  # counts of people below this are hidden for partner and public'''

OPEN_MEETING = '''\
from ceasefire_analysis.meetings import open_meeting

pack = open_meeting(
    params_file, meeting=meeting, city=city, data_dir=data_dir, week_start=week_start, week_end=week_end,
    window_start=window_start, window_end=window_end, audience=audience,
    small_count_threshold=small_count_threshold,
)'''

NOTEBOOKS = {
    "worksheet": [
        ("md", "# Performance review worksheet\n\nThe outcome and activity indicators of one bi-monthly "
               "performance review, read against their benchmarks, with the year's trend so far. "
               "Run by `ceasefire run`; open in JupyterLab to explore the demo period."),
        ("code", OPEN),
        ("code", "from ceasefire_analysis.tables import report_header\n\n"
                 "report_header(review, \"Ceasefire performance review: indicator worksheets\",\n"
                 "              \"Outcome and activity indicators against their benchmarks, for the Mayor's bi-monthly \"\n"
                 "              \"performance review.\")"),
        ("code", "from ceasefire_analysis.tables import quality_html\n\nquality_html(review)"),
        ("code", "from ceasefire_analysis.tables import outcome_worksheet_html\n\noutcome_worksheet_html(review)"),
        ("code", "from ceasefire_analysis.tables import activity_worksheet_html\n\nactivity_worksheet_html(review)"),
        ("code", "from ceasefire_analysis.focus_report import focus_worksheet_html, safe_city_chart, safe_city_html\n\n"
                 "focus_worksheet_html(review)"),
        ("code", "safe_city_chart(review)"),
        ("code", "safe_city_html(review)"),
        ("code", "from ceasefire_analysis.tables import next_steps_html\n\nnext_steps_html(review)"),
        ("md", "## The year so far\n\nRunning totals since 1 January against last year and against the pace "
               "that would meet the annual benchmark."),
        ("code", "from ceasefire_analysis.charts import year_to_date_chart\n\nyear_to_date_chart(review, \"homicides\")"),
        ("code", "year_to_date_chart(review, \"nonfatal_injury_shootings\")"),
        ("md", "## Month by month"),
        ("code", "from ceasefire_analysis.charts import monthly_counts_chart\n\nmonthly_counts_chart(review, \"homicides\")"),
        ("code", "monthly_counts_chart(review, \"nonfatal_injury_shootings\")"),
        ("md", "## Is it real?\n\nChance, pace and control limits: which movements stand out from normal "
               "variation."),
        ("code", "from ceasefire_analysis.tables import how_to_read_html\n\nhow_to_read_html(review)"),
        ("code", "from ceasefire_analysis.tables import pace_html\n\npace_html(review)"),
        ("code", "from ceasefire_analysis.charts import control_chart_figure\n\n"
                 "control_chart_figure(review, \"homicides\")"),
        ("code", "control_chart_figure(review, \"nonfatal_injury_shootings\")"),
        ("code", "from ceasefire_analysis.tables import provenance_html\n\nprovenance_html(review)"),
    ],
    "history": [
        ("md", "# History: the long run\n\nLong-run homicide counts and rates, and the police footprint, "
               "from public annual series, to set the period's numbers in context."),
        ("code", OPEN),
        ("code", "from ceasefire_analysis.history import history_report\n\nhistory = history_report(review)\nhistory.header"),
        ("code", "history.homicides_chart"),
        ("code", "history.rate_chart"),
        ("code", "history.footprint_chart"),
        ("code", "history.extra_chart"),
        ("code", "history.facts"),
        ("code", "history.sources"),
        ("code", "from ceasefire_analysis.tables import provenance_html\n\nprovenance_html(review)"),
    ],
    "callin_outcomes": [
        ("md", "# Outcomes after a call-in or custom notification\n\nWhat has happened since to the people "
               "the partnership reached directly: descriptive monitoring, not an evaluation."),
        ("code", OPEN),
        ("code", "from ceasefire_analysis.outcomes import callin_outcomes_report\n\n"
                 "outcomes = callin_outcomes_report(review)\noutcomes.header"),
        ("code", "outcomes.breakdown_table"),
        ("code", "outcomes.breakdown_chart"),
        ("code", "outcomes.curves_chart"),
        ("code", "outcomes.curves_table"),
        ("code", "outcomes.cohort_table"),
        ("code", "outcomes.comparison"),
        ("code", "from ceasefire_analysis.tables import provenance_html\n\nprovenance_html(review)"),
    ],
}


MEETING_NOTEBOOKS = {
    "shooting_review": ("shooting_review_2017-03-20.yaml", [
        ("md", "# Weekly shooting review pack\n\nEvery shooting of the week, shootings not yet reviewed, prior "
               "deliverables and active conflicts, for the police-led weekly shooting review."),
        ("code", OPEN_MEETING),
        ("code", "from ceasefire_analysis.meetings import pack_header\n\npack_header(pack)"),
        ("code", "from ceasefire_analysis.meetings import deliverables_html\n\ndeliverables_html(pack)"),
        ("code", "from ceasefire_analysis.meetings import shootings_html\n\nshootings_html(pack)"),
        ("code", "from ceasefire_analysis.meetings import unreviewed_html\n\nunreviewed_html(pack)"),
        ("code", "from ceasefire_analysis.meetings import repeat_groups_html\n\nrepeat_groups_html(pack)"),
        ("code", "from ceasefire_analysis.meetings import pack_provenance\n\npack_provenance(pack)"),
    ]),
    "coordination": ("coordination_2017-02-24.yaml", [
        ("md", "# Coordination meeting pack\n\nShootings and the people and groups at risk since the last "
               "meeting, open tasks, and the partnership's direct communication and enrolments."),
        ("code", OPEN_MEETING),
        ("code", "from ceasefire_analysis.meetings import pack_header\n\npack_header(pack)"),
        ("code", "from ceasefire_analysis.meetings import shootings_html\n\nshootings_html(pack)"),
        ("code", "from ceasefire_analysis.meetings import flagged_html\n\nflagged_html(pack)"),
        ("code", "from ceasefire_analysis.meetings import tasks_by_owner_html\n\ntasks_by_owner_html(pack)"),
        ("code", "from ceasefire_analysis.meetings import since_last_meeting_html\n\nsince_last_meeting_html(pack)"),
        ("code", "from ceasefire_analysis.meetings import pack_provenance\n\npack_provenance(pack)"),
    ]),
}


def build(name: str, cells: list[tuple[str, str]], parameters: str = PARAMETERS) -> nbf.NotebookNode:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    # The title cell is for analysts; reports carry their own heading (reports.ANALYST_ONLY).
    out = [nbf.v4.new_markdown_cell(cells[0][1], metadata={"tags": ["analyst-only"]})]
    params = nbf.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    out.append(params)
    for kind, source in cells[1:]:
        out.append(nbf.v4.new_markdown_cell(source) if kind == "md" else nbf.v4.new_code_cell(source))
    for i, cell in enumerate(out):
        cell["id"] = f"{name}-{i:02d}"
    nb.cells = out
    return nb


if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        path = ROOT / "notebooks" / f"{name}.ipynb"
        nbf.write(build(name, cells), path)
        print(path)
    for name, (default, cells) in MEETING_NOTEBOOKS.items():
        path = ROOT / "notebooks" / f"{name}.ipynb"
        nbf.write(build(name, cells, MEETING_PARAMETERS.replace("{default}", default)), path)
        print(path)
