"""Running one job's heavy part in a child process with a memory ceiling.

A pull request is written by anyone, and validating it parses what they wrote; whatever bounds
the parsers have, the bot must not be the process that finds out a new way to exhaust memory. So
validation runs in a spawned child whose address space is capped (``RLIMIT_AS``, inherited by
the validators it starts): past the cap an allocation fails, the child reports it, and the job
fails for good with a message saying so — the bot, its other workers and its queue are untouched.
A child that dies (killed, crashed) is reported the same way, never retried in a loop.

``spawn``, not ``fork``: the bot is multi-threaded (workers, heartbeat, the web server), and a
forked copy of a threaded process can deadlock on a lock some other thread held.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from kubesmith.errors import UsageError

T = TypeVar("T")
MB = 1024 * 1024


class OverLimit(UsageError):
    """The job needed more than the bot allows one job (not retried: it would fail again)."""


def _child(
    conn: Connection, limit_bytes: int, func: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    if limit_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    try:
        result: tuple[str, Any] = ("ok", func(*args))
    except MemoryError:
        result = ("memory", None)
    except BaseException as e:  # sent back to be raised in the parent
        result = ("error", e)
    try:
        conn.send(result)
    except Exception as e:  # an unpicklable error: its text still tells what happened
        conn.send(("error", RuntimeError(f"{type(result[1]).__name__}: {result[1]} ({e})")))
    conn.close()


def run_limited(func: Callable[..., T], *args: Any, memory_mb: int, what: str) -> T:
    """``func(*args)`` in a child process limited to ``memory_mb`` MiB (0: in this process).

    ``func`` and ``args`` must be picklable (module-level function, plain data).

    Raises:
        OverLimit: when the child ran out of memory or died.
        Exception: whatever ``func`` raised, raised again here.
    """
    if memory_mb <= 0:
        return func(*args)
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child, args=(child, memory_mb * MB, func, args), name="kubesmith-job", daemon=True
    )
    proc.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = "died", None
    finally:
        parent.close()
        proc.join()
    if status == "ok":
        result: T = value
        return result
    if status == "error":
        raise value
    if status == "memory":
        raise OverLimit(
            f"{what} needed more than {memory_mb} MiB, the bot's limit for one job "
            "(KUBESMITH_BOT_JOB_MEMORY_MB); is a file enormous, or a YAML alias bomb?"
        )
    raise OverLimit(
        f"{what} stopped abruptly (exit code {proc.exitcode}); it is not retried. "
        f"The bot allows one job {memory_mb} MiB (KUBESMITH_BOT_JOB_MEMORY_MB)"
    )
