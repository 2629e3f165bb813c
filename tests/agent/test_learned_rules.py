"""Learning from review: mining conventions, applying approved rules, generated policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesmith.agent.conventions import mine, observe_diff, observe_text, refresh_rules, rule_id
from kubesmith.agent.learning import (
    PreviouslyRejected,
    apply_rules,
    check_not_rejected,
    plan_context,
)
from kubesmith.agent.rule_policies import policies_yaml, rules_to_policies
from kubesmith.config import PolicySettings
from kubesmith.model import (
    AddResource,
    Change,
    ChangeSet,
    Outcome,
    Proposal,
    PullRequest,
    ResourceRef,
    ReviewComment,
    SetField,
)
from kubesmith.store import Store
from kubesmith.store.records import Rule
from kubesmith.tools.policy.validator import PolicyValidator
from kubesmith.workspace import Workspace

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")
CART = ResourceRef("apps/v1", "Deployment", "cart")

FOLLOW_UP = """diff --git a/base/checkout.yaml b/base/checkout.yaml
--- a/base/checkout.yaml
+++ b/base/checkout.yaml
@@ -4,8 +4,9 @@ kind: Deployment
 metadata:
   name: checkout
   labels:
     app: checkout
+    owner: payments
 spec:
-  replicas: 1
+  replicas: 2
@@ -20,9 +21,9 @@ spec:
       containers:
         - name: checkout
-          image: docker.io/shop/checkout:latest
+          image: registry.internal/shop/checkout:1.4.1
           resources:
             requests:
               memory: 128Mi
             limits:
-              memory: 256Mi
+              memory: 128Mi
"""


def outcome(pid: str, status: str = "rejected", reason: str = "", **kw: object) -> Outcome:
    pr = PullRequest("local", pid, "", status)  # type: ignore[arg-type]
    return Outcome(pid, pr, status, reason, **kw)  # type: ignore[arg-type]


def approved(kind: str, **params: object) -> Rule:
    return Rule(rule_id(kind, params), kind, dict(params), kind, "approved")


# ---------------------------------------------------------------- mining


@pytest.mark.parametrize(
    ("text", "kind", "params"),
    [
        ("Missing the owner label.", "required_label", {"key": "owner", "value": None}),
        ("needs label team=payments", "required_label", {"key": "team", "value": "payments"}),
        ("annotation owner-contact is required", "required_annotation",
         {"key": "owner-contact", "value": None}),
        ("Memory limit must equal the request", "memory_limit_equals_request", {}),
        ("No images from docker.io; use registry.internal instead", "forbidden_registry",
         {"registry": "docker.io", "replacement": "registry.internal"}),
        ("we never pull from quay.io", "forbidden_registry",
         {"registry": "quay.io", "replacement": None}),
        ("at least 2 replicas please", "min_replicas", {"n": 2}),
        ("Don't use the latest tag", "no_latest_tag", {}),
        ("imagePullPolicy must be IfNotPresent", "image_pull_policy", {"policy": "IfNotPresent"}),
    ],
)  # fmt: skip
def test_conventions_stated_in_words(text: str, kind: str, params: dict[str, object]) -> None:
    found = observe_text("p1", text, "rejection")
    assert [(o.kind, o.params) for o in found] == [(kind, params)]
    assert found[0].evidence.detail == text


def test_plain_intents_and_chatter_state_no_convention() -> None:
    for text in ("scale checkout to 3", "looks good to me", "set image of cart to nginx:1.25"):
        assert observe_text("p", text, "comment") == []


def test_conventions_shown_by_follow_up_edits() -> None:
    found = {o.kind: o.params for o in observe_diff("p1", FOLLOW_UP)}
    assert found == {
        "required_label": {"key": "owner", "value": "payments"},
        "min_replicas": {"n": 2},
        "forbidden_registry": {"registry": "docker.io", "replacement": "registry.internal"},
        "no_latest_tag": {},
        "memory_limit_equals_request": {},
    }


def test_edits_need_two_proposals_words_need_one() -> None:
    once = mine([outcome("p1", "accepted", follow_up_diff=FOLLOW_UP)])
    assert once == []
    twice = mine(
        [outcome(p, "accepted", follow_up_diff=FOLLOW_UP) for p in ("p1", "p2")]
        + [outcome("p3", reason="needs label owner=payments")]
    )
    by_kind = {r.kind: r for r in twice}
    assert len(by_kind) == 5
    label = by_kind["required_label"]
    assert label.support == 3
    assert {e.source for e in label.evidence} == {"follow_up", "rejection"}
    assert label.description == "Workloads and Services carry the label owner=payments."
    # different values seen for one key: the key is required, the value is not guessed
    mixed = mine(
        [
            outcome("a", reason="needs label owner=payments"),
            outcome("b", reason="needs label owner=search"),
        ]
    )
    assert [r.params for r in mixed] == [{"key": "owner", "value": None}]


def test_refresh_rules_keeps_decisions(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.record_outcome(outcome("p1", reason="Memory limit must equal the request"))
        (rule,) = refresh_rules(store)
        store.set_rule_status(rule.id, "approved")
        store.record_outcome(
            outcome(
                "p2",
                "accepted",
                comments=(ReviewComment("ann", "memory limits should match requests"),),
            )
        )
        (again,) = refresh_rules(store)
        assert (again.id, again.status, again.support) == (rule.id, "approved", 2)


# ---------------------------------------------------------------- applying approved rules


def test_apply_rules_completes_a_change(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    rules = [
        approved("required_label", key="owner", value="payments"),
        approved("memory_limit_equals_request"),
        approved("min_replicas", n=3),
        approved("image_pull_policy", policy="IfNotPresent"),
        Rule("r-cand", "required_annotation", {"key": "x", "value": "y"}, "", "candidate"),
    ]
    limit = "spec.template.spec.containers[name=checkout].resources.limits.memory"
    cs = ChangeSet("give checkout a memory limit of 512Mi", (SetField(CHECKOUT, limit, "512Mi"),))
    out = apply_rules(cs, ws, rules)
    got = {(e.path, e.value) for e in out.edits if isinstance(e, SetField)}
    assert got == {
        ("spec.template.spec.containers[name=checkout].resources.limits.memory", "512Mi"),
        ("spec.template.spec.containers[name=checkout].resources.requests.memory", "512Mi"),
        ("metadata.labels.owner", "payments"),
        ("spec.replicas", 3),
        ("spec.template.spec.containers[name=checkout].imagePullPolicy", "IfNotPresent"),
    }
    assert "Team convention on Deployment/checkout" in out.rationale
    changes = ws.apply(out)
    assert len(changes) == 5
    assert "+    owner: payments" in ws.diff()
    # idempotent: applying the rules to the result adds nothing more
    assert apply_rules(cs, ws, []) is cs


def test_apply_rules_never_overrides_what_the_intent_says(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    cs = ChangeSet("scale cart to 1", (SetField(CART, "spec.replicas", 1),))
    out = apply_rules(
        cs, ws, [approved("min_replicas", n=2), approved("memory_limit_equals_request")]
    )
    assert out.edits[0] == cs.edits[0]
    assert all(e.path != "spec.replicas" for e in out.edits[1:] if isinstance(e, SetField))
    assert "not applied" in out.rationale
    # cart has a memory request and no limit: the rule adds the limit
    assert (
        SetField(CART, "spec.template.spec.containers[name=cart].resources.limits.memory", "64Mi")
        in out.edits
    )


def test_apply_rules_rewrites_new_resources_and_registries(example_repo: Path) -> None:
    ws = Workspace.load(example_repo)
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "nginx:1.25"}]}}},
    }
    cs = ChangeSet("add api", (AddResource("base/api.yaml", manifest),))
    out = apply_rules(cs, ws, [
        approved("forbidden_registry", registry="docker.io", replacement="registry.internal"),
        approved("required_label", key="owner", value="web"),
    ])  # fmt: skip
    (edit,) = out.edits
    assert isinstance(edit, AddResource)
    assert edit.manifest["metadata"]["labels"] == {"owner": "web"}
    container = edit.manifest["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.internal/library/nginx:1.25"
    assert manifest["metadata"] == {"name": "api"}  # the planner's own value is untouched


# ---------------------------------------------------------------- generated policies


def test_generated_policies_run_in_the_policy_engine(example_repo: Path) -> None:
    rules = [
        approved("required_label", key="owner", value=None),
        approved("memory_limit_equals_request"),
        approved("forbidden_registry", registry="registry.example.com", replacement=None),
        approved("forbidden_registry", registry="docker.io", replacement=None),
        approved("min_replicas", n=3),
        approved("no_latest_tag"),
        approved("image_pull_policy", policy="Always"),
        approved("required_annotation", key="team", value="orders"),
    ]
    docs = rules_to_policies(rules)
    assert len(docs) == 16
    folder = example_repo / "policies"
    folder.mkdir()
    (folder / "learned.yaml").write_text(policies_yaml(rules))
    validator = PolicyValidator(PolicySettings(packs=(), folders=("policies",)), example_repo)
    assert validator.problems == []
    ws = Workspace.load(example_repo)
    checkout = ws.find(kind="Deployment", name="checkout")
    found = {_rule_of(f.rule) for f in validator.validate(checkout) if f.severity == "error"}
    by_id = {r.id.removeprefix("r-"): r.kind for r in rules}
    # checkout: no owner label, 128Mi != 256Mi, registry.example.com image, 2 replicas,
    # no pull policy
    assert {by_id[i] for i in found} == {
        "required_label", "memory_limit_equals_request", "forbidden_registry", "min_replicas",
        "image_pull_policy",
    }  # fmt: skip
    assert sum(by_id[i] == "forbidden_registry" for i in found) == 1  # docker.io rule passes
    # fixing the manifest as the rules demand makes every learned policy pass
    fixed = apply_rules(
        ChangeSet("fix", (SetField(CHECKOUT, "spec.replicas", 3),)),
        ws,
        [approved("required_label", key="owner", value="x"),
         approved("memory_limit_equals_request"), approved("image_pull_policy", policy="Always")],
    )  # fmt: skip
    ws.apply(fixed)
    ws.write()
    ws = Workspace.load(example_repo)
    left = [
        f
        for f in validator.validate(ws.find(kind="Deployment", name="checkout"))
        if f.severity == "error"
    ]
    assert {by_id[_rule_of(f.rule)] for f in left} == {"forbidden_registry"}


# ---------------------------------------------------------------- rejected changes, context


def test_a_rejected_change_is_refused_with_the_reason(tmp_path: Path) -> None:
    change = (Change("base/checkout.yaml", CHECKOUT, "set", "spec.replicas", 2, 10),)
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.save_proposal(
            Proposal("p1", "scale checkout to 10", "offline", "main", "b", "c", change, "")
        )
        assert check_not_rejected(store, change)  # not reviewed: fine
        store.record_outcome(outcome("p1", reason="10 is too many"))
        cs = ChangeSet("checkout replicas 10", (SetField(CHECKOUT, "spec.replicas", 10),))
        with pytest.raises(
            PreviouslyRejected, match=r"p1 \('scale checkout to 10'\).*10 is too many"
        ) as e:
            check_not_rejected(store, cs)
        assert e.value.outcome.proposal_id == "p1"
        assert e.value.exit_code == 2
        assert check_not_rejected(store, cs, force=True) == e.value.fingerprint
        assert check_not_rejected(store, ChangeSet("x", (SetField(CHECKOUT, "spec.replicas", 4),)))


def test_plan_context_has_cases_and_approved_rules(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.save_proposal(
            Proposal(
                "p1", "set checkout memory limit to 1Gi", "offline", "main", None, None, (), ""
            )
        )
        store.record_outcome(outcome("p1", reason="memory limit must equal the request"))
        (rule,) = refresh_rules(store)
        assert plan_context(store, "checkout memory").rules == ()
        store.set_rule_status(rule.id, "approved")
        ctx = plan_context(store, "raise the memory limit of checkout")
        assert ctx.rules == ("Every container's memory limit equals its memory request.",)
        assert ctx.examples == (
            "Past intent 'set checkout memory limit to 1Gi' was rejected because "
            "'memory limit must equal the request'.",
        )


def _rule_of(finding_rule: str | None) -> str:
    """The learned rule id behind a finding's rule name (``kubesmith-learned-<kind>-<id>/<n>``)."""
    return (finding_rule or "").split("/")[0].split("-")[-1]


def test_follow_up_with_git_default_context_still_shows_the_label() -> None:
    diff = (
        "diff --git a/base/cart.yaml b/base/cart.yaml\n--- a/base/cart.yaml\n+++ b/base/cart.yaml\n"
        "@@ -5,6 +5,7 @@ metadata:\n"
        "   labels:\n     app: cart\n     tier: backend\n+    owner: shop-team\n"
        " spec:\n   replicas: 2\n   selector:\n"
    )
    (found,) = observe_diff("p", diff)
    assert (found.kind, found.params) == ("required_label", {"key": "owner", "value": "shop-team"})
    # a selector's matchLabels is not a label convention
    selector = diff.replace("   labels:", "   matchLabels:")
    assert observe_diff("p", selector) == []
