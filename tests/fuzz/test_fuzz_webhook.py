"""The bot's intake on arbitrary deliveries: a signature check is a yes or a no, a body becomes
a routed job or a refusal (400), never another exception."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesmith.bot.events import MalformedPayload, route
from kubesmith.bot.intake import Refusal, parse_json
from kubesmith.bot.signature import sign, verify
from tests.fuzz.strategies import values

EVENTS = st.sampled_from(["pull_request", "issue_comment", "pull_request_review", "push", "x"])
PULL = {
    "action": "opened",
    "number": 7,
    "repository": {"full_name": "acme/app", "name": "app", "owner": {"login": "acme"}},
    "pull_request": {"number": 7, "head": {"sha": "a" * 40, "ref": "f"}, "base": {"ref": "main"}},
}


@given(st.binary(max_size=300), st.one_of(st.none(), st.text(max_size=80)))
def test_a_signature_check_is_a_yes_or_a_no(body: bytes, header: str | None) -> None:
    assert verify("secret", body, header) in (True, False)
    assert verify("secret", body, sign("secret", body)) is True


@given(EVENTS, st.one_of(st.binary(max_size=300), values.map(lambda v: json.dumps(v).encode())))
def test_any_body_is_routed_or_refused(event: str, body: bytes) -> None:
    try:
        payload = parse_json(body)
    except Refusal as e:
        refused = e.status
    else:
        refused = 0
        with contextlib.suppress(MalformedPayload):
            route(event, payload)
    assert refused in (0, 400)


@given(EVENTS, st.dictionaries(st.sampled_from(sorted(PULL)), values, max_size=4))
def test_a_payload_with_mutated_fields_is_routed_or_refused(event: str, changes: dict) -> None:
    with contextlib.suppress(MalformedPayload):
        route(event, {**PULL, **changes})


def test_deep_json_is_refused_not_a_traceback() -> None:
    with pytest.raises(Refusal) as refused:
        parse_json(b"[" * 100_000 + b"]" * 100_000)
    assert refused.value.status == 400
