"""Validating whole files fast: what ``kubesmith validate`` runs on a repository.

Parsing every document in Python just to learn that it is valid would cost more than
kubeconform's whole run. So, per file:

1. a file whose exact bytes were validated before (same schemas, strictness, engine) reuses its
   findings from the verdict cache;
2. the remaining files go to kubeconform *as they are*, in a few large batches;
3. only the files kubeconform complains about (and the ones it must not see: Kustomize patches,
   kustomization files) are parsed here, with positions, and validated document by document
   through :meth:`SchemaValidator.validate` — so their findings are exactly the library's, with
   lines, duplicate keys, notes and warnings.

With the embedded engine, step 2 is skipped: every uncached file is parsed and validated.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kubesmith.errors import ManifestError, ManifestRefused, ToolError
from kubesmith.model import Finding, ResourceRef, from_json
from kubesmith.reading import current, decode, name_problem, read_bytes, too_large
from kubesmith.tools.schema.kubeconform import Signature, result_signature
from kubesmith.tools.schema.kubeconform_output import verdict_from_result
from kubesmith.tools.schema.located import LocatedDocument, parse_documents
from kubesmith.tools.schema.verdict import (
    NAME,
    RULE_ENGINE,
    RULE_INVALID_DOCUMENT,
    RULE_SKIPPED,
    is_kustomization,
)
from kubesmith.tools.schema.verdict_cache import Stamp, cache_key

if TYPE_CHECKING:
    # The validator calls this module for whole files (validate_files); at run time only it
    # imports this one, so the two do not form an import cycle.
    from kubesmith.tools.schema.validator import SchemaValidator

_BATCH = 50_000
"""At most this many files per kubeconform process (each process compiles the schemas again)."""
_FILE_FINDINGS = "3"
"""Version of the findings cached per file; bumped when they change (2: a parse error no
longer repeats its file and line; 3: undecodable text and reading limits are errors, not
notes), so no cached verdict shows the old answer."""
_CRD = re.compile(rb"^kind:\s*[\"']?CustomResourceDefinition", re.MULTILINE)


@dataclass(frozen=True)
class SourceFile:
    """A file to validate: its path as findings name it, and where it is on disk."""

    rel: str
    path: Path
    is_patch: bool = False


def _note(file: str, message: str, severity: str = "info", line: int | None = None) -> Finding:
    rule = RULE_SKIPPED if severity == "info" else RULE_INVALID_DOCUMENT
    return Finding(NAME, severity, message, file=file, line=line, rule=rule)  # type: ignore[arg-type]


def _refused(f: SourceFile, e: ManifestError) -> Finding:
    where = f"{e.file}:{e.line}: " if e.line else f"{e.file}: "
    return _note(f.rel, str(e).removeprefix(where), "error", e.line)  # file, line are fields


def _parse(f: SourceFile, raw: bytes, lazy: bool = False) -> list[LocatedDocument] | Finding:
    """The file's documents, or the error finding saying why it cannot be read.

    Undecodable text and files over a reading limit are errors (kubectl may still apply
    them); only YAML that fails to parse *and* looks like a Helm/Go template is a note.
    """
    text = ""
    try:
        text = decode(raw, f.rel).text
        return parse_documents(text, f.rel, f.is_patch, lazy=lazy)
    except ManifestRefused as e:
        return _refused(f, e)
    except ManifestError as e:
        if "{{" in text:
            return _note(f.rel, "a template (Helm/Go), not plain YAML: skipped")
        return _refused(f, e)


def _validate_parsed(
    validator: SchemaValidator,
    files: Sequence[SourceFile],
    contents: dict[str, bytes],
    findings: dict[str, list[Finding]],
) -> None:
    """Parse ``files`` and validate all their documents in one batch (one engine run)."""
    docs: list[LocatedDocument] = []
    for f in files:
        parsed = _parse(f, contents[f.rel])
        if isinstance(parsed, Finding):
            findings[f.rel] = [parsed]
        else:
            findings[f.rel] = []
            docs.extend(parsed)
    for finding in validator.validate(docs):
        findings[finding.file or ""].append(finding)


def _digests(
    validator: SchemaValidator,
    files: Sequence[SourceFile],
    contents: dict[str, bytes],
    findings: dict[str, list[Finding]],
) -> tuple[dict[str, str], list[SourceFile]]:
    """Content hashes of ``files`` (unchanged files by their stamp, unread) and the CRD files."""
    stamps = validator.cache.stamps(str(f.path) for f in files)
    digests: dict[str, str] = {}
    crd_files: list[SourceFile] = []
    fresh: dict[str, Stamp] = {}
    limit = current().max_file_bytes
    for f in files:
        try:
            st = os.stat(f.path)
            if st.st_size > limit:
                findings[f.rel] = [_note(f.rel, too_large(current(), st.st_size), "error", 1)]
                continue
            known = stamps.get(str(f.path))
            if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
                digests[f.rel] = known[2]
                if known[3]:
                    crd_files.append(f)
                continue
            raw = contents[f.rel] = read_bytes(f.path, f.rel)
        except ManifestRefused as e:  # grew past the limit since stat
            findings[f.rel] = [_refused(f, e)]
            continue
        except OSError as e:
            findings[f.rel] = [_note(f.rel, f"cannot read: {e}", "error")]
            continue
        digests[f.rel] = hashlib.sha256(raw).hexdigest()
        is_crd = b"CustomResourceDefinition" in raw and _CRD.search(raw) is not None
        if is_crd:
            crd_files.append(f)
        fresh[str(f.path)] = (st.st_size, st.st_mtime_ns, digests[f.rel], is_crd)
    validator.cache.put_stamps(fresh)
    return digests, crd_files


def _finding_to_json(f: Finding) -> dict[str, Any]:
    """``to_json(f)``'s shape without pydantic: thousands of findings are cached per run."""
    data = dict(f.__dict__)
    if f.ref is not None:
        data["ref"] = dict(f.ref.__dict__)
    return data


def _finding_from_json(data: dict[str, Any]) -> Finding:
    """The inverse of :func:`_finding_to_json`; reads what ``to_json`` wrote too."""
    try:
        ref = data.get("ref")
        return Finding(**{**data, "ref": ResourceRef(**ref) if ref else None})
    except TypeError:  # a shape this version does not know: let the model say what is wrong
        return from_json(Finding, data)


def _content(f: SourceFile, contents: dict[str, bytes]) -> bytes:
    if f.rel not in contents:
        contents[f.rel] = read_bytes(f.path, f.rel)
    return contents[f.rel]


def _unnamed(files: Sequence[SourceFile], findings: dict[str, list[Finding]]) -> list[SourceFile]:
    """``files`` whose names can be used; the others get an error finding (they are never
    skipped silently: their content could be anything)."""
    usable = []
    for f in files:
        problem = name_problem(str(f.path))
        if problem is None:
            usable.append(f)
        else:
            findings[f.rel] = [_note(f.rel, problem, "error", 1)]
    return usable


def validate_files(validator: SchemaValidator, files: Sequence[SourceFile]) -> list[Finding]:
    """Findings for ``files`` (see the module docstring for how the work is split)."""
    contents: dict[str, bytes] = {}
    findings: dict[str, list[Finding]] = {}
    digests, crd_files = _digests(validator, _unnamed(files, findings), contents, findings)
    for f in crd_files:
        try:
            _learn_crds(validator, f, _content(f, contents))
        except (OSError, ManifestError):
            continue
    context = validator.context()
    keys = {
        f.rel: cache_key(
            f"{context}|file{_FILE_FINDINGS}|{f.rel}|patch={f.is_patch}", digests[f.rel]
        )
        for f in files
        if f.rel in digests
    }
    cached = validator.cache.get_many(keys.values())
    todo: list[SourceFile] = []
    for f in files:
        key = keys.get(f.rel)
        if key is None:
            continue
        if key in cached:
            findings[f.rel] = [_finding_from_json(d) for d in cached[key]]
            continue
        try:
            _content(f, contents)
        except ManifestRefused as e:
            findings[f.rel] = [_refused(f, e)]
            continue
        except OSError as e:
            findings[f.rel] = [_note(f.rel, f"cannot read: {e}", "error")]
            continue
        todo.append(f)
    slow = todo
    if validator.engine == "kubeconform":
        flagged = _kubeconform_filter(validator, todo, findings)
        slow = [
            f
            for f in todo
            if f.rel in flagged
            and not _use_results(validator, f, contents[f.rel], flagged[f.rel], findings)
        ]
    _validate_parsed(validator, slow, contents, findings)
    validator.cache.put_many(
        {
            keys[f.rel]: [_finding_to_json(x) for x in findings[f.rel]]
            for f in todo
            if not any(x.rule == RULE_ENGINE for x in findings[f.rel])
        }
    )
    return [x for f in files for x in findings.get(f.rel, [])]


def _use_results(
    validator: SchemaValidator,
    f: SourceFile,
    raw: bytes,
    results: list[dict[str, Any]],
    findings: dict[str, list[Finding]],
) -> bool:
    """Turn kubeconform's own results for ``f`` into findings, when they are plain verdicts.

    True when done. False (look closer: parse and validate document by document) when a result
    is not a schema verdict (duplicate keys, YAML errors, a missing kind...) or cannot be matched
    to exactly one document.
    """
    plain = all(
        r.get("status") == "statusInvalid"
        or str(r.get("msg", "")).startswith("could not find schema")
        for r in results
    )
    if not plain or not results:
        return False
    parsed = _parse(f, raw, lazy=True)
    if isinstance(parsed, Finding):
        return False
    queues: dict[Signature, list[LocatedDocument]] = defaultdict(list)
    for d in parsed:
        name = d.scalar("metadata", "name")
        queues[(d.scalar("apiVersion"), d.scalar("kind"), name)].append(d)
    out: list[Finding] = []
    try:
        for r in results:
            queue = queues.get(result_signature(r))
            if not queue:
                return False
            doc = queue.pop(0)
            notes, go = validator.precheck(doc)  # e.g. a Kustomization kind: a note, not a warning
            out.extend(notes)
            if go:
                out.extend(validator.findings_for(doc, verdict_from_result(r, doc.node)))
    except yaml.YAMLError:
        return False
    findings[f.rel] = out
    return True


def _kubeconform_filter(
    validator: SchemaValidator, todo: list[SourceFile], findings: dict[str, list[Finding]]
) -> dict[str, list[dict[str, Any]]]:
    """Run kubeconform on the plain files; return the files to look at closer, with results."""
    direct = [f for f in todo if not f.is_patch and not is_kustomization(f.rel, {})]
    direct_rels = {f.rel for f in direct}
    flagged: dict[str, list[dict[str, Any]]] = {f.rel: [] for f in todo if f.rel not in direct_rels}
    by_path = {str(f.path): f for f in direct}
    run = validator.kubeconform_run()
    for batch in _batches(direct):
        try:
            results = run.run([str(f.path) for f in batch])
        except ToolError as e:
            for f in batch:
                findings[f.rel] = [Finding(NAME, "error", str(e), file=f.rel, rule=RULE_ENGINE)]
            continue
        for f in batch:
            findings[f.rel] = []
        for r in results:
            owner = by_path.get(str(r.get("filename", "")))
            if owner is None:  # a result we cannot place: look at the whole batch closely
                flagged.update((f.rel, [{}]) for f in batch if f.rel not in flagged)
            else:
                flagged.setdefault(owner.rel, []).append(r)
    return flagged


def _batches(files: list[SourceFile]) -> list[list[SourceFile]]:
    """``files`` in as few command lines as the system's argument limit allows."""
    try:
        arg_max = os.sysconf("SC_ARG_MAX")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): its 32K characters
        arg_max = 32_000
    environment = sum(len(k) + len(v) + 2 for k, v in os.environ.items())
    budget = max(16_000, arg_max // 2 - environment)
    out: list[list[SourceFile]] = []
    size = budget
    for f in files:
        cost = len(os.fsencode(f.path)) + 9  # the string, its terminator and its pointer
        if size + cost > budget or len(out[-1]) >= _BATCH:
            out.append([])
            size = 0
        out[-1].append(f)
        size += cost
    return out


def _learn_crds(validator: SchemaValidator, f: SourceFile, raw: bytes) -> None:
    try:
        docs = parse_documents(decode(raw, f.rel).text, f.rel)
    except ManifestError:
        return
    for d in docs:
        validator.add_crd(d.obj)
