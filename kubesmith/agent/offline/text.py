"""Words and numbers: the small vocabulary every part of the offline grammar shares.

The grammar is regular-expression based on purpose: it is deterministic, fast (microseconds per
clause), and every phrasing it accepts is listed in ``docs/intents.md``. This module holds what is
common to all intent kinds: splitting an intent into clauses, verbs, filler words, numbers and
Kubernetes quantities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REMOVE_VERBS = frozenset({"remove", "delete", "drop", "unset", "clear", "strip", "erase"})
VERBS = frozenset(
    {
        "set",
        "roll",
        "cap",
        "change",
        "update",
        "make",
        "give",
        "add",
        "put",
        "use",
        "configure",
        "scale",
        "increase",
        "decrease",
        "reduce",
        "raise",
        "lower",
        "bump",
        "create",
        "expose",
        "label",
        "annotate",
        "harden",
        "enable",
        "pin",
        "upgrade",
        "downgrade",
        "deploy",
        "autoscale",
        "double",
        "halve",
        "triple",
        "quadruple",
        "switch",
        "limit",
        "request",
        "run",
        "ensure",
        "apply",
        "revert",
        "rollback",
        *REMOVE_VERBS,
    }
)

FILLER = frozenset(
    {
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "on",
        "in",
        "at",
        "into",
        "with",
        "from",
        "by",
        "its",
        "it",
        "their",
        "them",
        "they",
        "this",
        "that",
        "and",
        "also",
        "then",
        "please",
        "should",
        "have",
        "has",
        "be",
        "is",
        "are",
        "so",
        "new",
        "now",
        "same",
        "one",
        "too",
        "as",
        "well",
        "up",
        "down",
        "out",
        "own",
        "me",
        "we",
        "i",
        "can",
        "could",
        "you",
        "let",
        "lets",
        "let's",
        "kindly",
        "just",
        "only",
        "resource",
        "resources",
        "there",
        "which",
        "where",
        "called",
        "named",
    }
)
"""Words that never name a resource; what remains of a clause after them is its subject."""

PRONOUNS = frozenset({"its", "it", "their", "them", "they", "same"})

_WORD_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "twenty": 20,
}
NUMBER = r"(?:\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty)"


def to_int(word: str) -> int:
    """``"3"`` or ``"three"`` → 3."""
    word = word.lower()
    return _WORD_NUMBERS[word] if word in _WORD_NUMBERS else int(word)


_SEPARATORS = re.compile(
    # a line break or a sentence's end (". " — never the dots of "1.5.0") also ends a request
    r"\s*;\s*|(?:\s*(?:[\r\n]+|\.\s+)\s*|\s*,\s*)(?:and\s+|then\s+|also\s+)?"
    r"|\s+(?:and\s+then|and\s+also|and|then|also|plus)\s+",
    re.IGNORECASE,
)
_BETWEEN = re.compile(rf"\bbetween\s+({NUMBER})\s+and\s+({NUMBER})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Fragment:
    """A piece of an intent between separators, with the separator that preceded it."""

    text: str
    sep: str


def fragments(intent: str) -> list[Fragment]:
    """Split an intent at ``;``, ``,``, ``and``, ``then``; quoted strings are never split."""
    text = _BETWEEN.sub(r"from \1 to \2", intent.strip().rstrip(".!"))
    quoted: dict[str, str] = {}

    def _hide(m: re.Match[str]) -> str:
        key = f"\x00{len(quoted)}\x00"
        quoted[key] = m.group(0)
        return key

    text = re.sub(r'"[^"]*"|\'[^\']*\'', _hide, text)
    out: list[Fragment] = []
    pos = 0
    sep = ""
    for m in _SEPARATORS.finditer(text):
        out.append(Fragment(text[pos : m.start()], sep))
        sep = m.group(0)
        pos = m.end()
    out.append(Fragment(text[pos:], sep))
    result = []
    for frag in out:
        piece = frag.text
        for key, value in quoted.items():
            piece = piece.replace(key, value)
        if piece.strip():
            result.append(Fragment(piece.strip(), frag.sep))
    return result


def first_verb(text: str) -> str:
    """The leading verb of a clause (with ``up``/``down`` after ``scale``), or ``""``."""
    m = re.match(r"\s*([\w-]+)(\s+(?:up|down|out|in)\b)?", text)
    if not m or m.group(1).lower() not in VERBS:
        return ""
    return m.group(0).strip()


def is_removal(text: str) -> bool:
    """True when the clause asks to take something away ("remove", "drop", "unset", "no ...")."""
    m = re.match(r"\s*(?:please\s+)?([\w-]+)", text)
    head = m.group(1).lower() if m else ""
    return head in REMOVE_VERBS or bool(re.search(r"\bget rid of\b|\bwithout\b", text, re.I))


def unquote(value: str) -> str:
    """Strip one pair of matching quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


# --------------------------------------------------------------------------- quantities

CPU_RE = r"\d+(?:\.\d+)?\s*(?:m\b|millicores?\b|millicpus?\b|cores?\b|cpus?\b|vcpus?\b)?"
MEMORY_RE = r"\d+(?:\.\d+)?\s*(?:[KMGTPE]i?B?\b|[kmgtpe]i?b?\b|bytes?\b)"
QUANTITY_RE = rf"(?:{MEMORY_RE}|{CPU_RE})"


def cpu_quantity(text: str) -> str:
    """Normalise a CPU amount: ``"0.5"``/``"half"`` style decimals become millicores.

    Raises:
        ValueError: when the text is not a CPU amount.
    """
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text.strip().lower())
    if not m:
        raise ValueError(text)
    number, unit = m.group(1), m.group(2)
    if unit.startswith("m"):
        if "." in number:
            raise ValueError(text)
        return f"{int(number)}m"
    if unit and not unit.startswith(("core", "cpu", "vcpu")):
        raise ValueError(text)
    value = float(number)
    if value.is_integer():
        return str(int(value))
    return f"{round(value * 1000)}m"


_MEMORY_UNITS = {
    "k": "k",
    "kb": "k",
    "m": "M",
    "mb": "M",
    "g": "G",
    "gb": "G",
    "t": "T",
    "tb": "T",
    "ki": "Ki",
    "kib": "Ki",
    "mi": "Mi",
    "mib": "Mi",
    "gi": "Gi",
    "gib": "Gi",
    "ti": "Ti",
    "tib": "Ti",
}


def memory_quantity(text: str) -> str:
    """Normalise a memory amount: ``256MiB`` → ``256Mi``, ``1GB`` → ``1G`` (decimal, as written).

    Raises:
        ValueError: when the text has no recognised unit (a bare number is too easy to get wrong).
    """
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", text.strip())
    if not m or m.group(2).lower() not in _MEMORY_UNITS:
        raise ValueError(text)
    return f"{m.group(1)}{_MEMORY_UNITS[m.group(2).lower()]}"


def looks_like_memory(text: str) -> bool:
    """True when the amount carries a memory unit (``Mi``, ``G``, ...)."""
    try:
        memory_quantity(text)
    except ValueError:
        return False
    return not re.fullmatch(r"\d+(?:\.\d+)?\s*m", text.strip())
