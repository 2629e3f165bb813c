"""Git operations kubesmith needs, none of which touch the user's checkout.

Proposal commits are built from objects: the changed files are hashed into the object store, a
tree is written through a temporary index, a commit is made on top of the base commit, and the
branch ref is created last, in one atomic step. So the user's current branch, index and
uncommitted work are never touched, and a failure at any step leaves no branch behind (at most a
few unreachable objects that ``git gc`` collects).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import git

from kubesmith.errors import GitError, UsageError

BRANCH_PREFIX = "kubesmith/"
TRAILER = "Kubesmith-Proposal"
"""The commit trailer naming the proposal a commit belongs to."""


def slugify(text: str, limit: int = 40) -> str:
    """A branch-safe slug of ``text``: lowercase words joined by dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "change"


@dataclass(frozen=True)
class MergeResult:
    """What ``accept`` did: the new tip of the base branch and whether the checkout moved."""

    commit: str
    updated_checkout: bool


class GitRepo:
    """A repository on disk, operated through GitPython."""

    def __init__(self, path: Path) -> None:
        try:
            self.repo = git.Repo(path, search_parent_directories=False)
        except git.NoSuchPathError as e:
            raise UsageError(f"{path} does not exist; point --repo at your manifests") from e
        except git.InvalidGitRepositoryError as e:
            raise UsageError(_not_a_repository(path)) from e
        if self.repo.bare:
            raise UsageError(f"{path} is a bare repository; point --repo at a working tree")
        self.root = Path(self.repo.working_tree_dir or path)

    # ------------------------------------------------------------------ plumbing

    def run(self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
        """Run a git command in the repository; raise GitError with git's message on failure."""
        full_env = {**os.environ, **(env or {})}
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.root,
                env=full_env,
                input=stdin,
                capture_output=True,
                check=True,
            )
        except subprocess.CalledProcessError as e:
            msg = e.stderr.decode(errors="replace").strip() or e.stdout.decode(errors="replace")
            raise GitError(f"git {args[0]} failed: {msg}") from e
        return proc.stdout.decode().strip()

    @property
    def git_dir(self) -> Path:
        """The common git directory (shared by linked worktrees)."""
        return Path(self.repo.common_dir)

    def current_branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD or an unborn branch."""
        try:
            return None if self.repo.head.is_detached else self.repo.active_branch.name
        except TypeError:
            return None

    def resolve(self, rev: str) -> str:
        """The commit id ``rev`` names."""
        try:
            return self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        except GitError as e:
            if not self.repo.head.is_valid():
                raise UsageError(
                    f"{self.root} has no commits yet; commit your manifests first "
                    "(git add . && git commit -m 'manifests')"
                ) from e
            raise UsageError(f"no commit {rev!r} in {self.root}") from e

    def branch_exists(self, name: str) -> bool:
        """True when ``refs/heads/<name>`` exists."""
        return name in {h.name for h in self.repo.heads}

    def delete_branch(self, name: str) -> None:
        """Delete a branch kubesmith made (never the checked-out one)."""
        if self.branch_exists(name) and name != self.current_branch():
            self.run("branch", "-D", name)

    def _identity_env(self) -> dict[str, str]:
        """Author/committer fallback when the user has none configured."""
        reader = self.repo.config_reader()
        env: dict[str, str] = {}
        if not (os.environ.get("GIT_AUTHOR_NAME") or reader.has_option("user", "name")):
            env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "kubesmith"
        if not (os.environ.get("GIT_AUTHOR_EMAIL") or reader.has_option("user", "email")):
            env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "kubesmith@localhost"
        return env

    # ------------------------------------------------------------------ commits

    def commit_files(
        self, base: str, files: dict[str, str | None], message: str, branch: str
    ) -> str:
        """Commit ``files`` (path → new text, None = delete) on top of ``base`` as new ``branch``.

        Raises:
            GitError: when the branch already exists or git fails; no branch is left behind.
        """
        if self.branch_exists(branch):
            raise GitError(f"branch {branch} already exists")
        self._check_namespace(branch)
        modes = self._modes(base, list(files))
        with self._temporary_index() as index:
            env = {"GIT_INDEX_FILE": str(index)}
            self.run("read-tree", base, env=env)
            for path, text in files.items():
                if text is None:
                    self.run("update-index", "--force-remove", "--", path, env=env)
                    continue
                sha = self.run("hash-object", "-w", "--stdin", stdin=text.encode("utf-8"))
                mode = modes.get(path, "100644")
                self.run("update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}", env=env)
            tree = self.run("write-tree", env=env)
        commit = self.run(
            "commit-tree", tree, "-p", base, "-F", "-",
            env=self._identity_env(), stdin=message.encode("utf-8"),
        )  # fmt: skip
        # The zero old-value makes ref creation fail if the branch appeared meanwhile.
        self.run("update-ref", f"refs/heads/{branch}", commit, "0" * 40)
        return commit

    def _check_namespace(self, branch: str) -> None:
        """Refuse, with what to do, a branch git cannot create because a parent name is a branch.

        Git stores ``refs/heads/kubesmith/x`` as a file under a folder ``kubesmith``; a branch
        named ``kubesmith`` is a file of that name, so the two cannot coexist.

        Raises:
            UsageError: when a branch is named like a folder of ``branch``.
        """
        parts = branch.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if self.branch_exists(parent):
                raise UsageError(
                    f"a branch named {parent!r} exists, so git cannot create {branch!r} (a "
                    f"branch cannot also be a folder of branches). kubesmith names its branches "
                    f"{parent}/…; rename yours, e.g. `git branch -m {parent} {parent}-work`"
                )

    @contextmanager
    def _temporary_index(self) -> Iterator[Path]:
        """A scratch index file under ``.git/kubesmith/tmp``, removed afterwards.

        Kept inside the repository (not the system temp folder) and named after this process,
        so folders left by a killed run are recognised — their process is gone — and removed by
        the next one.

        Raises:
            UsageError: when the git directory is not writable.
        """
        scratch = self.git_dir / "kubesmith" / "tmp"
        try:
            scratch.mkdir(parents=True, exist_ok=True)
            _remove_orphans(scratch)
            folder = Path(tempfile.mkdtemp(prefix=f"index-{os.getpid()}-", dir=scratch))
        except PermissionError as e:
            raise UsageError(_read_only(self.git_dir, e)) from e
        try:
            yield folder / "index"
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def proposal_branches(self, proposal_id: str) -> list[str]:
        """Local branches whose tip kubesmith committed for ``proposal_id`` (by its trailer)."""
        out = self.run(
            "for-each-ref",
            f"--format=%(refname:short) %(trailers:key={TRAILER},valueonly,separator=%x2C)",
            f"refs/heads/{BRANCH_PREFIX}",
        )
        found = []
        for line in out.splitlines():
            name, _, trailer = line.partition(" ")
            if proposal_id in trailer.split(","):
                found.append(name)
        return found

    def _modes(self, rev: str, paths: list[str]) -> dict[str, str]:
        if not paths:
            return {}
        out = self.run("ls-tree", "-z", rev, "--", *paths)
        modes = {}
        for entry in out.split("\0"):
            if entry:
                meta, _, path = entry.partition("\t")
                modes[path] = meta.split()[0]
        return modes

    def diff(self, base: str, head: str) -> str:
        """``git diff base head``."""
        return self.run("diff", base, head)

    def is_dirty(self) -> bool:
        """True when the checkout has uncommitted changes to tracked files."""
        return self.repo.is_dirty(untracked_files=False)

    def merge(self, branch: str, into: str, message: str) -> MergeResult:
        """Merge ``branch`` into ``into`` with a merge commit; history is never rewritten.

        When ``into`` is checked out, the checkout must be clean and is updated by ``git merge``;
        otherwise the merge is made from objects and the checkout is not involved at all.

        Raises:
            GitError: on conflicts, or when the checked-out base has uncommitted changes.
        """
        if self.current_branch() == into:
            if self.is_dirty():
                raise GitError(
                    f"{into} is checked out with uncommitted changes; commit or stash them, "
                    "then accept again (nothing was merged)"
                )
            self._merge_tree(branch, into)  # a conflict is found before the checkout is touched
            try:
                self.run("merge", "--no-ff", "-m", message, branch, env=self._identity_env())
            except GitError:
                if (self.git_dir / "MERGE_HEAD").exists():
                    self.run("merge", "--abort")
                raise
            return MergeResult(self.resolve("HEAD"), updated_checkout=True)
        base_sha, head_sha = self.resolve(into), self.resolve(branch)
        tree = self._merge_tree(branch, into)
        commit = self.run(
            "commit-tree", tree, "-p", base_sha, "-p", head_sha, "-F", "-",
            env=self._identity_env(), stdin=message.encode("utf-8"),
        )  # fmt: skip
        self.run("update-ref", f"refs/heads/{into}", commit, base_sha)
        return MergeResult(commit, updated_checkout=False)

    def _merge_tree(self, branch: str, into: str) -> str:
        """The tree merging ``branch`` into ``into`` would give, computed from objects only.

        Raises:
            GitError: when they conflict (nothing is written then).
        """
        try:
            out = self.run("merge-tree", "--write-tree", "--name-only", into, branch)
        except GitError as e:
            # --name-only output: the tree id, the conflicted files, a blank line, messages
            files = str(e).split("\n\n", 1)[0].splitlines()[1:]
            where = f" in {', '.join(files)}" if files else ""
            raise GitError(
                f"{branch} conflicts with {into}{where}; nothing was merged. Reject it and "
                "propose the change again on the current base"
            ) from e
        return out.splitlines()[0]


def _remove_orphans(scratch: Path) -> None:
    """Remove scratch folders whose process (named in the folder) no longer runs."""
    for entry in scratch.glob("index-*-*"):
        try:
            pid = int(entry.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _read_only(git_dir: Path, error: OSError) -> str:
    return (
        f"cannot write to {git_dir} ({error.strerror or error}): kubesmith commits proposals "
        "and keeps its store there, so the repository's .git must be writable by you "
        "(check its owner and permissions, or a read-only mount)"
    )


def _not_a_repository(path: Path) -> str:
    """Why ``path`` cannot be used: outside git, or a subfolder of a repository (kubesmith
    reads .kubesmith.yaml and every manifest from the top, so it names the top to use)."""
    try:
        top = git.Repo(path, search_parent_directories=True).working_tree_dir
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        top = None
    if top is not None:
        return (
            f"{path} is a folder inside the git repository {top}; kubesmith works on a whole "
            f"repository: run it at the top or pass --repo {top}"
        )
    return (
        f"{path} is not a git repository; kubesmith proposes changes as git branches "
        "(run `git init` and commit your manifests first)"
    )
