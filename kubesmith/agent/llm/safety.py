"""What keeps the model honest, enforced in code rather than asked for in the prompt.

* :func:`delimit` fences repository text as untrusted data; a fence inside the text is defused,
  so a manifest cannot close the fence and speak as kubesmith.
* :class:`Redactor` replaces Secret values and credential-looking env values with placeholders
  before any text reaches the model, and puts the real values back into the model's edits.
* :class:`PathGuard` refuses edits to ``.kubesmith.yaml``, policy folders, files outside the
  manifest globs and paths that climb out of the repository.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesmith.config import CONFIG_FILE, Settings
from kubesmith.errors import EditRejected
from kubesmith.workspace.source import matches

OPEN_DATA = "<untrusted-repository-data>"
CLOSE_DATA = "</untrusted-repository-data>"
_FENCE = re.compile(r"</?\s*(untrusted-repository-data|change-request)\s*>", re.IGNORECASE)


def defuse(text: str) -> str:
    """``text`` with every fence tag (ours or the change request's) made inert."""
    return _FENCE.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def delimit(text: str, label: str = "") -> str:
    """Wrap repository-derived ``text`` in the untrusted-data fence the system prompt describes."""
    head = f"{OPEN_DATA}\n" if not label else f"{OPEN_DATA[:-1]} source={label!r}>\n"
    return f"{head}{defuse(text).rstrip()}\n{CLOSE_DATA}"


# --------------------------------------------------------------------------- secrets

_CREDENTIAL_NAME = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|"
    r"dsn|connection[_-]?string|cookie|session[_-]?key|signing[_-]?key)",
    re.IGNORECASE,
)
_CREDENTIAL_VALUE = re.compile(
    r"^(sk|pk|rk|whsec|ghp|gho|ghs|github_pat|xox[abpr]|glpat|AKIA|ASIA|AIza)[-_A-Za-z0-9]{6,}$"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",  # a URL with a password in it
)
_PLACEHOLDER = re.compile(r"<redacted:secret-(\d+)>")
_MIN_RAW_REPLACE = 6
"""Shorter secret values are not replaced inside raw text (too many false hits); documents that
hold one are rendered from the redacted object instead."""


def looks_like_credential(name: str, value: str) -> bool:
    """True for an env var value that should not reach a model (by its name or its shape)."""
    if not value or value.startswith("$(") or value.lower() in {"true", "false"}:
        return False
    return bool(_CREDENTIAL_NAME.search(name) or _CREDENTIAL_VALUE.search(value))


@dataclass
class Redactor:
    """Placeholders for secret values, one per distinct value, reversible within one plan."""

    by_value: dict[str, str] = field(default_factory=dict)
    by_placeholder: dict[str, str] = field(default_factory=dict)

    def placeholder(self, value: str) -> str:
        """The placeholder standing for ``value`` (made on first use)."""
        if value not in self.by_value:
            ph = f"<redacted:secret-{len(self.by_value) + 1}>"
            self.by_value[value] = ph
            self.by_placeholder[ph] = value
        return self.by_value[value]

    def collect(self, obj: Mapping[str, Any]) -> None:
        """Record ``obj``'s secret values (without copying it: this runs on every document)."""
        for container, key, where in _sites(obj):
            self._redact(container, key, where)

    def scan(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Record ``obj``'s secret values and return a redacted deep copy of it."""
        out: dict[str, Any] = _copy(obj)
        for container, key, where in list(_sites(out)):
            container[key] = self._redact(container, key, where)
        return out

    def _redact(self, container: Any, key: Any, where: str) -> str:
        value = str(container[key])
        if where == "literal":
            name, _, secret = value.partition("=")
            return f"{name}={self.placeholder(secret)}" if secret else value
        return self._secret(value, encoded=where == "data")

    def _secret(self, value: str, *, encoded: bool) -> str:
        ph = self.placeholder(value)
        if encoded:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                decoded = ""
            if len(decoded) >= _MIN_RAW_REPLACE:
                self.placeholder(decoded)  # the decoded text must not leak elsewhere either
        return ph

    def text(self, text: str) -> str:
        """``text`` with every known secret value (long enough to match safely) replaced."""
        for value in sorted(self.by_value, key=len, reverse=True):
            if len(value) >= _MIN_RAW_REPLACE and value in text:
                text = text.replace(value, self.by_value[value])
        return text

    def contains_short_secret(self, obj: Any) -> bool:
        """True when ``obj`` holds a secret value too short for :meth:`text` to catch."""
        short = {v for v in self.by_value if len(v) < _MIN_RAW_REPLACE}
        return bool(short) and any(s in short for s in _strings(obj))

    def restore(self, value: Any) -> Any:
        """``value`` (an edit's value, patch or manifest) with placeholders turned back."""
        if isinstance(value, str):
            return _PLACEHOLDER.sub(
                lambda m: self.by_placeholder.get(m.group(0), m.group(0)), value
            )
        if isinstance(value, dict):
            return {k: self.restore(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.restore(v) for v in value]
        return value


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _sites(obj: Mapping[str, Any]) -> Iterable[tuple[Any, Any, str]]:
    """Where ``obj`` keeps secrets: (container, key, kind of site) for each value.

    Secret ``data`` (base64) and ``stringData``; credential-looking env ``value``s anywhere;
    the ``literals`` of a kustomization's ``secretGenerator``.
    """
    kind = obj.get("kind")
    if kind == "Secret":
        for key in ("data", "stringData"):
            section = obj.get(key)
            if isinstance(section, dict):
                for k, v in section.items():
                    if v is not None:
                        yield section, k, "data" if key == "data" else "string"
    if kind == "Kustomization" or "secretGenerator" in obj:
        for gen in obj.get("secretGenerator") or []:
            literals = gen.get("literals") if isinstance(gen, dict) else None
            if isinstance(literals, list):
                for i, lit in enumerate(literals):
                    if isinstance(lit, str):
                        yield literals, i, "literal"
    for env in _env_lists(obj):
        for item in env:
            value = item.get("value") if isinstance(item, dict) else None
            if isinstance(value, str) and looks_like_credential(str(item.get("name", "")), value):
                yield item, "value", "env"


def _env_lists(obj: Any) -> Iterable[list[Any]]:
    """Every ``env`` list of a container anywhere in ``obj`` (pods, templates, job templates)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "env" and isinstance(v, list):
                yield v
            else:
                yield from _env_lists(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _env_lists(v)


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class PathGuard:
    """Decides which files the model may edit.

    Attributes:
        settings: the repository's settings (manifest globs, policy folders).
        intent: the change request; policy folders become editable only when it names them.
    """

    settings: Settings
    intent: str = ""

    def check(self, path: str) -> str:
        """The normalised repository-relative ``path``, or :class:`EditRejected` saying why not."""
        raw = path.replace("\\", "/")
        if not raw or "\0" in raw or raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
            raise EditRejected(f"refused: {path!r} is not a relative path inside the repository")
        if any(part == ".." for part in raw.split("/")):
            raise EditRejected(f"refused: {path!r} climbs out of its folder ('..' is not allowed)")
        norm = posixpath.normpath(raw)
        if norm == CONFIG_FILE or norm.endswith("/" + CONFIG_FILE):
            raise EditRejected(
                f"refused: {CONFIG_FILE} is kubesmith's own configuration; a person edits it"
            )
        folders = (*self.settings.policy.folders, *self.settings.policy.rego_folders)
        for folder in folders:
            f = posixpath.normpath(folder.replace("\\", "/")).strip("/")
            if (norm == f or norm.startswith(f + "/")) and not self._intent_names(f):
                raise EditRejected(
                    f"refused: {path!r} is in the policy folder {f!r}; policies change only when "
                    "the request is explicitly about them"
                )
        ws = self.settings.workspace
        if not matches(norm, ws.include) or matches(norm, ws.exclude):
            raise EditRejected(
                f"refused: {path!r} is not a manifest file (workspace.include/exclude globs)"
            )
        return norm

    def _intent_names(self, folder: str) -> bool:
        words = self.intent.lower()
        return folder.lower() in words or bool(re.search(r"\bpolic(y|ies)\b", words))
