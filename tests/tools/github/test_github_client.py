"""The client functions the bot reuses: marker comments, statuses, permissions, PR files."""

from __future__ import annotations

from kubesmith.tools.forges.github import marker_comment
from tests.tools.github.conftest import GitHubHarness

SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def test_marker_comment_is_created_once_then_updated(gh: GitHubHarness) -> None:
    with gh.cassette("bot_helpers"):
        client = gh.client()
        created = client.upsert_comment(12, "1 error in deploy/checkout.yaml:6", "validation")
        updated = client.upsert_comment(12, "All checks passed", "validation")
    assert created["id"] == updated["id"] == 555
    posts = [s for s in gh.sent if s.method == "POST"]
    patches = [s for s in gh.sent if s.method == "PATCH"]
    assert len(posts) == 1 and len(patches) == 1
    assert posts[0].body == {
        "body": f"1 error in deploy/checkout.yaml:6\n\n{marker_comment('validation')}\n"
    }
    assert patches[0].path.endswith("/issues/comments/555")
    assert patches[0].body["body"].startswith("All checks passed")


def test_status_permission_and_paginated_files(gh: GitHubHarness) -> None:
    with gh.cassette("bot_helpers") as cassette:
        client = gh.client()
        status = client.create_status(
            SHA, "failure", description="1 error: deploy/checkout.yaml:6" + "x" * 200
        )
        permission = client.permission("dana")
        files = client.pull_files(12)
        # the comments of the first test are not played here: mark them so all_played holds
        client.upsert_comment(12, "1 error in deploy/checkout.yaml:6", "validation")
        client.upsert_comment(12, "All checks passed", "validation")
    assert cassette.all_played
    assert status["state"] == "failure"
    sent = next(s for s in gh.sent if "/statuses/" in s.path)
    assert sent.body["context"] == "kubesmith" and len(sent.body["description"]) == 140
    assert permission == "write"
    assert [f["filename"] for f in files] == ["deploy/checkout.yaml", "deploy/cart.yaml"]
    pages = [s for s in gh.sent if s.path.endswith("/files")]
    assert pages[0].query == {"per_page": "100"}
    assert pages[1].query == {"per_page": "100", "page": "2"}


def test_file_text_reads_the_base_branch_and_none_when_missing(gh: GitHubHarness) -> None:
    with gh.cassette("contents") as cassette:
        client = gh.client()
        config = client.file_text(".kubesmith.yaml", "main")
        missing = client.file_text("missing.yaml", "main")
    assert cassette.all_played
    assert config == "policy:\n  packs: [pss-restricted]\n"
    assert missing is None
    assert gh.sent[0].query == {"ref": "main"}
    assert gh.sent[0].headers["accept"] == "application/vnd.github.raw+json"
