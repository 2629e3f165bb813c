"""Read reviewers' conventions with a language model, through one typed tool.

With a model configured, a rejection reason is sent with the rejected change to the model, which
must answer by calling ``report_conventions`` (a pydantic schema: the convention kinds and their
parameters). The answer is validated twice: by pydantic (shape) and by kubesmith's own
convention rules (a field predicate must be a valid :class:`FieldPredicate`, a label needs a
key, ...); an invalid convention is dropped, not repaired. When the model is unreachable,
refuses, or answers without the tool, the offline reader (:mod:`kubesmith.agent.reasons`) reads
the reason instead.

What the model reads is only evidence: its conventions become candidate rules exactly as the
offline reader's do, and nothing is enforced until a human approves it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from kubesmith.agent.predicates import FieldPredicate
from kubesmith.agent.reasons import RULE_PARAMS, ChangeContext, Stated, read_reason

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from kubesmith.config import Settings

log = logging.getLogger(__name__)

# the keys of reasons.RULE_PARAMS, spelled out for the tool schema (pydantic needs a Literal)
Kind = Literal[
    "required_label",
    "required_annotation",
    "memory_limit_equals_request",
    "forbidden_registry",
    "min_replicas",
    "no_latest_tag",
    "image_pull_policy",
    "pdb_required",
    "field_predicate",
]


class Convention(BaseModel):
    """One convention the comment states (fill only the fields its kind uses)."""

    kind: Kind
    key: str | None = Field(None, description="label or annotation key")
    value: Any = Field(None, description="label/annotation value, or the predicate's value")
    registry: str | None = Field(None, description="forbidden registry host")
    replacement: str | None = Field(None, description="registry to use instead")
    n: int | None = Field(None, ge=1, description="minimum replicas")
    policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    on: Literal["containers", "pod", "object"] | None = None
    path: str | None = None
    op: Literal["present", "forbidden", "equals", "one_of", "matches", "gte", "lte"] | None = None
    kinds: list[str] | None = Field(None, description="object kinds, for on=object only")


class report_conventions(BaseModel):
    """Report the team conventions the review comment states (an empty list if none)."""

    conventions: list[Convention]


_REQUIRED = {"required_label": "key", "required_annotation": "key",
             "forbidden_registry": "registry", "min_replicas": "n",
             "image_pull_policy": "policy"}  # fmt: skip


def to_stated(c: Convention) -> Stated | None:
    """The convention as the reader's result, or None when its parameters do not hold up."""
    params = {p: getattr(c, p) for p in RULE_PARAMS[c.kind]}
    needed = _REQUIRED.get(c.kind)
    if needed and params.get(needed) in (None, ""):
        return None
    if c.kind in ("required_label", "required_annotation") and params["value"] is not None:
        params["value"] = str(params["value"])
    if c.kind == "field_predicate":
        try:
            FieldPredicate(str(c.on), str(c.path), str(c.op), c.value, tuple(c.kinds or ()))
        except ValueError:
            return None
        if c.on == "object":
            params["kinds"] = list(c.kinds or ())
    return Stated(c.kind, params)


class ModelReader:
    """A reason reader backed by a chat model; falls back to the offline reader.

    Attributes:
        fallbacks: how many reasons the offline reader read because the model could not.
    """

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model.bind_tools([report_conventions], tool_choice="report_conventions")
        self.fallbacks = 0

    def __call__(self, text: str, changes: Sequence[ChangeContext] = ()) -> list[Stated]:
        """Conventions in ``text`` (the reader interface of :func:`kubesmith.agent.reasons`)."""
        try:
            return self._read(text, changes)
        except Exception as e:  # any model failure: the offline reader still reads the words
            log.info("model reader failed (%s); reading offline", e)
            self.fallbacks += 1
            return read_reason(text, changes)

    def _read(self, text: str, changes: Sequence[ChangeContext]) -> list[Stated]:
        from langchain_core.messages import HumanMessage

        from kubesmith.agent.llm.chat import invoke
        from kubesmith.agent.llm.safety import delimit
        from kubesmith.prompts import render_prompt

        change = "\n".join(
            f"- {c.kind} {c.path} = {json.dumps(c.value, default=str)}" for c in changes
        )
        prompt = render_prompt(
            "read_reason",
            change=change or "(not known)",
            comment=delimit(text, "review comment"),
        )
        reply = invoke(self.model, [HumanMessage(prompt)], attempts=2, backoff_s=0.5)
        calls = [c for c in reply.tool_calls if c["name"] == "report_conventions"]
        if not calls:
            raise ValueError("the model answered without calling report_conventions")
        try:
            report = report_conventions.model_validate(calls[0]["args"])
        except ValidationError as e:
            raise ValueError(f"the model's conventions do not fit the schema: {e}") from e
        out: list[Stated] = []
        for c in report.conventions:
            stated = to_stated(c)
            if stated is not None and stated not in out:
                out.append(stated)
        return out


def model_reader(settings: Settings) -> ModelReader | None:
    """A :class:`ModelReader` for the configured model, or None when no model is configured.

    Raises:
        ConfigError: a model is named but cannot be built (no key, missing extra).
    """
    if not settings.llm.model:
        return None
    from kubesmith.agent.llm.chat import build_chat_model

    return ModelReader(build_chat_model(settings.llm))
