"""The repository on GitHub: its ``owner/name`` from a flag or a git remote URL.

Understands the URL forms ``git remote -v`` shows for GitHub and GitHub Enterprise::

    https://github.example.com/acme/manifests.git
    https://user:secret@ghe.example.com/acme/manifests
    ssh://git@ghe.example.com:2222/acme/manifests.git
    git@ghe.example.com:acme/manifests.git
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubesmith.errors import ConfigError

_NAME = r"[A-Za-z0-9_.-]+"
_SLUG_RE = re.compile(rf"^({_NAME})/({_NAME}?)(?:\.git)?/?$")
_SCP_RE = re.compile(rf"^(?:[^@/\s]+@)?([^:/\s]+):/?({_NAME})/({_NAME}?)(?:\.git)?/?$")
_URL_RE = re.compile(
    rf"^(?:https?|ssh|git)://(?:[^@/\s]+@)?([^/:\s]+)(?::\d+)?/({_NAME})/({_NAME}?)(?:\.git)?/?$"
)


@dataclass(frozen=True)
class RepoSlug:
    """A GitHub repository: ``owner/name`` (and the git host, when read from a remote URL)."""

    owner: str
    name: str
    host: str | None = None

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}"


def parse_slug(text: str) -> RepoSlug:
    """``owner/name`` as given to ``--github-repo``.

    Raises:
        ConfigError: when ``text`` is not of that form.
    """
    m = _SLUG_RE.match(text.strip())
    if not m or not m.group(2):
        raise ConfigError(f"--github-repo must be owner/name, not {text!r}")
    return RepoSlug(m.group(1), m.group(2))


def parse_remote_url(url: str) -> RepoSlug | None:
    """The repository a git remote URL points at, or None when it is not a GitHub-style URL."""
    url = url.strip()
    for pattern in (_URL_RE, _SCP_RE):
        m = pattern.match(url)
        if m and m.group(3):
            return RepoSlug(m.group(2), m.group(3), host=m.group(1))
    return None
