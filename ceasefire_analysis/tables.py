"""Tables and text for the reports, built as HTML from the indicator table.

Everything here formats numbers that were computed elsewhere; nothing is retyped.
Status is always a word plus a symbol, so it reads in greyscale and to a screen reader.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd
from IPython.display import HTML

from .indicators import (
    LABELS, OUTCOME_INDICATORS, annual_outcome_benchmark, data_coverage, outcome_seasonal_shares,
)
from .params import NEXT_STEP_STATUSES, NOT_REPORTED
from .periods import round_half_up
from .review import PeriodReview, previous_next_steps, provenance
from .schema import DOES_NOT_MEET, MEETS, WINDOW_AS_OF, WINDOW_PERIOD, WINDOW_YTD
from .statistics import VERDICT_ALPHA, minimum_detectable_counts, pace_probability

REPORT_CSS = """
<style>
.cf-report { font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #1a1a1a; }
.cf-report h1 { font-size: 1.6em; margin-bottom: 0.2em; }
.cf-banner { background: #fff4ce; border: 2px dashed #8a6d00; padding: 0.5em 0.8em; margin: 0.6em 0; font-weight: 600; }
.cf-note { color: #444; font-size: 0.95em; }
table.cf-table { border-collapse: collapse; margin: 0.8em 0 1.4em 0; font-size: 0.95em; }
table.cf-table caption { caption-side: top; text-align: left; font-weight: 700; font-size: 1.1em; padding-bottom: 0.4em; }
table.cf-table th, table.cf-table td { border: 1px solid #999; padding: 0.35em 0.6em; vertical-align: top; text-align: left !important; }
table.cf-table th { background: #e8e8e8; }
table.cf-table td.num { text-align: right !important; font-variant-numeric: tabular-nums; }
table.cf-table tr.section td { font-weight: 700; background: #f2f2f2; }
table.cf-table tr.sub td:first-child { padding-left: 1.8em; color: #333; }
td.meets { background: #d9f2d9; }
td.misses { background: #f9d6d5; font-weight: 600; }
.cf-provenance { font-size: 0.8em; color: #555; border-top: 1px solid #bbb; margin-top: 2em; padding-top: 0.5em; word-break: break-all; }
</style>
"""


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and an optional CSS class."""

    text: str
    css: str = ""


def _cell_html(cell: Cell | str, tag: str = "td") -> str:
    cell = cell if isinstance(cell, Cell) else Cell(str(cell))
    css = f' class="{cell.css}"' if cell.css else ""
    return f"<{tag}{css}>{html.escape(cell.text).replace(chr(10), '<br>')}</{tag}>"


def html_table(header: list[str], rows: list[list[Cell | str]], caption: str = "",
               row_classes: list[str] | None = None) -> str:
    """A plain, accessible HTML table (header cells are <th>)."""
    parts = ['<table class="cf-table">']
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(_cell_html(h, "th") for h in header) + "</tr></thead><tbody>")
    for i, row in enumerate(rows):
        css = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        parts.append(f"<tr{css}>" + "".join(_cell_html(c) for c in row) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def format_value(value, unit: str) -> str:
    """Counts as whole numbers, percentages rounded half up with a % sign, missing as 'n/a'.

    >>> format_value(87.5, "percent"), format_value(16.0, "count"), format_value(float("nan"), "count")
    ('88%', '16', 'n/a')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "percent":
        return f"{round_half_up(value)}%"
    return f"{int(round_half_up(value)):,}"


def status_cell(status: str, detail: str = "") -> Cell:
    """The meets / does-not-meet mark: a symbol, a word and a colour."""
    if status == MEETS:
        return Cell("✔ Meets benchmark" + (f"\n{detail}" if detail else ""), "meets")
    if status == DOES_NOT_MEET:
        return Cell("✘ Does not meet benchmark" + (f"\n{detail}" if detail else ""), "misses")
    return Cell("No benchmark" if not detail else detail)


def _row(table: pd.DataFrame, indicator: str, window: str) -> pd.Series | None:
    match = table[(table["indicator"] == indicator) & (table["window"] == window)]
    return None if match.empty else match.iloc[0]


def _pct(x: float) -> str:
    return f"{round_half_up(100 * x)}%"


def outcome_worksheet_html(review: PeriodReview) -> HTML:
    """Worksheet 1 laid out like the seed: benchmark, actual, status, prior year, 3-year average, notes."""
    table = review.indicators
    params = review.params
    year = params.review.period.last.year
    windows = {WINDOW_YTD: f"YTD ({params.review.ytd.label()})", WINDOW_PERIOD: params.review.period.label()}
    seasonal = "benchmark_seasonal" in table.columns
    header = ["Indicator", "Window", "Benchmark", f"Actual {year}", "Status"]
    header += ["Seasonal benchmark"] if seasonal else []
    header += ["Could it be chance?", f"{year - 1} (same months)", f"3-year average ({year - 3}–{year - 1})",
               "Notes re trends"]
    rows, classes = [], []
    for indicator in ("homicides", "nonfatal_injury_shootings", "non_injury_shootings"):
        for i, (window, window_label) in enumerate(windows.items()):
            r = _row(table, indicator, window)
            detail = ""
            if r["status"] == DOES_NOT_MEET and not math.isnan(r["pct_over_benchmark"]):
                detail = (f"{_pct(r['pct_over_benchmark'])} over benchmark; "
                          f"a {_pct(r['cut_to_meet'])} cut would meet it")
            cells = [
                LABELS[indicator] if i == 0 else "",
                window_label,
                Cell(format_value(r["benchmark"], "count"), "num"),
                Cell(format_value(r["actual"], "count"), "num"),
                status_cell(r["status"], detail),
            ]
            if seasonal:
                value = r["benchmark_seasonal"]
                cells.append(Cell("n/a") if math.isnan(value) else
                             Cell(f"{format_value(value, 'count')}\n{status_cell(r['status_seasonal']).text}"))
            cells += [
                Cell(chance_text(r)),
                Cell(format_value(r["prior_year"], "count"), "num"),
                Cell(format_value(r["three_year_average"], "count"), "num"),
                params.notes.get(indicator, "") if i == 0 else "",
            ]
            rows.append(cells)
            classes.append("")
    caption = "Worksheet 1: outcome indicators (fewer is better: an outcome meets its benchmark at or below it)"
    return HTML(html_table(header, rows, caption, classes))


def chance_text(r: pd.Series) -> str:
    """The verdict on a count against its benchmark, with the probability in words."""
    if not r.get("verdict"):
        return "No benchmark"
    p = r["p_vs_benchmark"]
    odds = f"{100 * p:.0f}%" if p >= 0.01 else "under 1%"
    direction = "this high or higher" if r["actual"] >= r["benchmark_exact"] else "this low or lower"
    return f"{r['verdict'].capitalize()}\n(chance of a count {direction} with nothing changed: {odds})"


def how_to_read_html(review: PeriodReview) -> HTML:
    """What size of change the counts could show at all: the minimum detectable change per window."""
    table = review.indicators
    rows = []
    for _, r in table[table["worksheet"].eq("outcomes") & table["benchmark_exact"].notna()].iterrows():
        high, low = minimum_detectable_counts(r["benchmark_exact"])
        bench = r["benchmark_exact"]
        up = f"{high} or more (+{_pct(high / bench - 1)})" if high is not None else "n/a"
        down = f"{low} or fewer (−{_pct(1 - low / bench)})" if low is not None else "no count is low enough"
        window = "Year to date" if r["window"] == WINDOW_YTD else "Review period"
        rows.append([r["label"], window, Cell(f"{bench:.1f}", "num"), up, down])
    intro = (f'<div class="cf-report"><h2>How to read this: what the counts can and cannot show</h2>'
             f"<p>Shootings and homicides are counted in small numbers, and small numbers vary by chance. "
             f"“Could it be chance?” gives the probability of a count at least as far from the benchmark, in "
             f"the same direction, if nothing had changed (a Poisson model with the benchmark as the expected "
             f"count). Below {VERDICT_ALPHA:.1%} (fewer than 1 in {round(1 / VERDICT_ALPHA)}) the count is "
             f"called higher or lower than expected; otherwise it is within normal variation. The meets / "
             f"does-not-meet mark is the seed's rule and is kept as it is.</p>"
             f"<p>The table shows, for each window, how far a count would have to move from its benchmark "
             f"before it stands out from chance. A change smaller than this cannot be told from noise in one "
             f"window, however real it is.</p></div>")
    table_html = html_table(["Indicator", "Window", "Expected (benchmark)", "Stands out if", "or if"], rows,
                            "Minimum detectable change from the benchmark") if rows else (
        '<p class="cf-note">No outcome has a benchmark for this period (none given in the params file, and no '
        "whole prior year in the data to derive one), so there is nothing to test against.</p>")
    return HTML(REPORT_CSS + intro + table_html)


def pace_html(review: PeriodReview) -> HTML:
    """Probability that each outcome ends the year at or under its annual benchmark."""
    params = review.params
    last = params.review.period.last
    monthly = review.data.monthly_counts
    coverage = data_coverage(review.data.incidents, last)
    rows = []
    for indicator in ("homicides", "nonfatal_injury_shootings"):
        annual = annual_outcome_benchmark(review.data, params, indicator, last.year)
        if annual is None:
            continue
        ytd = int(_row(review.indicators, indicator, WINDOW_YTD)["actual"])
        shares = outcome_seasonal_shares(monthly, OUTCOME_INDICATORS[indicator], last.year, coverage, params) \
            if params.seasonal_benchmarks else None
        p = pace_probability(ytd, annual, last.month, shares)
        rows.append([LABELS[indicator], Cell(f"{ytd:,}", "num"), Cell(f"{annual:,.0f}", "num"),
                     Cell(f"{100 * p:.0f}%", "num")])
    if not rows:
        return HTML('<p class="cf-note">No annual benchmark for this year, so no chance of meeting one.</p>')
    basis = "its seasonal pattern" if params.seasonal_benchmarks else "an even monthly pace"
    caption = (f"On pace? Chance that {last.year} ends at or under its annual benchmark, if the rest of the year "
               f"runs at the benchmark's pace ({basis})")
    return HTML(html_table(["Indicator", f"So far ({params.review.ytd.label()})", f"{last.year} benchmark",
                            "Chance of meeting it"], rows, caption))


# Worksheet 2 rows: (indicator, indented?)
ACTIVITY_LAYOUT = [
    ("1. Direct communication", [("direct_communications", False), ("call_ins", True),
                                 ("custom_notifications", True), ("direct_communications_highest_risk_pct", False)]),
    ("2. Relationship-focused case management", [
        ("case_management_new", False), ("case_management_opd_highest_risk_pct", False),
        ("case_management_active", False), ("case_management_active_call_in", True),
        ("case_management_active_custom_notification", True), ("case_management_active_ceasefire_other", True),
        ("case_management_active_outreach", True), ("case_management_active_non_ceasefire_other", True)]),
    ("3. Targeted enforcement", [
        ("staffing_pct_ceasefire", False), ("staffing_pct_siu", False), ("staffing_pct_gang", False),
        ("staffing_pct_area", False), ("enforcement_vhr_pct_area", False), ("enforcement_vhr_pct_specialised", False)]),
    ("4. Partnership", [("coordination_meetings", False), ("coordination_meetings_leads_present", True),
                        ("coordination_meetings_risk_focus", True), ("deliverables_on_time_pct", False),
                        ("deliverables_median_days_to_complete", False)]),
]


def suppressed_text(r: pd.Series, threshold: int) -> str | None:
    """What a public report shows instead of a hidden count, or None when it is not hidden."""
    flag = r.get("suppressed", "") if hasattr(r, "get") else ""
    if flag == "small":
        return f"fewer than {threshold}"
    if flag == "complementary":
        return "hidden (would reveal a small number)"
    return None


def _activity_cell(r: pd.Series | None, threshold: int = 5) -> Cell:
    if r is None:
        return Cell("")
    hidden = suppressed_text(r, threshold)
    if hidden:
        return Cell(hidden)
    value = format_value(r["actual"], r["unit"])
    if isinstance(r["benchmark"], float) and math.isnan(r["benchmark"]):
        return Cell(value, "num")
    mark = status_cell(r["status"])
    bench = format_value(r["benchmark"], r["unit"])
    if not r["status"]:
        return Cell(f"{value}\n(capacity {bench})" if r["indicator"] == "case_management_active" else value, "num")
    return Cell(f"{value}\nbenchmark {bench}\n{mark.text}", mark.css)


def activity_worksheet_html(review: PeriodReview) -> HTML:
    """Worksheet 2: activity indicators by section, YTD, period and point-in-time."""
    table = review.indicators
    params = review.params
    units = table.set_index("indicator")["actual"].to_dict()
    header = ["Indicator", f"YTD ({params.review.ytd.label()})", f"Period ({params.review.period.label()})",
              f"At {params.review.end:%d %b %Y}", "Notes re trends"]
    rows, classes = [], []
    for section, indicators in ACTIVITY_LAYOUT:
        rows.append([Cell(section, ""), "", "", "", ""])
        classes.append("section")
        for indicator, indented in indicators:
            if not (table["indicator"] == indicator).any():
                continue
            label = LABELS[indicator].strip()
            if indicator.startswith("staffing_pct_"):
                group = indicator.removeprefix("staffing_pct_")
                n_units = units.get(f"staffing_units_{group}", 0)
                label += f" ({int(n_units)} unit{'s' if n_units != 1 else ''})"
            threshold = params.small_count_threshold
            rows.append([label, _activity_cell(_row(table, indicator, WINDOW_YTD), threshold),
                         _activity_cell(_row(table, indicator, WINDOW_PERIOD), threshold),
                         _activity_cell(_row(table, indicator, WINDOW_AS_OF), threshold),
                         params.notes.get(indicator, "")])
            classes.append("sub" if indented else "")
    caption = "Worksheet 2: activity indicators (more is better: an activity meets its benchmark at or above it)"
    return HTML(html_table(header, rows, caption, classes))


def report_header(review: PeriodReview, title: str, purpose: str) -> HTML:
    """Title, period, purpose and (for the demo) the synthetic-data banner, with the report styles."""
    params = review.params
    first, last = review.data.date_range()
    parts = [REPORT_CSS, '<div class="cf-report">', f"<h1>{html.escape(title)}</h1>",
             f"<p><strong>{html.escape(params.city)}</strong> — review period {html.escape(params.review.period.label())}"
             f" (year to date: {html.escape(params.review.ytd.label())})</p>",
             f'<p class="cf-note">{html.escape(purpose)}</p>']
    if first is not None:
        parts.append(f'<p class="cf-note">Incident data run from {first:%d %B %Y} to {last:%d %B %Y}.</p>')
    if review.is_demo:
        parts.append('<div class="cf-banner">SYNTHETIC DEMO DATA: these numbers are invented to reproduce '
                     'the layout of Oakland\'s February–March 2017 worksheets. They describe no real person '
                     'or event.</div>')
    parts.append("</div>")
    return HTML("".join(parts))


def quality_html(review: PeriodReview) -> HTML:
    """Data-quality warnings and the audience of the report, shown before the numbers."""
    parts = ['<div class="cf-report">']
    audience = review.params.audience
    if audience != "internal":
        parts.append(f'<p class="cf-note">Prepared for a <strong>{html.escape(audience)}</strong> audience: no '
                     "participant-level information is shown"
                     + (f"; counts of people below {review.params.small_count_threshold} are hidden."
                        if audience == "public" else ".") + "</p>")
    if review.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in review.warnings)
        parts.append(f'<div class="cf-banner"><p>Data quality: read these numbers with care.</p><ul>{items}</ul></div>')
    else:
        parts.append('<p class="cf-note">Data-quality checks (empty months, victims listed twice, late '
                     "reports) found nothing to flag.</p>")
    parts.append("</div>")
    return HTML("".join(parts))


def next_steps_html(review: PeriodReview) -> HTML:
    """What became of the last review's next steps (with a count by status), then this review's next steps."""
    steps = review.params.next_steps
    parts = ['<div class="cf-report">', previous_next_steps_html(review)]
    if not steps:
        parts.append("<h2>Next steps</h2><p>None recorded in the params file.</p>")
    else:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in steps)
        parts.append(f"<h2>Next steps</h2><ol>{items}</ol>")
    return HTML("".join(parts) + "</div>")


def next_step_status_counts(previous: pd.DataFrame) -> list[tuple[str, int]]:
    """Counts of the last review's next steps by status, in a fixed order, leaving out statuses with none.

    >>> next_step_status_counts(pd.DataFrame({"status": ["done", "not started", "done"]}))
    [('done', 2), ('not started', 1)]
    """
    counts = previous["status"].value_counts()
    return [(s, int(counts[s])) for s in NEXT_STEP_STATUSES + (NOT_REPORTED,) if counts.get(s, 0)]


def previous_next_steps_html(review: PeriodReview) -> str:
    """The last review's next steps with their status, as HTML text (see :func:`review.previous_next_steps`)."""
    previous, source = previous_next_steps(review.params)
    title = "<h2>The last review's next steps</h2>"
    if previous.empty:
        return (title + "<p>None recorded: list them under <code>previous_next_steps</code> in the params file "
                "(text, status done / in progress / not started, optional note).</p>")
    summary = "; ".join(f"{n} {status}" for status, n in next_step_status_counts(previous))
    rows = [[r["text"], r["status"], r["note"]] for _, r in previous.iterrows()]
    return (title + f"<p>{len(previous)} next steps were agreed at the last review: {html.escape(summary)} "
            f"({html.escape(source)}).</p>" + html_table(["Next step", "Status", "Note"], rows, ""))


def provenance_html(review: PeriodReview) -> HTML:
    """The closing provenance line: period, params, version, input hashes, run time."""
    p = provenance(review)
    inputs = "; ".join(f"{i['file']} ({i['rows']} rows) sha256 {i['sha256']}" for i in p["inputs"])
    text = (f"Provenance — period {p['period']}; params: {p['params']}; ceasefire_analysis {p['package_version']}; "
            f"inputs: {inputs}; run at {p['run_at']}.")
    return HTML('<p><a href="index.html">Back to the period overview</a></p>'
                f'<p class="cf-provenance">{html.escape(text)}</p>')


def headline_status(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators that have a benchmark, with their status, for the period's index page."""
    hidden = indicators["suppressed"].ne("") if "suppressed" in indicators else False
    with_benchmark = indicators[indicators["benchmark"].notna() & (indicators["status"].ne("") | hidden)]
    return with_benchmark[["label", "window", "actual", "unit", "benchmark", "status"]].reset_index(drop=True)
