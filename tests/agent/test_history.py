"""kubesmith history on real git histories built here, with the real local forge and store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kubesmith.agent.fielddiff import diff_fields, field_matches
from kubesmith.agent.history import read_blobs, resource_history
from kubesmith.agent.loop import Agent
from kubesmith.cli.main import cli
from kubesmith.config import Settings
from kubesmith.errors import UsageError
from kubesmith.model import ChangeSet, ResourceRef, SetField
from kubesmith.store import Store
from kubesmith.tools.forges.local import LocalForge
from tests.conftest import git

CHECKOUT = ResourceRef("apps/v1", "Deployment", "checkout")


def commit_edit(repo: Path, file: str, old: str, new: str, message: str, author: str) -> str:
    path = repo / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    git(repo, "add", file)
    git(repo, "commit", "-q", "-m", message, "--author", author)
    return git(repo, "rev-parse", "HEAD").strip()


class Fixed:
    name = "fixed"

    def __init__(self, *edits: SetField) -> None:
        self.edits = edits

    def plan(self, intent: str, workspace: object, **_: object) -> ChangeSet:
        return ChangeSet(intent, self.edits, planner=self.name, rationale="because")


def test_field_diff_names_list_items_and_filters_by_field() -> None:
    before = {"spec": {"replicas": 2, "template": {"spec": {"containers": [
        {"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}}}}  # fmt: skip
    after = {"spec": {"replicas": 3, "template": {"spec": {"containers": [
        {"name": "a", "image": "x:1"}, {"name": "b", "image": "y:2", "args": ["-v"]}]}}}}  # fmt: skip
    changes = diff_fields(before, after)
    assert [(c.path, c.kind, c.before, c.after) for c in changes] == [
        ("spec.replicas", "changed", 2, 3),
        ("spec.template.spec.containers[name=b].image", "changed", "y:1", "y:2"),
        ("spec.template.spec.containers[name=b].args", "added", None, ["-v"]),
    ]
    assert field_matches(changes[1].path, "spec.template.spec.containers.image")
    assert field_matches(changes[1].path, "spec.template.spec.containers[name=b]")
    assert not field_matches(changes[1].path, "spec.template.spec.containers[name=a].image")
    assert not field_matches(changes[0].path, "spec.template")


def test_read_blobs_reads_many_in_one_batch(make_repo: object) -> None:
    repo = make_repo(files={"a.yaml": "a: 1\n", "b.yaml": "b: 2\n"})  # type: ignore[operator]
    shas = git(repo, "rev-parse", "HEAD:a.yaml", "HEAD:b.yaml").split()
    assert read_blobs(repo, shas) == {shas[0]: b"a: 1\n", shas[1]: b"b: 2\n"}


def test_history_newest_first_with_fields_authors_and_the_overlay_patch(example_repo: Path) -> None:
    first = commit_edit(example_repo, "base/checkout.yaml", "replicas: 2", "replicas: 4",
                        "scale checkout", "Ann <ann@example.com>")  # fmt: skip
    commit_edit(example_repo, "base/catalog.yaml", "replicas: 1", "replicas: 2", "c", "X <x@e.com>")
    (example_repo / "README.md").write_text("unrelated\n")
    git(example_repo, "add", "README.md")
    git(example_repo, "commit", "-q", "-m", "docs")
    second = commit_edit(example_repo, "base/checkout.yaml", "cpu: 100m", "cpu: 200m",
                         "more cpu", "Bob <bob@example.com>")  # fmt: skip
    patch = "overlays/prod/checkout-patch.yaml"
    prod = (example_repo / patch).read_text()
    m = re.search(r"replicas: (\d+)", prod)
    assert m is not None
    third = commit_edit(example_repo, patch, m.group(0), "replicas: 9", "prod: 9", "Cy <c@e.com>")

    h = resource_history(example_repo, "checkout", settings=Settings())
    assert h.resource.kind == "Deployment" and "base/checkout.yaml" in h.files and patch in h.files
    got = [(e.commit, e.author.split()[0], e.file, [(c.path, c.before, c.after) for c in e.changes])
           for e in h.entries[:3]]  # fmt: skip
    assert got == [
        (third, "Cy", patch, [("spec.replicas", int(m.group(1)), 9)]),
        (second, "Bob", "base/checkout.yaml",
         [("spec.template.spec.containers[name=checkout].resources.requests.cpu", "100m", "200m")]),
        (first, "Ann", "base/checkout.yaml", [("spec.replicas", 2, 4)]),
    ]  # fmt: skip
    # the initial commit adds the whole resource
    assert h.entries[-1].changes[0].kind == "added" and h.entries[-1].proposal is None

    only = resource_history(example_repo, "deployment/checkout", settings=Settings(),
                            field_path="spec.template.spec.containers.resources")  # fmt: skip
    initial = h.entries[-1].commit
    assert [(e.commit, e.file) for e in only.entries] == [
        (second, "base/checkout.yaml"),
        (initial, "base/checkout.yaml"),
        (initial, patch),
    ]
    assert (
        "spec.template.spec.containers[name=checkout].resources.limits.memory",
        "added",
        None,
        "256Mi",
    ) in [(c.path, c.kind, c.before, c.after) for c in only.entries[1].changes]
    future = resource_history(example_repo, "checkout", settings=Settings(), since="2099-01-01")
    assert future.entries == ()


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 1
"""


def test_unknown_or_ambiguous_resource_is_a_usage_error(make_repo: Any, example_repo: Path) -> None:
    with pytest.raises(UsageError, match="no resource"):
        resource_history(example_repo, "nope", settings=Settings())
    with pytest.raises(UsageError, match="invalid field path"):
        resource_history(example_repo, "checkout", settings=Settings(), field_path="spec..x")
    svc = resource_history(example_repo, "svc/checkout", settings=Settings())
    assert svc.resource.kind == "Service"
    repo = make_repo(files={"a.yaml": DEPLOY.format(ns="a"), "b.yaml": DEPLOY.format(ns="b")})
    with pytest.raises(UsageError, match="ambiguous"):
        resource_history(repo, "web", settings=Settings())
    assert resource_history(repo, "deployment/b/web", settings=Settings()).files == ("b.yaml",)


@pytest.mark.slow
def test_a_merged_proposal_shows_its_planner_pr_and_verdict(example_repo: Path) -> None:
    store = Store.open(repo=example_repo)
    agent = Agent(repo=example_repo, settings=Settings(), planner=Fixed(
        SetField(CHECKOUT, "metadata.annotations.team", "payments")), forge=LocalForge(example_repo, store), store=store)  # fmt: skip
    p = agent.propose("checkout belongs to payments")
    assert p.pr is not None, p.findings
    LocalForge(example_repo, store).accept(p.pr.id)
    h = resource_history(example_repo, "checkout", settings=Settings(), store=store)
    top = h.entries[0]
    assert [(c.path, c.before, c.after) for c in top.changes] == [
        ("metadata.annotations.team", "orders", "payments")
    ]
    assert top.proposal is not None and top.proposal.id == p.id and top.proposal.known
    assert top.proposal.planner == "fixed" and top.proposal.intent == "checkout belongs to payments"
    assert top.proposal.pr == f"local:{p.pr.id}" and top.proposal.verdict == "accepted"

    result = CliRunner().invoke(
        cli, ["history", "checkout", "--repo", str(example_repo), "--field", "metadata.annotations",
              "-o", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["resource"] == "Deployment/checkout"
    assert data["entries"][0]["proposal"]["id"] == p.id
    assert data["entries"][0]["changes"] == [
        {
            "path": "metadata.annotations.team",
            "kind": "changed",
            "before": "orders",
            "after": "payments",
        }
    ]
    text = CliRunner().invoke(cli, ["history", "checkout", "--repo", str(example_repo)])
    assert (
        text.exit_code == 0
        and "metadata.annotations.team: orders → payments" in text.output
        and p.id in text.output
    )


@pytest.mark.slow
def test_overlay_history_is_what_the_overlay_renders(example_repo: Path) -> None:
    from kubesmith.agent.history_render import rendered_history

    hidden = commit_edit(example_repo, "base/checkout.yaml", "checkout:1.4.1", "checkout:1.9.9",
                         "base image", "Ann <ann@example.com>")  # fmt: skip
    tag = commit_edit(example_repo, "overlays/prod/kustomization.yaml", "newTag: 1.4.1",
                      "newTag: 1.4.2", "prod: checkout 1.4.2", "Bob <bob@example.com>")  # fmt: skip
    h = rendered_history(example_repo, "checkout", "overlays/prod", settings=Settings())
    image = "spec.template.spec.containers[name=checkout].image"
    top = h.entries[0]
    assert (top.commit, top.file) == (tag, "overlays/prod (rendered)")
    assert [(c.path, c.before, c.after) for c in top.changes] == [
        (image, "registry.example.com/shop/checkout:1.4.1",
         "registry.example.com/shop/checkout:1.4.2")
    ]  # fmt: skip
    # prod pins the tag, so the base image change deployed nothing there
    assert hidden not in [e.commit for e in h.entries]
    assert h.entries[-1].changes[0].kind == "added"
    plain = resource_history(example_repo, "checkout", settings=Settings())
    assert plain.entries[0].commit == hidden  # what the base file alone says
    result = CliRunner().invoke(cli, ["history", "checkout", "--repo", str(example_repo),
                                      "--overlay", "overlays/prod", "--field", image, "-o", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["entries"][0]["commit"] == tag
