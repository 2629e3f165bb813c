"""One policy, two enforcers: the Kubernetes documentation's ValidatingAdmissionPolicy examples
(``vap_docs``) enforced by the sandbox API server (dry-run creates) and by the offline engine.

For every scenario: each policy and binding is accepted or refused alike, and each object is
admitted or denied alike, by the same policy, with the same message. Agreement must be 1.0;
the disagreements are listed in the failure message.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
import yaml

from kubesmith.tools.policy.celenv import shared_environment
from kubesmith.tools.policy.evaluator import Evaluator
from kubesmith.tools.policy.loader import load_text
from kubesmith.tools.policy.matching import Kinds
from kubesmith.tools.sandbox.rest import Rest
from kubesmith.tools.sandbox.server import Sandbox
from tests.tools.policy.vap_docs import LABEL, SCENARIOS, Scenario

pytestmark = pytest.mark.integration

Verdict = tuple[bool, str, str]
"""(denied, denying policy, message) for one object."""

_BASE = "/apis/admissionregistration.k8s.io/v1"


def _ns(scenario: Scenario, short: str) -> str:
    return f"vap-{scenario.name}-{short}"


def _scoped_binding(scenario: Scenario, doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    match = out["spec"].setdefault("matchResources", {})
    match.setdefault("namespaceSelector", {}).setdefault("matchLabels", {})[LABEL] = scenario.name
    return out


def _objects(scenario: Scenario) -> list[dict[str, Any]]:
    out = []
    for obj in scenario.objects:
        placed = copy.deepcopy(obj)
        placed["metadata"]["namespace"] = _ns(scenario, obj["metadata"]["namespace"])
        out.append(placed)
    return out


def _namespaces(scenario: Scenario) -> dict[str, dict[str, Any]]:
    out = {}
    for short, labels in scenario.namespaces.items():
        name = _ns(scenario, short)
        all_labels = {**labels, LABEL: scenario.name, "kubernetes.io/metadata.name": name}
        out[name] = {"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": name, "labels": all_labels}}  # fmt: skip
    return out


def _offline(scenario: Scenario) -> tuple[set[str], list[Verdict]]:
    env = shared_environment()
    docs = [*scenario.policies, *(_scoped_binding(scenario, b) for b in scenario.bindings),
            *scenario.params]  # fmt: skip
    loaded = load_text(yaml.safe_dump_all(docs), f"{scenario.name}.yaml", env)
    refused = {p.policy for p in loaded.problems if p.policy}
    evaluator = Evaluator(loaded, env)
    kinds = Kinds.from_objects(scenario.crds)
    verdicts = []
    for obj in _objects(scenario):
        denials = [v for v in evaluator.evaluate(obj, kinds, _namespaces(scenario))
                   if "Deny" in v.actions and v.outcome in ("violation", "error")]  # fmt: skip
        verdicts.append((bool(denials), denials[0].policy if denials else "",
                         denials[0].message if denials else ""))  # fmt: skip
    return refused, verdicts


def _server_verdict(rest: Rest, obj: dict[str, Any]) -> Verdict:
    ns = obj["metadata"]["namespace"]
    resp = rest.post(f"/apis/apps/v1/namespaces/{ns}/deployments?dryRun=All", obj)
    if resp.status in (200, 201):
        return False, "", ""
    message = str(resp.body.get("message") if isinstance(resp.body, dict) else resp.text)
    head, _, tail = message.partition("denied request: ")
    policy = head.split("ValidatingAdmissionPolicy '")[-1].split("'")[0] if tail else "?"
    return True, policy, tail or message


def _server(sandbox: Sandbox, scenario: Scenario) -> tuple[set[str], list[Verdict]]:
    rest = sandbox.rest(timeout=15)
    if scenario.crds:
        sandbox.install_crds(scenario.crds)
    for ns in _namespaces(scenario).values():
        assert rest.post("/api/v1/namespaces", ns).status in (201, 409)
    for param in scenario.params:
        ns = param["metadata"].get("namespace", "default")
        resp = rest.post(f"/apis/rules.example.com/v1/namespaces/{ns}/replicalimits", param)
        assert resp.status in (201, 409), resp.text
    refused = set()
    for doc in scenario.policies:
        if rest.post(f"{_BASE}/validatingadmissionpolicies", doc).status != 201:
            refused.add(doc["metadata"]["name"])
    for doc in scenario.bindings:
        scoped = _scoped_binding(scenario, doc)
        if rest.post(f"{_BASE}/validatingadmissionpolicybindings", scoped).status != 201:
            refused.add(doc["metadata"]["name"])
    objects = _objects(scenario)
    # Policies take effect once compiled: wait until the verdicts stop changing.
    deadline, last, stable_since = time.monotonic() + 30, None, time.monotonic()
    while time.monotonic() < deadline:
        verdicts = [_server_verdict(rest, o) for o in objects]
        if verdicts != last:
            last, stable_since = verdicts, time.monotonic()
        elif time.monotonic() - stable_since > 3:
            break
        time.sleep(0.3)
    for doc in scenario.bindings:
        rest.request(
            "DELETE", f"{_BASE}/validatingadmissionpolicybindings/{doc['metadata']['name']}"
        )
    for doc in scenario.policies:
        rest.request("DELETE", f"{_BASE}/validatingadmissionpolicies/{doc['metadata']['name']}")
    assert last is not None
    return refused, last


def test_documentation_examples_agree(kubesmith_sandbox: Sandbox) -> None:
    disagreements = []
    compared = denied = 0
    for scenario in SCENARIOS:
        server_refused, server = _server(kubesmith_sandbox, scenario)
        offline_refused, offline = _offline(scenario)
        if server_refused != offline_refused:
            disagreements.append(f"{scenario.name}: refused by server {sorted(server_refused)}, "
                                 f"offline {sorted(offline_refused)}")  # fmt: skip
        for obj, s, o in zip(scenario.objects, server, offline, strict=True):
            compared += 1
            denied += s[0]
            same = s[0] == o[0] and s[1] == o[1] and (not s[0] or o[2] in s[2])
            if not same:
                where = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
                disagreements.append(f"{scenario.name} {where}: server {json.dumps(s)}, "
                                     f"offline {json.dumps(o)}")  # fmt: skip
    assert disagreements == [], "\n".join(disagreements)
    agreement = (compared - len(disagreements)) / compared
    assert agreement == 1.0
    # not vacuous: the examples deny some objects and admit others
    assert 0 < denied < compared
