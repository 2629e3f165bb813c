"""``SchemaValidator``: Kubernetes API schema validation of manifests, offline, with CRDs.

Used by the agent loop on the resources a proposal changed or added, and by
``kubesmith validate`` on whole repositories (see :mod:`kubesmith.tools.schema.files` for the
file-level fast path). Findings point at the offending node's line through ``Manifest.line_of``.

What is *not* validated, and says so (an ``info`` finding, never an error): Kustomize patch
documents (partial resources by design), kustomization files, and YAML that is not a Kubernetes
object at all (no ``apiVersion`` and no ``kind``). A resource whose kind has no schema (no
built-in, no CRD) is a ``warning`` — never a silent pass.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kubesmith.config import SchemaSettings
from kubesmith.errors import ManifestError, ToolError
from kubesmith.model import Finding, Manifest, format_path
from kubesmith.reading import load_all, read_text
from kubesmith.reading.goyaml import NotJson
from kubesmith.reading.lists import ListItem
from kubesmith.tools.schema.bundle import FORMAT, SchemaSet, ensure_schemas
from kubesmith.tools.schema.crds import CrdSchema, CrdSet, crd_schemas, ensure_crd_schemas, is_crd
from kubesmith.tools.schema.embedded import EmbeddedEngine
from kubesmith.tools.schema.goyaml import wire_object
from kubesmith.tools.schema.kubeconform import DEFAULT_TIMEOUT_S, KubeconformRun, check_documents
from kubesmith.tools.schema.lists import list_items
from kubesmith.tools.schema.located import expanded_size_exceeds
from kubesmith.tools.schema.paths import cache_root
from kubesmith.tools.schema.verdict import (
    NAME,
    RULE_DUPLICATE_KEY,
    RULE_ENGINE,
    RULE_INVALID_DOCUMENT,
    RULE_NO_SCHEMA,
    RULE_SKIPPED,
    Verdict,
    is_kustomization,
)
from kubesmith.tools.schema.verdict_cache import VerdictCache, cache_key


def _plain(value: Any) -> str:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def as_json(obj: dict[str, Any]) -> str:
    """The document as canonical JSON, as kubeconform reads YAML: timestamps are strings.

    YAML's unquoted ``2024-01-01`` is a date to PyYAML but a string to the API server (and to
    kubeconform); both engines must see the same thing, and the cache key must be stable.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_plain)


def _wire_objects(manifests: Sequence[Manifest]) -> list[dict[str, Any] | NotJson]:
    """Each manifest's object as kubectl would send it (YAML read the Go way: see
    :mod:`goyaml`), so both engines judge what the API server would receive."""
    memo: dict[int, dict[str, Any] | NotJson] = {}

    def wire(m: Manifest) -> dict[str, Any] | NotJson:
        if isinstance(m, ListItem):
            parent = wire(m.parent)
            if isinstance(parent, NotJson):
                return parent
            items = parent.get("items")
            item = items[m.index] if isinstance(items, list) and m.index < len(items) else None
            return item if isinstance(item, dict) else m.obj
        if id(m) not in memo:
            try:
                memo[id(m)] = wire_object(m)
            except NotJson as e:
                memo[id(m)] = e
        return memo[id(m)]

    return [wire(m) for m in manifests]


def _finding(m: Manifest, severity: str, message: str, rule: str, path: Any = ()) -> Finding:
    segments = tuple(path)
    return Finding(
        validator=NAME,
        severity=severity,  # type: ignore[arg-type]
        message=message,
        file=m.file,
        line=m.line_of(segments) if segments else m.line,
        ref=ref if (ref := m.ref).kind and ref.name else None,
        path=format_path(segments) if segments else None,
        rule=rule,
    )


class SchemaValidator:
    """Validates manifests against the Kubernetes API schemas and the repository's CRDs.

    Args:
        settings: ``kube_version`` (default: newest shipped), ``strict`` (unknown fields and
            duplicate keys are errors), ``crd_dirs`` (folders of CRD files, relative to ``root``),
            ``engine`` (``auto``: kubeconform when installed, else embedded).
        crds: CustomResourceDefinitions to know about besides those in ``crd_dirs`` — manifests
            (e.g. ``workspace.find(kind="CustomResourceDefinition")``) or plain dicts. CRDs among
            the validated manifests are picked up by themselves.
        root: the repository root ``crd_dirs`` are relative to (default: the current folder).
        cache_dir: the tool cache (default: ``$KUBESMITH_TOOL_CACHE`` or the user cache dir).
        kubeconform: the binary to use (default: the tool cache's, then ``PATH``).
        timeout_s: how long one kubeconform run may take.
    """

    name = NAME

    def __init__(
        self,
        settings: SchemaSettings | None = None,
        crds: Iterable[Manifest | dict[str, Any]] = (),
        root: Path | None = None,
        *,
        cache_dir: Path | None = None,
        kubeconform: Path | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.settings = settings or SchemaSettings()
        self.root = Path(root) if root is not None else Path.cwd()
        self.cache_dir = cache_dir or cache_root()
        self.timeout_s = timeout_s
        self._kubeconform = kubeconform
        self._crds: dict[tuple[str, str, str], CrdSchema] = {}
        for c in crds:
            self.add_crd(c.obj if not isinstance(c, dict) else c)
        for d in self.settings.crd_dirs:
            self._load_crd_dir(self.root / d)
        self._schemas: SchemaSet | None = None
        self._crd_set: CrdSet | None = None
        self._crd_set_for: frozenset[tuple[str, str, str]] | None = None
        self._engine_name: str | None = None
        self._embedded: EmbeddedEngine | None = None
        self.cache = VerdictCache(self.cache_dir / "verdicts.sqlite3")

    # ------------------------------------------------------------------ configuration

    def add_crd(self, obj: dict[str, Any]) -> bool:
        """Learn a CRD's schemas; False when ``obj`` is not a CRD with a schema."""
        if not is_crd(obj):
            return False
        found = crd_schemas(obj)
        for c in found:
            self._crds[(c.group, c.version, c.kind)] = c
        return bool(found)

    def prepare(self, workspace: Any) -> None:
        """Learn every CRD of a loaded workspace (the agent loop calls this per loaded base).

        Proposals validate only the documents they touch; custom resources among them need the
        repository's CRDs, which are usually elsewhere.
        """
        for doc in getattr(workspace, "documents", ()):
            obj = doc.obj
            if is_crd(obj):
                self.add_crd(obj)

    def _load_crd_dir(self, folder: Path) -> None:
        paths = (
            sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
            if folder.is_dir()
            else []
        )
        for p in paths:
            try:  # bounded (kubesmith.reading): a CRD folder is repository content, untrusted
                for obj in load_all(read_text(p, str(p)), str(p)):
                    if isinstance(obj, dict):
                        self.add_crd(obj)
            except (ManifestError, OSError):
                continue

    @property
    def schemas(self) -> SchemaSet:
        """The generated schemas of the configured Kubernetes version (generated on first use)."""
        if self._schemas is None:
            self._schemas = ensure_schemas(self.settings.kube_version, self.cache_dir)
        return self._schemas

    def crd_set(self) -> CrdSet | None:
        """The generated schemas of the CRDs known so far."""
        keys = frozenset(self._crds)
        if keys != self._crd_set_for:
            self._crd_set = ensure_crd_schemas(self._crds.values(), self.schemas)
            self._crd_set_for = keys
        return self._crd_set

    @property
    def engine(self) -> str:
        """``kubeconform`` or ``embedded``: what will (or did) validate."""
        if self._engine_name is None:
            wanted = self.settings.engine
            binary = self.kubeconform_binary() if wanted != "embedded" else None
            if wanted == "kubeconform" and binary is None:
                raise ToolError(
                    "kubeconform is not installed; run `kubesmith tools install kubeconform` "
                    "or set schema.engine to auto/embedded"
                )
            self._engine_name = "kubeconform" if binary is not None else "embedded"
        return self._engine_name

    def kubeconform_binary(self) -> Path | None:
        """The kubeconform to run: the explicit one, the tool cache's, then ``PATH``."""
        if self._kubeconform is None:
            try:
                from kubesmith.tools.binaries.cache import tool_path
            except ImportError:  # pragma: no cover - the tool cache ships with the package
                return None
            self._kubeconform = tool_path("kubeconform")
        return self._kubeconform

    def kubeconform_run(self) -> KubeconformRun:
        """The offline kubeconform invocation for the current schemas and CRDs."""
        binary = self.kubeconform_binary()
        if binary is None:
            raise ToolError("kubeconform is not installed")
        crd_set = self.crd_set()
        locations = (crd_set.location(),) if crd_set else ()
        return KubeconformRun(
            binary=binary,
            locations=(*locations, self.schemas.location(self.settings.strict)),
            strict=self.settings.strict,
            kube_version=self.schemas.version,
            timeout_s=self.timeout_s,
        )

    def context(self) -> str:
        """Everything a verdict depends on besides the document (part of every cache key)."""
        crd_set = self.crd_set()
        crd_part = crd_set.dir.name if crd_set else "-"
        strict = self.settings.strict
        return f"{FORMAT}|{self.engine}|{self.schemas.version}|strict={strict}|{crd_part}"

    # ------------------------------------------------------------------ validation

    def validate(self, manifests: Sequence[Manifest]) -> list[Finding]:
        """Validate ``manifests``; findings are errors, warnings (no schema) and info notes."""
        for m in manifests:
            if is_crd(m.obj):
                self.add_crd(m.obj)
        findings: list[Finding] = []
        todo: list[Manifest] = []
        for m in manifests:
            items = list_items(m)
            if items is not None and not getattr(m, "is_patch", False):
                if expanded_size_exceeds(m.obj):
                    msg = "document expands to too many nodes (a YAML alias bomb?): not validated"
                    findings.append(_finding(m, "error", msg, RULE_INVALID_DOCUMENT))
                    continue
                findings.extend(self._duplicates(m))
                for item in items:
                    if not item.obj:
                        msg = "a List item must be an object"
                        findings.append(_finding(item, "error", msg, RULE_INVALID_DOCUMENT))
                        continue
                    notes, go = self.precheck(item)
                    findings.extend(notes)
                    if go:
                        todo.append(item)
                continue
            notes, go = self.precheck(m)
            findings.extend(notes)
            if go:
                todo.append(m)
        if not todo:
            return findings
        wired: list[Manifest] = []
        objs: list[dict[str, Any]] = []
        for m, obj in zip(todo, _wire_objects(todo), strict=True):
            if isinstance(obj, NotJson):
                msg = f"cannot be sent to the API server as JSON: {obj}"
                findings.append(_finding(m, "error", msg, RULE_INVALID_DOCUMENT))
            else:
                wired.append(m)
                objs.append(obj)
        try:
            verdicts = self._verdicts(objs)
        except ToolError as e:
            return findings + [_finding(m, "error", str(e), RULE_ENGINE) for m in wired]
        for m, verdict in zip(wired, verdicts, strict=True):
            findings.extend(self.findings_for(m, verdict))
        return findings

    def validate_files(self, files: Sequence[tuple[str, Path, bool]]) -> list[Finding]:
        """Validate whole files: (name as findings show it, path on disk, is a Kustomize patch).

        The fast path for repositories: files go to kubeconform as they are, and only those it
        flags are parsed here (see :mod:`kubesmith.tools.schema.files`).
        """
        from kubesmith.tools.schema.files import SourceFile, validate_files

        return validate_files(self, [SourceFile(r, p, patch) for r, p, patch in files])

    def precheck(self, m: Manifest) -> tuple[list[Finding], bool]:
        """What is known before any engine runs: notes, document errors, and whether to go on."""
        obj = m.obj
        if getattr(m, "is_patch", False):
            msg = "Kustomize patch: a partial resource, not validated on its own"
            return [_finding(m, "info", msg, RULE_SKIPPED)], False
        if not obj:
            return [], False  # an empty document
        if is_kustomization(m.file, obj):
            return [_finding(m, "info", "kustomization file: not a resource", RULE_SKIPPED)], False
        has_api, has_kind = bool(obj.get("apiVersion")), bool(obj.get("kind"))
        if not has_api and not has_kind:
            msg = "not a Kubernetes resource (no apiVersion or kind): skipped"
            return [_finding(m, "info", msg, RULE_SKIPPED)], False
        out: list[Finding] = []
        for field in ("apiVersion", "kind"):
            value = obj.get(field)
            if not isinstance(value, str) or not value:
                msg = f"{field} is missing" if not value else f"{field} must be a string"
                where = (field,) if value else ()
                out.append(_finding(m, "error", msg, RULE_INVALID_DOCUMENT, where))
        if out:
            return out, False
        if expanded_size_exceeds(obj):
            msg = "document expands to too many nodes (a YAML alias bomb?): not validated"
            return [_finding(m, "error", msg, RULE_INVALID_DOCUMENT)], False
        return self._duplicates(m), True

    def _duplicates(self, m: Manifest) -> list[Finding]:
        if not self.settings.strict:
            return []
        return [
            Finding(
                validator=NAME,
                severity="error",
                message=f"duplicate key {path!r}: only one of the values would be used",
                file=m.file,
                line=line,
                ref=m.ref,
                path=path,
                rule=RULE_DUPLICATE_KEY,
            )
            for path, line in getattr(m, "duplicate_keys", None) or ()
        ]

    def _verdicts(self, objs: list[dict[str, Any]]) -> list[Verdict]:
        context = self.context()
        texts = [as_json(o) for o in objs]
        keys = [cache_key(context, t) for t in texts]
        cached = self.cache.get_many(keys)
        missing = [i for i, k in enumerate(keys) if k not in cached]
        fresh = self.check([json.loads(texts[i]) for i in missing])
        by_index = dict(zip(missing, fresh, strict=True))
        self.cache.put_many(
            {keys[i]: v.to_json() for i, v in by_index.items() if v.status != "error"}
        )
        return [
            by_index[i] if i in by_index else Verdict.from_json(cached[keys[i]])
            for i in range(len(objs))
        ]

    def check(self, objs: Sequence[dict[str, Any]]) -> list[Verdict]:
        """Run the engine on parsed documents (no cache, no prechecks): one verdict each."""
        if not objs:
            return []
        if self.engine == "kubeconform":
            return check_documents(self.kubeconform_run(), objs)
        if self._embedded is None:
            self._embedded = EmbeddedEngine(self._schema_path)
        return self._embedded.check(objs)

    def _schema_path(self, api_version: str, kind: str) -> Path | None:
        crd_set = self.crd_set()
        strict = self.settings.strict
        if crd_set is not None and (found := crd_set.path_for(api_version, kind, strict)):
            return found
        path = self.schemas.path_for(api_version, kind, strict)
        return path if path.is_file() else None

    def findings_for(self, m: Manifest, verdict: Verdict) -> list[Finding]:
        """The findings an engine verdict means for one manifest (lines through ``line_of``)."""
        if verdict.status == "valid":
            return []
        if verdict.status == "no-schema":
            ref = m.ref
            msg = (
                f"no schema for {ref.api_version} {ref.kind}: not validated "
                "(add its CustomResourceDefinition to the repository or to schema.crd_dirs)"
            )
            return [_finding(m, "warning", msg, RULE_NO_SCHEMA)]
        return [_finding(m, "error", v.message, v.rule, v.path) for v in verdict.violations]
