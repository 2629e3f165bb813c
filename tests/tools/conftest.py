"""Fixtures for the tools tests: the session-wide sandbox API server."""

from kubesmith.testing import kubesmith_sandbox

__all__ = ["kubesmith_sandbox"]
