"""Pod Security Standards versions: which PodSecurity admission policy a ``pss-*`` pack evaluates.

PodSecurity admission (PSA) versions its policy: a namespace labelled
``pod-security.kubernetes.io/enforce-version: v1.33`` is judged by the checks as they were in
Kubernetes 1.33, even on a newer server (a control added later, such as the probe-host check of
1.34, does not apply; the safe sysctls of 1.33 are the allowed ones). The ``pss-baseline`` and
``pss-restricted`` packs carry that history in CEL, switched by one variable, ``pssMinor``, that
this module sets: by default to the Kubernetes version being validated against, or to a pin
written ``pss-restricted:v1.33`` (``:latest`` for the newest). A version newer than the newest
known is judged as the newest, as PSA does with a version newer than itself.

PSA's restricted level also *replaces* some baseline checks with stricter ones (its
``OverrideCheckIDs``): restricted capabilities, seccomp and volume types skip Windows pods
entirely, and restricted's procMount check ignores the user-namespace relaxation baseline has
from 1.35. Loading baseline's versions of those next to restricted would judge a Windows pod
differently from PSA, so they are left out when ``pss-restricted`` is on (:data:`OVERRIDDEN`).
"""

from __future__ import annotations

import dataclasses
import re

from kubesmith.errors import ConfigError
from kubesmith.tools.policy.model import Named, PolicySet

VERSIONED_PACKS = ("pss-baseline", "pss-restricted")
"""The packs whose policy depends on the Kubernetes version."""

OLDEST_MINOR = 25
"""The oldest Kubernetes minor modelled: the oldest version kubesmith ships schemas for."""

LATEST_MINOR = 37
"""The newest PSA policy version modelled (Kubernetes 1.37); the packs' ``pssMinor`` default."""

VARIABLE = "pssMinor"
"""The CEL variable every PSS policy reads its version from."""

OVERRIDDEN: dict[str, str] = {
    "pss-baseline-capabilities": "pss-restricted-capabilities",
    "pss-baseline-seccomp": "pss-restricted-seccomp",
    "pss-baseline-host-path": "pss-restricted-volume-types",
    "pss-baseline-proc-mount": "pss-restricted-proc-mount",
}
"""Baseline policy → the restricted policy that replaces it when the restricted profile is on
(each baseline policy says so in its ``kubesmith.dev/overridden-by`` annotation)."""

_VERSION = re.compile(r"v?1\.(\d+)(?:\.\d+)?")


@dataclasses.dataclass(frozen=True)
class PackRef:
    """One entry of ``policy.packs``: a pack name and, for PSS packs, a pinned minor version."""

    name: str
    minor: int | None = None
    """The pinned PSA version (``33`` for ``v1.33``); None: the version validated against."""

    @classmethod
    def parse(cls, spec: str) -> PackRef:
        """``pss-restricted:v1.33`` → ``PackRef("pss-restricted", 33)``; ``:latest`` → newest.

        Raises:
            ConfigError: for a malformed or unsupported version, or a pin on a pack that has none.
        """
        name, sep, version = spec.strip().partition(":")
        if not sep:
            return cls(name)
        if name not in VERSIONED_PACKS:
            raise ConfigError(
                f"policy pack {name!r} has no versions (only {', '.join(VERSIONED_PACKS)} do): "
                f"use {name!r} without ':{version}'"
            )
        return cls(name, LATEST_MINOR if version == "latest" else minor_of(version, spec))


def minor_of(version: str, where: str = "") -> int:
    """The PSA policy minor for a Kubernetes version (``1.34``, ``v1.34.2``), newest-clamped.

    Raises:
        ConfigError: for a malformed version or one older than :data:`OLDEST_MINOR`.
    """
    m = _VERSION.fullmatch(version.strip())
    context = f" in {where!r}" if where and where != version else ""
    if not m:
        raise ConfigError(
            f"invalid Kubernetes version {version!r}{context}: expected e.g. v1.33 or latest"
        )
    minor = int(m[1])
    if minor < OLDEST_MINOR:
        raise ConfigError(
            f"Pod Security Standards version 1.{minor}{context} is not supported: use "
            f"1.{OLDEST_MINOR} or newer (a version newer than 1.{LATEST_MINOR} is judged as "
            f"1.{LATEST_MINOR}, as PodSecurity admission does)"
        )
    return min(minor, LATEST_MINOR)


def resolve(specs: tuple[str, ...] | list[str], kube_version: str | None) -> list[PackRef]:
    """Every PSS pack of ``specs`` with its minor decided, other packs unchanged.

    An unpinned PSS pack takes the pin of the other PSS pack when there is one (``pss-baseline,
    pss-restricted:v1.30`` is one profile at 1.30), else ``kube_version`` (newest when None).

    Raises:
        ConfigError: for two different pins, or a bad version.
    """
    refs = [PackRef.parse(s) for s in specs]
    pins = {r.minor for r in refs if r.minor is not None}
    if len(pins) > 1:
        shown = ", ".join(f"v1.{m}" for m in sorted(pins))
        raise ConfigError(
            f"the Pod Security Standards packs are pinned to different versions ({shown}); "
            "PodSecurity admission evaluates one version per namespace: pin one"
        )
    default = (
        next(iter(pins))
        if pins
        else (minor_of(kube_version, "schema.kube_version") if kube_version else LATEST_MINOR)
    )
    return [
        PackRef(r.name, default) if r.name in VERSIONED_PACKS and r.minor is None else r
        for r in refs
    ]


def at_version(policies: PolicySet, minor: int, *, drop: frozenset[str] = frozenset()) -> PolicySet:
    """``policies`` evaluating the PSA policy of Kubernetes ``1.<minor>``, without ``drop``.

    Only the ``pssMinor`` variable changes, so a pack is parsed once however many versions are
    asked for.
    """
    expression = str(minor)

    def pinned(variables: tuple[Named, ...]) -> tuple[Named, ...]:
        return tuple(Named(v.name, expression) if v.name == VARIABLE else v for v in variables)

    return dataclasses.replace(
        policies,
        policies=tuple(
            dataclasses.replace(p, variables=pinned(p.variables))
            for p in policies.policies
            if p.name not in drop
        ),
        bindings=tuple(b for b in policies.bindings if b.policy not in drop),
    )
