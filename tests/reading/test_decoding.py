"""Decoding manifest bytes and names as kubectl does: UTF-8 (BOM or not) and UTF-16 with a BOM
are text; UTF-32, invalid bytes and NUL characters are refused with a line; names that are
not UTF-8 get one escaped spelling."""

from __future__ import annotations

import os

import pytest

from kubesmith.errors import ManifestRefused
from kubesmith.reading import decode, display_name, name_problem

TEXT = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: café\n"


@pytest.mark.parametrize(
    ("raw", "encoding", "text"),
    [
        (TEXT.encode(), "utf-8", TEXT),
        (b"\xef\xbb\xbf" + TEXT.encode(), "utf-8", "\ufeff" + TEXT),  # BOM kept: same bytes back
        (TEXT.encode("utf-16"), "utf-16-le", TEXT),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be", TEXT),
    ],
)
def test_utf8_and_utf16_with_a_bom_are_text(raw: bytes, encoding: str, text: str) -> None:
    decoded = decode(raw, "cm.yaml")
    assert (decoded.encoding, decoded.text) == (encoding, text)
    assert decoded.is_utf8 == (encoding == "utf-8")


@pytest.mark.parametrize(
    ("raw", "line", "message"),
    [
        (TEXT.encode("utf-32"), 1, "UTF-32-LE text"),
        (b"\x00\x00\xfe\xff" + TEXT.encode("utf-32-be"), 1, "UTF-32-BE text"),
        (b"a: 1\nb: 2\nc: \xff\xfe\n", 3, "not valid UTF-8"),
        (b"a: 1\nb: \x00\n", 2, "NUL character"),
        ("a: 1\n".encode("utf-16-le"), 1, "NUL character"),  # UTF-16 without its BOM
        (b"\xff\xfe" + "a: 1\n".encode("utf-16-le") + b"\x00\xd8", 2, "not valid UTF-16-LE"),
    ],
)
def test_anything_else_is_refused_with_its_line(raw: bytes, line: int, message: str) -> None:
    with pytest.raises(ManifestRefused, match=message) as e:
        decode(raw, "bad.yaml")
    assert (e.value.file, e.value.line) == ("bad.yaml", line)


def test_a_name_that_is_not_utf8_has_one_escaped_spelling() -> None:
    raw = b"deploy/bad\xff.yaml"
    from_fs = os.fsdecode(raw)  # what os.walk gives: the byte escaped as a surrogate
    assert display_name(raw) == display_name(from_fs) == "deploy/bad\\xff.yaml"
    assert name_problem(raw) is not None
    assert name_problem(from_fs) is not None
    assert display_name("deploy/café.yaml") == "deploy/café.yaml"
    assert name_problem("deploy/café.yaml") is None
