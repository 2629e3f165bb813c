"""The schema engines' view of a manifest: its object as kubectl would send it.

The reading rules themselves (go-yaml v2, as ``sigs.k8s.io/yaml`` applies them) live in
:mod:`kubesmith.reading.goyaml`, shared by every reader of manifests; this module adds the
strict build the schema engines judge (what JSON cannot carry is refused).
"""

from __future__ import annotations

from typing import Any

import yaml

from kubesmith.reading import SAFE_LOADER
from kubesmith.reading.goyaml import wire_value


def wire_object(m: Any) -> dict[str, Any]:
    """A manifest's object as kubectl would send it.

    Built from the manifest's node tree when it has one (a document read for validation), from
    its own text when it has that (a workspace document: the text was read within the reading
    limits already), else its ``obj`` as it is.

    Raises:
        kubesmith.reading.goyaml.NotJson: for a value JSON cannot carry.
    """
    inner = getattr(m, "doc", None)  # a wrapper (a document placed in its namespace)
    if inner is not None and hasattr(inner, "obj"):
        return wire_object(inner)
    node = getattr(m, "node", None)
    if not isinstance(node, yaml.Node):
        text = getattr(getattr(m, "source", None), "text", None)
        if not isinstance(text, str):
            obj: dict[str, Any] = m.obj
            return obj
        node = yaml.compose(text, Loader=SAFE_LOADER)
    value = wire_value(node)
    return value if isinstance(value, dict) else {}
