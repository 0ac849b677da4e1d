"""Publishing a period or meeting folder: staging it beside the old one, its manifest and index page, then swapping it into place."""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import html
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .config import PROJECT_ROOT, SOURCE_TREE
from .errors import CeasefireError
from .files import new_private_dir, write_text_atomic
from .formatting import format_long_day, percent_points
from .front_page import front_page_html, is_own_front_page, read_reports_folder
from .outcomes import outcomes_csv
from .params import baseline_overlap_warning, demo_name_warning, display_path
from .privacy import keeps_executed_notebooks, params_for_audience, suppresses_small_counts, without_absolute_paths
from .reader import head as reader_head, running_header_html, with_glossary
from .review import PeriodReview, open_review, provenance
from .tables import REPORT_CSS, demo_banner_html, headline_html, period_identity, quality_html


REPORTS = {
    "worksheet": "Indicator worksheets",
    "history": "History: the long run",
    "callin_outcomes": "Outcomes after call-ins",
}


MEETING_REPORTS = {
    "shooting_review": "Weekly shooting review pack",
    "coordination": "Coordination meeting pack",
}


@dataclass
class ReportResult:
    """How one notebook's report went."""

    name: str
    status: str  # "ok" or "failed"
    seconds: float
    message: str = ""


STAGING_MARKER = ".ceasefire-staging.json"  # in every folder a run makes and may delete


MANIFEST = "manifest.json"


# What a period folder written before manifests listed their outputs held (see ``made_by_us``).
_KNOWN_OUTPUTS = {"index.html", MANIFEST, "indicators.csv", "callin_outcomes.csv",
                  *(f"{name}.html" for name in (*REPORTS, *MEETING_REPORTS))}


def output_problem(folder: Path, exc: OSError) -> str:
    """One sentence for a failure to write into the output folder."""
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the folder is read-only",
        errno.EACCES: "the folder is read-only (no permission to write there)",
        errno.EPERM: "the folder is read-only (no permission to write there)",
        errno.EEXIST: "a file is in the way where a folder should be",
        errno.ENOTDIR: "a file is in the way where a folder should be",
    }
    reason = reasons.get(exc.errno, exc.strerror or type(exc).__name__)
    return f"cannot write the reports in {folder}: {reason}."


def mark_staging(folder: Path) -> None:
    """Sign a folder as this run's own work, so that only such folders are ever cleared."""
    marker = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    (folder / STAGING_MARKER).write_text(json.dumps(marker), encoding="utf-8")


def staging_owner(folder: Path) -> dict | None:
    """The marker of a folder a run made (pid, host, start time), or None when it carries none."""
    try:
        marker = json.loads((folder / STAGING_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(marker, dict) and isinstance(marker.get("pid"), int) and isinstance(marker.get("host"), str)):
        return None
    return marker


def read_manifest(folder: Path) -> dict | None:
    """The package's manifest in ``folder``, or None when there is none (the folder is not the package's)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(manifest, dict) and "package_version" in manifest and ("period" in manifest or "meeting" in manifest):
        return manifest
    return None


def check_outside_data(out_root: Path, data_dir: Path) -> None:
    """Refuse an output folder inside the raw data folder: reports, executed notebooks and a front page
    would be written among the raw files (and would change what the folder holds)."""
    data_dir = Path(data_dir).resolve()
    if out_root == data_dir or data_dir in out_root.parents:
        raise CeasefireError(f"--out {out_root} is inside the data folder {data_dir}; reports are not written among "
                             "the raw data: choose an output folder outside it.")


def output_folder_name(folder_id: str, audience: str) -> str:
    """The folder a period or meeting pack is written to: a partner or public copy carries its audience, so
    that it sits beside the internal one instead of replacing it.

    >>> output_folder_name("2017-02_2017-03", "internal"), output_folder_name("2017-02_2017-03", "public")
    ('2017-02_2017-03', '2017-02_2017-03-public')
    """
    return folder_id if audience == "internal" else f"{folder_id}-{audience}"


def check_replaceable(target: Path, audience: str | None = None) -> None:
    """Refuse to replace a folder the package did not write (it holds no manifest of ours), or one written for
    another audience (an internal folder is never replaced by a public run's pages, nor the other way)."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise CeasefireError(f"cannot write the reports in {target}: a file is in the way; move it or choose "
                             "another --out.")
    if not target.exists():
        return
    manifest = read_manifest(target)
    if manifest is None:
        raise CeasefireError(f"{target} exists and was not written by ceasefire (it has no manifest.json), so it is "
                             "not replaced; move it away or choose another --out.")
    params = manifest.get("params")
    before = (params.get("audience") if isinstance(params, dict) else None) or "internal"
    if audience is not None and before != audience:
        raise CeasefireError(f"{target} holds {before} reports, so this {audience} run does not replace them; move "
                             "that folder away or choose another --out.")


def made_by_us(manifest: dict) -> set[str]:
    """Paths (relative, POSIX) of the files a previous run wrote, as its manifest lists them."""
    listed = manifest.get("outputs")
    if isinstance(listed, list):
        return {str(p) for p in listed}
    return set(_KNOWN_OUTPUTS)  # manifests written before outputs were listed


def _is_ours(relative: str, ours: set[str], manifest: dict) -> bool:
    if relative in ours:
        return True
    # executed notebooks and kernel logs of manifests that did not list their outputs
    return "outputs" not in manifest and relative.startswith("executed/") and \
        relative.endswith((".ipynb", ".kernel.log"))


def carry_user_files(old: Path, staging: Path) -> list[str]:
    """Copy files the previous run did not make (the user's own) into the new folder; return their paths."""
    manifest = read_manifest(old) or {}
    ours = made_by_us(manifest)
    kept = []
    for path in sorted(old.rglob("*")):
        relative = path.relative_to(old).as_posix()
        if path.is_dir() and not path.is_symlink() or _is_ours(relative, ours, manifest):
            continue
        dest = staging / relative
        if dest.exists() or dest.is_symlink():  # the new run wrote a file of that name: keep both
            dest = dest.with_name(dest.name + ".kept")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest, follow_symlinks=False)
        kept.append(dest.relative_to(staging).as_posix())
    return kept


def replace_dir_atomic(staging: Path, target: Path) -> list[str]:
    """Move a finished folder into place, replacing a previous one the package wrote; keep the user's files.

    The previous folder is replaced only when it holds the package's manifest; files its
    manifest does not list are copied into the new folder first, and the old folder is
    deleted only once the new one is in place. Returns the files kept.
    """
    kept: list[str] = []
    old = None
    if target.exists() or target.is_symlink():
        check_replaceable(target)
        kept = carry_user_files(target, staging)
        # an unmarked hidden folder: if this process dies now, nothing clears it without the user
        old = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
        os.replace(target, old)  # replaces the empty folder just made
    os.replace(staging, target)
    (target / STAGING_MARKER).unlink(missing_ok=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return kept


def page(title: str, body: str, identity: str = "") -> str:
    """A small standalone HTML page in the reports' style (index and failure pages); ``identity`` as on
    the notebook pages (:func:`tables.period_identity`)."""
    header = running_header_html(identity) if identity else ""
    return (f'<!DOCTYPE html>\n<html lang="en"><head>{reader_head(title)}{REPORT_CSS}</head>'
            f'<body class="cf-report">{header}<main>{body}</main></body></html>\n')


def failure_page(name: str, period_id: str, message: str) -> str:
    title = f"{REPORTS.get(name, name)}: not produced"
    body = (f"<h1>{html.escape(title)}</h1>"
            f"<p>The <strong>{html.escape(REPORTS.get(name, name))}</strong> report for period "
            f"{html.escape(period_id)} could not be produced this time. The other reports of the period "
            f"are not affected.</p>"
            f"<h2>What went wrong</h2><p>{html.escape(message)}</p>"
            f"<h2>For the analyst</h2><p>An internal run keeps the executed notebook with the full error in "
            f"<code>executed/{html.escape(name)}.ipynb</code> in this folder; partner and public runs keep "
            f"none, so run the period with <code>audience: internal</code> to see it.</p>"
            '<p><a href="index.html">Back to the period overview</a></p>')
    return page(title, body)


def index_page(review: PeriodReview, results: list[ReportResult]) -> str:
    params = review.params
    first, last = review.incident_span()
    parts = [f"<h1>{html.escape(params.city)}: review period {html.escape(params.windows.period.label())}</h1>"]
    if review.is_demo:
        parts.append(demo_banner_html(review))
    if first is not None:
        parts.append(f"<p>Incident data run from {format_long_day(first)} to {format_long_day(last)}. "
                     f"Year to date: {html.escape(params.windows.ytd.label())}.</p>")
    parts.append(quality_html(review).data)  # the audience and any data-quality warnings, as in the worksheet
    parts.append("<h2>Reports</h2><ul>")
    for r in results:
        label = html.escape(REPORTS.get(r.name, r.name))
        if r.status == "ok":
            parts.append(f'<li><a href="{r.name}.html">{label}</a></li>')
        else:
            parts.append(f'<li><a href="{r.name}.html">{label}</a> — <strong>not produced</strong>: '
                         f"{html.escape(r.message)}</li>")
    parts.append('<li><a href="indicators.csv">indicators.csv</a> (every indicator, for spreadsheets)</li></ul>')
    parts.append(headline_html(review))
    p = provenance(review)
    parts.append(f'<p class="cf-provenance">Provenance — params: {html.escape(p["params"])}; '
                 f'ceasefire_analysis {html.escape(p["package_version"])}; run at {html.escape(p["run_at"])}. '
                 "Input hashes are in manifest.json.</p>")
    return page(f"Period overview — {period_identity(params)}", "".join(parts), period_identity(params))


def git_commit() -> str | None:
    if not SOURCE_TREE:
        return None
    try:
        out = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def _left_by_dead_run(path: Path) -> bool:
    """True for a folder carrying this package's marker, written on this machine by a process that is gone."""
    if path.is_symlink() or not path.is_dir():
        return False
    owner = staging_owner(path)
    return owner is not None and owner["host"] == socket.gethostname() and not _pid_alive(owner["pid"])


def remove_abandoned_staging(out_root: Path) -> list[Path]:
    """Delete half-built folders left by runs that died; return them.

    Only hidden folders carrying this package's marker, written on this machine by a
    process that is gone, are deleted: a user's own ``.tmp-...`` folder never is.
    """
    removed = []
    if not out_root.is_dir():
        return removed
    for path in out_root.iterdir():
        if path.name.startswith(".") and _left_by_dead_run(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


HANDOFF_PREFIX = "ceasefire-handoff-"  # the run's private folder of validated inputs (see handoff.py)


def remove_abandoned_handoffs(parent: Path | None = None) -> list[Path]:
    """Delete the private hand-off folders of runs that died (killed before they could remove them); return them."""
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    with contextlib.suppress(OSError):
        for path in parent.glob(f"{HANDOFF_PREFIX}*"):
            if _left_by_dead_run(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


@contextlib.contextmanager
def handoff_dir(out_root: Path, parent: Path | None = None):
    """The run's private hand-off folder, for the periods it validated (see :mod:`handoff`).

    Made with mode 0700 in the system's temporary folder (or ``parent``), never among the published
    reports, and removed when the run ends, fails or is interrupted; one left by a run that was killed
    is removed by the next run.
    """
    remove_abandoned_handoffs(parent)
    try:
        folder = Path(tempfile.mkdtemp(prefix=HANDOFF_PREFIX, dir=parent)).resolve()  # mode 0700
    except OSError as exc:
        raise CeasefireError(f"cannot make a private folder for the run in {parent or tempfile.gettempdir()}: "
                             f"{exc.strerror or type(exc).__name__}.") from None
    try:
        if folder == out_root or out_root in folder.parents:
            raise CeasefireError(f"the temporary folder {folder.parent} is inside --out {out_root}; the run's private "
                                 "copy of the data is never written among the reports: set TMPDIR to another folder.")
        mark_staging(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def prepare_out_root(out_root: Path) -> None:
    """Create the output folder, or say in one sentence why it cannot be written."""
    try:
        out_root.mkdir(parents=True, exist_ok=True)
        if not out_root.is_dir():
            raise FileExistsError(errno.EEXIST, "a file is in the way", str(out_root))
        probe = Path(tempfile.mkdtemp(prefix=".tmp-probe-", dir=out_root))
        probe.rmdir()
    except OSError as exc:
        raise CeasefireError(output_problem(out_root, exc)) from None


def new_staging(out_root: Path, folder_id: str) -> Path:
    """A hidden temporary folder beside the final one, marked as this run's; its name ends with the folder id."""
    out_root.mkdir(parents=True, exist_ok=True)
    staging = new_private_dir(out_root, f".tmp-{os.getpid()}__").resolve()
    try:
        mark_staging(staging)
        final_staging = staging.with_name(f"{staging.name}__{folder_id}")
        os.replace(staging, final_staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final_staging


def prepare_period(params_file: Path, out_root: Path) -> tuple[PeriodReview, Path]:
    """Validate and compute a period, and start its staging folder with ``indicators.csv``."""
    review = open_review(str(params_file))
    check_outside_data(out_root, review.params.data_dir)
    folder = output_folder_name(review.params.period_id, review.params.audience)
    check_replaceable(out_root / folder, review.params.audience)
    for warning in (demo_name_warning(review.params), baseline_overlap_warning(review.params, analyst=True)):
        if warning:
            print(f"warning: {params_file.name}: {warning}", file=sys.stderr)
    final_staging = new_staging(out_root, folder)
    try:
        write_text_atomic(final_staging / "indicators.csv", indicators_csv(review.indicators, review.params.audience))
        outcomes = outcomes_csv(review)
        if outcomes is not None:
            write_text_atomic(final_staging / "callin_outcomes.csv", outcomes)
    except BaseException:
        shutil.rmtree(final_staging, ignore_errors=True)
        raise
    return review, final_staging


# Percentages of a percent row as the pages print them (whole percent); the benchmark is a set target.
PRINTED_PERCENTS = ("actual", "prior_year", "three_year_average")


def indicators_csv(table: pd.DataFrame, audience: str = "internal") -> str:
    """The indicators table as CSV text, numbers written the same way on every run.

    For partner and public audiences a share is written as the page prints it, a whole percent: an
    unrounded share times its shown base gives the count of people back exactly (8.88889% of 90 is 8),
    even where the page's rounded share would not.

    >>> t = pd.DataFrame({"indicator": ["x"], "unit": ["percent"], "actual": [100 * 8 / 90]})
    >>> indicators_csv(t).splitlines()[1], indicators_csv(t, "public").splitlines()[1]
    ('x,percent,8.88889', 'x,percent,9')
    """
    if suppresses_small_counts(audience) and "unit" in table:
        table = table.copy()
        percent = table["unit"] == "percent"
        for column in (c for c in PRINTED_PERCENTS if c in table):
            table[column] = table[column].astype(float)
            table.loc[percent, column] = table.loc[percent, column].map(
                lambda v: v if pd.isna(v) else float(percent_points(v)))
    return table.to_csv(index=False, float_format="%.6g", lineterminator="\n")


def publish(staging: Path, target: Path, identity: dict, params_file: Path, params: dict, inputs: list[dict],
            started: dt.datetime, results: list[ReportResult], kept: list[str] | None = None) -> Path:
    """Write ``manifest.json`` into a finished staging folder and move the folder into place.

    The manifest lists every file the run wrote (``outputs``), so that a later run knows
    which files are its own to replace; the user's files found in the previous folder
    are copied into the new one and their paths added to ``kept``. A partner or public folder
    (``params["audience"]``) keeps no executed notebook, and its manifest goes through the
    audience rules (:func:`privacy.params_for_audience`): no ``internal:`` note, no absolute path.
    """
    audience = params.get("audience", "public")
    if not keeps_executed_notebooks(audience):  # every intermediate value is in them
        shutil.rmtree(staging / "executed", ignore_errors=True)
    outputs = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*")
                     if p.is_file() and p.name != STAGING_MARKER)
    manifest = {
        **identity,
        "params_file": display_path(params_file),
        "params": params,
        "package_version": __version__,
        "git_commit": git_commit(),
        "inputs": inputs,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "reports": [asdict(r) for r in results],
        "outputs": sorted({*outputs, MANIFEST}),
    }
    if audience != "internal":
        base = Path(params_file).resolve().parent
        manifest = without_absolute_paths({**manifest, "params": params_for_audience(params, audience, base)}, base)
    write_text_atomic(staging / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")
    carried = replace_dir_atomic(staging, target)
    if kept is not None:
        kept.extend(carried)
    return target


def finish_period(review: PeriodReview, staging: Path, results: list[ReportResult], out_root: Path,
                  params_file: Path, params: dict, started: dt.datetime, kept: list[str] | None = None) -> Path:
    results = sorted(results, key=lambda r: list(REPORTS).index(r.name))
    overview = index_page(review, results)
    write_text_atomic(staging / "index.html", with_glossary(overview))
    first, last = review.data.date_range()
    identity = {"period": review.params.period_id,
                "coverage": {"first_incident": f"{first:%Y-%m-%d}" if first is not None else None,
                             "last_incident": f"{last:%Y-%m-%d}" if last is not None else None,
                             **review.coverage.as_record()}}
    return publish(staging, out_root / output_folder_name(review.params.period_id, review.params.audience),
                   identity, params_file,
                   params, review.data.input_records(), started, results, kept)


def refresh_front_page(out_root: Path) -> Path | None:
    """Rewrite ``OUT/index.html``: every period and meeting pack under ``out_root``, and the scorecard.

    An ``index.html`` this package did not write (the user's own) is left alone: None is returned.
    """
    target = out_root / "index.html"
    if not is_own_front_page(target):
        return None
    write_text_atomic(target, front_page_html(read_reports_folder(out_root)))
    return target
