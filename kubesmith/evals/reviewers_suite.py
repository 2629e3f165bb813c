"""The ``reviewers`` eval suite: does kubesmith understand reviewers in their own words?

It reads every comment of the shipped corpus (``data/reviewer_comments.yaml``: people's styles,
typos, markdown, numbers as words, comments with no convention and with several) with the
offline reader, or with a model when one is given, and compares the rules read with the rules a
careful human labelled. The corpus was split once (``data/reviewer_split.yaml``) into a part the
reader was developed against and a part it is only measured on; both are reported, the
measured part is the number that counts.

A comment is *right* when the rules read are exactly the labelled ones, parameters included
(nothing missing, nothing extra). Reported per part: recall (convention-bearing comments read
right), false rules (rules read from comments that state no convention) and the misses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from kubesmith.agent.reasons import RULE_PARAMS, ChangeContext, Stated, read_reason


@dataclass(frozen=True)
class Comment:
    """One labelled reviewer comment."""

    id: str
    by: str
    text: str
    change: ChangeContext | None
    expect: tuple[Stated, ...]


def _stated(raw: dict[Any, Any]) -> Stated:
    kind = str(raw["kind"])
    raw = {("on" if k is True else str(k)): v for k, v in raw.items()}  # YAML 1.1: `on` is true
    return Stated(kind, {p: raw.get(p) for p in RULE_PARAMS[kind]})


@lru_cache(maxsize=1)
def corpus() -> tuple[Comment, ...]:
    """The shipped corpus, in file order."""
    data = yaml.safe_load(
        resources.files("kubesmith.evals").joinpath("data/reviewer_comments.yaml").read_text()
    )
    out = []
    for c in data["comments"]:
        ch = c.get("change")
        ctx = ChangeContext(ch["kind"], ch["path"], ch.get("value")) if ch else None
        out.append(
            Comment(c["id"], c["by"], c["text"], ctx, tuple(_stated(e) for e in c["expect"]))
        )
    return tuple(out)


@lru_cache(maxsize=1)
def split() -> dict[str, tuple[str, ...]]:
    """``{"development": ids, "measured": ids}``: the one split of the corpus."""
    data = yaml.safe_load(
        resources.files("kubesmith.evals").joinpath("data/reviewer_split.yaml").read_text()
    )
    return {part: tuple(data[part]) for part in ("development", "measured")}


def part(name: str) -> tuple[Comment, ...]:
    """The comments of one part of the split (``development`` or ``measured``)."""
    ids = set(split()[name])
    return tuple(c for c in corpus() if c.id in ids)


Reader = Callable[[str, Sequence[ChangeContext]], list[Stated]]


def canonical(found: Sequence[Stated]) -> set[str]:
    """Rules as comparable strings (only the compared parameters, in a fixed order)."""
    out = set()
    for s in found:
        keys = RULE_PARAMS.get(s.kind, tuple(sorted(s.params)))
        out.add(s.kind + repr([(k, s.params.get(k)) for k in keys]))
    return out


def score(comments: Sequence[Comment], reader: Reader = read_reason) -> dict[str, Any]:
    """Recall with right parameters, false rules and the misses of ``reader`` on ``comments``."""
    bearing = [c for c in comments if c.expect]
    silent = [c for c in comments if not c.expect]
    right = 0
    misses: list[dict[str, Any]] = []
    false_rules: list[dict[str, Any]] = []
    for c in comments:
        got = canonical(reader(c.text, (c.change,) if c.change else ()))
        want = canonical(c.expect)
        if c.expect and got == want:
            right += 1
        elif c.expect:
            misses.append({"id": c.id, "text": c.text, "missing": sorted(want - got),
                           "extra": sorted(got - want)})  # fmt: skip
        elif got:
            false_rules.append({"id": c.id, "text": c.text, "rules": sorted(got)})
    return {
        "comments": len(comments),
        "with_convention": len(bearing),
        "without_convention": len(silent),
        "right": right,
        "recall": round(right / len(bearing), 3) if bearing else 0.0,
        "false_rule_comments": len(false_rules),
        "misses": misses,
        "false_rules": false_rules,
    }


def suite_reader(planner: str, model: str | None) -> tuple[Reader, str]:
    """The reader ``kubesmith eval --planner`` names: offline, or the model (llm/auto).

    Raises:
        ConfigError: ``--planner llm`` without a model configured.
    """
    if planner == "offline":
        return read_reason, "offline"
    from kubesmith.agent.reasons_model import model_reader
    from kubesmith.config import load_settings
    from kubesmith.errors import ConfigError

    settings = load_settings().merged(**{"llm.model": model})
    reader = model_reader(settings)
    if reader is None:
        if planner == "llm":
            raise ConfigError(
                "the reviewers suite with --planner llm needs --model or KUBESMITH_MODEL"
            )
        return read_reason, "offline"
    return reader, f"model {settings.llm.model}"


def run_reviewers_suite(reader: Reader = read_reason, name: str = "offline") -> dict[str, Any]:
    """Both parts of the split, reported apart; ``measured`` is the honest number."""
    started = time.perf_counter()
    report: dict[str, Any] = {"suite": "reviewers", "reader": name}
    for part_name in ("development", "measured"):
        report[part_name] = score(part(part_name), reader)
    m = report["measured"]
    report.update(
        tasks=m["with_convention"] + m["without_convention"],
        successes=m["right"] + (m["without_convention"] - m["false_rule_comments"]),
        seconds=round(time.perf_counter() - started, 2),
    )
    report["success_rate"] = round(report["successes"] / report["tasks"], 3)
    return report
