"""The built-in policy packs, shipped as package data (``packs/<name>.yaml``).

A pack is a plain multi-document YAML file of ValidatingAdmissionPolicies and their bindings, so
the very same file can be applied to a cluster. ``pss-restricted`` includes ``pss-baseline``, as
the Pod Security Standards define restricted as baseline plus more.
"""

from __future__ import annotations

from importlib import resources

from kubesmith.errors import ConfigError
from kubesmith.tools.policy.celenv import CelEnvironment
from kubesmith.tools.policy.loader import load_text
from kubesmith.tools.policy.model import PolicySet

INCLUDES: dict[str, tuple[str, ...]] = {"pss-restricted": ("pss-baseline",)}


def available_packs() -> list[str]:
    """Names of the built-in packs."""
    folder = resources.files("kubesmith.tools.policy") / "packs"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def expand(names: tuple[str, ...] | list[str]) -> list[str]:
    """``names`` with the packs they include, each once, includes first.

    Raises:
        ConfigError: when a name is not a built-in pack.
    """
    known = set(available_packs())
    out: list[str] = []
    for name in names:
        if name not in known:
            raise ConfigError(
                f"unknown policy pack {name!r}; built-in packs: {', '.join(sorted(known))}"
            )
        for item in (*INCLUDES.get(name, ()), name):
            if item not in out:
                out.append(item)
    return out


def pack_text(name: str) -> str:
    """The YAML text of pack ``name``."""
    path = resources.files("kubesmith.tools.policy") / "packs" / f"{name}.yaml"
    return path.read_text(encoding="utf-8")


_LOADED: dict[str, PolicySet] = {}


def load_packs(names: tuple[str, ...] | list[str], env: CelEnvironment) -> PolicySet:
    """Load the named packs (and what they include); each pack is parsed once per process.

    A :class:`PolicySet` holds no compiled programs, so the cache is valid for any environment.
    """
    result = PolicySet()
    for name in expand(names):
        if name not in _LOADED:
            _LOADED[name] = load_text(pack_text(name), f"<pack {name}>", env, pack=name)
        result += _LOADED[name]
    return result
