"""Rendering review periods and meeting packs: each params file checked, its notebooks run and exported to offline HTML, its folder published."""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import shutil
import sys
import threading
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .config import NOTEBOOKS_DIR, SOURCE_TREE, TEMPLATE_DIR
from .errors import CeasefireError
from .executing import (
    KernelPool, KernelTemplate, WarmKernel, can_fork_kernels, execute_notebook, notebook_imports, process_kernel,
    limit_malloc_arenas, release_free_memory, shutdown_process_kernel,
)
from .files import write_text_atomic
from .front_page import record_failed_runs
from .handoff import SNAPSHOT_KEY, save_opened
from .loading import contract_name_warnings
from .meetings import is_meeting_params, meeting_params_from_values, open_meeting
from .params import display_path, params_from_values, params_record, read_params_file
from .progress import Progress, past_notebook_seconds
from .publishing import (  # noqa: F401 (REPORTS ... indicators_csv are read from here by callers and tests)
    MANIFEST, MEETING_REPORTS, REPORTS, STAGING_MARKER, ReportResult, check_outside_data, check_replaceable, failure_page,
    finish_period, handoff_dir, indicators_csv, new_staging, output_folder_name, output_problem, prepare_out_root, prepare_period, publish,
    refresh_front_page, remove_abandoned_staging, replace_dir_atomic,
)
from .reader import identity_in, with_glossary

ANALYST_ONLY = "analyst-only"  # cell tag: shown in JupyterLab, left out of reports


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


def run_failures(results: list[PeriodResult]) -> list[str]:
    """Every failure of a run, once each: a refusal shared by several params files (two or more that would write
    one folder: its sentence names them all) is one failure, so the count and the list printed agree.

    >>> clash = "a.yaml and b.yaml would both write out/x, so neither is run."
    >>> run_failures([PeriodResult("a.yaml", error=clash), PeriodResult("b.yaml", error=clash),
    ...               PeriodResult("c.yaml", error="bad"), PeriodResult("d.yaml", error="bad")])
    ['a.yaml and b.yaml would both write out/x, so neither is run.', 'c.yaml: bad', 'd.yaml: bad']
    """
    shared = {r.error for r in results if r.error
              and all(o.params_file in r.error for o in results if o.error == r.error)
              and sum(o.error == r.error for o in results) > 1}  # one sentence naming every file it is about
    lines = [r.error if r.error in shared else line for r in results for line in r.failures]
    return list(dict.fromkeys(lines))


# --------------------------------------------------------------------------- HTML export

_EXPORT_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def html_exporter():
    """nbconvert's HTML exporter with the offline template and no code shown.

    One per process: building it compiles the templates, which costs more than exporting a report.
    """
    from nbconvert import HTMLExporter  # heavy: imported only when a page is exported

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    return exporter


def notebook_to_html(notebook: nbformat.NotebookNode, title: str) -> str:
    """Export an executed notebook to a self-contained HTML page for readers.

    Warnings and other stderr output are dropped: they are for analysts, whose
    executed notebook under ``executed/`` keeps them. Every page, whatever its audience, ends
    with a glossary of the terms of art it uses: the Mayor's office reads internal pages too. The
    title ends with the page's identity (city, period or meeting day, audience), which the notebook's
    own output carries (see :func:`reader.running_header_html`), so a page made by ``ceasefire render``
    is the page ``ceasefire run`` makes.
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
    identity = identity_in(nb)
    title = f"{title} — {identity}" if identity else title
    nb.metadata["title"] = title
    with _EXPORT_LOCK:  # one exporter per process, and an exporter is not safe to share between threads
        body, _ = html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return with_glossary(body)


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


# --------------------------------------------------------------------------- one notebook

def render_notebook(name: str, params_file: str, staging: str, snapshot: str | None = None,
                    kernel: WarmKernel | None = None) -> ReportResult:
    """Execute one period notebook in ``kernel`` (by default this process's) and write its HTML report
    (or a failure page) into ``staging``.

    With ``snapshot`` (the folder the run saved the validated period in, see :mod:`handoff`) the
    notebook reads that instead of the params and data files.
    """
    import papermill as pm  # heavy: imported only when a notebook is run

    started = time.perf_counter()
    staging_dir = Path(staging)
    executed = staging_dir / "executed" / f"{name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    period_id = staging_dir.name.split("__")[-1]
    try:
        parameters = {"params_file": params_file, **({SNAPSHOT_KEY: snapshot} if snapshot else {})}
        nb = execute_notebook(kernel or process_kernel(), NOTEBOOKS_DIR / f"{name}.ipynb", executed, parameters,
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


# --------------------------------------------------------------------------- many periods


def run_params_files(params_files: list[str | os.PathLike], out_root: str | os.PathLike, jobs: int = 1,
                     notebooks: tuple[str, ...] = tuple(REPORTS), stream=None,
                     template_from_this_process: bool = False) -> list[PeriodResult]:
    """Render what each params file asks for, a review period's reports or a meeting pack; return what
    happened to each.

    A review period's params file writes ``OUT/<period_id>/`` with ``index.html``, one HTML report per
    notebook (``notebooks``), ``indicators.csv``, ``manifest.json`` and (internal audience) the executed
    notebooks under ``executed/``; a meeting params file (one with a ``meeting`` key) writes
    ``OUT/<meeting>_<meeting_on>/`` with its pack (partner and public folders end in ``-partner`` or
    ``-public``: :func:`publishing.output_folder_name`). Safety rules:

    - inputs are validated before any notebook starts; a params file with bad inputs writes nothing;
    - two params files that would write one folder are both refused (:func:`refuse_shared_folders`);
    - each folder is assembled in a temporary folder and moved into place in one step,
      so a reader never sees half a period and a re-run replaces the old one whole;
    - a notebook that fails gets a failure page in place of its report; the others are kept.

    Notebooks run in up to ``jobs`` kernels at once; each kernel runs one notebook after another,
    from a clean state (see executing.py). The front page ``OUT/index.html`` is rewritten at the end.
    With ``template_from_this_process`` (the ``ceasefire`` command) the kernels' template is forked from this
    process, sharing its libraries (:class:`executing.ForkedTemplate`); a caller whose own state (chart
    settings, warning filters, options) a notebook must not inherit, such as a test, leaves it off.
    """
    stream = stream or sys.stderr
    if template_from_this_process:  # the command's own process: its threads and kernels need few malloc pools
        limit_malloc_arenas()
    out_root = Path(out_root).resolve()
    created = not out_root.exists()
    prepare_out_root(out_root)
    remove_abandoned_staging(out_root)
    results: list[PeriodResult] = []
    jobs_ready: list[Job] = []
    prepared: list[Job] = []  # every job set up, the refused ones too (their staging folders go at the end)
    expected = sum(notebook_count(Path(raw), notebooks) for raw in params_files)
    with contextlib.ExitStack() as stack:
        def drop_staging_on_error(kind, *_) -> None:
            # Ctrl-C (or a crash) while notebooks run: no half-built folder stays behind in --out. Pushed
            # first, so it runs last, once the kernels that write into the folders are stopped.
            if kind is not None:
                for job in prepared:
                    shutil.rmtree(job.staging, ignore_errors=True)

        stack.push(drop_staging_on_error)
        # the periods as validated, for the notebooks; removed once the kernels that read it have stopped
        handoff = stack.enter_context(handoff_dir(out_root)) if expected else None
        pool = None
        kernels_started = False

        def start_kernels() -> None:
            # Kernels start once the first params file has passed its checks, and boot while the next ones
            # are checked: ``jobs`` of them, each driven by a thread of this process, or one when notebooks run
            # one at a time. Not before: a run refused for its inputs would wait seconds for kernels it never uses.
            nonlocal pool, kernels_started
            if kernels_started:
                return
            kernels_started = True
            template = None
            if can_fork_kernels():
                # Kernels are forked from one process that imported what the notebooks import: they share that
                # memory. Entered before the kernels, so it stops after them.
                template = stack.enter_context(KernelTemplate(notebook_imports(sorted(NOTEBOOKS_DIR.glob("*.ipynb"))),
                                                              fork_from_here=template_from_this_process))
            # once the run's kernels are forked, the template gives its memory back (a kernel that breaks later is
            # started the ordinary way)
            retire = template.retire if template is not None else None
            if jobs > 1 and expected > 1:
                pool = stack.enter_context(KernelPool(min(jobs, expected), prepare=html_exporter, launched=retire))
            else:
                stack.callback(shutdown_process_kernel)
                if process_kernel().km is None:
                    process_kernel().launch()
                if retire is not None:
                    retire()

        failed_folders: list[str] = []  # folders this run meant to write and did not (their old reports stay)
        futures: dict = {}  # of the notebooks submitted to the pool: (job, notebook name)
        claimed: dict[Path, Job] = {}  # the folder each job of this run will write: first come
        clashing: set[int] = set()  # jobs whose folder another job of this run also writes: none may start
        for raw in params_files:
            params_file = Path(raw).resolve()
            result = PeriodResult(params_file=display_path(params_file))
            results.append(result)
            try:
                try:
                    job = prepare_job(params_file, out_root, result, notebooks, handoff)
                except OSError as exc:
                    raise CeasefireError(output_problem(out_root, exc)) from None
            except CeasefireError as exc:
                result.error = str(exc)
                stream.write(f"{result.params_file}: not run.\n{exc}\n")
                failed_folders.append(result.period_id or intended_folder(params_file) or "")
                continue
            jobs_ready.append(job)
            prepared.append(job)
            if job.notebooks:  # a run of no notebook (notebooks=()) needs no kernel
                start_kernels()
            for warning in job.warnings:
                stream.write(f"warning: {warning}\n")
            first = claimed.setdefault(job.target, job)
            if first is not job:
                # both are refused below: the earlier one's notebooks, queued already, must not run
                clashing.update((id(first), id(job)))
                for future, (owner, _) in futures.items():
                    if owner is first:
                        future.cancel()
            elif pool is not None:  # its notebooks start now, while the next period is checked and computed
                for name in job.notebooks:
                    futures[pool.submit(render_notebook, name, *job.notebook_arguments())] = (job, name)

        runnable = refuse_shared_folders(jobs_ready, stream)
        failed_folders.extend(job.target.name for job in jobs_ready if all(job is not r for r in runnable))
        jobs_ready[:] = runnable
        tasks = [(job, name) for job in jobs_ready for name in job.notebooks]
        progress = Progress(len(tasks), stream, past_notebook_seconds(out_root), jobs)
        by_job: dict[int, list[ReportResult]] = {id(job): [] for job in jobs_ready}

        def record(job: Job, name: str, outcome: ReportResult) -> None:
            by_job[id(job)].append(outcome)
            if len(by_job[id(job)]) == len(job.notebooks):
                # what exporting the period's notebooks used goes back to the system while the kernels run (this
                # process is part of a backfill's peak memory); once a period, as it costs a little time
                release_free_memory()
            progress.step(f"{job.result.period_id} {name}: {outcome.status} ({outcome.seconds:.1f} s)")

        try:
            if tasks:
                progress.start()
            if pool is None:
                for job, name in tasks:
                    record(job, name, render_notebook(name, *job.notebook_arguments()))
            else:
                for future in as_completed(futures):
                    job, name = futures[future]
                    if id(job) in clashing:  # refused: cancelled, or started before the clash was known
                        continue
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

    # the kernels have stopped: nothing writes into a refused job's staging folder any more
    for job in prepared:
        if id(job) in clashing:
            shutil.rmtree(job.staging, ignore_errors=True)
    for job in jobs_ready:
        job.result.reports = by_job[id(job)]
        try:
            job.result.out_dir = str(job.finish(job.result.reports))
        except (OSError, CeasefireError) as exc:
            # nothing half-written stays behind: the previous folder, if any, is untouched
            shutil.rmtree(job.staging, ignore_errors=True)
            job.result.error = output_problem(out_root, exc) if isinstance(exc, OSError) else str(exc)
            stream.write(f"{job.result.params_file}: not written. {job.result.error}\n")
            failed_folders.append(job.target.name)
            continue
        for name in job.result.kept:
            stream.write(f"{job.result.period_id}: kept your file {name} (not made by ceasefire) in the new folder\n")
    if created and not jobs_ready:  # every params file refused: leave no empty folder behind
        with contextlib.suppress(OSError):
            out_root.rmdir()
    refreshed = [job.target.name for job in jobs_ready if not job.result.error]
    failed_folders = [f for f in failed_folders if f and f not in refreshed]
    stale = [f for f in failed_folders if (out_root / f / MANIFEST).is_file()]  # an earlier report is shown
    if jobs_ready or stale:
        try:
            record_failed_runs(out_root, stale, refreshed, dt.datetime.now().astimezone())
            if refresh_front_page(out_root) is None:
                stream.write(f"{out_root / 'index.html'}: not written: that index.html was not made by ceasefire, so "
                             "it is left as it is; the periods are in their folders (move it away, or use another "
                             "--out, to get the front page)\n")
        except OSError as exc:  # the periods are written; only the list of them is stale
            stream.write(f"{out_root / 'index.html'}: front page not updated. {output_problem(out_root, exc)}\n")
    return results


@dataclass
class Job:
    """One params file's work: notebooks to render into a staging folder, then a finishing step."""

    result: PeriodResult
    params_file: Path
    staging: Path
    notebooks: tuple[str, ...]
    finish: object  # callable(list[ReportResult]) -> Path of the finished folder
    warnings: list[str] = field(default_factory=list)  # one line each for the terminal
    snapshot: Path | None = None  # the folder the validated period was saved in for the notebooks
    audience: str | None = None  # the validated params' audience (the output folder is named with it)
    target: Path | None = None  # the folder it will write

    def notebook_arguments(self) -> tuple[str, str, str | None]:
        """What :func:`render_notebook` takes after the notebook's name."""
        return str(self.params_file), str(self.staging), str(self.snapshot) if self.snapshot else None


def intended_folder(params_file: Path) -> str | None:
    """The folder a params file would write, from its params alone (None when they cannot be read): a
    period whose inputs fail keeps its earlier folder, which the front page then marks as not refreshed."""
    try:
        values = read_params_file(params_file)
        if is_meeting_params(values):
            meeting = meeting_params_from_values(values, display_path(params_file), params_file.parent)
            return output_folder_name(meeting.folder_id, meeting.audience)
        params = params_from_values(values, display_path(params_file), params_file.parent)
        return output_folder_name(params.period_id, params.audience)
    except CeasefireError:
        return None


def notebook_count(params_file: Path, notebooks: tuple[str, ...]) -> int:
    """How many notebooks a params file will run, at most (read before any input is checked)."""
    try:
        return 1 if is_meeting_params(read_params_file(params_file)) else len(notebooks)
    except CeasefireError:
        return 0


def prepare_job(params_file: Path, out_root: Path, result: PeriodResult, notebooks: tuple[str, ...],
                handoff: Path | None = None) -> Job:
    """Validate a params file and its data, and set up its staging folder (nothing final is written).

    With ``handoff`` (the run's private folder) the validated period or pack is saved there for the
    notebooks (see :mod:`handoff`), so they show what was validated and what the CSV and manifest hold.
    """
    started = dt.datetime.now().astimezone()
    raw = read_params_file(params_file)
    if is_meeting_params(raw):
        pack = open_meeting(str(params_file))
        check_outside_data(out_root, pack.params.data_dir)
        folder = output_folder_name(pack.params.folder_id, pack.params.audience)
        check_replaceable(out_root / folder, pack.params.audience)
        staging = new_staging(out_root, folder)
        result.period_id = folder
        snapshot = hand_off(handoff, staging, pack)

        def finish_meeting(reports: list[ReportResult]) -> Path:
            return publish(staging, out_root / folder, {"meeting": pack.params.folder_id},
                           params_file, params_record(pack.params), pack.data.input_records(), started, reports,
                           result.kept)

        return Job(result, params_file, staging, (pack.params.meeting,), finish_meeting,
                   contract_name_warnings(pack.params.data_dir), snapshot, pack.params.audience, out_root / folder)
    review, staging = prepare_period(params_file, out_root)  # params are checked before any data is read
    result.period_id = output_folder_name(review.params.period_id, review.params.audience)
    incomplete = review.incomplete_warning()
    later_notes = review.later_notes_warning()
    snapshot = hand_off(handoff, staging, review)
    return Job(result, params_file, staging, notebooks,
               lambda reports: finish_period(review, staging, reports, out_root, params_file,
                                             params_record(review.params), started, result.kept),
               review.terminal_warnings + [w for w in (incomplete, later_notes) if w]
               + contract_name_warnings(review.params.data_dir),
               snapshot, review.params.audience, out_root / result.period_id)


def hand_off(handoff: Path | None, staging: Path, opened) -> Path | None:
    """Save an opened period or pack for its notebooks (None without a hand-off folder).

    Named after the staging folder, which is unique, so two params files of one period in one run keep
    their own. If it cannot be saved, the staging folder goes and the period is not run.
    """
    if handoff is None:
        return None
    try:
        return save_opened(handoff, staging.name.lstrip("."), opened)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CeasefireError(f"cannot save the validated inputs for the notebooks in the private folder {handoff}: "
                             f"{exc.strerror or type(exc).__name__}.") from None


def refuse_shared_folders(jobs: list[Job], stream) -> list[Job]:
    """The jobs that may run: two params files that would write the same folder are both refused (one would
    silently replace the other), with one sentence naming both; the others run as usual. The caller removes
    the refused jobs' staging folders once no notebook can write there any more."""
    by_target: dict[Path, list[Job]] = {}
    for job in jobs:
        by_target.setdefault(job.target, []).append(job)
    refused: set[int] = set()
    for target, same in by_target.items():
        if len(same) < 2:
            continue
        files = ", ".join(j.result.params_file for j in same[:-1]) + f" and {same[-1].result.params_file}"
        who = ("both", "neither") if len(same) == 2 else ("all", "none of them")
        message = (f"{files} would {who[0]} write {target}, so {who[1]} is run: give each its own period, "
                   "meeting day or audience, or run them with different --out folders.")
        stream.write(message + "\n")
        for job in same:
            job.result.error = message
            refused.add(id(job))
    return [job for job in jobs if id(job) not in refused]
