"""Pushing a proposal branch to the remote, safely.

The rules (``docs/github.md`` explains them):

* Only ``kubesmith/*`` branches are pushed, never the repository's default branch or the
  proposal's base branch.
* The commit is pushed by id (``<sha>:refs/heads/<branch>``), so a re-run works even after the
  local branch was deleted.
* No force unless the remote tip is kubesmith's own earlier commit **of the same proposal**
  (its ``Kubesmith-Proposal:`` trailer says so); then with ``--force-with-lease`` pinned to that
  tip. A remote tip that already contains our commit (a reviewer pushed on top) is left alone.
  Anything else is a non-fast-forward rejection with a clear message.
* Over HTTPS the token goes in an ``Authorization`` header passed to git through the environment
  (``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``): it is never written to
  ``.git/config``, never put in a URL, and never on a command line other users can read.
  SSH and local remotes use what the user has.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import git

from kubesmith.errors import ForgeError, GitError
from kubesmith.tools.git import BRANCH_PREFIX, TRAILER, GitRepo

_AUTH_FAILED = (
    "could not read Username",
    "Authentication failed",
    "error: 403",
    "returned error: 40",
)
_REJECTED = ("non-fast-forward", "fetch first", "stale info", "rejected")
PushAction = Literal["created", "fast-forward", "replaced", "up-to-date", "contained"]


@dataclass(frozen=True)
class PushResult:
    """What happened on the remote: the branch, the tip there now, and how it got there."""

    branch: str
    tip: str
    action: PushAction


def auth_env(url: str, token: str | None) -> dict[str, str]:
    """Environment for git that sends ``token`` to ``url``'s host only (HTTPS remotes only).

    Existing ``GIT_CONFIG_COUNT`` entries of the user are kept; ours is appended.
    """
    env = {"GIT_TERMINAL_PROMPT": "0"}
    parts = urlsplit(url)
    if not token or parts.scheme not in ("https", "http") or not parts.hostname:
        return env
    index = int(os.environ.get("GIT_CONFIG_COUNT", "0") or "0")
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    env.update(
        {
            "GIT_CONFIG_COUNT": str(index + 1),
            f"GIT_CONFIG_KEY_{index}": f"http.{parts.scheme}://{host}/.extraheader",
            f"GIT_CONFIG_VALUE_{index}": f"Authorization: Basic {basic}",
        }
    )
    return env


class Pusher:
    """Pushes proposal commits of one repository to one remote."""

    def __init__(self, repo: GitRepo, remote: str = "origin", token: str | None = None) -> None:
        self.git = repo
        self.remote = remote
        try:
            self.url = repo.repo.remote(remote).url
        except ValueError as e:
            raise ForgeError(
                f"the repository has no remote {remote!r} to push to; add one "
                f"(git remote add {remote} <url>)"
            ) from e
        self._env = auth_env(self.url, token)
        self._token = token

    def _git(self, *args: str) -> str:
        try:
            with self.git.repo.git.custom_environment(**self._env):
                return str(self.git.repo.git.execute(["git", *args]))
        except git.GitCommandError as e:
            # The cause is dropped on purpose: GitPython's message repeats the command line.
            detail = _stderr(e)
            message = f"git {args[0]} to {self.remote} failed: {detail}"
            if any(w in detail for w in _AUTH_FAILED):
                message += (
                    ". The remote refused the credentials: over HTTPS kubesmith sends GITHUB_TOKEN "
                    "(or the GitHub App's installation token), which must be allowed to push "
                    "(Contents: write); or use an SSH remote with your own key"
                )
            raise ForgeError(self._redact(message)) from None

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def remote_tip(self, branch: str) -> str | None:
        """The commit ``branch`` points at on the remote, or None when it does not exist."""
        out = self._git("ls-remote", self.remote, f"refs/heads/{branch}")
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def remote_branches(self, prefix: str) -> dict[str, str]:
        """Remote branches whose name starts with ``prefix``: name → tip."""
        out = self._git("ls-remote", "--heads", self.remote, f"refs/heads/{prefix}*")
        found = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            name = ref.removeprefix("refs/heads/")
            if name.startswith(prefix):
                found[name] = sha
        return found

    def fetch(self, branch: str) -> str:
        """Fetch ``branch`` from the remote (objects only, no local ref changes); its tip."""
        self._git("fetch", "--no-tags", "--quiet", self.remote, f"refs/heads/{branch}")
        return self.git.run("rev-parse", "FETCH_HEAD")

    def push(
        self, branch: str, commit: str, *, proposal_id: str, protected: set[str]
    ) -> PushResult:
        """Publish ``commit`` as ``branch`` on the remote following the rules above.

        Raises:
            ForgeError: for a branch kubesmith may not push, or a rejected push.
        """
        if branch in protected:
            raise ForgeError(
                f"refusing to push {branch!r}: it is the repository's default branch or the "
                "proposal's base; kubesmith never pushes to those"
            )
        if not branch.startswith(BRANCH_PREFIX):
            raise ForgeError(
                f"refusing to push {branch!r}: kubesmith pushes only its own {BRANCH_PREFIX}* "
                "branches"
            )
        tip = self.remote_tip(branch)
        if tip == commit:
            return PushResult(branch, commit, "up-to-date")
        if tip is None:
            self._push(f"{commit}:refs/heads/{branch}")
            return PushResult(branch, commit, "created")
        self.fetch(branch)
        if self._is_ancestor(commit, tip):
            return PushResult(branch, tip, "contained")
        if self._is_ancestor(tip, commit):
            self._push(f"{commit}:refs/heads/{branch}")
            return PushResult(branch, commit, "fast-forward")
        if proposal_of(self.git, tip) == proposal_id:
            self._push(
                f"{commit}:refs/heads/{branch}", f"--force-with-lease=refs/heads/{branch}:{tip}"
            )
            return PushResult(branch, commit, "replaced")
        raise ForgeError(
            f"push rejected (non-fast-forward): {branch} on {self.remote} has commits kubesmith "
            f"did not make (tip {tip[:12]}); kubesmith never force-pushes over them. Merge them "
            "into the proposal, or close its pull request and propose again."
        )

    def _push(self, refspec: str, *flags: str) -> None:
        try:
            self._git("push", *flags, self.remote, refspec)
        except ForgeError as e:
            text = str(e)
            if any(
                w in text for w in ("non-fast-forward", "fetch first", "stale info", "rejected")
            ):
                raise ForgeError(
                    f"push rejected (non-fast-forward) by {self.remote}: the branch moved while "
                    f"kubesmith was pushing; nothing was overwritten. {text}"
                ) from e
            raise

    def contains(self, tip: str, commit: str) -> bool:
        """True when ``commit`` is ``tip`` or one of its ancestors."""
        return self._is_ancestor(commit, tip)

    def _is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self.git.run("merge-base", "--is-ancestor", ancestor, descendant)
        except GitError:
            return False
        return True


def proposal_of(repo: GitRepo, commit: str) -> str | None:
    """The ``Kubesmith-Proposal:`` trailer of ``commit``: the proposal that made it, if any."""
    try:
        message = repo.run("log", "-1", "--format=%B", commit)
    except GitError:
        return None
    for line in reversed(message.splitlines()):
        if line.startswith(f"{TRAILER}:"):
            return line.partition(":")[2].strip() or None
    return None


def _stderr(e: git.GitCommandError) -> str:
    raw = e.stderr if isinstance(e.stderr, str) else str(e.stderr or "")
    text = raw.strip().removeprefix("stderr:").strip().strip("'").strip()
    return text or str(e.status)
