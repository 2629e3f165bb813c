"""``kustomize build`` through the real pinned binary (integration: needs the tool cache)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.errors import ToolError
from kubesmith.tools import kustomize
from kubesmith.tools.binaries import cache as toolcache
from tests.conftest import EXAMPLE_REPO

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        toolcache.tool_path("kustomize") is None,
        reason="kustomize is not built; run `kubesmith tools install kustomize`",
    ),
]


def test_renders_example_overlay() -> None:
    resources = kustomize.build(EXAMPLE_REPO / "overlays" / "prod")
    names = {(r["kind"], r["metadata"]["name"]) for r in resources}
    assert ("Deployment", "checkout") in names
    assert {r["metadata"].get("namespace") for r in resources if r["kind"] != "Namespace"} == {
        "shop-prod"
    }
    checkout = next(
        r for r in resources if r["metadata"]["name"] == "checkout" and r["kind"] == "Deployment"
    )
    images = [c["image"] for c in checkout["spec"]["template"]["spec"]["containers"]]
    assert any(i.endswith(":1.4.1") for i in images)


def test_broken_kustomization_reports_stderr(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"k/kustomization.yaml": "resources:\n  - missing.yaml\n"})
    with pytest.raises(ToolError, match=r"kustomize build .* failed: .*missing\.yaml"):
        kustomize.build(repo / "k")


def test_remote_base_is_refused_offline(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        files={"k/kustomization.yaml": "resources:\n  - https://example.com/x/base?ref=v1\n"}
    )
    with pytest.raises(ToolError, match="failed"):
        kustomize.build(repo / "k", timeout=30)


def test_rendered_objects_are_read_as_kubectl_reads_them(make_repo: Callable[..., Path]) -> None:
    """What a build renders is what kubectl receives: kustomize reads its input as YAML 1.2, so
    an unquoted ``y`` in a base is the string ``"y"`` after a build (it prints it quoted; the API
    server then refuses the pod's type, where the same file applied directly is a host-network
    pod), and ``12:30`` stays text."""
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    at: 12:30\n"
        "spec:\n  hostNetwork: y\n  containers:\n  - name: c\n    image: nginx\n"
    )
    repo = make_repo(
        files={"k/kustomization.yaml": "resources:\n  - pod.yaml\n", "k/pod.yaml": pod}
    )
    [rendered] = kustomize.build(repo / "k")
    assert rendered["metadata"]["annotations"]["at"] == "12:30"
    assert rendered["spec"]["hostNetwork"] == "y"
