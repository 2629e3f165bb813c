"""The registry of external Go tools kubesmith uses, each pinned to one version.

A pin lives here and nowhere else: bumping a version changes the cached binary's file name
(``<name>-<version>``), so the next ``kubesmith tools install`` builds the new one and leaves the
old one alone for clones that still pin it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

K8S_VERSION = "v1.34.4"
"""The kube-apiserver release; its staging modules are published as ``v0.<minor>.<patch>``."""

ETCD_VERSION = "v3.6.4"
"""The etcd release Kubernetes 1.34 is tested against (what its own client modules require)."""


def staging_version(k8s_version: str) -> str:
    """``v1.34.4`` → ``v0.34.4``: the tag of the k8s.io/* staging modules for a release."""
    major, _, rest = k8s_version.removeprefix("v").partition(".")
    if major != "1" or not rest:
        raise ValueError(f"not a Kubernetes 1.x release tag: {k8s_version!r}")
    return f"v0.{rest}"


@dataclass(frozen=True)
class ToolSpec:
    """How to obtain one pinned tool.

    Attributes:
        name: the command name, also the cache file name prefix.
        version: the pinned module version (a Go module tag).
        module: the Go module whose version is pinned (used to read a binary's build info).
        package: the package to build; ``go install <package>@<version>`` for ``method="install"``.
        method: ``install`` for modules ``go install`` can build directly; ``wrapper`` for modules
            whose go.mod has local ``replace`` directives, built from a wrapper module shipped in
            ``kubesmith/tools/binaries/gotools`` (``<wrapper>.go`` + ``<wrapper>.mod.tmpl``).
        wrapper: base name of the wrapper files (``method="wrapper"`` only).
        template_vars: extra ``{{KEY}}`` substitutions for the wrapper's go.mod template.
        ldflags: extra linker flags (``-X`` version stamps); ``{version}`` is substituted.
        required: False for tools only some users need; doctor then says "optional".
        purpose: one line for ``kubesmith doctor``.
    """

    name: str
    version: str
    module: str
    package: str
    method: Literal["install", "wrapper"] = "install"
    wrapper: str | None = None
    template_vars: Mapping[str, str] = field(default_factory=dict)
    ldflags: tuple[str, ...] = ()
    required: bool = True
    purpose: str = ""

    @property
    def file_name(self) -> str:
        """The cached binary's name: the version is part of it so a bump rebuilds."""
        return f"{self.name}-{self.version}"


def _kube_apiserver() -> ToolSpec:
    minor = K8S_VERSION.removeprefix("v").split(".")[1]
    stamp = "k8s.io/component-base/version"
    return ToolSpec(
        name="kube-apiserver",
        version=K8S_VERSION,
        module="k8s.io/kubernetes",
        package="k8s.io/kubernetes/cmd/kube-apiserver",
        method="wrapper",
        wrapper="kube_apiserver",
        template_vars={"STAGING_VERSION": staging_version(K8S_VERSION)},
        ldflags=(
            f"-X {stamp}.gitVersion={{version}}",
            f"-X {stamp}.gitMajor=1",
            f"-X {stamp}.gitMinor={minor}",
            f"-X {stamp}.gitTreeState=clean",
        ),
        required=False,
        purpose="server-side dry-run in a local sandbox (kubesmith sandbox up)",
    )


DEFAULT_TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            name="kubeconform",
            version="v0.7.0",
            module="github.com/yannh/kubeconform",
            package="github.com/yannh/kubeconform/cmd/kubeconform",
            ldflags=("-X main.version={version}",),
            purpose="schema validation (the embedded engine is used when it is missing)",
        ),
        ToolSpec(
            name="kustomize",
            version="v5.8.1",
            module="sigs.k8s.io/kustomize/kustomize/v5",
            package="sigs.k8s.io/kustomize/kustomize/v5",
            purpose="renders Kustomize overlays so they are validated as deployed",
        ),
        _kube_apiserver(),
        ToolSpec(
            name="etcd",
            version=ETCD_VERSION,
            module="go.etcd.io/etcd/server/v3",
            package="go.etcd.io/etcd/server/v3",
            method="wrapper",
            wrapper="etcd",
            required=False,
            purpose="storage for the local sandbox API server",
        ),
        ToolSpec(
            name="conftest",
            version="v0.71.1",
            module="github.com/open-policy-agent/conftest",
            package="github.com/open-policy-agent/conftest",
            ldflags=(
                "-X github.com/open-policy-agent/conftest/internal/version.Version={version}",
            ),
            required=False,
            purpose="Rego policies (policy.rego_folders); only for teams that use OPA",
        ),
    )
}
"""Every tool kubesmith knows, in the order doctor lists and ``tools install`` builds them."""

DEFAULT_INSTALL: tuple[str, ...] = ("kubeconform", "kustomize", "etcd", "kube-apiserver")
"""What ``kubesmith tools install`` (and so ``make test``) builds when no name is given."""
