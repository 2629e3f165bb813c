"""Schema validation: ``kubesmith validate`` against plain kubeconform with the same schemas.

Generated repositories of 5,000 and 50,000 resources (five per file: Deployment, Service,
ConfigMap, ServiceAccount, HorizontalPodAutoscaler; one resource in a hundred has a wrong type).
For each size, in one run:

- ``kubeconform_s``: kubeconform on the repository folder, offline, with the generated schemas,
  ``-strict -output json -summary`` — what a team's CI runs today;
- ``kubesmith_cold_s``: ``kubesmith validate --repo R -o json`` with an empty verdict cache;
- ``kubesmith_rerun_s``: the same after changing one file (the verdict cache is warm).

Ratios are against kubeconform's time; goals: cold ≤ 1.2, re-run < 0.1. Two more figures say
where the rest goes: ``kubeconform_gogc_cpu_s``, kubeconform alone with the ``GOGC`` kubesmith
gives the processes it starts (so a reader sees how much of a cold ratio below 1 is that), and
``validate_imports_cpu_s``, a Python process that only imports what ``kubesmith validate`` needs
(the floor under every run, whatever the repository). Wall-clock ratios
swing with the machine's load (other processes share its cores), so CPU seconds (user + system
of the command and its children) are reported too, each the minimum of ``REPEATS`` runs, with
the load average at the end. Policies
are switched off (``--policies none``): the comparison is schema work against schema work.
Needs kubeconform (``kubesmith tools install`` or on PATH).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIZES = (5_000, 50_000)
REPEATS = 3
"""Each figure is the minimum of this many runs: other processes share the machine's cores."""
ONLY_SCHEMA = ("--policies", "none", "-o", "json")  # the same work as kubeconform does
PER_FILE = 5
VALIDATE_IMPORTS = (
    "import kubesmith.cli.main, kubesmith.cli.validate, kubesmith.agent.factory, "
    "kubesmith.tools.schema.files, kubesmith.tools.report, kubesmith.config"
)


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


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds and CPU seconds (user + system) of one command and its children."""

    wall: float
    cpu: float
    proc: subprocess.CompletedProcess[str]


def _time(cmd: list[str], env: dict[str, str]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu, proc)


def _best(timings: list[Timing]) -> Timing:
    """The least disturbed of repeated runs: the minimum wall and the minimum CPU time."""
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings), timings[-1].proc)


def _kubeconform() -> Path:
    from kubesmith.tools.binaries.cache import ensure

    return ensure("kubeconform")


def run() -> dict[str, Any]:
    """Measure both sizes; returns seconds and ratios per size."""
    from kubesmith.config import SchemaSettings
    from kubesmith.tools.schema import SchemaValidator
    from kubesmith.tools.schema.kubeconform import GOGC

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
            validate = [*kubesmith, "validate", "--repo", str(repo), *ONLY_SCHEMA]
            kcs, gcs, colds, reruns = [], [], [], []
            for round_ in range(REPEATS):
                for stale in cache.glob("verdicts.sqlite3*"):
                    stale.unlink()
                kcs.append(_time([*kc_cmd, "-summary", str(repo)], env))
                gcs.append(_time([*kc_cmd, "-summary", str(repo)], {"GOGC": GOGC, **env}))
                colds.append(_time(validate, env))
                time.sleep(2.5)  # let the files' stamps become trustworthy (see verdict_cache)
                changed = repo / "team-0000" / "app-1.yaml"
                changed.write_text(changed.read_text().replace("level", f"level{round_}", 1))
                reruns.append(_time(validate, env))
            kc, gc, cold, rerun = _best(kcs), _best(gcs), _best(colds), _best(reruns)
            figures[str(size)] = {
                "kubeconform_s": round(kc.wall, 2),
                "kubesmith_cold_s": round(cold.wall, 2),
                "kubesmith_rerun_s": round(rerun.wall, 2),
                "cold_ratio": round(cold.wall / kc.wall, 3),
                "rerun_ratio": round(rerun.wall / kc.wall, 3),
                "kubeconform_cpu_s": round(kc.cpu, 2),
                "kubesmith_cold_cpu_s": round(cold.cpu, 2),
                "kubesmith_rerun_cpu_s": round(rerun.cpu, 2),
                "cold_cpu_ratio": round(cold.cpu / kc.cpu, 3),
                "rerun_cpu_ratio": round(rerun.cpu / kc.cpu, 3),
                "kubeconform_gogc_cpu_s": round(gc.cpu, 2),
                "exit_codes": [kc.proc.returncode, cold.proc.returncode, rerun.proc.returncode],
                "kubeconform_invalid": kc.proc.stdout.count('"statusInvalid"'),
                "kubesmith_errors": cold.proc.stdout.count('"severity": "error"'),
                "rerun_errors": rerun.proc.stdout.count('"severity": "error"'),
            }
            shutil.rmtree(repo)
        startup = _time([*kubesmith, "--version"], env)
        figures["kubesmith_startup_s"] = round(startup.wall, 2)
        figures["kubesmith_startup_cpu_s"] = round(startup.cpu, 2)
        imports = _best([_time([sys.executable, "-c", VALIDATE_IMPORTS], env) for _ in range(5)])
        figures["validate_imports_cpu_s"] = round(imports.cpu, 2)
        figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
