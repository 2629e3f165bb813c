"""HTTP to the GitHub REST API: authentication, bounded retries, rate limits, clear errors.

Why a thin layer of our own (see ``docs/github.md``): the behaviour kubesmith promises — which
responses are retried and how often, how long a rate limit may make us wait, what a 401 or 403
tells the user — is the part that matters here, and it must be testable without waiting. One
``request`` function owns all of it; the endpoint helpers in :mod:`.client` stay one-liners.

Retries (all bounded):

* 5xx responses and transport errors (connection refused, timeouts): up to ``max_retries``
  more attempts with exponential backoff (1 s, 2 s, 4 s ... capped at 30 s).
* Rate limits (403 or 429): wait ``Retry-After`` seconds when given; otherwise, when
  ``x-ratelimit-remaining`` is ``0``, until ``x-ratelimit-reset`` (UTC epoch seconds); otherwise
  (a secondary limit without headers) one minute. A wait longer than ``max_wait`` is not slept:
  the request fails at once with the time the limit resets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from kubesmith.errors import ForgeError

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "kubesmith"


class GitHubAPIError(ForgeError):
    """GitHub answered with an error status.

    Attributes:
        status: the HTTP status code.
        errors: GitHub's ``errors`` list (validation failures name the field and reason).
    """

    def __init__(self, message: str, status: int, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []

    def mentions(self, text: str) -> bool:
        """True when the message or one of the ``errors`` contains ``text`` (case-insensitive)."""
        haystack = [str(self)] + [
            str(e.get("message", "")) if isinstance(e, dict) else str(e) for e in self.errors
        ]
        return any(text.lower() in h.lower() for h in haystack)


class NotFound(GitHubAPIError):
    """404: the object does not exist, or the credentials may not see it."""


class Auth(Protocol):
    """Produces the ``Authorization`` header value (and the raw token, for git over HTTPS).

    ``refreshable`` is True when a fresh token can be obtained after a 401 (a GitHub App).
    """

    refreshable: bool

    def authorization(self, http: GitHubHTTP) -> str:
        """The header value, e.g. ``Bearer <token>``."""
        ...

    def token(self, http: GitHubHTTP) -> str:
        """The token itself (a personal access token or an installation token)."""
        ...

    def invalidate(self) -> None:
        """Forget a cached token (after a 401), so the next call fetches a fresh one."""
        ...


@dataclass
class GitHubHTTP:
    """One connection to one GitHub API (github.com or an Enterprise ``https://HOST/api/v3``).

    Attributes:
        api_url: the API base URL.
        auth: how requests authenticate (None: anonymous, for public data only).
        client: the httpx client (tests pass one with event hooks; closed by :meth:`close`).
        max_retries: extra attempts after a 5xx or transport error.
        max_rate_limit_retries: extra attempts after a rate-limit response.
        max_wait: the longest single wait (seconds) a rate limit may impose before we give up.
        sleep: how to wait (tests patch it so they never wait).
        clock: the current time in epoch seconds (tests pin it).
    """

    api_url: str = DEFAULT_API_URL
    auth: Auth | None = None
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))
    max_retries: int = 3
    max_rate_limit_retries: int = 2
    max_wait: float = 900.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.api_url = self.api_url.rstrip("/")

    def close(self) -> None:
        """Close the underlying connections."""
        self.client.close()

    def url(self, path: str) -> str:
        """The absolute URL of an API path (absolute URLs, e.g. from ``Link``, pass through)."""
        if path.startswith(("https://", "http://")):
            return path
        return f"{self.api_url}/{path.lstrip('/')}"

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        accept: str = "application/vnd.github+json",
        authorization: str | None = None,
    ) -> httpx.Response:
        """Send one API request with retries; return the successful response.

        Args:
            method: HTTP method.
            path: API path (``/repos/o/r/pulls``) or an absolute URL.
            json: the JSON body.
            params: query parameters.
            accept: the media type wanted (``application/vnd.github.diff`` for a diff).
            authorization: an explicit ``Authorization`` value (the App's JWT) instead of ``auth``.

        Raises:
            GitHubAPIError: for an error status that retrying cannot fix (or retries ran out).
            ForgeError: when GitHub cannot be reached after the retries.
        """
        attempt = limited = 0
        refreshed = False
        while True:
            headers = {
                "Accept": accept,
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": USER_AGENT,
            }
            if authorization is not None:
                headers["Authorization"] = authorization
            elif self.auth is not None:
                headers["Authorization"] = self.auth.authorization(self)
            try:
                response = self.client.request(
                    method, self.url(path), json=json, params=params, headers=headers
                )
            except httpx.TransportError as e:
                if attempt >= self.max_retries:
                    raise ForgeError(
                        f"cannot reach the GitHub API at {self.api_url} ({type(e).__name__}: {e}); "
                        f"gave up after {attempt + 1} attempts"
                    ) from e
                self._backoff(attempt, f"{method} {path}: {type(e).__name__}")
                attempt += 1
                continue
            status = response.status_code
            if status < 400:
                return response
            wait = self._rate_limit_wait(response)
            if wait is not None:
                if limited >= self.max_rate_limit_retries or wait > self.max_wait:
                    raise _rate_limit_error(response, wait, self.clock())
                log.warning("GitHub rate limit on %s %s: waiting %.0f s", method, path, wait)
                self.sleep(wait)
                limited += 1
                continue
            if status >= 500 and attempt < self.max_retries:
                self._backoff(attempt, f"{method} {path}: HTTP {status}")
                attempt += 1
                continue
            auth = self.auth
            if (
                status == 401
                and authorization is None
                and auth
                and auth.refreshable
                and not refreshed
            ):
                # An installation token may have been revoked or expired early: get a new one.
                auth.invalidate()
                refreshed = True
                continue
            raise _error(method, path, response, self.api_url)

    def _backoff(self, attempt: int, what: str) -> None:
        delay = min(30.0, 2.0**attempt)
        log.warning("GitHub API %s; retrying in %.0f s", what, delay)
        self.sleep(delay)

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait when ``response`` is a rate-limit refusal, else None."""
        if response.status_code not in (403, 429):
            return None
        h = response.headers
        retry_after = h.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return 60.0
        if h.get("x-ratelimit-remaining") == "0" and h.get("x-ratelimit-reset"):
            try:
                return max(0.0, float(h["x-ratelimit-reset"]) - self.clock()) + 1.0
            except ValueError:
                return 60.0
        if response.status_code == 429 or "secondary rate limit" in _message(response).lower():
            return 60.0
        return None

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, decoded as JSON (None for an empty body, e.g. 204)."""
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as e:
            raise ForgeError(f"GitHub answered {method} {path} with invalid JSON") from e

    def paginate(
        self, path: str, params: Mapping[str, str | int] | None = None, limit: int = 1000
    ) -> Iterator[Any]:
        """Every item of a list endpoint, following ``Link: rel="next"`` (at most ``limit``)."""
        query: dict[str, str | int] | None = {"per_page": 100, **(params or {})}
        url: str | None = path
        count = 0
        while url is not None:
            response = self.request("GET", url, params=query)
            query = None  # the next link carries the query (an empty dict would erase it)
            items = response.json()
            if not isinstance(items, list):
                raise ForgeError(
                    f"GitHub answered GET {path} with {type(items).__name__}, not a list"
                )
            for item in items:
                yield item
                count += 1
                if count >= limit:
                    return
            url = response.links.get("next", {}).get("url")


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _errors(response: httpx.Response) -> list[Any]:
    try:
        data = response.json()
    except ValueError:
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    return errors if isinstance(errors, list) else []


def _rate_limit_error(response: httpx.Response, wait: float, now: float) -> GitHubAPIError:
    until = datetime.fromtimestamp(now + wait, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return GitHubAPIError(
        f"GitHub rate limit exceeded ({response.status_code}: {_message(response)}); "
        f"it resets at {until}; try again then (kubesmith waits at most a few minutes itself)",
        response.status_code,
        _errors(response),
    )


def _error(method: str, path: str, response: httpx.Response, api_url: str) -> GitHubAPIError:
    status = response.status_code
    message = _message(response) or response.reason_phrase
    where = f"{method} {path}"
    if status == 401:
        text = (
            f"GitHub refused the credentials (401 {message}) at {api_url}: the token is missing, "
            "expired or revoked. Set GITHUB_TOKEN to a valid token, or check the GitHub App's id "
            "and private key (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)."
        )
    elif status == 403:
        needed = response.headers.get("x-accepted-oauth-scopes")
        has = response.headers.get("x-oauth-scopes")
        scopes = ""
        if needed is not None:
            scopes = f" The endpoint accepts token scopes [{needed}]; the token has [{has or ''}]."
        text = (
            f"GitHub forbade {where} (403 {message}).{scopes} A classic token needs the 'repo' "
            "scope; a fine-grained token or GitHub App needs Contents: write and Pull requests: "
            "write on the repository."
        )
    elif status == 404:
        return NotFound(
            f"GitHub has no {path} (404), or the credentials may not see it: check --github-repo "
            f"and that the token has access to the repository ({api_url})",
            status,
            _errors(response),
        )
    else:
        details = "; ".join(
            str(e.get("message") or e.get("code")) if isinstance(e, dict) else str(e)
            for e in _errors(response)
        )
        text = f"GitHub answered {where} with {status}: {message}" + (
            f" ({details})" if details else ""
        )
    return GitHubAPIError(text, status, _errors(response))
