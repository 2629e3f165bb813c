"""Running validators: whole files where a validator can take them, parsed documents otherwise,
and rendered objects with every finding moved to the line a person edits."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kubesmith.agent.validation.rendered import RenderedManifest
from kubesmith.errors import ManifestError
from kubesmith.model import Finding, Manifest, PathSegment, ResourceRef
from kubesmith.tools.validator import ReportsLiveDiffs, ValidatesFiles, Validator


@dataclass(frozen=True)
class Deployed:
    """A document as written, in the namespace its kustomizations deploy it to (implements
    ``model.Manifest``): policies judge a base resource where it runs, not in ``default``."""

    doc: Manifest
    namespace: str

    @property
    def file(self) -> str:
        """The document's file."""
        return self.doc.file

    @property
    def obj(self) -> dict[str, Any]:
        """The document as written."""
        return self.doc.obj

    @property
    def line(self) -> int:
        """The document's first line."""
        return self.doc.line

    @property
    def ref(self) -> ResourceRef:
        """The identity, with the deployed namespace when the document names none."""
        ref = self.doc.ref
        return ref if ref.namespace else replace(ref, namespace=self.namespace)

    @property
    def duplicate_keys(self) -> list[tuple[str, int]]:
        """Keys written twice (see ``LocatedDocument``)."""
        return list(getattr(self.doc, "duplicate_keys", None) or [])

    def line_of(self, path: str | Sequence[PathSegment]) -> int:
        """Line of ``path`` in the document."""
        return self.doc.line_of(path)


def load_manifests(
    files: Sequence[tuple[str, Path]],
    patches: Collection[str] = (),
    namespaces: Mapping[str, str] | None = None,
) -> list[Manifest]:
    """Parse ``files`` into documents with positions, for validators that need parsed YAML.

    Args:
        patches: files to mark as Kustomize patches.
        namespaces: the namespace each file is deployed to (see ``Graph.namespaces``).
    """
    from kubesmith.reading import read_text
    from kubesmith.tools.schema.located import parse_documents

    docs: list[Manifest] = []
    for rel, path in files:
        try:
            parsed = parse_documents(read_text(path, rel), rel, rel in patches)
        except (ManifestError, OSError, UnicodeDecodeError, RecursionError):
            continue  # the schema validator reports unreadable files
        ns = (namespaces or {}).get(rel)
        docs.extend(Deployed(d, ns) if ns else d for d in parsed)
    return docs


class Runner:
    """Runs ``validators`` over several groups of manifests and keeps what they report.

    A validator that records live diffs forgets them on every call; the runner keeps the
    diffs of every group and gives them back to the validator at the end (:meth:`close`), so
    a pull request body shows all of them.
    """

    def __init__(self, validators: Sequence[Validator]) -> None:
        self.validators = list(validators)
        self.diffs: dict[str, dict[str, str]] = {}

    def files(
        self, files: Sequence[tuple[str, Path]], namespaces: Mapping[str, str] | None = None
    ) -> list[Finding]:
        """Each validator on ``files`` as written (whole resources): whole files where it can,
        documents else, placed in the namespace they are deployed to."""
        if not files:
            return []
        findings: list[Finding] = []
        manifests: list[Manifest] | None = None
        for v in self.validators:
            if isinstance(v, ValidatesFiles):
                findings.extend(v.validate_files([(r, p, False) for r, p in files]))
                continue
            if manifests is None:
                manifests = load_manifests(files, (), namespaces)
            findings.extend(self._call(v, manifests))
        return findings

    def rendered(self, manifests: Sequence[RenderedManifest]) -> list[Finding]:
        """Every validator on one build's objects; each finding about one of them is moved to
        the line a person edits (the patch, the base, the ``images:`` entry, the generator)."""
        if not manifests:
            return []
        by_ref = {m.ref: m for m in manifests}
        findings: list[Finding] = []
        for v in self.validators:
            for f in self._call(v, manifests):
                m = by_ref.get(f.ref) if f.ref is not None else None
                if m is not None:
                    file, line = m.locate(f.path)
                    f = replace(f, file=file, line=line)  # noqa: PLW2901
                findings.append(f)
        return findings

    def _call(self, v: Validator, manifests: Sequence[Manifest]) -> list[Finding]:
        found = v.validate(manifests)
        if isinstance(v, ReportsLiveDiffs):
            self.diffs.setdefault(v.name, {}).update(v.diffs)
        return found

    def close(self) -> None:
        """Give each diff-recording validator the diffs of every group it saw."""
        for v in self.validators:
            if isinstance(v, ReportsLiveDiffs) and v.name in self.diffs:
                v.diffs = dict(self.diffs[v.name])
