"""The Kubernetes CEL libraries (quantity, lists, regex, url, ip/cidr, format) for cel-expr-python.

The API server extends CEL with these libraries and real admission policies use them, so an
offline evaluator that lacks them would reject valid policies. cel-expr-python cannot carry opaque
Python objects through an evaluation, so each Kubernetes type travels as a one-key map tagged
with its type (``{"__k8s_quantity__": "500m"}``); the functions here check the tag, so a quantity
passed where an IP is expected is an evaluation error, as it is in the API server.

Two functions return optionals (``format.named`` and ``<format>.validate``), which a Python
function cannot build; :func:`rewrite_optional_calls` in :mod:`celenv` turns them into list
functions followed by the optional index ``[?0]``, which has the same meaning.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kubesmith.tools.policy import semver
from kubesmith.tools.policy.formats import FORMATS, validate_format
from kubesmith.tools.policy.quantity import format_quantity, is_quantity, parse_quantity

_Q = "__k8s_quantity__"
_URL = "__k8s_url__"
_IP = "__k8s_ip__"
_CIDR = "__k8s_cidr__"
_FORMAT = "__k8s_format__"


def _unwrap(value: Any, tag: str) -> str:
    if isinstance(value, dict) and len(value) == 1 and tag in value:
        return str(value[tag])
    kind = tag.strip("_").removeprefix("k8s_")
    raise TypeError(f"no such overload: expected a {kind}, got {type(value).__name__}")


# ---------------------------------------------------------------- quantity


def _q(value: Any) -> Fraction:
    return parse_quantity(_unwrap(value, _Q))


def _qwrap(value: Fraction) -> dict[str, str]:
    return {_Q: format_quantity(value)}


def _operand(value: Any) -> Fraction:
    return Fraction(value) if isinstance(value, int) and not isinstance(value, bool) else _q(value)


def _as_integer(value: Any) -> int:
    q = _q(value)
    if q.denominator != 1 or not -(2**63) <= q.numerator < 2**63:
        raise ValueError("cannot convert value to integer")
    return q.numerator


def _sign(value: Fraction) -> int:
    return (value > 0) - (value < 0)


def _compare(a: Any, b: Any) -> int:
    """Quantities by value, semantic versions by precedence (the two comparable types)."""
    if semver.is_semver_value(a):
        return semver.compare(a, b)
    return _sign(_q(a) - _q(b))


_QUANTITY_FUNCS: dict[str, Callable[..., Any]] = {
    "quantity": lambda s: _qwrap(parse_quantity(s)),
    "isQuantity": is_quantity,
    "sign": lambda q: _sign(_q(q)),
    "isInteger": lambda q: _q(q).denominator == 1,
    "asInteger": _as_integer,
    "asApproximateFloat": lambda q: float(_q(q)),
    "add": lambda q, o: _qwrap(_q(q) + _operand(o)),
    "sub": lambda q, o: _qwrap(_q(q) - _operand(o)),
    "isLessThan": lambda q, o: _compare(q, o) < 0,
    "isGreaterThan": lambda q, o: _compare(q, o) > 0,
    "compareTo": _compare,
}


# ---------------------------------------------------------------- lists and regex


def _comparable(items: list[Any]) -> list[Any]:
    if items and all(isinstance(i, dict) and _Q in i for i in items):
        return [_q(i) for i in items]
    return items


def _min(items: list[Any]) -> Any:
    if not items:
        raise ValueError("min called on empty list")
    keys = _comparable(items)
    return items[keys.index(min(keys))]


def _max(items: list[Any]) -> Any:
    if not items:
        raise ValueError("max called on empty list")
    keys = _comparable(items)
    return items[keys.index(max(keys))]


def _sum(items: list[Any]) -> Any:
    if items and all(isinstance(i, dict) and _Q in i for i in items):
        return _qwrap(sum((_q(i) for i in items), Fraction(0)))
    return sum(items) if items else 0


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    found = [m.group(0) for m in _regex(pattern).finditer(text)]
    return found if limit < 0 else found[:limit]


def _find(text: str, pattern: str) -> str:
    m = _regex(pattern).search(text)
    return m.group(0) if m else ""


_LIST_FUNCS: dict[str, Callable[..., Any]] = {
    "isSorted": lambda items: (k := _comparable(items)) == sorted(k),
    "sum": _sum,
    "min": _min,
    "max": _max,
}


# ---------------------------------------------------------------- url


def _url(text: str) -> dict[str, str]:
    parts = urlsplit(text)
    if not (parts.scheme or text.startswith("/")) or " " in text:
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    return {_URL: text}


def _is_url(text: str) -> bool:
    try:
        _url(text)
    except ValueError:
        return False
    return True


def _host(u: Any) -> str:
    return urlsplit(_unwrap(u, _URL)).netloc.rpartition("@")[2]


def _hostname(u: Any) -> str:
    host = _host(u)
    if host.startswith("["):
        return host[1 : host.index("]")]
    return host.rpartition(":")[0] if ":" in host else host


def _port(u: Any) -> str:
    host = _host(u)
    tail = host[host.index("]") + 1 :] if host.startswith("[") else host
    return tail.rpartition(":")[2] if ":" in tail else ""


_URL_FUNCS: dict[str, Callable[..., Any]] = {
    "url": _url,
    "isURL": _is_url,
    "getScheme": lambda u: urlsplit(_unwrap(u, _URL)).scheme,
    "getHost": _host,
    "getHostname": _hostname,
    "getPort": _port,
    "getEscapedPath": lambda u: urlsplit(_unwrap(u, _URL)).path,
    "getQuery": lambda u: parse_qs(urlsplit(_unwrap(u, _URL)).query, keep_blank_values=True),
}


# ---------------------------------------------------------------- ip and cidr


def _ip_obj(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    text = value if isinstance(value, str) else _unwrap(value, _IP)
    return ipaddress.ip_address(text)


def _ip(text: str) -> dict[str, str]:
    addr = ipaddress.ip_address(text)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise ValueError("IPv4-mapped IPv6 addresses are not allowed")
    if "%" in text:
        raise ValueError("IP address with zone value is not allowed")
    return {_IP: text}


def _net(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    text = value if isinstance(value, str) else _unwrap(value, _CIDR)
    return ipaddress.ip_network(text, strict=False)


def _cidr(text: str) -> dict[str, str]:
    _net(text)
    return {_CIDR: text}


def _ok(fn: Callable[[str], Any]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            fn(text)
        except ValueError:
            return False
        return True

    return check


def _link_local_multicast(a: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(a, ipaddress.IPv4Address):
        return a in ipaddress.ip_network("224.0.0.0/24")
    return a.is_multicast and (a.packed[1] & 0x0F) == 0x02


def _contains_cidr(c: Any, other: Any) -> bool:
    outer, inner = _net(c), _net(other)
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


_IP_FUNCS: dict[str, Callable[..., Any]] = {
    "ip": _ip,
    "isIP": _ok(_ip),
    "ip.isCanonical": lambda s: str(ipaddress.ip_address(s)) == s,
    "family": lambda i: _ip_obj(i).version,
    "isUnspecified": lambda i: _ip_obj(i).is_unspecified,
    "isLoopback": lambda i: _ip_obj(i).is_loopback,
    "isLinkLocalMulticast": lambda i: _link_local_multicast(_ip_obj(i)),
    "isLinkLocalUnicast": lambda i: (a := _ip_obj(i)).is_link_local and not a.is_multicast,
    "isGlobalUnicast": lambda i: (
        not (
            (a := _ip_obj(i)).is_unspecified
            or a.is_loopback
            or a.is_multicast
            or a.is_link_local
            or str(a) == "255.255.255.255"
        )
    ),
    "cidr": _cidr,
    "isCIDR": _ok(_cidr),
    "containsIP": lambda c, i: _ip_obj(i) in _net(c),
    "containsCIDR": _contains_cidr,
    "masked": lambda c: {_CIDR: str(_net(c))},
    "prefixLength": lambda c: _net(c).prefixlen,
    "cidr_ip": lambda c: {_IP: _unwrap(c, _CIDR).partition("/")[0]},
}


# ---------------------------------------------------------------- format


def _format_of(name: str) -> Callable[[], dict[str, str]]:
    return lambda: {_FORMAT: name}


_FORMAT_FUNCS: dict[str, Callable[..., Any]] = {
    **{f"format.{name}": _format_of(name) for name in FORMATS},
    "format.k8sNamedList": lambda name: [{_FORMAT: name}] if name in FORMATS else [],
    "k8sValidateList": lambda f, s: (
        [errs] if (errs := validate_format(_unwrap(f, _FORMAT), s)) else []
    ),
}

GLOBAL_FUNCTIONS = frozenset(
    {"quantity", "isQuantity", "url", "isURL", "ip", "isIP", "ip.isCanonical", "cidr", "isCIDR"}
    | {name for name in _FORMAT_FUNCS if name.startswith("format.")}
)
"""Library functions called as ``f(x)``; every other one is a member function, ``x.f(...)``."""


def _no_authorizer(*_args: Any) -> Any:
    raise RuntimeError("the authorizer is not available offline (no API server to ask)")


AUTHORIZER_ARITY = {
    "path": 2, "group": 2, "resource": 2, "subresource": 2, "namespace": 2, "name": 2,
    "check": 2, "serviceAccount": 3, "allowed": 1, "reason": 1, "errored": 1, "error": 1,
}  # fmt: skip
"""The authorizer library's member functions and their arity (receiver included): declared so
that policies using ``authorizer`` compile; they fail at run time and follow failurePolicy."""

FUNCTIONS: dict[str, Callable[..., Any]] = {
    **_QUANTITY_FUNCS,
    **_LIST_FUNCS,
    **_URL_FUNCS,
    **_IP_FUNCS,
    **_FORMAT_FUNCS,
    **dict.fromkeys(AUTHORIZER_ARITY, _no_authorizer),
}
"""Every Kubernetes library function by CEL name (``cidr_ip`` is the member ``cidr.ip()``)."""

REGEX_FUNCTIONS: dict[str, Callable[..., Any]] = {"find": _find, "findAll": _find_all}
