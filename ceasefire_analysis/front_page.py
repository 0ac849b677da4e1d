"""The front page of a reports folder: every period and meeting pack in it, and the scorecard over time.

``OUT/index.html`` is rewritten after every run from what the folder holds (this run's
folders and earlier ones), read from each folder's ``manifest.json`` and ``indicators.csv``:
nothing is recomputed, so the front page agrees with the pages it links to.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .charts import scorecard_chart
from .errors import CeasefireError
from .files import write_text_atomic
from .periods import Month, Window
from .reader import head, with_glossary
from .formatting import format_benchmark_of, format_day, format_day_span, format_moment, review_length_label, so_far_to
from .schema import DOES_NOT_MEET, INCOMPLETE, MEETS, WINDOW_PERIOD
from .tables import REPORT_CSS, Cell, exact_column, format_value, html_table, status_cell

# Carried in the <head> of every front page this package writes: an index.html without it is the user's own.
FRONT_PAGE_MARKER = '<meta name="generator" content="ceasefire_analysis front page">'
# Front pages written before the marker existed: their heading and first sentence.
_LEGACY_SIGNS = ("<h1>Ceasefire performance reviews</h1>", "Every review period and meeting pack in this folder")


def is_own_front_page(path: Path) -> bool:
    """True when ``path`` may be (re)written as the front page: absent, or a front page this package wrote.

    A run never writes over a user's own ``index.html`` (a website folder given as ``--out``).
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            start = fh.read(1_000_000)
    except FileNotFoundError:
        return True
    except IsADirectoryError:
        return False
    return FRONT_PAGE_MARKER in start or all(sign in start for sign in _LEGACY_SIGNS)


MEETING_TITLES = {"shooting_review": "Weekly shooting review pack", "coordination": "Coordination meeting pack"}

# Folders of OUT that the latest run meant to refresh but could not (bad inputs, two params files for one folder,
# a folder that could not be written), with when: their previous reports stay, and the front page says they are
# not current. A file of OUT (beside index.html), rewritten by every run that has something to say in it.
FAILED_RUNS = "ceasefire_failed_runs.json"


def read_failed_runs(out_root: Path) -> dict[str, str]:
    """``{folder: when the run that failed for it ended (ISO time)}`` from ``OUT/FAILED_RUNS`` ({} if none)."""
    try:
        record = json.loads((Path(out_root) / FAILED_RUNS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in record.items()} if isinstance(record, dict) else {}


def record_failed_runs(out_root: Path, failed: list[str], refreshed: list[str], when: dt.datetime) -> None:
    """Note the folders of ``out_root`` this run failed to refresh (only those that hold an earlier report), and
    forget the ones it refreshed, in ``OUT/FAILED_RUNS``."""
    record = read_failed_runs(out_root)
    for folder in refreshed:
        record.pop(folder, None)
    for folder in failed:
        if (Path(out_root) / folder / "manifest.json").is_file():
            record[folder] = when.isoformat(timespec="seconds")
    path = Path(out_root) / FAILED_RUNS
    if record:
        write_text_atomic(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
    elif path.is_file():
        path.unlink()


def _stamp(text: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None


def not_refreshed_note(contents: "Contents") -> str:
    """A warning naming every period and pack whose latest run failed, so an old report is not read as current.

    "Sep–Oct 2019 (New York City, internal): the run of 29 Nov 2026 failed for this period; the report shown
    is from 28 Nov 2026." A folder written again after the failure is current and not named.
    """
    items = []
    folders = [(p.folder, p.label, p.manifest) for p in contents.periods] + [
        (m["folder"], meeting_folder_label(m), m) for m in contents.packs]
    for folder, label, manifest in folders:
        failed_at, made_at = _stamp(contents.failed_runs.get(folder)), _stamp(manifest.get("finished_at"))
        if failed_at is None or (made_at is not None and made_at > failed_at):  # written again since
            continue
        params = manifest.get("params", {})
        same_day = made_at is not None and made_at.date() == failed_at.date()  # then the times tell them apart
        made = f"from {format_moment(made_at, same_day)}" if made_at is not None else "from an earlier run"
        items.append(f"<li>{html.escape(label)} ({html.escape(str(params.get('city', '')))}, "
                     f"{html.escape(str(params.get('audience') or 'internal'))}): the run of "
                     f"{html.escape(format_moment(failed_at, same_day))} failed for this "
                     f"{'meeting' if 'meeting' in manifest else 'period'}; the report shown is {made}.</li>")
    if not items:
        return ""
    return ('<div class="cf-banner"><p>Not refreshed: the latest run could not make these again (see that run\'s '
            f"log for why); what is shown is an earlier report.</p><ul>{''.join(items)}</ul></div>")


def meeting_name_and_day(manifest: dict) -> tuple[str, str]:
    """A meeting pack's kind (``coordination``) and day ("9 Mar 2017"), from its manifest."""
    params = manifest.get("params", {})
    name = params.get("meeting") or manifest["folder"].rsplit("_", 1)[0]
    try:
        day = format_day(dt.date.fromisoformat(str(params.get("meeting_on", ""))))
    except ValueError:  # a manifest written by hand or by an older version: show what it says
        day = str(params.get("meeting_on", ""))
    return name, day


def meeting_folder_label(manifest: dict) -> str:
    """A meeting pack's title and day: "Coordination meeting pack, meeting of 9 Mar 2017"."""
    name, day = meeting_name_and_day(manifest)
    return f"{MEETING_TITLES.get(name, name)}, meeting of {day}"


@dataclass
class PeriodFolder:
    """One review period's folder under OUT, as its manifest and indicators.csv describe it."""

    folder: str
    manifest: dict
    indicators: pd.DataFrame
    window: Window

    @property
    def label(self) -> str:
        return self.window.label()

    @property
    def audience(self) -> str:
        return self.manifest.get("params", {}).get("audience") or "internal"


@dataclass
class Contents:
    """What a reports folder holds."""

    periods: list[PeriodFolder] = field(default_factory=list)  # newest first
    packs: list[dict] = field(default_factory=list)  # manifests of meeting packs, newest first
    unreadable: list[str] = field(default_factory=list)  # folders whose manifest or CSV could not be read
    failed_runs: dict[str, str] = field(default_factory=dict)  # folders the latest run failed for (FAILED_RUNS)


def read_reports_folder(out_root: Path) -> Contents:
    """Every finished period and meeting-pack folder under ``out_root`` (hidden staging folders skipped)."""
    contents = Contents(failed_runs=read_failed_runs(Path(out_root)))
    for path in sorted(p for p in Path(out_root).iterdir() if p.is_dir() and not p.name.startswith(".")):
        manifest_path = path / "manifest.json"
        if not manifest_path.is_file():
            continue  # not a folder this package wrote
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if "meeting" in manifest:
                contents.packs.append({**manifest, "folder": path.name})
                continue
            params = manifest["params"]
            window = Window(Month.parse(params["period_start"]), Month.parse(params["period_end"]))
            indicators = pd.read_csv(path / "indicators.csv", keep_default_na=False, na_values=[""])
        except (OSError, ValueError, KeyError, TypeError, CeasefireError):
            contents.unreadable.append(path.name)
            continue
        contents.periods.append(PeriodFolder(path.name, manifest, indicators, window))
    contents.periods.sort(key=lambda p: (p.window.last, p.window.first), reverse=True)
    contents.packs.sort(key=lambda m: (str(m.get("params", {}).get("meeting_on") or ""), m["folder"]), reverse=True)
    return contents


SCORECARD_WORKSHEETS = ("outcomes", "activities")


def _review_rows(period: PeriodFolder) -> pd.DataFrame:
    """The period's review-period rows of the worksheets the scorecard reads, in the indicators table's order."""
    table = period.indicators
    return table[(table["window"] == WINDOW_PERIOD) & table["worksheet"].isin(SCORECARD_WORKSHEETS)]


def data_through(period: PeriodFolder) -> dt.date | None:
    """The day the period's data run through, from its manifest (None when the manifest does not say)."""
    try:
        return dt.date.fromisoformat(str((period.manifest.get("coverage") or {}).get("data_through")))
    except ValueError:
        return None


def scorecard_order(periods: list[PeriodFolder]) -> list[str]:
    """The scorecard's indicators in one fixed order: that of the indicators table (outcomes, then activities),
    whichever periods a scorecard holds, so an internal and a public scorecard list their rows alike (an older
    period with no benchmark for an indicator no longer pushes that row to the end)."""
    order: dict[str, None] = {}
    for period in periods:
        order.update(dict.fromkeys(_review_rows(period)["indicator"]))
    return list(order)


def scorecard(periods: list[PeriodFolder]) -> pd.DataFrame:
    """Each benchmarked indicator's review-period actual, benchmark and status at every review, oldest first.

    Columns: ``review`` (the period's label), ``folder``, ``worksheet``, ``indicator``,
    ``label``, ``unit``, ``actual``, ``benchmark``, ``status``, ``through`` (the data's last day for an
    incomplete row, else None). ``benchmark`` is the one that decided the
    mark (the seasonal one when ``decided_by`` says so). Values hidden for a public audience stay hidden (NaN).
    """
    frames = []
    for period in reversed(periods):
        rows = _review_rows(period)
        rows = rows[rows["benchmark"].notna()]
        frame = rows[["worksheet", "indicator", "label", "unit", "actual", "benchmark", "status"]].copy()
        frame["benchmark"] = exact_column(rows, "benchmark")  # as the worksheet prints it (0.3, not 0)
        if "benchmark_seasonal" in rows:  # the benchmark beside a mark is the one that decided it
            seasonal = rows.get("decided_by", pd.Series("", index=rows.index)).eq("seasonal")
            frame["benchmark"] = exact_column(rows, "benchmark_seasonal").where(seasonal, frame["benchmark"])
        frame.insert(0, "folder", period.folder)
        frame.insert(0, "review", period.label)
        frame["through"] = [data_through(period) if status == INCOMPLETE else None for status in frame["status"]]
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["review", "folder", "worksheet", "indicator", "label", "unit", "actual",
                                     "benchmark", "status", "through"])
    out = pd.concat(frames, ignore_index=True)
    out["status"] = out["status"].fillna("")
    return out


def scorecard_groups(periods: list[PeriodFolder]) -> dict[tuple[str, str, int], list[PeriodFolder]]:
    """The periods of each city, audience and review length, for one scorecard each (a folder may hold
    several cities, and a city both bi-monthly reviews and an annual one).

    Only reviews of the same length (in months) join one line: a 12-month review's count beside
    two-month ones is a spike that is only a longer window. A city's lengths follow each other, the
    one with the most reviews first. Within a group a review period appears once: when two folders hold
    the same one (an older run's folder name), the one written last is read.
    """
    groups: dict[tuple[str, str, int], dict[str, PeriodFolder]] = {}
    for period in periods:
        key = (str(period.manifest.get("params", {}).get("city", "")), period.audience, period.window.n_months)
        same = groups.setdefault(key, {})
        earlier = same.get(period.label)
        if earlier is None or str(period.manifest.get("finished_at", "")) > str(earlier.manifest.get("finished_at", "")):
            same[period.label] = period
    cities = list(dict.fromkeys(key[:2] for key in groups))
    order = sorted(groups, key=lambda key: (cities.index(key[:2]), -len(groups[key]), key[2]))
    return {key: [p for p in periods if p in groups[key].values()] for key in order}


def scorecard_title(city: str, audience: str, n_months: int | None = None) -> str:
    """A scorecard's title: its city, its audience when it is not the internal one, and the length of its
    reviews when given (when the city's reviews have several lengths, each has its own scorecard)."""
    who = city if audience == "internal" else f"{city} ({audience} reports)"
    return who if n_months is None else f"{who}, {review_length_label(n_months)}"


def headline_marks(period: PeriodFolder) -> str:
    """The period's headline: how many of the scorecard's indicators meet their benchmark over the review period.

    It counts indicators, not windows, so it agrees with the scorecard column beside it; a period whose
    data stop before its end says so instead of showing a clean sheet of no marks.
    """
    rows = scorecard([period])
    statuses = rows["status"]
    if statuses.eq(INCOMPLETE).any() or period.indicators["status"].fillna("").eq(INCOMPLETE).any():
        through = (period.manifest.get("coverage") or {}).get("data_through")
        day = f" through {format_day(dt.date.fromisoformat(through))}" if through else ""
        return f"Incomplete: data{day}, no marks"
    if rows.empty:
        return f"No indicator has a benchmark for {period.label}"
    met, missed = int(statuses.eq(MEETS).sum()), int(statuses.eq(DOES_NOT_MEET).sum())
    unmarked = len(rows) - met - missed
    text = f"{met} of {len(rows)} indicator{'s' if len(rows) != 1 else ''} meet their benchmark for {period.label}"
    return text + (f" ({unmarked} without a mark)" if unmarked else "")


def no_benchmark_reason(period: PeriodFolder, indicator: str) -> str:
    """Why a scorecard cell is empty: the period's own note ("no 2016 benchmark set"), else what is missing."""
    rows = _review_rows(period)
    rows = rows[rows["indicator"] == indicator]
    if rows.empty:
        return "not measured in this review"
    note = rows["benchmark_note"].iloc[0] if "benchmark_note" in rows else None
    return note if isinstance(note, str) and note else "no benchmark set"


def _coverage(period: PeriodFolder) -> str:
    coverage = period.manifest.get("coverage") or {}
    try:
        first, last = (dt.date.fromisoformat(str(coverage.get(k))) for k in ("first_incident", "last_incident"))
    except ValueError:  # no incidents, or a manifest written by hand: say what it says
        return f"incidents {coverage['first_incident']} to {coverage.get('last_incident')}" \
            if coverage.get("first_incident") else "—"
    return f"incidents {format_day_span(first, last, ' to ')}"


def _reports_line(manifest: dict) -> str:
    reports = manifest.get("reports", [])
    produced = sum(r.get("status") == "ok" for r in reports)
    return f"{produced} of {len(reports)} reports produced"


def _scorecard_cell(actual: float, benchmark: float, unit: str, status: str, through: dt.date | None = None) -> Cell:
    shown = "hidden" if isinstance(actual, float) and math.isnan(actual) else format_value(actual, unit)
    if status == INCOMPLETE:  # a count of six weeks beside a two-month benchmark must say it is one
        shown = f"{shown} {so_far_to(through)}"
    text = f"{shown} (benchmark {format_benchmark_of(benchmark, unit)})"
    mark = status_cell(status) if status else None
    if mark is None:
        return Cell(text)
    return Cell(f"{text}\n{mark.text}", mark.css)


def front_page_html(contents: Contents, title: str = "Ceasefire performance reviews") -> str:
    """The front page's HTML for what a reports folder holds."""
    parts = [f"<h1>{html.escape(title)}</h1>",
             '<p class="cf-note">Every review period and meeting pack in this folder, newest first. '
             "The scorecard shows how each indicator moved from review to review.</p>"]
    if contents.periods:
        # the audience sits in the period's own cell, which heads each card on a phone: three copies of one
        # period (internal, partner, public) no longer read as the same row with the difference off-screen
        rows = [[Cell(f"{p.label}, {p.audience}"), Cell(p.manifest.get("params", {}).get("city", "")),
                 Cell(headline_marks(p)), Cell(_coverage(p)), Cell(_reports_line(p.manifest))]
                for p in contents.periods]
        links = "".join(f'<li><a href="{html.escape(p.folder)}/index.html">{html.escape(p.label)}</a> '
                        f'({html.escape(p.manifest.get("params", {}).get("city", ""))}'
                        f'{"" if p.audience == "internal" else ", " + html.escape(p.audience)})</li>'
                        for p in contents.periods)
        parts.append("<h2>Review periods</h2>")
        parts.append(not_refreshed_note(contents))
        parts.append(f"<ul>{links}</ul>")
        parts.append('<div class="cf-scroll">' + html_table(
            ["Review period, audience", "City", "Headline marks", "Data coverage", "Reports"], rows,
            "Review periods, newest first", stacked=True) + "</div>")
        groups = scorecard_groups(contents.periods)
        lengths = Counter(key[:2] for key in groups)  # scorecards per city and audience
        for (city, audience, n_months), periods in groups.items():
            card = scorecard(periods)
            if card.empty:
                continue
            reviews = list(dict.fromkeys(card["review"]))
            rank = {indicator: i for i, indicator in enumerate(scorecard_order(periods))}
            card = card.sort_values("indicator", key=lambda c: c.map(rank), kind="stable")
            by_label = {p.label: p for p in periods}
            grid = []
            for (worksheet, indicator, label), one in card.groupby(["worksheet", "indicator", "label"], sort=False):
                by_review = {r.review: r for r in one.itertuples()}
                grid.append([Cell(label)] + [
                    _scorecard_cell(by_review[rv].actual, by_review[rv].benchmark, by_review[rv].unit,
                                    by_review[rv].status, by_review[rv].through) if rv in by_review
                    else Cell(f"— {no_benchmark_reason(by_label[rv], indicator)}") for rv in reviews])
            who = scorecard_title(city, audience, n_months if lengths[(city, audience)] > 1 else None)
            parts.append(f"<h2>Scorecard over time: {html.escape(who)}</h2>")
            # on a phone one card per indicator, each review named beside its figure (a wide table showed the oldest
            # review and cut off the newest, the one the room is there for)
            parts.append('<div class="cf-scroll">' + html_table(
                ["Indicator"] + reviews, grid,
                f"{who}: actual against benchmark for each review period (oldest first)", stacked=True) + "</div>")
            chart = scorecard_chart(card, title=who, reviews=reviews)
            parts.append('<div class="cf-scroll">' +
                         chart._repr_html_().replace('style="max-width:100%"', 'class="cf-chart"') + "</div>")
    else:
        parts.append("<p>No review period has been rendered into this folder yet.</p>")
        parts.append(not_refreshed_note(contents))  # a meeting pack's failed run
    if contents.packs:
        items = []
        for m in contents.packs:
            name, day = meeting_name_and_day(m)
            page_name = f"{name}.html"
            params = m.get("params", {})
            audience = params.get("audience") or "internal"
            items.append(f'<li><a href="{html.escape(m["folder"])}/{html.escape(page_name)}">'
                         f"{html.escape(MEETING_TITLES.get(name, name))}</a> — meeting of "
                         f"{html.escape(day)} ({html.escape(params.get('city', ''))}; "
                         f"{html.escape(audience)} audience)</li>")
        parts.append("<h2>Meeting packs</h2><ul>" + "".join(items) + "</ul>")
    if contents.unreadable:
        parts.append('<p class="cf-note">Folders that could not be read (no valid manifest.json or '
                     f"indicators.csv): {html.escape(', '.join(contents.unreadable))}.</p>")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head>{FRONT_PAGE_MARKER}{head(title)}{REPORT_CSS}</head>'
            f'<body class="cf-report"><main>{"".join(parts)}</main></body></html>\n')
    return with_glossary(page)

