"""Kubernetes CEL functions declared with typed overloads: list ``indexOf``/``lastIndexOf``,
``string(ip)``/``string(cidr)`` and the semver library. (The image library of newer Kubernetes
is left out: kube-apiserver 1.34 refuses ``isImage(...)``.) (Cross-type numeric comparisons
such as ``1 < 2.5`` are :mod:`celenv`'s: the runtime has them, only the checker refuses them.)

These need parameter types (a list receiver, so ``'abc'.indexOf('b')`` stays the strings
extension's; a map argument, so ``string(1)`` stays the built-in one), unlike :mod:`k8slib`'s
dynamically typed functions. Each entry is (function, overload id, return type, parameter types,
member?, implementation), the types named as :func:`celenv.cel_type` reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubesmith.tools.policy import semver

_IP, _CIDR = "__k8s_ip__", "__k8s_cidr__"

Overload = tuple[str, str, str, tuple[str, ...], bool, Callable[..., Any]]


def _index_of(items: list[Any], value: Any) -> int:
    return next((i for i, item in enumerate(items) if item == value), -1)


def _last_index_of(items: list[Any], value: Any) -> int:
    return next((i for i in range(len(items) - 1, -1, -1) if items[i] == value), -1)


def _string_of(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        for tag in (_IP, _CIDR):
            if tag in value:
                return str(value[tag])
    raise TypeError("no such overload: string() of a map")


def _map_merge(m: dict[Any, Any], entries: dict[Any, Any]) -> dict[Any, Any]:
    """``cel.@mapInsert``, which ``transformMap``/``transformMapEntry`` expand to (the engine's
    Python binding does not register it): a new map, refusing a key twice as cel-go does."""
    clash = set(entries) & set(m)
    if clash:
        raise ValueError(f"insert failed: key {sorted(map(str, clash))[0]} already exists")
    return {**m, **entries}


def _map_insert(m: dict[Any, Any], key: Any, value: Any) -> dict[Any, Any]:
    return _map_merge(m, {key: value})


OVERLOADS: list[Overload] = [
    ("cel.@mapInsert", "k8s_map_insert_key_value", "map", ("map", "dyn", "dyn"), False,
     _map_insert),
    ("cel.@mapInsert", "k8s_map_insert_map", "map", ("map", "map"), False, _map_merge),
    ("indexOf", "k8s_list_index_of", "int", ("list", "dyn"), True, _index_of),
    ("lastIndexOf", "k8s_list_last_index_of", "int", ("list", "dyn"), True, _last_index_of),
    ("string", "k8s_string_of_ip_or_cidr", "string", ("map",), False, _string_of),
    ("semver", "k8s_semver", "dyn", ("string",), False, semver.parse),
    ("semver", "k8s_semver_normalize", "dyn", ("string", "bool"), False, semver.parse),
    ("isSemver", "k8s_is_semver", "bool", ("string",), False, semver.is_semver),
    ("isSemver", "k8s_is_semver_normalize", "bool", ("string", "bool"), False, semver.is_semver),
    *((name, f"k8s_semver_{name}", "int", ("dyn",), True, impl)
      for name, impl in semver.FUNCTIONS.items()),
]  # fmt: skip
