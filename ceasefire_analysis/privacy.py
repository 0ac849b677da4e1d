"""Pseudonymising participant identifiers, audiences, and protecting small numbers.

Raw ``participant_id`` values may be names or record numbers. They are replaced by a
keyed hash (HMAC-SHA-256) as soon as a file is read, so nothing downstream (processed
parquet, notebooks, reports) ever holds the raw value. Without the key, a pseudonym
cannot be turned back into a person by trying likely names.

This module is the one home of the audience rules and of suppression: every report and
CSV that shows counts of people to a partner or the public hides them through
:func:`suppress_cells`, which knows the relations between the published numbers (a total
and its parts, a share and its group) and keeps hiding cells until no hidden count can
be worked back out from what is shown.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import schema
from .config import DEMO_ID_KEY, ID_KEY_ENV, ID_KEY_FILE, MIN_ID_KEY_LENGTH, is_demo_dir
from .errors import CeasefireError, ParamsError
from .formatting import format_count
from .params import AUDIENCES
from .periods import Month, Window
from .schema import WINDOW_PERIOD, WINDOW_YTD

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


# --------------------------------------------------------------------------- audiences

SMALL = "small"  # a count of people from 1 to threshold - 1 (primary suppression)
COMPLEMENTARY = "complementary"  # hidden because it would give a small count away


def suppresses_small_counts(audience: str) -> bool:
    """Partner and public reports hide small counts of people, and whatever would reveal them.

    >>> [suppresses_small_counts(a) for a in AUDIENCES]
    [False, True, True]
    """
    return audience in ("partner", "public")


def shows_participant_rows(audience: str) -> bool:
    """Only the partnership's own staff see participant-level rows, case numbers and free-text."""
    return audience == "internal"


def keeps_executed_notebooks(audience: str) -> bool:
    """Executed notebooks (with every intermediate value) are kept for internal audits only."""
    return audience == "internal"


INTERNAL_NOTE_PREFIX = "internal:"


def visible_note(text: str, audience: str) -> str:
    """A free-text note as an audience may see it: notes starting ``internal:`` are for staff only.

    >>> visible_note("internal: call J. about the list", "public"), visible_note("internal: call J.", "internal")
    ('', 'call J.')
    >>> visible_note("Training on 3.17.17.", "public")
    'Training on 3.17.17.'
    """
    text = text or ""
    if text.strip().lower().startswith(INTERNAL_NOTE_PREFIX):
        return text.strip()[len(INTERNAL_NOTE_PREFIX):].strip() if audience == "internal" else ""
    return text


def provenance_label(label: str, audience: str) -> str:
    """The params file as named in a report: outside the staff's own reports, never an absolute path.

    >>> provenance_label("/home/ana/city/params/2017.yaml", "public"), provenance_label("params/x.yaml", "public")
    ('2017.yaml', 'params/x.yaml')
    """
    return Path(label).name if audience != "internal" and Path(label).is_absolute() else label


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s'\"<>/:;,()]+/)*[^\s'\"<>/:;,()]+/?")


def without_absolute_paths(value: Any, base: Path | None = None) -> Any:
    """Text (or the strings inside lists and mappings) with every absolute path made relative to ``base``
    when inside it, else cut to its last part: partner and public outputs never show where files live.

    >>> without_absolute_paths({"data_dir": "/home/ana/city/data", "notes": ["see /tmp/x/y.csv"]}, Path("/home/ana/city"))
    {'data_dir': 'data', 'notes': ['see y.csv']}
    """
    if isinstance(value, str):
        def shorter(match: re.Match) -> str:
            path = Path(match.group(0))
            if base is not None:
                try:
                    return path.relative_to(base).as_posix()
                except ValueError:
                    pass
            return path.name or "."
        return _ABSOLUTE_PATH.sub(shorter, value)
    if isinstance(value, dict):
        return {k: without_absolute_paths(v, base) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_absolute_paths(v, base) for v in value]
    return value


def visible_steps(steps: list[dict] | tuple[dict, ...], audience: str) -> list[dict]:
    """The last review's next steps (``text``, ``status``, ``note``) as an audience may see them: a step
    written starting ``internal:`` is left out, an ``internal:`` note is blanked.

    >>> visible_steps([{"text": "internal: ring J.", "status": "done", "note": ""},
    ...                {"text": "Train staff", "status": "done", "note": "internal: J. refused"}], "public")
    [{'text': 'Train staff', 'status': 'done', 'note': ''}]
    """
    shown = []
    for step in steps:
        text = visible_note(str(step.get("text") or ""), audience)
        if text:
            shown.append({**step, "text": text, "note": visible_note(str(step.get("note") or ""), audience)})
    return shown


def _identifier_like(token: str) -> bool:
    # A case number or person number has digits and some length; "Plan A", "2" or a year alone is not
    # taken for one, so a short test id never blocks an ordinary sentence.
    return len(token) >= 4 and any(ch.isdigit() for ch in token)


def identifiers_in_free_text(texts: list[tuple[str, str]], case_numbers: set[str], pseudonyms: set[str],
                             key: bytes | None = None) -> list[str]:
    """The params keys (``texts`` holds ``(key, text)``) whose text names a known case number, a person's
    pseudonym or, hashed with ``key``, a person's own identifier from the data.

    >>> identifiers_in_free_text([("next_steps", "Follow up OPD-17-125592."), ("notes: homicides", "Plan A")],
    ...                          {"OPD-17-125592", "A"}, set())
    ['next_steps']
    """
    cases = {c.casefold() for c in case_numbers if _identifier_like(c)}
    found = []
    for where, text in texts:
        tokens = {t.strip("-_.") for t in re.findall(r"[\w.-]+", text or "")}
        tokens = {t for t in tokens if _identifier_like(t)}
        hashed = set(pseudonymise(pd.Series(sorted(tokens), dtype=object), key)) if key and tokens else set()
        if {t.casefold() for t in tokens} & cases or tokens & pseudonyms or hashed & pseudonyms:
            found.append(where)
    return list(dict.fromkeys(found))


def refuse_identifiers_in_free_text(texts: list[tuple[str, str]], case_numbers: set[str], pseudonyms: set[str],
                                    key: bytes | None, audience: str, source: str = "") -> None:
    """Stop a partner or public run whose free text names a case number or a person from the data (one
    sentence naming the params key, never the identifier); an internal run keeps its text."""
    if audience == "internal":
        return
    keys = identifiers_in_free_text(texts, case_numbers, pseudonyms, key)
    if keys:
        raise ParamsError(
            f"the params key {', '.join(repr(k) for k in keys)}{f' in {source}' if source else ''} names a case number or a person's identifier "
            f"from the data, which a {audience} report must not show: take it out, or start that text with "
            "'internal:' so that only internal reports show it.")


def params_for_audience(record: dict, audience: str, base: Path | None = None) -> dict:
    """A params record (``params.params_record``, for ``manifest.json``) as an audience may see it.

    Partner and public records keep no note, next step or partnership note written starting
    ``internal:`` (public records keep no partnership note at all, as their pages show none) and no
    absolute path (relative to ``base``, the params file's folder, or the last part only).

    >>> record = {"audience": "public", "data_dir": "/srv/city/data", "notes": {"homicides": "internal: J. Doe"},
    ...           "next_steps": ["Train staff", "internal: ring J. Doe"], "partnership_notes": ["Shared"]}
    >>> params_for_audience(record, "public", Path("/srv/city"))
    {'audience': 'public', 'data_dir': 'data', 'notes': {}, 'next_steps': ['Train staff'], 'partnership_notes': []}
    """
    if audience == "internal":
        return record
    out = dict(record)
    if isinstance(out.get("notes"), dict):
        out["notes"] = {k: visible_note(v, audience) for k, v in out["notes"].items() if visible_note(v, audience)}
    for key in ("next_steps", "partnership_notes"):
        if isinstance(out.get(key), (list, tuple)):
            out[key] = [] if key == "partnership_notes" and audience == "public" else \
                [visible_note(n, audience) for n in out[key] if visible_note(n, audience)]
    if isinstance(out.get("previous_next_steps"), (list, tuple)):
        out["previous_next_steps"] = visible_steps(out["previous_next_steps"], audience)
    return without_absolute_paths(out, base)


def hidden_text(kind: str, threshold: int, share: bool = False) -> str:
    """What a report shows in place of a hidden count, or of a hidden ``share`` (a percentage).

    A hidden share does not read "fewer than 5": in a row of percentages beside "benchmark 75%" that
    reads as "under 5%". It says that it is hidden and how few people are behind it.

    >>> hidden_text(SMALL, 5), hidden_text(COMPLEMENTARY, 5)
    ('fewer than 5', 'hidden (would reveal a small number)')
    >>> hidden_text(SMALL, 5, share=True), hidden_text(COMPLEMENTARY, 5, share=True)
    ('hidden (fewer than 5 people behind it)', 'hidden (would reveal a small number)')
    """
    if kind != SMALL:
        return "hidden (would reveal a small number)"
    return f"hidden (fewer than {threshold} people behind it)" if share else f"fewer than {threshold}"


def shown_count(count: int, threshold: int, audience: str) -> str:
    """A lone count of people (no total beside it) as an audience may see it.

    >>> shown_count(3, 5, "public"), shown_count(3, 5, "internal"), shown_count(0, 5, "partner")
    ('fewer than 5', '3', '0')
    """
    if suppresses_small_counts(audience) and 0 < count < threshold:
        return hidden_text(SMALL, threshold)
    return format_count(count)


# --------------------------------------------------------------------------- suppression with relations

@dataclass(frozen=True)
class Relation:
    """A linear identity between cells: ``sum(coef * value) == 0`` (e.g. total - part1 - part2 = 0)."""

    terms: tuple[tuple[str, int], ...]
    # the total is a group of people and each is in exactly one part (Relation.group)
    partition: bool = field(default=False, repr=False)

    @classmethod
    def total(cls, total: str, parts: list[str] | tuple[str, ...]) -> "Relation":
        """``total = sum(parts)``."""
        return cls(((total, 1),) + tuple((p, -1) for p in parts))

    @classmethod
    def group(cls, total: str, parts: list[str] | tuple[str, ...]) -> "Relation":
        """``total = sum(parts)``, where ``total`` counts a group of people and each is in exactly one part (e.g.
        a cohort by outcome): a 0 among the parts of a small group is hidden (:func:`parts_of_small_totals`)."""
        return cls(((total, 1),) + tuple((p, -1) for p in parts), partition=True)


def suppress_cells(values: dict[str, int], relations: list[Relation], threshold: int,
                   unpublished: set[str] = frozenset(), prefer: set[str] = frozenset(),
                   fixed: set[str] = frozenset(), free: set[str] = frozenset(),
                   forced: set[str] = frozenset()) -> dict[str, str]:
    """Which cells to hide, and why: ``{cell: "small" | "complementary"}``.

    Every count from 1 to ``threshold - 1`` is hidden (primary suppression). Then, as long
    as the published cells and the ``relations`` pin down the exact value of any hidden
    cell, a published cell of a relation that touches it is hidden too (complementary
    suppression): the smallest non-zero one whose hiding leaves the pinned cell more than
    one possible value. ``unpublished`` cells (e.g. people reached both ways, the rest of a
    share) are never shown but take part in the relations; they are protected when small.
    Complementary cells are taken from ``prefer`` first (the review period's: its months are
    published in no other report, so hiding them is not undone by a neighbouring period's), and
    never from ``fixed`` cells (printed elsewhere whatever this table hides, e.g. a cohort's size).
    ``free`` unpublished cells carry no label at all: the reader knows only that they are whole numbers
    from 0 up (e.g. how many people reached an outcome between two yearly copies of a page). ``forced``
    cells are hidden from the start, as complementary (known to give a small count away, e.g. by
    :func:`earlier_report_relations`), and protected like any other hidden cell.

    >>> hide = suppress_cells({"all": 15, "a": 4, "b": 11}, [Relation.total("all", ["a", "b"])], 5)
    >>> sorted(hide.items())
    [('a', 'small'), ('b', 'complementary')]
    >>> suppress_cells({"all": 30, "a": 10, "b": 20}, [Relation.total("all", ["a", "b"])], 5)
    {}
    """
    small = {c for c, v in values.items() if 0 < v < threshold}
    small |= {c for c in parts_of_small_totals(relations, small) if values.get(c) == 0}
    hidden = set(small) | set(unpublished) | set(forced)

    def first_pinned(cells: set[str]) -> str | None:
        # every hidden cell a report shows as hidden is protected, and every small unpublished one; the first
        # pinned one (in name order) is protected next, so the others need no integer program yet
        guarded = sorted(c for c in cells if c in small or c not in unpublished)
        twin = _twins(guarded, relations, cells)
        answers: dict[str, bool] = {}
        for c in guarded:
            if twin[c] not in answers:
                answers[twin[c]] = pinned_down(twin[c], values, relations, cells, small, threshold, free)
            if answers[twin[c]]:
                return c
        return None

    while True:
        exposed = first_pinned(hidden)
        if exposed is None:
            break
        extra = _complement_for(exposed, values, relations, hidden | (set(fixed) - small), small, threshold,
                                prefer, set(fixed) - small, free)
        if extra is None:
            break  # every cell of every relation is hidden already: nothing more can be done
        hidden.add(extra)
    return {c: (SMALL if c in small else COMPLEMENTARY) for c in values if c in hidden and c not in unpublished}


def parts_of_small_totals(relations: list[Relation], small: set[str]) -> set[str]:
    """The parts of every small group of people split into parts (a :meth:`Relation.group` whose total is small):
    each is from 0 to the total, so a 0 among them is hidden like a small count.

    Why: a 0 beside a group of fewer than 5 ("fewer than 5 people | 0 killed") says something about every one of
    those few people; shown as "fewer than 5" it cannot be told from 1 to 4. A reader who knows this rule reads
    any hidden part of a small group as 0 to ``threshold - 1`` (:func:`pinned_down`). A 0 in a group of 5 or more
    stays shown: the relations already treat it as a published value, and a reader's subtraction with it is
    checked like any other. Totals of events (events by 12 months = by 6 months + the rise) are no group.

    >>> sorted(parts_of_small_totals([Relation.group("band", ["a", "b"]), Relation.total("all", ["band", "c"])],
    ...                              {"band"}))
    ['a', 'b']
    >>> suppress_cells({"band": 3, "a": 0, "b": 3}, [Relation.group("band", ["a", "b"])], 5)
    {'band': 'small', 'a': 'small', 'b': 'small'}
    """
    parts: set[str] = set()
    for relation in relations:
        total, *rest = relation.terms
        if relation.partition and total[0] in small:
            parts |= {c for c, _ in rest}
    return parts


def _twins(guarded: list[str], relations: list[Relation], hidden: set[str]) -> dict[str, str]:
    """For each guarded cell, one cell that is pinned down exactly when it is: cells joined by a relation whose
    only hidden cells are the two of them (``a*x + b*y`` = published numbers) fix each other, so one integer
    program answers for both (a year to date and its difference from an earlier report's, say).

    >>> _twins(["d", "x", "y"], [Relation.total("x", ["y", "k"]), Relation.total("x", ["d", "y"])], {"d", "x", "y"})
    {'d': 'd', 'x': 'x', 'y': 'x'}
    """
    root = {c: c for c in guarded}

    def find(c: str) -> str:
        while root[c] != c:
            c = root[c]
        return c

    for r in relations:
        unknown = [c for c, _ in r.terms if c in hidden]
        if len(unknown) == 2 and all(c in root for c in unknown):
            a, b = sorted(find(c) for c in unknown)
            root[b] = a
    return {c: find(c) for c in guarded}


def _complement_for(cell: str, values: dict[str, int], relations: list[Relation], hidden: set[str],
                    small: set[str], threshold: int, prefer: set[str] = frozenset(),
                    fixed: set[str] = frozenset(), free: set[str] = frozenset()) -> str | None:
    """The published cell whose hiding protects ``cell``: the first, non-zero and smallest first, that
    leaves it with more than one possible value; else the smallest near it. ``hidden`` here also holds
    the ``fixed`` cells (never candidates); they stay known to the reader when pinning is checked."""
    known = hidden - set(fixed)
    touching = [r for r in relations if cell in dict(r.terms)]
    near = {c for r in touching for c, _ in r.terms if c not in hidden}
    linked = {c for r in touching for c, _ in r.terms}
    further = {c for r in relations if linked & set(dict(r.terms)) for c, _ in r.terms if c not in hidden}
    anywhere = {c for r in relations for c, _ in r.terms if c not in hidden}
    for pool in (near, further, anywhere):
        ordered = sorted(pool, key=lambda c: (c not in prefer, values[c] == 0, values[c], c))
        for candidate in ordered:
            if not pinned_down(cell, values, relations, known | {candidate}, small, threshold, free):
                return candidate
    ordered = sorted(near or further or anywhere, key=lambda c: (values[c] == 0, values[c], c))
    return ordered[0] if ordered else None


def pinned_down(cell: str, values: dict[str, int], relations: list[Relation], hidden: set[str], small: set[str],
                threshold: int, free: set[str] = frozenset()) -> bool:
    """True when the published cells and the relations leave ``cell`` exactly one possible value.

    The reader is assumed to know that a small cell lies from 1 to ``threshold - 1`` and
    any other hidden cell is 0 or at least ``threshold`` (a ``free`` one: any value from 0 up); values
    are whole numbers. The smallest and largest value the hidden cell can take are found by integer
    programming, over the relations linked to ``cell`` through hidden cells only (a published cell is a
    constant, so the others say nothing about it). A cell alone in a relation with published cells is pinned
    without solving anything; the same question asked again (a page asks it of one table several
    times) is answered from memory; a solve that runs out of time counts as pinned (hide more).

    >>> pinned_down("a", {"all": 15, "a": 4, "b": 11}, [Relation.total("all", ["a", "b"])], {"a"}, {"a"}, 5)
    True
    >>> pinned_down("a", {"all": 15, "a": 4, "b": 11}, [Relation.total("all", ["a", "b"])], {"a", "b"}, {"a"}, 5)
    False
    """
    hidden = set(hidden)
    if cell not in hidden:
        return False
    by_cell: dict[str, list[int]] = {}
    for i, r in enumerate(relations):
        for c, _ in r.terms:
            by_cell.setdefault(c, []).append(i)
    if cell not in by_cell:
        return False  # in no relation: nothing published says anything about it
    linked, used_ids, frontier = {cell}, set(), [cell]
    while frontier:  # the relations reachable from the cell through hidden cells
        for i in by_cell.get(frontier.pop(), ()):
            if i in used_ids:
                continue
            used_ids.add(i)
            for c, _ in relations[i].terms:
                if c in hidden and c not in linked:
                    linked.add(c)
                    frontier.append(c)
    used = [relations[i] for i in sorted(used_ids)]
    if any({c for c, _ in r.terms if c in hidden} == {cell} for r in used):
        return True  # the cell is the relation's only unknown: its value follows by arithmetic
    big = max([abs(v) for v in values.values()] + [threshold]) * 2 + 1
    key = (cell, threshold, big, frozenset(linked), frozenset(small & linked), frozenset(set(free) & linked),
           tuple(used), tuple(values[c] for r in used for c, _ in r.terms))
    if key not in _PINNED:
        if len(_PINNED) > 20_000:
            _PINNED.clear()
        _PINNED[key] = _solved_pinned(cell, values, used, sorted(linked), small, threshold, big, free)
    return _PINNED[key]


_PINNED: dict[tuple, bool] = {}  # answers of pinned_down, by everything they depend on
MILP_SECONDS = 20.0  # one solve's limit; past it the cell counts as pinned, so more is hidden, never less


def _solved_pinned(cell: str, values: dict[str, int], used: list[Relation], unknowns: list[str], small: set[str],
                   threshold: int, big: int, free: set[str] = frozenset()) -> bool:
    """:func:`pinned_down` by integer programming over the relations ``used`` and their hidden cells."""
    from scipy.optimize import Bounds, LinearConstraint, milp  # heavy: only when a hidden cell must be checked

    n = len(unknowns)
    # variables: the hidden values, then one switch per non-small hidden cell (0: zero, 1: at least threshold)
    others = [c for c in unknowns if c not in small and c not in free]
    width = n + len(others)
    rows, rhs = [], []
    for r in used:
        row = np.zeros(width)
        constant = 0.0
        for c, coef in r.terms:
            if c in unknowns:
                row[unknowns.index(c)] += coef
            else:
                constant += coef * values[c]
        rows.append(row)
        rhs.append(-constant)
    lower = np.zeros(width)
    upper = np.full(width, float(big))
    maybe_zero = parts_of_small_totals(used, small)  # a 0 there is hidden too: 0 to threshold - 1
    for c in small:
        if c in unknowns and c not in free:
            lower[unknowns.index(c)], upper[unknowns.index(c)] = 0 if c in maybe_zero else 1, threshold - 1
    lows, highs = list(rhs), list(rhs)
    for k, c in enumerate(others):
        upper[n + k] = 1  # the switch
        at_least = np.zeros(width)  # value - threshold * switch >= 0
        at_least[unknowns.index(c)], at_least[n + k] = 1, -threshold
        at_most = np.zeros(width)  # value - big * switch <= 0
        at_most[unknowns.index(c)], at_most[n + k] = 1, -big
        rows += [at_least, at_most]
        lows += [0, -np.inf]
        highs += [np.inf, 0]
    matrix = np.array(rows)
    constraints = [LinearConstraint(matrix, lows, highs)]  # one matrix: far quicker to set up than many
    objective = np.zeros(width)
    objective[unknowns.index(cell)] = 1
    # The true values are one solution when they meet every condition the reader assumes (they do unless a relation
    # does not hold exactly): then a smallest (or largest) value that differs from the cell's own is a second, and
    # the cell is not pinned without asking for the other end (most cells of a protected table end there).
    truth = np.array([values[c] for c in unknowns] + [1.0 if values[c] >= threshold else 0.0 for c in others])
    product = matrix @ truth
    truth_is_a_solution = bool(np.all(truth >= lower) and np.all(truth <= upper)
                               and np.all(product >= np.array(lows) - 1e-9) and np.all(product <= np.array(highs) + 1e-9))
    # first towards the far end of the cell's range from its own value (a count of 1 is most likely its smallest
    # possible value, so its largest is asked first): that end is the likelier to differ from it
    index = unknowns.index(cell)
    signs = (-1, 1) if values[cell] - lower[index] <= upper[index] - values[cell] else (1, -1)
    found = []
    for sign in signs:
        result = milp(sign * objective, constraints=constraints, integrality=np.ones(width),
                      bounds=Bounds(lower, upper), options={"time_limit": MILP_SECONDS})
        if result.status == 1:
            return True  # out of time: take the cell as pinned, so that more is hidden, never less
        if result.status != 0:
            return False  # the relations do not hold exactly for these values: nothing can be pinned
        found.append(round(result.x[index]))
        if truth_is_a_solution and found[0] != values[cell]:
            return False  # two values possible: the one found and the cell's own
    return found[0] == found[1]


# --------------------------------------------------------------------------- the indicators table

# Counts of people in the indicators table, with the totals they add up to.
PEOPLE_TOTALS = {
    "direct_communications": ("call_ins", "custom_notifications"),
    "case_management_active": tuple(f"case_management_active_{s}" for s in schema.REFERRAL_SOURCES),
    "case_management_new": (),
}
# Shares of people: (share indicator, the people count that is its denominator).
PEOPLE_SHARES = {
    "direct_communications_highest_risk_pct": "direct_communications",
    "case_management_opd_highest_risk_pct": "case_management_new",
}


def indicator_cells(table: pd.DataFrame) -> tuple[dict[str, int], list[Relation], set[str], dict[str, list]]:
    """The people counts of an indicators table as cells and relations for :func:`suppress_cells`.

    Returns the values, the relations, the unpublished cells and, per cell, the table rows it is shown in.
    """
    values: dict[str, int] = {}
    rows: dict[str, list] = {}
    relations: list[Relation] = []
    unpublished: set[str] = set()
    windows: dict[str, tuple[str, str]] = {}

    def cell(indicator: str, window: str) -> str | None:
        match = table.index[(table["indicator"] == indicator) & (table["window"] == window)]
        if len(match) == 0 or pd.isna(table.at[match[0], "actual"]):
            return None
        name = f"{indicator}/{window}"
        values[name] = int(table.at[match[0], "actual"])
        rows.setdefault(name, []).append(match[0])
        windows[window] = (table.at[match[0], "window_start"], table.at[match[0], "window_end"])
        return name

    for window in table["window"].unique():
        for total, parts in PEOPLE_TOTALS.items():
            total_cell = cell(total, window)
            part_cells = [cell(p, window) for p in parts]
            if total_cell is None or not parts or None in part_cells:
                continue
            if total == "direct_communications":  # someone reached both ways counts once in the total
                both = f"reached_both_ways/{window}"
                values[both] = sum(values[p] for p in part_cells) - values[total_cell]
                unpublished.add(both)
                relations.append(Relation(((total_cell, 1),) + tuple((p, -1) for p in part_cells) + ((both, 1),)))
            else:
                relations.append(Relation.total(total_cell, part_cells))
        for share, base in PEOPLE_SHARES.items():
            match = table.index[(table["indicator"] == share) & (table["window"] == window)]
            base_cell = cell(base, window)
            if len(match) == 0 or base_cell is None or pd.isna(table.at[match[0], "numerator"]):
                continue
            numerator, rest = f"{share}/{window}", f"{share}_rest/{window}"
            values[numerator] = int(table.at[match[0], "numerator"])
            values[rest] = values[base_cell] - values[numerator]
            rows.setdefault(numerator, []).append(match[0])
            unpublished.add(rest)
            relations.append(Relation.total(base_cell, [numerator, rest]))
    # two windows over the same months (a January-February review's YTD is its period) show the same counts
    same = [w for w in windows if w != "as_of"]
    if len(same) == 2 and windows[same[0]] == windows[same[1]]:
        for name in list(values):
            indicator, _, window = name.rpartition("/")
            twin = f"{indicator}/{same[1]}"
            if window == same[0] and twin in values:
                relations.append(Relation(((name, 1), (twin, -1))))
    elif len(same) == 2:
        relations += _nesting_relations(values, windows, same, unpublished)
    return values, relations, unpublished, rows


def _nesting_relations(values: dict[str, int], windows: dict[str, tuple[str, str]], pair: list[str],
                       unpublished: set[str]) -> list[Relation]:
    """A window inside another (the review period inside the year to date; across a year boundary, the
    year to date inside the period): outer = inner + the months between, an unpublished cell per count.

    Without it, "Jan-Mar: 54, Feb-Mar: 49" gives January's 5 enrolments away however each count is
    checked on its own. The months between are named ``earlier_months``; they are protected when small.
    """
    (a_start, a_end), (b_start, b_end) = windows[pair[0]], windows[pair[1]]
    if a_start <= b_start and b_end <= a_end:
        outer, inner = pair
    elif b_start <= a_start and a_end <= b_end:
        outer, inner = pair[1], pair[0]
    else:
        return []
    relations = []
    for name in list(values):
        indicator, _, window = name.rpartition("/")
        twin = f"{indicator}/{inner}"
        if window != outer or twin not in values or indicator.startswith("reached_both_ways"):
            continue  # people reached both ways are not additive across windows
        relation = window_difference(values, unpublished, name, twin, f"{indicator}/earlier_months")
        if relation is not None:
            relations.append(relation)
    return relations


def window_difference(values: dict[str, int], unpublished: set[str], longer: str, shorter: str,
                      between: str) -> Relation | None:
    """The relation between a count of people over a window and over a window inside it (the year to date
    and the review period): ``longer = shorter + between``, ``between`` (unpublished) being the people of
    the months between, a count of people that is protected when small like any other.

    The rule for every count of people shown over two nested windows, people and a share's people alike: a
    reader subtracts. For people counted once per window it is exact (the people of the months between and
    not of the shorter window). For the people of a share (reached before their first shooting in the
    window, say) it is only nearly exact: someone linked in both windows and reached between their two
    shootings counts in the shorter window's share and not in the longer's, so the true difference is at
    most the people of the months between. A reader takes it as exact, so the relation is stated as exact;
    a negative difference (the rare case, which the reader sees cannot be a count) states nothing.

    >>> values, unpublished = {"ytd": 40, "period": 35}, set()
    >>> window_difference(values, unpublished, "ytd", "period", "january"), values["january"], unpublished
    (Relation(terms=(('ytd', 1), ('period', -1), ('january', -1))), 5, {'january'})
    >>> window_difference({"ytd": 9, "period": 10}, set(), "ytd", "period", "january") is None
    True
    """
    if values[longer] < values[shorter]:
        return None
    values[between] = values[longer] - values[shorter]
    unpublished.add(between)
    return Relation.total(longer, [shorter, between])


# --------------------------------------------------------------------------- across reports

def earlier_report_windows(period: Window) -> list[Window]:
    """The year-to-date windows of the earlier reports a reader is assumed to hold: every report of the same
    cadence in the same year, i.e. the windows from January to each earlier period end ``period_end - k *
    length`` (k = 1, 2, ...) that lies in the review period's last year. Newest first.

    Each earlier report's year to date is taken as published (whether or not that report hid it): a reader
    subtracts it from this report's year to date, and the difference is a count of people (those of the
    months since, who were not counted by then).

    >>> from ceasefire_analysis.periods import Month
    >>> [str(w.last) for w in earlier_report_windows(Window(Month(2016, 5), Month(2016, 6)))]
    ['2016-04', '2016-02']
    >>> earlier_report_windows(Window(Month(2016, 12), Month(2017, 1)))  # the year to date is January only
    []
    >>> [f"{w.first}..{w.last}" for w in earlier_report_windows(Window(Month(2017, 2), Month(2017, 3)))]
    ['2017-01..2017-01']
    """
    windows = []
    end = period.last.shift(-period.n_months)
    while end.year == period.last.year:
        windows.append(Window(Month(end.year, 1), end))
        end = end.shift(-period.n_months)
    return windows


def _window_of(cell: str) -> str:
    """The window a cell is counted over: ``call_ins/ytd`` and ``x_pct/ytd#part`` are of ``ytd``."""
    return cell.partition("/")[2].partition("#")[0]


def earlier_report_relations(values: dict[str, int], unpublished: set[str], earlier: dict[str, dict[str, int]],
                             threshold: int, window: str = WINDOW_YTD) -> tuple[list[Relation], set[str], set[str]]:
    """The relations between this report's year-to-date counts of people and the same counts in earlier reports.

    ``earlier`` holds, per earlier report (any label, e.g. its last month), its counts under the same cell names
    as ``values`` (:func:`earlier_report_windows` says which reports; the module that computes this report's
    counts computes theirs). Each such count is added to ``values`` as a cell the reader knows (returned, to be
    passed to :func:`suppress_cells` as ``fixed``; a small one counts as hidden there, as its report hid it),
    and the difference, this year to date less that one (people counted now and not then), as an unpublished
    cell that is protected when small (:func:`window_difference`): "17 reached by June, 16 by April" must not
    say that one person was reached in May-June. Only cells of ``window`` (the year to date) take part: every
    earlier report's year to date starts on the same 1 January, so it lies inside this one's.

    Returns the relations, the earlier cells (for ``fixed``) and this report's cells that differ from an earlier
    report's by a small count (for ``forced``: published, that difference would follow by subtraction). Of the
    earlier reports after the newest (``earlier`` newest first), only a small difference is stated: a larger
    one tells the reader no more than the newest report's (the count is at least the newest earlier one), and
    leaving it out keeps the integer programs small.

    >>> values, unpublished = {"call_ins/ytd": 17, "call_ins/period": 1}, set()
    >>> relations, known, forced = earlier_report_relations(values, unpublished, {"2016-04": {"call_ins/ytd": 16}}, 3)
    >>> relations, known, forced, values["call_ins/ytd@2016-04#since"]
    ([Relation(terms=(('call_ins/ytd', 1), ('call_ins/ytd@2016-04', -1), ('call_ins/ytd@2016-04#since', -1)))], {'call_ins/ytd@2016-04'}, {'call_ins/ytd'}, 1)
    >>> sorted(suppress_cells(values, relations, 3, unpublished, fixed=known, forced=forced))
    ['call_ins/period', 'call_ins/ytd']
    """
    relations, known, forced = [], set(), set()
    for newest, (label, counts) in zip([True] + [False] * len(earlier), earlier.items()):
        for name, value in counts.items():
            since = values.get(name, 0) - int(value)
            if name not in values or _window_of(name) != window or not (newest or 0 < since < threshold):
                continue
            then = f"{name}@{label}"
            values[then] = int(value)
            known.add(then)
            relation = window_difference(values, unpublished, name, then, f"{then}#since")
            if relation is not None:
                relations.append(relation)
                if 0 < since < threshold and name not in unpublished:
                    forced.add(name)
    return relations, known, forced


def protect_indicators(table: pd.DataFrame, threshold: int,
                       earlier: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Hide small counts of people in an indicators table, and every cell that would reveal one.

    Adds a ``suppressed`` column (``small``, ``complementary`` or empty). A hidden row
    loses its ``actual``, ``numerator``, ``denominator``, ``status`` and derived values;
    a share is hidden with its numerator or its denominator. ``earlier`` holds the indicator tables of the
    earlier reports of the year (:func:`earlier_report_windows`, by any label), whose year to date a reader
    subtracts from this one's (:func:`earlier_report_relations`).
    """
    out = table.copy()
    out["suppressed"] = ""
    values, relations, unpublished, rows = indicator_cells(out)
    earlier_counts = {label: indicator_cells(t)[0] for label, t in (earlier or {}).items()}
    across, known, forced = earlier_report_relations(values, unpublished, earlier_counts, threshold)
    period_cells = {c for c in values if c.endswith(f"/{WINDOW_PERIOD}")}
    hidden = suppress_cells(values, relations + across, threshold, unpublished, period_cells, fixed=known,
                            forced=forced)
    for name, kind in hidden.items():
        if name in known:
            continue  # an earlier report's count: that report shows it as it does
        for i in rows[name]:
            out.at[i, "suppressed"] = kind
    for share, base in PEOPLE_SHARES.items():
        for i in out.index[out["indicator"] == share]:
            base_row = out[(out["indicator"] == base) & (out["window"] == out.at[i, "window"])]
            if not base_row.empty and base_row["suppressed"].iloc[0] and not out.at[i, "suppressed"]:
                out.at[i, "suppressed"] = COMPLEMENTARY
    hidden = out["suppressed"] != ""
    for column in ("actual", "numerator", "denominator", "pct_over_benchmark", "cut_to_meet"):
        if column in out:
            out.loc[hidden, column] = math.nan
    out.loc[hidden, "status"] = ""
    return out


# --------------------------------------------------------------------------- follow-up curves

def followed_text(count: int, threshold: int, audience: str) -> str:
    """People still followed at a point of a follow-up curve, as an audience may see it.

    Partner and public pages print a band of ``threshold`` values, not the number: the cohort's
    size less the number still followed is how many had the outcome (or were killed, or left
    follow-up), so an exact figure beside an exact size gives a small count away.

    >>> followed_text(19, 5, "public"), followed_text(3, 5, "partner"), followed_text(19, 5, "internal")
    ('15–19', 'fewer than 5', '19')
    >>> followed_text(0, 5, "public")
    '0'
    """
    count = int(count)
    if not suppresses_small_counts(audience) or count == 0:
        return format_count(count)
    if count < threshold:
        return hidden_text(SMALL, threshold)
    low = count - count % threshold
    return f"{format_count(low)}–{format_count(low + threshold - 1)}"


def protect_cumulative_events(events: dict[str, dict[int, int]], sizes: dict[str, int], threshold: int,
                              sums: list[tuple[str, list[str]]] = (), unprinted: set[tuple[str, int]] = frozenset(),
                              hidden_sizes: set[str] = frozenset()) -> set[tuple[str, int]]:
    """Which points of cumulative-incidence curves a partner or public page may not print.

    ``events[series][point]`` is how many of a cohort (``sizes[series]`` people) had the outcome
    by that point (months since first contact). A printed incidence times the printed cohort size
    gives that count back, so a point is hidden when the count is 1 to ``threshold - 1``, when the
    people without the outcome are (size less count), or when the outcome's count between two
    printed points is: the rise from one printed point to the next is a count of people too. Series
    that add up (everyone = each year's entrants, at the same point: ``sums`` as ``(total, parts)``)
    are protected together, so a hidden point cannot follow by subtraction. ``unprinted`` points
    (no follow-up yet) and series named in neither ``sizes`` shown nor printed are unknowns to the
    reader; ``hidden_sizes`` are cohort sizes the page does not print.

    >>> protect_cumulative_events({"c": {6: 1, 12: 9}}, {"c": 20}, 5)
    {('c', 6)}
    >>> sorted(protect_cumulative_events({"c": {6: 5, 12: 7, 24: 12}}, {"c": 20}, 5))  # 2 between 6 and 12
    [('c', 6)]
    >>> sorted(protect_cumulative_events({"c": {12: 17}}, {"c": 20}, 5))
    [('c', 12)]
    """
    values: dict[str, int] = {}
    relations: list[Relation] = []
    unpublished: set[str] = set()
    cell_of: dict[str, tuple[str, int]] = {}
    for series, points in events.items():
        size = f"{series}/size"
        values[size] = int(sizes[series])
        if series in hidden_sizes or series not in sizes:
            unpublished.add(size)
        previous = None
        for point in sorted(points):
            name = f"{series}/{point}"
            cell_of[name] = (series, point)
            values[name] = int(points[point])
            if (series, point) in unprinted:
                unpublished.add(name)
            rest = f"{series}/{point}/without"
            values[rest] = values[size] - values[name]
            unpublished.add(rest)
            relations.append(Relation.total(size, [name, rest]))
            if previous is not None:
                rise = f"{series}/{point}/rise"
                values[rise] = values[name] - values[previous]
                unpublished.add(rise)
                relations.append(Relation.total(name, [previous, rise]))
            previous = name
    for total, parts in sums:
        for point in events.get(total, {}):
            names = [f"{p}/{point}" for p in parts]
            if all(n in values for n in names):
                relations.append(Relation.total(f"{total}/{point}", names))
    fixed = {f"{s}/size" for s in events if f"{s}/size" not in unpublished}
    hidden = suppress_cells(values, relations, threshold, unpublished, fixed=fixed)
    # a size too small to print was hidden with its whole series by the page already; its points go too
    small_series = {s for s in events if 0 < values[f"{s}/size"] < threshold}
    return {cell_of[c] for c in hidden if c in cell_of} | {
        (s, p) for s in small_series for p in events[s]}
