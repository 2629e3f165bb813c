"""Fixtures for the MCP server's tests: a small manifests repository in a real git repo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

# The embedded schema engine: these tests start no process (kubeconform would be one).
SETTINGS = "schema: {engine: embedded}\n"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  labels: {app: checkout}
spec:
  replicas: 1
  selector:
    matchLabels: {app: checkout}
  template:
    metadata:
      labels: {app: checkout}
    spec:
      containers:
        - name: checkout
          image: shop/checkout:1.4.2
          env:
            - name: DB_PASSWORD
              value: hunter2-very-secret
"""

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: checkout-db
stringData:
  password: s3cr3t-planted-value
"""


@pytest.fixture
def shop(make_repo: Callable[..., Path]) -> Path:
    """A committed repository with one Deployment and one Secret."""
    return make_repo(
        files={
            ".kubesmith.yaml": SETTINGS,
            "apps/checkout.yaml": DEPLOYMENT,
            "apps/secret.yaml": SECRET,
        }
    )
