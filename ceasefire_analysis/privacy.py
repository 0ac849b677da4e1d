"""Pseudonymising participant identifiers and protecting small numbers.

Raw ``participant_id`` values may be names or record numbers. They are replaced by a
keyed hash (HMAC-SHA-256) as soon as a file is read, so nothing downstream (processed
parquet, notebooks, reports) ever holds the raw value. Without the key, a pseudonym
cannot be turned back into a person by trying likely names.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pandas as pd

from .config import DEMO_ID_KEY, ID_KEY_ENV, ID_KEY_FILE, MIN_ID_KEY_LENGTH, is_demo_dir
from .errors import CeasefireError

PSEUDONYM_PREFIX = "p_"


def _long_enough(key: str, where: str) -> bytes:
    """A key of at least 32 characters; a shorter one could be found by trying keys."""
    if len(key) < MIN_ID_KEY_LENGTH:
        raise CeasefireError(
            f"the key in {where} is {len(key)} character{'s' if len(key) != 1 else ''} long; a key must be at least {MIN_ID_KEY_LENGTH} "
            "characters of random text (for example the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'); see README.md, 'Privacy'")
    return key.encode("utf-8")


def resolve_id_key(data_dir: Path) -> bytes:
    """Find the hashing key: the environment variable, then the key file, then (demo only) the demo key.

    The demo key is used only for a folder holding exactly the shipped demo's files
    (``config.is_demo_dir``). A key shorter than 32 characters is refused.

    Raises
    ------
    CeasefireError
        When no key is configured for a city's own data, or the key is too short.
    """
    from_env = os.environ.get(ID_KEY_ENV, "").strip()
    if from_env:
        return _long_enough(from_env, f"the environment variable {ID_KEY_ENV}")
    if ID_KEY_FILE.is_file():
        from_file = ID_KEY_FILE.read_text(encoding="utf-8").strip()
        if from_file:
            return _long_enough(from_file, str(ID_KEY_FILE))
    if is_demo_dir(data_dir):
        return DEMO_ID_KEY.encode("utf-8")
    raise CeasefireError(
        f"no key to pseudonymise participant identifiers in {data_dir}: set the environment "
        f"variable {ID_KEY_ENV} or put a long random secret in {ID_KEY_FILE} (git ignores it); "
        "see README.md, 'Privacy'"
    )


def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """Replace each identifier by a stable keyed hash.

    >>> s = pseudonymise(pd.Series(["PFN-0012345", "PFN-0012345", "PFN-7"]), b"k")
    >>> s.iloc[0] == s.iloc[1], s.iloc[0] != s.iloc[2], s.iloc[0].startswith("p_")
    (True, True, True)
    >>> pseudonymise(pd.Series(["a", None]), b"k").isna().tolist()
    [False, True]
    """
    present = ids.dropna().astype(str)
    mapping = {
        raw: PSEUDONYM_PREFIX + hmac.new(key, raw.encode("utf-8"), hashlib.sha256).hexdigest()[:20]
        for raw in pd.unique(present)
    }
    # a blank stays blank: hashing it would turn "unknown" into a person
    return present.map(mapping).reindex(ids.index)


def key_fingerprint(key: bytes) -> str:
    """A value that changes with the key but reveals nothing of it (for cache names)."""
    return hmac.new(key, b"ceasefire-cache", hashlib.sha256).hexdigest()[:16]


def suppression_mask(counts: list[int], threshold: int, total_shown: bool = True) -> list[bool]:
    """Which cells of a group to hide in a public table.

    Primary suppression hides every count from 1 to ``threshold - 1``. When the group's
    total is shown, a single hidden cell could be worked out as the total minus the
    others, so complementary suppression hides the smallest other cell as well.

    >>> suppression_mask([38, 3, 14, 35, 83], 5)
    [False, True, True, False, False]
    >>> suppression_mask([38, 3, 2, 35], 5)
    [False, True, True, False]
    >>> suppression_mask([10, 20], 5)
    [False, False]
    """
    hidden = [0 < c < threshold for c in counts]
    if total_shown and sum(hidden) == 1 and len(counts) > 1:
        candidates = [(c == 0, c, i) for i, c in enumerate(counts) if not hidden[i]]
        # prefer a non-zero cell: a shown zero plus a hidden zero would still give the value away
        hidden[min(candidates)[2]] = True
    return hidden
