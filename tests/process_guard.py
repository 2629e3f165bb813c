"""Keep ``make unit`` fast: a test that starts a process or a server must say so with a marker.

``make unit`` runs ``-m "not integration and not slow"``. Starting a process (the kubesmith
CLI, a Python interpreter, kustomize, a terminal through pexpect, a memory-limited child) or
listening on a socket costs far more than the code under test, so such a test is marked
``slow`` (or ``integration`` when it needs an external binary or server) and runs in
``make test``. This fixture notices what a test started and fails an unmarked one with the
marker to add. ``git`` is fine (see ``ALLOWED``).
"""

from __future__ import annotations

import multiprocessing.util
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

MARKERS = ("slow", "integration")
# git: the repositories under test are real git repositories. uname: the platform module runs it
# once per process (cached) when the openai client describes its platform.
ALLOWED = {"git", "uname"}


def _name(args: Any) -> str:
    first = args if isinstance(args, str | bytes | os.PathLike) else (list(args) or [""])[0]
    if isinstance(first, bytes):
        first = first.decode(errors="replace")
    return Path(str(first).split()[0] if isinstance(first, str) else str(first)).name


@pytest.fixture(autouse=True)
def _processes_are_marked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    if any(request.node.get_closest_marker(m) for m in MARKERS):
        yield
        return
    started: list[str] = []

    def record(what: str) -> None:
        # Raised where the process would start (a BaseException, so that the code under test
        # cannot turn it into a fallback), and reported again at teardown in case it was caught.
        started.append(what)
        raise UnmarkedProcess(_message(what))

    execute: Callable[..., Any] = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def execute_child(self: subprocess.Popen[Any], args: Any, *a: Any, **kw: Any) -> Any:
        name = _name(args)
        if name not in ALLOWED:
            record(f"process {name}")
        return execute(self, args, *a, **kw)

    spawnv = multiprocessing.util.spawnv_passfds

    def spawnv_passfds(path: Any, args: Any, passfds: Any) -> Any:
        record("a multiprocessing child")
        return spawnv(path, args, passfds)

    fork, forkpty = os.fork, os.forkpty

    def guarded_fork() -> int:
        record("a forked child")
        return fork()

    def guarded_forkpty() -> tuple[int, int]:
        record("a terminal (pty)")
        return forkpty()

    listen = socket.socket.listen

    def guarded_listen(self: socket.socket, *a: Any) -> None:
        record("a server (listening socket)")
        listen(self, *a)

    monkeypatch.setattr(subprocess.Popen, "_execute_child", execute_child)
    monkeypatch.setattr(multiprocessing.util, "spawnv_passfds", spawnv_passfds)
    monkeypatch.setattr(os, "fork", guarded_fork)
    monkeypatch.setattr(os, "forkpty", guarded_forkpty)
    monkeypatch.setattr(socket.socket, "listen", guarded_listen)
    yield
    if started:
        pytest.fail(_message(", ".join(dict.fromkeys(started))), pytrace=False)


class UnmarkedProcess(BaseException):
    """A test without the ``slow`` or ``integration`` marker started a process or a server."""


def _message(what: str) -> str:
    return (
        f"this test started {what}: mark it @pytest.mark.slow (or integration when it needs an "
        "external binary or server) so that `make unit` stays fast"
    )
