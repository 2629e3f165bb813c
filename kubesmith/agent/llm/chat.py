"""The chat model: built from a provider-prefixed string, called with bounded retries.

``openai:gpt-4o-mini``, ``azure_openai:my-deployment``, ``anthropic:...``: the prefix picks the
LangChain integration (its package must be installed). Without a known prefix the model is an
OpenAI one, which is also how any OpenAI-compatible server (vLLM, Ollama, llama.cpp) is reached:
``llm.base_url`` / ``OPENAI_BASE_URL`` point the OpenAI client at it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kubesmith.config import ModelSettings
from kubesmith.errors import ConfigError, RunError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.runnables import Runnable

HOW_TO_CONFIGURE = (
    "configure a model: set KUBESMITH_MODEL (e.g. openai:gpt-4o-mini) or pass --model, or set "
    "llm.model in .kubesmith.yaml; give the key in OPENAI_API_KEY; for a local or other "
    "OpenAI-compatible server set OPENAI_BASE_URL (or llm.base_url), e.g. http://127.0.0.1:11434/v1"
)
CLIENT_RETRIES = 2
"""Retries the provider's own client makes (it backs off and honours Retry-After)."""
CLIENT_TIMEOUT_S = 120.0
_FALLBACK_PROVIDERS = frozenset(
    {
        "openai", "azure_openai", "anthropic", "bedrock", "bedrock_converse", "google_genai",
        "google_vertexai", "groq", "mistralai", "ollama", "together", "fireworks", "deepseek",
        "xai", "huggingface", "perplexity",
    }
)  # fmt: skip


def known_providers() -> frozenset[str]:
    """Provider prefixes LangChain's chat-model initialiser understands."""
    try:
        from langchain.chat_models import base
    except ImportError:
        return _FALLBACK_PROVIDERS
    table = getattr(base, "_BUILTIN_PROVIDERS", None)
    return frozenset(table) if isinstance(table, dict) else _FALLBACK_PROVIDERS


def split_model(model: str) -> tuple[str, str]:
    """``(provider, model name)``; an unknown or missing prefix means OpenAI (any compatible API).

    ``llama3.1:8b`` stays whole (an Ollama tag, not a provider), served through the OpenAI API.
    """
    prefix, sep, rest = model.partition(":")
    if sep and prefix in known_providers():
        return prefix, rest
    return "openai", model


def build_chat_model(settings: ModelSettings) -> BaseChatModel:
    """The LangChain chat model ``settings`` describe.

    Raises:
        ConfigError: no model configured, no key for OpenAI, or the provider's package is missing.
    """
    if not settings.model:
        raise ConfigError(f"the LLM planner has no model; {HOW_TO_CONFIGURE}")
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as e:
        raise ConfigError(
            "the LLM planner needs the llm extra: pip install 'kubesmith[llm]'"
        ) from e
    provider, name = split_model(settings.model)
    kwargs: dict[str, Any] = {
        "temperature": settings.temperature,
        "max_retries": CLIENT_RETRIES,
        "timeout": CLIENT_TIMEOUT_S,
    }
    if provider == "openai":
        base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL")
        if base_url:
            kwargs["base_url"] = base_url
        if not os.environ.get("OPENAI_API_KEY"):
            if not base_url:
                raise ConfigError(f"OPENAI_API_KEY is not set; {HOW_TO_CONFIGURE}")
            kwargs["api_key"] = "not-needed"  # local servers usually take any key
    try:
        model: BaseChatModel = init_chat_model(name, model_provider=provider, **kwargs)
    except ImportError as e:
        raise ConfigError(f"model {settings.model!r}: {e}") from e
    except ValueError as e:
        raise ConfigError(f"model {settings.model!r}: {e}; {HOW_TO_CONFIGURE}") from e
    return model


def _status(e: BaseException) -> int | None:
    status = getattr(e, "status_code", None)
    if status is None:
        response = getattr(e, "response", None)
        status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def is_transient(e: BaseException) -> bool:
    """429, 5xx, timeouts and dropped connections: worth another try."""
    status = _status(e)
    if status is not None:
        return status == 429 or status >= 500
    names = {c.__name__ for c in type(e).__mro__}
    return bool(
        names & {"APITimeoutError", "APIConnectionError", "TimeoutException", "ConnectError"}
        or isinstance(e, TimeoutError | ConnectionError)
    )


def invoke(
    model: Runnable[Any, Any],
    messages: Sequence[BaseMessage],
    *,
    attempts: int = 3,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> AIMessage:
    """One model call, retried (on top of the client's own retries) when the failure is transient.

    Raises:
        ConfigError: the endpoint refused the credentials (401/403) or does not know the model.
        RunError: the endpoint kept failing, or failed in a way retrying cannot fix.
    """
    for attempt in range(1, attempts + 1):
        try:
            reply = model.invoke(list(messages))
        except Exception as e:
            status = _status(e)
            if status in (401, 403):
                raise ConfigError(f"the model endpoint refused the credentials ({e})") from e
            if status == 404:
                raise ConfigError(f"the model endpoint does not know this model ({e})") from e
            if not is_transient(e):
                raise RunError(f"the model call failed: {e}") from e
            if attempt == attempts:
                url = getattr(getattr(e, "request", None), "url", None)  # httpx: where it went
                raise RunError(
                    f"the model endpoint{f' {url}' if url else ''} kept failing ({attempts} "
                    f"attempts, each with {CLIENT_RETRIES} client retries): {e}"
                ) from e
            sleep(backoff_s * 2 ** (attempt - 1))
            continue
        return reply  # type: ignore[no-any-return]
    raise AssertionError("unreachable")
