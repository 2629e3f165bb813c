"""Settings, in one place: ``.kubesmith.yaml`` at the repository root, then the environment.

Precedence (highest first): command-line flags (applied by the CLI through
:meth:`Settings.merged`), environment variables (``KUBESMITH_*``, ``OPENAI_*``, ``GITHUB_*``), the
repository's ``.kubesmith.yaml``, the user's own settings file (:func:`user_config_path`),
defaults. Endpoints (where credentials are sent: :data:`REPO_ENDPOINTS`) come only from the user's
side — a repository's file that sets them is ignored with a warning unless the user opts in. Every
section is a pydantic model, so a typo in the file is an error that names the key, not a silently
ignored setting.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesmith.errors import ConfigError, ManifestError
from kubesmith.reading import load_one, read_text

CONFIG_FILE = ".kubesmith.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkspaceSettings(_Section):
    """Which files are manifests."""

    include: tuple[str, ...] = ("**/*.yaml", "**/*.yml")
    exclude: tuple[str, ...] = (
        ".git/**",
        ".github/**",
        "**/node_modules/**",
        "**/templates/**",
        "**/charts/**",
        ".kubesmith.yaml",
        ".pre-commit-config.yaml",
        ".pre-commit-hooks.yaml",
        "**/.gitlab-ci.yml",
    )
    max_file_bytes: int = 2_000_000


class SchemaSettings(_Section):
    """Schema validation (kubeconform or the embedded engine)."""

    enabled: bool = True
    kube_version: str | None = None
    strict: bool = True
    crd_dirs: tuple[str, ...] = ()
    engine: Literal["auto", "kubeconform", "embedded"] = "auto"


class PolicyExemption(_Section):
    """A resource exempted from a policy, with the reason a reviewer will read."""

    policy: str
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    images: tuple[str, ...] = ()
    """Image globs (``ghcr.io/acme/*``): when set, only pods whose every image matches one."""
    reason: str


class PolicySettings(_Section):
    """Policy-as-code: built-in packs, user policy folders, parameters, exemptions."""

    enabled: bool = True
    packs: tuple[str, ...] = ("pss-baseline", "best-practices")
    folders: tuple[str, ...] = ()
    rego_folders: tuple[str, ...] = ()
    params: dict[str, Any] = Field(default_factory=dict)
    exemptions: tuple[PolicyExemption, ...] = ()


class DryRunSettings(_Section):
    """Server-side dry-run: ``off``, against a cluster (``server``), or a local ``sandbox``."""

    mode: Literal["off", "server", "sandbox"] = "off"
    kubeconfig: str | None = None
    context: str | None = None
    sandbox_dir: str | None = None
    drift_ignore: tuple[str, ...] = ()
    """Field paths ``kubesmith drift`` never reports (``spec.replicas``, ``metadata.labels``)."""


class ModelSettings(_Section):
    """The language model for the LLM planner."""

    model: str | None = None
    base_url: str | None = None
    temperature: float = 0.0
    max_iterations: int = 3
    max_tokens: int = 200_000
    max_cost_usd: float = 1.0
    tool_calling: Literal["auto", "tools", "json"] = "auto"
    """``json``: plan with one JSON reply, for models whose tool calling is unreliable."""
    prices: dict[str, tuple[float, float]] = Field(default_factory=dict)
    """USD per million tokens (input, output) by model name; overrides the built-in table."""


class ForgeSettings(_Section):
    """Where pull requests go."""

    kind: Literal["local", "github"] = "local"
    base_branch: str | None = None
    github_repo: str | None = None
    github_api_url: str | None = None
    labels: tuple[str, ...] = ("kubesmith",)
    draft: bool = False
    reviewers: tuple[str, ...] = ()


class Settings(_Section):
    """All of kubesmith's settings for one repository."""

    workspace: WorkspaceSettings = WorkspaceSettings()
    planner: Literal["offline", "llm", "auto"] | None = None
    schema_: SchemaSettings = Field(default=SchemaSettings(), alias="schema")
    policy: PolicySettings = PolicySettings()
    dry_run: DryRunSettings = DryRunSettings()
    llm: ModelSettings = ModelSettings()
    forge: ForgeSettings = ForgeSettings()
    store_url: str | None = None
    """SQLAlchemy URL of the feedback store; default: SQLite under the repository's ``.git``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def effective_planner(self) -> Literal["offline", "llm", "auto"]:
        """``auto`` when a model is configured, else ``offline``, unless set explicitly."""
        if self.planner:
            return self.planner
        return "auto" if self.llm.model else "offline"

    def merged(self, **overrides: Any) -> Settings:
        """A copy with dotted-key overrides applied, e.g. ``merged(**{"llm.model": "openai:x"})``.

        ``None`` values are ignored, so CLI flags that were not given change nothing.
        """
        data = self.model_dump(by_alias=True)
        for dotted, value in overrides.items():
            if value is None:
                continue
            node = data
            *parents, last = dotted.split(".")
            for p in parents:
                node = node.setdefault("schema" if p == "schema_" else p, {})
            node[last] = value
        return _validate(data, "overrides")


def _validate(data: dict[str, Any], source: str) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc'])}: "
            + ("unknown setting" if err["type"] == "extra_forbidden" else err["msg"])
            for err in e.errors()
        )
        raise ConfigError(f"invalid settings in {source}: {problems}") from e


def _from_environment(data: dict[str, Any]) -> None:
    env = os.environ
    llm = data.setdefault("llm", {})
    if env.get("KUBESMITH_MODEL"):
        llm["model"] = env["KUBESMITH_MODEL"]
    if env.get("OPENAI_BASE_URL") and not llm.get("base_url"):
        llm["base_url"] = env["OPENAI_BASE_URL"]
    if env.get("KUBESMITH_PLANNER"):
        data["planner"] = env["KUBESMITH_PLANNER"]
    if env.get("KUBESMITH_STORE_URL"):
        data["store_url"] = env["KUBESMITH_STORE_URL"]
    forge = data.setdefault("forge", {})
    if env.get("GITHUB_API_URL"):
        forge["github_api_url"] = env["GITHUB_API_URL"]


def _read_file(path: Path) -> dict[str, Any]:
    """The settings file's mapping, read within the reading limits; anything that is not a
    readable YAML file (a folder, a broken link, undecodable text, an alias bomb) is an error,
    never silently the defaults."""
    if not path.is_file():
        what = "a broken link" if not path.exists() else "not a regular file (a folder?)"
        raise ConfigError(f"{path}: {what}; the settings file must be a YAML file")
    try:
        loaded = load_one(read_text(path, str(path)), str(path))
    except ManifestError as e:
        raise ConfigError(str(e)) from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from e
    if loaded is not None and not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return dict(loaded or {})


USER_CONFIG_ENV = "KUBESMITH_CONFIG"
"""Environment variable naming the user's own settings file (default
``$XDG_CONFIG_HOME/kubesmith/config.yaml``, else ``~/.config/kubesmith/config.yaml``)."""
TRUST_ENV = "KUBESMITH_TRUST_REPO_ENDPOINTS"
"""``1`` lets a repository's ``.kubesmith.yaml`` set endpoints (see :data:`REPO_ENDPOINTS`)."""
TRUST_KEY = "trust_repository_endpoints"
"""The same opt-in as a top-level ``true`` in the user's settings file (never the repository's)."""
REPO_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("llm", "base_url"),
    ("forge", "github_api_url"),
    ("dry_run", "kubeconfig"),
    ("dry_run", "context"),
)
"""Settings a repository file may not set: where the user's credentials go (the model's and the
forge's API hosts get ``OPENAI_API_KEY`` / ``GITHUB_TOKEN``; a kubeconfig names a cluster, its
credentials and possibly a command to run). A cloned repository is someone else's input."""

log = logging.getLogger(__name__)


def user_config_path() -> Path:
    """Where the user's own settings file is looked for (it need not exist)."""
    given = os.environ.get(USER_CONFIG_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kubesmith" / "config.yaml"


def _merge(low: dict[str, Any], high: dict[str, Any]) -> dict[str, Any]:
    out = dict(low)
    for key, value in high.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _without_endpoints(data: dict[str, Any], path: Path, trusted: bool) -> dict[str, Any]:
    """``data`` without the endpoint settings (each dropped with a note), unless ``trusted``."""
    data = dict(data)
    if TRUST_KEY in data:
        data.pop(TRUST_KEY)
        log.warning("%s: %s is ignored here; only your own settings can trust a repository",
                    path, TRUST_KEY)  # fmt: skip
    if trusted:
        return data
    for section, key in REPO_ENDPOINTS:
        block = data.get(section)
        if isinstance(block, dict) and block.get(key) is not None:
            data[section] = {k: v for k, v in block.items() if k != key}
            log.warning(
                "%s sets %s.%s; ignored: endpoints and credentials come only from your own "
                "settings (environment, %s, flags). To trust this repository's, set %s=1 or "
                "%s: true in %s",
                path, section, key, user_config_path(), TRUST_ENV, TRUST_KEY, user_config_path(),
            )  # fmt: skip
    return data


def load_settings(repo: Path | None = None, *, environment: bool = True) -> Settings:
    """Read the user's settings file, ``.kubesmith.yaml`` from ``repo`` and the environment.

    Precedence (highest first): the environment, the repository's file, the user's file,
    defaults. The repository's file never sets endpoints (:data:`REPO_ENDPOINTS`) unless the user
    opted in (:data:`TRUST_ENV` or :data:`TRUST_KEY` in the user's file); those it sets are
    ignored with a warning. ``environment=False`` reads the repository's file alone.

    Raises:
        ConfigError: when a file cannot be read (not a file, undecodable, over a reading
            limit), is not valid YAML, or names unknown settings.
    """
    user: dict[str, Any] = {}
    source = "defaults"
    if environment:
        user_path = user_config_path()
        if user_path.exists() or user_path.is_symlink():
            user = _read_file(user_path)
            source = str(user_path)
    trusted = os.environ.get(TRUST_ENV) == "1" or user.pop(TRUST_KEY, False) is True
    data: dict[str, Any] = {}
    if repo is not None:
        path = repo / CONFIG_FILE
        if path.exists() or path.is_symlink():
            source = str(path) if source == "defaults" else f"{source} and {path}"
            data = _without_endpoints(_read_file(path), path, trusted)
    data = _merge(user, data)
    if environment:
        _from_environment(data)
    return _validate(data, source)
