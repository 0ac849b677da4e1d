"""The `ceasefire` command with its notebooks folder replaced: the floor of benchmark (b) as the command runs it.

    python benchmarks/floor_command.py NOTEBOOKS_DIR run PARAMS... --out OUT

Everything else is the console script's own path (``ceasefire_analysis.cli:main``): the same process, checks,
template forked from it, kernels and export; only the notebooks executed are the trivial ones in NOTEBOOKS_DIR.
"""
import sys
from pathlib import Path

if __name__ == "__main__":
    from ceasefire_analysis import reports
    from ceasefire_analysis.cli import main

    reports.NOTEBOOKS_DIR = Path(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
