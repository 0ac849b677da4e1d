"""A clean start for a new city: ``ceasefire new-city DIR --name "City name"``.

Writes ``DIR/params/<period>.yaml`` (every key present or commented out, no value taken
from the demo) and ``DIR/data/`` with a README and a ``.gitignore`` that keeps the
city's records out of git, and a ``DIR/.gitignore`` for the processed cache and the reports.
Nothing that exists is overwritten (lines missing from an existing ``DIR/.gitignore`` are added).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .config import PARAMS_DIR
from .errors import CeasefireError
from .params import SHARE_TARGET_DEFAULTS
from .periods import Month

DATA_README = """# {city}: input data

Put this city's input files here (the data contract is in the package's
docs/data_dictionary.md). Only `incidents.csv` is required: one row per victim of a
homicide or non-fatal injury shooting (and one per non-injury shooting incident, if the
police record them). Every other file is optional; a section whose file is absent says
"not recorded for this city".

From a police export, write `incidents.csv` with a column map:

    ceasefire import --map nypd_shooting_incidents --out {data_dir} EXPORT.csv

(maps for other exports: see params/maps/ in the project; copy one and edit the column names).

Git ignores everything in this folder except this README and the .gitignore: real
records about people must never be committed.
"""

# In the city's folder: the processed cache (next to data/ when the package is installed) and the reports.
CITY_GITIGNORE_LINES = (".ceasefire_cache/", "reports/")
GITIGNORE = """# Real records never enter git: ignore everything here but this file and the README.
*
!.gitignore
!README.md
"""


def default_period(today: dt.date) -> tuple[Month, Month]:
    """The last two complete months before ``today`` (a bi-monthly review).

    >>> [str(m) for m in default_period(dt.date(2026, 1, 15))]
    ['2025-11', '2025-12']
    """
    last = Month(today.year, today.month).shift(-1)
    return last.shift(-1), last


def params_text(city: str, start: Month, end: Month) -> str:
    """A params file for a new city: required keys set, every other key present as a comment."""
    lines = [
        f"# Review period params for {city}. Every key is described in the project README",
        "# ('A new period, a new city'); uncomment a key to use it. Relative paths read",
        "# against this file's folder.",
        f"city: {_quote(city)}",
        f'period_start: "{start}"          # first month of the review period, YYYY-MM',
        f'period_end: "{end}"            # last month; year to date runs 1 January to its end',
        "data_dir: ../data                # this city's input files",
        "homicide_scope: all              # all (every cause) or firearm (e.g. NYPD's shooting murders only;",
        "                                 # `ceasefire import` says which one its map's export needs)",
        "# data_through: YYYY-MM-DD       # the day the extract was taken (default: the latest record)",
        "# data_from: YYYY-MM-DD          # the first day the incident extract covers (default: the first incident's)",
        "# annual_benchmarks:             # per indicator, per year; without one, an outcome's is last year less",
        "#   homicides: {YYYY: N}         # benchmark_reduction",
        "#   nonfatal_injury_shootings: {YYYY: N}",
        "#   direct_communications: {YYYY: N}",
        "#   case_management_new: {YYYY: N}",
        "# case_management_capacity: N    # places available; caps the case-management benchmark",
        "# benchmark_reduction: 0.10      # yearly cut that derives a missing outcome benchmark",
        "# coordination_meetings_per_month: 2",
        "share_targets:                   # activity share targets in percent; these are the seed worksheet's",
        "                                 # (CPSC, NNSC conference, June 2017): set the partnership's own",
        *(f"  {indicator}: {target:g}" for indicator, target in SHARE_TARGET_DEFAULTS.items()),
        "# notes:                         # notes re trends, per indicator",
        "#   homicides: \"...\"",
        "# next_steps:                    # the review's agreed next steps",
        "#   - \"...\"",
        "# previous_next_steps:           # what became of the last review's next steps",
        "#   - {text: \"...\", status: done, note: \"\"}",
        "# audience: internal             # internal, partner or public",
        "# small_count_threshold: 5       # counts of people below this are hidden for partner and public",
        "# history_dir: ../data/history   # annual series (year, value, source, definition)",
        "# history_start: YYYY            # first year of the long-run charts (default: the series' first year)",
        "# eras:                          # periods shaded on the long-run chart",
        "#   - {label: \"...\", start: YYYY, end: YYYY}",
        "# history_facts: {}              # changes, threshold, runs_before, ratio_since",
        "# seasonal_benchmarks: false",
        "# seasonal_years: 3",
        "# control_chart: {}              # baseline_start, baseline_end, resets, baseline_months",
        "# outcomes_cohort: any           # any, call_in or custom_notification",
        "# vhr_population_estimate: N     # people at very high risk, from the problem analysis (Worksheet 3)",
        "# safe_city: {}                  # base_year, years, reduction, base_count: the safe-city path",
    ]
    return "\n".join(lines) + "\n"  # tests/test_newcity.py checks that every key of params.DEFAULTS is here


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_city(folder: str | os.PathLike, city: str, today: dt.date | None = None) -> tuple[Path, Path]:
    """Write a new city's folder; return the params file and the data folder.

    Raises
    ------
    CeasefireError
        When ``folder`` already holds a params or data folder (nothing is overwritten).
    """
    if not city.strip():
        raise CeasefireError("--name must give the city's name, e.g. --name \"New York City\"")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CeasefireError(f"{folder} is a file; give a folder for the new city (it is made if it does not exist)")
    params_dir, data_dir = folder / "params", folder / "data"
    existing = [p for p in (params_dir, data_dir) if p.exists()]
    if existing:
        raise CeasefireError(f"{existing[0]} already exists; new-city never overwrites. Choose an empty folder.")
    start, end = default_period(today or dt.date.today())
    try:
        params_dir.mkdir(parents=True)
        data_dir.mkdir()
    except OSError as exc:
        raise CeasefireError(f"{folder} could not be made ({exc.strerror or exc}); give a folder that can be") from None
    params_file = params_dir / f"{start}_{end}.yaml"
    params_file.write_text(params_text(city.strip(), start, end), encoding="utf-8")
    (data_dir / "README.md").write_text(DATA_README.format(city=city.strip(), data_dir=data_dir), encoding="utf-8")
    (data_dir / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    ignore_outputs(folder)
    return params_file, data_dir


def ignore_outputs(folder: Path) -> None:
    """Make git ignore the processed cache and the reports a run writes in a city's folder: the cache is the
    city's records, and internal reports are for staff only. Lines already in its ``.gitignore`` are kept."""
    path = folder / ".gitignore"
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    missing = [line for line in CITY_GITIGNORE_LINES if line not in before.splitlines()]
    if missing:
        text = (before + ("\n" if before and not before.endswith("\n") else "")
                + "# written by ceasefire new-city: the processed cache and the reports stay out of git\n"
                + "".join(f"{line}\n" for line in missing))
        path.write_text(text, encoding="utf-8")


def next_commands(params_file: Path, data_dir: Path) -> list[str]:
    """The three commands that take a new city folder to its first worksheet."""
    return [
        f"ceasefire import --map nypd_shooting_incidents --out {data_dir} EXPORT.csv"
        f"   # or copy incidents.csv into {data_dir}; maps: {PARAMS_DIR / 'maps'}",
        f"ceasefire validate {data_dir}",
        f"ceasefire run {params_file}   # edit period_start/period_end first",
    ]
