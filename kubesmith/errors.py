"""One exception tree for kubesmith, split by who must act.

``KubesmithError``
    ``UsageError`` – the caller's mistake: a bad argument, an empty intent, an unknown option.
        ``ReferenceError_`` – the intent names nothing or several things (see ``candidates``).
        ``IntentNotUnderstood`` – the offline planner cannot parse the intent (says what it can).
        ``ConfigError`` – ``.kubesmith.yaml`` or the environment is wrong.
    ``RunError`` – a run that failed through no fault of the arguments: git, a tool, a server.
        ``GitError`` – a git operation failed (the repository is left as it was).
        ``ToolError`` – an external tool is missing, crashed or timed out.
        ``ForgeError`` – the forge (local store, GitHub) refused or failed.
        ``ManifestError`` – a YAML file cannot be parsed or edited as asked.
            ``ManifestRefused`` – input refused unread: over a limit (size, documents, depth,
                alias expansion), undecodable text, or a file name that is not UTF-8.
    ``EditRejected`` – a signal back to the planner/model: this edit cannot be applied or failed
        validation; the message is written for the model and goes back to it in a repair round.

Library errors are always wrapped with ``raise ... from e`` so the cause stays visible.
"""

from __future__ import annotations

from collections.abc import Sequence


class KubesmithError(Exception):
    """Base class of every error kubesmith raises on purpose."""

    exit_code: int = 1


class UsageError(KubesmithError):
    """The caller asked for something that cannot be done as asked; fix the input."""

    exit_code = 2


class ReferenceError_(UsageError):
    """An intent's reference matched no resource, or more than one.

    Attributes:
        reference: the words of the intent that named the resource.
        candidates: human-readable names of the matching resources (empty when none matched).
    """

    def __init__(self, message: str, reference: str = "", candidates: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reference = reference
        self.candidates = tuple(candidates)


class IntentNotUnderstood(UsageError):
    """The offline planner could not parse the intent; the message says what it understands."""


class ConfigError(UsageError):
    """Configuration (file or environment) is invalid."""


class RunError(KubesmithError):
    """Something failed while running; the input may be fine."""


class GitError(RunError):
    """A git operation failed. kubesmith leaves no branch or worktree behind when it raises this."""


class ToolError(RunError):
    """An external tool (kubeconform, kube-apiserver, ...) is missing, crashed or timed out."""


class ForgeError(RunError):
    """The forge could not open, update or read a pull request."""


class ManifestError(RunError):
    """A manifest could not be parsed or edited.

    Attributes:
        file: repository-relative path of the file.
        line: 1-based line of the problem, when known.
    """

    def __init__(self, message: str, file: str = "", line: int | None = None) -> None:
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")
        self.file = file
        self.line = line


class ManifestRefused(ManifestError):
    """A file refused before (or while) parsing: too large, too deep, an alias bomb, text that
    is not decodable, or a name that is not UTF-8.

    Always an error finding: unlike a Helm template (skipped with a note), a refused file may
    be one ``kubectl`` would apply, so it can never count as checked.
    """


class EditRejected(KubesmithError):
    """An edit could not be applied; the message is addressed to the planner for a repair round."""
