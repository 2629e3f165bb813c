"""Replay mode: eval tasks planned by recorded model turns instead of a hosted model.

No model is reachable where kubesmith is developed and tested, yet the LLM path of the harness
(prompt, tool calling, edit checks, validation, repair, scoring) must be measurable. In replay
mode every task gets its own scripted OpenAI-compatible server on 127.0.0.1
(:mod:`kubesmith.testing.openai_server`) and the LLM planner talks to it through the real openai
client and langchain-openai code. What the server answers comes from one of:

* ``scripts`` — hand-written turns per task id, shipped in ``kubesmith/evals/scripts/``;
* a folder of such ``<task-id>.yaml`` files of your own;
* ``oracle`` — for tasks scored against a reference (CloudEval), turns computed from the
  reference answer: the edits that turn the fixture into the reference, made through the tools.

None of these is a model. A replayed score measures the harness and the loop (are correct edits
applied, validated and scored as correct?), never a model's skill; reports label it so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from kubesmith.errors import UsageError
from kubesmith.evals.tasks import Task
from kubesmith.testing.openai_server import Reply, ScriptedOpenAI, Step, refusal, text, tool_calls

if TYPE_CHECKING:
    from kubesmith.agent.planner import Planner
    from kubesmith.config import Settings

ORACLE_NOTE = "oracle: the reference answer written through the tools (not a model score)"


class Turn(BaseModel):
    """One scripted assistant turn: tool calls, a refusal, or plain text.

    ``tool_calls`` is a list of one-key mappings, ``{tool_name: arguments}``, in the order the
    model would send them. ``usage`` (prompt, completion tokens) is estimated when omitted.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool_calls: tuple[dict[str, dict[str, Any]], ...] = ()
    refusal: str | None = None
    content: str | None = None
    usage: tuple[int, int] | None = None

    @field_validator("tool_calls")
    @classmethod
    def _one_tool_per_item(
        cls, v: tuple[dict[str, dict[str, Any]], ...]
    ) -> tuple[dict[str, dict[str, Any]], ...]:
        for call in v:
            if len(call) != 1:
                raise ValueError(f"each tool call is one {{name: arguments}} mapping, got {call}")
        return v


class Script(BaseModel):
    """A task's replay script (one YAML file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str
    note: str = ""
    turns: tuple[Turn, ...]


def load_script(path: Path) -> Script:
    """Read and check one script file."""
    try:
        return Script.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise UsageError(f"invalid replay script {path}: {e}") from e


def _tokens(value: Any) -> int:
    return (len(json.dumps(value, default=str)) + 3) // 4


def _step(turn: Turn) -> Step:
    """The server step for ``turn``; usage defaults to an estimate from what was sent."""

    def reply(request: dict[str, Any]) -> Reply:
        sent = _tokens([request.get("messages"), request.get("tools")])
        if turn.refusal is not None:
            return refusal(turn.refusal, usage=turn.usage or (sent, _tokens(turn.refusal)))
        if turn.content is not None and not turn.tool_calls:
            return text(turn.content, usage=turn.usage or (sent, _tokens(turn.content)))
        calls = [next(iter(c.items())) for c in turn.tool_calls]
        return tool_calls(*calls, usage=turn.usage or (sent, _tokens(calls)))

    return reply


@dataclass(frozen=True)
class ReplaySource:
    """Where replayed turns come from: ``scripts``, ``oracle``, or a folder of scripts."""

    kind: str
    folder: Path | None = None

    @classmethod
    def parse(cls, spec: str) -> ReplaySource:
        """``scripts``, ``oracle`` or a folder path (as given to ``--replay``)."""
        if spec in ("scripts", "oracle"):
            return cls(spec)
        folder = Path(spec)
        if not folder.is_dir():
            raise UsageError(
                f"--replay {spec}: not a folder of <task-id>.yaml scripts, nor 'scripts' or "
                "'oracle'"
            )
        return cls("dir", folder.resolve())  # workers may run elsewhere: an absolute path

    @property
    def label(self) -> str:
        """How results and reports name this source; also what :meth:`parse` reads back."""
        return str(self.folder) if self.kind == "dir" else self.kind

    def turns_for(self, task: Task) -> tuple[Turn, ...] | None:
        """The task's turns, or None when this source has none for it."""
        if self.kind == "oracle":
            return oracle_turns(task)
        if self.kind == "dir":
            assert self.folder is not None
            path = self.folder / f"{task.id}.yaml"
            return load_script(path).turns if path.is_file() else None
        entry = resources.files("kubesmith.evals").joinpath("scripts", f"{task.id}.yaml")
        if not entry.is_file():
            return None
        with resources.as_file(entry) as path:
            return load_script(path).turns


def _answer(message: str) -> Callable[[dict[str, Any]], Reply]:
    def reply(request: dict[str, Any]) -> Reply:
        return tool_calls(("answer", {"message": message}), usage=(_tokens(request), 10))

    return reply


@contextmanager
def replay_server(task: Task, source: ReplaySource) -> Iterator[ScriptedOpenAI]:
    """A running scripted server for ``task``.

    Once a script's turns are used up (or when there are none) it answers with the ``answer``
    tool, so planning ends at once with that message; the oracle starts its turns again.
    """
    turns = source.turns_for(task)
    if turns is None:
        message = f"replay ({source.label}) has no recorded turns for task {task.id}"
    else:
        message = f"replay ({source.label}): the recorded turns for task {task.id} are used up"
    steps = [_step(t) for t in turns or ()]
    server = ScriptedOpenAI(steps, when_exhausted=_answer(message))
    if source.kind == "oracle" and steps:

        def again(request: dict[str, Any]) -> Reply:
            # The oracle knows one answer: asked to repair, it gives it again, and the loop
            # stops because the edits did not change.
            server.replies.extend(steps[1:])
            first = steps[0]
            return first if isinstance(first, Reply) else first(request)

        server.when_exhausted = again
    with server.running():
        yield server


def replay_planner(kind: str, settings: Settings, base_url: str) -> Planner:
    """The ``llm`` or ``auto`` planner, its model the OpenAI client pointed at ``base_url``.

    The client is built here rather than from settings so that no configured API key is ever
    sent, not even to the loopback server, and so that a failure is not retried.
    """
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    from kubesmith.agent.llm import AutoPlanner, LLMPlanner
    from kubesmith.agent.offline import OfflinePlanner

    llm_settings = settings.llm.model_copy(update={"model": "openai:replay", "base_url": base_url})

    def llm() -> Planner:
        model = ChatOpenAI(
            model="replay",
            base_url=base_url,
            api_key=SecretStr("replay-no-key"),
            temperature=0.0,
            max_retries=0,
            timeout=60,
        )
        return LLMPlanner(llm_settings, model=model, tool_calling="tools")

    if kind == "llm":
        return llm()
    if kind == "auto":
        return AutoPlanner(OfflinePlanner(), llm)
    raise UsageError(f"replay needs the llm or auto planner, not {kind!r}")


# ------------------------------------------------------------------------------- the oracle


def _key(doc: dict[str, Any]) -> tuple[str, str, str] | None:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    kind, name = doc.get("kind"), (meta or {}).get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        return None
    return kind, str((meta or {}).get("namespace") or ""), name


def merge_patch_between(old: Any, new: Any) -> Any:
    """An RFC 7386 merge patch turning ``old`` into ``new`` (lists are replaced whole).

    A key whose new value is null cannot be expressed (null deletes); it is deleted.
    """
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: dict[str, Any] = {k: None for k in old if k not in new}
    for k, v in new.items():
        if k not in old:
            patch[k] = v
        elif old[k] != v:
            patch[k] = merge_patch_between(old[k], v) if isinstance(v, dict) else v
    return patch


def _documents(text_: str) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(text_) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def _target(key: tuple[str, str, str], file: str) -> dict[str, Any]:
    kind, namespace, name = key
    return {
        "kind": kind,
        "name": name,
        "file": file,
        **({"namespace": namespace} if namespace else {}),
    }


def oracle_turns(task: Task) -> tuple[Turn, ...] | None:
    """Tool calls that turn the task's fixture into its reference answer (CloudEval tasks).

    Documents are paired by kind, namespace and name: a paired document gets the merge patch
    between the two, a reference document without a pair is added, a fixture document the
    reference lacks is deleted. What the tools cannot express (a document without kind or name,
    a file that does not parse) stays as it is, and the score shows it.
    """
    references = [e.kv_match["reference"] for e in task.expect if e.kv_match]
    if not references:
        return None
    wanted = _documents(str(references[0]))
    existing = [(f, d) for f, body in sorted(task.files.items()) for d in _documents(body)]
    target_file = next(iter(sorted(task.files)), "manifest.yaml")
    calls: list[dict[str, dict[str, Any]]] = []
    paired: set[int] = set()
    for doc in wanted:
        key = _key(doc)
        hit = next(
            (i for i, (_, d) in enumerate(existing) if i not in paired and key and _key(d) == key),
            None,
        )
        if hit is None or key is None:
            calls.append({"add_resource": {"file": target_file, "manifest": doc}})
            continue
        paired.add(hit)
        file, old = existing[hit]
        patch = merge_patch_between(old, doc)
        if patch:
            calls.append({"merge_patch": {**_target(key, file), "patch": patch}})
    for i, (file, d) in enumerate(existing):
        key = _key(d)
        if i not in paired and key is not None:
            calls.append({"delete_resource": _target(key, file)})
    calls = json.loads(json.dumps(calls, default=str))  # YAML dates and the like as text
    if not calls:
        return (Turn(tool_calls=({"answer": {"message": f"{ORACLE_NOTE}: nothing to change"}},)),)
    return (
        Turn(tool_calls=tuple(calls)),
        Turn(tool_calls=({"finish": {"rationale": ORACLE_NOTE}},)),
    )
