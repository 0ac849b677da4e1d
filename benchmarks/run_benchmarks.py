"""Time the report pipeline and the indicator arithmetic; print one table.

    .venv/bin/python benchmarks/run_benchmarks.py [--repeats 3] [--periods 12] [--quick]

(a) one demo period through `ceasefire run` with its default --jobs (in process)
(b) the floor: as many trivial notebooks (pandas, matplotlib, seaborn imports and one small
    figure each) executed and exported by the same code path
(c) the naive approach: the `papermill` command line, then `jupyter nbconvert`, per notebook
(d) a backfill of N periods with --jobs 1 and with --jobs 2
(e) monthly indicator tables from 10 thousand to 10 million synthetic incidents: time and peak memory
(f) `--large-city` (run alone): one period of a city with 50,000 shootings a year through `ceasefire run`,
    in a child process: time and the peak memory of the largest process (the run or a notebook's kernel)

Each figure is the median of --repeats runs ((c) and (d) run once by default: they are the longest,
and the whole script must stay under 5 minutes on a 2-core machine).
Results are recorded in benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ceasefire_analysis import reports  # noqa: E402
from ceasefire_analysis.cli import DEFAULT_JOBS  # noqa: E402
from ceasefire_analysis.config import DEMO_PARAMS, NOTEBOOKS_DIR  # noqa: E402
from ceasefire_analysis.indicators import monthly_incident_counts, window_total  # noqa: E402
from ceasefire_analysis.periods import Month, Window  # noqa: E402

BIN = Path(sys.executable).parent


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def trivial_notebooks(folder: Path, names: list[str]) -> None:
    """Notebooks as costly as any report can be: the imports and one figure."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        params = nbformat.v4.new_code_cell('params_file: str = ""  # ignored', metadata={"tags": ["parameters"]})
        body = nbformat.v4.new_code_cell(
            "import pandas as pd\nimport matplotlib.pyplot as plt\nimport seaborn as sns\n"
            "fig, ax = plt.subplots()\nax.plot([1, 2, 3])\nplt.show()")
        nb.cells = [params, body]
        nbformat.write(nb, folder / f"{name}.ipynb")


def run_demo(out: Path, jobs: int = DEFAULT_JOBS, params: list[Path] | None = None) -> None:
    results = reports.run_periods(params or [DEMO_PARAMS], out, jobs=jobs, stream=open(os.devnull, "w"))
    failures = [f for r in results for f in r.failures]
    if failures:
        raise SystemExit(f"benchmark run failed: {failures}")


def run_floor(out: Path, jobs: int = DEFAULT_JOBS) -> None:
    folder = out / "floor_notebooks"
    trivial_notebooks(folder, list(reports.REPORTS))
    original = reports.NOTEBOOKS_DIR
    reports.NOTEBOOKS_DIR = folder
    try:
        run_demo(out / "floor", jobs)
    finally:
        reports.NOTEBOOKS_DIR = original


def run_naive(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in reports.REPORTS:
        executed = out / f"{name}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(executed), "-f",
                        str(DEMO_PARAMS), "--cwd", str(NOTEBOOKS_DIR)], check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                       check=True, capture_output=True)


def backfill_params(folder: Path, periods: int) -> list[Path]:
    """Bi-monthly demo periods ending at or before March 2017."""
    text = DEMO_PARAMS.read_text()
    paths = []
    last = Month(2017, 3)
    for i in range(periods):
        end = last.shift(-2 * i)
        start = end.shift(-1)
        path = folder / f"{start}_{end}.yaml"
        path.write_text(text.replace('"2017-02"', f'"{start}"').replace('"2017-03"', f'"{end}"'))
        paths.append(path)
    return paths


def synthetic_incidents(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 365 * 20, n)
    dates = pd.Timestamp("2000-01-01") + pd.to_timedelta(days, unit="D")
    types = pd.Categorical.from_codes(rng.choice(3, n, p=[0.05, 0.25, 0.70]),
                                      ["homicide", "nonfatal_injury_shooting", "non_injury_shooting"])
    return pd.DataFrame({"occurred_on": dates, "incident_type": types})


def monthly_tables(incidents: pd.DataFrame) -> None:
    monthly = monthly_incident_counts(incidents)
    for year in range(2001, 2020):
        window = Window(Month(year, 2), Month(year, 3))
        window_total(monthly, "homicide", window)


def scaling(sizes: list[int], repeats: int) -> list[tuple[int, float, float]]:
    rows = []
    for n in sizes:
        incidents = synthetic_incidents(n)
        seconds = median_time(lambda: monthly_tables(incidents), repeats)
        tracemalloc.start()
        monthly_tables(incidents)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append((n, seconds, peak / 2**20))
    return rows


LARGE_CITY_SHOOTINGS_PER_YEAR = 50_000
LARGE_CITY_KEY = "benchmark-key-for-a-synthetic-large-city-0123456789"


def large_city(folder: Path, per_year: int = LARGE_CITY_SHOOTINGS_PER_YEAR, seed: int = 7) -> Path:
    """A city with ``per_year`` shootings a year, 2014 to March 2017, and its params file."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2014-01-01", "2017-03-31", freq="D")
    n = int(per_year * len(days) / 365.25)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    kinds = rng.choice(["homicide", "nonfatal_injury_shooting", "non_injury_shooting"], size=n, p=[0.03, 0.37, 0.60])
    pd.DataFrame({"incident_id": [f"LC-{i:07d}" for i in range(n)],
                  "occurred_on": rng.choice(days, size=n).astype("datetime64[D]").astype(str),
                  "incident_type": kinds}).to_csv(data / "incidents.csv", index=False)
    people = 20_000
    when = rng.choice(days, size=people).astype("datetime64[D]").astype(str)
    pd.DataFrame({"participant_id": [f"P{i}" for i in range(people)], "occurred_on": when,
                  "kind": rng.choice(["call_in", "custom_notification"], size=people),
                  "highest_risk": rng.choice(["yes", "no"], size=people)}).to_csv(data / "communications.csv",
                                                                                 index=False)
    pd.DataFrame({"participant_id": [f"P{i}" for i in range(people // 4)], "enrolled_on": when[: people // 4],
                  "exited_on": "", "referral_source": "call_in", "opd_highest_risk": "no"}
                 ).to_csv(data / "case_management.csv", index=False)
    pd.DataFrame({"as_of": ["2017-01-01"] * 4, "unit": ["CRT", "SIU", "GANG", "AREA"],
                  "unit_group": ["ceasefire", "siu", "gang", "area"], "authorized": 20, "filled": 18}
                 ).to_csv(data / "staffing.csv", index=False)
    meetings = pd.date_range("2014-01-06", "2017-03-31", freq="14D")
    pd.DataFrame({"meeting_id": [f"M{i}" for i in range(len(meetings))], "scheduled_on": meetings.strftime("%Y-%m-%d"),
                  "kind": "coordination", "held": "yes", "opd_lead_present": "yes", "hsd_lead_present": "yes",
                  "risk_focus": "yes"}).to_csv(data / "meetings.csv", index=False)
    params = folder / "large_city.yaml"
    params.write_text(f"city: Large city (synthetic)\nperiod_start: '2017-02'\nperiod_end: '2017-03'\n"
                      f"data_dir: {data}\naudience: internal\n", encoding="utf-8")
    return params


def run_large_city(work: Path) -> tuple[int, float, float]:
    """(f): shootings in the period's data, seconds, and the largest process's peak memory in MiB."""
    params = large_city(work / "city")
    env = {**os.environ, "CEASEFIRE_ID_KEY": LARGE_CITY_KEY}
    started = time.perf_counter()
    # in a child process so that its peak (and its kernels', which it waits for) is measured on its own
    subprocess.run([str(BIN / "ceasefire"), "run", str(params), "--out", str(work / "out"), "--jobs", "1"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB, largest single descendant
    rows = sum(1 for _ in open(work / "city" / "data" / "incidents.csv")) - 1
    return rows, seconds, peak_kib / 1024


def main_large_city() -> None:
    work = Path(tempfile.mkdtemp(prefix="ceasefire-bench-large-"))
    try:
        rows, seconds, peak = run_large_city(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| (f) large city: shootings in the data (50,000 a year, 2014 to March 2017) | {rows:,} | |")
    print(f"| (f) one period through `ceasefire run --jobs 1` (s) | {seconds:.1f} | |")
    print(f"| (f) peak memory of the largest process (MiB) | {peak:.0f} | ≤ 1536 |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--backfill-repeats", type=int, default=1)
    parser.add_argument("--naive-repeats", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="one repeat, 4 periods, sizes up to 1 million")
    parser.add_argument("--large-city", action="store_true",
                        help="only (f): one period of a city with 50,000 shootings a year, time and peak memory")
    args = parser.parse_args()
    if args.large_city:
        return main_large_city()
    if args.quick:
        args.repeats, args.periods = 1, 4
    sizes = [10_000, 100_000, 1_000_000] + ([] if args.quick else [10_000_000])
    work = Path(tempfile.mkdtemp(prefix="ceasefire-bench-"))
    started = time.perf_counter()
    try:
        a = median_time(lambda: run_demo(work / "a"), args.repeats)
        b = median_time(lambda: run_floor(work / "b"), args.repeats)
        c = median_time(lambda: run_naive(work / "c"), args.naive_repeats)
        params = backfill_params(work, args.periods)
        d1 = median_time(lambda: run_demo(work / "d1", 1, params), args.backfill_repeats)
        d2 = median_time(lambda: run_demo(work / "d2", 2, params), args.backfill_repeats)
        e = scaling(sizes, args.repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - started
    n = len(reports.REPORTS)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"medians of {args.repeats} runs ((c): {args.naive_repeats}, (d): {args.backfill_repeats}); "
          f"total benchmark time {total:.0f} s\n")
    print("| measure | seconds |")
    print("|---|---|")
    print(f"| (a) one demo period through `ceasefire run` ({n} notebooks, --jobs {DEFAULT_JOBS}) | {a:.2f} |")
    print(f"| (b) floor: {n} trivial notebooks, same path (--jobs {DEFAULT_JOBS}) | {b:.2f} |")
    print(f"| (c) naive: papermill CLI + nbconvert CLI per notebook | {c:.2f} |")
    print(f"| (d1) {args.periods} periods, --jobs 1 | {d1:.2f} |")
    print(f"| (d2) {args.periods} periods, --jobs 2 | {d2:.2f} |")
    print()
    print("| ratio | value | target |")
    print("|---|---|---|")
    print(f"| (a)/(b) | {a / b:.2f} | ≤ 1.3 |")
    print(f"| (c)/(a) | {c / a:.2f} | ≥ 2.5 |")
    print(f"| (d1)/(d2) | {d1 / d2:.2f} | ≥ 1.7 |")
    print()
    print("| incidents | monthly tables (s) | peak memory (MiB) | seconds per million |")
    print("|---|---|---|---|")
    for size, seconds, peak in e:
        print(f"| {size:,} | {seconds:.3f} | {peak:.0f} | {seconds / size * 1e6:.3f} |")


if __name__ == "__main__":
    main()
