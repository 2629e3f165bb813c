"""Keep secrets out of the store: Secret data and credential-looking values are redacted.

A proposal that touches a Secret carries its values in three places: the changes (old/new), the
unified diff, and sometimes the intent itself ("set DB_PASSWORD to hunter2"). All three are
cleaned before anything is written, because a store is copied, exported and shared with a team
far more casually than a Secret is.

What counts as secret:

* every value under ``data`` / ``stringData`` of a ``Secret`` (changes whose ref kind is Secret);
* env var values whose name looks like a credential (``*PASSWORD*``, ``*TOKEN*``, ``*SECRET*``,
  ``*API_KEY*``, ...);
* in diffs, the changed lines of a Secret document and ``value:`` lines following such an env name;
* anywhere in text, the literal values found above (and their base64 forms).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from kubesmith.model import Change, Outcome, Proposal

REDACTED = "<redacted>"

_CREDENTIAL_NAME = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)",
    re.IGNORECASE,
)
_SECRET_TOP = ("data", "stringData")
_SAFE_SECRET_KEYS = frozenset({"apiVersion", "kind", "name", "namespace", "type", "metadata"})
_KV_LINE = re.compile(
    r"^(?P<lead>[-+ ]\s*(?:-\s+)?)(?P<key>[\"']?[\w.\-/]+[\"']?)\s*:\s+(?P<v>\S.*)$"
)
_SECRET_KIND = re.compile(
    r"^[-+ ](?:\s*kind:\s*[\"']?Secret[\"']?|stringData:|type:\s*[\"']?"
    r"(?:Opaque|kubernetes\.io/\S+|bootstrap\.kubernetes\.io/token)[\"']?)\s*$"
)
"""Lines that show a Secret: its kind, or (when the hunk starts below ``kind:``) its top-level
``stringData:`` or its ``type:``."""
_PLAIN_SCALAR = re.compile(r"(?i:true|false|null|~|yes|no|on|off)|-?\d+(\.\d+)?")
_BLOCK_HEADS = frozenset({"|", ">", "|-", ">-", "|+", ">+"})
_ENV_NAME = re.compile(r"name:\s*[\"']?(?P<name>[A-Za-z_][\w]*)[\"']?\s*$")


def looks_like_credential(name: str) -> bool:
    """True when an env var or key name suggests it holds a credential."""
    return bool(_CREDENTIAL_NAME.search(name))


def redact_proposal(proposal: Proposal) -> Proposal:
    """A copy of ``proposal`` with Secret values and credentials replaced by ``<redacted>``."""
    secrets: set[str] = set()
    changes = tuple(_redact_change(c, secrets) for c in proposal.changes)
    secret_files = {
        c.file for c in proposal.changes if c.ref is not None and c.ref.kind == "Secret"
    }
    values = _with_encodings(secrets)
    return dataclasses.replace(
        proposal,
        intent=scrub_text(proposal.intent, values),
        rationale=scrub_text(proposal.rationale, values),
        changes=changes,
        diff=redact_diff(proposal.diff, values, secret_files),
        live_diff=redact_diff(proposal.live_diff, values, set()),
        rendered_diff=_redact_rendered(proposal.rendered_diff, values),
        questions=tuple(scrub_text(q, values) for q in proposal.questions),
        findings=tuple(
            dataclasses.replace(f, message=scrub_text(f.message, values)) for f in proposal.findings
        ),
    )


_RENDERED_LINE = re.compile(
    r"^(?P<lead>\s*(?P<ref>\S+)(?: \([^)]*\))? (?P<path>[^:\s]+): )(?P<rest>.*)$"
)


def _redact_rendered(text: str, values: set[str]) -> str:
    """The effect summary (``Kind/name (namespace n) path: "old" → "new"`` per line) with the
    values of Secrets and credential-named fields masked, and known values scrubbed."""
    out = []
    for line in text.splitlines():
        m = _RENDERED_LINE.match(line)
        if m and (
            m.group("ref").startswith("Secret/")
            or _credential_env_path(m.group("path"))
            or _credential_leaf(m.group("path"))
        ):
            line = m.group("lead") + REDACTED  # noqa: PLW2901
        out.append(scrub_text(line, values))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def redact_outcome(outcome: Outcome) -> Outcome:
    """A copy of ``outcome`` whose follow-up diff and comments carry no credentials."""
    return dataclasses.replace(
        outcome,
        follow_up_diff=redact_diff(outcome.follow_up_diff, set(), set()),
    )


def _redact_change(change: Change, found: set[str]) -> Change:
    is_secret = change.ref is not None and change.ref.kind == "Secret"
    path = change.path or ""
    if is_secret:
        top = path.split(".", 1)[0].split("[", 1)[0]
        if top in _SECRET_TOP:
            return dataclasses.replace(
                change, old=_mask(change.old, found), new=_mask(change.new, found)
            )
        if not path or top == "":
            return dataclasses.replace(
                change,
                old=_mask_secret_doc(change.old, found),
                new=_mask_secret_doc(change.new, found),
            )
        return change
    if _credential_env_path(path) or (
        _credential_leaf(path) and not _plain(change.old, change.new)
    ):
        return dataclasses.replace(
            change, old=_mask(change.old, found), new=_mask(change.new, found)
        )
    return dataclasses.replace(
        change, old=_mask_env(change.old, found), new=_mask_env(change.new, found)
    )


def _credential_env_path(path: str) -> bool:
    """``...env[name=DB_PASSWORD].value`` (or the item itself) with a credential-looking name."""
    m = re.search(r"env\[name=([^\]]+)\]", path)
    return bool(m and looks_like_credential(m.group(1)))


def _plain(*values: Any) -> bool:
    """True when every value is a boolean, a number or absent: a switch such as
    ``automountServiceAccountToken: false`` is named like a credential but holds none."""
    return all(v is None or isinstance(v, bool | int | float) for v in values)


def _credential_leaf(path: str) -> bool:
    """A key whose own name looks like a credential (``metadata.annotations.api-token``,
    ``data.DB_PASSWORD`` of a ConfigMap) — but not a reference to one (``…Ref``, ``…name``)."""
    leaf = re.split(r"[.\[]", path.rstrip("]"))[-1].strip("'\"")
    leaf = leaf.rsplit("=", 1)[-1] if "=" in leaf else leaf
    if not leaf or leaf.endswith(("name", "Name", "Ref", "ref")):
        return False
    return looks_like_credential(leaf)


def _mask(value: Any, found: set[str]) -> Any:
    """Replace every leaf of ``value`` by the marker, remembering the string leaves."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _mask(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, found) for v in value]
    if isinstance(value, str) and value:
        found.add(value)
    return REDACTED


def _mask_secret_doc(value: Any, found: set[str]) -> Any:
    """A whole Secret manifest: its data/stringData values masked, the rest kept."""
    if not isinstance(value, dict):
        return _mask(value, found) if value is not None else None
    return {k: (_mask(v, found) if k in _SECRET_TOP else v) for k, v in value.items()}


def _mask_env(value: Any, found: set[str]) -> Any:
    """Inside any value (a container, a manifest), mask env items with credential-looking names."""
    if isinstance(value, list):
        return [_mask_env(v, found) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        credential_env = k == "value" and looks_like_credential(str(value.get("name", "")))
        secret_data = k in _SECRET_TOP and value.get("kind") == "Secret"
        if credential_env or secret_data:
            out[k] = _mask(v, found)
        else:
            out[k] = _mask_env(v, found)
    return out


def _with_encodings(values: Iterable[str]) -> set[str]:
    """The values plus their base64 encodings and decodings (Secret ``data`` is base64)."""
    out: set[str] = set()
    for v in values:
        if v == REDACTED or len(v) < 3:
            continue
        out.add(v)
        out.add(base64.b64encode(v.encode()).decode())
        try:
            decoded = base64.b64decode(v, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if len(decoded) >= 3:
            out.add(decoded)
    return out


def scrub_text(text: str, values: set[str]) -> str:
    """Replace each known secret value in free text, longest first."""
    for v in sorted(values, key=len, reverse=True):
        text = text.replace(v, REDACTED)
    return text


def redact_diff(diff: str, values: set[str], secret_files: set[str]) -> str:
    """Redact a unified diff line by line, context lines included.

    * In a file known (or seen) to hold a Secret, the value of every ``key: value`` line
      (changed or context) is masked except identity keys — unless the line is known to lie in
      a document of another kind (its ``kind:`` was seen since the last ``---`` in the hunk).
    * A ``value:`` line is masked when the ``name:`` before it looks like a credential, and also
      when no ``name:`` was seen in its hunk at all (the name lies outside the diff's context,
      so nothing shows it is harmless).
    * Keys that look like credentials (``password:``, ``api-token:``) have their value masked.
    * Anywhere, the known secret values (and their base64 forms) are replaced.
    """
    if not diff:
        return diff
    out: list[str] = []
    for file, lines in _file_sections(diff):
        holds_secret = file in secret_files or any(_SECRET_KIND.match(ln) for ln in lines)
        state = _HunkState()
        for line in lines:
            state.see(line)
            out.append(scrub_text(_redact_line(line, holds_secret, state), values))
    return "\n".join(out) + ("\n" if diff.endswith("\n") else "")


class _HunkState:
    """What the lines seen so far in one hunk tell about the current line."""

    def __init__(self) -> None:
        self.kind: str | None = None
        self.env_name: str | None = None

    def see(self, line: str) -> None:
        if line.startswith("@@") or line.startswith("diff --git "):
            self.kind = None
            self.env_name = None
            return
        body = line[1:] if line[:1] in "+- " else line
        if body.strip() == "---":
            self.kind = None
            return
        kind = re.match(r"^kind:\s*[\"']?(\w+)", body)
        if kind:
            self.kind = kind.group(1)
        env = _ENV_NAME.search(body)
        if env:
            self.env_name = env.group("name")

    def not_a_secret_document(self) -> bool:
        return self.kind is not None and self.kind != "Secret"


def _redact_line(line: str, holds_secret: bool, state: _HunkState) -> str:
    if line[:1] not in "+- " or line.startswith(("+++ ", "--- ")):
        return line
    in_secret = holds_secret and not state.not_a_secret_document()
    m = _KV_LINE.match(line)
    if m is None:
        text = line[1:].strip()
        if in_secret and text and not text.endswith(":") and not text.startswith(("#", "---")):
            return f"{line[:1]}{line[1 : len(line) - len(line[1:].lstrip())]}{REDACTED}"
        return line  # structure; or a line of a block scalar, masked above when in a Secret
    key = m.group("key").strip("\"'")
    value = m.group("v").strip()
    if value in _BLOCK_HEADS or value.startswith("#"):
        return line  # a block's head: its lines are judged on their own
    secret_value = in_secret and key not in _SAFE_SECRET_KEYS
    if not secret_value and _PLAIN_SCALAR.fullmatch(value):
        return line  # true/false/null/a number: nothing secret, and learning reads it
    env_value = key == "value" and (state.env_name is None or looks_like_credential(state.env_name))
    credential_key = not key.endswith(("name", "Name", "Ref")) and looks_like_credential(key)
    if secret_value or env_value or credential_key:
        return f"{m.group('lead')}{m.group('key')}: {REDACTED}"
    return line


def _file_sections(diff: str) -> list[tuple[str, list[str]]]:
    """Split a (git) unified diff into (file, lines) per file."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            sections.append(("", []))
        name = _header_name(line)
        if name and (line.startswith("+++ ") or not sections[-1][0]):
            sections[-1] = (name, sections[-1][1])
        sections[-1][1].append(line)
    return [s for s in sections if s[1]]


def _header_name(line: str) -> str:
    if not line.startswith(("+++ ", "--- ")):
        return ""
    name = line[4:].strip()
    if name == "/dev/null":
        return ""
    return name[2:] if name.startswith(("a/", "b/")) else name
