"""The package installed the ordinary way (`pip install .`, not editable) runs the demo from any folder.

Slow by nature (a wheel build and one demo run); dependencies are reused from the
project's environment so that nothing is downloaded but the build backend.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from ceasefire_analysis.config import PROJECT_ROOT, SOURCE_TREE

pytestmark = pytest.mark.skipif(not SOURCE_TREE, reason="builds the package from its source checkout")


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def test_non_editable_install_runs_the_demo_from_another_folder(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target_python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(target_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    # reuse the project's installed dependencies; the project's own editable hook is in a .pth file
    # of that folder, which a path added this way does not run
    (purelib / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # nbconvert's own templates live in the data folder of the environment that holds nbconvert
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}
    env.pop("CEASEFIRE_ID_KEY", None)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(target_python), "install", "--no-deps", "--quiet",
                    "--no-compile", str(PROJECT_ROOT)], check=True, env=env, cwd=tmp_path)
    installed = Path(subprocess.run([str(target_python), "-c", "import ceasefire_analysis, os; "
                                     "print(os.path.dirname(ceasefire_analysis.__file__))"],
                                    check=True, capture_output=True, text=True, env=env, cwd=tmp_path).stdout.strip())
    assert installed.is_relative_to(purelib), installed  # the copy in the new environment, not the checkout
    before = _listing(installed)
    assert "_project/notebooks/worksheet.ipynb" in before and "_project/data/raw/demo/incidents.csv" in before

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run([str(venv / "bin" / "ceasefire"), "run", "--demo", "--jobs", "1"], cwd=elsewhere,
                         capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    period = elsewhere / "reports" / "2017-02_2017-03"
    for name in ("index.html", "worksheet.html", "history.html", "callin_outcomes.html", "indicators.csv"):
        assert (period / name).is_file(), name
    worksheet = (period / "worksheet.html").read_text(encoding="utf-8")
    assert "not produced" not in worksheet and "SYNTHETIC DEMO DATA" in worksheet
    assert "Homicides per year" in (period / "history.html").read_text(encoding="utf-8")
    assert _listing(installed) == before  # nothing written inside the installed package
