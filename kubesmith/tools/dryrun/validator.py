"""Server-side dry-run: ask a real API server whether it would accept each changed resource.

Schema and policy checks cannot see everything the API server checks: selectors that do not
match templates, immutable fields, name formats, defaulting, admission policies. Each resource is
sent as a server-side apply with ``dryRun=All``, ``fieldValidation=Strict`` and field manager
``kubesmith`` — exactly what ``kubectl apply --server-side --dry-run=server`` does — through a
client that cannot send anything else (:mod:`kubesmith.tools.dryrun.client`).

The validator also records, per resource, the diff between the live object and the dry-run
result (``diffs``), which the proposal puts in the pull request body.

A dry-run that could not be performed (no cluster configuration, server unreachable, timeout,
no permission) is a *warning* finding saying so — never a silent pass.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesmith.errors import KubesmithError
from kubesmith.model import Finding, Manifest
from kubesmith.tools.dryrun.diff import live_diff
from kubesmith.tools.dryrun.status import VALIDATOR, finding, status_findings

if TYPE_CHECKING:
    from kubesmith.tools.sandbox.server import Sandbox

FIELD_MANAGER = "kubesmith"
_SKIP_KINDS = {
    ("kustomize.config.k8s.io", "Kustomization"),
    ("kustomize.config.k8s.io", "Component"),
}


@dataclass(frozen=True)
class _Target:
    manifest: Manifest
    resource: Any
    namespace: str | None


class DryRunValidator:
    """Validates manifests by server-side dry-run against a cluster or a local sandbox.

    Args:
        kubeconfig: the kubeconfig file (default: ``$KUBECONFIG``, ``~/.kube/config``, in-cluster).
        context: the kubeconfig context (default: its current context).
        sandbox: a running :class:`~kubesmith.tools.sandbox.Sandbox`; overrides ``kubeconfig``.
            Missing namespaces are created in it (it is ours); in a user's cluster they are only
            dry-run, and resources in them are reported as not checked.
        timeout: seconds per request before the server counts as unreachable.
        diff: record live diffs in :attr:`diffs` (default: on for clusters, off for sandboxes,
            whose objects are all new).
        workers: requests in flight at once.

    Attributes:
        diffs: ``str(ref)`` → unified diff (live object → dry-run result), for the PR body; Secret
            values are masked.
    """

    name = VALIDATOR

    def __init__(
        self,
        kubeconfig: str | Path | None = None,
        context: str | None = None,
        sandbox: Sandbox | None = None,
        *,
        timeout: float = 10.0,
        diff: bool | None = None,
        workers: int = 4,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.context = context
        self.sandbox = sandbox
        self.timeout = timeout
        self.diff = diff if diff is not None else sandbox is None
        self.workers = max(1, workers)
        self.diffs: dict[str, str] = {}
        self._missing: set[str] = set()

    @property
    def target(self) -> str:
        """Where dry-runs go, for messages: ``sandbox <dir>`` or the kubeconfig/context."""
        if self.sandbox is not None:
            return f"sandbox {self.sandbox.directory}"
        where = str(self.kubeconfig) if self.kubeconfig else "default kubeconfig"
        return f"{where} (context {self.context})" if self.context else where

    def validate(self, manifests: Sequence[Manifest]) -> list[Finding]:
        """Dry-run every full resource in ``manifests``; return what the server refused.

        Kustomize patch documents and kustomization files are skipped (they are not resources);
        overlays are validated as rendered by passing the rendered manifests.
        """
        self.diffs = {}
        self._missing = set()
        wanted = [m for m in manifests if _is_resource(m)]
        findings: list[Finding] = [
            finding(m, "not dry-run: server-side apply needs metadata.name", severity="info")
            for m in manifests
            if _is_resource(m, named=False) and not _is_resource(m)
        ]
        if not wanted:
            return findings
        try:
            dyn = self._connect()
        except Exception as e:  # any failure to reach the server means "not checked"
            return [*findings, _not_performed(_why(e), len(wanted))]
        targets: list[_Target] = []
        for m in wanted:
            try:
                targets.append(self._resolve(dyn, m))
            except _Unserved as e:
                findings.append(finding(m, str(e), severity=e.severity, rule="NotServed"))
            except Exception as e:
                return [*findings, _not_performed(_why(e), len(wanted))]
        try:
            findings += self._namespaces(dyn, targets)
        except Exception as e:
            return [*findings, _not_performed(_why(e), len(wanted))]
        checkable = [t for t in targets if t.namespace not in self._missing]
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            results = list(pool.map(lambda t: self._apply(dyn, t), checkable))
        failures = [r for r in results if isinstance(r, _Failed)]
        if failures and len(failures) == len(results):
            return [*findings, _not_performed(failures[0].why, len(wanted))]
        for t, r in zip(checkable, results, strict=True):
            if isinstance(r, _Failed):
                message = f"dry-run not performed: {r.why}"
                findings.append(finding(t.manifest, message, severity="warning"))
            else:
                findings += r
        return findings

    # ------------------------------------------------------------------ steps

    def _connect(self) -> Any:
        from kubernetes import dynamic

        from kubesmith.tools.dryrun.client import read_only_client

        cache_file = None
        kubeconfig = self.kubeconfig
        context = self.context
        if self.sandbox is not None:
            status = self.sandbox.status()
            if not status.running:
                problems = "; ".join(status.problems) or "it is not running"
                raise _NotReachable(f"sandbox in {self.sandbox.directory}: {problems}")
            kubeconfig, context = self.sandbox.kubeconfig, None
            cache_file = str(self.sandbox.directory / "discovery.json")
        api = read_only_client(kubeconfig, context, timeout=self.timeout)
        client: Any = dynamic.DynamicClient  # untyped
        return client(api, cache_file=cache_file)

    def _resolve(self, dyn: Any, m: Manifest) -> _Target:
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        api_version = str(m.obj.get("apiVersion"))
        kind = str(m.obj.get("kind"))
        try:
            resource = dyn.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            group = api_version.rpartition("/")[0]
            if group and group not in _groups(dyn):
                raise _Unserved(
                    f"{kind} ({api_version}) is not served by {self.target}: no CRD for group "
                    f"{group} is installed there, so it was not dry-run",
                    "warning",
                ) from None
            message = f"{kind} is not served as {api_version} by {self.target}"
            raise _Unserved(message, "error") from None
        namespace = None
        if resource.namespaced:
            namespace = m.ref.namespace or "default"
        return _Target(m, resource, namespace)

    def _namespaces(self, dyn: Any, targets: list[_Target]) -> list[Finding]:
        """Make sure each namespace exists (sandbox) or report what cannot be checked (cluster)."""
        from kubernetes.dynamic.exceptions import NotFoundError

        needed = sorted({t.namespace for t in targets if t.namespace})
        if not needed:
            return []
        ns_api = dyn.resources.get(api_version="v1", kind="Namespace")
        created_here = {t.manifest.ref.name for t in targets if t.manifest.ref.kind == "Namespace"}
        findings: list[Finding] = []
        for ns in needed:
            try:
                dyn.get(ns_api, name=ns)
                continue
            except NotFoundError:
                pass
            if self.sandbox is not None:
                self.sandbox.ensure_namespace(ns)
                continue
            self._missing.add(ns)
            why = "this change creates it" if ns in created_here else "no manifest here creates it"
            for t in targets:
                if t.namespace == ns:
                    findings.append(
                        finding(
                            t.manifest,
                            f"dry-run not performed: namespace {ns} does not exist in "
                            f"{self.target} ({why})",
                            severity="warning",
                            path="metadata.namespace",
                            rule="NamespaceMissing",
                        )
                    )
        return findings

    def _apply(self, dyn: Any, t: _Target) -> list[Finding] | _Failed:
        from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError

        body = dict(t.manifest.obj)
        if t.namespace:
            body["metadata"] = {**(body.get("metadata") or {}), "namespace": t.namespace}
        name = str((body.get("metadata") or {}).get("name") or "")
        try:
            result = dyn.server_side_apply(
                t.resource,
                body=body,
                name=name,
                namespace=t.namespace,
                field_manager=FIELD_MANAGER,
                force_conflicts=True,
                dry_run="All",
                query_params=[("fieldValidation", "Strict")],
            )
        except DynamicApiError as e:
            return status_findings(t.manifest, int(e.status or 0), e.body)
        except Exception as e:
            return _Failed(_why(e))
        if self.diff:
            try:
                live = dyn.get(t.resource, name=name, namespace=t.namespace).to_dict()
            except NotFoundError:
                live = None
            except Exception as e:
                return [finding(t.manifest, f"live diff not available: {_why(e)}", severity="info")]
            text = live_diff(live, result.to_dict(), str(t.manifest.ref))
            if text:
                self.diffs[str(t.manifest.ref)] = text
        return []


# ---------------------------------------------------------------------- helpers


class _NotReachable(Exception):
    """The target cannot be used at all (sandbox down)."""


class _Unserved(Exception):
    def __init__(self, message: str, severity: Any) -> None:
        super().__init__(message)
        self.severity = severity


@dataclass(frozen=True)
class _Failed:
    why: str


def _groups(dyn: Any) -> set[str]:
    """Names of the API groups the server serves (empty when discovery fails)."""
    try:
        return {str(g) for g in dyn.resources.api_groups}
    except Exception:
        return set()


def _is_resource(m: Manifest, *, named: bool = True) -> bool:
    """A full resource (not a patch or kustomization) the server could take; ``named``: it also
    has the ``metadata.name`` server-side apply needs (``generateName`` alone is not enough)."""
    if getattr(m, "is_patch", False):
        return False
    obj = m.obj
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not api_version or not kind:
        return False
    meta = obj.get("metadata")
    if named and not (isinstance(meta, dict) and meta.get("name")):
        return False
    return (str(api_version).rpartition("/")[0], kind) not in _SKIP_KINDS


def _why(e: BaseException) -> str:
    """A one-line reason for a connection-level failure."""
    if isinstance(e, KubesmithError | _NotReachable):
        return str(e)
    text = str(e).strip().splitlines()
    reason = getattr(e, "reason", None)
    detail = str(reason) if reason else (text[0] if text else type(e).__name__)
    return f"{type(e).__name__}: {detail}"[:500]


def _not_performed(why: str, count: int) -> Finding:
    noun = "resource" if count == 1 else "resources"
    return Finding(
        validator=VALIDATOR,
        severity="warning",
        message=f"dry-run not performed: {why} ({count} {noun} not checked by the API server)",
        rule="DryRunNotPerformed",
    )
