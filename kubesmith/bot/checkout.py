"""A pull request on disk: its head checked out, its base beside it, in a per-job folder.

Cloned from the payload's ``clone_url`` with the installation token sent as a header for that
host only (never written into the clone's config or a URL: :func:`auth_env`). URLs on the local
disk (``file://`` or a path) are refused unless ``KUBESMITH_ALLOW_FILE_REMOTES=1`` (tests use a
bare repository on disk as the remote); other schemes than HTTPS/HTTP are refused.

Nothing in the checkout leads out of it: symlinks are checked out as plain files
(``core.symlinks=false``), and the shas and branch names from the payload were checked by
:mod:`kubesmith.bot.events` (and are passed after ``--``), so none is read as an option.

The base commit is checked out too, in its own worktree: the repository's ``.kubesmith.yaml``,
policy folders and CRDs are read from there — never from the pull request's head, which its
author controls.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kubesmith.bot.events import SHA_RE
from kubesmith.errors import ForgeError, GitError, UsageError
from kubesmith.reading import display_name
from kubesmith.tools.forges.github.push import auth_env


def check_clone_url(url: str, allow_file: bool) -> None:
    """Refuse clone URLs the bot must not fetch from.

    Raises:
        UsageError: for a local URL (unless allowed) or a scheme other than HTTP(S).
    """
    scheme = urlsplit(url).scheme
    if scheme in ("https", "http"):
        return
    if scheme in ("file", "") and allow_file:
        return
    if scheme in ("file", ""):
        raise UsageError(
            f"refusing to clone {url!r}: local URLs are accepted only with "
            "KUBESMITH_ALLOW_FILE_REMOTES=1 (for tests)"
        )
    raise UsageError(f"refusing to clone {url!r}: only https:// clone URLs are supported")


@dataclass(frozen=True)
class Checkout:
    """The job's clone: ``head`` (a working tree at the head commit) and ``base`` (a worktree)."""

    head: Path
    base: Path
    head_sha: str
    base_sha: str
    env: dict[str, str]

    def git(self, *args: str, cwd: Path | None = None, errors: str = "replace") -> str:
        """Run git in the head clone (with the credentials header); its stdout."""
        return run_git(cwd or self.head, self.env, *args, errors=errors)

    def changed_files(self) -> list[str]:
        """Files the pull request adds or modifies (not deletes), relative to the merge base."""
        merge_base = self.git("merge-base", self.base_sha, self.head_sha).strip()
        out = self.git(
            "diff", "--name-only", "--diff-filter=ACMRT", "-z", merge_base, self.head_sha,
            errors="surrogateescape",
        )  # fmt: skip
        # Names as discovery spells them (a name that is not UTF-8 escaped), so such a file is
        # matched and reported, never silently left out.
        return sorted(display_name(p) for p in out.split("\0") if p)


def run_git(cwd: Path, env: dict[str, str], *args: str, errors: str = "replace") -> str:
    """``git args`` in ``cwd``; GitError with git's message (credentials redacted) on failure."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **env},
            capture_output=True,
            check=True,
            timeout=600,
        )
    except subprocess.CalledProcessError as e:
        message = e.stderr.decode(errors="replace").strip()
        raise GitError(f"git {args[0]} failed: {message}") from None
    except subprocess.TimeoutExpired as e:
        raise GitError(f"git {args[0]} timed out") from e
    return proc.stdout.decode(errors=errors)


@contextmanager
def checkout(
    folder: Path,
    url: str,
    token: str | None,
    *,
    head_ref: str,
    head_sha: str,
    base_ref: str,
    base_sha: str,
    number: int = 0,
    allow_file: bool = False,
) -> Iterator[Checkout]:
    """Fetch the pull request's two branches into ``folder`` (emptied first), then clean up.

    Raises:
        UsageError: for a clone URL the bot refuses.
        ForgeError: when the commits cannot be fetched.
    """
    check_clone_url(url, allow_file)
    for sha in (head_sha, base_sha):
        if not SHA_RE.fullmatch(sha):
            raise UsageError(f"refusing to fetch {sha[:80]!r}: not a commit id")
    if folder.exists():
        shutil.rmtree(folder)  # left over from a crash: start clean
    head, base = folder / "head", folder / "base"
    head.mkdir(parents=True)
    env = auth_env(url, token)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    try:
        run_git(head, env, "init", "-q")
        # A symlink in the pull request is checked out as a small file holding its target's
        # name, so nothing that reads the checkout can follow one to the bot's own files.
        run_git(head, env, "config", "core.symlinks", "false")
        run_git(head, env, "remote", "add", "origin", url)
        try:
            run_git(head, env, "fetch", "-q", "--no-tags", "--", "origin", _refspec(base_ref))
        except GitError as e:
            raise ForgeError(f"cannot fetch {base_ref} from {_safe(url)}: {e}") from None
        # The head branch (same repository), else GitHub's pull request ref (forks), else the
        # commit itself (the branch moved on since the delivery).
        sources = [_refspec(head_ref)] + ([f"refs/pull/{number}/head"] if number else [])
        for source in [*sources, head_sha, base_sha]:
            if _has(head, env, head_sha) and _has(head, env, base_sha):
                break
            try:
                run_git(head, env, "fetch", "-q", "--no-tags", "--", "origin", source)
            except GitError:
                continue
        for sha in (head_sha, base_sha):
            if not _has(head, env, sha):
                raise ForgeError(f"commit {sha[:12]} cannot be fetched from {_safe(url)}")
        run_git(
            head, env, "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", head_sha
        )
        run_git(head, env, "worktree", "add", "-q", "--detach", str(base), base_sha)
        yield Checkout(head, base, head_sha, base_sha, env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _refspec(branch: str) -> str:
    return f"+refs/heads/{branch}:refs/remotes/origin/{branch}"


def _has(repo: Path, env: dict[str, str], sha: str) -> bool:
    try:
        run_git(repo, env, "cat-file", "-e", f"{sha}^{{commit}}")
    except GitError:
        return False
    return True


def _safe(url: str) -> str:
    parts = urlsplit(url)
    if parts.password or parts.username:
        return parts._replace(netloc=parts.hostname or "").geturl()
    return url
