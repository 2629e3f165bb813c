"""``kubesmith history`` on long generated histories: how it scales with commits.

A repository of 40 Deployments gets N commits (made with ``git fast-import``, so generating is
quick); each commit edits one file, and every 10th edits ``checkout``. History walks only the
commits that touched checkout's file (git's path filtering) and reads their blobs in one
``git cat-file --batch``, so its cost should grow with the commits that matter, not with N.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from kubesmith.agent.history import resource_history
from kubesmith.config import Settings

_NAMES = ["checkout", *(f"svc{i:02d}" for i in range(39))]

_DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: app
          image: registry.example.com/{name}:1.{tag}
          resources:
            limits:
              memory: {memory}Mi
"""


def _blob(text: str) -> bytes:
    data = text.encode()
    return b"data %d\n" % len(data) + data + b"\n"


def generate(repo: Path, commits: int) -> None:
    """A git repository at ``repo`` with ``commits`` commits on main (plus the initial one)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream = bytearray()
    when = 1_700_000_000
    for i in range(commits + 1):
        stream += b"commit refs/heads/main\n"
        stream += b"committer Bench <bench@example.com> %d +0000\n" % (when + i * 60)
        stream += _blob(f"change {i}")
        if i == 0:
            for n, name in enumerate(_NAMES):
                text = _DEPLOY.format(name=name, replicas=1, tag=0, memory=128 + n)
                stream += b"M 100644 inline base/%s.yaml\n" % name.encode() + _blob(text)
        else:
            name = "checkout" if i % 10 == 0 else _NAMES[1 + i % (len(_NAMES) - 1)]
            text = _DEPLOY.format(name=name, replicas=1 + i % 7, tag=i, memory=128 + i % 5)
            stream += b"M 100644 inline base/%s.yaml\n" % name.encode() + _blob(text)
        stream += b"\n"
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=bytes(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def _time(repo: Path, **kwargs: object) -> tuple[float, int]:
    started = time.perf_counter()
    h = resource_history(repo, "checkout", settings=Settings(), **kwargs)  # type: ignore[arg-type]
    return round(time.perf_counter() - started, 3), len(h.entries)


def run(sizes: tuple[int, ...] = (1_000, 10_000)) -> dict[str, object]:
    """Seconds for ``history checkout`` (all fields, and one field) per history length."""
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            repo = Path(tmp) / f"r{n}"
            started = time.perf_counter()
            generate(repo, n)
            figures[f"generate_{n}_s"] = round(time.perf_counter() - started, 2)
            seconds, entries = _time(repo)
            figures[f"history_{n}_commits_s"] = seconds
            figures[f"history_{n}_entries"] = entries
            seconds, entries = _time(repo, field_path="spec.replicas")
            figures[f"history_{n}_field_s"] = seconds
            figures[f"history_{n}_field_entries"] = entries
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
