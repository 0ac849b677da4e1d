"""The two-command set-up and the promises around it."""
import re
import subprocess
import tomllib

import yaml

from ceasefire_analysis.config import PROJECT_ROOT


def test_environment_yml_pins_match_pyproject():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    pins = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert {p for p in pip if "==" in p} == pins
    assert all("==" in p for p in pins)
    py = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert py.split("=")[-1] == project["requires-python"].lstrip(">=")


def test_readme_starts_with_the_two_commands_and_ci_calls_make_test():
    readme = (PROJECT_ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", readme, re.S)
    assert blocks and blocks[0].split() == ["make", "report", "make", "test"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def _ignored(path: str) -> bool:
    out = subprocess.run(["git", "-C", str(PROJECT_ROOT), "check-ignore", "-q", "--no-index", path])
    return out.returncode == 0


def test_git_keeps_real_data_out():
    for path in ("data/raw/oakland_2018/incidents.csv", "data/raw/incidents.csv", "data/processed/x.parquet",
                 "data/processed/cache/abc/incidents.parquet", ".ceasefire_id_key", "reports/2017-02_2017-03/index.html"):
        assert _ignored(path), path
    for path in ("data/raw/demo/incidents.csv", "data/raw/history/homicides.csv"):
        assert not _ignored(path), path
