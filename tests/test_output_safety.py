"""A run deletes only what it made, its workers die with it, and output-folder problems are one sentence
(issue 19, items 1 and 6)."""
import errno
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ceasefire_analysis import publishing, reports
from ceasefire_analysis.cli import main
from ceasefire_analysis.config import DEMO_PARAMS
from ceasefire_analysis.reports import run_params_files

PERIOD = "2017-02_2017-03"


def hidden_folders(out):
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def test_a_rerun_keeps_look_alike_user_folders_and_the_users_own_files(tmp_path):
    out = tmp_path / "out"
    photos = out / ".old-photos-2019"
    thesis = out / ".tmp-4242__thesis"  # shaped like a staging folder of a dead process
    for folder in (photos, thesis):
        folder.mkdir(parents=True)
        (folder / "keep.txt").write_text("mine")
    run_params_files([DEMO_PARAMS], out, notebooks=())
    notes = out / PERIOD / "my_notes.txt"
    notes.write_text("what the chair asked")
    (out / PERIOD / "drafts").mkdir()
    (out / PERIOD / "drafts" / "a.txt").write_text("draft")
    stream = io.StringIO()
    run_params_files([DEMO_PARAMS], out, notebooks=(), stream=stream)
    assert (photos / "keep.txt").read_text() == "mine" and (thesis / "keep.txt").read_text() == "mine"
    assert notes.read_text() == "what the chair asked"
    assert (out / PERIOD / "drafts" / "a.txt").read_text() == "draft"
    assert "kept your file my_notes.txt" in stream.getvalue()
    assert hidden_folders(out) == [".old-photos-2019", ".tmp-4242__thesis"]
    # and a third run still keeps them: the manifest lists only what the package wrote
    run_params_files([DEMO_PARAMS], out, notebooks=(), stream=io.StringIO())
    assert notes.read_text() == "what the chair asked"
    assert not (out / PERIOD / "my_notes.txt.kept").exists()


def test_a_period_folder_the_package_did_not_write_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    (out / PERIOD).mkdir(parents=True)
    (out / PERIOD / "thesis.docx").write_text("years of work")
    stream = io.StringIO()
    results = run_params_files([DEMO_PARAMS], out, notebooks=(), stream=stream)
    assert "was not written by ceasefire" in results[0].error
    assert (out / PERIOD / "thesis.docx").read_text() == "years of work"
    assert hidden_folders(out) == []


def test_kernels_exit_when_their_parent_is_killed(tmp_path):
    script = textwrap.dedent("""
        import time
        from ceasefire_analysis.executing import KernelPool
        pool = KernelPool(2)
        while len(pool.kernels) < 2 or any(k.km is None for k in pool.kernels):
            time.sleep(0.1)
        print(" ".join(str(k.km.provisioner.pid) for k in pool.kernels), flush=True)
        time.sleep(300)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2

    def gone(pid):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has exited
        except FileNotFoundError:
            return True

    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while not all(map(gone, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in workers if not gone(pid)]
    for pid in left:  # never leave them running, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_a_file_in_the_way_of_out_is_one_sentence(tmp_path, capsys):
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder")
    assert main(["run", str(DEMO_PARAMS), "--out", str(blocker)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"cannot write the reports in {blocker}: a file is in the way where a folder should be."
    assert blocker.read_text() == "not a folder"


def test_a_file_in_the_way_of_the_period_folder_is_one_sentence(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / PERIOD).write_text("a file")
    results = run_params_files([DEMO_PARAMS], out, notebooks=(), stream=io.StringIO())
    assert "a file is in the way" in results[0].error
    assert (out / PERIOD).read_text() == "a file" and hidden_folders(out) == []


def test_a_read_only_output_folder_is_one_sentence(tmp_path, monkeypatch, capsys):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(publishing.tempfile, "mkdtemp", read_only)
    assert main(["run", str(DEMO_PARAMS), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"cannot write the reports in {tmp_path}: the folder is read-only."


@pytest.mark.parametrize("failing_write", [1, 2, 3])
def test_a_full_disk_is_one_sentence_and_leaves_no_staging(tmp_path, monkeypatch, failing_write):
    out = tmp_path / "out"
    run_params_files([DEMO_PARAMS], out, notebooks=(), stream=io.StringIO())  # a previous good run
    before = (out / PERIOD / "manifest.json").read_bytes()
    real = publishing.write_text_atomic
    calls = []

    def full_disk(path, text):
        calls.append(path)
        if len(calls) == failing_write:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(publishing, "write_text_atomic", full_disk)  # the publisher writes every file
    stream = io.StringIO()
    results = run_params_files([DEMO_PARAMS], out, notebooks=(), stream=stream)
    assert results[0].error == f"cannot write the reports in {out}: the disk is full."
    assert "Traceback" not in stream.getvalue() and "the disk is full" in stream.getvalue()
    assert hidden_folders(out) == []
    assert (out / PERIOD / "manifest.json").read_bytes() == before  # the previous run's folder is untouched


def test_a_refused_run_leaves_no_empty_output_folder(make_city, tmp_path):
    folder = make_city(incidents=[{"incident_id": "A", "occurred_on": "2017-13-01", "incident_type": "homicide"}])
    params = tmp_path / "p.yaml"
    params.write_text(f"city: T\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n")
    out = tmp_path / "reports"
    results = run_params_files([params, tmp_path / "none.yaml"], out, notebooks=(), stream=io.StringIO())
    assert all(r.error for r in results) and not out.exists()
    out.mkdir()  # a folder that was there before is left, of course
    run_params_files([params], out, notebooks=(), stream=io.StringIO())
    assert out.is_dir()


def test_out_inside_the_data_folder_is_refused(make_city, tmp_path):
    folder = make_city()
    params = tmp_path / "p.yaml"
    params.write_text(f"city: T\nperiod_start: '2017-01'\nperiod_end: '2017-01'\ndata_dir: {folder}\n")
    before = sorted(p.name for p in folder.iterdir())
    for out in (folder, folder / "reports"):
        results = run_params_files([params], out, notebooks=(), stream=io.StringIO())
        assert f"is inside the data folder {folder.resolve()}" in results[0].error
        assert sorted(p.name for p in folder.iterdir()) == before  # nothing written among the raw files


def test_ctrl_c_while_notebooks_run_leaves_no_staging_folder(tmp_path, monkeypatch):
    class NoKernel:
        km = "started"

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(reports, "process_kernel", NoKernel)
    monkeypatch.setattr(reports, "shutdown_process_kernel", lambda: None)
    monkeypatch.setattr(reports, "render_notebook", interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_params_files([DEMO_PARAMS], out, notebooks=("worksheet",), stream=io.StringIO())
    assert hidden_folders(out) == [] and not (out / PERIOD).exists()


# --------------------------------------------------------------------------- one period, two audiences (attack2 F2)

def _audience_copy(tmp_path, name, audience, meeting=False):
    from ceasefire_analysis.config import DEMO_DATA_DIR
    if meeting:
        text = (f"meeting: coordination\ncity: Oakland (demo data, synthetic)\ndata_dir: {DEMO_DATA_DIR}\n"
                "meeting_on: '2017-03-09'\n")
    else:
        text = DEMO_PARAMS.read_text(encoding="utf-8").replace("../data/raw/demo", str(DEMO_DATA_DIR))
    path = tmp_path / "params" / f"{name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text + ("" if audience is None else f"\naudience: {audience}\n"), encoding="utf-8")
    return path


def test_an_internal_and_a_public_copy_of_one_period_both_survive_one_run(tmp_path):
    import json

    out = tmp_path / "out"
    files = [_audience_copy(tmp_path, "0_public", "public"), _audience_copy(tmp_path, "internal", None),
             _audience_copy(tmp_path, "coord_public", "public", meeting=True),
             _audience_copy(tmp_path, "coord", None, meeting=True)]
    results = run_params_files(files, out, notebooks=(), stream=io.StringIO())
    assert [r.error for r in results] == ["", "", "", ""]
    audiences = {p.name: json.loads((p / "manifest.json").read_text())["params"]["audience"]
                 for p in out.iterdir() if p.is_dir()}
    assert audiences == {PERIOD: "internal", f"{PERIOD}-public": "public",
                         "coordination_2017-03-09": "internal", "coordination_2017-03-09-public": "public"}
    front = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{PERIOD}/index.html"' in front and f'href="{PERIOD}-public/index.html"' in front


def test_two_params_files_for_one_folder_are_both_refused_and_the_others_run(tmp_path):
    from ceasefire_analysis.params import params_files_in

    out = tmp_path / "out"
    first, second = _audience_copy(tmp_path, "a", "public"), _audience_copy(tmp_path, "b", "public")
    _audience_copy(tmp_path, "c", "partner")
    stream = io.StringIO()
    results = run_params_files(params_files_in([first.parent]), out, notebooks=(), stream=stream)
    [sentence] = [line for line in stream.getvalue().splitlines() if "would both write" in line]
    assert "a.yaml and " in sentence and "b.yaml would both write" in sentence and f"{PERIOD}-public" in sentence
    assert [bool(r.failures) for r in results] == [True, True, False]  # so `ceasefire run` exits 1
    assert results[0].error == results[1].error == sentence
    assert not (out / f"{PERIOD}-public").exists() and (out / f"{PERIOD}-partner" / "index.html").is_file()
    assert hidden_folders(out) == []


class _ThreadPool:
    """Stands in for KernelPool: the same queue-in-order futures, without kernels."""

    def __init__(self, size, prepare=None, launched=None):
        from concurrent.futures import ThreadPoolExecutor
        self._executor = ThreadPoolExecutor(size)

    def submit(self, fn, *args):
        return self._executor.submit(fn, *args, kernel=None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._executor.shutdown(wait=True)


@pytest.mark.parametrize("jobs", [1, 2])
def test_clashing_files_start_no_notebook_and_the_good_one_still_renders(tmp_path, monkeypatch, capsys, jobs):
    """Reader2 R1: with notebooks started as each period is prepared, a clash found later raised a KeyError,
    left a staging folder in --out and lost the good period."""
    import threading

    class NoKernel:
        km = "started"

    started: list[str] = []
    lock = threading.Lock()

    def fake_render(name, params_file, staging, snapshot=None, kernel=None):
        with lock:
            started.append(Path(params_file).name)
        (Path(staging) / f"{name}.html").write_text("<p>page</p>", encoding="utf-8")
        return reports.ReportResult(name, "ok", 0.0)

    monkeypatch.setattr(reports, "KernelPool", _ThreadPool)
    monkeypatch.setattr(reports, "can_fork_kernels", lambda: False)
    monkeypatch.setattr(reports, "process_kernel", NoKernel)
    monkeypatch.setattr(reports, "shutdown_process_kernel", lambda: None)
    monkeypatch.setattr(reports, "render_notebook", fake_render)
    first, second = _audience_copy(tmp_path, "a", "public"), _audience_copy(tmp_path, "b", "public")
    good = _audience_copy(tmp_path, "c", "partner")
    out = tmp_path / "out"
    code = main(["run", str(first), str(second), str(good), "--out", str(out), "--jobs", str(jobs)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and "would both write" in err
    # a's notebooks may have started before b showed the clash (they are then cancelled or ignored); b's never
    assert "b.yaml" not in started and started.count("c.yaml") == len(reports.REPORTS)
    assert (out / f"{PERIOD}-partner" / "worksheet.html").is_file() and not (out / f"{PERIOD}-public").exists()
    assert hidden_folders(out) == []


def test_a_public_run_never_replaces_an_internal_folder_nor_the_other_way(tmp_path):
    import json
    import shutil

    out = tmp_path / "out"
    run_params_files([DEMO_PARAMS], out, notebooks=(), stream=io.StringIO())
    # a public folder left by an older version under the bare period name
    shutil.move(out / PERIOD, tmp_path / "internal_copy")
    run_params_files([_audience_copy(tmp_path, "pub", "public")], out, notebooks=(), stream=io.StringIO())
    shutil.move(out / f"{PERIOD}-public", out / PERIOD)
    before = (out / PERIOD / "manifest.json").read_text()
    [result] = run_params_files([DEMO_PARAMS], out, notebooks=(), stream=io.StringIO())
    assert "holds public reports, so this internal run does not replace them" in result.error
    assert (out / PERIOD / "manifest.json").read_text() == before
    assert json.loads(before)["params"]["audience"] == "public" and hidden_folders(out) == []
    # and an internal folder under a public name is not replaced by a public run either
    shutil.rmtree(out / PERIOD)
    shutil.move(tmp_path / "internal_copy", out / f"{PERIOD}-public")
    [result] = run_params_files([_audience_copy(tmp_path, "pub", "public")], out, notebooks=(), stream=io.StringIO())
    assert "holds internal reports, so this public run does not replace them" in result.error
    assert json.loads((out / f"{PERIOD}-public" / "manifest.json").read_text())["params"]["audience"] == "internal"
