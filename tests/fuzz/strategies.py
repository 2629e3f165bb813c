"""Hypothesis strategies for YAML text, manifests and their mutations."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80}],
                        "resources": {"limits": {"memory": "128Mi"}},
                        "securityContext": {"privileged": False},
                    }
                ]
            },
        },
    },
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "~", "null", "yes", "0x1F", "1e3", "2024-01-01", "*a", "&a", "{{ x }}"]),
)
keys = st.one_of(
    st.sampled_from(["name", "image", "replicas", "spec", "metadata", "labels", "kind", "<<"]),
    st.text(min_size=1, max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)

# YAML-flavoured text: the characters and tokens that steer the parser.
_TOKENS = [
    "\n",
    " ",
    "  ",
    "- ",
    ": ",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "<<: ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "'",
    '"',
    "|\n",
    ">\n",
    "!!str ",
    "!!binary ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!null ",
    "!!seq ",
    "!!map ",
    "!!set ",
    "0x",
    "maybe",
    "? ",
    "%YAML 1.2\n",
    "\t",
    "\r\n",
    "\ufeff",
    "\x00",
    "\u2028",
    "key",
    "value",
    "1",
    "apiVersion: v1\n",
    "kind: Pod\n",
]
yaml_text = st.lists(st.one_of(st.sampled_from(_TOKENS), st.text(max_size=5)), max_size=40).map(
    "".join
)
raw_bytes = st.one_of(
    st.binary(max_size=200),
    yaml_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    yaml_text.map(lambda t: t.encode("utf-16", "surrogatepass")),
    yaml_text.map(lambda t: t.encode("utf-32", "surrogatepass")),
)


def dump(obj: Any, flow: bool | None = False) -> str:
    """``obj`` as block (or flow) YAML, keys in order."""
    return yaml.safe_dump(obj, default_flow_style=flow, sort_keys=False)


@st.composite
def paths(draw: st.DrawFn, obj: Any) -> list[str | int]:
    """A field path into ``obj`` (often an existing one, sometimes going past it)."""
    out: list[str | int] = []
    node = obj
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node, key=str)))
            if not isinstance(key, str):
                break
            out.append(key)
            node = node[key]
        elif isinstance(node, list) and node and draw(st.booleans()):
            i = draw(st.integers(min_value=-len(node), max_value=len(node)))
            out.append(i)
            node = node[i] if -len(node) <= i < len(node) else None
        else:
            out.append(draw(keys.filter(lambda k: k != "<<")))
            node = None
    return out


@st.composite
def mutated_deployments(draw: st.DrawFn) -> dict[str, Any]:
    """A Deployment with a few fields replaced by arbitrary values."""
    import copy

    obj = copy.deepcopy(DEPLOYMENT)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(paths(obj))
        node: Any = obj
        for seg in path[:-1]:
            if isinstance(node, dict) and isinstance(seg, str):
                node = node.setdefault(seg, {})
            elif isinstance(node, list) and isinstance(seg, int) and -len(node) <= seg < len(node):
                node = node[seg]
            else:
                break
        last = path[-1]
        in_dict = isinstance(node, dict) and isinstance(last, str)
        in_list = (
            isinstance(node, list) and isinstance(last, int) and -len(node) <= last < len(node)
        )
        if in_dict or in_list:
            node[last] = draw(values)
    return obj
