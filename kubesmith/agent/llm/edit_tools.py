"""The model's tools: typed edit operations and read-only views of the workspace.

Every argument set is a pydantic model (the JSON schema the model sees is generated from it), and
every call is checked in code before it counts: arguments that do not validate, paths the
:class:`~kubesmith.agent.llm.safety.PathGuard` refuses, resources that do not exist and edits the
workspace cannot apply all come back to the model as ``ERROR:`` results. There is no tool that
runs commands or reads files outside the loaded manifests.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesmith.agent.llm.context import RepoView, trim
from kubesmith.agent.llm.safety import PathGuard, Redactor, delimit
from kubesmith.errors import EditRejected, UsageError
from kubesmith.model import (
    AddResource,
    ChangeSet,
    DeleteResource,
    Edit,
    MergePatch,
    RemoveField,
    ResourceRef,
    SetField,
    parse_path,
)
from kubesmith.workspace import Document, Workspace


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Args):
    """Which resource an edit or a read is about."""

    kind: str = Field(description="The resource kind, e.g. Deployment.")
    name: str = Field(description="metadata.name of the resource.")
    namespace: str | None = Field(None, description="Only when several resources share the name.")
    file: str | None = Field(
        None, description="Repository path; give it to pick an overlay's patch file."
    )


class SetFieldArgs(Target):
    """Set one field (missing parents are created)."""

    path: str = Field(description="Field path, e.g. spec.template.spec.containers[name=web].image")
    value: Any = Field(description="The new value (any JSON value).")


class RemoveFieldArgs(Target):
    """Remove one key or list item."""

    path: str = Field(description="Field path of the key or list item to remove.")


class MergePatchArgs(Target):
    """Apply an RFC 7386 JSON merge patch (null deletes a key; lists are replaced whole)."""

    patch: dict[str, Any] = Field(description="The merge patch.")


class AddResourceArgs(_Args):
    """Add a new resource as a new document in a manifest file (created when missing)."""

    file: str = Field(description="Repository path of the manifest file.")
    manifest: dict[str, Any] = Field(description="The complete resource.")


class DeleteResourceArgs(Target):
    """Delete a resource's document from its file."""


class FinishArgs(_Args):
    """Your edits are complete: they go to validation."""

    rationale: str = Field(description="Why these edits carry out the request, for the reviewer.")


class AnswerArgs(_Args):
    """Make no change: ask a clarifying question, or say why the request cannot be done."""

    message: str = Field(description="The question or the reason.")


class ListResourcesArgs(_Args):
    """List resources (kind, name, namespace, file), optionally filtered."""

    kind: str | None = None
    namespace: str | None = None
    name_contains: str | None = None
    limit: int = Field(50, ge=1, le=200)


class GetResourceArgs(Target):
    """The YAML text of one resource as written in the repository."""


class SearchArgs(_Args):
    """Lines of the manifests containing a text (case-insensitive)."""

    text: str = Field(min_length=2, description="The text to look for.")
    limit: int = Field(30, ge=1, le=100)


TOOLS: dict[str, type[_Args]] = {
    "list_resources": ListResourcesArgs,
    "get_resource": GetResourceArgs,
    "search": SearchArgs,
    "set_field": SetFieldArgs,
    "remove_field": RemoveFieldArgs,
    "merge_patch": MergePatchArgs,
    "add_resource": AddResourceArgs,
    "delete_resource": DeleteResourceArgs,
    "finish": FinishArgs,
    "answer": AnswerArgs,
}
READ_TOOLS = frozenset({"list_resources", "get_resource", "search"})
"""Their results are repository text, so they come back fenced as untrusted data."""
EDIT_TOOLS = frozenset(
    {"set_field", "remove_field", "merge_patch", "add_resource", "delete_resource"}
)


def _strip_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def tool_specs() -> list[dict[str, Any]]:
    """The tools in the OpenAI function format, which ``bind_tools`` of every provider accepts."""
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": " ".join((model.__doc__ or "").split()),
                "parameters": _strip_titles(model.model_json_schema()),
            },
        }
        for name, model in TOOLS.items()
    ]


@dataclass
class ToolBox:
    """Runs the model's tool calls against one workspace and collects the edits.

    Attributes:
        ws: the workspace (edits are trial-applied and undone; nothing is written).
        view: the redacted view the read-only tools answer from.
        guard: decides which files may be edited.
        redactor: restores placeholders in edit values.
        intent: the change request, for trial change sets.
        edits: edits accepted so far, in order.
        finished: set by ``finish`` or ``answer``.
        rationale: ``finish``'s rationale.
        questions: ``answer``'s message.
    """

    ws: Workspace
    view: RepoView
    guard: PathGuard
    redactor: Redactor
    intent: str
    edits: list[Edit] = field(default_factory=list)
    finished: bool = False
    rationale: str = ""
    questions: list[str] = field(default_factory=list)
    errors: int = 0
    _files: set[str] = field(default_factory=set)

    def call(self, name: str, args: Any) -> str:
        """Run one tool call and return its result text (``ERROR: ...`` when refused)."""
        schema = TOOLS.get(name)
        if schema is None:
            return self._error(f"there is no tool {name!r}; the tools are: {', '.join(TOOLS)}")
        try:
            parsed = schema.model_validate(args if isinstance(args, dict) else {})
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in err['loc']) or '(arguments)'}: {err['msg']}"
                for err in e.errors()
            )
            return self._error(f"invalid arguments for {name}: {problems}")
        try:
            result = getattr(self, f"_{name}")(parsed)
        except (EditRejected, UsageError) as e:
            return self._error(self.redactor.text(str(e)))
        text = trim(str(result), self.view.budget.result_chars)
        return delimit(text, name) if name in READ_TOOLS else text

    def _error(self, message: str) -> str:
        self.errors += 1
        return f"ERROR: {message}"

    # ------------------------------------------------------------------ read-only

    def _list_resources(self, a: ListResourcesArgs) -> str:
        docs = self.ws.find(kind=a.kind, namespace=a.namespace, patches=True)
        if a.name_contains:
            docs = [d for d in docs if a.name_contains.lower() in d.ref.name.lower()]
        lines = [self.view.describe(d) for d in docs[: a.limit]]
        if len(docs) > a.limit:
            lines.append(f"… {len(docs) - a.limit} more; filter by kind, namespace or name")
        return self.view.redactor.text("\n".join(lines) or "no resource matches")

    def _get_resource(self, a: GetResourceArgs) -> str:
        doc = self._resolve(a, edit=False)  # reading any loaded document is harmless
        return f"# {self.view.describe(doc)}\n{self.view.text(doc)}"

    def _search(self, a: SearchArgs) -> str:
        needle = a.text.lower()
        hits: list[str] = []
        total = 0
        for path in sorted({d.file for d in self.ws.documents} | set(self.view.kustomizations)):
            text = self.view.file_text(path)
            for no, line in enumerate(text.splitlines(), 1):
                if needle in line.lower():
                    total += 1
                    if len(hits) < a.limit:
                        hits.append(f"{path}:{no}: {line.strip()[:200]}")
        if total > len(hits):
            hits.append(f"… {total - len(hits)} more matches")
        return "\n".join(hits) or f"no line contains {a.text!r}"

    # ------------------------------------------------------------------ edits

    def _resolve(self, t: Target, *, edit: bool = True) -> Document:
        """The document ``t`` names; for an edit, its file must pass the path guard too."""
        file = (self.guard.check(t.file) if edit else t.file) if t.file else None
        ref = ResourceRef("", t.kind, t.name, t.namespace)
        try:
            return self.ws.get(ref, file)
        except EditRejected as e:
            near = self.ws.find(name=t.name, patches=True) or [
                d for d in self.ws.find(kind=t.kind) if _close(d.ref.name, t.name)
            ]
            hint = "; did you mean: " + ", ".join(self.view.describe(d) for d in near[:5])
            raise EditRejected(f"{e}{hint if near else ''}") from e

    def _edit(self, edit: Edit, file: str) -> str:
        """Record ``edit`` if the edits so far plus it apply cleanly; ``file`` is where it lands."""
        files = {*self._files, file}
        changes = self._trial(files).apply(ChangeSet(self.intent, (*self.edits, edit)))
        self._files.add(file)
        self.edits.append(edit)
        mine = [c for c in changes if c.ref == edit.ref] or changes[-1:]
        done = "; ".join(
            f"{c.operation} {c.path or ''} in {c.file}".replace("  ", " ") for c in mine
        )
        return f"OK: edit #{len(self.edits)} recorded ({done or 'no change: already so'})"

    def _trial(self, files: set[str]) -> Workspace:
        """A workspace holding only ``files`` and the kustomizations, to trial edits cheaply.

        Applying to the full workspace would re-index every document for each tool call; the
        edits only read and write their own files (refs were resolved against the full
        workspace already), so a small copy gives the same verdict in a fraction of the time.
        """
        keep = files | {k.file for k in self.ws.kustomizations}
        trial = Workspace(self.ws.root, self.ws.source, self.ws.settings)
        trial.files = {p: yf for p, yf in self.ws.files.items() if p in keep}
        trial.original = {p: t for p, t in self.ws.original.items() if p in keep}
        trial._index()
        return trial

    def _target(self, a: Target) -> tuple[ResourceRef, str | None, str]:
        doc = self._resolve(a)
        self.guard.check(doc.file)
        return doc.ref, (doc.file if a.file else None), doc.file

    def _set_field(self, a: SetFieldArgs) -> str:
        parse_path(a.path)
        ref, file, where = self._target(a)
        return self._edit(SetField(ref, a.path, self.redactor.restore(a.value), file), where)

    def _remove_field(self, a: RemoveFieldArgs) -> str:
        parse_path(a.path)
        ref, file, where = self._target(a)
        return self._edit(RemoveField(ref, a.path, file), where)

    def _merge_patch(self, a: MergePatchArgs) -> str:
        ref, file, where = self._target(a)
        return self._edit(MergePatch(ref, self.redactor.restore(a.patch), file), where)

    def _add_resource(self, a: AddResourceArgs) -> str:
        file = self.guard.check(a.file)
        m = a.manifest
        if not (m.get("apiVersion") and m.get("kind") and (m.get("metadata") or {}).get("name")):
            raise EditRejected("a new resource needs apiVersion, kind and metadata.name")
        return self._edit(AddResource(file, self.redactor.restore(m)), file)

    def _delete_resource(self, a: DeleteResourceArgs) -> str:
        ref, file, where = self._target(a)
        return self._edit(DeleteResource(ref, file), where)

    def _finish(self, a: FinishArgs) -> str:
        self.finished = True
        self.rationale = a.rationale
        return f"OK: {len(self.edits)} edit(s) go to validation"

    def _answer(self, a: AnswerArgs) -> str:
        self.finished = True
        self.questions.append(a.message)
        return "OK: no change will be made"


def _close(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a in b or b in a or difflib.SequenceMatcher(None, a, b).ratio() >= 0.75


def describe_edits(edits: list[Edit] | tuple[Edit, ...], redactor: Redactor) -> str:
    """Edits as JSON lines, secrets redacted: how previous edits appear in a repair request."""
    from kubesmith.model import to_json

    lines = []
    for e in edits:
        data = to_json(e)
        lines.append(redactor.text(json.dumps(_redact_values(data, redactor), sort_keys=True)))
    return "\n".join(lines) or "(none)"


def _redact_values(data: Any, redactor: Redactor) -> Any:
    if isinstance(data, str):
        return redactor.by_value.get(data, data)
    if isinstance(data, dict):
        return {k: _redact_values(v, redactor) for k, v in data.items()}
    if isinstance(data, list):
        return [_redact_values(v, redactor) for v in data]
    return data
