"""Grammar of labels, annotations, probes, Services, HPAs, PDBs, hardening and deletion.

Same contract as :mod:`kubesmith.agent.offline.intents_workload`: a spec, a hint string when a
value is missing, or ``None`` when the clause is of another kind.
"""

from __future__ import annotations

import re
from typing import Literal

from kubesmith.agent.offline.specs import (
    Autoscale,
    Budget,
    Clause,
    Delete,
    Expose,
    Meta,
    Probe,
    Scan,
    Security,
    Spec,
)
from kubesmith.agent.offline.text import FILLER, NUMBER, is_removal, to_int, unquote
from kubesmith.kinds import KIND_ALIASES

_VALUE = r"(\"[^\"]*\"|'[^']*'|[^\s,;]*)"
_KEY = r"[A-Za-z0-9][\w./\-]*"
_META_WORD = r"\b(?:labels?|labell?ed|annotations?|annotate[ds]?)\b"


def parse_meta(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``add label team=payments to checkout``, ``remove the team annotation from cart``."""
    del prev
    kw = s.find(_META_WORD)
    if not kw:
        return None
    field: Literal["labels", "annotations"] = (
        "annotations" if kw.group(0).lower().startswith("annot") else "labels"
    )
    pod = bool(
        s.take(r"\bpod(?:\s+template)?(?:'s)?\b(?=\s+(?:labels?|annotations?))")
        or s.take(r"\b(?:on|to|of)\s+(?:the\s+|its\s+)?pods(?:\s+of)?\b")
    )
    removal = is_removal(s.text) or bool(s.find(r"^\s*un(?:label|annotate)\b"))
    pairs = [
        (m.group(1), unquote(m.group(2)))
        for m in s.take_all(rf"(?<![\w./-])({_KEY})\s*=\s*{_VALUE}")
    ]
    if removal:
        keys = [k for k, _ in pairs]
        if m := s.take(
            rf"{_META_WORD}\s+((?:{_KEY})(?:\s*(?:,|\band\b)\s*{_KEY})*)(?=\s+(?:from|on|of|in)\b|\s*$)"
        ):
            keys += [k for k in re.split(r"\s*(?:,|\band\b)\s*", m.group(1)) if k]
        elif (m := s.take(rf"(?<![\w./-])({_KEY})\s+{_META_WORD}")) and m.group(
            1
        ).lower() not in FILLER:
            keys.append(m.group(1))
        s.take_all(_META_WORD + r"|^\s*\w+")
        keys = [k for k in keys if k.lower() not in FILLER]
        if not keys:
            return f"which {field[:-1]} to remove, e.g. 'remove label team from checkout'"
        return Meta(field=field, remove=tuple(keys), pod=pod)
    if not pairs and (m := s.take(rf"{_META_WORD}\s+({_KEY})\s*(?:to|as|:|with value)\s+{_VALUE}")):
        pairs.append((m.group(1), unquote(m.group(2))))
    s.take_all(_META_WORD)
    if not pairs:
        return f"a key=value pair, e.g. 'add {field[:-1]} team=payments to checkout'"
    return Meta(field=field, set=tuple(pairs), pod=pod)


_PROBE_KINDS: dict[str, Literal["readiness", "liveness", "startup"]] = {
    "readiness": "readiness",
    "ready": "readiness",
    "liveness": "liveness",
    "liveliness": "liveness",
    "live": "liveness",
    "startup": "startup",
    "start-up": "startup",
}


def parse_probe(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``add a readiness probe on /healthz port 8080 to catalog``, ``remove its liveness probe``."""
    del prev
    if not s.find(r"\bprobes?\b|\bhealth\s*-?\s*checks?\b"):
        return None
    found = s.take_all(
        r"(?<![/.\w-])(readiness|ready|liveness|liveliness|live|startup|start-up)\b(?![/-])"
    )
    kinds = tuple(dict.fromkeys(_PROBE_KINDS[m.group(1).lower()] for m in found))
    kinds = kinds or ("readiness", "liveness")
    s.take_all(r"\bprobes?\b|\bhealth\s*-?\s*checks?\b")
    if is_removal(s.text):
        s.take(r"^\s*\w+")
        return Probe(kinds=kinds, remove=True)
    handler: Literal["http", "tcp", "grpc"] | None = None
    if m := s.take(r"(?<!port )\b(https?|httpget|http-get|tcp|tcpsocket|tcp-socket|grpc)\b"):
        word = m.group(1).lower()
        handler = "http" if word.startswith("http") else "tcp" if word.startswith("tcp") else "grpc"
    path = None
    port: str | int | None = None
    if m := s.take(r"(?:\bpath\s+)?(?<![\w./-])(/[\w./\-]*)(?::(\d+))?"):
        path = m.group(1)
        port = int(m.group(2)) if m.group(2) else None
        handler = handler or "http"
    if port is None and (
        m := s.take(r"\bport\s+(\d+|(?!on\b|of\b|to\b|for\b|in\b)[a-z][\w-]*)\b")
        or s.take(r"(?<![\w/])(?:on\s+|:)(\d+)\b")
    ):
        port = int(m.group(1)) if m.group(1).isdigit() else m.group(1)
    period = delay = None
    if m := s.take(
        r"\b(?:every|period(?:seconds)?\s*(?:of|=|:)?)\s*(\d+)\s*(?:s|sec|secs|seconds?)?\b"
    ):
        period = int(m.group(1))
    if m := s.take(
        r"\b(?:after|initial\s*-?\s*delay(?:seconds)?(?:\s+of)?|delay(?:ed)?(?:\s+by)?)\s*=?\s*"
        r"(\d+)\s*(?:s|sec|secs|seconds?)?\b"
    ):
        delay = int(m.group(1))
    s.take_all(r"\b(?:hitting|checking|calling|using|via|against|path|endpoint)\b")
    return Probe(kinds=kinds, handler=handler, path=path, port=port, period=period, delay=delay)


def parse_expose(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``expose catalog on port 8080``, ``create a service for cart``, ``... as NodePort``."""
    del prev
    wants_service = s.find(r"\b(?:create|add|make|new|give)\b.*?\bservice\b")
    if not (s.find(r"\bexpose[ds]?\b") or wants_service):
        return None
    if s.find(_META_WORD):
        return None
    s.take_all(r"\bexpose[ds]?\b|\b(?:(?:a|an|the)\s+)?(?:new\s+)?service\b")
    svc_type = None
    if m := s.take(
        r"\b(?:as\s+(?:an?\s+)?|type\s+|of\s+type\s+|using\s+(?:an?\s+)?)?"
        r"(node\s*-?\s*port|load\s*-?\s*balancer|cluster\s*-?\s*ip|headless)\b"
    ):
        word = re.sub(r"[\s-]", "", m.group(1).lower())
        svc_type = {"nodeport": "NodePort", "loadbalancer": "LoadBalancer"}.get(word)
        svc_type = svc_type or ("ClusterIP" if word == "clusterip" else "Headless")
    port: int | None = None
    target: int | str | None = None
    if m := s.take(r"\b(?:port\s+)?(\d+)\s+as\s+(?:port\s+)?(\d+)\b"):
        target, port = int(m.group(1)), int(m.group(2))
    elif m := s.take(r"\b(?:port\s+)?(\d+)\s*(?:->|=>|:)\s*(\d+|[a-z][\w-]*)\b"):
        port = int(m.group(1))
        target = int(m.group(2)) if m.group(2).isdigit() else m.group(2)
    else:
        if m := s.take(r"\b(?:on\s+)?(?:port\s+)?(\d+)\b"):
            port = int(m.group(1))
        if m := s.take(
            r"\b(?:target(?:ing)?|target\s*-?\s*port|to\s+container\s+port)\s+(?:port\s+)?"
            r"(\d+|[a-z][\w-]*)\b"
        ):
            target = int(m.group(1)) if m.group(1).isdigit() else m.group(1)
    s.take_all(r"\bports?\b")
    return Expose(port=port, target=target, type=svc_type)


_HPA = r"\b(?:an?\s+)?(?:hpa|horizontal\s*-?\s*pod\s*-?\s*auto\s*-?\s*scaler|auto\s*-?\s*scal\w*)\b"


def parse_hpa(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``autoscale checkout from 2 to 10 at 70% cpu``, ``add an hpa to checkout with max 5``."""
    del prev
    if not s.find(_HPA):
        return None
    s.take_all(_HPA)
    if is_removal(s.text):
        s.take(r"^\s*\w+")
        return Autoscale(remove=True)
    low = high = cpu = memory = None
    if (
        m := s.take(rf"\bfrom\s+({NUMBER})\s+(?:to|up to)\s+({NUMBER})\b(?:\s+(?:replicas|pods))?")
    ) or (
        m := s.take(rf"(?<![\w.])({NUMBER})\s*(?:-|–|\.\.)\s*({NUMBER})\b(?:\s+(?:replicas|pods))?")
    ):
        low, high = to_int(m.group(1)), to_int(m.group(2))
    if m := s.take(rf"\bmin(?:imum)?(?:[\s_-]*replicas)?\s*(?:of|=|:|to|is)?\s*({NUMBER})\b"):
        low = to_int(m.group(1))
    if m := s.take(
        rf"\b(?:max(?:imum)?(?:[\s_-]*replicas)?\s*(?:of|=|:|to|is)?|up\s+to)\s*({NUMBER})\b"
    ):
        high = to_int(m.group(1))
    pct = r"(\d+)\s*%"
    if m := s.take(
        rf"\bmem(?:ory)?\s*(?:target|utili[sz]ation|usage)?\s*(?:of|at|=|:|to)?\s*{pct}"
    ) or s.take(rf"{pct}\s*(?:of\s+)?mem(?:ory)?(?:\s+(?:target|utili[sz]ation|usage))?"):
        memory = int(m.group(1))
    if (
        m := s.take(rf"\bcpu\s*(?:target|utili[sz]ation|usage)?\s*(?:of|at|=|:|to)?\s*{pct}")
        or s.take(rf"{pct}\s*(?:of\s+)?cpu(?:\s+(?:target|utili[sz]ation|usage))?")
        or s.take(rf"\b(?:at|target(?:ing)?|of)?\s*{pct}")
    ):
        cpu = int(m.group(1))
    s.take_all(r"\b(?:replicas|pods|target|utili[sz]ation)\b")
    return Autoscale(min=low, max=high, cpu=cpu, memory=memory)


_PDB = r"\b(?:an?\s+)?(?:pdb|pod\s*-?\s*disruption\s*-?\s*budget|disruption\s*-?\s*budget)\b"


def _int_or_pct(text: str) -> int | str:
    return text if text.endswith("%") else to_int(text)


def parse_pdb(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``add a pdb for checkout with minAvailable 1``, ``... max unavailable 25%``."""
    del prev
    if not s.find(_PDB):
        return None
    s.take_all(_PDB)
    if is_removal(s.text):
        s.take(r"^\s*\w+")
        return Budget(remove=True)
    value = rf"({NUMBER}%?|\d+\s*%)"
    low = high = None
    if m := s.take(rf"\bmin(?:imum)?[\s_-]*available\s*(?:of|=|:|to|is)?\s*{value}") or s.take(
        rf"\bat\s+least\s+{value}\s*(?:pods?|replicas?)?\s*(?:available|up|running)?"
    ):
        low = _int_or_pct(m.group(1).replace(" ", ""))
    if m := s.take(rf"\bmax(?:imum)?[\s_-]*unavailable\s*(?:of|=|:|to|is)?\s*{value}") or s.take(
        rf"\bat\s+most\s+{value}\s*(?:pods?|replicas?)?\s*(?:unavailable|down)"
    ):
        high = _int_or_pct(m.group(1).replace(" ", ""))
    if low is not None and high is not None:
        return "either minAvailable or maxUnavailable, not both (Kubernetes allows one)"
    return Budget(min_available=low, max_unavailable=high)


_SECURITY_CHECKS = (
    (
        "runAsNonRoot",
        r"\bnon\s*-?\s*root\b|\brunasnonroot\b|\bnot\s+(?:run\s+)?as\s+root\b|\bas\s+root\b",
    ),
    (
        "readOnlyRootFilesystem",
        r"\breadonlyrootfilesystem\b|\bread\s*-?\s*only(?:\s+root)?(?:\s+file\s*-?\s*system|\s+fs)?\b"
        r"|\broot\s+file\s*-?\s*system\b",
    ),
    ("allowPrivilegeEscalation", r"\b(?:allow)?privilege\s*escalation\b|\bescalation\b"),
    ("dropCapabilities", r"\b(?:linux\s+)?capabilit(?:y|ies)\b"),
    ("seccomp", r"\bseccomp(?:\s*-?\s*profile)?\b|\bruntime\s*-?\s*default\b"),
)
_HARDEN = r"\bharden(?:ed|ing)?\b|\bsecurity\s*-?\s*context\b|\bsecure\b|\block\s+down\b"


def parse_security(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``harden checkout``, ``run cart as non-root``, ``drop all capabilities on payments``."""
    del prev
    chosen = [name for name, pattern in _SECURITY_CHECKS if s.find(pattern)]
    if not chosen and not s.find(_HARDEN):
        return None
    for name, pattern in _SECURITY_CHECKS:
        if name in chosen:
            s.take_all(pattern)
    s.take_all(
        _HARDEN + r"|\b(?:disallow|disable|prevent|forbid|deny|block|no|turn\s+off|set|enable|use"
        r"|apply|run|make|drop|all|profile|true|false|to|is|be|filesystem|readonly|read-only)\b"
    )
    return Security(tuple(chosen)) if chosen else Security()


def parse_delete(s: Scan, prev: Clause | None) -> Spec | str | None:
    """``delete the cart-cleanup cronjob``, ``remove service catalog`` (a kind word is required)."""
    del prev
    if not s.find(r"^\s*(?:please\s+)?(?:delete|remove|drop)\b"):
        return None
    words = {w.lower() for w in re.findall(r"[\w-]+", s.text)}
    if not words & set(KIND_ALIASES):
        return (
            "the kind of what to delete (a whole resource is deleted only when its kind is "
            "named), e.g. 'delete the cart-cleanup cronjob'"
        )
    s.take(r"^\s*(?:please\s+)?(?:delete|remove|drop)\b")
    return Delete()
