"""Sandbox cold start and server-side dry-run of a 50-resource change (issue 5's budgets).

Budgets: cold start (certificates, etcd, kube-apiserver ready) under 10 s; dry-run of a
50-resource change under 2 s. Also the tool cache's no-op install (must stay far under 1 s,
because ``make test`` runs it every time).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from kubesmith.tools.binaries.cache import default_cache
from kubesmith.tools.dryrun.validator import DryRunValidator
from kubesmith.tools.sandbox.server import Sandbox
from kubesmith.workspace import Workspace

COLD_STARTS = 3
RESOURCES = 50
DRY_RUNS = 5


def _change(folder: Path, count: int) -> Path:
    """``count`` resources over five namespaces: Deployments, Services and ConfigMaps."""
    docs = []
    for i in range(count):
        ns = f"bench-{i % 5}"
        kind = ("Deployment", "Service", "ConfigMap")[i % 3]
        if kind == "Deployment":
            docs.append(
                f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n"
                f"  namespace: {ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n"
                f"      app: app{i}\n  template:\n    metadata:\n      labels:\n"
                f"        app: app{i}\n    spec:\n      containers:\n        - name: app\n"
                f"          image: registry.example.com/app:{i}\n"
                "          resources:\n            limits:\n              memory: 256Mi\n"
            )
        elif kind == "Service":
            docs.append(
                f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{i}\n  namespace: {ns}\n"
                f"spec:\n  selector:\n    app: app{i}\n  ports:\n    - port: 80\n"
                "      targetPort: 8080\n"
            )
        else:
            docs.append(
                f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg{i}\n  namespace: {ns}\n"
                f"data:\n  key: value-{i}\n"
            )
    repo = folder / "repo"
    repo.mkdir()
    (repo / "change.yaml").write_text("---\n".join(docs))
    return repo


def run() -> dict[str, Any]:
    cache = default_cache()
    started = time.perf_counter()
    cache.install(["kubeconform", "kustomize", "etcd", "kube-apiserver"])
    noop_install = time.perf_counter() - started

    cold: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kubesmith-bench-") as tmp:
        for i in range(COLD_STARTS):
            sandbox = Sandbox(Path(tmp) / f"sb{i}")
            t0 = time.perf_counter()
            sandbox.up()
            cold.append(time.perf_counter() - t0)
            if i < COLD_STARTS - 1:
                sandbox.down()
        try:
            ws = Workspace.load(_change(Path(tmp), RESOURCES))
            assert len(ws.resources) == RESOURCES
            first_t0 = time.perf_counter()
            findings = DryRunValidator(sandbox=sandbox).validate(ws.resources)
            first = time.perf_counter() - first_t0
            assert findings == [], findings
            warm: list[float] = []
            for _ in range(DRY_RUNS):
                t0 = time.perf_counter()
                DryRunValidator(sandbox=sandbox).validate(ws.resources)
                warm.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            DryRunValidator(sandbox=sandbox, diff=True).validate(ws.resources)
            with_diff = time.perf_counter() - t0
            agreement = _agreement(sandbox)
        finally:
            sandbox.down()
    return {
        "tools_noop_install_s": round(noop_install, 4),
        "sandbox_cold_start_s_median": round(statistics.median(cold), 2),
        "sandbox_cold_start_s_max": round(max(cold), 2),
        "sandbox_cold_start_budget_s": 10,
        "dryrun_resources": RESOURCES,
        "dryrun_first_s": round(first, 3),
        "dryrun_warm_s_median": round(statistics.median(warm), 3),
        "dryrun_with_live_diff_s": round(with_diff, 3),
        "dryrun_budget_s": 2,
        **agreement,
    }


def _agreement(sandbox: Sandbox) -> dict[str, Any]:
    """The policy packs enforced by the API server vs the offline engine, over the corpus."""
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "kyverno-policies-tests"
    if not corpus.is_dir():
        return {"policy_agreement": f"skipped: {corpus} is absent"}
    from kubesmith.config import Settings
    from kubesmith.testing.policy_agreement import compare

    t0 = time.perf_counter()
    summary = compare(sandbox, Workspace.load(corpus, settings=Settings()).resources).summary()
    return {
        "policy_agreement": summary["agreement"],
        "policy_agreement_compared": summary["compared"],
        "policy_agreement_skipped": summary["skipped"],
        "policy_disagreements": summary["disagreements"][:20],
        "policy_agreement_s": round(time.perf_counter() - t0, 1),
    }
