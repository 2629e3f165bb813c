"""From an intent's text to a list of clauses: splitting, carrying over, and dispatch.

An intent is split at ``;``, ``,``, ``and`` and ``then``. Each piece is tried against the intent
kinds in a fixed order (most specific first). A piece that is not understood alone is joined with
the next piece ("scale checkout" + "cart to 3"), or else with the previous clause ("create a pdb
for checkout" + "max unavailable 1"). A piece without a verb borrows the previous clause's verb
("scale checkout to 2 and cart to 3"); a piece without a subject borrows the previous clause's
target ("... and its memory limit to 256Mi").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from functools import partial

from kubesmith.agent.offline import intents_extra as extra
from kubesmith.agent.offline import intents_field as field
from kubesmith.agent.offline import intents_workload as work
from kubesmith.agent.offline.specs import Clause, Scan, Spec
from kubesmith.agent.offline.text import FILLER, VERBS, Fragment, first_verb, fragments
from kubesmith.kinds import KIND_ALIASES

Handler = Callable[[Scan, Clause | None], Spec | str | None]

_HANDLERS: tuple[Handler, ...] = (
    field.parse_field,
    extra.parse_hpa,
    extra.parse_pdb,
    extra.parse_security,
    extra.parse_probe,
    work.parse_pull_policy,
    extra.parse_meta,
    work.parse_env,
    extra.parse_expose,
    work.parse_scale,
    work.parse_resources,
    partial(work.parse_image, kinds=frozenset(KIND_ALIASES)),
    extra.parse_delete,
)

GENERIC_ENVS = frozenset(
    {"prod", "production", "staging", "stage", "dev", "development", "qa", "test", "uat", "preprod"}
)
ENV_ALIASES = (
    ("prod", "production"),
    ("prod", "prd"),
    ("staging", "stage"),
    ("staging", "stg"),
    ("dev", "development"),
    ("dev", "develop"),
)

_KEYWORDS = frozenset(
    {
        "replicas",
        "replica",
        "image",
        "tag",
        "version",
        "probe",
        "probes",
        "limit",
        "limits",
        "request",
        "requests",
        "env",
        "variable",
        "label",
        "labels",
        "annotation",
        "annotations",
        "port",
        "ports",
        "policy",
        "value",
        "spec",
        "field",
        "settings",
        "memory",
        "cpu",
        "resources",
        "security",
        "readiness",
        "liveness",
        "startup",
        "pull",
        "name",
    }
)
_NOT_CONTAINERS = frozenset(
    {
        "the",
        "each",
        "every",
        "all",
        "a",
        "an",
        "its",
        "only",
        "main",
        "first",
        "init",
        "one",
        "this",
    }
)


class NotUnderstood(Exception):
    """Raised with the words that could not be understood and, if known, what was missing."""

    def __init__(self, text: str, hint: str = "") -> None:
        super().__init__(text)
        self.text = text
        self.hint = hint


def env_words(overlays: list[str]) -> dict[str, str]:
    """Words that name an environment → the overlay they mean (or themselves when generic)."""
    words = {w: w for w in GENERIC_ENVS}
    for name in overlays:
        words[name.lower()] = name
        for a, b in ENV_ALIASES:
            if name.lower() == a:
                words[b] = name
            elif name.lower() == b:
                words[a] = name
    return words


def _extract(scan: Scan, envs: Mapping[str, str]) -> tuple[tuple[str, ...], str | None, str | None]:
    """Consume the environment(s), namespace and container words of a clause."""
    found: tuple[str, ...] = ()
    names = "|".join(re.escape(w) for w in sorted(envs, key=len, reverse=True))
    if names:
        more = rf"(?:\s*(?:,|\band\b|&)\s*(?:in\s+|for\s+|on\s+)?(?:the\s+)?(?:{names})\b)*"
        m = scan.take(
            rf"\b(?:only\s+)?(?:in|for|on|to|at|within|inside|into)\s+(?:both\s+)?(?:the\s+)?"
            rf"(?:{names})\b{more}(?:\s+(?:envs?|environments?|overlays?|clusters?))?\b"
            rf"(?!\s+namespace)"
        ) or scan.take(
            rf"^\s*(?:{names})\b{more}\s*:|\b(?:{names})\b{more}\s+(?:envs?|environments?|overlays?)\b"
        )
        if m:
            words = re.findall(rf"\b(?:{names})\b", m.group(0), re.IGNORECASE)
            found = tuple(dict.fromkeys(envs[w.lower()] for w in words))
    namespace = None
    if m := scan.take(
        r"\b(?:in\s+)?(?:the\s+)?namespace\s+[`'\"]?([\w-]+)[`'\"]?"
        r"|\b(?:in\s+)?(?:the\s+)?[`'\"]?((?!in\b|the\b|a\b)[\w-]+)[`'\"]?\s+namespace\b"
        r"|(?:^|\s)(?:-n|--namespace)[\s=]+([\w-]+)"
    ):
        namespace = next(g for g in m.groups() if g)
    container = None
    if scan.take(
        r"\b(?:in\s+|of\s+|for\s+|on\s+|to\s+)?(?:all|every|each)\s+(?:of\s+its\s+)?containers?\b"
    ):
        container = "*"
    else:
        for pattern in (
            r"\b(?:in\s+|of\s+|for\s+|on\s+|to\s+)?(?:the\s+)?container\s+[`'\"]?([\w-]+)[`'\"]?",
            r"\b(?:in\s+|of\s+|for\s+|on\s+|to\s+)?(?:the\s+|its\s+)?([\w-]+)\s+container\b",
        ):
            for m in re.finditer(pattern, scan.text, re.IGNORECASE):
                word = m.group(1).lower()
                if word not in _NOT_CONTAINERS and word not in FILLER and word not in _KEYWORDS:
                    scan.spans.append(m.span())
                    container = m.group(1)
                    break
            if container:
                break
    return found, namespace, container


def subject_of(leftover: str) -> str:
    """The words that name the target: what no handler consumed, minus verbs and filler."""
    words = []
    for raw in re.findall(r"[\w./:@=*'’-]+", leftover):
        token = re.sub(r"(?:'s|’s|')$", "", raw).strip("'’").rstrip(".:-")
        low = token.lower()
        if token and low not in FILLER and low not in VERBS and low not in _KEYWORDS:
            words.append(token)
    return " ".join(words)


def _parse_text(text: str, prev: Clause | None, envs: Mapping[str, str]) -> Clause | str | None:
    """One attempt at one clause; a hint string or ``None`` when it is not understood."""
    base = Scan(text)
    found, namespace, container = _extract(base, envs)
    hint: str | None = None
    for handler in _HANDLERS:
        scan = Scan(text, list(base.spans))
        result = handler(scan, prev)
        if result is None:
            continue
        if isinstance(result, str):
            hint = hint or result
            continue
        subject = subject_of(scan.leftover())
        if not subject and prev is None:
            return "which resource, e.g. 'scale checkout to 3' or 'deployment/checkout'"
        return Clause(result, subject, container, namespace, found, text)
    return hint


def _attempt(
    text: str, prev: Clause | None, verb: str, envs: Mapping[str, str]
) -> Clause | str | None:
    if verb and not first_verb(text):
        borrowed = _parse_text(f"{verb} {text}", prev, envs)
        if isinstance(borrowed, Clause):
            return borrowed
    return _parse_text(text, prev, envs)


def parse_intent(
    intent: str, overlays: list[str], names: Collection[str] | None = None
) -> list[Clause]:
    """Parse an intent into clauses.

    ``names`` (lowercase resource names, kind words, namespaces) lets a piece that does not
    parse alone join the previous clause's target list ("..., cart") only when its words name
    something; otherwise the piece is not understood rather than dropped.

    Raises:
        NotUnderstood: with the piece of text that matched no intent kind.
    """
    envs = env_words(overlays)
    frags = fragments(intent)
    clauses: list[Clause] = []
    i = 0
    while i < len(frags):
        prev = clauses[-1] if clauses else None
        verb = first_verb(prev.text) if prev else ""
        text = frags[i].text
        result = _attempt(text, prev, verb, envs)
        hint = result if isinstance(result, str) else ""
        j = i
        while not isinstance(result, Clause) and j + 1 < len(frags):
            j += 1
            text = _join(text, frags[j])
            result = _attempt(text, prev, verb, envs)
        if not isinstance(result, Clause) and prev is not None:
            again = _same_for_another_env(frags[i].text, prev, envs)
            if again is not None:
                result, j = _parse_text(again, clauses[-2] if len(clauses) > 1 else None, envs), i
        if not isinstance(result, Clause) and prev is not None:
            # read the piece as the end of the previous clause ("..., max unavailable 1"),
            # taking as few of the following pieces as possible — only when the piece adds
            # parameters: words that would join the target's name are not understood, never
            # dropped ("scale cart to 3 and frobnicate the cart")
            before = clauses[-2] if len(clauses) > 1 else None
            joined = prev.text
            for j in range(i, len(frags)):
                joined = _join(joined, frags[j])
                result = _parse_text(joined, before, envs)
                if isinstance(result, Clause) and not _adds_names(prev, result, names):
                    result = None
                if isinstance(result, Clause):
                    clauses.pop()
                    break
        if not isinstance(result, Clause):
            raise NotUnderstood(frags[i].text, hint or (result or ""))
        clauses.append(result)
        i = j + 1
    mentioned = {c.envs for c in clauses if c.envs}
    if len(mentioned) == 1:
        only = mentioned.pop()
        clauses = [replace(c, envs=only) for c in clauses]
    return clauses


def _adds_names(prev: Clause, joined: Clause, names: Collection[str] | None) -> bool:
    """True when the words ``joined`` adds to the target all name something."""
    if joined.subject == prev.subject:
        return True
    if names is None:
        return False
    had = set(prev.subject.lower().split())
    new = [w for w in joined.subject.lower().split() if w not in had]
    return all(w in names or w.rstrip("s") in names for w in new)


def _same_for_another_env(piece: str, prev: Clause, envs: Mapping[str, str]) -> str | None:
    """The previous clause again with another value and environment, for "set X to 1 in
    staging and 3 in prod": the piece "3 in prod" becomes "set X to 3 in prod"."""
    names = "|".join(re.escape(w) for w in sorted(envs, key=len, reverse=True))
    if not names or len(prev.envs) != 1:
        return None
    env = r"(?:in|for|on)\s+(?:the\s+)?(" + names + r")(?:\s+(?:envs?|environments?|overlays?))?"
    m = re.fullmatch(rf"(?:to\s+)?(\S+)\s+{env}", piece.strip(), re.IGNORECASE)
    if m is None:
        return None
    old = list(re.finditer(rf"(\S+)(\s+){env}\b", prev.text, re.IGNORECASE))
    if not old:
        return None
    last = old[-1]
    span_start, span_end = last.span()
    said = last.group(0)
    said = said[: last.start(3) - span_start] + m.group(2) + said[last.end(3) - span_start :]
    said = m.group(1) + said[last.end(1) - span_start :]
    return prev.text[:span_start] + said + prev.text[span_end:]


def _join(text: str, frag: Fragment) -> str:
    return f"{text}{frag.sep}{frag.text}"
