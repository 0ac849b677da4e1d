"""Time the report pipeline and the indicator arithmetic; print the tables of benchmarks/README.md.

    .venv/bin/python benchmarks/run_benchmarks.py [--repeats 3] [--quick]

(a) one demo period through `ceasefire run` with its default --jobs: the command itself in a child process
    (as a user runs it), and (a-in) the same `run_params_files` call in this process
(b) the floor: as many trivial notebooks (pandas, matplotlib, seaborn imports and one small
    figure each) executed and exported by the same code path (the command, and (b-in) in this process)
(c) the naive approach: the `papermill` command line, then `jupyter nbconvert`, per notebook
(d) a backfill of six demo periods (January-February to November-December 2016) in one `ceasefire run`, with
    the default --jobs: the command in a child process, with the peak memory of its whole process tree (the
    command, the kernels' template, the kernels), and (d-in) in this process; (d1) in this process with --jobs 1
(g) one period of a real-size synthetic city (30,000 incidents, 5,000 people reached), built from the demo
(e) monthly indicator tables from 10 thousand to 10 million synthetic incidents: time and peak memory
(f) `--large-city` (run alone): one period of a city with 50,000 shootings a year through `ceasefire run`,
    in a child process: time and the peak memory of the largest process (the run or a notebook's kernel)

(a), (b), (d), their in-process forms and (g) are run in turn, repeat after repeat, so that a machine shared with other work slows
them alike: their ratios are the figures to read. Each figure is the median of --repeats runs ((c) and (d1)
run once). The whole script must stay under 5 minutes on a 2-core machine.
Results are recorded in benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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
from ceasefire_analysis.config import DEMO_DATA_DIR, DEMO_PARAMS, NOTEBOOKS_DIR  # noqa: E402
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
    results = reports.run_params_files(params or [DEMO_PARAMS], out, jobs=jobs, stream=open(os.devnull, "w"))
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


def backfill_params(folder: Path, periods: int = 6, first: Month = Month(2016, 1)) -> list[Path]:
    """Consecutive bi-monthly demo periods from ``first`` (six: January-February to November-December 2016)."""
    # relative paths read against a params file's folder: point the copies at the demo folder itself
    text = DEMO_PARAMS.read_text().replace("../data/raw/demo", str(DEMO_DATA_DIR))
    paths = []
    for i in range(periods):
        start = first.shift(2 * i)
        end = start.shift(1)
        path = folder / f"{start}_{end}.yaml"
        path.write_text(text.replace('"2017-02"', f'"{start}"').replace('"2017-03"', f'"{end}"'))
        paths.append(path)
    return paths


# Files whose rows are copied, and the identifier columns made unique in each copy.
INCIDENT_FILES = {"incidents": ["incident_id"], "tasks": ["task_id", "incident_id"]}
PEOPLE_FILES = {name: ["participant_id"] for name in
                ("communications", "case_management", "comparison_group", "participant_events", "review_flags")}


def real_size_city(folder: Path, incidents: int = 30_000, people: int = 5_000) -> Path:
    """The demo city copied until it has about ``incidents`` incidents and ``people`` people reached.

    Each copy's identifiers get a suffix, so copies are distinct incidents and people on the same dates;
    the other files (meetings, staffing, enforcement) are kept as they are. Returns a params file.
    """
    data = folder / "real_size"
    data.mkdir(parents=True)
    demo = DEMO_DATA_DIR
    with open(demo / "communications.csv", newline="") as fh:
        reached = len({row["participant_id"] for row in csv.DictReader(fh)})
    with open(demo / "incidents.csv", newline="") as fh:
        incident_rows = sum(1 for _ in csv.DictReader(fh))
    copies = {**{n: math.ceil(incidents / incident_rows) for n in INCIDENT_FILES},
              **{n: math.ceil(people / reached) for n in PEOPLE_FILES}}
    for source in demo.glob("*.csv"):
        with open(source, newline="") as fh:
            reader = csv.DictReader(fh)
            rows, fields = list(reader), reader.fieldnames
        ids = {**INCIDENT_FILES, **PEOPLE_FILES}.get(source.stem, [])
        with open(data / source.name, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            for copy in range(copies.get(source.stem, 1)):
                for row in rows:
                    writer.writerow({k: (f"{v}-{copy}" if k in ids and v and copy else v) for k, v in row.items()})
    params = folder / "real_size.yaml"
    params.write_text(DEMO_PARAMS.read_text().replace("data_dir: ../data/raw/demo", f"data_dir: {data}"))
    return params


def tree_memory(root: int) -> tuple[float, float, float]:
    """PSS and RSS (MiB) summed over ``root`` and all its descendants, and the PSS of ``root`` alone (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    pss = rss = own = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        own += int(line.split()[1]) if pid == root else 0
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            continue
    return pss / 1024, rss / 1024, own / 1024


def tree_pids(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    children.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


PRESENT, FRAME = np.uint64(1 << 63), np.uint64((1 << 55) - 1)


def tree_frames(root: int) -> float | None:
    """MiB of distinct physical pages mapped by ``root`` and its descendants (from ``/proc/<pid>/pagemap``): the
    memory the tree holds, each page once, whoever else maps it too (PSS shares a library's pages with every
    process on the machine that maps it, this benchmark's own included). None where page frames are not readable
    (they need root)."""
    frames = []
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb", buffering=0) as pagemap:
                for line in maps:
                    low, high = (int(x, 16) for x in line.split()[0].split("-"))
                    if "[vsyscall]" in line:
                        continue
                    pagemap.seek(low // 4096 * 8)
                    entries = np.frombuffer(pagemap.read((high - low) // 4096 * 8), dtype=np.uint64)
                    frames.append(entries[(entries & PRESENT) != 0] & FRAME)
        except OSError:
            continue
    found = np.unique(np.concatenate(frames)) if frames else np.empty(0, np.uint64)
    if found.size and not found.any():
        return None  # frame numbers read as zero: not root
    return found.size * 4096 / 2**20


class PeakMemory:
    """Samples the memory of this process's tree while a block runs; keeps the peaks (and, at the PSS peak,
    how much of it was this process's own). With ``frames``, also the distinct physical pages of the tree
    (:func:`tree_frames`; slower to sample, so not during a timed run)."""

    def __init__(self, interval: float = 0.1, root: int | None = None, frames: bool = False):
        self.interval, self.pss, self.rss, self.own_at_peak = interval, 0.0, 0.0, 0.0
        self.root = root  # the process whose tree is sampled (default: this one)
        self.frames: float | None = 0.0 if frames else None
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            pss, rss, own = tree_memory(self.root or os.getpid())
            if pss > self.pss:
                self.own_at_peak = own
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            if self.frames is not None:
                frames = tree_frames(self.root or os.getpid())
                self.frames = None if frames is None else max(self.frames, frames)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def command_run(out: Path, params: list[Path] | None = None, notebooks: Path | None = None,
                frames: bool = False) -> tuple[float, PeakMemory]:
    """The `ceasefire run` command itself in a child process, as a user runs it (its kernels' template is forked
    from it, which a run inside this process, with its sampling thread, does not do): seconds, and the peak memory
    of the child's process tree. With ``notebooks``, the same command with that notebooks folder (the floor)."""
    arguments = ["run", *map(str, params or [DEMO_PARAMS]), "--out", str(out)]
    command = [str(BIN / "ceasefire"), *arguments] if notebooks is None else \
        [sys.executable, str(Path(__file__).with_name("floor_command.py")), str(notebooks), *arguments]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with PeakMemory(root=child.pid, frames=frames) as peak:
        _, errors = child.communicate()
    if child.returncode:
        raise SystemExit(f"benchmark run failed: {errors[-2000:]}")
    return time.perf_counter() - start, peak


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
    parser.add_argument("--naive-repeats", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="one repeat, no naive run, sizes up to 1 million")
    parser.add_argument("--large-city", action="store_true",
                        help="only (f): one period of a city with 50,000 shootings a year, time and peak memory")
    args = parser.parse_args()
    if args.large_city:
        return main_large_city()
    if args.quick:
        args.repeats, args.naive_repeats = 1, 0
    sizes = [10_000, 100_000, 1_000_000] + ([] if args.quick else [10_000_000])
    work = Path(tempfile.mkdtemp(prefix="ceasefire-bench-"))
    os.environ.setdefault("CEASEFIRE_ID_KEY", "benchmark-key-for-the-real-size-synthetic-city")  # the real-size city is not the demo
    started = time.perf_counter()
    keys = ("a", "b", "d", "a_in", "b_in", "d_in", "g")
    times: dict[str, list[float]] = {k: [] for k in keys}
    memory, memory_in = [], []
    try:
        six = backfill_params(work)
        real_size = real_size_city(work)
        run_demo(work / "warm", params=[real_size])  # fills the parquet caches, as any earlier run would
        floor_notebooks = work / "floor_notebooks"
        trivial_notebooks(floor_notebooks, list(reports.REPORTS))
        for _ in range(args.repeats):
            times["a"].append(command_run(work / "a")[0])
            times["b"].append(command_run(work / "b", notebooks=floor_notebooks)[0])
            times["d"].append(command_run(work / "d", six)[0])
            times["a_in"].append(median_time(lambda: run_demo(work / "a_in"), 1))
            times["b_in"].append(median_time(lambda: run_floor(work / "b_in"), 1))
            with PeakMemory() as peak:
                times["d_in"].append(median_time(lambda: run_demo(work / "d_in", params=six), 1))
            memory_in.append(peak)
            times["g"].append(median_time(lambda: run_demo(work / "g", params=[real_size]), 1))
        a, b, d, a_in, b_in, d_in, g = (statistics.median(times[k]) for k in keys)
        with PeakMemory() as peak1:
            d1 = median_time(lambda: run_demo(work / "d1", 1, six), 1)
        # the command's memory, sampled apart from the timed runs (reading every page's frame takes CPU)
        memory = [command_run(work / "d_memory", six, frames=True)[1] for _ in range(2 if args.quick else 3)]
        c = median_time(lambda: run_naive(work / "c"), args.naive_repeats) if args.naive_repeats else float("nan")
        e = scaling(sizes, args.repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - started
    n = len(reports.REPORTS)
    rss = max(m.rss for m in memory)
    own = max(memory, key=lambda m: m.pss).own_at_peak
    pss_in = max(m.pss for m in memory_in)
    own_in = max(memory_in, key=lambda m: m.pss).own_at_peak
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; load average at the end {os.getloadavg()[0]:.1f}")
    print(f"medians of {args.repeats} runs ((c), (d1): 1); total benchmark time {total:.0f} s\n")
    print("| measure | the `ceasefire run` command (s) | in this process (s) |")
    print("|---|---|---|")
    print(f"| (a) one demo period ({n} notebooks, --jobs {DEFAULT_JOBS}) | {a:.2f} | {a_in:.2f} |")
    print(f"| (b) floor: {n} trivial notebooks, same path (--jobs {DEFAULT_JOBS}) | {b:.2f} | {b_in:.2f} |")
    print(f"| (d) six demo periods (Jan-Feb to Nov-Dec 2016) in one run, --jobs {DEFAULT_JOBS} | {d:.2f} | {d_in:.2f} |")
    print(f"| (d1) the same six periods, --jobs 1 | | {d1:.2f} |")
    print(f"| (g) one period of a real-size city (30,000 incidents, 5,000 people), --jobs {DEFAULT_JOBS} | | {g:.2f} |")
    print(f"| (c) naive: papermill CLI + nbconvert CLI per notebook | {c:.2f} | |")
    print()
    print("| ratio | the command | in this process | target |")
    print("|---|---|---|---|")
    print(f"| (d)/(a) six periods against one | {d / a:.2f} | {d_in / a_in:.2f} | ≤ 2.0 |")
    print(f"| (a)/(b) one period against the floor | {a / b:.2f} | {a_in / b_in:.2f} | ≤ 1.0 |")
    print(f"| (g)/(a) real-size city against the demo | | {g / a_in:.2f} | ≤ 1.3 |")
    print(f"| (c)/(a) naive against the pipeline | {c / a:.2f} | | ≥ 2.5 |")
    print(f"| (d1)/(d) --jobs 1 against --jobs {DEFAULT_JOBS} | | {d1 / d_in:.2f} | |")
    print()
    frames = [m.frames for m in memory if m.frames is not None]
    print("peak memory of the command's process tree during (d) (target under 500 MB = 477 MiB), in "
          f"{len(memory)} runs apart from the timed ones: distinct physical pages "
          + (", ".join(f"{f:.0f}" for f in frames) + " MiB" if frames else "not readable here (needs root)")
          + f"; PSS {', '.join(f'{m.pss:.0f}' for m in memory)} MiB (shared pages counted once, and a library's "
          f"pages shared with this benchmark's process too: lower); {rss:.0f} MiB summed RSS at most; the command's "
          f"own process {own:.0f} MiB PSS at the PSS peak")
    print(f"in this process: during (d-in) {pss_in:.0f} MiB PSS (this process, which also holds the benchmark's data, "
          f"{own_in:.0f}); during (d1) {peak1.pss:.0f} MiB PSS ({peak1.own_at_peak:.0f})")
    print("ratios per repeat, the command (d)/(a), (a)/(b); in this process (d)/(a), (a)/(b), (g)/(a): " + "; ".join(
        f"{d_ / a_:.2f}, {a_ / b_:.2f}; {di / ai:.2f}, {ai / bi:.2f}, {g_ / ai:.2f}"
        for a_, b_, d_, ai, bi, di, g_ in zip(*(times[k] for k in keys))))
    print()
    print("| incidents | monthly tables (s) | peak memory (MiB) | seconds per million |")
    print("|---|---|---|---|")
    for size, seconds, peak in e:
        print(f"| {size:,} | {seconds:.3f} | {peak:.0f} | {seconds / size * 1e6:.3f} |")


if __name__ == "__main__":
    main()
