"""The Kubernetes CEL image library (``image``, ``isImage``, ``containsDigest``, ``registry``,
``repository``, ``tag``, ``digest``, ``identifier``), after ``apiserver/pkg/cel/library/image.go``,
which parses with go-containerregistry's ``name.ParseReference``: Docker Hub is
``index.docker.io`` and its one-segment repositories are under ``library/``; a reference without
tag or digest has the tag ``latest``; with a digest, the digest identifies it and there is no tag.
"""

from __future__ import annotations

import re
from typing import Any

TAG = "__k8s_image__"
_DEFAULT_REGISTRY = "index.docker.io"
_REPO = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")


def parse(text: str) -> dict[str, Any]:
    """An image value (tagged map) from ``text``.

    Raises:
        ValueError: when ``text`` is not an image reference.
    """
    rest, digest = text, ""
    if "@" in text:
        rest, _, digest = text.partition("@")
        if not _DIGEST.match(digest):
            raise ValueError(f"invalid digest in image reference {text!r}")
    tag = ""
    head, _, last = rest.rpartition("/")
    if ":" in last:
        last, _, tag = last.partition(":")
        if not _TAG.match(tag):
            raise ValueError(f"invalid tag in image reference {text!r}")
    path = f"{head}/{last}" if head else last
    first, _, remainder = path.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = _DEFAULT_REGISTRY, path
    if registry in ("docker.io", _DEFAULT_REGISTRY):
        registry = _DEFAULT_REGISTRY
        if "/" not in repository:
            repository = f"library/{repository}"
    if not _REPO.match(repository):
        raise ValueError(f"invalid repository in image reference {text!r}")
    if digest:
        identifier, tag = digest, ""
    else:
        tag = tag or "latest"
        identifier = tag
    return {TAG: {"registry": registry, "repository": repository, "tag": tag,
                  "digest": digest, "identifier": identifier}}  # fmt: skip


def is_image(text: str) -> bool:
    """True when :func:`parse` accepts ``text``."""
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _field(name: str) -> Any:
    def get(value: Any) -> Any:
        if not (isinstance(value, dict) and len(value) == 1 and TAG in value):
            raise TypeError("no such overload: expected an image")
        return value[TAG][name]

    return get


FUNCTIONS: dict[str, Any] = {
    "containsDigest": lambda v: bool(_field("digest")(v)),
    **{name: _field(name) for name in ("registry", "repository", "tag", "digest", "identifier")},
}
