"""Each number computed once per run: notebooks show the period the run validated, from its private hand-off.

The run opens a period once (params, data, indicators; ``indicators.csv`` and the manifest's hashes come
from it) and hands that same object to every notebook. A file replaced after validation, or gone, changes
nothing on the pages; the hand-off folder is private, outside the published folders, and gone after the run.
"""
import hashlib
import json
import os
import re
import shutil
import socket
import stat
from pathlib import Path

import pandas as pd
import pytest

from ceasefire_analysis import handoff, publishing, reports
from ceasefire_analysis.config import DEMO_DATA_DIR, DEMO_PARAMS, PARAMS_DIR
from ceasefire_analysis.errors import ParamsError
from ceasefire_analysis.handoff import SNAPSHOT_KEY, opened_from_snapshot, save_opened
from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.meetings import MeetingPack, open_meeting, pack_from_notebook
from ceasefire_analysis.publishing import HANDOFF_PREFIX, STAGING_MARKER, remove_abandoned_handoffs
from ceasefire_analysis.reports import run_params_files
from ceasefire_analysis.review import PeriodReview, open_review, review_from_notebook
from conftest import write_notebook

PERIOD = "2017-02_2017-03"
MEETING = "shooting_review_2017-03-28"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def handoffs_in(parent: Path, monkeypatch) -> None:
    """Make the run's hand-off folders in ``parent`` (not the system's temporary folder, which kernels use too)."""
    parent.mkdir()
    monkeypatch.setattr(reports, "handoff_dir", lambda out_root: publishing.handoff_dir(out_root, parent))


@pytest.fixture
def demo_copy(tmp_path, monkeypatch):
    """A copy of the demo data with a period and a meeting params file pointing at it; caches kept in tmp."""
    monkeypatch.setattr("ceasefire_analysis.loading.CACHE_DIR", tmp_path / "cache")
    handoffs_in(tmp_path / "tmp", monkeypatch)
    data = tmp_path / "data"
    shutil.copytree(DEMO_DATA_DIR, data)
    period = tmp_path / "params" / f"{PERIOD}.yaml"
    period.parent.mkdir()
    period.write_text(DEMO_PARAMS.read_text().replace("../data/raw/demo", str(data)))
    meeting = tmp_path / "params" / f"{MEETING}.yaml"
    meeting.write_text((PARAMS_DIR / f"{MEETING}.yaml").read_text().replace("../data/raw/demo", str(data)))
    return data, period, meeting


def after_every_prepare(monkeypatch, count: int, action) -> list:
    """Run ``action(jobs)`` once the run has validated ``count`` params files, before any notebook starts."""
    real = reports.prepare_job
    jobs: list = []

    def prepare_then_act(*args, **kwargs):
        jobs.append(real(*args, **kwargs))
        if len(jobs) == count:
            action(jobs)
        return jobs[-1]

    monkeypatch.setattr(reports, "prepare_job", prepare_then_act)
    return jobs


def table_rows(text: str) -> list[list[str]]:
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", text, re.S)]


def test_files_replaced_after_validation_do_not_reach_the_pages(demo_copy, tmp_path, monkeypatch):
    data, period, meeting = demo_copy
    original = {p.name: sha256(p) for p in data.glob("*.csv")}
    seen = {}

    def replace_the_inputs(jobs):
        # what a notebook would read if it opened the files again: a valid folder whose 2017 has no homicide
        # and no other file, and a params file with another benchmark
        seen["handoff"] = jobs[0].snapshot.parent
        seen["mode"] = stat.S_IMODE(os.stat(seen["handoff"]).st_mode)
        incidents = pd.read_csv(data / "incidents.csv", dtype=str, keep_default_na=False)
        drop = (incidents["occurred_on"] >= "2017") & (incidents["incident_type"] == "homicide")
        incidents[~drop].to_csv(data / "incidents.csv", index=False)
        for path in data.glob("*.csv"):
            if path.name != "incidents.csv":
                path.unlink()
        period.write_text(period.read_text().replace("homicides: {2017: 72}", "homicides: {2017: 6}"))

    period.write_text(period.read_text() + "audience: partner\n")
    jobs = after_every_prepare(monkeypatch, 2, replace_the_inputs)
    out = tmp_path / "out"
    results = run_params_files([period, meeting], out, notebooks=("worksheet", "history"))
    assert [r.failures for r in results] == [[], []]
    assert "homicides: {2017: 6}" in period.read_text()  # the params file did change under the run
    folder = out / f"{PERIOD}-partner"  # a partner copy is named with its audience

    # the worksheet shows the numbers of indicators.csv, which are the validated data's (the seed's)
    table = pd.read_csv(folder / "indicators.csv")
    rows = table_rows((folder / "worksheet.html").read_text(encoding="utf-8"))
    header = next(r for r in rows if r and r[0] == "Indicator" and len(r) > 6)
    actual, benchmark = header.index("Actual"), header.index(next(h for h in header if h.startswith("Benchmark")))
    ytd = next(r for r in rows if r and r[0] == "Homicides")
    in_period = rows[rows.index(ytd) + 1]
    for row, window in ((ytd, "ytd"), (in_period, "period")):
        assert row[actual] == str(int(lookup(table, "homicides", window)))
        assert row[benchmark] == str(int(lookup(table, "homicides", window, "benchmark")))
    assert (lookup(table, "homicides", "ytd"), lookup(table, "homicides", "period")) == (16, 14)
    assert lookup(table, "homicides", "ytd", "benchmark") == 18  # 72 a year, as validated (not 6)
    assert "Worksheet 2" in (folder / "worksheet.html").read_text() and "Custom notification" in \
        (folder / "worksheet.html").read_text()  # communications were read once, before they went

    # the manifests and every page's provenance name the files that were used, not their replacements
    for published in (folder, out / MEETING):
        manifest = json.loads((published / "manifest.json").read_text())
        assert {i["file"]: i["sha256"] for i in manifest["inputs"]} == original
    assert sha256(data / "incidents.csv") != original["incidents.csv"]
    for page in (folder / "worksheet.html", folder / "history.html"):
        assert f"sha256 {original['incidents.csv']}" in page.read_text()
    assert "Review all shootings" in (out / MEETING / "shooting_review.html").read_text()
    # the validated folder was the synthetic demo (its replacement is not): the pages say what they showed
    for page in (folder / "worksheet.html", folder / "history.html", out / MEETING / "shooting_review.html"):
        assert re.search("SYNTHETIC (DEMO DATA|demo incident data)", page.read_text()), page.name

    # the hand-off was private, outside the published folders, and is gone; the partner folder names none
    assert seen["mode"] == 0o700 and out not in seen["handoff"].parents
    assert not seen["handoff"].exists() and not list((tmp_path / "tmp").glob(f"{HANDOFF_PREFIX}*"))
    assert not [p for p in out.rglob("*") if p.suffix == ".pickle"]
    partner_files = [p for p in folder.rglob("*") if p.is_file()]
    assert not [p for p in partner_files if "executed" in p.parts or HANDOFF_PREFIX.encode() in p.read_bytes()]
    assert "cf-glossary" in (folder / "worksheet.html").read_text()  # the validated audience decides the page


def test_a_notebook_given_a_snapshot_reads_no_file_and_computes_nothing_again(demo_copy, tmp_path, monkeypatch):
    data, period, meeting = demo_copy
    review = open_review(str(period))
    parent_indicators = review.indicators.copy()  # computed in the parent, as prepare_period does
    pack = open_meeting(str(meeting))
    store = tmp_path / "handoff"
    store.mkdir()
    snapshot = save_opened(store, PERIOD, review)
    other_period = save_opened(store, "another-period", review)
    meeting_snapshot = save_opened(store, MEETING, pack)
    assert len(list(store.glob("data-*.pickle"))) == 1  # one city, one copy of its tables

    shutil.rmtree(data)
    period.unlink()
    handoff.forget_loaded()

    def no_reading(*_args, **_kwargs):
        raise AssertionError("a notebook with a snapshot read an input again")

    for target in ("ceasefire_analysis.loading.read_input", "ceasefire_analysis.review.load_data_dir",
                   "ceasefire_analysis.review.read_params_file", "ceasefire_analysis.params.read_params_file",
                   "ceasefire_analysis.review.load_history", "ceasefire_analysis.meetings.load_data_dir",
                   "ceasefire_analysis.review.build_indicators"):
        monkeypatch.setattr(target, no_reading)
    got = review_from_notebook({"params_file": str(period), SNAPSHOT_KEY: str(snapshot), "period_end": None})
    assert isinstance(got, PeriodReview) and got.params == review.params
    pd.testing.assert_frame_equal(got.indicators, parent_indicators)
    assert got.data.input_records() == review.data.input_records() and got.coverage == review.coverage
    assert got.warnings == review.warnings and got.opened_at == review.opened_at
    assert got.is_demo and review.is_demo  # as decided when it was opened (the folder is gone now)
    assert set(got.history) == set(review.history) and got.previous_steps[1] == review.previous_steps[1]
    # the tables are read once per kernel: a second period of the city needs no file of them
    for path in store.glob("data-*.pickle"):
        path.unlink()
    again = review_from_notebook({SNAPSHOT_KEY: str(other_period)})
    again.data.tables["incidents"].drop(again.data.tables["incidents"].index, inplace=True)
    assert len(review_from_notebook({SNAPSHOT_KEY: str(snapshot)}).data.incidents) == len(review.data.incidents)
    # a kernel that has not read the tables yet cannot, once they are gone
    handoff.forget_loaded()
    with pytest.raises(ParamsError, match=r"data-\w+\.pickle is gone .*: a snapshot lives only while"):
        pack_from_notebook({SNAPSHOT_KEY: str(meeting_snapshot)})  # its data file was deleted above


def test_a_meeting_pack_from_its_snapshot_is_the_one_the_run_opened(demo_copy, tmp_path, monkeypatch):
    _, _, meeting = demo_copy
    pack = open_meeting(str(meeting))
    store = tmp_path / "handoff"
    store.mkdir()
    folder = save_opened(store, MEETING, pack)
    monkeypatch.setattr("ceasefire_analysis.meetings.load_data_dir", lambda *a: pytest.fail("data read again"))
    got = pack_from_notebook({"params_file": str(meeting), SNAPSHOT_KEY: str(folder)})
    assert isinstance(got, MeetingPack) and got.params == pack.params and got.params.start is not None
    pd.testing.assert_frame_equal(got.data.incidents, pack.data.incidents)


def test_a_snapshot_is_refused_in_one_sentence_when_gone_mixed_or_of_another_kind(demo_copy, tmp_path):
    _, period, _ = demo_copy
    store = tmp_path / "handoff"
    store.mkdir()
    folder = save_opened(store, PERIOD, open_review(str(period)))
    with pytest.raises(ParamsError, match=r"'period_end' cannot be set too: set snapshot = None"):
        review_from_notebook({SNAPSHOT_KEY: str(folder), "period_end": "2017-05"})
    with pytest.raises(ParamsError, match=r"holds a PeriodReview, not a MeetingPack"):
        pack_from_notebook({SNAPSHOT_KEY: str(folder)})
    with pytest.raises(ParamsError, match=r"lives only while `ceasefire run` runs"):
        review_from_notebook({SNAPSHOT_KEY: str(tmp_path / "gone")})
    data_file = next(store.glob("data-*.pickle"))
    data_file.write_bytes(data_file.read_bytes() + b"x")
    handoff.forget_loaded()
    with pytest.raises(ParamsError, match=r"changed after the run saved it"):
        opened_from_snapshot(folder, PeriodReview)


def test_the_hand_off_is_removed_after_a_failed_notebook_and_on_ctrl_c(tmp_path, monkeypatch):
    handoffs_in(tmp_path / "tmp", monkeypatch)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "history.ipynb", "params_file = ''\nsnapshot = None",
                   "import os\nassert os.path.isdir(snapshot)\nraise RuntimeError('no')")
    monkeypatch.setattr("ceasefire_analysis.reports.NOTEBOOKS_DIR", notebooks)
    results = run_params_files([DEMO_PARAMS], tmp_path / "out", notebooks=("history",))
    assert results[0].failures == [f"{PERIOD}/history: RuntimeError: no"]  # it saw its snapshot, then failed
    assert list((tmp_path / "tmp").iterdir()) == []

    def interrupted(*_args, **_kwargs):
        assert len(list((tmp_path / "tmp").glob(f"{HANDOFF_PREFIX}*"))) == 1
        raise KeyboardInterrupt

    monkeypatch.setattr("ceasefire_analysis.reports.render_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_params_files([DEMO_PARAMS], tmp_path / "out2", notebooks=("history",))
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not [p for p in (tmp_path / "out2").iterdir() if p.name.startswith(".")]


def test_hand_off_folders_of_dead_runs_are_removed_and_no_other(tmp_path):
    def folder(name: str, pid: int | None) -> Path:
        path = tmp_path / name
        path.mkdir()
        if pid is not None:
            (path / STAGING_MARKER).write_text(json.dumps({"pid": pid, "host": socket.gethostname(),
                                                            "started": 0}))
        return path

    dead = folder(f"{HANDOFF_PREFIX}dead", 2 ** 22 + 12345)  # above Linux's largest process id
    alive = folder(f"{HANDOFF_PREFIX}alive", os.getpid())
    unmarked = folder(f"{HANDOFF_PREFIX}someone-elses", None)
    other = folder("not-ours", 2 ** 22 + 12345)
    assert remove_abandoned_handoffs(tmp_path) == [dead]
    assert alive.exists() and unmarked.exists() and other.exists() and not dead.exists()
