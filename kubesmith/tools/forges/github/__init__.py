"""GitHub (and GitHub Enterprise) as a forge, plus the REST client the bot reuses.

Importing this package imports httpx; callers that may not need GitHub import it lazily.
"""

from kubesmith.tools.forges.github.auth import AppAuth, TokenAuth, auth_from_env
from kubesmith.tools.forges.github.client import (
    GitHubClient,
    client_from_settings,
    marker_comment,
    resolve_slug,
)
from kubesmith.tools.forges.github.forge import GitHubForge
from kubesmith.tools.forges.github.http import GitHubAPIError, GitHubHTTP, NotFound
from kubesmith.tools.forges.github.push import Pusher, PushResult, auth_env
from kubesmith.tools.forges.github.remote import RepoSlug, parse_remote_url, parse_slug
from kubesmith.tools.forges.github.sync import read_outcome, sync_outcomes

__all__ = [
    "AppAuth",
    "GitHubAPIError",
    "GitHubClient",
    "GitHubForge",
    "GitHubHTTP",
    "NotFound",
    "PushResult",
    "Pusher",
    "RepoSlug",
    "TokenAuth",
    "auth_env",
    "auth_from_env",
    "client_from_settings",
    "marker_comment",
    "parse_remote_url",
    "parse_slug",
    "read_outcome",
    "resolve_slug",
    "sync_outcomes",
]
