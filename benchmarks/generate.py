"""Generated manifests repositories of a given size, shared by the benchmarks."""

from __future__ import annotations

import subprocess
from pathlib import Path

DEPLOYMENT = """\
# service {i}: generated for benchmarks
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: team-{team}
  labels:
    app: svc-{i}
    tier: {tier}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: svc-{i}
  template:
    metadata:
      labels:
        app: svc-{i}
        tier: {tier}
    spec:
      containers:
        - name: app
          image: registry.example.com/team-{team}/svc-{i}:1.{i}.0
          ports:
            - containerPort: 8080
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
  namespace: team-{team}
spec:
  selector:
    app: svc-{i}
  ports:
    - port: 80
      targetPort: 8080
"""


def generate_repo(root: Path, resources: int, *, commit: bool = True) -> Path:
    """Write ``resources`` objects (a Deployment and a Service per file) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(resources // 2):
        team = i % 20
        folder = root / f"team-{team}"
        folder.mkdir(exist_ok=True)
        tier = "backend" if i % 3 else "frontend"
        (folder / f"svc-{i}.yaml").write_text(DEPLOYMENT.format(i=i, team=team, tier=tier))
    if commit:
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "gen"],
        ):
            subprocess.run(["git", *args], cwd=root, check=True)
    return root
