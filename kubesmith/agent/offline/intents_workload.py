"""Grammar of workload intents: replicas, images, CPU/memory, env vars and pull policy.

Each ``parse_*`` function looks at one clause and returns a spec when the clause is of its kind,
a short hint (a string) when it is of its kind but a value is missing, or ``None`` when the clause
is not of its kind. The functions consume the words they understood; the rest is the subject.
"""

from __future__ import annotations

import re
from typing import Literal

from kubesmith.agent.offline.specs import (
    Clause,
    EnvVar,
    Image,
    PullPolicy,
    ResourceItem,
    Resources,
    Scale,
    Scan,
    Spec,
)
from kubesmith.agent.offline.text import (
    NUMBER,
    cpu_quantity,
    is_removal,
    looks_like_memory,
    memory_quantity,
    to_int,
    unquote,
)

_UNITS = (
    r"KiB|MiB|GiB|TiB|Ki|Mi|Gi|Ti|Pi|Ei|KB|MB|GB|TB|k|M|G|T|"
    r"millicores?|millicpus?|m|cores?|vcpus?|cpus?|bytes?"
)
_RESOURCE_WORDS = r"\b(?:cpus?|memory|mem|ram)\b"
_INSTANCES = r"(?:replicas?|instances?|copies|pods?)"


def parse_scale(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``scale checkout to 3``, ``increase checkout replicas by 2``, ``double cart``."""
    del prev
    if not s.find(
        r"\b(?:scal(?:e|ed|ing)|replicas?|replica count|double|halve|triple|quadruple)\b"
    ):
        return None
    if s.find(_RESOURCE_WORDS + r"|\b(?:limits?|requests?|min(?:imum)?|max(?:imum)?)\b"):
        return None
    for word, factor in (
        ("double|twice", 2.0), ("triple", 3.0), ("quadruple", 4.0), ("halve|half", 0.5)
    ):  # fmt: skip
        if s.take(rf"\b(?:{word})\b(?:\s+the)?"):
            s.take_all(rf"\b(?:replica count|{_INSTANCES}|number of|scale)\b")
            return Scale("mul", factor)
    down = bool(s.find(r"\b(?:decrease|reduce|lower|remove|fewer|less|shrink|cut|down|scale in)\b"))
    s.take_all(
        r"\b(?:increase|decrease|reduce|lower|raise|grow|shrink|bump|scale(?:\s+(?:up|down|out|in))?|up|down)\b"
    )
    sign = -1.0 if down else 1.0
    if m := s.take(r"\bby\s+(\d+(?:\.\d+)?)\s*%"):
        return Scale("mul", 1.0 + sign * float(m.group(1)) / 100.0)
    if m := s.take(rf"\bby\s+({NUMBER})\b"):
        return Scale("add", sign * to_int(m.group(1)))
    if m := s.take(rf"\b(?:add|remove)\s+({NUMBER})\s+(?:more\s+)?{_INSTANCES}\b"):
        return Scale("add", sign * to_int(m.group(1)))
    if m := s.take(rf"\b({NUMBER})\s+(?:more|fewer|less|extra|additional)\s+{_INSTANCES}\b"):
        return Scale("add", sign * to_int(m.group(1)))
    s.take_all(rf"\b(?:replica count|number of {_INSTANCES}|{_INSTANCES})\b")
    was = s.take(rf"\bfrom\s+({NUMBER})\s+(?=to\b)")
    if m := s.take(rf"(?:\bto\b|=|:)\s*({NUMBER})\b(?:\s*{_INSTANCES}\b)?"):
        return Scale("set", to_int(m.group(1)), to_int(was.group(1)) if was else None)
    if m := s.take(rf"(?<![\w.:/-])({NUMBER})(?![\w.:/-])"):
        return Scale("set", to_int(m.group(1)))
    return "a replica count, e.g. 'scale checkout to 3' or 'scale checkout up by 2'"


_TOKEN = re.compile(r"(?<![\w./:@-])([A-Za-z0-9][\w./:@-]*[\w])(?![\w./:@-])")
_VERSION = r"v?\d+(?:\.\d+)*(?:[-+][\w.\-+]*)?"


def _image_tokens(s: Scan, kinds: frozenset[str]) -> list[re.Match[str]]:
    out = []
    for m in _TOKEN.finditer(s.text):
        tok = m.group(1)
        if (
            tok.lower().endswith((".yaml", ".yml"))
            or "=" in tok
            or tok.startswith(("http", "sha256:"))
        ):
            continue
        if not ("/" in tok or ":" in tok or "@" in tok):
            continue
        if "/" in tok and tok.split("/")[0].lower() in kinds:
            continue
        out.append(m)
    return out


def parse_image(s: Scan, prev: Clause | None, kinds: frozenset[str]) -> Spec | str | None:
    """``set checkout image to registry/checkout:1.5``, ``set checkout tag to 1.5``."""
    del prev
    keyword = s.find(r"\b(?:image|tag|version)\b")
    verb = s.find(
        r"^\s*(?:bump|upgrade|downgrade|deploy|roll\s*out|rollout|roll\s*back|rollback|roll|switch|revert|pin|update|release|ship)\b"
    )
    images = _image_tokens(s, kinds)
    if not keyword and not (verb and (images or s.find(rf"\b{_VERSION}\b"))):
        return None
    s.take(
        r"^\s*(?:bump|upgrade|downgrade|deploy|roll\s*out|rollout|roll\s*back|rollback|roll|switch|revert|pin|update|release|ship)\b"
    )
    if images:
        first = images[0]
        s.spans.append(first.span(1))
        s.take_all(r"\b(?:container\s+)?image\b|\bto\b")
        return Image(image=first.group(1))
    if m := s.take(rf"\b(?:tag|version)\s*(?:to\s+|=\s*|:\s*)?({_VERSION})(?![\w./:-])") or s.take(
        r"\b(?:tag|version|digest)\s*(?:to\s+|=\s*|:\s*)(sha256:[0-9a-f]{64}|[\w][\w.\-]*)(?![\w./:-])"
    ):
        return Image(tag=m.group(1))
    s.take_all(r"\b(?:image\s+)?(?:tag|version)s?\b|\bimage\b")
    s.take(rf"\bfrom\s+(?:version\s+)?{_VERSION}\s+(?=to\b)")  # "switch X from 1.0 to 1.1"
    if m := s.take(rf"\bto\s+(?:version\s+)?({_VERSION})(?![\w./:-])"):
        return Image(tag=m.group(1))
    if m := s.take(r"(?<![\w./:-])(v?\d+\.\d+(?:\.\d+)*(?:[-+][\w.\-+]*)?)(?![\w./:-])"):
        return Image(tag=m.group(1))
    if (
        keyword
        and keyword.group(0).lower() == "image"
        and (m := s.take(r"\bto\s+([a-z0-9][\w.\-]*)\b"))
    ):
        return Image(image=m.group(1))
    return "an image or tag, e.g. 'set checkout image to registry.example.com/checkout:1.5'"


def _quantity(text: str, resource: str) -> str:
    return memory_quantity(text) if resource == "memory" else cpu_quantity(text)


def parse_resources(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``set cart memory limit to 256Mi``, ``remove the cpu limit from cart``."""
    if not s.find(_RESOURCE_WORDS + r"|\b(?:limits?|requests?|requested|limited)\b"):
        return None
    prev_spec = prev.spec if prev else None
    has_res = bool(s.find(_RESOURCE_WORDS))
    if (
        not has_res
        and not isinstance(prev_spec, Resources)
        and not s.find(r"\d")
        and not is_removal(s.text)
    ):
        return None
    tokens = re.finditer(
        r"\b(?P<res>cpus?|memory|mem|ram)\b"
        r"|\b(?P<kind>requests?|requested|reservations?|limits?|limited|caps?|capped)\b"
        rf"|(?<![\w.-])(?P<q>\d+(?:\.\d+)?(?:\s*(?:{_UNITS})\b)?)(?![\w.%])",
        s.text,
        re.IGNORECASE,
    )
    res: Literal["cpu", "memory"] | None = None
    kinds: list[Literal["requests", "limits"]] = []
    quantities: list[
        tuple[str, Literal["cpu", "memory"] | None, list[Literal["requests", "limits"]]]
    ] = []
    res_words: list[Literal["cpu", "memory"]] = []
    # "from 512Mi to 1Gi": the quantity after "from" is what the person thinks is there now,
    # not a second value to set
    was = {w.start(1) for w in re.finditer(r"\bfrom\s+(\d[\w.]*)\s+to\s+\d", s.text, re.IGNORECASE)}
    for m in tokens:
        s.spans.append(m.span())
        if m.group("q") and m.start("q") in was:
            continue
        if m.group("res"):
            res = "cpu" if m.group("res").lower().startswith("cpu") else "memory"
            res_words.append(res)
        elif m.group("kind"):
            kind: Literal["requests", "limits"] = (
                "limits" if m.group("kind").lower().startswith(("limit", "cap")) else "requests"
            )
            if kind not in kinds:
                kinds.append(kind)
        else:
            q = m.group("q")
            q_res: Literal["cpu", "memory"] | None = res
            if looks_like_memory(q) or (res == "memory" and q.strip().endswith("m")):
                q_res = "memory"
            elif re.search(r"m$|cores?$|cpus?$", q.strip(), re.I):
                q_res = "cpu"
            quantities.append((q, q_res, list(kinds)))
    s.take_all(r"\bresources?\b|\bof\b")
    carried_res: Literal["cpu", "memory"] | None = None
    carried_kinds: list[Literal["requests", "limits"]] = []
    if isinstance(prev_spec, Resources) and prev_spec.items:
        carried_res = prev_spec.items[-1][1]
        carried_kinds = [prev_spec.items[-1][0]]
    if is_removal(s.text):
        targets: list[Literal["cpu", "memory"] | None] = list(res_words)
        if not targets:
            targets = [carried_res] if carried_res and not kinds else [None]
        removed: list[Literal["requests", "limits"]] = kinds or carried_kinds
        if not kinds and targets == [None]:
            return "which resource to remove, e.g. 'remove the memory limit from cart'"
        removed = removed or ["requests", "limits"]
        return Resources(tuple((k, r, None) for k in removed for r in dict.fromkeys(targets)))
    if not quantities:
        return "an amount, e.g. 'set cart memory limit to 256Mi' or 'cpu request to 100m'"
    items: list[ResourceItem] = []
    paired = (
        len(quantities) > 1
        and len(kinds) == len(quantities)
        and all(len(q[2]) == len(kinds) for q in quantities)
    )
    for i, (q, q_res, seen_kinds) in enumerate(quantities):
        resource = q_res or res or carried_res
        if resource is None:
            return f"whether {q} is CPU or memory, e.g. 'set cart cpu limit to {q}'"
        sections: list[Literal["requests", "limits"]]
        if paired:
            sections = [kinds[i]]
        else:
            sections = seen_kinds[-1:] if len(quantities) > 1 and seen_kinds else kinds
            sections = sections or carried_kinds or ["requests", "limits"]
        try:
            value = _quantity(q, resource)
        except ValueError:
            unit = "256Mi" if resource == "memory" else "500m"
            return f"a {resource} amount with a unit, e.g. {unit} (got {q!r})"
        items.extend((k, resource, value) for k in sections)
    return Resources(tuple(items))


_ENV_WORD = r"(?:env(?:ironment)?[\s_-]*(?:var(?:iable)?s?)?|variables?|vars?)"
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_VALUE = r"(\"[^\"]*\"|'[^']*'|[^\s,;]+)"
# "=" with its value: "A=b", "A = b", "A= 'b c'"; never "A= on cart" (the next word of the
# sentence is not a value written apart from a "=" that hugs the name).
_EQ = r"(?:\s+=\s*|=\s*(?=[\"'])|=(?=[^\s,;]))"


def parse_env(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``set env LOG_LEVEL=debug on checkout``, ``add env KEY from secret s key k to checkout``."""
    del prev
    upper_assign = re.search(rf"(?<![\w.-])([A-Z_][A-Z0-9_]*){_EQ}{_VALUE}", s.text)
    upper_to = re.search(rf"(?<![\w.-])([A-Z][A-Z0-9]*_[A-Z0-9_]+)\s+(?:to|as)\s+{_VALUE}", s.text)
    if upper_to and not upper_assign and not s.find(rf"\b{_ENV_WORD}\b"):
        s.spans.append(upper_to.span())
        return EnvVar(name=upper_to.group(1), source="value", value=unquote(upper_to.group(2)))
    if not (s.find(rf"\b{_ENV_WORD}\b") or upper_assign or s.find(r"^\s*unset\b")):
        return None
    name = None
    if (
        (
            m := s.take(
                rf"\b{_ENV_WORD}\s+(?!to\b|from\b|on\b|in\b|for\b|of\b|at\b|with\b|vars?\b|variables?\b)({_ENV_NAME})"
            )
        )
        or (m := s.take(rf"\b(?!the\b|an?\b)({_ENV_NAME})\s+{_ENV_WORD}\b"))
        or (m := s.take(rf"^\s*unset\s+({_ENV_NAME})"))
    ):
        name = m.group(1)
    elif upper_assign:
        s.spans.append(upper_assign.span())
        if is_removal(s.text):
            return EnvVar(name=upper_assign.group(1), source="remove")
        return EnvVar(
            name=upper_assign.group(1), source="value", value=unquote(upper_assign.group(2))
        )
    if name is None:
        return "the variable's name, e.g. 'set env LOG_LEVEL=debug on checkout'"
    if is_removal(s.text) or s.find(r"^\s*unset\b"):
        s.take(r"^\s*\w+")
        return EnvVar(name=name, source="remove")
    src = s.take(
        r"\bfrom\s+(?:the\s+)?(?P<kind>config\s*-?\s*maps?|cm|secrets?)\s+(?P<ref>[\w.\-]+)"
        r"(?:(?:\s*(?:'s)?\s+key\s+|\s*/\s*|\s*:\s*)(?P<key>[\w.\-]+))?"
    ) or s.take(
        r"\bfrom\s+(?:the\s+)?key\s+(?P<key>[\w.\-]+)\s+(?:of|in|from)\s+(?:the\s+)?"
        r"(?P<kind>config\s*-?\s*maps?|cm|secrets?)\s+(?P<ref>[\w.\-]+)"
    )
    if src:
        is_secret = src.group("kind").lower().startswith("secret")
        return EnvVar(
            name=name,
            source="secret" if is_secret else "configMap",
            source_name=src.group("ref"),
            key=src.group("key") or name,
        )
    if m := s.take(rf"(?<={re.escape(name)}){_EQ}{_VALUE}") or s.take(
        rf"(?:\b(?:to|as)\s*|{_EQ}){_VALUE}"
    ):
        return EnvVar(name=name, source="value", value=unquote(m.group(1)))
    return "a value, e.g. 'set env LOG_LEVEL=debug on checkout' or 'from configmap shop-config'"


_POLICIES = {"always": "Always", "ifnotpresent": "IfNotPresent", "never": "Never"}


def parse_pull_policy(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``set imagePullPolicy to Always on catalog``, ``always pull the catalog image``."""
    del prev
    if not s.find(r"\b(?:image\s*)?pull\s*-?\s*policy\b|\balways\s+pull\b|\bpull\s+always\b"):
        return None
    s.take_all(r"\b(?:image\s*)?pull\s*-?\s*policy\b|\bimage\b")
    if m := s.take(r"\balways\s+pull\b|\bpull\s+always\b"):
        return PullPolicy("Always")
    if m := s.take(r"\b(always|if\s*-?\s*not\s*-?\s*present|never)\b"):
        return PullPolicy(_POLICIES[re.sub(r"[\s-]", "", m.group(1).lower())])
    return "a policy: Always, IfNotPresent or Never"
