"""One policy, two enforcers, for PodSecurity: the PSS packs against a real PodSecurity admission.

The sandbox API server's own PodSecurity admission is the reference (see :mod:`psa_server` for
how a verdict is read). Compared, at every version from 1.25 to the server's own (PSA judges a
newer version as its own, so newer ones are checked offline only, in ``test_pss_versions.py``):

- every case of :mod:`psa_fixtures` (PSA's fixture cases and the version boundaries), sent as a
  Pod and, like PSA's own tests do, as a Deployment with the pod as its template;
- every Pod and pod-template workload of the public corpora (../shared/corpora: Kyverno's test
  resources, CloudEval-YAML's reference answers — read from the archive in memory, never
  unzipped to disk — k8s-ai-bench, the plain manifests of helm-charts; chart templates are not
  manifests until rendered and are left out), at the oldest and the newest version.

Agreement must be 1.0; every disagreement is listed in the failure message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from kubesmith.tools.sandbox.server import Sandbox
from tests.conftest import CORPORA
from tests.tools.policy import psa_fixtures
from tests.tools.policy.psa_server import (
    KINDS,
    Offline,
    Report,
    as_workload,
    compare,
    label_namespaces,
    namespace,
    server_minor,
)
from tests.tools.test_sandbox import needs_binaries

pytestmark = [pytest.mark.integration, pytest.mark.slow, needs_binaries]


@pytest.fixture(scope="module")
def server(kubesmith_sandbox: Sandbox) -> tuple[Sandbox, int]:
    rest = kubesmith_sandbox.rest(timeout=30)
    newest = min(server_minor(rest), psa_fixtures.MINORS[-1])
    label_namespaces(rest, psa_fixtures.LEVELS, range(psa_fixtures.MINORS[0], newest + 1))
    return kubesmith_sandbox, newest


@pytest.fixture(scope="module")
def offline() -> Offline:
    return Offline()


@pytest.mark.parametrize("level", psa_fixtures.LEVELS)
def test_psa_fixture_cases_agree_at_every_version(
    server: tuple[Sandbox, int], offline: Offline, level: str
) -> None:
    sandbox, newest = server
    rest = sandbox.rest(timeout=30)
    report = Report()
    for minor in range(psa_fixtures.MINORS[0], newest + 1):
        cases = psa_fixtures.cases(level, minor)
        items: list[tuple[str, dict[str, Any]]] = [(c.name, c.pod) for c in cases]
        items += [(c.name, as_workload(c.pod)) for c in cases]
        report.verdicts += compare(rest, offline, items, level, minor)
        # the fixtures' own expectations hold on the server too (PSA's verdict, not only ours)
        expected = {c.name: not c.allowed for c in cases}
        wrong = [
            v
            for v in report.verdicts[-len(items) :]
            if v.compared and v.server_denied != expected[v.source]
        ]
        assert wrong == [], "\n".join(map(str, wrong))
    assert report.disagreements == [], report.explain()
    assert report.agreement == 1.0
    # not a vacuous agreement: most cases reach PSA, and both verdicts occur
    assert len(report.compared) > 0.7 * len(report.verdicts)
    assert {v.server_denied for v in report.compared} == {True, False}


def corpus_objects() -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for every Pod and pod-template workload of the corpora."""
    for sub in ("kyverno-policies-tests", "k8s-ai-bench", "helm-charts"):
        for path in sorted((CORPORA / sub).rglob("*.y*ml")):
            if "templates" in path.parts:
                continue
            yield from _objects(str(path.relative_to(CORPORA)), path.read_text(encoding="utf-8"))
    if (CORPORA / "cloudeval-yaml").is_dir():
        from kubesmith.evals.cloudeval import _problems

        for problem in _problems():
            yield from _objects(
                f"cloudeval-yaml#{problem['id']}", str(problem["reference_yaml_labeled"])
            )


def _objects(where: str, text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return
    for i, doc in enumerate(docs):
        if (
            isinstance(doc, dict)
            and doc.get("kind") in KINDS
            and isinstance(doc.get("metadata"), dict)
        ):
            yield f"{where}[{i}]", doc


def test_corpora_agree(server: tuple[Sandbox, int], offline: Offline) -> None:
    if not (CORPORA / "kyverno-policies-tests").is_dir():
        pytest.skip(f"corpora not present at {CORPORA}")
    sandbox, newest = server
    rest = sandbox.rest(timeout=30)
    items = list(corpus_objects())
    report = Report()
    for level in psa_fixtures.LEVELS:
        for minor in sorted({psa_fixtures.MINORS[0], newest}):
            report.verdicts += compare(rest, offline, items, level, minor)
    assert report.disagreements == [], report.explain()
    assert report.agreement == 1.0
    assert len(items) > 1000
    assert len(report.compared) > 0.5 * len(report.verdicts)
    denied = [v for v in report.compared if v.server_denied]
    assert denied and len(denied) < len(report.compared)


# Plain scalars go-yaml v2 (the API server's YAML decoder, sigs.k8s.io/yaml) and PyYAML read
# differently: the packs must judge what the server reads. (name, pod YAML, server denies?)
YAML_SCALAR_PODS = [
    ("host-network-y", "  hostNetwork: y\n", True),
    ("host-ipc-upper-y", "  hostIPC: Y\n", True),
    ("privileged-upper-y", "      securityContext: {privileged: Y}\n", True),
    ("privileged-on", "      securityContext:\n        privileged: on\n", True),
    ("host-pid-n", "  hostPID: n\n", False),
]


def _pod_yaml(name: str, spec_lines: str, annotation: str = "") -> str:
    lines = spec_lines.splitlines(keepends=True)
    pod_level = "".join(ln for ln in lines if not ln.startswith("      "))
    container = "".join(ln for ln in lines if ln.startswith("      "))
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
        f"  annotations:\n    at: {annotation or 'x'}\n"
        f"spec:\n{pod_level}  containers:\n    - name: app\n      image: nginx\n{container}"
    )


def _post_yaml(sandbox: Sandbox, text: str, ns: str) -> tuple[int, str]:
    """Create ``text`` (dry run) as kubectl would send it: YAML, decoded by the server itself."""
    import ssl
    import urllib.error
    import urllib.request

    ctx = ssl.create_default_context(cafile=str(sandbox.ca_cert))
    ctx.load_cert_chain(*(str(p) for p in sandbox.admin_cert))
    req = urllib.request.Request(
        f"{sandbox.server.rstrip('/')}/api/v1/namespaces/{ns}/pods?dryRun=All",
        data=text.encode(),
        method="POST",
        headers={"Content-Type": "application/yaml", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_yaml_scalars_are_judged_as_the_server_reads_them(
    server: tuple[Sandbox, int], offline: Offline
) -> None:
    from kubesmith.tools.schema.located import parse_documents
    from kubesmith.workspace.yamledit import YamlFile

    sandbox, newest = server
    ns = namespace("baseline", newest)
    disagreements = []
    for name, spec, denied in YAML_SCALAR_PODS:
        text = _pod_yaml(name, spec, annotation="12:30")
        status, said = _post_yaml(sandbox, text, ns)
        server_denied = status == 403 and "violates PodSecurity" in said
        assert status in (201, 403), f"{name}: HTTP {status}: {said}"
        assert server_denied == denied, f"{name}: the server said {status} {said}"
        read = {
            "validate": parse_documents(text, f"{name}.yaml")[0].obj,
            "workspace": YamlFile.parse(text, f"{name}.yaml").documents[0].data,
        }
        for reader, obj in read.items():
            assert obj["metadata"]["annotations"]["at"] == "12:30"  # a string, as sent
            verdict = bool(offline.policies(obj, "baseline", newest))
            if verdict != server_denied:
                disagreements.append(f"{name} ({reader}): offline {verdict}, server {said}")
    assert disagreements == [], "\n".join(disagreements)
