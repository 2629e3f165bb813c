"""The position-preserving YAML editor, one behaviour at a time, with exact expected text."""

from __future__ import annotations

import json
import pickle
import time

import pytest
import yaml

from kubesmith.errors import ManifestError
from kubesmith.model import Match
from kubesmith.workspace.yamledit import YamlFile


def edit(src: str, op: str, *args: object) -> str:
    """Apply one edit to document 0 of ``src`` and return the new text (checked to re-parse)."""
    yf = YamlFile.parse(src, "t.yaml")
    getattr(yf, op)(0, *args)
    list(yaml.safe_load_all(yf.text))  # still valid YAML for an independent reader
    return yf.text


DEPLOY = """\
# The cart service.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart   # owned by team shop
  labels:
    app: cart
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: "shop/cart:1.0"
          env:
            - name: MODE
              value: "fast"

# Runtime knobs follow.
"""


# ---------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "src",
    [
        DEPLOY,
        "a: 1\r\nb:\r\n  - x\r\n",  # CRLF
        "\ufeffa: 1\n",  # BOM
        "a: 1",  # no trailing newline
        "a: 1 #\tcomment with\ttabs\n",
        "# header\n---\na: 1\n...\n# between\n---\nb: 2\n",
        "a: 1\n---\n---\nb: 2\n",
        "",
        "# only a comment\n",
        "%YAML 1.1\n---\na: 1\n",
    ],
)
def test_noop_is_byte_identical_and_data_matches_pyyaml(src: str) -> None:
    yf = YamlFile.parse(src, "t.yaml")
    assert yf.text == src
    assert [d.data for d in yf.documents] == list(yaml.safe_load_all(src.lstrip("\ufeff")))


def test_documents_start_lines_and_line_of() -> None:
    src = "# header\n---\na: 1\n---\n# lead\nkind: X\nspec:\n  items:\n  - name: a\n  - name: b\n"
    docs = YamlFile.parse(src).documents
    assert [d.data for d in docs] == [
        {"a": 1},
        {"kind": "X", "spec": {"items": [{"name": "a"}, {"name": "b"}]}},
    ]
    assert [d.start_line for d in docs] == [3, 6]
    assert docs[1].line_of("spec.items[name=b].name") == 10
    assert docs[1].line_of(("spec", "items", 0)) == 9
    assert docs[1].line_of("spec.items[name=zzz].image") == 8  # closest existing ancestor
    assert docs[1].line_of("nothing.here") == 6


def test_empty_documents_are_kept_with_none_data() -> None:
    docs = YamlFile.parse("---\n---\na: 1\n---\n").documents
    assert [d.data for d in docs] == [None, {"a": 1}, None]
    assert [d.start_line for d in docs] == [1, 3, 4]


def test_malformed_yaml_reports_file_and_line() -> None:
    with pytest.raises(ManifestError) as e:
        YamlFile.parse("a: 1\n---\nb: 2\nc: [1, 2\nd: 4\n", "bad.yaml")
    assert e.value.file == "bad.yaml"
    assert e.value.line in (4, 5, 6)
    assert str(e.value).startswith(f"bad.yaml:{e.value.line}: malformed YAML")


def test_duplicate_keys_are_reported_with_path_and_line() -> None:
    doc = YamlFile.parse("metadata:\n  name: a\n  labels:\n    x: 1\n    x: 2\n").documents[0]
    assert doc.duplicate_keys == [("metadata.labels.x", 5)]
    assert doc.data["metadata"]["labels"] == {"x": 2}


def test_timestamps_stay_strings() -> None:
    doc = YamlFile.parse("metadata:\n  creationTimestamp: 2024-01-02T03:04:05Z\n").documents[0]
    assert doc.data["metadata"]["creationTimestamp"] == "2024-01-02T03:04:05Z"


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.perf_counter()
    with pytest.raises(ManifestError, match="alias bomb"):
        YamlFile.parse("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - started < 5  # bounded: no expansion happens


def test_modest_aliases_load() -> None:
    doc = YamlFile.parse("base: &b {x: 1}\nuse: *b\nmerged:\n  <<: *b\n  y: 2\n").documents[0]
    assert doc.data == {"base": {"x": 1}, "use": {"x": 1}, "merged": {"x": 1, "y": 2}}


# ---------------------------------------------------------------------- scalars


def test_replace_scalar_keeps_trailing_comment_and_rest() -> None:
    out = edit(DEPLOY, "set", "metadata.name", "basket")
    assert out == DEPLOY.replace("name: cart   #", "name: basket   #")


def test_replace_keeps_double_quotes() -> None:
    out = edit(DEPLOY, "set", "spec.template.spec.containers[name=web].image", "shop/cart:2.0")
    assert out == DEPLOY.replace('"shop/cart:1.0"', '"shop/cart:2.0"')


def test_replace_keeps_single_quotes_and_escapes() -> None:
    assert edit("a: 'x'\n", "set", "a", "it's") == "a: 'it''s'\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("256Mi", "256Mi"),
        ("3", '"3"'),
        ("true", '"true"'),
        ("null", '"null"'),
        ("1e3", '"1e3"'),
        ("y", '"y"'),
        ("", '""'),
        ("a: b", '"a: b"'),
        ("#x", '"#x"'),
        ("--port=80", "--port=80"),
        (3, "3"),
        (2.5, "2.5"),
        (1e20, "1.0e+20"),
        (False, "false"),
        (None, "null"),
    ],
)
def test_new_scalars_read_back_as_the_same_type(value: object, text: str) -> None:
    out = edit("k: old\n", "set", "k", value)
    assert out == f"k: {text}\n"
    assert yaml.safe_load(out) == {"k": value}


def test_string_replacing_a_number_is_quoted_and_number_replacing_quoted_is_plain() -> None:
    assert edit("replicas: 2\n", "set", "replicas", "3") == 'replicas: "3"\n'
    assert edit('replicas: "2"\n', "set", "replicas", 3) == "replicas: 3\n"


def test_setting_an_equal_value_is_a_noop() -> None:
    yf = YamlFile.parse("a: '1'\n")
    assert yf.set(0, "a", "1") == ("1", "1")
    assert yf.text == "a: '1'\n"


def test_multiline_string_becomes_a_literal_block() -> None:
    out = edit("data:\n  a: 1\n", "set", "data.conf", "x = 1\ny = 2\n")
    assert out == "data:\n  a: 1\n  conf: |\n    x = 1\n    y = 2\n"


def test_replace_literal_block_keeps_following_blank_line_and_comment() -> None:
    src = "a: |\n  one\n  two\n\n# next\nb: 1\n"
    assert edit(src, "set", "a", "three\n") == "a: |\n  three\n\n# next\nb: 1\n"


# ---------------------------------------------------------------------- inserting keys


def test_insert_key_after_the_last_sibling_subtree() -> None:
    out = edit(DEPLOY, "set", "metadata.namespace", "shop")
    assert out == DEPLOY.replace("    app: cart\n", "    app: cart\n  namespace: shop\n")


def test_insert_key_goes_before_a_comment_that_starts_the_next_section() -> None:
    out = edit(DEPLOY, "set", "spec.paused", False)
    assert out == DEPLOY.replace('"fast"\n', '"fast"\n  paused: false\n')


def test_insert_after_block_scalar_goes_before_its_blank_lines() -> None:
    src = "a:\n  s: |\n    text\n\nb: 1\n"
    assert edit(src, "set", "a.t", 1) == "a:\n  s: |\n    text\n  t: 1\n\nb: 1\n"


def test_insert_into_flow_mapping_and_empty_flow_mapping() -> None:
    assert edit("labels: {app: cart}\n", "set", "labels.tier", "web") == (
        "labels: {app: cart, tier: web}\n"
    )
    assert edit("labels: {}\n", "set", "labels.tier", "web") == "labels: {tier: web}\n"
    assert edit("l: {a: 1}\n", "set", "l.b", "x, y") == 'l: {a: 1, b: "x, y"}\n'


def test_missing_parents_are_created_as_nested_block_mappings() -> None:
    out = edit("kind: X\nspec:\n  a: 1\n", "set", "spec.template.metadata.labels.app", "x")
    assert out == (
        "kind: X\nspec:\n  a: 1\n  template:\n    metadata:\n      labels:\n        app: x\n"
    )


def test_new_structures_follow_a_four_space_file() -> None:
    src = "spec:\n    containers:\n        - name: web\n"
    out = edit(src, "set", "spec.volumes", [{"name": "data", "emptyDir": {}}])
    assert out == src + "    volumes:\n        - name: data\n          emptyDir: {}\n"


def test_null_value_is_replaced_by_created_parents() -> None:
    assert edit("metadata:\n  labels:\n", "set", "metadata.labels.a", "b") == (
        "metadata:\n  labels:\n    a: b\n"
    )


def test_setting_under_a_scalar_is_refused() -> None:
    yf = YamlFile.parse("a: 1\n")
    with pytest.raises(ManifestError, match=r"cannot set a\.b: a is a int value"):
        yf.set(0, "a.b", 2)
    assert yf.text == "a: 1\n"


# ---------------------------------------------------------------------- sequences


INDENTLESS = "spec:\n  containers:\n  - name: web\n    image: a\n"


def test_upsert_through_selector_in_indentless_style() -> None:
    out = edit(INDENTLESS, "set", "spec.containers[name=web].env[name=FOO].value", "bar")
    assert out == INDENTLESS + "    env:\n    - name: FOO\n      value: bar\n"


def test_upsert_through_selector_in_indented_style() -> None:
    out = edit(DEPLOY, "set", "spec.template.spec.containers[name=web].env[name=FOO].value", "b")
    new = '              value: "fast"\n            - name: FOO\n              value: b\n'
    assert out == DEPLOY.replace('              value: "fast"\n', new)


def test_selector_that_matches_updates_in_place() -> None:
    out = edit(INDENTLESS, "set", [*("spec", "containers"), Match("name", "web"), "image"], "b")
    assert out == INDENTLESS.replace("image: a", "image: b")


def test_append_to_block_and_flow_sequences() -> None:
    assert edit("l:\n- a\n", "set", "l[1]", "b") == "l:\n- a\n- b\n"
    assert edit("l:\n  - a\n", "set", "l[1]", {"k": 1}) == "l:\n  - a\n  - k: 1\n"
    assert edit("l: [a, b]\n", "set", "l[2]", "c") == "l: [a, b, c]\n"
    assert edit("l: []\n", "set", "l[0]", "c") == "l: [c]\n"


def test_index_out_of_range_is_refused() -> None:
    with pytest.raises(ManifestError, match="out of range"):
        YamlFile.parse("l: [a]\n").set(0, "l[5]", "x")


def test_setting_a_whole_list_or_dict_changes_only_differing_lines() -> None:
    src = "m:\n  a: 1\n  b: 2\nl:\n- x\n- y\n"
    yf = YamlFile.parse(src)
    yf.set(0, "m", {"a": 1, "b": 3, "c": 4})
    yf.set(0, "l", ["x", "z"])
    assert yf.text == "m:\n  a: 1\n  b: 3\n  c: 4\nl:\n- x\n- z\n"


# ---------------------------------------------------------------------- removing


def test_remove_key_takes_exactly_its_lines() -> None:
    yf = YamlFile.parse(DEPLOY)
    assert yf.remove(0, "spec.template.spec.containers[0].env") == [
        {"name": "MODE", "value": "fast"}
    ]
    assert yf.text == DEPLOY.replace(
        '          env:\n            - name: MODE\n              value: "fast"\n', ""
    )


def test_remove_absent_is_a_noop() -> None:
    yf = YamlFile.parse(DEPLOY)
    assert yf.remove(0, "spec.nothing.here") is None
    assert yf.remove(0, "spec.template.spec.containers[name=zzz]") is None
    assert yf.text == DEPLOY


def test_remove_last_key_leaves_empty_mapping() -> None:
    assert edit("a:\n  b: 1\nc: 2\n", "remove", "a.b") == "a: {}\nc: 2\n"


def test_remove_from_flow_mapping() -> None:
    assert edit("l: {a: 1, b: 2, c: 3}\n", "remove", "l.b") == "l: {a: 1, c: 3}\n"
    assert edit("l: {a: 1, b: 2}\n", "remove", "l.b") == "l: {a: 1}\n"
    assert edit("l: {a: 1}\n", "remove", "l.a") == "l: {}\n"


def test_remove_list_items() -> None:
    assert edit("l:\n- a\n- b\n- c\n", "remove", "l[1]") == "l:\n- a\n- c\n"
    assert edit("l: [a, b, c]\n", "remove", "l[0]") == "l: [b, c]\n"
    assert edit("l:\n  - a\n", "remove", "l[0]") == "l: []\n"
    src = "env:\n- name: A\n  value: 1\n- name: B\n  value: 2\n"
    assert edit(src, "remove", "env[name=A]") == "env:\n- name: B\n  value: 2\n"


def test_remove_first_key_of_an_item_keeps_the_dash() -> None:
    assert edit("- name: a\n  value: 1\n", "remove", "[0].name") == "- value: 1\n"


def test_remove_keeps_comments_around() -> None:
    src = "a: 1\n# about b\nb: 2\nc: 3\n"
    assert edit(src, "remove", "b") == "a: 1\n# about b\nc: 3\n"


# ---------------------------------------------------------------------- merge patch


def test_merge_patch_sets_merges_and_deletes() -> None:
    yf = YamlFile.parse(DEPLOY)
    yf.merge_patch(
        0, {"metadata": {"labels": {"app": None, "tier": "web"}}, "spec": {"replicas": 5}}
    )
    assert yf.documents[0].data["metadata"]["labels"] == {"tier": "web"}
    assert yf.text == DEPLOY.replace("    app: cart\n", "    tier: web\n").replace(
        "replicas: 2", "replicas: 5"
    )


# ---------------------------------------------------------------------- files and documents


def test_crlf_file_gets_crlf_lines() -> None:
    out = edit("a: 1\r\nb:\r\n  c: 2\r\n", "set", "b.d", [1])
    assert out == "a: 1\r\nb:\r\n  c: 2\r\n  d:\r\n    - 1\r\n"


def test_bom_and_missing_final_newline_are_kept() -> None:
    assert edit("\ufeffa: 1", "set", "b", 2) == "\ufeffa: 1\nb: 2"


def test_edit_in_second_document_leaves_the_first_alone() -> None:
    src = "a: 1\n---\nb:\n  c: 2\n---\nd: 3\n"
    yf = YamlFile.parse(src)
    yf.set(1, "b.e", "x")
    yf.set(2, "d", 4)
    assert yf.text == "a: 1\n---\nb:\n  c: 2\n  e: x\n---\nd: 4\n"
    assert yf.documents[2].start_line == 7
    assert yf.documents[2].line_of("d") == 7


def test_append_and_delete_documents() -> None:
    yf = YamlFile.parse("# header\na: 1\n")
    assert yf.append_document({"kind": "Service", "spec": {"ports": [{"port": 80}]}}) == 1
    assert yf.text == "# header\na: 1\n---\nkind: Service\nspec:\n  ports:\n    - port: 80\n"
    assert yf.documents[1].start_line == 4
    yf.delete_document(0)  # its leading comment goes with it: it is part of that document
    assert yf.text == "---\nkind: Service\nspec:\n  ports:\n    - port: 80\n"
    assert [d.data for d in YamlFile.parse(yf.text).documents] == [yf.documents[0].data]
    assert yf.documents[0].line_of("spec.ports") == 4


def test_delete_document_keeps_header_before_first_marker() -> None:
    yf = YamlFile.parse("# header\n---\na: 1\n---\nb: 2\n")
    yf.delete_document(0)
    assert yf.text == "# header\n---\nb: 2\n"
    yf.delete_document(0)
    assert yf.text == "# header\n"
    assert yf.documents == []


def test_append_document_to_empty_file_has_no_separator() -> None:
    yf = YamlFile.parse("")
    yf.append_document({"a": 1})
    assert yf.text == "a: 1\n"


# ---------------------------------------------------------------------- aliases


def test_editing_through_an_alias_is_refused_and_leaves_text() -> None:
    src = "base: &b\n  x: 1\nuse:\n  <<: *b\n  y: 2\ncopy: *b\n"
    yf = YamlFile.parse(src)
    for path in ("base.x", "use.x", "copy.x"):
        with pytest.raises(ManifestError, match="anchor/alias"):
            yf.set(0, path, 9)
    yf.set(0, "use.z", 3)  # the mapping holding the merge key itself is fine
    assert yf.text == src.replace("  y: 2\n", "  y: 2\n  z: 3\n")


# ---------------------------------------------------------------------- layout corner cases


def test_scalar_becoming_a_block_keeps_its_comment_on_the_key_line() -> None:
    assert edit("a: 1   # why\nb: 2\n", "set", "a", {"x": 1}) == "a:   # why\n  x: 1\nb: 2\n"


def test_trailing_blanks_do_not_leak_into_a_literal_block() -> None:
    out = edit("a: x   \nb: 1\n", "set", "a", "one\ntwo\n")
    assert out == "a: |\n  one\n  two\nb: 1\n"


def test_multiline_string_at_an_unterminated_end_is_double_quoted() -> None:
    assert edit("a: 1\nb: x", "set", "b", "one\ntwo\n") == 'a: 1\nb: "one\\ntwo\\n"'
    assert edit("a: 1", "set", "c", "one\n") == 'a: 1\nc: "one\\n"'


def test_removing_the_last_line_of_an_unterminated_file_keeps_it_unterminated() -> None:
    assert edit("a: 1\r\nb: 2", "remove", "b") == "a: 1"


def test_crlf_literal_block_replacement_keeps_crlf_pairs() -> None:
    src = "a:\r\n  b: |\r\n    x\r\n\r\nc: 1\r\n"
    assert edit(src, "set", "a.b", "y\nz\n") == "a:\r\n  b: |\r\n    y\r\n    z\r\n\r\nc: 1\r\n"


def test_keep_chomping_block_keeps_its_blank_lines() -> None:
    assert edit("a: |+\n  keep\n\nb: 1\n", "set", "c", 1) == "a: |+\n  keep\n\nb: 1\nc: 1\n"


def test_document_marker_with_content_and_end_marker() -> None:
    assert edit("--- {a: 1}\n", "set", "b", 2) == "--- {a: 1, b: 2}\n"
    assert edit("--- # c\na: 1\n...\n", "set", "b", 2) == "--- # c\na: 1\nb: 2\n...\n"


def test_multiline_flow_sequence_and_multiline_scalars() -> None:
    src = "a:\n  l: [1,\n    2]\n  s: this is\n    folded\nb: 1\n"
    out = edit(src, "set", "a.m", 1)
    assert out == src.replace("    folded\n", "    folded\n  m: 1\n")
    assert edit(src, "set", "a.l[2]", 3) == src.replace("2]", "2, 3]")


def test_unicode_keys_and_values_keep_positions() -> None:
    assert edit("é: ü\nb: 1\n", "set", "é", "ñ") == "é: ñ\nb: 1\n"


def test_nested_sequences() -> None:
    src = "- - a\n  - b\n- c\n"
    assert edit(src, "remove", "[0][0]") == "- - b\n- c\n"
    assert edit(src, "set", "[0][2]", "z") == "- - a\n  - b\n  - z\n- c\n"


def test_repeated_key_edits_the_last_copy_and_removal_takes_all() -> None:
    src = "a: 1\nb: 2\na: 3\n"
    assert edit(src, "set", "a", 4) == "a: 1\nb: 2\na: 4\n"
    yf = YamlFile.parse(src)
    assert yf.remove(0, "a") == 3
    assert yf.text == "b: 2\n"


def test_set_into_an_empty_document_is_refused() -> None:
    yf = YamlFile.parse("---\n---\na: 1\n")
    with pytest.raises(ManifestError, match="empty"):
        yf.set(0, "a", 1)
    with pytest.raises(ManifestError, match="no document 5"):
        yf.set(5, "a", 1)


def test_indentation_next_to_the_insertion_point_beats_the_file_majority() -> None:
    src = "a:\n  b:\n    c: 1\nx:\n    y:\n        z: 1\n    w:\n        v: 1\n"
    assert edit(src, "set", "a.k.m", 1) == src.replace("    c: 1\n", "    c: 1\n  k:\n    m: 1\n")
    assert edit(src, "set", "x.k.m", 1) == src + "    k:\n        m: 1\n"
    assert edit(src, "set", "a.n", 1) == src.replace(
        "    c: 1\n", '    c: 1\n  "n": 1\n'
    )  # Go: bool


def test_pickled_files_drop_node_trees_and_still_edit() -> None:
    yf = YamlFile.parse(DEPLOY, "d.yaml")
    assert yf.documents[0].line_of("spec.replicas") == 9  # composes and keeps the node tree
    small = pickle.dumps(yf)
    copy_ = pickle.loads(small)
    assert len(small) < len(pickle.dumps(yf.documents[0]._tree()))
    assert copy_.documents[0].line_of("spec.replicas") == 9
    copy_.set(0, "spec.replicas", 3)
    assert copy_.text == DEPLOY.replace("replicas: 2", "replicas: 3")
    assert yf.text == DEPLOY


def test_json_formatted_yaml_gets_json_entries() -> None:
    src = '{\n  "metadata": {\n    "name": "x",\n    "tags": ["a"]\n  }\n}\n'
    yf = YamlFile.parse(src)
    yf.set(0, "metadata.labels.app", "web")
    yf.set(0, "metadata.tags[1]", "b")
    assert yf.text == (
        '{\n  "metadata": {\n    "name": "x",\n    "tags": ["a", "b"], "labels": {"app": "web"}\n'
        "  }\n}\n"
    )
    assert json.loads(yf.text) == {
        "metadata": {"name": "x", "tags": ["a", "b"], "labels": {"app": "web"}}
    }


def test_copy_is_independent() -> None:
    yf = YamlFile.parse("a: 1\n---\nb: 2\n")
    twin = yf.copy()
    twin.set(1, "b", 3)
    twin.delete_document(0)
    assert (yf.text, twin.text) == ("a: 1\n---\nb: 2\n", "---\nb: 3\n")
    assert [d.data for d in yf.documents] == [{"a": 1}, {"b": 2}]
    assert yf.set(1, "c", 4) == (None, 4)
    assert yf.text == "a: 1\n---\nb: 2\nc: 4\n"
