"""OfflinePlanner: planning time on a generated 5,000-resource repository (workspace loaded once).

Planning "scale X to 3" must cost milliseconds: names resolve through the workspace's name index.
The label-selection and misspelt-name figures show the two paths that do scan every resource.
"""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.generate import generate_repo
from kubesmith.agent.offline import OfflinePlanner
from kubesmith.config import Settings
from kubesmith.errors import ReferenceError_
from kubesmith.workspace import Workspace

INTENTS = {
    "scale_by_name_ms": "scale svc-1234 to 3",
    "two_requests_ms": "set svc-77 replicas to 5 and its memory limit to 1Gi",
    "hpa_ms": "autoscale svc-42 from 2 to 10 at 70% cpu",
    "label_selection_ms": "scale all frontend deployments in namespace team-3 to 4",
}


def _median_ms(fn: Callable[[], object], repeat: int = 30) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return round(statistics.median(samples) * 1000, 3)


def run() -> dict[str, object]:
    results: dict[str, object] = {"resources": 5_000}
    planner = OfflinePlanner()
    with tempfile.TemporaryDirectory(prefix="kubesmith-bench-offline-") as tmp:
        repo = generate_repo(Path(tmp) / "r", 5_000, commit=False)
        t = time.perf_counter()
        ws = Workspace.load(repo, Settings())
        results["load_s"] = round(time.perf_counter() - t, 3)
        for key, intent in INTENTS.items():
            edits = len(planner.plan(intent, ws).edits)
            results[key] = _median_ms(lambda intent=intent: planner.plan(intent, ws))
            results[key.replace("_ms", "_edits")] = edits

        def misspelt() -> None:
            with contextlib.suppress(ReferenceError_):
                planner.plan("scale svc-12345x to 3", ws)

        results["misspelt_name_error_ms"] = _median_ms(misspelt, repeat=5)
    return results
