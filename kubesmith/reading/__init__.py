"""Reading untrusted files safely: one home for limits, decoding and bounded YAML loading.

Every path that reads manifests or configuration — the workspace, the schema and policy
validators, ``kubesmith validate``, the bot, ``.kubesmith.yaml`` — reads through these
functions, so a hostile file gets the same answer everywhere: an error finding with file and
line (:class:`~kubesmith.errors.ManifestRefused`), never a pass, a traceback or unbounded
memory.
"""

from kubesmith.reading.decoding import (
    Decoded,
    decode,
    display_name,
    name_problem,
    read_bytes,
    read_text,
    too_large,
)
from kubesmith.reading.limits import LIMITS, Limits, check_node, current, data_problem, use
from kubesmith.reading.loading import (
    CONSTRUCTOR_ERRORS,
    SAFE_LOADER,
    check_text,
    compose_documents,
    construct,
    load_all,
    load_one,
)

__all__ = [
    "CONSTRUCTOR_ERRORS",
    "LIMITS",
    "SAFE_LOADER",
    "Decoded",
    "Limits",
    "check_node",
    "check_text",
    "compose_documents",
    "construct",
    "current",
    "data_problem",
    "decode",
    "display_name",
    "load_all",
    "load_one",
    "name_problem",
    "read_bytes",
    "read_text",
    "too_large",
    "use",
]
