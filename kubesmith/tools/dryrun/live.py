"""Reading live objects, read-only, for drift: the objects a repository renders and their kin.

Uses the same read-only client as the dry-run (:func:`read_only_client`: writes are refused
before they leave the process), with discovery through the dynamic client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesmith.errors import ToolError
from kubesmith.tools.dryrun.client import read_only_client

Key = tuple[str, str, str, str]
"""(apiVersion, kind, namespace or "", name)."""


@dataclass(frozen=True)
class LiveObjects:
    """Live objects by key, of the kinds and namespaces asked for."""

    objects: dict[Key, dict[str, Any]]
    unserved: tuple[str, ...] = ()


def key_of(obj: Mapping[str, Any], namespace: str = "") -> Key:
    """The key of a manifest or live object (``namespace`` when the manifest names none)."""
    meta = obj.get("metadata") or {}
    ns = str(meta.get("namespace") or namespace)
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")), ns, str(meta.get("name", "")))


def read_live(
    kinds: Iterable[tuple[str, str]],
    namespaces: Iterable[str],
    *,
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    timeout: float = 10.0,
) -> LiveObjects:
    """Every live object of ``kinds`` ((apiVersion, kind)) in ``namespaces`` (cluster-wide for
    cluster-scoped kinds).

    Raises:
        ConfigError: no usable cluster configuration.
        ToolError: the cluster cannot be reached.
    """
    from kubernetes.dynamic import DynamicClient  # noqa: PLC0415 - loaded when drift runs
    from kubernetes.dynamic.exceptions import ResourceNotFoundError  # noqa: PLC0415

    try:
        make: Any = DynamicClient  # untyped in the kubernetes package
        dyn = make(read_only_client(kubeconfig, context, timeout=timeout))
    except Exception as e:  # urllib3 / kubernetes raise many kinds on an unreachable server
        raise ToolError(f"cannot reach the cluster: {e}") from e
    found: dict[Key, dict[str, Any]] = {}
    unserved: list[str] = []
    spaces = sorted(set(namespaces)) or ["default"]
    for api_version, kind in sorted(set(kinds)):
        try:
            api = dyn.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            unserved.append(f"{api_version}/{kind}")
            continue
        for ns in spaces if api.namespaced else [None]:
            listed = api.get(namespace=ns) if ns else api.get()
            for item in listed.to_dict().get("items") or []:
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                found[key_of(item)] = item
    return LiveObjects(found, tuple(unserved))
