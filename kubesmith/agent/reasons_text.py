"""Normalise a reviewer's words before reading conventions out of them.

People write rejection reasons in their own way: markdown (``**bold**``, ``code spans``, lists,
quotes, struck-out text), numbers as words ("two replicas"), typos ("lable", "memroy",
"requried"), shorthands ("pls", "w/", "mem", "ns"). The reader (:mod:`kubesmith.agent.reasons`)
wants one plain form, so this module turns a reason into lower-case sentences with markdown
gone, numbers as digits and misspelt vocabulary words corrected by edit distance against the
field and kind words the reader knows (never against a general dictionary: an unknown word that
is not close to a known one stays as it is).

The original text is kept for the evidence; only the reader sees the normalised form.
"""

from __future__ import annotations

import re
from functools import lru_cache


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (for word lists kept readable in source)."""
    return frozenset(text.split())


VOCABULARY = words(
    """
    label labels labelled labeled annotation annotations annotate annotated memory request
    requests limit limits equal equals match matches same identical replica replicas
    registry registries image images latest pinned version versions probe probes readiness
    liveness startup topology spread constraint constraints zones hostpath namespace
    namespaces required requires mandatory missing allowed permitted forbidden prohibited
    disallowed banned disruption budget policy please privileged privilege escalation
    network networking security context readonly filesystem termination graceful shutdown
    period seconds revision history priority class service account token mount owner team
    tier request required always ifnotpresent never containers container minimum maximum
    least docker deployment deployments workload workloads should must images cpu pull
    pulled annotation
    """
)
"""Words a typo is corrected towards: the field, kind and convention vocabulary."""

_KEEP = words(
    """
    need needs needed lower later limited latest least lease please place plain pods pod
    last test tests team teams tier time node nodes none nope note notes make made more most
    must mist same some said sure type this that than then they them there these those what
    when where which while with without would could should other others loses lose load
    loads lock look looks true false ready reads read real rule rules spreads sprint allow
    allows alert alerts image name named names page pages pull mirror mirrors quota cores
    core host hosts path paths mounts mount mean meant repo reopen reason early every each
    ever even open over only once ones into onto drain drains takes take thing things burn
    burst burstable limit limits contact contacts person people every label
    """
)
"""Common words that lie within one edit of a vocabulary word but are not typos of it."""

_SHORTHANDS = {
    "pls": "please",
    "plz": "please",
    "w/": "with",
    "w/o": "without",
    "mem": "memory",
    "req": "request",
    "reqs": "requests",
    "ns": "namespace",
    "dont": "don't",
    "isnt": "isn't",
    "arent": "aren't",
    "doesnt": "doesn't",
    "wont": "won't",
    "cant": "can't",
    "teh": "the",
    "atleast": "at least",
    "imgs": "images",
    "img": "image",
    "dockerhub": "docker.io",
    "pdbs": "pdb",
    "fs": "filesystem",
}

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "single": 1, "a couple of": 2, "a couple": 2, "a pair of": 2,
    "a dozen": 12, "a hundred": 100,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90, "hundred": 100}  # fmt: skip

_NUMBER_WORDS = re.compile(
    r"\b(?:(?P<tens>" + "|".join(_TENS) + r")(?:[\s-]+(?P<unit>" + "|".join(
        u for u in _UNITS if " " not in u) + r"))?|(?P<only>" + "|".join(
        sorted(_UNITS, key=len, reverse=True)) + r"))\b"
)  # fmt: skip


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Edit distance counting an adjacent swap as one edit ("memroy" -> "memory" is 1)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=4096)
def correct_word(word: str) -> str:
    """``word``, or the one vocabulary word it is a typo of (distance 1, 2 for long words)."""
    if len(word) < 4 or word in VOCABULARY or word in _KEEP or not word.isalpha():
        return word
    allowed = 1 if len(word) < 7 else 2
    best: list[tuple[int, str]] = []
    for v in VOCABULARY:
        d = osa_distance(word, v, allowed + 1)
        if d <= allowed:
            best.append((d, v))
    if not best:
        return word
    best.sort()
    if len(best) > 1 and best[0][0] == best[1][0] and best[0][1] != best[1][1]:
        # two equally close words: a plural and its singular are fine, anything else is a guess
        a, b = best[0][1], best[1][1]
        if a.rstrip("s") != b.rstrip("s"):
            return word
    return best[0][1]


def _numbers(text: str) -> str:
    def number(m: re.Match[str]) -> str:
        if m.group("only"):
            return str(_UNITS[m.group("only")])
        return str(_TENS[m.group("tens")] + (_UNITS[m.group("unit")] if m.group("unit") else 0))

    return _NUMBER_WORDS.sub(number, text)


def _markdown(text: str) -> str:
    text = re.sub(r"~~(.+?)~~", r"no \1", text)  # struck out: "not this"
    text = re.sub(r"(?m)^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+\[[ x]\]\s*|[-*+]\s+|\d+[.)]\s+)", "", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = text.replace("`", " ")
    text = text.replace("≠", " != ").replace("≥", " >= ").replace("≤", " <= ")
    text = re.sub(r"\s*(?:->|→)\s*", " , use ", text)
    return re.sub(r"\s*=>\s*", " is ", text)


def _word(m: re.Match[str]) -> str:
    w = m.group(0)
    if w in _SHORTHANDS:
        return _SHORTHANDS[w]
    return correct_word(w)


def normalise(text: str) -> str:
    """``text`` in the reader's plain form: lower case, no markdown, digits, typos corrected.

    Keys and values keep their spelling apart from case (``owner=shop-team``); a sentence ends
    at ``.``, ``;``, ``!``, ``?`` or a line break and each becomes one line.
    """
    text = _markdown(text).lower()
    text = _numbers(text)
    text = re.sub(r"(?<![\w./-])[a-z][a-z']*(?:/o?)?(?![\w/=-]|[.:]\w)", _word, text)
    text = re.sub(r"(?<![\w./-])[a-z][a-z']*(?=[:=]\s)", _word, text)  # "labell: owner"
    return re.sub(r"[ \t]+", " ", text)


def sentences(text: str) -> list[str]:
    """The normalised sentences of ``text`` (split where the writer ended one)."""
    parts = re.split(r"(?<=[.;!?])\s+|\n+|(?<=[a-z0-9)])[.;!?]$", normalise(text))
    return [p.strip(" .;!?,") for p in parts if p and p.strip(" .;!?,")]
