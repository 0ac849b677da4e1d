"""Where things live. Every path is resolved from the project root, never the working directory."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
RAW_DIR = PROJECT_ROOT / "data" / "raw"
DEMO_DATA_DIR = RAW_DIR / "demo"
HISTORY_DATA_DIR = RAW_DIR / "history"
PROCESSED_DIR = PROJECT_ROOT / "data" / "processed"
CACHE_DIR = PROCESSED_DIR / "cache"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"
TEMPLATE_DIR = PACKAGE_DIR / "templates"
DEMO_PARAMS = PARAMS_DIR / "2017-02_2017-03.yaml"

# The key that turns participant identifiers into pseudonyms.
ID_KEY_ENV = "CEASEFIRE_ID_KEY"
ID_KEY_FILE = PROJECT_ROOT / ".ceasefire_id_key"
# The demo's identifiers belong to no one, so its key may be public; it is
# used only for the bundled demo folder and never for a city's own data.
DEMO_ID_KEY = "synthetic-demo-key-not-for-real-data"


def resolve_path(path: str | os.PathLike, base: Path = PROJECT_ROOT) -> Path:
    """Return ``path`` as an absolute path, reading a relative one against ``base``.

    >>> resolve_path("/tmp/x").as_posix()
    '/tmp/x'
    >>> resolve_path("data/raw/demo") == PROJECT_ROOT / "data" / "raw" / "demo"
    True
    """
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def is_demo_dir(data_dir: Path) -> bool:
    """True when ``data_dir`` is the bundled synthetic demo folder."""
    try:
        return Path(data_dir).resolve() == DEMO_DATA_DIR.resolve()
    except OSError:
        return False
