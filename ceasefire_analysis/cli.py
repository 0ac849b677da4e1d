"""The ``ceasefire`` command: ``validate`` a data folder, ``run`` review periods, ``render`` a notebook.

Errors are printed as plain sentences on stderr and the exit status is non-zero;
a traceback is never the message.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .config import DEFAULT_REPORTS_DIR, DEMO_PARAMS
from .errors import CeasefireError
from .importing import homicide_scope_hint, import_export, load_map
from .loading import contract_name_warnings, validate_data_dir
from .newcity import new_city, next_commands
from .reports import render_executed, run_failures, run_params_files
from .params import files_not_read_in, params_files_in

# Notebooks run in that many warm kernels at once: two where there are two cores. More than two
# gains little on the machines this is run on, and each kernel holds its own copy of the libraries.
DEFAULT_JOBS = max(1, min(2, os.cpu_count() or 1))


def cmd_validate(args: argparse.Namespace) -> int:
    problems = validate_data_dir(Path(args.data_dir))
    warnings = contract_name_warnings(Path(args.data_dir))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        print(f"{args.data_dir}: {len(problems)} {noun} found", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    warned = f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''} above)" if warnings else ""
    print(f"{args.data_dir}: all files meet the data contract{warned}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("--jobs must be 1 or more", file=sys.stderr)
        return 2
    params = list(args.params) + ([str(DEMO_PARAMS)] if args.demo else [])
    if not params:
        print("give one or more params files or folders, or --demo for the bundled demo period", file=sys.stderr)
        return 2
    for path in files_not_read_in(params):
        print(f"note: {path} is not read (params files end in .yaml or .yml)", file=sys.stderr)
    # this process has no state of its own a notebook could see: its kernels' template may be forked from it
    results = run_params_files(params_files_in(params), Path(args.out), jobs=args.jobs, template_from_this_process=True)
    failures = run_failures(results)
    for r in results:
        if r.out_dir:
            index = Path(r.out_dir) / "index.html"
            shown = index if index.exists() else Path(r.out_dir) / f"{r.reports[0].name}.html" if r.reports else r.out_dir
            print(f"{r.period_id}: {shown}")
    if failures:
        print(f"{len(failures)} failure{'s' if len(failures) != 1 else ''}:", file=sys.stderr)
        for failure in failures:  # whole messages: a list of input problems is the part the reader needs
            first, *rest = failure.splitlines()
            print(f"  - {first}", file=sys.stderr)
            for line in rest:
                print(f"    {line}", file=sys.stderr)
        return 1
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    print(render_executed(args.notebook, args.out))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    column_map = load_map(args.map)
    result = import_export(column_map, args.sources, Path(args.out), force=args.force)
    print(result.summary())
    if homicide_scope_hint(column_map):
        print(homicide_scope_hint(column_map))
    if result.folder_problems:
        print(f"note: {args.out} had {len(result.folder_problems)} problem"
              f"{'s' if len(result.folder_problems) != 1 else ''} before this import, still there; "
              f"see `ceasefire validate {args.out}`", file=sys.stderr)
    return 0


def cmd_new_city(args: argparse.Namespace) -> int:
    params_file, data_dir = new_city(args.dir, args.name)
    print(f"wrote {params_file} and {data_dir}/ (README.md, .gitignore). Next:")
    for command in next_commands(params_file, data_dir):
        print(f"  {command}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ceasefire",
        description="Check a city's data and render the Ceasefire performance-review reports and meeting packs.")
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check every file of a data folder against the data contract")
    validate.add_argument("data_dir", help="folder holding incidents.csv, communications.csv, ...")
    validate.set_defaults(func=cmd_validate)
    city = sub.add_parser("new-city", help="start a city folder: a params file and a data folder kept out of git")
    city.add_argument("dir", help="folder to create, e.g. nyc")
    city.add_argument("--name", required=True, help='the city\'s name as shown on reports, e.g. "New York City"')
    city.set_defaults(func=cmd_new_city)
    imp = sub.add_parser("import", help="write a contract file (e.g. incidents.csv) from police exports and a column map")
    imp.add_argument("sources", nargs="+", metavar="SOURCE", help="export files (.csv or .xlsx), read in this order")
    imp.add_argument("--map", required=True, help="column map YAML, or the name of a shipped map: "
                                                  "nypd_shooting_incidents, chicago_victims")
    imp.add_argument("--out", required=True, help="data folder to write <file>.csv into")
    imp.add_argument("--force", action="store_true",
                     help="replace <file>.csv if it exists (only if the folder still passes validate)")
    imp.set_defaults(func=cmd_import)
    run = sub.add_parser("run", help="validate, compute and render review periods or meeting packs")
    run.add_argument("params", nargs="*", help="params file(s) or folder(s) of them, e.g. "
                                               "params/2017-02_2017-03.yaml, params/shooting_review_2017-03-28.yaml "
                                               "or params/")
    run.add_argument("--demo", action="store_true",
                     help="also run the bundled demo period (synthetic data), from any folder")
    run.add_argument("--out", default=str(DEFAULT_REPORTS_DIR),
                     help="output folder (default: reports/ in the current folder)")
    run.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                     help=f"notebooks to execute at once (default {DEFAULT_JOBS}: one per core, at most 2)")
    run.set_defaults(func=cmd_run)
    render = sub.add_parser("render", help="make the offline reader page of a notebook run by hand, as `run` does")
    render.add_argument("notebook", help="an executed notebook, e.g. out.ipynb from papermill or saved in JupyterLab")
    render.add_argument("--out", help="the page to write (default: the notebook's name with .html)")
    render.set_defaults(func=cmd_render)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CeasefireError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
