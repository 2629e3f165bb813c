"""Read the conventions a reviewer states in their own words, offline.

A rejection reason is short, informal and written for a person: "owner label pls", "memroy
limit shoud match the reqeust", "~~docker.io~~ -> `registry.internal`", "too low. two at the
very least." The reader normalises it first (:mod:`kubesmith.agent.reasons_text`), then each
detector looks for one kind of convention and reads its parameters from whichever form the
writer used (``key=value``, ``key: value``, the key before or after the word "label", a value
in a following sentence). The rejected change is context: a reason that names no field ("too
low", "not from there", "pin it") is about the fields the change touched and their values.

Detectors are independent, so one reason can state several conventions; a reason that states
none ("wrong service", "not now") yields nothing. Field conventions beyond the fixed kinds
(probes, hostPath, topology spread, resources, security settings, namespace names) are read by
:mod:`kubesmith.agent.reasons_fields`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesmith.agent.diffpaths import image_registry, image_tag
from kubesmith.agent.reasons_fields import read_all_fields
from kubesmith.agent.reasons_text import osa_distance, sentences, words


@dataclass(frozen=True)
class ChangeContext:
    """One field the rejected change set: what the reason may be about without naming it."""

    kind: str
    path: str
    value: Any = None


@dataclass(frozen=True)
class Stated:
    """A convention read from a reason: a rule kind and its parameters."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)


RULE_PARAMS: dict[str, tuple[str, ...]] = {
    "required_label": ("key", "value"),
    "required_annotation": ("key", "value"),
    "memory_limit_equals_request": (),
    "forbidden_registry": ("registry", "replacement"),
    "min_replicas": ("n",),
    "no_latest_tag": (),
    "image_pull_policy": ("policy",),
    "pdb_required": (),
    "field_predicate": ("on", "path", "op", "value"),
}
"""Every rule kind and the parameters a convention of that kind states (``kinds`` of an
object-level field predicate follows its path)."""


# --------------------------------------------------------------------------- shared words

NEGATION = re.compile(
    r"\b(?:no|not|never|none|nothing|don't|do not|isn't|aren't|won't|can't|cannot|forbidden|"
    r"disallowed|prohibited|banned|ban|avoid|instead of|stop|without|nowhere)\b|!="
)
DISCUSSION = re.compile(
    r"\blooks? (?:fine|good|ok|okay|right|correct)\b|\bexplain\b|"
    r"\b(?:not|n't|never) (?:touch|change|modify|remove|bump)\b|\bseparate (?:change|pr)\b"
)
"""A sentence about this change (approval, a question, "don't touch X"), not a convention."""
_PAIR = re.compile(
    r"(?P<key>[a-z0-9][\w./-]*[a-z0-9])\s*(?:=|:\s)\s*(?P<q>['\"]?)(?P<value>[^\s,;()'\"]+)(?P=q)"
)
_KEY_STOP = words(
    """
    a an the this that these our their its every each all any is are be missing required
    mandatory please add adds needs need with on it of for must should again label labels
    annotation annotations one some no not which who when also too requires carry carries
    label, from to as by here there value your my every we you they i up heads fyi nit note
    same other new old different wrong right correct extra change changes
    workload workloads everything deployment deployments service services it's
    """
)
_FIELD_WORDS = frozenset({"imagepullpolicy", "runasnonroot", "hostnetwork", "replicas"})


def _key_ok(word: str) -> bool:
    return bool(word) and word not in _KEY_STOP and bool(re.fullmatch(r"[a-z0-9][\w./-]*", word))


def _pairs(text: str) -> list[tuple[str, str, int, int]]:
    return [
        (m.group("key"), m.group("value").rstrip(".-/"), m.start(), m.end())
        for m in _PAIR.finditer(text)
        if m.group("key") not in _FIELD_WORDS
        and not m.group("key").endswith("policy")
        and _key_ok(m.group("key"))
        and m.group("value") not in _KEY_STOP
    ]


# --------------------------------------------------------------------------- labels


def _metadata(lines: list[str]) -> list[Stated]:
    out: list[Stated] = []
    text = "\n".join(lines)
    for word, kind in (("label", "required_label"), ("annotat", "required_annotation")):
        for i, line in enumerate(lines):
            for m in re.finditer(rf"\b{word}\w*", line):
                key, value = _meta_key(line, m.start(), m.end())
                if key is None:
                    pair = next(iter(_pairs("\n".join(lines[i:]))), None)
                    if pair is None:
                        continue
                    key, value = pair[0], pair[1]
                if value is None:
                    value = _later_value(text, key, lines[i + 1 :])
                stated = Stated(kind, {"key": key, "value": value})
                if not any(s.kind == kind and s.params["key"] == key for s in out):
                    out.append(stated)
    return out


def _meta_key(line: str, start: int, end: int) -> tuple[str | None, str | None]:
    before, after = line[:start], line[end:]
    pair_before = re.search(_PAIR.pattern + r"\s*$", before)
    if pair_before and _pairs(pair_before.group(0)):
        return pair_before.group("key"), pair_before.group("value")
    pair_after = re.match(r"\s*(?:(?:is|missing|required|with|:)\s*)*" + _PAIR.pattern, after)
    words_before = re.findall(r"[a-z0-9][\w./-]*", before)
    if words_before and _key_ok(words_before[-1]) and not pair_after:
        key = words_before[-1].rstrip(".-/")
        return key, _value_in(line, key)
    if pair_after:
        return pair_after.group("key"), pair_after.group("value").rstrip(".-/")
    for m in re.finditer(r"(?P<q>['\"]?)(?P<w>[a-z0-9][\w./-]*)(?P=q)", after):
        w = m.group("w").rstrip(".-/")
        if not _key_ok(w):
            continue
        rest = after[m.end() :]
        keyish = bool(m.group("q")) or bool(re.search(r"[-./_]", w))
        if keyish or re.match(r"\s*(?:$|[,(]|is\b|missing|required|mandatory|please)", rest):
            return w, _value_in(line, w)
        break
    return None, None


def _value_in(text: str, key: str) -> str | None:
    for k, v, _, _ in _pairs(text):
        if k == key:
            return v
    return None


def _later_value(text: str, key: str, later: list[str]) -> str | None:
    found = _value_in(text, key)
    if found is not None:
        return found
    for line in later:
        m = re.search(r"\bvalue\s+(?:is|should be|must be|of|:)?\s*['\"]?([\w./#-]+)", line)
        if m:
            return m.group(1).rstrip(".-/")
    return None


# --------------------------------------------------------------------------- memory


_EQUALITY = re.compile(
    r"\b(?:equal|equals|equal to|same|match|matches|matching|identical|differ|differs)\b|==|!=|="
)


def _memory(lines: list[str], ctx: Sequence[ChangeContext]) -> list[Stated]:
    memory_change = any(re.search(r"resources\.(limits|requests)\.memory$", c.path) for c in ctx)
    for line in lines:
        limit = re.search(r"\blimits?\b", line)
        request = re.search(r"\brequests?\b", line)
        if not (_EQUALITY.search(line) and (limit or request)):
            continue
        if ("memory" in line and limit and request) or (memory_change and (limit or request)):
            return [Stated("memory_limit_equals_request")]
    return []


# --------------------------------------------------------------------------- registries

_REGISTRY = re.compile(r"(?<![\w@/.-])(?P<reg>(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?|localhost:\d+)")
KNOWN_REGISTRIES = ("docker.io", "quay.io", "ghcr.io", "gcr.io", "registry.k8s.io")
_ONLY = re.compile(r"\bonly\b|\bnowhere else\b|allow-?list")
_INSTEAD = re.compile(
    r"(?<!not )(?<!n't )(?<!never )\b(?:use|using|switch to|move to|mirror is|"
    r"mirror(?:ed)? (?:at|in|on)|mirror|via)\s+"
    r"(?:the\s+|our\s+)?(?:internal\s+)?(?:registry\s+|mirror\s+)?$"
)
_IMAGE_WORDS = re.compile(r"\b(?:image|images|registry|registries|pull|pulled|pulling|hosted)\b")


def _registries(line: str) -> list[tuple[str, int]]:
    out = []
    for m in _REGISTRY.finditer(line):
        reg = m.group("reg")
        after = line[m.end() : m.end() + 1]
        if after in ("=", ":") or re.match(r"\s*[:=]\s", line[m.end() :]):
            continue  # a label key such as prometheus.io/scrape=true
        if re.match(r"/[\w-]+\s*[:=]", line[m.end() :]):
            continue
        if reg.endswith((".yaml", ".yml", ".json")):
            continue
        close = [k for k in KNOWN_REGISTRIES if osa_distance(reg, k, 2) == 1]
        out.append((close[0] if close and reg not in KNOWN_REGISTRIES else reg, m.start()))
    return out


def _registry_rules(lines: list[str], ctx: Sequence[ChangeContext]) -> list[Stated]:
    forbidden: list[str] = []
    allowed: list[str] = []
    replacement: str | None = None
    for line in lines:
        found = _registries(line)
        about_images = bool(_IMAGE_WORDS.search(line)) or any(
            r in KNOWN_REGISTRIES for r, _ in found
        )
        for reg, pos in found:
            before = line[:pos]
            if _INSTEAD.search(before) or re.match(r"\s*mirrors\b", line[pos + len(reg) :]):
                replacement = replacement or reg
                continue
            if _ONLY.search(line) and not NEGATION.search(before):
                if about_images or "registry" in line:
                    allowed.append(reg)
                continue
            neg = NEGATION.search(line)
            if (neg and about_images) or (
                about_images
                and re.search(
                    r"\b(?:not\s+(?:allowed|permitted)|forbidden|banned|prohibited|disallowed)\b",
                    line,
                )
            ):
                forbidden.append(reg)
        if not found and NEGATION.search(line) and re.search(r"\b(?:there|that registry)\b", line):
            for c in ctx:
                if c.path.endswith("image") and isinstance(c.value, str):
                    forbidden.append(image_registry(c.value))
    out = [
        Stated("forbidden_registry", {"registry": r, "replacement": replacement})
        for r in dict.fromkeys(forbidden)
        if r != replacement
    ]
    for r in dict.fromkeys(allowed):
        if r not in forbidden:
            value = "^" + re.escape(r).replace("\\-", "-") + "/"
            out.append(Stated("field_predicate", image_predicate(value)))
    return out


def image_predicate(regex: str) -> dict[str, Any]:
    """The params of "every container image matches ``regex``"."""
    return {"on": "containers", "path": "image", "op": "matches", "value": regex}


# --------------------------------------------------------------------------- replicas

_REPLICA_WORDS = re.compile(
    r"\b(?:replicas?|replica count|pods?|instances|copies)\b|\bscal(?:e|es|ed|ing) (?:down|up|to)\b"
)
_MIN_BEFORE = re.compile(
    r"(?:at (?:the (?:very )?)?least|minimum(?: of)?|min\.?|>=|no (?:fewer|less) than|"
    r"not (?:be )?(?:lower|less|fewer) than|never (?:less|fewer|lower) than|never below|"
    r"keep (?:it )?at|need|needs)\s*(?P<n>\d+)\b"
)
_MIN_AFTER = re.compile(
    r"\b(?P<n>\d+)\s+(?:replicas?\s+|pods?\s+)?(?:or more|minimum|at (?:a )?minimum|"
    r"at (?:the (?:very )?)?least|is the floor|\+)"
)


def _replicas(lines: list[str], ctx: Sequence[ChangeContext]) -> list[Stated]:
    replica_change = next((c for c in ctx if c.path == "spec.replicas"), None)
    text = " \n ".join(lines)
    mentions = [ln for ln in lines if _REPLICA_WORDS.search(ln) and "replica set" not in ln]
    scopes = mentions or ([text] if replica_change else [])
    if mentions and not any(_bound(s) for s in mentions):
        scopes = [text]
    for scope in scopes:
        n = _bound(scope)
        if n is not None and n >= 1:
            return [Stated("min_replicas", {"n": n})]
    if replica_change is not None and re.search(r"\btoo (?:low|few)\b", text):
        n = next((int(m) for m in re.findall(r"\b(\d+)\b", text)), None)
        current = replica_change.value if isinstance(replica_change.value, int) else 1
        return [Stated("min_replicas", {"n": n if n is not None else current + 1})]
    return []


def _bound(text: str) -> int | None:
    for pattern in (_MIN_BEFORE, _MIN_AFTER):
        for m in pattern.finditer(text):
            tail = text[m.end() : m.end() + 12]
            if re.match(r"\s*(?:m\b|mi\b|gi\b|seconds|cores?|cpu)", tail):
                continue
            return int(m.group("n"))
    return None


# --------------------------------------------------------------------------- tags and pulls


def _latest(lines: list[str], ctx: Sequence[ChangeContext]) -> list[Stated]:
    for line in lines:
        tagish = re.search(r"\b(?:tags?|tagged|untagged|image|images|version|pin)\b|:latest", line)
        if "latest" in line and tagish and (NEGATION.search(line) or re.search(r"\bpin", line)):
            return [Stated("no_latest_tag")]
        if re.search(r"\bfloating tags?\b", line):
            return [Stated("no_latest_tag")]
        if re.search(r"\bpin(?:ned)?\b", line) and re.search(r"\b(?:image|tag|version)s?\b", line):
            return [Stated("no_latest_tag")]
        if re.search(r"\bpin (?:it|them|this)\b", line):
            for c in ctx:
                if c.path.endswith("image") and image_tag(str(c.value)) in ("", "latest"):
                    return [Stated("no_latest_tag")]
    return []


_POLICIES = {"always": "Always", "ifnotpresent": "IfNotPresent", "never": "Never"}


def _pull_policy(lines: list[str], ctx: Sequence[ChangeContext]) -> list[Stated]:
    about = any(c.path.endswith("imagePullPolicy") for c in ctx)
    for line in lines:
        policy_words = re.search(r"imagepul+policy|pull[ -]?policy", line)
        m = re.search(r"\b(always|ifnotpresent|never)\b", line)
        if m is None:
            continue
        word = m.group(1)
        if word == "ifnotpresent" or policy_words or about:
            if policy_words and word != "ifnotpresent":
                # "always" before the field is an adverb ("we always set the pull policy to X")
                after = re.search(r"\b(always|ifnotpresent|never)\b", line[policy_words.end() :])
                if after is None:
                    continue
                word = after.group(1)
            return [Stated("image_pull_policy", {"policy": _POLICIES[word]})]
    return []


# --------------------------------------------------------------------------- PDB


def _pdb(lines: list[str]) -> list[Stated]:
    for line in lines:
        if DISCUSSION.search(line):
            continue
        if re.search(r"\bpdb\b|poddisruptionbudget|disruption budget", line):
            return [Stated("pdb_required")]
    return []


# --------------------------------------------------------------------------- the reader


def read_reason(text: str, changes: Sequence[ChangeContext] = ()) -> list[Stated]:
    """Every convention ``text`` states, with parameters; ``changes`` is the rejected change."""
    lines = sentences(text)
    if not lines:
        return []
    found: list[Stated] = []
    found += _metadata(lines)
    memory = _memory(lines, changes)
    found += memory
    found += _registry_rules(lines, changes)
    found += _replicas(lines, changes)
    found += _latest(lines, changes)
    found += _pull_policy(lines, changes)
    found += _pdb(lines)
    conventions = [ln for ln in lines if not DISCUSSION.search(ln)]
    found += [
        Stated("field_predicate", p) for p in read_all_fields(conventions, changes, bool(memory))
    ]
    unique: list[Stated] = []
    for s in found:
        if s not in unique:
            unique.append(s)
    return unique
