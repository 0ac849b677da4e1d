"""Atomic writes keep the usual permissions without touching the process umask."""
from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

import ceasefire_analysis
from ceasefire_analysis.files import new_private_dir, write_text_atomic


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield 0o027
    finally:
        os.umask(old)


def test_written_files_and_folders_get_the_umask_permissions(tmp_path, umask_027):
    target = tmp_path / "sub" / "a.csv"
    write_text_atomic(target, "x\n")
    write_text_atomic(target, "y\n")  # replacing keeps the usual mode too
    assert target.read_text() == "y\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    folder = new_private_dir(tmp_path, ".tmp-")
    assert folder.name.startswith(".tmp-") and stat.S_IMODE(folder.stat().st_mode) == 0o750
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.csv"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.csv"
    target.write_text("old\n")

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")

    with pytest.raises(TypeError):
        write_text_atomic(target, Boom())
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_no_module_changes_the_process_umask():
    # os.umask(0) then back is a window in which another thread's files are world-writable
    package = Path(ceasefire_analysis.__file__).parent
    calls = [f"{path.name} line {node.lineno}" for path in sorted(package.glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Attribute) and node.attr == "umask"]
    assert calls == []
