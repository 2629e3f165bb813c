"""How fast the position-preserving YAML editor parses and edits.

Figures: parsing one generated file of 5,000 Deployment documents, parsing 5,000 small files, and
one edit (a scalar change, a key insertion, an upsert through ``[name=...]``) in a small file and
in the 5,000-document file (an edit re-parses only the document it touches).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kubesmith.workspace.yamledit import YamlFile

DOC = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: team-{t}
  labels:
    app: svc-{i}
    tier: backend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: svc-{i}
  template:
    metadata:
      labels:
        app: svc-{i}
    spec:
      containers:
        - name: web
          image: "registry.example.com/svc-{i}:1.2.3"
          ports:
            - containerPort: 8080
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits:
              memory: 256Mi
          env:
            - name: MODE
              value: "fast"
"""

N = 5000


def _best(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs, in seconds (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def run() -> dict[str, Any]:
    """Measure and return the figures (seconds unless named otherwise)."""
    docs = [DOC.format(i=i, t=i % 20) for i in range(N)]
    big = "---\n".join(docs)
    small = docs[0]

    parse_big = _best(lambda: YamlFile.parse(big, "big.yaml"))
    parse_many = _best(lambda: [YamlFile.parse(d, f"f{i}.yaml") for i, d in enumerate(docs)])

    def edits(text: str, doc: int) -> Callable[[], None]:
        def go() -> None:
            yf = YamlFile.parse(text)
            t0 = time.perf_counter()
            yf.set(doc, "spec.replicas", 3)
            times["scalar"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            yf.set(doc, "metadata.annotations.owner", "shop")
            times["insert"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            yf.set(doc, "spec.template.spec.containers[name=web].env[name=FOO].value", "bar")
            times["upsert"].append(time.perf_counter() - t0)

        return go

    figures: dict[str, Any] = {
        "documents": N,
        "bytes_big_file": len(big),
        "parse_one_file_of_5000_docs_s": round(parse_big, 3),
        "parse_5000_small_files_s": round(parse_many, 3),
        "parse_per_doc_ms": round(parse_big / N * 1000, 3),
    }
    for label, text, doc in (("small_file", small, 0), ("5000_doc_file", big, N // 2)):
        times: dict[str, list[float]] = {"scalar": [], "insert": [], "upsert": []}
        for _ in range(3):
            edits(text, doc)()
        for kind, values in times.items():
            figures[f"edit_{kind}_in_{label}_ms"] = round(min(values) * 1000, 3)
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
