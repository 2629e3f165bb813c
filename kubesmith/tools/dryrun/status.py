"""Turn an API server's refusal (a ``Status`` object) into findings that point at the source line.

The server names the offending field in ``details.causes[].field`` (``spec.ports[0].port``,
``metadata.labels[app.kubernetes.io/name]``) or, for server-side apply's schema check, in the
message (``.spec.template.spec.containers[name="web"].imagePullPolicyy: field not declared in
schema``). Both are converted to kubesmith's path syntax and resolved to a line through the
manifest's own position data.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from kubesmith.model import Finding, Manifest, Severity, parse_path

VALIDATOR = "dry-run"

_TYPED_PATCH = re.compile(r"(?P<path>(?:\.[^\s:]+)+): (?P<why>field not declared in schema.*)$")
_SMD_KEYED = re.compile(r'\[(?P<key>[A-Za-z0-9_]+)="(?P<value>[^"]*)"\]')
_SMD_SET = re.compile(r'\[="[^"]*"\]|\[=[^\]]*\]')
_BRACKET_KEY = re.compile(r"\[(?P<key>[^\]\"=]*[^\]\"=\d-][^\]\"=]*)\]")
_POLICY = re.compile(r"ValidatingAdmissionPolicy '(?P<name>[^']+)'")
_RBAC = re.compile(r"forbidden: User .* cannot ")


def api_path(field: str) -> str | None:
    """Convert a server field path to kubesmith's syntax; ``None`` when it cannot be parsed."""
    text = field.strip().lstrip(".")
    if not text:
        return None
    text = _SMD_KEYED.sub(lambda m: f"[{m['key']}={m['value']}]", text)
    text = _SMD_SET.sub("", text)
    text = _BRACKET_KEY.sub(lambda m: '["' + m["key"].replace('"', '\\"') + '"]', text)
    try:
        parse_path(text)
    except Exception:
        return None
    return text


def line_of(manifest: Manifest, path: str | None) -> int:
    """Line of ``path`` in ``manifest`` (the document's first line when it cannot be resolved)."""
    if path:
        try:
            return manifest.line_of(path)
        except Exception:
            return manifest.line
    return manifest.line


def finding(
    manifest: Manifest,
    message: str,
    *,
    severity: Severity = "error",
    path: str | None = None,
    rule: str | None = None,
) -> Finding:
    """A dry-run finding located at ``path`` in ``manifest``.

    A rendered overlay resource
    (:class:`kubesmith.agent.validation.rendered.RenderedManifest`) locates the path itself, in
    the patch that sets it or in the base document.
    """
    file, line = manifest.file, line_of(manifest, path)
    locate = getattr(manifest, "locate", None)
    if locate is not None and path:
        with contextlib.suppress(Exception):  # keep the document's own location
            file, line = locate(path)
    return Finding(
        validator=VALIDATOR,
        severity=severity,
        message=message,
        file=file,
        line=line,
        ref=manifest.ref,
        path=path,
        rule=rule,
    )


def _decode(body: Any) -> dict[str, Any]:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            data = json.loads(body)
        except ValueError:
            return {"message": body.strip()[:2000]}
        return data if isinstance(data, dict) else {"message": str(data)}
    return {}


def status_findings(manifest: Manifest, status: int, body: Any) -> list[Finding]:
    """Findings for one refused dry-run request.

    Validation refusals (400, 403 from admission, 422, the apply schema check) are errors. Refusals
    that say nothing about the manifest (no permission, throttling, a server fault) are warnings
    that the resource was *not* checked — never a silent pass.
    """
    data = _decode(body)
    message = str(data.get("message") or f"HTTP {status}")
    reason = str(data.get("reason") or "") or None
    not_checked = f"dry-run not performed for {manifest.ref}: "
    if status in (401, 429) or (status == 403 and _RBAC.search(message)):
        return [finding(manifest, not_checked + message, severity="warning", rule=reason)]
    typed = _TYPED_PATCH.search(message)
    if typed:
        path = api_path(typed["path"])
        name = typed["path"].rsplit(".", 1)[-1]
        text = f'unknown field "{name}" ({typed["why"]})'
        return [finding(manifest, text, path=path, rule="UnknownField")]
    if status >= 500 or status in (404, 409):
        return [finding(manifest, not_checked + message, severity="warning", rule=reason)]
    policy = _POLICY.search(message)
    rule = policy["name"] if policy else None
    causes = (data.get("details") or {}).get("causes") or []
    out = []
    for cause in causes:
        if not isinstance(cause, dict):
            continue
        field = str(cause.get("field") or "")
        path = api_path(field) if field else None
        text = str(cause.get("message") or message)
        if field and not path:
            text = f"{field}: {text}"
        cause_rule = rule or str(cause.get("reason") or "") or reason
        out.append(finding(manifest, text, path=path, rule=cause_rule))
    return out or [finding(manifest, message, rule=rule or reason)]
