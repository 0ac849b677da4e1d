"""Write docs/data_dictionary.md from ceasefire_analysis/schema.py (run after editing the schema)."""
from pathlib import Path

from ceasefire_analysis import schema

KINDS = {"text": "text", "date": "date", "bool": "yes/no", "int": "whole number ≥ 0", "category": "category",
         "participant": "person identifier"}
INTRO = """# Data dictionary

A city's data folder holds one CSV file per table below (UTF-8, header row; a UTF-8 BOM,
Windows line endings, spaces around values, blank lines and extra columns are accepted; `.xlsx` with the
same columns works too, but not beside a `.csv` of the same table: which one is current cannot be known, so that
is an error). `ceasefire validate DATA_DIR` checks a folder against this page. Rows are numbered as in the file
(header = 1), counting blank lines and line breaks inside quoted values.

- Dates are `YYYY-MM-DD`; a time after the date is allowed and ignored. Dates in the future are errors.
- Yes/no columns accept true/false, yes/no, 1/0, y/n, t/f in any case.
- Category columns accept the listed values in any case.
- A blank cell means missing; it is allowed only where the table says so.
- `participant_id` may be a real identifier: it is replaced by a keyed hash as soon as the file is read
  (see README, Privacy).
- A `history/` folder inside the data folder may hold annual series (see `data/raw/history/SOURCES.md`).
- Column names are read in any case, with spaces around them, and with spaces or hyphens for `_`
  (`Reviewed On` is `reviewed_on`), unless the header has both forms. A column or file whose name is close to a
  name on this page but not it (`reviewd_on`, `Communications.csv`, `case-management.csv`) is not read:
  `validate` and `run` warn, naming the name meant. Other files in the folder are listed in a warning too.
- A header naming a column twice is an error. An identifier (`participant_id`, a column ending in `_id`, or
  `unit`) that reads like a spreadsheet's totals line (`Total`, `TOTAL 575`, `Grand total`, `Sum`, `Subtotal`,
  any case) is an error: delete totals lines before exporting.
- Rows that repeat an earlier row exactly are counted and flagged at the top of the reports and in
  `manifest.json` (for incidents, only copies away from their twin: victims of one incident are listed one
  under the other), not refused.
- Error messages show a bad value as it is only when it is plausibly the column's own kind and cannot be an
  identifier: a well-formed date that does not exist or is in the future, a small number (`-3`), a lower-case
  word close to an allowed code (`homicde`). Any other bad value (it could be a name, a user name or a person
  number from a column in the wrong place) is described, e.g. "a name-like text (25 characters)", never echoed.

This page is generated from `ceasefire_analysis/schema.py` by `tools/make_data_dictionary.py`
(`tests/test_schema.py` checks they agree).
"""
RULES = """## Rules across rows and columns

- `case_management.csv`: `exited_on` is not before `enrolled_on`; an enrolment is active at a date when enrolled
  on or before it and not exited on or before it.
- `staffing.csv`: `filled` is not above `authorized`; one row per unit per `as_of`. Each unit's latest snapshot on
  or before the period's last day counts.
- `incidents.csv`: one row per non-injury shooting incident (`incident_id` unique among them); with `victim_id`,
  one row per victim per incident. A victim listed both as a non-fatal injury shooting and as a homicide (someone
  who died later) is counted once, as a homicide, and listed in the report.
- `meetings.csv`: `meeting_id` is unique.
- `participant_events.csv`: only events strictly after a person's first direct communication (or, for the
  comparison group, after `identified_on`) and on or before the period's last day count.
"""


def render() -> str:
    lines = [INTRO]
    for spec in schema.FILE_SPECS:
        lines += [f"## `{spec.filename}` ({'required' if spec.required else 'optional'})", "", spec.description, "",
                  "| column | type | required | blank allowed | allowed values | meaning |",
                  "|---|---|---|---|---|---|"]
        for c in spec.columns:
            allowed = ", ".join(f"`{a}`" for a in c.allowed)
            lines.append(f"| `{c.name}` | {KINDS[c.kind]} | {'yes' if c.required else 'no'} | "
                         f"{'yes' if c.nullable else 'no'} | {allowed} | {c.description} |")
        lines.append("")
    lines.append(RULES)
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"
    path.write_text(render(), encoding="utf-8")
    print(path)
