"""``kubesmith validate`` against plain kubeconform with the same schemas, cold and warm.

Generated repositories of 5,000 and 50,000 resources (five per file: Deployment, Service,
ConfigMap, ServiceAccount, HorizontalPodAutoscaler; one resource in a hundred has a wrong type).
For each size, in one run, with an empty verdict cache before each cold figure:

- ``kubeconform_s``: kubeconform on the repository folder, offline, with the generated schemas,
  ``-strict -output json -summary`` — what a team's CI runs today;
- ``none_cold_s``: ``kubesmith validate --repo R --policies none -o json`` — schema work only
  (goal ≤ 1.1× kubeconform);
- ``packs_cold_s``: ``kubesmith validate --repo R -o json`` with the default packs
  (pss-baseline, best-practices) — schema and policy (goal ≤ 1.5× kubeconform, schema only);
- ``none_rerun_s`` / ``packs_rerun_s``: the same after changing one file, the verdict cache
  warm (goal ≤ 0.1×);
- ``concurrent``: three ``--policies none`` processes started together on the same repository
  and cache (pre-commit runs hooks in parallel), cold, against the same three one after another:
  ``wait_ratio`` = together / one after another is at most 1 when nobody waits on a lock (below 1
  on idle cores; about 1 on a saturated machine), above 1 by the time spent waiting.

Two more figures say where the rest goes: ``kubeconform_gogc_cpu_s``, kubeconform alone with the
``GOGC`` kubesmith gives the processes it starts, and ``validate_imports_cpu_s``, a Python process
that only imports what ``kubesmith validate`` needs (the floor under every run). Wall-clock ratios
swing with the machine's load (other processes share its cores), so CPU seconds (user + system of
the command and its children) are reported too, each the minimum of ``REPEATS`` runs (one run at
50,000 resources), with the load average at the end. Needs kubeconform (``kubesmith tools
install`` or on PATH).
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
REPEATS = {5_000: 3, 50_000: 1}
"""Each figure is the minimum of this many runs: other processes share the machine's cores."""
ONLY_SCHEMA = ("--policies", "none", "-o", "json")  # the same work as kubeconform does
WITH_PACKS = ("-o", "json")  # the default packs: pss-baseline, best-practices
CONCURRENT = 3
PER_FILE = 5
VALIDATE_IMPORTS = (
    "import kubesmith.cli.main, kubesmith.cli.validate, kubesmith.agent.factory, "
    "kubesmith.tools.schema.files, kubesmith.agent.validation.report, kubesmith.config"
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


def _concurrent(cmd: list[str], env: dict[str, str], n: int) -> tuple[float, float]:
    """Wall time of ``n`` copies of ``cmd`` started together, and their summed CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(n)
    ]
    for proc in procs:
        proc.wait()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _cold(cache: Path) -> None:
    for stale in cache.glob("verdicts.sqlite3*"):
        stale.unlink()


def _touch(repo: Path, round_: int) -> None:
    time.sleep(2.5)  # let the files' stamps become trustworthy (see verdict_cache)
    changed = repo / "team-0000" / "app-1.yaml"
    changed.write_text(changed.read_text().replace("level", f"level{round_}", 1))


def _measure(repo: Path, cache: Path, kc_cmd: list[str], kubesmith: list[str],
             env: dict[str, str], repeats: int) -> dict[str, Any]:  # fmt: skip
    from kubesmith.tools.schema.kubeconform import GOGC

    none = [*kubesmith, "validate", "--repo", str(repo), *ONLY_SCHEMA]
    packs = [*kubesmith, "validate", "--repo", str(repo), *WITH_PACKS]
    runs: dict[str, list[Timing]] = {k: [] for k in ("kc", "gc", "nc", "nr", "pc", "pr")}
    for round_ in range(repeats):
        runs["kc"].append(_time([*kc_cmd, "-summary", str(repo)], env))
        runs["gc"].append(_time([*kc_cmd, "-summary", str(repo)], {"GOGC": GOGC, **env}))
        _cold(cache)
        runs["nc"].append(_time(none, env))
        _touch(repo, 2 * round_)
        runs["nr"].append(_time(none, env))
        _cold(cache)
        runs["pc"].append(_time(packs, env))
        _touch(repo, 2 * round_ + 1)
        runs["pr"].append(_time(packs, env))
    kc, gc, nc, nr, pc, pr = (_best(runs[k]) for k in ("kc", "gc", "nc", "nr", "pc", "pr"))
    _cold(cache)
    together_wall, together_cpu = _concurrent(none, env, CONCURRENT)
    apart_wall = 0.0
    for _ in range(CONCURRENT):  # the same runs one after another, each cold
        _cold(cache)
        apart_wall += _time(none, env).wall
    figures: dict[str, Any] = {"kubeconform_s": round(kc.wall, 2)}
    for label, t in (
        ("none_cold", nc),
        ("none_rerun", nr),
        ("packs_cold", pc),
        ("packs_rerun", pr),
    ):
        figures[f"{label}_s"] = round(t.wall, 2)
        figures[f"{label}_ratio"] = round(t.wall / kc.wall, 3)
        figures[f"{label}_cpu_s"] = round(t.cpu, 2)
        figures[f"{label}_cpu_ratio"] = round(t.cpu / kc.cpu, 3)
    figures.update(
        kubeconform_cpu_s=round(kc.cpu, 2),
        kubeconform_gogc_cpu_s=round(gc.cpu, 2),
        concurrent={
            "processes": CONCURRENT,
            "together_wall_s": round(together_wall, 2),
            "together_cpu_s": round(together_cpu, 2),
            "one_after_another_wall_s": round(apart_wall, 2),
            "wait_ratio": round(together_wall / apart_wall, 3),
        },
        exit_codes=[kc.proc.returncode, nc.proc.returncode, pc.proc.returncode],
        kubeconform_invalid=kc.proc.stdout.count('"statusInvalid"'),
        none_errors=nc.proc.stdout.count('"severity": "error"'),
        packs_findings=pc.proc.stdout.count('"severity": '),
        rerun_errors=nr.proc.stdout.count('"severity": "error"'),
    )
    return figures


def run() -> dict[str, Any]:
    """Measure both sizes; returns seconds and ratios per size."""
    from kubesmith.config import SchemaSettings
    from kubesmith.tools.schema import SchemaValidator

    binary = _kubeconform()
    figures: dict[str, Any] = {"kubeconform": str(binary)}
    kubesmith = [sys.executable, "-c", "from kubesmith.cli.main import main; main()"]
    here = str(Path(__file__).resolve().parent.parent)
    sizes = [int(s) for s in os.environ.get("BENCH_SCHEMA_SIZES", "").split(",") if s] or SIZES
    with tempfile.TemporaryDirectory(prefix="bench-schema-") as tmp:
        cache = Path(tmp) / "cache"
        env = {**os.environ, "KUBESMITH_TOOL_CACHE": str(cache), "PATH": f"{binary.parent}:"}
        env["PATH"] += os.environ.get("PATH", "")
        env["PYTHONPATH"] = here
        validator = SchemaValidator(SchemaSettings(), cache_dir=cache, kubeconform=binary)
        location = validator.schemas.location(strict=True)  # generated once, outside the timings
        for size in sizes:
            repo = Path(tmp) / f"repo-{size}"
            generate(repo, size)
            subprocess.run(["git", "init", "-q", str(repo)], check=True)
            kc_cmd = [str(binary), "-schema-location", location, "-strict", "-output", "json"]
            repeats = REPEATS.get(size, 1)
            figures[str(size)] = _measure(repo, cache, kc_cmd, kubesmith, env, repeats)
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
