"""Rendering a review period: notebooks executed with papermill, exported to offline HTML.

One call of :func:`run_periods` takes params files and, for each, writes
``OUT/<period_id>/`` with ``index.html``, one HTML report per notebook,
``indicators.csv``, ``manifest.json`` and the executed notebooks under ``executed/``.

Safety rules:
- inputs are validated before any notebook starts; a period with bad inputs writes nothing;
- each period is assembled in a temporary folder and moved into place in one step,
  so a reader never sees half a period and a re-run replaces the old one whole;
- a notebook that fails gets a failure page in place of its report; the others are kept.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import html
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from . import __version__
from .config import DEMO_PARAMS, NOTEBOOKS_DIR, PROJECT_ROOT, SOURCE_TREE, TEMPLATE_DIR, resolve_path
from .errors import CeasefireError
from .executing import KernelPool, WarmKernel, execute_notebook, process_kernel, shutdown_process_kernel
from .front_page import front_page_html, is_own_front_page, read_reports_folder
from .loading import contract_name_warnings
from .meetings import NOTEBOOK_MEETING_KEYS
from .params import NOTEBOOK_KEYS, demo_name_warning, display_path, params_record, read_params_file
from .reader import head as reader_head, with_glossary
from .privacy import keeps_executed_notebooks, params_for_audience, without_absolute_paths
from .outcomes import write_outcomes_csv
from .review import PeriodReview, open_review, provenance
from .tables import REPORT_CSS, headline_html, quality_html

_UMASK = os.umask(0)
os.umask(_UMASK)

ANALYST_ONLY = "analyst-only"  # cell tag: shown in JupyterLab, left out of reports
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


@dataclass
class PeriodResult:
    """How one params file's run went."""

    params_file: str
    period_id: str = ""
    out_dir: str = ""
    error: str = ""
    reports: list[ReportResult] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the user's own files carried over from the previous folder

    @property
    def failures(self) -> list[str]:
        if self.error:
            return [f"{self.params_file}: {self.error}"]
        return [f"{self.period_id}/{r.name}: {r.message}" for r in self.reports if r.status != "ok"]


# --------------------------------------------------------------------------- writing files safely

def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


def check_replaceable(target: Path) -> None:
    """Refuse to replace a folder the package did not write (it holds no manifest of ours)."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise CeasefireError(f"cannot write the reports in {target}: a file is in the way; move it or choose "
                             "another --out.")
    if target.exists() and read_manifest(target) is None:
        raise CeasefireError(f"{target} exists and was not written by ceasefire (it has no manifest.json), so it is "
                             "not replaced; move it away or choose another --out.")


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


# --------------------------------------------------------------------------- HTML export

_EXPORT_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def html_exporter():
    """nbconvert's HTML exporter with the offline template and no code shown.

    One per process: building it compiles the templates, which costs more than exporting a report.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    return exporter


def notebook_to_html(notebook: nbformat.NotebookNode, title: str, audience: str | None = None) -> str:
    """Export an executed notebook to a self-contained HTML page for readers.

    Warnings and other stderr output are dropped: they are for analysts, whose
    executed notebook under ``executed/`` keeps them. Partner and public pages end with a
    glossary of the terms of art they use; ``audience=None`` reads it from the notebook's
    parameters (see :func:`notebook_audience`).
    """
    nb = nbformat.from_dict(notebook)
    # Parameter cells show nothing, and papermill gives the injected one a random id: drop both so
    # that two runs of the same period give the same page.
    dropped = {ANALYST_ONLY, "parameters", "injected-parameters"}
    nb.cells = [c for c in nb.cells if not dropped & set(c.get("metadata", {}).get("tags", []))]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.metadata["title"] = title
    with _EXPORT_LOCK:  # one exporter per process, and an exporter is not safe to share between threads
        body, _ = html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    if (audience or notebook_audience(notebook)) != "internal":
        body = with_glossary(body)
    return body


def notebook_audience(notebook: nbformat.NotebookNode) -> str:
    """The audience a run notebook was made for, from the parameters it ran with.

    Papermill records what it injected; a notebook run by hand has its parameters cell.
    They resolve as the notebook resolved them (:func:`params.notebook_params`); when that
    cannot be known (a params file since moved), the page is treated as not internal, so
    it gets the glossary rather than missing it.
    """
    import ast

    given: dict = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            for node in ast.parse(cell.get("source", "")).body:
                target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
                if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
                    with contextlib.suppress(ValueError):
                        given[target.id] = ast.literal_eval(node.value)
    given.update(notebook.get("metadata", {}).get("papermill", {}).get("parameters", {}))
    supplied = {k: v for k, v in given.items() if v is not None and k != "params_file"}
    if "audience" in supplied:
        return supplied["audience"]
    if supplied.keys() - {*NOTEBOOK_KEYS, *NOTEBOOK_MEETING_KEYS}:
        return "internal"  # a whole injected set without an audience key: the default
    try:
        return read_params_file(resolve_path(given.get("params_file") or DEMO_PARAMS)).get("audience") or "internal"
    except CeasefireError:
        return "unknown"


def report_title(notebook: nbformat.NotebookNode, path: Path) -> str:
    """The title ``ceasefire run`` gives a notebook's page: by the notebook it was run from."""
    source = notebook.get("metadata", {}).get("papermill", {}).get("input_path") or str(path)
    for name in (Path(source).stem, path.stem):
        if name in REPORTS or name in MEETING_REPORTS:
            return REPORTS.get(name) or MEETING_REPORTS[name]
    return path.stem


def render_executed(path: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write the offline reader page of a notebook run by hand, exactly as ``ceasefire run`` does.

    Refuses (``CeasefireError``) a notebook that was not run or that stopped on an error, so
    a reader never gets a page of tracebacks or a half report.
    """
    path = Path(path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise CeasefireError(f"{path}: no such notebook") from None
    except Exception as exc:  # not JSON, not a notebook
        raise CeasefireError(f"{path} is not a Jupyter notebook ({type(exc).__name__})") from None
    code = [c for c in notebook.cells if c.cell_type == "code"]
    for number, cell in enumerate(notebook.cells, start=1):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                raise CeasefireError(f"{path}: cell {number} stopped with {output.get('ename')}: "
                                     f"{output.get('evalue')}; fix it and run the notebook again (no page written)")
    if not any(c.get("outputs") for c in code):
        raise CeasefireError(f"{path} has no outputs: run it first (in JupyterLab, or with papermill)")
    target = Path(out) if out else path.with_suffix(".html")
    write_text_atomic(target, notebook_to_html(notebook, report_title(notebook, path)))
    return target


def page(title: str, body: str) -> str:
    """A small standalone HTML page in the reports' style (index and failure pages)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head>{reader_head(title)}{REPORT_CSS}</head>'
            f'<body class="cf-report"><main>{body}</main></body></html>\n')


def failure_page(name: str, period_id: str, message: str) -> str:
    title = f"{REPORTS.get(name, name)}: not produced"
    body = (f"<h1>{html.escape(title)}</h1>"
            f"<p>The <strong>{html.escape(REPORTS.get(name, name))}</strong> report for period "
            f"{html.escape(period_id)} could not be produced this time. The other reports of the period "
            f"are not affected.</p>"
            f"<h2>What went wrong</h2><p>{html.escape(message)}</p>"
            f"<h2>For the analyst</h2><p>The executed notebook with the full error is "
            f"<code>executed/{html.escape(name)}.ipynb</code> in this folder.</p>"
            '<p><a href="index.html">Back to the period overview</a></p>')
    return page(title, body)


# --------------------------------------------------------------------------- one notebook

def render_notebook(name: str, params_file: str, staging: str, kernel: WarmKernel | None = None) -> ReportResult:
    """Execute one period notebook in ``kernel`` (by default this process's) and write its HTML report
    (or a failure page) into ``staging``."""
    import papermill as pm

    started = time.perf_counter()
    staging_dir = Path(staging)
    executed = staging_dir / "executed" / f"{name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    period_id = staging_dir.name.split("__")[-1]
    try:
        nb = execute_notebook(kernel or process_kernel(), NOTEBOOKS_DIR / f"{name}.ipynb", executed,
                              {"params_file": params_file},
                              # installed, notebooks run in the user's folder, never inside the package
                              cwd=NOTEBOOKS_DIR if SOURCE_TREE else Path.cwd())
    except pm.PapermillExecutionError as exc:
        message = f"{exc.ename}: {exc.evalue}".strip()
        write_text_atomic(staging_dir / f"{name}.html", failure_page(name, period_id, message))
        return ReportResult(name, "failed", time.perf_counter() - started, message)
    except Exception as exc:  # a kernel that dies or cannot start is a failure of this report only
        message = f"{type(exc).__name__}: {exc}"
        write_text_atomic(staging_dir / f"{name}.html", failure_page(name, period_id, message))
        return ReportResult(name, "failed", time.perf_counter() - started, message)
    title = REPORTS.get(name) or MEETING_REPORTS.get(name, name)
    write_text_atomic(staging_dir / f"{name}.html", notebook_to_html(nb, title))
    return ReportResult(name, "ok", time.perf_counter() - started)


# --------------------------------------------------------------------------- one period

def index_page(review: PeriodReview, results: list[ReportResult]) -> str:
    params = review.params
    first, last = review.data.date_range()
    parts = [f"<h1>{html.escape(params.city)}: review period {html.escape(params.review.period.label())}</h1>"]
    if review.is_demo:
        parts.append('<div class="cf-banner">SYNTHETIC DEMO DATA: invented numbers that reproduce the layout '
                     "of Oakland's February–March 2017 worksheets.</div>")
    if first is not None:
        parts.append(f"<p>Incident data run from {first:%d %B %Y} to {last:%d %B %Y}. "
                     f"Year to date: {html.escape(params.review.ytd.label())}.</p>")
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
    return page(f"{params.city} {params.period_id}", "".join(parts))


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


def remove_abandoned_staging(out_root: Path) -> list[Path]:
    """Delete half-built folders left by runs that died; return them.

    Only hidden folders carrying this package's marker, written on this machine by a
    process that is gone, are deleted: a user's own ``.tmp-...`` folder never is.
    """
    removed = []
    if not out_root.is_dir():
        return removed
    host = socket.gethostname()
    for path in out_root.iterdir():
        if not path.name.startswith(".") or path.is_symlink() or not path.is_dir():
            continue
        owner = staging_owner(path)
        if owner is None or owner["host"] != host or _pid_alive(owner["pid"]):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


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
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}__", dir=out_root)).resolve()
    try:
        mark_staging(staging)
        os.chmod(staging, 0o777 & ~_UMASK)
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
    check_replaceable(out_root / review.params.period_id)
    name_warning = demo_name_warning(review.params)
    if name_warning:
        print(f"warning: {params_file.name}: {name_warning}", file=sys.stderr)
    final_staging = new_staging(out_root, review.params.period_id)
    try:
        write_text_atomic(final_staging / "indicators.csv", indicators_csv(review.indicators))
        write_outcomes_csv(review, final_staging / "callin_outcomes.csv")
    except BaseException:
        shutil.rmtree(final_staging, ignore_errors=True)
        raise
    return review, final_staging


def indicators_csv(table: pd.DataFrame) -> str:
    """The indicators table as CSV text, numbers written the same way on every run."""
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
    write_text_atomic(staging / "index.html",
                      overview if review.params.audience == "internal" else with_glossary(overview))
    first, last = review.data.date_range()
    identity = {"period": review.params.period_id,
                "coverage": {"first_incident": f"{first:%Y-%m-%d}" if first is not None else None,
                             "last_incident": f"{last:%Y-%m-%d}" if last is not None else None,
                             **review.coverage.as_record()}}
    return publish(staging, out_root / review.params.period_id, identity, params_file,
                   params, review.data.input_records(), started, results, kept)


# --------------------------------------------------------------------------- many periods

class Progress:
    """Progress of a run: a tqdm bar on a terminal, plain lines otherwise (logs of the scheduled job).

    :meth:`start` shows it at once, before the first notebook ends, with an estimate of the
    time left: from the past runs' notebook times in the output folder until this run has
    timings of its own, then from this run's pace.
    """

    def __init__(self, total: int, stream=None, seconds_each: float = 10.0, jobs: int = 1):
        self.total, self.done, self.stream = total, 0, stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.seconds_each, self.jobs = seconds_each, max(1, jobs)
        self.started = time.monotonic()
        self.bar = None
        self._ticker: threading.Event | None = None
        self._own_stream = None

    def seconds_left(self) -> float:
        """Estimated seconds until every notebook is done."""
        elapsed = time.monotonic() - self.started
        if self.done:
            return elapsed / self.done * (self.total - self.done)
        return max(0.0, self.seconds_each * self.total / min(self.jobs, max(self.total, 1)) - elapsed)

    def _left_text(self) -> str:
        left = self.seconds_left()
        return f"about {left / 60:.0f} min left" if left >= 90 else f"about {left:.0f} s left"

    def start(self) -> None:
        if self.tty:
            from tqdm import tqdm

            # The bar writes to its own copy of the terminal's descriptor, so that nothing that redirects
            # descriptor 2 can swallow it (kernels write their stderr to their own log: executing.py).
            with contextlib.suppress(AttributeError, OSError, io.UnsupportedOperation):
                self._given_stream = self.stream
                self.stream = self._own_stream = os.fdopen(os.dup(self.stream.fileno()), "w", buffering=1)
            self.bar = tqdm(total=self.total, file=self.stream, unit="notebook", dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]")
            self.bar.set_postfix_str(self._left_text())
            self._ticker = threading.Event()
            threading.Thread(target=self._tick, args=(self._ticker,), daemon=True).start()
        else:
            self.stream.write(f"[0/{self.total}] started: {self.total} notebook{'s' if self.total != 1 else ''}, "
                              f"{self._left_text()}\n")
            self.stream.flush()

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(1.0):  # the clock moves while a long notebook runs
            if self.bar is not None:
                self.bar.set_postfix_str(self._left_text())

    def step(self, text: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_description_str(text[:50])
            self.bar.set_postfix_str(self._left_text(), refresh=False)
            self.bar.update(1)
            if self.done == self.total:
                self.close()
        elif self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {text[:60]:<60}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.set()
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self._own_stream is not None:
            self._own_stream.close()
            self.stream, self._own_stream = self._given_stream, None


def past_notebook_seconds(out_root: Path, default: float = 10.0) -> float:
    """Mean seconds a notebook took in the runs already in ``out_root`` (``default`` when none)."""
    seconds = []
    for manifest in out_root.glob("*/manifest.json") if out_root.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            seconds += [float(r["seconds"]) for r in json.loads(manifest.read_text()).get("reports", [])
                        if r.get("status") == "ok"]
    return sum(seconds) / len(seconds) if seconds else default


def run_periods(params_files: list[str | os.PathLike], out_root: str | os.PathLike, jobs: int = 1,
                notebooks: tuple[str, ...] = tuple(REPORTS), stream=None) -> list[PeriodResult]:
    """Render every params file's period; return what happened to each.

    Notebooks run in up to ``jobs`` kernels at once; each kernel runs one notebook after another,
    from a clean state (see executing.py). A period whose inputs fail validation is reported and
    skipped before any notebook starts.
    """
    stream = stream or sys.stderr
    out_root = Path(out_root).resolve()
    created = not out_root.exists()
    prepare_out_root(out_root)
    remove_abandoned_staging(out_root)
    results: list[PeriodResult] = []
    jobs_ready: list[Job] = []
    expected = sum(notebook_count(Path(raw), notebooks) for raw in params_files)
    with contextlib.ExitStack() as stack:
        def drop_staging_on_error(kind, *_) -> None:
            # Ctrl-C (or a crash) while notebooks run: no half-built folder stays behind in --out. Pushed
            # first, so it runs last, once the kernels that write into the folders are stopped.
            if kind is not None:
                for job in jobs_ready:
                    shutil.rmtree(job.staging, ignore_errors=True)

        stack.push(drop_staging_on_error)
        # Kernels start while the inputs are checked: ``jobs`` of them, each driven by a thread of this
        # process, or one when notebooks run one at a time.
        pool = None
        if jobs > 1 and expected > 1:
            pool = stack.enter_context(KernelPool(min(jobs, expected), prepare=html_exporter))
        elif expected:
            stack.callback(shutdown_process_kernel)
            if process_kernel().km is None:
                process_kernel().launch()

        for raw in params_files:
            params_file = Path(raw).resolve()
            result = PeriodResult(params_file=display_path(params_file))
            results.append(result)
            try:
                try:
                    job = prepare_job(params_file, out_root, result, notebooks)
                except OSError as exc:
                    raise CeasefireError(output_problem(out_root, exc)) from None
            except CeasefireError as exc:
                result.error = str(exc)
                stream.write(f"{result.params_file}: not run.\n{exc}\n")
                continue
            jobs_ready.append(job)
            for warning in job.warnings:
                stream.write(f"warning: {warning}\n")

        tasks = [(job, name) for job in jobs_ready for name in job.notebooks]
        progress = Progress(len(tasks), stream, past_notebook_seconds(out_root), jobs)
        by_job: dict[int, list[ReportResult]] = {id(job): [] for job in jobs_ready}

        def record(job: Job, name: str, outcome: ReportResult) -> None:
            by_job[id(job)].append(outcome)
            progress.step(f"{job.result.period_id} {name}: {outcome.status} ({outcome.seconds:.1f} s)")

        try:
            if tasks:
                progress.start()
            if pool is None:
                for job, name in tasks:
                    record(job, name, render_notebook(name, str(job.params_file), str(job.staging)))
            else:
                futures = {pool.submit(render_notebook, name, str(job.params_file), str(job.staging)): (job, name)
                           for job, name in tasks}
                for future in as_completed(futures):
                    job, name = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # not a notebook's failure: rendering itself went wrong
                        outcome = ReportResult(name, "failed", 0.0, f"{type(exc).__name__}: {exc}")
                        with contextlib.suppress(OSError):  # a full disk is reported when the period is finished
                            write_text_atomic(job.staging / f"{name}.html",
                                              failure_page(name, job.result.period_id, outcome.message))
                    record(job, name, outcome)
        finally:
            progress.close()

    for job in jobs_ready:
        job.result.reports = by_job[id(job)]
        try:
            job.result.out_dir = str(job.finish(job.result.reports))
        except (OSError, CeasefireError) as exc:
            # nothing half-written stays behind: the previous folder, if any, is untouched
            shutil.rmtree(job.staging, ignore_errors=True)
            job.result.error = output_problem(out_root, exc) if isinstance(exc, OSError) else str(exc)
            stream.write(f"{job.result.params_file}: not written. {job.result.error}\n")
            continue
        for name in job.result.kept:
            stream.write(f"{job.result.period_id}: kept your file {name} (not made by ceasefire) in the new folder\n")
    if created and not jobs_ready:  # every params file refused: leave no empty folder behind
        with contextlib.suppress(OSError):
            out_root.rmdir()
    if jobs_ready:
        try:
            if refresh_front_page(out_root) is None:
                stream.write(f"{out_root / 'index.html'}: not written: that index.html was not made by ceasefire, so "
                             "it is left as it is; the periods are in their folders (move it away, or use another "
                             "--out, to get the front page)\n")
        except OSError as exc:  # the periods are written; only the list of them is stale
            stream.write(f"{out_root / 'index.html'}: front page not updated. {output_problem(out_root, exc)}\n")
    return results


def refresh_front_page(out_root: Path) -> Path | None:
    """Rewrite ``OUT/index.html``: every period and meeting pack under ``out_root``, and the scorecard.

    An ``index.html`` this package did not write (the user's own) is left alone: None is returned.
    """
    target = out_root / "index.html"
    if not is_own_front_page(target):
        return None
    write_text_atomic(target, front_page_html(read_reports_folder(out_root)))
    return target


@dataclass
class Job:
    """One params file's work: notebooks to render into a staging folder, then a finishing step."""

    result: PeriodResult
    params_file: Path
    staging: Path
    notebooks: tuple[str, ...]
    finish: object  # callable(list[ReportResult]) -> Path of the finished folder
    warnings: list[str] = field(default_factory=list)  # one line each for the terminal


def notebook_count(params_file: Path, notebooks: tuple[str, ...]) -> int:
    """How many notebooks a params file will run, at most (read before any input is checked)."""
    from .meetings import is_meeting_params

    try:
        return 1 if is_meeting_params(read_params_file(params_file)) else len(notebooks)
    except CeasefireError:
        return 0


def prepare_job(params_file: Path, out_root: Path, result: PeriodResult, notebooks: tuple[str, ...]) -> Job:
    """Validate a params file and its data, and set up its staging folder (nothing final is written)."""
    from .meetings import is_meeting_params, open_meeting

    started = dt.datetime.now().astimezone()
    raw = read_params_file(params_file)
    if is_meeting_params(raw):
        pack = open_meeting(str(params_file))
        check_outside_data(out_root, pack.params.data_dir)
        check_replaceable(out_root / pack.params.folder_id)
        staging = new_staging(out_root, pack.params.folder_id)
        result.period_id = pack.params.folder_id

        def finish_meeting(reports: list[ReportResult]) -> Path:
            return publish(staging, out_root / pack.params.folder_id, {"meeting": pack.params.folder_id},
                           params_file, params_record(pack.params), pack.data.input_records(), started, reports,
                           result.kept)

        return Job(result, params_file, staging, (pack.params.meeting,), finish_meeting,
                   contract_name_warnings(pack.params.data_dir))
    review, staging = prepare_period(params_file, out_root)  # params are checked before any data is read
    result.period_id = review.params.period_id
    incomplete = review.incomplete_warning()
    return Job(result, params_file, staging, notebooks,
               lambda reports: finish_period(review, staging, reports, out_root, params_file,
                                             params_record(review.params), started, result.kept),
               ([incomplete] if incomplete else []) + contract_name_warnings(review.params.data_dir))
