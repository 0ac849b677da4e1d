"""Where things live.

Two layouts. In a source checkout (``pip install -e .``, ``make``) the project root is the
folder holding ``pyproject.toml``, and ``notebooks/``, ``params/`` and ``data/raw/`` are
its own folders: analysts edit them there. Installed from a wheel (``pip install .``),
the same folders travel inside the package as ``ceasefire_analysis/_project/`` (see
``[tool.setuptools.package-dir]`` in pyproject.toml), read-only: nothing is ever
written there. Paths in params files read against the params file's folder.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# a source checkout has pyproject.toml and notebooks/ beside the package
SOURCE_TREE = (PACKAGE_DIR.parent / "pyproject.toml").is_file() and (PACKAGE_DIR.parent / "notebooks").is_dir()
PROJECT_ROOT = PACKAGE_DIR.parent if SOURCE_TREE else PACKAGE_DIR / "_project"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
RAW_DIR = PROJECT_ROOT / "data" / "raw"
DEMO_DATA_DIR = RAW_DIR / "demo"
HISTORY_DATA_DIR = RAW_DIR / "history"
PROCESSED_DIR = PROJECT_ROOT / "data" / "processed"
# Processed-data cache: data/processed/cache in a source checkout; for an installed package,
# a .ceasefire_cache folder next to the data folder (see cache_root).
CACHE_DIR: Path | None = PROCESSED_DIR / "cache" if SOURCE_TREE else None
DEFAULT_REPORTS_DIR = Path("reports")  # in the current folder
TEMPLATE_DIR = PACKAGE_DIR / "templates"
DEMO_PARAMS = PARAMS_DIR / "2017-02_2017-03.yaml"

# The key that turns participant identifiers into pseudonyms.
ID_KEY_ENV = "CEASEFIRE_ID_KEY"
# the key file: at the project root in a source checkout, else in the folder a run starts from
ID_KEY_FILE = (PROJECT_ROOT if SOURCE_TREE else Path.cwd()) / ".ceasefire_id_key"
# The demo's identifiers belong to no one, so its key may be public; it is
# used only for the bundled demo folder and never for a city's own data.
DEMO_ID_KEY = "synthetic-demo-key-not-for-real-data"
MIN_ID_KEY_LENGTH = 32  # characters; a short key can be found by trying keys
# The demo folder's list of its files and their SHA-256 (``sha256sum`` format), written by the demo
# generator. A folder is the demo when, and only when, its files are exactly those.
DEMO_MARKER = "SYNTHETIC_DEMO.sha256"
DEMO_FILE_SUFFIXES = (".csv", ".xlsx")


def resolve_path(path: str | os.PathLike, base: Path = PROJECT_ROOT) -> Path:
    """Return ``path`` as an absolute path, reading a relative one against ``base``.

    >>> resolve_path("/tmp/x").as_posix()
    '/tmp/x'
    >>> resolve_path("data/raw/demo") == PROJECT_ROOT / "data" / "raw" / "demo"
    True
    """
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_root(data_dir: Path, configured: Path | None) -> Path | None:
    """Where processed tables of ``data_dir`` are cached, or None for no cache.

    ``configured`` (the source checkout's data/processed/cache) wins; otherwise the cache sits
    next to the data folder, except for data shipped inside the installed package, which is
    never written to.

    >>> cache_root(Path("/x/nyc"), None).as_posix()
    '/x/.ceasefire_cache'
    >>> cache_root(PACKAGE_DIR / "_project" / "data", None) is None
    True
    """
    if configured is not None:
        return configured
    data_dir = Path(data_dir).resolve()
    if data_dir == PACKAGE_DIR or PACKAGE_DIR in data_dir.parents:
        return None
    return data_dir.parent / ".ceasefire_cache"


_demo_checks: dict[tuple, bool] = {}


def is_demo_dir(data_dir: Path) -> bool:
    """True when ``data_dir`` holds exactly the shipped synthetic demo: its marker file lists every
    data file in the folder with its SHA-256, and every hash matches.

    The demo is recognised by what it holds, not where it is, so an installed package or a
    copy elsewhere still shows the SYNTHETIC banner; a file changed or dropped into the
    folder makes it a city's data (no demo key, no banner).

    >>> is_demo_dir(DEMO_DATA_DIR), is_demo_dir(PROJECT_ROOT)
    (True, False)
    """
    folder = Path(data_dir)
    try:
        marker = folder / DEMO_MARKER
        if not marker.is_file():
            return False
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in DEMO_FILE_SUFFIXES)
        signature = (str(folder.resolve()), marker.stat().st_mtime_ns,
                     tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
        if signature not in _demo_checks:
            listed = {}
            for line in marker.read_text(encoding="utf-8").splitlines():
                digest, _, name = line.partition("  ")
                listed[name.strip()] = digest.strip()
            _demo_checks[signature] = bool(listed) and listed == {p.name: sha256_of(p) for p in files}
        return _demo_checks[signature]
    except OSError:
        return False


def demo_marker_text(folder: Path) -> str:
    """The marker listing every data file of ``folder`` with its SHA-256 (what the demo generator writes)."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in DEMO_FILE_SUFFIXES)
    return "".join(f"{sha256_of(p)}  {p.name}\n" for p in files)
