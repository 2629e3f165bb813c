"""Credentials for GitHub: a token, or a GitHub App's installation token (refreshed).

A GitHub App authenticates in two steps: a short-lived JSON Web Token signed with the App's
private key (RS256, at most ten minutes valid, ``iss`` = the App id) is exchanged for an
installation access token (``POST /app/installations/{id}/access_tokens``), valid one hour. The
installation token is cached and replaced five minutes before it expires, so a long bot job never
sends an expired one; a 401 makes :class:`~.http.GitHubHTTP` drop it and fetch another.

The environment (see ``docs/github.md``): ``GITHUB_TOKEN``; or ``GITHUB_APP_ID`` with
``GITHUB_APP_PRIVATE_KEY`` (the PEM text) or ``GITHUB_APP_PRIVATE_KEY_PATH``, and optionally
``GITHUB_APP_INSTALLATION_ID`` (otherwise looked up from the repository).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kubesmith.errors import ConfigError, ForgeError

if TYPE_CHECKING:
    from kubesmith.tools.forges.github.http import GitHubHTTP

JWT_LIFETIME_S = 540
"""GitHub accepts at most 600 s; a little less leaves room for clock drift."""
CLOCK_SKEW_S = 60
"""``iat`` is back-dated by this much, as GitHub recommends against clock drift."""
REFRESH_MARGIN_S = 300
"""An installation token is replaced this long before it expires."""


@dataclass
class TokenAuth:
    """A personal access token (classic or fine-grained) or any token GitHub accepts as Bearer."""

    value: str
    refreshable: bool = False

    def authorization(self, http: GitHubHTTP) -> str:
        """``Bearer <token>``."""
        del http
        return f"Bearer {self.value}"

    def token(self, http: GitHubHTTP) -> str:
        """The token itself."""
        del http
        return self.value

    def invalidate(self) -> None:
        """A static token cannot be refreshed; nothing to forget."""

    def __repr__(self) -> str:
        return "TokenAuth(value='***')"


@dataclass
class AppAuth:
    """A GitHub App acting as one of its installations.

    Attributes:
        app_id: the App's id (or client id), the JWT's ``iss``.
        private_key: the App's PEM private key.
        installation_id: the installation to act as; None = look it up for ``repo``.
        repo: ``owner/name``, used to find the installation when its id is not given.
    """

    app_id: str
    private_key: str = field(repr=False)
    installation_id: int | None = None
    repo: str | None = None
    refreshable: bool = True
    _token: str | None = field(default=None, init=False, repr=False)
    _expires_at: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def jwt(self, now: float) -> str:
        """A freshly signed App JWT (RS256) valid for about nine minutes from ``now``."""
        import jwt

        payload = {
            "iat": int(now) - CLOCK_SKEW_S,
            "exp": int(now) + JWT_LIFETIME_S,
            "iss": str(self.app_id),
        }
        try:
            return jwt.encode(payload, self.private_key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as e:
            raise ConfigError(
                f"the GitHub App private key cannot sign a token ({e}); "
                "GITHUB_APP_PRIVATE_KEY must be the App's PEM private key"
            ) from e

    def authorization(self, http: GitHubHTTP) -> str:
        """``Bearer <installation token>``, exchanging a JWT for one when needed."""
        return f"Bearer {self.token(http)}"

    def token(self, http: GitHubHTTP) -> str:
        """The cached installation token, or a new one when it expires within five minutes."""
        with self._lock:
            now = http.clock()
            if self._token is None or now >= self._expires_at - REFRESH_MARGIN_S:
                self._token, self._expires_at = self._exchange(http, now)
            return self._token

    def invalidate(self) -> None:
        """Forget the installation token; the next request fetches a new one."""
        with self._lock:
            self._token = None

    def _exchange(self, http: GitHubHTTP, now: float) -> tuple[str, float]:
        bearer = f"Bearer {self.jwt(now)}"
        installation = self.installation_id
        if installation is None:
            if not self.repo:
                raise ConfigError(
                    "GitHub App auth needs GITHUB_APP_INSTALLATION_ID or a repository "
                    "(--github-repo) to find the installation"
                )
            found = http.json("GET", f"/repos/{self.repo}/installation", authorization=bearer)
            installation = int(found["id"])
            self.installation_id = installation
        data = http.json(
            "POST", f"/app/installations/{installation}/access_tokens", authorization=bearer
        )
        try:
            token = str(data["token"])
            expires = datetime.fromisoformat(str(data["expires_at"]).replace("Z", "+00:00"))
        except (KeyError, TypeError, ValueError) as e:
            raise ForgeError(f"unexpected installation token response from GitHub: {e}") from e
        return token, expires.timestamp()


def auth_from_env(env: Mapping[str, str], repo: str | None = None) -> TokenAuth | AppAuth | None:
    """The credentials the environment names: a GitHub App when configured, else ``GITHUB_TOKEN``.

    Raises:
        ConfigError: when the App is half-configured or its key file is unreadable.
    """
    app_id = env.get("GITHUB_APP_ID", "").strip()
    if app_id:
        key = env.get("GITHUB_APP_PRIVATE_KEY", "")
        key_path = env.get("GITHUB_APP_PRIVATE_KEY_PATH", "")
        if not key and key_path:
            try:
                key = Path(key_path).expanduser().read_text(encoding="utf-8")
            except OSError as e:
                raise ConfigError(f"cannot read GITHUB_APP_PRIVATE_KEY_PATH {key_path}: {e}") from e
        if not key.strip():
            raise ConfigError(
                "GITHUB_APP_ID is set but no private key: set GITHUB_APP_PRIVATE_KEY (PEM text) "
                "or GITHUB_APP_PRIVATE_KEY_PATH"
            )
        installation = env.get("GITHUB_APP_INSTALLATION_ID", "").strip()
        try:
            installation_id = int(installation) if installation else None
        except ValueError as e:
            raise ConfigError(f"GITHUB_APP_INSTALLATION_ID is not a number: {installation}") from e
        return AppAuth(app_id, key, installation_id=installation_id, repo=repo)
    token = env.get("GITHUB_TOKEN", "").strip() or env.get("GH_TOKEN", "").strip()
    return TokenAuth(token) if token else None
