"""Errors the package raises for people, not for programmers.

Every error carries a plain sentence; the command line prints it without a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass


class CeasefireError(Exception):
    """Base class: a problem a user can fix, described in plain words."""

    def _render_traceback_(self) -> list[str]:
        # IPython (JupyterLab, papermill) shows these lines instead of a traceback: the analyst
        # sees the sentence, not thirty lines of library internals.
        return [f"{type(self).__name__}: {self}"]


class ParamsError(CeasefireError):
    """A params file (or notebook parameters) is wrong; the message names the key."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input value.

    ``row`` is the line number in the file as a spreadsheet or text editor shows it
    (the header is line 1), or ``None`` for a problem with the whole file or a column.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    expected: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(CeasefireError):
    """One or more input files break the data contract."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:200])
        more = len(self.problems) - 200
        if more > 0:
            shown += f"\n  ... and {more} more"
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{len(self.problems)} {noun} in the input data:\n{shown}")
