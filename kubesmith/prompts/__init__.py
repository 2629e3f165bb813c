"""Prompt templates, kept as Markdown package data so they can be read and reviewed as text.

Templates are plain text with ``{name}`` placeholders filled by :func:`render_prompt`. They hold
kubesmith's own instructions only: repository text never goes into a template unquoted; callers
wrap it with :func:`kubesmith.agent.llm.safety.delimit` first.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from kubesmith.errors import ConfigError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@functools.cache
def load_prompt(name: str) -> str:
    """The text of ``kubesmith/prompts/<name>.md``.

    Raises:
        ConfigError: when no such prompt ships with kubesmith (a packaging mistake).
    """
    if not _NAME.match(name):
        raise ConfigError(f"invalid prompt name {name!r}")
    try:
        return resources.files(__name__).joinpath(f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"prompt {name!r} is missing from kubesmith/prompts") from e


def render_prompt(name: str, **values: str) -> str:
    """:func:`load_prompt` with ``{key}`` placeholders replaced by ``values``.

    One pass over the template (no ``str.format``): braces inside the values, e.g. JSON, need no
    escaping and a value can never expand into another placeholder.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), load_prompt(name))
