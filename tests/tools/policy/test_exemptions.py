"""Exemptions: by kind, name, namespace, and by container images (all must match a glob)."""

from __future__ import annotations

from typing import Any

from kubesmith.config import PolicyExemption
from kubesmith.model import ResourceRef
from kubesmith.tools.policy.exemptions import applies, exempted, pod_images


def cronjob(*images: str) -> dict[str, Any]:
    containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    template = {"spec": {"containers": containers[:1], "initContainers": containers[1:]}}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "backup", "namespace": "ops"},
        "spec": {"jobTemplate": {"spec": {"template": template}}},
    }


def test_pod_images_reads_every_container_group_of_every_kind() -> None:
    assert pod_images(cronjob("a:1", "b:2")) == ["a:1", "b:2"]
    pod = {"kind": "Pod", "spec": {"ephemeralContainers": [{"name": "d", "image": "dbg:1"}]}}
    assert pod_images(pod) == ["dbg:1"]
    assert pod_images({"kind": "Service", "spec": {"ports": []}}) == []


def test_exemption_fields_all_have_to_match() -> None:
    obj = cronjob("ghcr.io/acme/backup:1.2", "ghcr.io/acme/init:0.1")
    ref = ResourceRef.from_object(obj)
    by_kind = PolicyExemption(policy="p", kind="CronJob", reason="r")
    assert applies(by_kind, ref, obj)
    assert not applies(PolicyExemption(policy="p", kind="Job", reason="r"), ref, obj)
    assert not applies(PolicyExemption(policy="p", namespace="prod", reason="r"), ref, obj)
    every_image = PolicyExemption(policy="p", images=("ghcr.io/acme/*",), reason="r")
    assert applies(every_image, ref, obj)
    one_image = PolicyExemption(policy="p", images=("ghcr.io/acme/backup*",), reason="r")
    assert not applies(one_image, ref, obj)  # the init container's image is not covered


def test_exempted_names_the_policies_and_packs() -> None:
    obj = cronjob("nginx:1")
    ref = ResourceRef.from_object(obj)
    exemptions = (
        PolicyExemption(policy="pss-baseline", name="backup", reason="legacy"),
        PolicyExemption(policy="best-practices-probes", images=("nginx:*",), reason="batch"),
        PolicyExemption(policy="other", name="web", reason="not this one"),
    )
    assert exempted(exemptions, ref, obj) == {"pss-baseline", "best-practices-probes"}
