"""Policy evaluation: every built-in pack over 5,000 resources, in process.

The resources are generated YAML parsed with positions (as ``kubesmith validate`` sees them):
per group of five, a Deployment, a CronJob, a Pod, a Service and a ConfigMap, hardened as
pss-restricted and best-practices ask, except that one workload in ten is privileged and one
image in seven is ``:latest``. Figures:

- ``load_s``: loading and compiling the three packs (pss-baseline, pss-restricted,
  best-practices) — paid once per process;
- ``validate_s``: ``PolicyValidator.validate`` over all resources, wall clock (goal: < 2 s);
- ``validate_cpu_s``: the same in CPU time of this process, which other load on a shared
  machine inflates much less than the wall clock;
- ``per_resource_us`` / ``per_workload_us`` / ``per_resource_cpu_us``: the same per resource
  and per pod-bearing resource;
- ``findings``: how many findings came out (a sanity check that the work was done).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

RESOURCES = 5_000


def _group(i: int) -> str:
    privileged = "true" if i % 10 == 0 else "false"
    tag = "latest" if i % 7 == 0 else f"1.{i % 40}.0"
    container = f"""
        - name: app
          image: registry.example.com/app-{i}:{tag}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          readinessProbe:
            httpGet: {{path: /healthz, port: 8080}}
          securityContext:
            privileged: {privileged}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}"""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: shop
  labels: {{app.kubernetes.io/name: app-{i}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app.kubernetes.io/name: app-{i}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: app-{i}}}
    spec:
      securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
      containers:{container}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: job-{i}
  namespace: shop
  labels: {{app.kubernetes.io/name: job-{i}}}
spec:
  schedule: "@hourly"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
          containers:{container.replace(chr(10), chr(10) + "    ")}
---
apiVersion: v1
kind: Pod
metadata:
  name: pod-{i}
  namespace: shop
  labels: {{app.kubernetes.io/name: pod-{i}}}
spec:
  securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
  containers:{container.replace(chr(10) + "    ", chr(10))}
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: shop
  labels: {{app.kubernetes.io/name: app-{i}}}
spec:
  selector: {{app.kubernetes.io/name: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}
  namespace: shop
data:
  LOG_LEVEL: info
"""


def run() -> dict[str, Any]:
    from kubesmith.config import PolicySettings
    from kubesmith.tools.policy import PolicyValidator
    from kubesmith.tools.schema.located import parse_documents

    docs = []
    for i in range(RESOURCES // 5):
        docs += parse_documents(_group(i), f"apps/app-{i}.yaml", False)
    workloads = sum(1 for d in docs if d.obj["kind"] in ("Deployment", "CronJob", "Pod"))
    settings = PolicySettings(packs=("pss-restricted", "best-practices"))
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        validator = PolicyValidator(settings, Path(tmp))
        load_s = time.perf_counter() - started
        load_cpu_s = time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        findings = validator.validate(docs)
        validate_s = time.perf_counter() - started
        cpu_s = time.process_time() - cpu
    return {
        "resources": len(docs),
        "policies": len(validator.policies.policies),
        "load_s": round(load_s, 3),
        "load_cpu_s": round(load_cpu_s, 3),
        "validate_s": round(validate_s, 3),
        "validate_cpu_s": round(cpu_s, 3),
        "per_resource_us": round(validate_s / len(docs) * 1e6, 1),
        "per_workload_us": round(validate_s / workloads * 1e6, 1),
        "per_resource_cpu_us": round(cpu_s / len(docs) * 1e6, 1),
        "findings": len(findings),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "goal_validate_s": 2.0,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
