"""The built-in policy packs, shipped as package data (``packs/<name>.yaml``).

A pack is a plain multi-document YAML file of ValidatingAdmissionPolicies and their bindings, so
the very same file can be applied to a cluster. ``pss-restricted`` includes ``pss-baseline``, as
the Pod Security Standards define restricted as baseline plus more. The two PSS packs are
versioned as PodSecurity admission is (``pss-restricted:v1.33``; see :mod:`pss`).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from kubesmith.errors import ConfigError
from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.loader import load_text
from kubesmith.tools.policy.model import PolicySet
from kubesmith.tools.policy.pss import OVERRIDDEN, VARIABLE, PackRef, at_version, resolve

INCLUDES: dict[str, tuple[str, ...]] = {"pss-restricted": ("pss-baseline",)}


def available_packs() -> list[str]:
    """Names of the built-in packs."""
    folder = resources.files("kubesmith.tools.policy") / "packs"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def expand(names: tuple[str, ...] | list[str]) -> list[str]:
    """``names`` with the packs they include, each once, includes first (versions dropped).

    Raises:
        ConfigError: when a name is not a built-in pack, or its version is malformed.
    """
    return [r.name for r in _expand_refs(names, None)]


def _expand_refs(names: tuple[str, ...] | list[str], kube_version: str | None) -> list[PackRef]:
    known = set(available_packs())
    out: list[PackRef] = []
    for ref in resolve(list(names), kube_version):
        if ref.name not in known:
            raise ConfigError(
                f"unknown policy pack {ref.name!r}; built-in packs: {', '.join(sorted(known))}"
            )
        for item in (*INCLUDES.get(ref.name, ()), ref.name):
            if all(o.name != item for o in out):
                out.append(PackRef(item, ref.minor))
    return out


def _dropped(refs: list[PackRef], name: str) -> frozenset[str]:
    """The policies of pack ``name`` that another loaded pack replaces (PSA's overrides)."""
    if name == "pss-baseline" and any(r.name == "pss-restricted" for r in refs):
        return frozenset(OVERRIDDEN)
    return frozenset()


def pack_text(name: str) -> str:
    """The YAML text of pack ``name``."""
    path = resources.files("kubesmith.tools.policy") / "packs" / f"{name}.yaml"
    return path.read_text(encoding="utf-8")


_LOADED: dict[str, PolicySet] = {}


def load_packs(
    names: tuple[str, ...] | list[str], env: CelEnvironment, kube_version: str | None = None
) -> PolicySet:
    """Load the named packs (and what they include); each pack is parsed once per process.

    Args:
        names: pack names, PSS packs optionally pinned (``pss-restricted:v1.33``, ``:latest``).
        env: the CEL environment expressions are checked in.
        kube_version: the Kubernetes version validated against; the PSS packs evaluate its
            policy unless pinned (None: the newest).

    A :class:`PolicySet` holds no compiled programs, so the cache is valid for any environment.

    Raises:
        ConfigError: for an unknown pack or an unsupported version.
    """
    refs = _expand_refs(names, kube_version)
    result = PolicySet()
    for ref in refs:
        if ref.name not in _LOADED:
            _LOADED[ref.name] = load_text(
                pack_text(ref.name), f"<pack {ref.name}>", env, pack=ref.name
            )
        loaded = _LOADED[ref.name]
        if ref.minor is not None:
            loaded = at_version(loaded, ref.minor, drop=_dropped(refs, ref.name))
        result += loaded
    return result


def pack_documents(
    names: tuple[str, ...] | list[str], kube_version: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The objects to install in a cluster for ``names`` — (pack, object) — as :func:`load_packs`
    evaluates them: PSS policies at their version, overridden baseline policies left out.
    """
    refs = _expand_refs(names, kube_version)
    out: list[tuple[str, dict[str, Any]]] = []
    for ref in refs:
        dropped = _dropped(refs, ref.name)
        for doc in yaml.safe_load_all(pack_text(ref.name)):
            if not isinstance(doc, dict):
                continue
            spec = doc.get("spec") or {}
            if doc.get("metadata", {}).get("name") in dropped or spec.get("policyName") in dropped:
                continue
            if ref.minor is not None and doc.get("kind") == "ValidatingAdmissionPolicy":
                for variable in spec.get("variables") or []:
                    if variable.get("name") == VARIABLE:
                        variable["expression"] = str(ref.minor)
            out.append((ref.name, doc))
    return out
