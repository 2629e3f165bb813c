"""The CloudEval-YAML suite: its "modify this YAML" problems, read from the shared corpus.

The maintainers ask that the unzipped data never be published, so the archive is read in
memory (or unzipped into a temporary folder by the caller) at run time only; nothing of it is
written into the repository.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from kubesmith.errors import UsageError
from kubesmith.evals.tasks import Expectation, Task

PASSWORD = b"B805ED0EBFD8"  # published by the maintainers (see the corpus NOTICE.md)


def corpus_root() -> Path:
    """``$KUBESMITH_CORPORA`` or ``shared/corpora`` beside the checkout."""
    env = os.environ.get("KUBESMITH_CORPORA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "corpora"


def _problems() -> list[dict[str, object]]:
    archive = corpus_root() / "cloudeval-yaml" / "cloudeval-yaml-data-only.zip"
    if not archive.is_file():
        raise UsageError(
            f"the CloudEval-YAML archive is not at {archive}; set KUBESMITH_CORPORA to the folder "
            "holding cloudeval-yaml/"
        )
    with zipfile.ZipFile(archive) as zf:
        raw = zf.read("problems.jsonl", pwd=PASSWORD).decode("utf-8")
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def _context_yaml(question: str) -> str | None:
    """The YAML a "modify this" question quotes (inside a ``` fence), or None."""
    if "```" not in question:
        return None
    parts = question.split("```")
    body = parts[1]
    if body.startswith(("yaml", "yml")):
        body = body.split("\n", 1)[1] if "\n" in body else ""
    return body.strip("\n") + "\n"


def cloudeval_tasks() -> list[Task]:
    """One task per problem with YAML context (the 120 modify problems of the benchmark)."""
    tasks = []
    for p in _problems():
        if not p.get("has_yaml_context"):
            continue
        question = str(p["question"])
        context = _context_yaml(question)
        if context is None:
            continue
        intent = " ".join(question.split("```", maxsplit=1)[0].split()) or question
        after = question.rsplit("```", maxsplit=1)[-1].strip()
        if after:
            intent = f"{intent} {' '.join(after.split())}"
        tasks.append(
            Task(
                id=f"cloudeval-{p['id']}",
                suite="cloudeval",
                intent=intent[:2000],
                files={"manifest.yaml": context},
                expect=(
                    Expectation(
                        ref=_ref_of(str(p["reference_yaml_labeled"])),
                        kv_match={"reference": p["reference_yaml_labeled"]},
                    ),
                ),
                validators=("schema",),
                offline=False,
                tags=(str(p.get("category", "")),),
            )
        )
    return tasks


def _ref_of(reference: str) -> str:
    import yaml

    for doc in yaml.safe_load_all(reference):
        if isinstance(doc, dict) and doc.get("kind"):
            name = (doc.get("metadata") or {}).get("name", "")
            return f"{doc['kind']}/{name}"
    return "Unknown/unknown"
