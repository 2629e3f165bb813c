"""``/kubesmith <intent>`` and reviewers' verdicts, end to end through the webhook."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubesmith.bot.checkout import check_clone_url
from kubesmith.errors import UsageError
from kubesmith.store import Store
from tests.bot.conftest import (
    KUBESMITH_BRANCH,
    BotServer,
    PullRepo,
    fill,
    make_pull_repo,
    payload,
    pr_payload,
    recorder,
    replace_in_cassette,
    seed_kubesmith_pull,
)
from tests.conftest import git

# Starts a process or a server (see tests/process_guard.py): not in `make unit`.
pytestmark = pytest.mark.slow


def _comment(
    bot_server: BotServer,
    repo: PullRepo,
    command: str,
    cassette_name: str,
    *,
    rewrite: dict[str, str] | None = None,
    **values: str,
) -> None:
    """Post ``command`` as dana's comment 960 on the repository's pull request and wait until
    it is handled, GitHub answering from ``cassette_name`` (filled with the repository's shas,
    clone URL and ``values``, then ``rewrite``'s replacements) and every recorded answer used."""
    clone_url = repo.bare.as_uri()
    data = payload(
        "issue_comment", comment_id=960, login="dana", user_type="User",
        body=command, clone_url=clone_url,
    )  # fmt: skip
    with recorder().use_cassette(cassette_name) as cassette:
        fill(cassette, head_sha=repo.head_sha, base_sha=repo.base_sha, clone_url=clone_url,
             **values)  # fmt: skip
        replace_in_cassette(cassette, rewrite or {})
        assert bot_server.post("issue_comment", data).status_code == 202
        bot_server.wait_for("done", 1)
        assert cassette.all_played


def test_intent_in_a_comment_opens_a_pull_request_into_the_branch(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start()
    _comment(bot_server, pull_repo, "/kubesmith scale checkout to 3", "command_propose.yaml")
    create = next(s for s in bot_server.sent if s.method == "POST" and s.path.endswith("/pulls"))
    assert create.body["base"] == "break-replicas"
    branch = create.body["head"]
    assert branch.startswith("kubesmith/scale-checkout-to-3-")
    assert "kubesmith-metadata" in create.body["body"]
    # the branch is on the remote, on top of the pull request's head, with replicas 3
    assert git(pull_repo.bare, "rev-parse", f"{branch}~1").strip() == pull_repo.head_sha
    shown = git(pull_repo.bare, "show", f"{branch}:deploy/checkout.yaml")
    assert "replicas: 3" in shown
    reply = bot_server.sent[-1].body["body"]
    assert "pull/12" in reply
    assert "<!-- kubesmith:reply-960 -->" in reply
    # The loop recorded the pull request it opened, so its outcome will be learned.
    with Store.open(f"sqlite:///{bot_server.data_dir / 'kubesmith.db'}") as store:
        record = store.pull_request("github", "acme/manifests", "12")
    assert record is not None and record.branch.startswith("kubesmith/")


def _kubesmith_body(proposal: str) -> str:
    return (
        "**Intent:** scale checkout to 3\n\n"
        f'<!-- kubesmith-metadata {{"branch": "kubesmith/scale-checkout-to-3-4f1c2a9", '
        f'"fingerprint": "", "proposal": "{proposal}"}} -->\n'
    )


def _review(state: str, body: str) -> dict[str, Any]:
    return payload(
        "pull_request_review", state=state, body=body, number=12, pr_body=_kubesmith_body("4f1c2a9b7d3e"),
        head_sha="1" * 40, base_sha="2" * 40,
    )  # fmt: skip


def test_reviews_and_close_of_a_kubesmith_pull_request_become_an_outcome(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start()
    seed_kubesmith_pull(f"sqlite:///{bot_server.data_dir / 'kubesmith.db'}")
    assert (
        bot_server.post(
            "pull_request_review", _review("changes_requested", "Use the internal registry")
        ).status_code
        == 202
    )
    bot_server.wait_for("done", 1)
    closed = pr_payload(pull_repo, "closed")
    closed["pull_request"] |= {
        "number": 12,
        "state": "closed",
        "merged": False,
        "body": _kubesmith_body("4f1c2a9b7d3e"),
    }
    closed["pull_request"]["head"]["ref"] = KUBESMITH_BRANCH
    closed["number"] = 12
    assert bot_server.post("pull_request", closed).status_code == 202
    bot_server.wait_for("done", 2)
    with Store.open(f"sqlite:///{bot_server.data_dir / 'kubesmith.db'}") as store:
        outcomes = store.outcomes(proposal_id="4f1c2a9b7d3e")
    assert len(outcomes) == 1
    o = outcomes[0]
    assert (o.status, o.pr.forge, o.pr.id) == ("rejected", "github", "12")
    assert o.reason == "Use the internal registry"
    assert [(c.author, c.verdict) for c in o.comments] == [("erin", "changes_requested")]
    assert bot_server.sent == []  # all from the payloads: no GitHub request


def test_closing_someone_elses_pull_request_is_not_an_outcome(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start()
    r = bot_server.post("pull_request", pr_payload(pull_repo, "closed"))
    assert r.status_code == 200
    assert "ignored" in r.json()


def test_local_clone_urls_are_refused_unless_allowed() -> None:
    with pytest.raises(UsageError, match="KUBESMITH_ALLOW_FILE_REMOTES"):
        check_clone_url("file:///srv/git/manifests.git", allow_file=False)
    with pytest.raises(UsageError, match="KUBESMITH_ALLOW_FILE_REMOTES"):
        check_clone_url("/srv/git/manifests.git", allow_file=False)
    with pytest.raises(UsageError, match="https"):
        check_clone_url("ssh://git@ghe.example.com/acme/manifests.git", allow_file=True)
    check_clone_url("file:///srv/git/manifests.git", allow_file=True)
    check_clone_url("https://ghe.example.com/acme/manifests.git", allow_file=False)


def test_intent_on_kubesmiths_own_pull_request_pushes_a_commit_onto_it(
    bot_server: BotServer, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    head_ref = "kubesmith/scale-checkout-to-3-4f1c2a9"
    repo = make_pull_repo(make_repo, tmp_path, head_ref)
    before = repo.head_sha
    bot_server.start()
    # kubesmith opened #7 from that branch: the store's record is what makes it "own".
    seed_kubesmith_pull(f"sqlite:///{bot_server.data_dir / 'kubesmith.db'}", number=7,
                        branch=head_ref)  # fmt: skip
    body = json.dumps(_kubesmith_body("4f1c2a9b7d3e"))[1:-1]
    _comment(bot_server, repo, "/kubesmith scale checkout to 4", "command_own_pull.yaml",
             head_ref=head_ref, pr_body=body)  # fmt: skip
    tip = git(repo.bare, "rev-parse", head_ref).strip()
    assert git(repo.bare, "rev-parse", f"{tip}~1").strip() == before  # a fast-forward
    assert "replicas: 4" in git(repo.bare, "show", f"{tip}:deploy/checkout.yaml")
    assert not [s for s in bot_server.sent if s.path.endswith("/pulls")]  # no new PR
    reply = bot_server.sent[-1].body["body"]
    assert f"onto `{head_ref}`" in reply


def test_explain_lists_each_finding_with_its_rule(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start()
    _comment(bot_server, pull_repo, "/kubesmith explain", "command_explain.yaml")
    reply = bot_server.sent[-1].body["body"]
    assert "`deploy/checkout.yaml:8` field `spec.replicas`" in reply
    assert "schema" in reply


def test_validate_command_updates_the_validation_comment_and_replies(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    bot_server.start()
    _comment(bot_server, pull_repo, "/kubesmith validate", "command_validate.yaml")
    validation = bot_server.sent[4].body["body"]
    assert "deploy/checkout.yaml:8" in validation
    assert "<!-- kubesmith:validation -->" in validation
    reply = bot_server.sent[-1].body["body"]
    assert "1 error(s)" in reply
    assert "<!-- kubesmith:reply-960 -->" in reply


def _forged(pull_repo: PullRepo, number: int, head_ref: str, head_repo: str) -> dict[str, Any]:
    """A stranger closes their own pull request, its body carrying a copied metadata block."""
    closed = pr_payload(pull_repo, "closed")
    closed["number"] = number
    closed["pull_request"] |= {
        "number": number, "state": "closed", "merged": False,
        "body": "innocent change\n" + _kubesmith_body("4f1c2a9b7d3e"),
    }  # fmt: skip
    closed["pull_request"]["head"]["ref"] = head_ref
    closed["pull_request"]["head"]["repo"]["full_name"] = head_repo
    return closed


@pytest.mark.parametrize(
    ("number", "head_ref", "head_repo"),
    [
        (13, "kubesmith/scale-checkout-to-3-4f1c2a9", "acme/manifests"),  # another number
        (12, "break-replicas", "acme/manifests"),  # not kubesmith's branch
        (12, "kubesmith/scale-checkout-to-3-4f1c2a9", "mallory/manifests"),  # a fork's branch
    ],
)
def test_a_forged_metadata_block_records_no_outcome(
    bot_server: BotServer, pull_repo: PullRepo, number: int, head_ref: str, head_repo: str
) -> None:
    url = f"sqlite:///{bot_server.data_dir / 'kubesmith.db'}"
    bot_server.start()
    seed_kubesmith_pull(url)  # kubesmith did open #12 for proposal 4f1c2a9b7d3e
    forged = _forged(pull_repo, number, head_ref, head_repo)
    assert bot_server.post("pull_request", forged).status_code == 202
    review = _review("changes_requested", "forged reason")
    review["pull_request"]["number"] = number
    review["pull_request"]["head"]["ref"] = head_ref
    review["pull_request"]["head"]["repo"]["full_name"] = head_repo
    assert bot_server.post("pull_request_review", review).status_code == 202
    bot_server.wait_for("done", 2)
    with Store.open(url) as store:
        assert store.outcomes() == []
        assert store.get_pull_request("12", "github").pr.status == "open"


def test_explain_on_a_strangers_pull_request_shows_no_other_proposal(
    bot_server: BotServer, pull_repo: PullRepo
) -> None:
    """#7 is not kubesmith's; its body names proposal 4f1c2a9b7d3e (kubesmith's #12)."""
    bot_server.start()
    seed_kubesmith_pull(f"sqlite:///{bot_server.data_dir / 'kubesmith.db'}")
    forged = 'Bump it. <!-- kubesmith-metadata {\\"proposal\\": \\"4f1c2a9b7d3e\\"} -->'
    _comment(bot_server, pull_repo, "/kubesmith explain", "command_explain.yaml",
             rewrite={"Bump checkout for the sale.": forged})  # fmt: skip
    reply = bot_server.sent[-1].body["body"]
    assert "scale checkout to 3" not in reply  # the other proposal's intent
    assert "`deploy/checkout.yaml:8` field `spec.replicas`" in reply  # its own findings instead
