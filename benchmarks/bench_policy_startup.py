"""What the policy packs cost a fresh process: the CPU time from an imported kubesmith core to
a first verdict, with the CEL program cache cold (first run on a machine) and warm.

Each figure is the least of ``RUNS`` fresh interpreter processes (CPU time of the child: user +
system), so other load on a shared machine inflates it as little as possible. Measured in the
child, after ``kubesmith.config``/``kubesmith.model`` are imported (every kubesmith command
imports them, packs or not):

- ``import_cpu_s``: importing the policy engine (``kubesmith.tools.policy`` and cel-expr-python);
- ``build_cpu_s``: ``PolicyValidator`` with pss-restricted and best-practices (loading the packs);
- ``first_validate_cpu_s``: validating one Deployment (the first evaluation compiles what the
  policies that apply need);
- ``total_cpu_s``: the three together, the cost the issue measured at "about 1 s".

Run: ``.venv/bin/python -m benchmarks bench_policy_startup``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

RUNS = 5

_CHILD = """
import json, time
import kubesmith.config, kubesmith.model, yaml
from pathlib import Path
from kubesmith.config import PolicySettings
from kubesmith.tools.schema.located import parse_documents
t0 = time.process_time()
from kubesmith.tools.policy import PolicyValidator
t1 = time.process_time()
validator = PolicyValidator(PolicySettings(packs=("pss-restricted", "best-practices")), Path("."))
t2 = time.process_time()
docs = parse_documents('''apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example.com/web:1.0}]
''', "web.yaml", False)
findings = validator.validate(docs)
t3 = time.process_time()
assert findings, "the packs found nothing: the benchmark measured no work"
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "first_validate": t3 - t2}))
"""


def _measure(cache: str, cache_state: str) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(RUNS):
        env = {**os.environ, "KUBESMITH_TOOL_CACHE": cache}
        if cache_state == "off":
            env["KUBESMITH_CEL_CACHE"] = "off"
        elif cache_state == "cold":
            for name in os.listdir(cache) if os.path.isdir(cache) else []:
                if name == "cel":
                    subprocess.run(["rm", "-rf", os.path.join(cache, name)], check=True)
        out = subprocess.run(
            [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True
        ).stdout
        figures = json.loads(out)
        figures["total"] = sum(figures.values())
        for key, value in figures.items():
            best[key] = min(best.get(key, value), value)
    return {f"{k}_cpu_s": round(v, 3) for k, v in best.items()}


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as cache:
        return {
            "runs": RUNS,
            "cache_off": _measure(cache, "off"),
            "cache_cold": _measure(cache, "cold"),
            "cache_warm": _measure(cache, "warm"),
            "load_average_1m": round(os.getloadavg()[0], 1),
        }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
