"""The process guard keeps ``make unit`` fast: an unmarked test that starts a process fails.

Runs pytest on a throwaway test file whose conftest loads the guard, as ``tests/conftest.py``
does: the unmarked test that starts a process fails naming it, the marked one and the one that
only runs git pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TESTS = """
import subprocess
import sys

import pytest


def test_unmarked_starts_python():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.mark.slow
def test_marked_starts_python():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def test_git_is_fine(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)


def test_unmarked_server():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
"""


@pytest.mark.slow
def test_an_unmarked_test_that_starts_a_process_fails_naming_it(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.process_guard import _processes_are_marked  # noqa: F401\n"
    )
    (tmp_path / "test_sample.py").write_text(TESTS)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "-m", "", "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py")],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "2 failed, 2 passed" in out, out
    assert "FAILED test_sample.py::test_unmarked_starts_python" in out
    assert "FAILED test_sample.py::test_unmarked_server" in out
    assert "this test started process python" in out
    assert "this test started a server (listening socket)" in out
