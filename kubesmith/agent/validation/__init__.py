"""The one home of validation, used by ``kubesmith validate``, ``propose``, chat and the bot.

- :func:`validate` — the entry: files and kustomize builds of a checkout, every validator,
  findings at the lines a person edits, pre-existing findings marked against a base;
- :func:`validate_change` — the same for a proposal's in-memory change;
- :func:`find_root` — the repository root for paths given on a command line;
- :mod:`.report` — findings as text, JSON, SARIF and JUnit;
- :mod:`.baseline` — a finding's identity ("already there").
"""

from kubesmith.agent.validation.baseline import identity, mark_preexisting
from kubesmith.agent.validation.change import validate_change
from kubesmith.agent.validation.files import find_root
from kubesmith.agent.validation.validate import Report, validate

__all__ = ["Report", "find_root", "identity", "mark_preexisting", "validate", "validate_change"]
