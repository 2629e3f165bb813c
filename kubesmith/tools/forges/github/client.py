"""The GitHub REST endpoints kubesmith uses, bound to one repository.

Shared by the forge (pull requests, outcomes) and the bot (comments found by a hidden marker,
commit statuses, the files of a pull request, a commenter's permission). Build one with
:func:`client_from_settings`, which reads the same settings and environment everywhere:
``forge.github_api_url`` / ``GITHUB_API_URL``, ``forge.github_repo`` or the git remote, and
``GITHUB_TOKEN`` or a GitHub App (``GITHUB_APP_ID`` ...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kubesmith.errors import ConfigError, ForgeError
from kubesmith.tools.forges.github.auth import AppAuth, auth_from_env
from kubesmith.tools.forges.github.http import DEFAULT_API_URL, GitHubHTTP, NotFound
from kubesmith.tools.forges.github.remote import RepoSlug, parse_remote_url, parse_slug

JSONObject = dict[str, Any]
StatusState = Literal["error", "failure", "pending", "success"]


def marker_comment(marker: str) -> str:
    """The hidden HTML comment that identifies one of kubesmith's own comments."""
    return f"<!-- kubesmith:{marker} -->"


@dataclass(frozen=True)
class GitHubClient:
    """The REST endpoints of one repository, over one :class:`~.http.GitHubHTTP`."""

    http: GitHubHTTP
    slug: RepoSlug

    @property
    def _repo(self) -> str:
        return f"/repos/{self.slug.owner}/{self.slug.name}"

    def token(self) -> str | None:
        """The token git should send over HTTPS (None when anonymous)."""
        return self.http.auth.token(self.http) if self.http.auth is not None else None

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    # ------------------------------------------------------------------ repository

    def repository(self) -> JSONObject:
        """``GET /repos/{owner}/{repo}``: includes ``default_branch``."""
        data: JSONObject = self.http.json("GET", self._repo)
        return data

    def permission(self, username: str) -> str:
        """A user's permission on the repository: ``admin``, ``write``, ``read`` or ``none``."""
        data = self.http.json("GET", f"{self._repo}/collaborators/{username}/permission")
        return str(data.get("permission", "none"))

    def create_status(
        self,
        sha: str,
        state: StatusState,
        *,
        context: str = "kubesmith",
        description: str = "",
        target_url: str | None = None,
    ) -> JSONObject:
        """``POST /repos/{o}/{r}/statuses/{sha}`` (the description is cut to GitHub's 140)."""
        body: JSONObject = {"state": state, "context": context, "description": description[:140]}
        if target_url:
            body["target_url"] = target_url
        data: JSONObject = self.http.json("POST", f"{self._repo}/statuses/{sha}", json=body)
        return data

    def file_text(self, path: str, ref: str) -> str | None:
        """A file's text at ``ref`` (a branch or commit), or None when it does not exist there.

        The bot reads ``.kubesmith.yaml`` from the base branch this way, never from a PR head.
        """
        try:
            response = self.http.request(
                "GET",
                f"{self._repo}/contents/{path.lstrip('/')}",
                params={"ref": ref},
                accept="application/vnd.github.raw+json",
            )
        except NotFound:
            return None
        return response.text

    def compare_diff(self, base: str, head: str) -> str:
        """The unified diff between two commits, as GitHub computes it."""
        response = self.http.request(
            "GET", f"{self._repo}/compare/{base}...{head}", accept="application/vnd.github.diff"
        )
        return response.text

    # ------------------------------------------------------------------ pull requests

    def pull(self, number: int) -> JSONObject:
        """``GET /repos/{o}/{r}/pulls/{n}`` (with ``merged``, unlike the list endpoint)."""
        data: JSONObject = self.http.json("GET", f"{self._repo}/pulls/{number}")
        return data

    def find_pulls(self, branch: str, state: str = "all") -> list[JSONObject]:
        """Pull requests whose head is ``branch`` of this repository (newest first)."""
        params = {"head": f"{self.slug.owner}:{branch}", "state": state}
        return list(self.http.paginate(f"{self._repo}/pulls", params))

    def create_pull(
        self, *, title: str, head: str, base: str, body: str, draft: bool = False
    ) -> JSONObject:
        """``POST /repos/{o}/{r}/pulls``."""
        payload = {
            "title": title,
            "head": head,
            "base": base,
            "body": body,
            "draft": draft,
            "maintainer_can_modify": True,
        }
        data: JSONObject = self.http.json("POST", f"{self._repo}/pulls", json=payload)
        return data

    def update_pull(self, number: int, **fields: Any) -> JSONObject:
        """``PATCH /repos/{o}/{r}/pulls/{n}`` with ``title``, ``body``, ``state`` or ``base``."""
        data: JSONObject = self.http.json("PATCH", f"{self._repo}/pulls/{number}", json=fields)
        return data

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        """Add labels to a pull request (labels that do not exist yet are created by GitHub)."""
        if labels:
            self.http.json(
                "POST", f"{self._repo}/issues/{number}/labels", json={"labels": list(labels)}
            )

    def request_reviewers(self, number: int, reviewers: Sequence[str]) -> None:
        """Request reviews from users (``login``) and teams (``org/team-slug``)."""
        users = [r for r in reviewers if "/" not in r]
        teams = [r.split("/", 1)[1] for r in reviewers if "/" in r]
        if users or teams:
            self.http.json(
                "POST",
                f"{self._repo}/pulls/{number}/requested_reviewers",
                json={"reviewers": users, "team_reviewers": teams},
            )

    def reviews(self, number: int) -> list[JSONObject]:
        """Submitted reviews (verdicts), oldest first."""
        return list(self.http.paginate(f"{self._repo}/pulls/{number}/reviews"))

    def review_comments(self, number: int) -> list[JSONObject]:
        """Comments on lines of the diff."""
        return list(self.http.paginate(f"{self._repo}/pulls/{number}/comments"))

    def pull_commits(self, number: int) -> list[JSONObject]:
        """The pull request's commits, oldest first."""
        return list(self.http.paginate(f"{self._repo}/pulls/{number}/commits"))

    def pull_files(self, number: int) -> list[JSONObject]:
        """The files the pull request changes (``filename``, ``status``, ``patch`` ...)."""
        return list(self.http.paginate(f"{self._repo}/pulls/{number}/files", limit=3000))

    # ------------------------------------------------------------------ conversation comments

    def issue_comments(self, number: int) -> list[JSONObject]:
        """The conversation comments of an issue or pull request, oldest first."""
        return list(self.http.paginate(f"{self._repo}/issues/{number}/comments"))

    def create_comment(self, number: int, body: str) -> JSONObject:
        """Add a conversation comment."""
        data: JSONObject = self.http.json(
            "POST", f"{self._repo}/issues/{number}/comments", json={"body": body}
        )
        return data

    def update_comment(self, comment_id: int, body: str) -> JSONObject:
        """Replace a comment's text."""
        data: JSONObject = self.http.json(
            "PATCH", f"{self._repo}/issues/comments/{comment_id}", json={"body": body}
        )
        return data

    def upsert_comment(self, number: int, body: str, marker: str) -> JSONObject:
        """Create or update the ONE comment carrying ``marker``, so a PR never gets duplicates.

        The hidden marker (:func:`marker_comment`) is appended to ``body`` when missing.
        """
        tag = marker_comment(marker)
        text = body if tag in body else f"{body.rstrip()}\n\n{tag}\n"
        for comment in self.issue_comments(number):
            if tag in str(comment.get("body") or ""):
                if comment.get("body") == text:
                    return comment
                return self.update_comment(int(comment["id"]), text)
        return self.create_comment(number, text)


def resolve_slug(
    settings_repo: str | None, repo: Path | None, env: Mapping[str, str], remote: str = "origin"
) -> RepoSlug:
    """The repository: ``--github-repo``, else ``GITHUB_REPOSITORY``, else the git remote URL.

    Raises:
        ConfigError: when none of them names a GitHub repository.
    """
    if settings_repo:
        return parse_slug(settings_repo)
    if env.get("GITHUB_REPOSITORY"):
        return parse_slug(env["GITHUB_REPOSITORY"])
    url = ""
    if repo is not None:
        import git

        try:
            url = git.Repo(repo).remote(remote).url
        except (ValueError, git.InvalidGitRepositoryError, git.NoSuchPathError):
            url = ""
    slug = parse_remote_url(url) if url else None
    if slug is None:
        raise ConfigError(
            "which GitHub repository? pass --github-repo owner/name (or set forge.github_repo); "
            f"the remote {remote!r} ({url or 'missing'}) is not a GitHub URL"
        )
    return slug


def client_from_settings(
    settings: Any,
    repo: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    slug: RepoSlug | None = None,
    installation_id: int | None = None,
    **http_options: Any,
) -> GitHubClient:
    """A client from :class:`~kubesmith.config.Settings` and the environment.

    Args:
        settings: kubesmith settings (``forge.github_api_url``, ``forge.github_repo``).
        repo: the local repository, whose ``origin`` names the GitHub repository when the
            settings do not.
        env: the environment (default ``os.environ``).
        slug: the repository, when the caller knows it (the bot: from the webhook payload).
        installation_id: the GitHub App installation to act as (the bot: from the payload),
            instead of ``GITHUB_APP_INSTALLATION_ID`` or a lookup.
        http_options: passed to :class:`~.http.GitHubHTTP` (``client``, ``sleep``, ``clock`` ...).

    Raises:
        ConfigError: when no credentials or no repository can be found.
    """
    env = os.environ if env is None else env
    forge = settings.forge
    api_url = forge.github_api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL
    slug = slug or resolve_slug(forge.github_repo, repo, env)
    auth = auth_from_env(env, str(slug))
    if isinstance(auth, AppAuth) and installation_id is not None:
        auth.installation_id = installation_id
    if auth is None:
        raise ConfigError(
            "no GitHub credentials: set GITHUB_TOKEN (a token with access to "
            f"{slug}), or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY for a GitHub App"
        )
    return GitHubClient(GitHubHTTP(api_url=api_url, auth=auth, **http_options), slug)


def pr_number(pr_id: str) -> int:
    """A GitHub pull request number from kubesmith's id for it (``"12"`` or ``"#12"``)."""
    try:
        return int(pr_id.lstrip("#"))
    except ValueError as e:
        raise ForgeError(f"{pr_id!r} is not a GitHub pull request number") from e
