"""The run's private hand-off to its notebooks: the period or meeting pack the run validated, saved once and read back.

``ceasefire run`` opens each period in its own process (params read and checked, data loaded,
indicators computed, ``indicators.csv`` and the manifest's input hashes written). Each notebook then
gets that same object through its ``snapshot`` parameter instead of reading the params and raw
files again, so a file replaced mid-run cannot make a page disagree with the CSV and the manifest,
and nothing is computed twice.

A snapshot folder (one per period or meeting pack) lives inside the run's private hand-off folder
(mode 0700, outside every published folder; made and removed by ``reports.run_params_files``)::

    <hand-off>/data-<key>.pickle      the city's tables, once per data folder and run
    <hand-off>/<folder id>/opened.pickle   the opened period (or pack) without its tables, and the data file's key

The key is a hash of the data folder and its input records (file, SHA-256, rows: the hashes the
manifest lists). A kernel reads each data file once (memoised by its path and hash) and gives every
notebook its own copy of the tables.

Why pickle: the writer and the readers are the same package in the same environment (the run and
its own kernels), the folder is private to the user, and pickle keeps every object (frozen params,
DataFrames with their dtypes, coverage, the computed indicator table) exactly as the run held it,
with no second serialiser to keep in step with them. The package version is recorded and checked.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import secrets
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ParamsError
from .loading import CityData

SNAPSHOT_KEY = "snapshot"  # the notebooks' parameter that names a snapshot folder
OPENED_FILE = "opened.pickle"
DATA_KEPT = 2  # data snapshots a kernel keeps in memory (a backfill runs one or two cities)

# Data files this process has read, by (path, SHA-256), most recently used last.
_LOADED: dict[tuple[str, str], CityData] = {}


def data_key(data: CityData) -> str:
    """The hand-off key of a city's tables: its folder and the input records the manifest lists.

    Six periods of one city share one key (and one data file); a file changed between them does not.
    """
    record = {"data_dir": str(Path(data.data_dir).resolve()), "inputs": data.input_records()}
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _write_bytes_atomic(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    try:
        with open(tmp, "xb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_opened(handoff: Path, folder_id: str, opened: Any) -> Path:
    """Save an opened period or meeting pack (a dataclass with a ``data`` field) for the run's notebooks.

    The tables go to ``data-<key>.pickle`` unless this run saved them already; the object itself,
    without them, to ``<folder_id>/opened.pickle``. Returns the snapshot folder to hand to the notebooks.
    """
    handoff = Path(handoff)
    key = data_key(opened.data)
    data_file = handoff / f"data-{key}.pickle"
    if not data_file.is_file():
        _write_bytes_atomic(data_file, pickle.dumps(opened.data, protocol=pickle.HIGHEST_PROTOCOL))
    data_sha = hashlib.sha256(data_file.read_bytes()).hexdigest()
    folder = handoff / folder_id
    folder.mkdir(mode=0o700, exist_ok=True)
    record = {"package_version": __version__, "kind": type(opened).__name__, "data_file": data_file.name,
              "data_sha256": data_sha, "opened": dataclasses.replace(opened, data=None)}
    _write_bytes_atomic(folder / OPENED_FILE, pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    return folder


def _load_data(path: Path, sha256: str) -> CityData:
    key = (str(path), sha256)
    data = _LOADED.pop(key, None)
    if data is None:
        try:
            payload = path.read_bytes()
        except FileNotFoundError:
            raise ParamsError(f"'{SNAPSHOT_KEY}': {path.name} is gone from {path.parent}: a snapshot lives only "
                              "while `ceasefire run` runs; run the period again") from None
        if hashlib.sha256(payload).hexdigest() != sha256:
            raise ParamsError(f"snapshot: {path.name} changed after the run saved it; run the period again")
        data = pickle.loads(payload)  # noqa: S301 - the run's own private file (see the module docstring)
    _LOADED[key] = data
    while len(_LOADED) > DATA_KEPT:
        del _LOADED[next(iter(_LOADED))]
    return data.copy()


def opened_from_snapshot(folder: str | os.PathLike, kind: type, given: dict[str, Any] | None = None) -> Any:
    """The period or meeting pack a run saved in ``folder`` (see :func:`save_opened`), of class ``kind``.

    ``given`` are the notebook's other parameters: with a snapshot only ``params_file`` may be set
    (the run passes it for the record), since the snapshot's params are the ones the run validated.

    Raises
    ------
    ParamsError
        In one sentence, when the folder is gone (a snapshot lives only while its run does), was
        written by another version of the package or holds another kind of report, or when other
        parameters are set beside it.
    """
    others = sorted(k for k, v in (given or {}).items() if v is not None and k != "params_file")
    if others:
        raise ParamsError(f"'{SNAPSHOT_KEY}' is set, so the run's validated parameters are used and "
                          f"{', '.join(repr(k) for k in others)} cannot be set too: set {SNAPSHOT_KEY} = None to "
                          "lay them over the params file")
    path = Path(folder) / OPENED_FILE
    try:
        record = pickle.loads(path.read_bytes())  # noqa: S301 - the run's own private file (see the module docstring)
    except FileNotFoundError:
        raise ParamsError(f"'{SNAPSHOT_KEY}': {folder} holds no saved period: a snapshot lives only while "
                          f"`ceasefire run` runs; set {SNAPSHOT_KEY} = None to read the params and data files"
                          ) from None
    if record.get("package_version") != __version__:
        raise ParamsError(f"'{SNAPSHOT_KEY}': {folder} was saved by ceasefire_analysis "
                          f"{record.get('package_version')}, this kernel runs {__version__}; run it again")
    if record.get("kind") != kind.__name__:
        raise ParamsError(f"'{SNAPSHOT_KEY}': {folder} holds a {record.get('kind')}, not a {kind.__name__}")
    data = _load_data(Path(folder).parent / record["data_file"], record["data_sha256"])
    return dataclasses.replace(record["opened"], data=data)


def forget_loaded() -> None:
    """Forget the data snapshots this process has read."""
    _LOADED.clear()
