"""Schema validation: ``kubesmith validate`` against plain kubeconform with the same schemas.

Generated repositories of 5,000 and 50,000 resources (five per file: Deployment, Service,
ConfigMap, ServiceAccount, HorizontalPodAutoscaler; one resource in a hundred has a wrong type).
For each size, in one run:

- ``kubeconform_s``: kubeconform on the repository folder, offline, with the generated schemas,
  ``-strict -output json -summary`` — what a team's CI runs today;
- ``kubesmith_cold_s``: ``kubesmith validate --repo R -o json`` with an empty verdict cache;
- ``kubesmith_rerun_s``: the same after changing one file (the verdict cache is warm).

Ratios are against kubeconform's time; goals: cold ≤ 1.2, re-run < 0.1. Needs kubeconform
(``kubesmith tools install`` or on PATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES = (5_000, 50_000)
ONLY_SCHEMA = ("--policies", "none", "-o", "json")  # the same work as kubeconform does
PER_FILE = 5


def _app(i: int, broken: bool) -> str:
    replicas = '"three"' if broken else str(1 + i % 5)
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels: {{app: app-{i}, tier: backend}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      serviceAccountName: app-{i}
      containers:
        - name: app
          image: registry.example/app-{i}:1.{i % 50}.0
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: CONFIG
              valueFrom:
                configMapKeyRef: {{name: app-{i}, key: mode}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: "1", memory: 256Mi}}
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
spec:
  selector: {{app: app-{i}}}
  ports:
    - port: 80
      targetPort: http
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}
data:
  mode: production
  level: "{i % 7}"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app-{i}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: app-{i}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: app-{i}}}
  minReplicas: 1
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {{type: Utilization, averageUtilization: 80}}
"""


def generate(root: Path, resources: int) -> None:
    """Write a repository of ``resources`` resources (``PER_FILE`` per file, 100 files a folder)."""
    for i in range(resources // PER_FILE):
        folder = root / f"team-{i // 100:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"app-{i}.yaml").write_text(_app(i, broken=i % 20 == 7))


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, proc


def _kubeconform() -> Path:
    from kubesmith.tools.toolcache import ensure

    return ensure("kubeconform")


def run() -> dict[str, Any]:
    """Measure both sizes; returns seconds and ratios per size."""
    from kubesmith.config import SchemaSettings
    from kubesmith.tools.schema import SchemaValidator

    binary = _kubeconform()
    figures: dict[str, Any] = {"kubeconform": str(binary)}
    kubesmith = [sys.executable, "-c", "from kubesmith.cli.main import main; main()"]
    here = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory(prefix="bench-schema-") as tmp:
        cache = Path(tmp) / "cache"
        env = {**os.environ, "KUBESMITH_TOOL_CACHE": str(cache), "PATH": f"{binary.parent}:"}
        env["PATH"] += os.environ.get("PATH", "")
        env["PYTHONPATH"] = here
        validator = SchemaValidator(SchemaSettings(), cache_dir=cache, kubeconform=binary)
        location = validator.schemas.location(strict=True)  # generated once, outside the timings
        for size in SIZES:
            repo = Path(tmp) / f"repo-{size}"
            generate(repo, size)
            kc_cmd = [str(binary), "-schema-location", location, "-strict", "-output", "json"]
            kc_s, kc = _time([*kc_cmd, "-summary", str(repo)], env)
            (cache / "verdicts.sqlite3").unlink(missing_ok=True)
            cold_s, cold = _time([*kubesmith, "validate", "--repo", str(repo), *ONLY_SCHEMA], env)
            changed = next(repo.glob("team-0000/app-1.yaml"))
            changed.write_text(changed.read_text().replace("level: ", "level-x: "))
            rerun_s, rerun = _time([*kubesmith, "validate", "--repo", str(repo), *ONLY_SCHEMA], env)
            figures[str(size)] = {
                "kubeconform_s": round(kc_s, 2),
                "kubesmith_cold_s": round(cold_s, 2),
                "kubesmith_rerun_s": round(rerun_s, 2),
                "cold_ratio": round(cold_s / kc_s, 3),
                "rerun_ratio": round(rerun_s / kc_s, 3),
                "exit_codes": [kc.returncode, cold.returncode, rerun.returncode],
                "kubeconform_invalid": kc.stdout.count('"statusInvalid"'),
                "kubesmith_errors": cold.stdout.count('"severity": "error"'),
            }
            shutil.rmtree(repo)
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
