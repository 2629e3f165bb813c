"""Learned general conventions round-trip to policies a real API server agrees with.

Each example convention of issue 21 is exported by ``kubesmith rules policy`` as a
ValidatingAdmissionPolicy, installed in the sandbox API server (bindings in ``Warn`` mode and
scoped to one labelled namespace, so every failed policy shows and nothing else is affected),
and every sample object is dry-run created. The policies the server reports must be exactly the
ones kubesmith's Python check (what planners apply) and the offline CEL engine say fail.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from kubesmith.agent.predicates import FieldPredicate, violations
from kubesmith.agent.rule_policies import rules_to_policies
from kubesmith.testing import kubesmith_sandbox
from kubesmith.testing.policy_agreement import LABEL, server_verdict
from kubesmith.tools.sandbox.server import Sandbox
from tests.agent.test_general_conventions import EXAMPLES, OBJECTS, rule
from tests.tools.test_sandbox import needs_binaries

pytestmark = [pytest.mark.integration, needs_binaries]
__all__ = ["kubesmith_sandbox"]  # the session fixture, used by name

NAMESPACE = "kubesmith-learned"
API = "/apis/admissionregistration.k8s.io/v1"


def _target(obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    body = copy.deepcopy(obj)
    if obj["kind"] == "Namespace":
        body["metadata"].setdefault("labels", {})[LABEL] = "true"
        return "/api/v1/namespaces?dryRun=All", body
    body["metadata"]["namespace"] = NAMESPACE
    return f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments?dryRun=All", body


def test_sandbox_enforces_learned_conventions_as_kubesmith_does(
    kubesmith_sandbox: Sandbox,
) -> None:
    rest = kubesmith_sandbox.rest(timeout=15)
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": NAMESPACE, "labels": {LABEL: "true"}}}  # fmt: skip
    assert rest.post("/api/v1/namespaces", ns).status in (201, 409)
    names: dict[str, str] = {}
    for name, params in EXAMPLES.items():
        r = rule(params)
        for doc in rules_to_policies([r]):
            if doc["kind"] == "ValidatingAdmissionPolicy":
                names[doc["metadata"]["name"]] = name
                resp = rest.post(f"{API}/validatingadmissionpolicies", doc)
            else:
                spec = doc["spec"]
                spec["validationActions"] = ["Warn"]
                spec["matchResources"] = {"namespaceSelector": {"matchLabels": {LABEL: "true"}}}
                resp = rest.post(f"{API}/validatingadmissionpolicybindings", doc)
            assert resp.status in (201, 409), resp.text

    # policies take effect once compiled, one by one: wait until the verdict on an object that
    # breaks many of them has stopped growing for a few seconds
    canary = _target(OBJECTS["bare"])
    deadline = time.monotonic() + 60
    last: frozenset[str] = frozenset()
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        fired, _ = server_verdict(rest, canary)
        if fired != last:
            last, stable_since = fired, time.monotonic()
        elif last and time.monotonic() - stable_since > 3:
            break
        time.sleep(0.3)

    compared = 0
    for obj_name, obj in OBJECTS.items():
        fired, skipped = server_verdict(rest, _target(obj))
        assert not skipped, (obj_name, skipped)
        server = {names[f] for f in fired if f in names}
        ours = {n for n, p in EXAMPLES.items() if violations(FieldPredicate.from_params(p), obj)}
        assert server == ours, obj_name
        compared += 1
    assert compared == len(OBJECTS)
