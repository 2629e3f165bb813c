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

import yaml

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


def _blocks(question: str) -> list[str]:
    """The fenced blocks of a question, without a leading language tag (``yaml``)."""
    out = []
    for body in question.split("```")[1::2]:
        first, _, rest = body.partition("\n")
        text = rest if first.strip().isalpha() else body  # a tag: yaml, yml, json, bash...
        out.append(text.strip("\n") + "\n")
    return out


def _keys(text: str) -> set[tuple[str, str]] | None:
    """(kind, name) of each object in ``text``; None when it does not parse as YAML."""
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return None
    return {
        (str(d["kind"]), str((d.get("metadata") or {}).get("name", "")))
        for d in docs
        if isinstance(d, dict) and d.get("kind") and isinstance(d.get("metadata") or {}, dict)
    }


def _looks_like_manifest(block: str) -> bool:
    keys = _keys(block)
    return bool(keys) or (keys is None and "apiVersion:" in block and "kind:" in block)


def context_blocks(question: str, reference: str) -> list[int]:
    """Which fenced blocks hold the YAML to modify (their indexes), in question order.

    Every block that looks like a manifest (it parses to objects, or is a broken manifest the
    question asks to fix) and shares an object (kind and name) with the reference; when none
    shares one, the first that looks like a manifest. Other blocks (a script, a command, a
    fragment without a kind) are information and stay in the intent.
    """
    wanted = _keys(reference) or set()
    blocks = _blocks(question)
    manifests = [n for n, b in enumerate(blocks) if _looks_like_manifest(b)]
    shared = [n for n in manifests if (_keys(blocks[n]) or set()) & wanted]
    return shared or manifests[:1]


def _intent(question: str, chosen: list[int]) -> str:
    """The question as one line, each chosen block replaced by a pointer to the file."""
    parts = question.split("```")
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(part)
        elif (i - 1) // 2 in chosen:
            out.append(" (see manifest.yaml) ")
        else:
            out.append(f"```{part}```")
    return " ".join("".join(out).split())


def is_modify_problem(problem: dict[str, object]) -> bool:
    """The benchmark's "modify this YAML" problems: Kubernetes ones whose question quotes YAML.

    ``has_yaml_context`` marks the problems that give YAML to start from (147 of 337);
    26 of them are Envoy and 1 Istio configurations, which are not Kubernetes manifests,
    leaving the 120 Kubernetes problems.
    """
    return problem.get("lib") == "Kubernetes" and bool(problem.get("has_yaml_context"))


def problem_task(p: dict[str, object]) -> Task:
    """The eval task for one CloudEval problem."""
    question = str(p["question"])
    reference = str(p["reference_yaml_labeled"])
    chosen = context_blocks(question, reference)
    blocks = _blocks(question)
    files = {"manifest.yaml": "---\n".join(blocks[n] for n in chosen)} if chosen else {}
    return Task(
        id=f"cloudeval-{p['id']}",
        suite="cloudeval",
        intent=_intent(question, chosen)[:2000],
        files=files,
        expect=(Expectation(ref=_ref_of(reference), kv_match={"reference": reference}),),
        validators=("schema",),
        offline=False,
        tags=(str(p.get("category", "")),),
    )


def cloudeval_tasks() -> list[Task]:
    """One task per modify problem (:func:`is_modify_problem`): 120 in the published data."""
    return [problem_task(p) for p in _problems() if is_modify_problem(p)]


def _ref_of(reference: str) -> str:
    """``Kind/name`` of the reference's first object (shown in reports)."""
    for doc in yaml.safe_load_all(reference):
        if isinstance(doc, dict) and doc.get("kind"):
            return f"{doc['kind']}/{(doc.get('metadata') or {}).get('name', '')}"
    return "Unknown/unknown"
