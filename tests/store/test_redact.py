"""Redaction of secrets in diffs and changes: the cases that used to leak into the store."""

from __future__ import annotations

from kubesmith.model import Change, ResourceRef
from kubesmith.store.redact import REDACTED, redact_diff, redact_proposal
from tests.store.test_store import proposal

DEPLOY = ResourceRef("apps/v1", "Deployment", "checkout", "shop")
SECRET = ResourceRef("v1", "Secret", "payments-secrets", "shop")


def _diff(file: str, hunk: str) -> str:
    return f"diff --git a/{file} b/{file}\n--- a/{file}\n+++ b/{file}\n{hunk}"


def test_unchanged_secret_lines_around_an_edit_are_masked() -> None:
    diff = _diff(
        "base/payments-secret.yaml",
        "@@ -5,8 +5,9 @@\n metadata:\n   name: payments-secrets\n   labels:\n"
        "+    team: payments\n     app: payments\n type: Opaque\n stringData:\n"
        '   provider-api-key: "sk_live_PLANTED"\n   config.json: |\n     PLANTED-block-line\n',
    )
    # The hunk starts below ``kind: Secret``; its ``type:`` and ``stringData:`` show what it is.
    out = redact_diff(diff, set(), set())
    assert "PLANTED" not in out
    assert "PLANTED" not in redact_diff(diff, set(), {"base/payments-secret.yaml"})


def test_a_secret_recognised_from_its_kind_line_in_the_hunk() -> None:
    diff = _diff(
        "all.yaml",
        "@@ -1,6 +1,6 @@\n apiVersion: v1\n kind: Secret\n metadata:\n-  name: a\n+  name: b\n"
        "   namespace: shop\n stringData:\n   token: PLANTED-token\n",
    )
    out = redact_diff(diff, set(), set())
    assert "PLANTED" not in out
    assert "+  name: b" in out  # identity keys stay readable


def test_other_documents_in_a_secret_file_stay_readable() -> None:
    diff = _diff(
        "mixed.yaml",
        "@@ -10,4 +10,4 @@\n---\n apiVersion: apps/v1\n kind: Deployment\n spec:\n"
        "-  replicas: 2\n+  replicas: 3\n",
    )
    out = redact_diff(diff, set(), {"mixed.yaml"})
    assert "+  replicas: 3" in out


def test_a_value_whose_name_is_outside_the_hunk_is_masked() -> None:
    diff = _diff(
        "base/checkout.yaml",
        "@@ -39,7 +39,7 @@\n               # rotated every quarter\n               # owner: x\n"
        '-              value: "PLANTED-old"\n+              value: "PLANTED-new"\n'
        "           resources:\n",
    )
    out = redact_diff(diff, set(), set())
    assert "PLANTED" not in out
    assert f"-              value: {REDACTED}" in out


def test_a_plain_env_value_with_its_name_in_sight_stays_readable() -> None:
    diff = _diff(
        "base/checkout.yaml",
        "@@ -30,3 +30,3 @@\n             - name: LOG_LEVEL\n-              value: info\n"
        "+              value: debug\n",
    )
    assert "+              value: debug" in redact_diff(diff, set(), set())


def test_credential_env_old_and_new_values_leave_intent_changes_and_diff() -> None:
    path = "spec.template.spec.containers[name=checkout].env[name=DB_PASSWORD].value"
    p = proposal(
        intent="set env DB_PASSWORD=PLANTED-new on checkout",
        rationale="Set env var DB_PASSWORD=PLANTED-new on Deployment/checkout.",
        changes=(Change("base/checkout.yaml", DEPLOY, "set", path, "PLANTED-old", "PLANTED-new"),),
        diff="",
    )
    clean = redact_proposal(p)
    assert "PLANTED" not in repr(clean)


def test_an_annotation_or_label_named_like_a_credential_is_masked() -> None:
    p = proposal(
        intent="add annotation api-token=PLANTED-annotation to checkout",
        rationale="Set annotation api-token=PLANTED-annotation on Deployment/checkout.",
        changes=(
            Change(
                "base/checkout.yaml",
                DEPLOY,
                "set",
                "metadata.annotations.api-token",
                None,
                "PLANTED-annotation",
            ),
            Change("base/checkout.yaml", DEPLOY, "set", "metadata.labels.team", None, "orders"),
        ),
        diff="",
    )
    clean = redact_proposal(p)
    assert "PLANTED" not in repr(clean)
    assert clean.changes[1].new == "orders"


def test_switches_named_like_credentials_stay_readable() -> None:
    """``automountServiceAccountToken: false`` holds no secret; masking it would teach learning
    a ``<redacted>`` value."""
    path = "spec.template.spec.automountServiceAccountToken"
    p = proposal(changes=(Change("base/checkout.yaml", DEPLOY, "set", path, None, False),), diff="")
    assert redact_proposal(p).changes[0].new is False
    diff = _diff(
        "base/checkout.yaml",
        "@@ -20,3 +20,4 @@\n     spec:\n+      automountServiceAccountToken: false\n"
        "       containers:\n",
    )
    assert "+      automountServiceAccountToken: false" in redact_diff(diff, set(), set())
