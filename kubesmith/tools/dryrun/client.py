"""A Kubernetes API client that can only read and dry-run: read-only by construction.

kubesmith points at people's real clusters. A bug elsewhere (a missing ``dry_run`` argument, a
future feature calling the wrong method) must not be able to change anything there, so the
guarantee is enforced where requests leave the process, twice: in ``ApiClient.call_api`` and
in the REST layer under it. Both let through ``GET``/``HEAD``/``OPTIONS`` and requests whose
query carries ``dryRun=All`` (every ``dryRun`` value must be ``All``), and raise
:class:`WriteRefused` for anything else *before* a byte is sent. Reads that act (``exec``,
``attach``, ``portforward``, ``proxy`` subresources) are refused too, and the client's transport
cannot be swapped out (the websocket ``stream`` helper tries to, and is refused).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client import rest

from kubesmith.errors import ConfigError, ToolError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACTING_SUBRESOURCES = frozenset({"exec", "attach", "portforward", "proxy"})
"""Subresources that run something in the cluster even when reached with ``GET``."""


class WriteRefused(ToolError):
    """A request that could change the cluster was attempted through the read-only client.

    This is always a bug in kubesmith (or a caller misusing the client), never a user error.
    """


def check_request(method: str, url: str) -> None:
    """Refuse ``method url`` unless it is a read or a complete dry-run.

    Raises:
        WriteRefused: for a mutating method without ``dryRun=All`` in the URL's query.
    """
    verb = method.upper()
    path = urlsplit(url).path
    sub = _subresource(path)
    if sub in ACTING_SUBRESOURCES:
        raise WriteRefused(f"refused {verb} {path}: the {sub} subresource acts in the cluster")
    if verb in SAFE_METHODS:
        return
    dry = [v for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True) if k == "dryRun"]
    if dry and all(v == "All" for v in dry):
        return
    raise WriteRefused(
        f"refused {verb} {path}: kubesmith's cluster client only reads and dry-runs "
        "(the request has no dryRun=All)"
    )


def _subresource(path: str) -> str | None:
    """``exec`` in ``/api/v1/namespaces/a/pods/b/exec``; ``None`` when the path has none."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        rest_of = parts[2:]
    elif parts[:1] == ["apis"]:
        rest_of = parts[3:]
    else:
        return None
    if rest_of[:1] == ["namespaces"] and len(rest_of) >= 5:
        return rest_of[4]
    if len(rest_of) >= 3:
        return rest_of[2]
    return None


class ReadOnlyRESTClient(rest.RESTClientObject):
    """The kubernetes client's REST layer with :func:`check_request` in front of every request.

    Also applies a default timeout to requests that set none, so an unreachable server fails in
    seconds instead of hanging a proposal.
    """

    def __init__(self, configuration: Any, default_timeout: float) -> None:
        super().__init__(configuration)
        self.default_timeout = default_timeout

    def request(
        self,
        method: str,
        url: str,
        headers: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        check_request(method, url)
        base: Any = super().request  # untyped in the kubernetes package
        return base(
            method,
            url,
            headers=headers,
            body=body,
            post_params=post_params,
            _request_timeout=_request_timeout or self.default_timeout,
        )


def read_only_client(
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    *,
    timeout: float = 10.0,
) -> Any:
    """An ``ApiClient`` for the cluster of ``kubeconfig``/``context`` that refuses writes.

    With no kubeconfig, the standard lookup applies (``$KUBECONFIG``, ``~/.kube/config``), and
    inside a pod the in-cluster service account is used. The kubeconfig file is never written
    (refreshed tokens are not persisted).

    Raises:
        ConfigError: when no usable configuration is found or the context does not exist.
    """
    configuration = k8s_client.Configuration()
    loader: Any = k8s_config  # untyped functions
    try:
        if kubeconfig is None and _in_cluster() and not _has_kubeconfig():
            loader.load_incluster_config(client_configuration=configuration)
        else:
            loader.load_kube_config(
                config_file=str(kubeconfig) if kubeconfig else None,
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
    except (k8s_config.ConfigException, OSError, TypeError, ValueError) as e:
        where = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        raise ConfigError(f"cannot load cluster configuration from {where}: {e}") from e
    # One quick retry for a dropped connection; more would multiply the timeout.
    configuration.retries = 1
    return ReadOnlyApiClient(configuration, timeout)


class ReadOnlyApiClient(k8s_client.ApiClient):
    """``ApiClient`` whose ``call_api`` checks every request and whose transport is sealed."""

    _SEALED = frozenset({"rest_client", "call_api", "request"})

    def __init__(self, configuration: Any, timeout: float) -> None:
        super().__init__(configuration)
        self.rest_client = ReadOnlyRESTClient(configuration, timeout)
        self.user_agent = "kubesmith-dry-run"
        self._sealed = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._SEALED and self.__dict__.get("_sealed"):
            raise WriteRefused(f"the read-only cluster client's {name} cannot be replaced")
        super().__setattr__(name, value)

    def call_api(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Check the request (see :func:`check_request`), then send it."""
        check_request(method, url)
        base: Any = super().call_api  # untyped in the kubernetes package
        return base(method, url, *args, **kwargs)


def _in_cluster() -> bool:
    return (
        bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        and Path("/var/run/secrets/kubernetes.io/serviceaccount/token").is_file()
    )


def _has_kubeconfig() -> bool:
    return bool(os.environ.get("KUBECONFIG")) or (Path.home() / ".kube" / "config").is_file()
