"""The YAML readers on arbitrary bytes and YAML-flavoured text: a value or a ManifestError
(with a line when it has one), never another exception."""

from __future__ import annotations

from hypothesis import example, given

from kubesmith.errors import ManifestError
from kubesmith.reading import decode, load_all
from kubesmith.tools.schema.located import parse_documents
from kubesmith.workspace.yamledit import YamlFile
from tests.fuzz.strategies import raw_bytes, yaml_text


def _text(raw: bytes) -> str | None:
    refused: ManifestError | None = None
    try:
        return decode(raw, "f.yaml").text
    except ManifestError as e:
        refused = e
    assert refused.file == "f.yaml" and refused.line is not None and refused.line >= 1
    return None


@given(raw_bytes)
def test_decoding_any_bytes_gives_text_or_a_refusal(raw: bytes) -> None:
    _text(raw)


@given(yaml_text)
@example("!!int ")  # found by the fuzz suite: IndexError in the workspace parser
def test_every_reader_gives_data_or_a_manifest_error(text: str) -> None:
    for read in (
        lambda: load_all(text, "f.yaml"),
        lambda: [d.obj for d in parse_documents(text, "f.yaml")],
        lambda: [d.data for d in YamlFile.parse(text, "f.yaml").documents],
    ):
        failed: ManifestError | None = None
        try:
            read()
        except ManifestError as e:
            failed = e
        assert failed is None or failed.file == "f.yaml"


@given(yaml_text)
def test_the_workspace_parser_keeps_text_byte_for_byte(text: str) -> None:
    try:
        parsed = YamlFile.parse(text, "f.yaml")
    except ManifestError:
        return
    assert parsed.text == text
