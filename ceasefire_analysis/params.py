"""Params files: what one review period's run is told.

A params file is YAML in ``params/``. The same keys are the parameters of every
period notebook, so ``papermill notebooks/X.ipynb out.ipynb -f params/P.yaml`` and
``ceasefire run params/P.yaml`` read them identically. Unknown keys and malformed
values are errors that name the key; nothing falls back silently to a default.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .config import HISTORY_DATA_DIR, PROJECT_ROOT, is_demo_dir, resolve_path
from .errors import CeasefireError, ParamsError
from .periods import FIRST_YEAR, LAST_YEAR, Month, ReviewWindows, Window

# Indicators that take an annual benchmark from the params file.
BENCHMARKED_INDICATORS = (
    "homicides",
    "nonfatal_injury_shootings",
    "direct_communications",
    "case_management_new",
)
# Targets of the activity shares, in percent, when a params file does not set ``share_targets``: the seed
# worksheet's (CPSC, "Managing towards a triple bottom line", NNSC conference, June 2017). README lists them.
SHARE_TARGET_DEFAULTS: dict[str, float] = {
    "direct_communications_highest_risk_pct": 90.0,  # "90-100% of participants at highest risk of violence"
    "case_management_opd_highest_risk_pct": 75.0,    # "% of participants ID by OPD as at highest risk ... target is 75%"
    "staffing_pct": 100.0,                           # "CRTs fully staffed"
    "enforcement_vhr_pct_area": 50.0,                # "CRTs focused on VHR: 50% (area)"
    "enforcement_vhr_pct_specialised": 90.0,         # "... 90% (specialized)"
}
AUDIENCES = ("internal", "partner", "public")
MAX_PARAMS_BYTES = 1_000_000  # a params file is a page of settings; anything larger is a mistake or an attack
# a period longer than a year overlaps its own year-earlier window: the E-test would compare a count with itself
MAX_PERIOD_MONTHS = 12

# Every key a params file may hold, with its default. ``None`` marks a required key.
DEFAULTS: dict[str, Any] = {
    "city": None,
    "period_start": None,
    "period_end": None,
    "data_dir": None,
    "annual_benchmarks": {},
    "case_management_capacity": None,
    "benchmark_reduction": 0.10,
    "coordination_meetings_per_month": 2,
    "notes": {},
    "next_steps": [],
    "previous_next_steps": None,
    "audience": "internal",
    "small_count_threshold": 5,
    "history_dir": None,
    "eras": [],
    "history_facts": {},
    "seasonal_benchmarks": False,
    "seasonal_years": 3,
    "control_chart": {},
    "outcomes_cohort": "any",
    "vhr_population_estimate": None,
    "safe_city": {},
    "data_through": None,
    "data_from": None,
    "homicide_scope": "all",
    "share_targets": {},
    "history_start": None,
}
COHORT_KINDS = ("any", "call_in", "custom_notification")
# Keys whose default is None but which a params file may leave out.
OPTIONAL_KEYS = ("case_management_capacity", "history_dir", "vhr_population_estimate", "previous_next_steps",
                 "data_through", "data_from", "history_start")
SAFE_CITY_KEYS = ("base_year", "years", "reduction", "base_count")
# What became of the last review's next steps; "not reported" only when carried over unreported.
NEXT_STEP_STATUSES = ("done", "in progress", "not started")
NOT_REPORTED = "not reported"
# What the city's homicide rows count: every homicide, or (as in NYPD's shooting file) firearm homicides only.
HOMICIDE_SCOPES = ("all", "firearm")


@dataclass(frozen=True)
class ReviewParams:
    """Validated parameters of one review period's run."""

    city: str
    windows: ReviewWindows  # the review period and its year to date
    data_dir: Path
    annual_benchmarks: dict[str, dict[int, float]] = field(default_factory=dict)
    case_management_capacity: int | None = None
    benchmark_reduction: float = 0.10
    coordination_meetings_per_month: float = 2
    notes: dict[str, str] = field(default_factory=dict)
    next_steps: tuple[str, ...] = ()
    previous_next_steps: tuple[dict, ...] | None = None
    audience: str = "internal"
    small_count_threshold: int = 5
    history_dir: Path | None = None
    eras: tuple[dict, ...] = ()
    history_facts: dict = field(default_factory=dict)
    seasonal_benchmarks: bool = False
    seasonal_years: int = 3
    control_chart: dict = field(default_factory=dict)
    outcomes_cohort: str = "any"
    vhr_population_estimate: int | None = None
    safe_city: dict = field(default_factory=dict)
    data_through: dt.date | None = None
    data_from: dt.date | None = None  # the first day the incident extract covers (default: the first incident's)
    homicide_scope: str = "all"
    share_targets: dict[str, float] = field(default_factory=lambda: dict(SHARE_TARGET_DEFAULTS))
    history_start: int | None = None
    source: str = ""
    # set when a notebook reviews another period than its params file's: the file's period ("Feb–Mar 2017"),
    # whose notes, next steps and last review's next steps are then left out (see :func:`notebook_params`)
    notes_written_for: str = ""

    @property
    def period_id(self) -> str:
        return self.windows.period_id

    @property
    def is_demo(self) -> bool:
        return is_demo_dir(self.data_dir)


def demo_name_warning(params: "ReviewParams") -> str | None:
    """A warning when a city's own data would be reviewed under a demo-looking name (a copied demo params file).

    >>> from pathlib import Path
    >>> p = params_from_values({"city": "Oakland (demo data, synthetic)", "period_start": "2017-02",
    ...                         "period_end": "2017-03", "data_dir": "/tmp/nyc"})
    >>> demo_name_warning(p).startswith("The city name")
    True
    """
    lowered = params.city.lower()
    if params.is_demo or not ("demo" in lowered or "synthetic" in lowered):
        return None
    return (f"The city name '{params.city}' says demo or synthetic, but the data folder {params.data_dir} is not "
            "the bundled demo: was this params file copied from the demo? Set 'city' to the real city's name "
            "(and check the notes and next steps).")


def baseline_overlap_warning(params: "ReviewParams", analyst: bool = False) -> str | None:
    """A warning when the control chart's named baseline reaches into the review period (a params file copied from
    an earlier period): the review months would be judged against limits learnt partly from themselves, which makes
    a signal less likely. The default baseline always ends the month before the period. With ``analyst`` (the
    terminal) it also says which key to change; the page for the room does not.

    >>> p = params_from_values({"city": "T", "period_start": "2016-12", "period_end": "2017-01", "data_dir": "/tmp/x",
    ...                         "control_chart": {"baseline_start": "2014-01", "baseline_end": "2016-12"}})
    >>> baseline_overlap_warning(p).split(":")[0]
    "The control charts' baseline (Jan 2014–Dec 2016) includes Dec 2016, a month of this review period (Dec 2016–Jan 2017)"
    """
    control = params.control_chart
    period = params.windows.period
    if "baseline_end" not in control or control["baseline_end"] < period.first:
        return None
    baseline = Window(control["baseline_start"], control["baseline_end"])
    inside = Window(max(baseline.first, period.first), min(baseline.last, period.last))
    return (f"The control charts' baseline ({baseline.label()}) includes {inside.label()}, "
            f"{'a month' if inside.n_months == 1 else 'months'} of this review period ({period.label()}): the limits "
            "the review months are judged against are learnt partly from those months, which makes a signal less "
            "likely." + (f" Set control_chart.baseline_end to {period.first.shift(-1)} or earlier, or leave the "
                         "baseline out to use the 36 months before the period." if analyst else ""))


# The smallest small-count threshold a partner or public report may use: with 1 nothing is hidden, with 2
# only ones, while the page still says small counts are hidden.
SHARED_THRESHOLD_FLOOR = 3


def _require(cond: bool, key: str, what: str, source: str) -> None:
    if not cond:
        where = f" in {source}" if source else ""
        raise ParamsError(f"'{key}'{where} must be {what}")


def audience_and_threshold(values: dict[str, Any], source: str = "") -> tuple[str, int]:
    """The audience and small-count threshold of a period's or a meeting's params: one rule for both.

    Absent (or ``None``) means the default; anything else must be valid as given, so a threshold
    of 0 or an empty audience is an error, never silently the default.

    >>> audience_and_threshold({"audience": "public"})
    ('public', 5)
    >>> audience_and_threshold({"small_count_threshold": 0})
    Traceback (most recent call last):
    ceasefire_analysis.errors.ParamsError: 'small_count_threshold' must be a whole number of 1 or more

    A partner or public report hides counts below the threshold; below ``SHARED_THRESHOLD_FLOOR`` it would
    hide almost nothing (with 1, nothing at all) while its pages say small counts are hidden:

    >>> audience_and_threshold({"audience": "public", "small_count_threshold": 1}, "p.yaml")
    Traceback (most recent call last):
    ceasefire_analysis.errors.ParamsError: 'small_count_threshold' in p.yaml must be a whole number of 3 or more for a public audience (below 3 almost no count of people would be hidden; with 1, none)
    """
    audience = values.get("audience")
    audience = DEFAULTS["audience"] if audience is None else audience
    _require(audience in AUDIENCES, "audience", "one of " + ", ".join(AUDIENCES), source)
    threshold = values.get("small_count_threshold")
    threshold = DEFAULTS["small_count_threshold"] if threshold is None else threshold
    _require(isinstance(threshold, int) and not isinstance(threshold, bool) and threshold >= 1,
             "small_count_threshold", "a whole number of 1 or more", source)
    floor = SHARED_THRESHOLD_FLOOR
    _require(audience == "internal" or threshold >= floor, "small_count_threshold",
             f"a whole number of {floor} or more for a {audience} audience (below {floor} almost no count of "
             "people would be hidden; with 1, none)", source)
    return audience, threshold


def _date_or_none(value: Any, key: str, source: str) -> dt.date | None:
    """A date written YYYY-MM-DD (YAML may already have read it as a date), or None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        _require(False, key, f"a date written YYYY-MM-DD (e.g. 2017-03-15), got {value!r}", source)


def _number(value: Any) -> bool:
    """A finite int or float (``.inf`` and ``.nan`` are YAML numbers too, and never a valid setting)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _year(value: Any) -> bool:
    """A whole year between 1900 and 2100."""
    return isinstance(value, int) and not isinstance(value, bool) and FIRST_YEAR <= value <= LAST_YEAR


def _era_boundary(value: Any) -> bool:
    """A year (2012), a fractional year (2012.75) or a month ('2012-10'), between 1900 and 2100."""
    if isinstance(value, str):
        try:
            Month.parse(value)
        except ParamsError:
            return False
        return True
    return _number(value) and FIRST_YEAR <= value <= LAST_YEAR + 1


def _era_value(value: Any) -> float:
    if isinstance(value, str):
        month = Month.parse(value)
        return month.year + (month.month - 1) / 12
    return float(value)


def _check_eras(eras: Any, source: str) -> tuple[dict, ...]:
    """``eras``: a list of {label, start, end (optional)}; boundaries are years or months."""
    what = "a list of {label, start, end} entries (end optional; years such as 2012, 2012.75 or '2012-10')"
    _require(isinstance(eras, list), "eras", what, source)
    clean = []
    for i, era in enumerate(eras):
        key = f"eras[{i + 1}]"
        _require(isinstance(era, dict) and {"label", "start"} <= set(era) <= {"label", "start", "end"}, key,
                 what, source)
        _require(isinstance(era["label"], str) and 0 < len(era["label"]) <= 80, f"{key}.label",
                 "a text of 1 to 80 characters", source)
        for bound in ("start", "end"):
            if bound in era and not (bound == "end" and era[bound] is None):
                _require(_era_boundary(era[bound]), f"{key}.{bound}",
                         f"a year between {FIRST_YEAR} and {LAST_YEAR} (2012, 2012.75 or '2012-10')", source)
        if era.get("end") is not None:
            _require(_era_value(era["end"]) >= _era_value(era["start"]), f"{key}.end", "on or after its start",
                     source)
        clean.append(dict(era))
    return tuple(clean)


def _check_history_facts(facts: Any, source: str) -> dict:
    """``history_facts``: the long-run claims to recompute, every year and number typed."""
    keys = ("changes", "threshold", "runs_before", "ratio_since", "claimed_change", "claimed_runs", "claimed_ratio",
            "claimed_ratio_of")
    _require(isinstance(facts, dict) and set(facts) <= set(keys), "history_facts",
             f"a mapping with keys {', '.join(keys)}", source)
    changes = facts.get("changes", [])
    year_words = f"a year between {FIRST_YEAR} and {LAST_YEAR}"
    _require(isinstance(changes, list) and all(isinstance(c, list) and len(c) == 2 and all(map(_year, c))
                                               and c[0] < c[1] for c in changes),
             "history_facts.changes", f"a list of [first_year, last_year] pairs, each {year_words}, first before last",
             source)
    if "threshold" in facts:
        _require(_number(facts["threshold"]) and facts["threshold"] >= 0, "history_facts.threshold",
                 "a number of 0 or more", source)
    for key in ("runs_before", "ratio_since"):
        if key in facts:
            _require(_year(facts[key]), f"history_facts.{key}", year_words, source)
    # the deck's own figures, so the report can say whether each claim holds (see history.claim_verdicts)
    if "claimed_change" in facts:
        _require(_number(facts["claimed_change"]), "history_facts.claimed_change",
                 "a fraction, e.g. 0.37 for 'increased by 37%'", source)
    if "claimed_runs" in facts:
        _require(isinstance(facts["claimed_runs"], int) and not isinstance(facts["claimed_runs"], bool)
                 and facts["claimed_runs"] >= 0, "history_facts.claimed_runs", "a whole number of 0 or more", source)
    if "claimed_ratio" in facts:
        ratio = facts["claimed_ratio"]
        _require(isinstance(ratio, list) and len(ratio) == 2 and all(map(_number, ratio)) and 0 < ratio[0] <= ratio[1],
                 "history_facts.claimed_ratio", "a [low, high] pair of multiples, e.g. [4, 6]", source)
    if "claimed_ratio_of" in facts:
        _require(facts["claimed_ratio_of"] in ("state", "national"), "history_facts.claimed_ratio_of",
                 "state or national (the rate the deck compares the city's with)", source)
    return {**facts, "changes": [list(c) for c in changes]} if "changes" in facts else dict(facts)


def params_from_values(values: dict[str, Any], source: str = "", base: Path | None = None) -> ReviewParams:
    """Check raw parameter values (from YAML or a notebook) and build :class:`ReviewParams`.

    ``source`` names where the values came from, for error messages. Relative paths
    (``data_dir``, ``history_dir``) are read against ``base``: the params file's folder
    when the values come from a file, else the current folder.

    >>> p = params_from_values({"city": "X", "period_start": "2017-02",
    ...                         "period_end": "2017-03", "data_dir": "data/raw/demo"})
    >>> p.period_id
    '2017-02_2017-03'
    """
    where = f" in {source}" if source else ""
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise ParamsError(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)}{where}; "
            f"allowed keys are: {', '.join(DEFAULTS)}"
        )
    merged = {key: values.get(key, default) for key, default in DEFAULTS.items()}
    for key, default in DEFAULTS.items():
        if default is None and key not in OPTIONAL_KEYS and merged[key] in (None, ""):
            raise ParamsError(f"'{key}' is required{where}")

    _require(isinstance(merged["city"], str), "city", "text", source)
    windows = ReviewWindows.from_months(merged["period_start"], merged["period_end"])
    if windows.period.n_months > MAX_PERIOD_MONTHS:
        raise ParamsError(f"'period_end' ({windows.period.last}){where} makes a review period of "
                          f"{windows.period.n_months} months from 'period_start' ({windows.period.first}); a review "
                          f"period is at most {MAX_PERIOD_MONTHS} months (a longer one overlaps its own year-earlier "
                          "comparison)")
    _require(isinstance(merged["data_dir"], (str, os.PathLike)), "data_dir", "a folder path", source)

    benchmarks = merged["annual_benchmarks"] or {}
    _require(isinstance(benchmarks, dict), "annual_benchmarks", "a mapping of indicator to {year: number}", source)
    clean_benchmarks: dict[str, dict[int, float]] = {}
    for indicator, by_year in benchmarks.items():
        if indicator not in BENCHMARKED_INDICATORS:
            raise ParamsError(
                f"'annual_benchmarks.{indicator}'{where} is not an indicator with an annual benchmark; "
                f"use one of: {', '.join(BENCHMARKED_INDICATORS)}"
            )
        _require(isinstance(by_year, dict), f"annual_benchmarks.{indicator}", "a mapping of year to number", source)
        clean_benchmarks[indicator] = {}
        for year, value in by_year.items():
            key = f"annual_benchmarks.{indicator}.{year}"
            _require(str(year).isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR, key,
                     f"keyed by a year between {FIRST_YEAR} and {LAST_YEAR}", source)
            _require(_number(value) and value >= 0, key, "a number of 0 or more", source)
            clean_benchmarks[indicator][int(year)] = value

    capacity = merged["case_management_capacity"]
    # 0 places (or 0 meetings a month) is a placeholder, not a target: it would cap a benchmark at 0 and mark
    # any count "Meets"; a city without the number leaves the key out
    _require(capacity is None or (isinstance(capacity, int) and not isinstance(capacity, bool) and capacity >= 1),
             "case_management_capacity", "a whole number of 1 or more (leave the key out when the capacity is "
             "not known)", source)
    reduction = merged["benchmark_reduction"]
    _require(_number(reduction) and 0 <= reduction < 1, "benchmark_reduction",
             "a fraction from 0 up to (not including) 1, e.g. 0.10", source)
    per_month = merged["coordination_meetings_per_month"]
    _require(_number(per_month) and per_month > 0, "coordination_meetings_per_month",
             "a number above 0 (2 when the key is left out)", source)

    notes = merged["notes"] or {}
    _require(isinstance(notes, dict) and all(isinstance(v, str) for v in notes.values()),
             "notes", "a mapping of indicator name to text", source)
    steps = merged["next_steps"] or []
    _require(isinstance(steps, list) and all(isinstance(s, str) for s in steps),
             "next_steps", "a list of text items", source)
    previous_steps = merged["previous_next_steps"]
    if previous_steps is not None:
        _require(isinstance(previous_steps, list), "previous_next_steps",
                 "a list of {text, status, note} entries", source)
        for i, step in enumerate(previous_steps, start=1):
            key = f"previous_next_steps[{i}]"
            _require(isinstance(step, dict) and set(step) <= {"text", "status", "note"}, key,
                     "a mapping with keys text, status and an optional note", source)
            _require(isinstance(step.get("text"), str) and step["text"].strip() != "", f"{key}.text", "text", source)
            _require(step.get("status") in NEXT_STEP_STATUSES, f"{key}.status",
                     "one of " + ", ".join(NEXT_STEP_STATUSES), source)
            _require(isinstance(step.get("note") or "", str), f"{key}.note", "text", source)
        previous_steps = tuple({"text": s["text"], "status": s["status"], "note": s.get("note") or ""}
                               for s in previous_steps)
    audience, threshold = audience_and_threshold(merged, source)
    eras = _check_eras(merged["eras"] or [], source)
    facts = _check_history_facts(merged["history_facts"] or {}, source)

    _require(isinstance(merged["seasonal_benchmarks"], bool), "seasonal_benchmarks", "true or false", source)
    seasonal_years = merged["seasonal_years"]
    _require(isinstance(seasonal_years, int) and not isinstance(seasonal_years, bool) and 1 <= seasonal_years <= 10,
             "seasonal_years", "a whole number from 1 to 10", source)
    control = merged["control_chart"] or {}
    _require(isinstance(control, dict) and set(control) <= {"baseline_start", "baseline_end", "resets", "baseline_months"},
             "control_chart", "a mapping with keys baseline_start, baseline_end, resets, baseline_months", source)
    control = dict(control)
    for key in ("baseline_start", "baseline_end"):
        if key in control:
            control[key] = Month.parse(control[key], f"control_chart.{key}")
    if ("baseline_start" in control) != ("baseline_end" in control):
        raise ParamsError(f"'control_chart'{where} needs both baseline_start and baseline_end")
    if "baseline_start" in control and control["baseline_end"] < control["baseline_start"]:
        raise ParamsError(f"'control_chart.baseline_end'{where} is before 'control_chart.baseline_start'")
    _require(isinstance(control.get("resets", []), list), "control_chart.resets", "a list of months YYYY-MM", source)
    control["resets"] = [Month.parse(m, "control_chart.resets") for m in control.get("resets", [])]
    months = control.get("baseline_months", 12)
    _require(isinstance(months, int) and not isinstance(months, bool) and 3 <= months <= 120,
             "control_chart.baseline_months", "a whole number from 3 to 120", source)
    control["baseline_months"] = months

    _require(merged["homicide_scope"] in HOMICIDE_SCOPES, "homicide_scope", "one of " + ", ".join(HOMICIDE_SCOPES),
             source)
    _require(merged["outcomes_cohort"] in COHORT_KINDS, "outcomes_cohort", "one of " + ", ".join(COHORT_KINDS), source)

    vhr = merged["vhr_population_estimate"]
    _require(vhr is None or (isinstance(vhr, int) and not isinstance(vhr, bool) and vhr >= 1),
             "vhr_population_estimate", "a whole number of 1 or more (people at very high risk)", source)
    safe_city = _safe_city(merged["safe_city"] or {}, source)
    share_targets = _share_targets(merged["share_targets"] or {}, source)
    history_start = merged["history_start"]
    last_year = windows.period.last.year
    _require(history_start is None or (_year(history_start) and history_start <= last_year), "history_start",
             f"a year between {FIRST_YEAR} and the review's year ({last_year}), e.g. 1969", source)
    data_through = _date_or_none(merged["data_through"], "data_through", source)
    # an extract cannot have been taken in the future: such a date would mark windows nobody has seen
    _require(data_through is None or data_through <= dt.date.today(), "data_through",
             f"the day the extract was taken, not later than today ({dt.date.today().isoformat()}), got "
             f"{data_through}", source)
    data_from = _date_or_none(merged["data_from"], "data_from", source)
    _require(data_from is None or data_from <= windows.end, "data_from",
             f"the first day the incident extract covers, on or before the review period's end ({windows.end}), got "
             f"{data_from}", source)

    base = Path.cwd() if base is None else Path(base)
    data_dir = resolve_path(merged["data_dir"], base)
    history_dir = merged["history_dir"]
    _require(history_dir is None or isinstance(history_dir, (str, os.PathLike)), "history_dir", "a folder path",
             source)
    if history_dir not in (None, ""):
        history_path: Path | None = resolve_path(history_dir, base)
        # a typo here would silently turn decades of published history into a few years of incidents
        _require(history_path.is_dir(), "history_dir",
                 f"a folder of annual history series; {history_dir} ({display_path(history_path)}) is not a folder",
                 source)
    elif is_demo_dir(data_dir):
        history_path = HISTORY_DATA_DIR
    elif (data_dir / "history").is_dir():
        history_path = data_dir / "history"
    else:
        history_path = None

    return ReviewParams(
        city=merged["city"],
        windows=windows,
        data_dir=data_dir,
        annual_benchmarks=clean_benchmarks,
        case_management_capacity=capacity,
        benchmark_reduction=reduction,
        coordination_meetings_per_month=per_month,
        notes=dict(notes),
        next_steps=tuple(steps),
        previous_next_steps=previous_steps,
        audience=audience,
        small_count_threshold=threshold,
        history_dir=history_path,
        eras=eras,
        history_facts=dict(facts),
        seasonal_benchmarks=merged["seasonal_benchmarks"],
        seasonal_years=seasonal_years,
        control_chart=control,
        outcomes_cohort=merged["outcomes_cohort"],
        vhr_population_estimate=vhr,
        safe_city=safe_city,
        data_through=data_through,
        data_from=data_from,
        homicide_scope=merged["homicide_scope"],
        share_targets=share_targets,
        history_start=history_start,
        source=source,
    )


def _share_targets(values: Any, source: str) -> dict[str, float]:
    """``share_targets``: {indicator: percent}; indicators left out keep the seed's target (SHARE_TARGET_DEFAULTS).

    >>> _share_targets({"staffing_pct": 95}, "")["staffing_pct"], _share_targets({}, "")["staffing_pct"]
    (95.0, 100.0)
    """
    _require(isinstance(values, dict), "share_targets", "a mapping of indicator to a percentage", source)
    where = f" in {source}" if source else ""
    targets = dict(SHARE_TARGET_DEFAULTS)
    for indicator, value in values.items():
        if indicator not in SHARE_TARGET_DEFAULTS:
            raise ParamsError(f"'share_targets.{indicator}'{where} is not an indicator with a share target; "
                              f"use one of: {', '.join(SHARE_TARGET_DEFAULTS)}")
        _require(_number(value) and 0 <= value <= 100, f"share_targets.{indicator}",
                 "a percentage from 0 to 100, e.g. 75", source)
        targets[indicator] = float(value)
    return targets


def _safe_city(values: Any, source: str) -> dict:
    """Check ``safe_city``: {base_year, years, reduction, optional base_count}, or empty for none."""
    _require(isinstance(values, dict) and set(values) <= set(SAFE_CITY_KEYS), "safe_city",
             "a mapping with keys base_year, years, reduction and optionally base_count", source)
    if not values:
        return {}
    for key in ("base_year", "years", "reduction"):
        _require(key in values, f"safe_city.{key}", "given when safe_city is set", source)

    def whole(value: Any, low: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= low

    _require(_year(values["base_year"]), "safe_city.base_year", f"a year between {FIRST_YEAR} and {LAST_YEAR}",
             source)
    _require(whole(values["years"], 1) and values["years"] <= 50, "safe_city.years",
             "a whole number of years from 1 to 50", source)
    _require(_number(values["reduction"]) and 0 <= values["reduction"] < 1, "safe_city.reduction",
             "a fraction from 0 up to (not including) 1, e.g. 0.10", source)
    _require(values.get("base_count") is None or whole(values["base_count"], 0), "safe_city.base_count",
             "a whole number of 0 or more", source)
    return {key: values.get(key) for key in SAFE_CITY_KEYS}


class _RefusedYAML(yaml.YAMLError):
    """A construct a params file may not use (a repeated key, an alias); the message is for the user."""


class StrictParamsLoader(yaml.SafeLoader):
    """PyYAML's safe loader, minus the two things that make a params file say what it does not seem to say.

    A key given twice would silently take its last value (``audience: public`` then
    ``audience: internal`` gives an internal report); an alias (``*name``) can expand a
    few lines into gigabytes (an "alias bomb"). Both are refused, naming the line.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _RefusedYAML(f"uses an alias (*{event.anchor}) at line {event.start_mark.line + 1}; "
                               "aliases are not allowed in params files: write the value out")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            self._key_of_node[id(value_node)] = key
            try:
                if key in seen:
                    raise _RefusedYAML(f"gives the key '{key}' twice (lines {seen[key]} and {line}); keep one")
                seen[key] = line
            except TypeError:  # an unhashable key: PyYAML's own error says so below
                continue
        return super().construct_mapping(node, deep=deep)

    @property
    def _key_of_node(self) -> dict:
        # the key each value node sits under, so that a bad value can name its key
        if not hasattr(self, "_keys_by_node"):
            self._keys_by_node: dict = {}
        return self._keys_by_node

    def construct_yaml_timestamp(self, node):
        """An unquoted date: PyYAML raises a bare ValueError for 2017-02-30; here it names the key and line."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            key = self._key_of_node.get(id(node))
            named = f"'{key}'" if key is not None else "a value"
            wanted = "a month, as \"YYYY-MM\"" if key in ("period_start", "period_end") else \
                "a date that exists, as YYYY-MM-DD"
            raise _RefusedYAML(f"gives {named} as {node.value} at line {node.start_mark.line + 1}, which is not a "
                               f"real calendar date; write {wanted}") from None


StrictParamsLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictParamsLoader.construct_yaml_timestamp)


def read_params_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a params YAML file into a plain dict, with errors that name the file.

    Refused: files over 1 MB, a key given twice, aliases (see :class:`StrictParamsLoader`).
    """
    path = resolve_path(path, Path.cwd())
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ParamsError(f"params file {path} does not exist") from None
    except OSError as exc:
        raise ParamsError(f"params file {path} cannot be read ({exc.strerror or exc})") from None
    if size > MAX_PARAMS_BYTES:
        raise ParamsError(f"params file {path} is {size:,} bytes; a params file may be at most "
                          f"{MAX_PARAMS_BYTES:,} bytes (1 MB)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ParamsError(f"params file {path} does not exist") from None
    except IsADirectoryError:
        raise ParamsError(f"params file {path} is a folder, not a file") from None
    except UnicodeDecodeError:
        raise ParamsError(f"params file {path} is not UTF-8 text") from None
    try:
        values = yaml.load(text, Loader=StrictParamsLoader)  # noqa: S506 - a SafeLoader subclass
    except _RefusedYAML as exc:
        raise ParamsError(f"params file {path} {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ParamsError(f"params file {path} is not valid YAML{line}") from None
    if not isinstance(values, dict):
        raise ParamsError(f"params file {path} must hold key: value pairs")
    return values


def params_record(params: Any) -> dict[str, Any]:
    """The validated parameters as plain JSON values, for ``manifest.json``.

    Every field of the params dataclass is written (so a key added to it is recorded
    without further change); months as ``YYYY-MM``, dates ISO, paths relative to the project.
    """
    def plain(value: Any) -> Any:
        if isinstance(value, ReviewWindows):
            return {"period_start": str(value.period.first), "period_end": str(value.period.last)}
        if isinstance(value, Month):
            return str(value)
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, Path):
            return display_path(value)
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return value

    record = plain(params)
    if isinstance(record.get("windows"), dict):  # period_start/period_end at the top, as in the params file
        record = {**record.pop("windows"), **record}
    return record


# The keys an analyst changes in a period notebook's parameters cell; everything else comes from the
# params file the cell names. A meeting notebook's are in meetings.NOTEBOOK_MEETING_KEYS.
NOTEBOOK_KEYS = ("period_start", "period_end", "audience")


@dataclass(frozen=True)
class FileText:
    """Free text a params file holds for its own review period or meeting, not carried onto another one's page.

    ``written_for(file_values, supplied)`` names the file's own period or meeting when the keys a notebook sets ask
    for another one (else ""); ``cleared`` are the text keys and the empty value each then takes. The params
    object records the name in ``notes_written_for``, so the page says why its notes are missing.
    """

    written_for: Any  # callable(dict, dict) -> str
    cleared: dict[str, Any]


def notebook_params(params_file: str | os.PathLike, given: dict[str, Any], from_values,
                    overlay_keys: tuple[str, ...] = NOTEBOOK_KEYS, own_text: FileText | None = None) -> tuple[Any, str]:
    """Parameters of a notebook run, and a label saying where they came from.

    Two rules, told apart by the keys given (values of ``None`` are not given):

    - Only keys of ``overlay_keys`` given (an analyst changed ``period_end`` in the parameters
      cell, or ``papermill -p period_end ...``): they are laid over the params file that
      ``params_file`` names, so its city, data, benchmarks and notes are kept.
    - Any other key given (``papermill -f P.yaml`` injects a whole params set): the given keys
      are the whole parameter set and ``params_file`` is not read, so a value from the
      default file can never leak into another city's report.

    With no key given, the params file is read as it is. A relative ``params_file`` reads
    against the project root (where the notebooks' default points); the paths inside the file
    read against the file's own folder, injected paths against the current folder.
    ``from_values(values, source, base)`` checks the values. When the keys laid over the file ask for another
    period or meeting than the file's, its free text (``own_text``: a period's notes and next steps by default)
    is left out: "held on 17 March" is not news of October.

    >>> from ceasefire_analysis.params import params_from_values
    >>> p, label = notebook_params("params/2017-02_2017-03.yaml", {"period_end": "2017-05"}, params_from_values)
    >>> p.period_id, p.annual_benchmarks["homicides"][2017], label
    ('2017-02_2017-05', 72, 'params/2017-02_2017-03.yaml with period_end set in the notebook')
    """
    supplied = {key: value for key, value in given.items() if value is not None}
    if supplied and not set(supplied) <= set(overlay_keys):
        return from_values(supplied, "notebook parameters", None), "parameters injected into the notebook"
    path = resolve_path(params_file)
    label = display_path(path)
    values = read_params_file(path)
    own_text = own_text or PERIOD_TEXT
    written_for = own_text.written_for(values, supplied)
    if supplied:
        values.update(supplied)
        label += f" with {', '.join(supplied)} set in the notebook"
    if written_for:
        values.update(own_text.cleared)
    params = from_values(values, label, path.parent)
    if written_for:
        params = dataclasses.replace(params, notes_written_for=written_for)
    return params, label


def other_period_of(file_values: dict[str, Any], supplied: dict[str, Any]) -> str:
    """The params file's review period ("Feb–Mar 2017") when the keys set in a notebook review another one, else "".

    >>> other_period_of({"period_start": "2017-02", "period_end": "2017-03"}, {"period_start": "2016-10",
    ...                                                                     "period_end": "2016-11"})
    'Feb–Mar 2017'
    >>> other_period_of({"period_start": "2017-02", "period_end": "2017-03"}, {"audience": "public"})
    ''
    """
    changed = [key for key in ("period_start", "period_end")
               if key in supplied and str(supplied[key]) != str(file_values.get(key))]
    if not changed or "period_start" not in file_values or "period_end" not in file_values:
        return ""
    try:
        return Window(Month.parse(file_values["period_start"], "period_start"),
                      Month.parse(file_values["period_end"], "period_end")).label()
    except CeasefireError:  # the file's own period is not readable: name the file's period by its keys
        return f"{file_values['period_start']} to {file_values['period_end']}"


# A period's: its notes on trends and its next steps, agreed and followed up.
PERIOD_TEXT = FileText(other_period_of, {"notes": {}, "next_steps": [], "previous_next_steps": []})


def parameters_in(namespace: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The ``params_file`` and params keys defined in a notebook's namespace (``globals()``).

    They were set in its parameters cell or injected by papermill; this is how a notebook
    hands them all on without naming each.

    >>> parameters_in({"params_file": "p.yaml", "period_end": "2017-05", "In": []}, ("period_end", "city"))
    {'params_file': 'p.yaml', 'period_end': '2017-05'}
    """
    return {key: namespace[key] for key in ("params_file", *keys) if key in namespace}


PARAMS_SUFFIXES = (".yaml", ".yml")  # in any case: a file saved as P.YAML is a params file too


def _is_params_file(path: Path) -> bool:
    return path.suffix.lower() in PARAMS_SUFFIXES and path.is_file() and not path.name.startswith(".")


def params_files_in(paths: list[str | os.PathLike]) -> list[Path]:
    """The params files named, with each folder replaced by its ``*.yaml`` / ``*.yml`` files (any case) in name order.

    A scheduled job can then be pointed at one folder to which new periods are added.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if _is_params_file(p))
            if not inside:
                raise ParamsError(f"params folder {path} holds no .yaml params file")
            found += inside
        else:
            found.append(path)
    return found


def files_not_read_in(paths: list[str | os.PathLike]) -> list[Path]:
    """Files in the params folders named that a folder run does not read (not ``.yaml`` / ``.yml``), to say so:
    a params file saved as ``2016-08.yaml.txt`` would otherwise miss its review without a word."""
    return [p for raw in paths if Path(raw).is_dir() for p in sorted(Path(raw).iterdir())
            if p.is_file() and not p.name.startswith(".") and not _is_params_file(p)]


def load_params(path: str | os.PathLike) -> ReviewParams:
    """Read and check a params file."""
    values = read_params_file(path)
    full = resolve_path(path, Path.cwd())
    return params_from_values(values, source=display_path(full), base=full.parent)


def display_path(path: Path) -> str:
    """A path relative to the project root when inside it, for reports and messages."""
    try:
        return Path(path).resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)
