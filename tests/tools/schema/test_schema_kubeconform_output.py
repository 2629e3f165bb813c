"""Reading kubeconform's flattened error tree (messages as kubeconform v0.7.0 prints them)."""

from __future__ import annotations

from kubesmith.tools.schema.kubeconform_output import verdict_from_result, violations_from_message

NESTED = (
    "problem validating schema. Check JSON formatting: jsonschema validation failed with "
    "'file:///c/schemas/apps/deployment_v1.json#' - at '/spec': validation failed"
    "   - at '/spec/template/spec/containers/0': validation failed"
    "     - at '/spec/template/spec/containers/0/resources/limits/cpu': oneOf failed, none matched"
    "       - at '/spec/template/spec/containers/0/resources/limits/cpu': got array, want string"
    "       - at '/spec/template/spec/containers/0/resources/limits/cpu': got array, want number"
    "     - at '/spec/template/spec/containers/0': additional properties 'imagePullPolicyy', "
    "'x' not allowed"
    "   - at '/spec/replicas': got string, want null or integer"
)

FLAT = (
    "problem validating schema. Check JSON formatting: jsonschema validation failed with "
    "'file:///c/deployment_v1.json#' - at '': missing property 'spec' "
    "- at '/metadata/annotations/a~1b': got number, want null or string"
)

OBJ = {
    "spec": {
        "replicas": "three",
        "template": {"spec": {"containers": [{"resources": {"limits": {"cpu": [1]}}}]}},
    },
    "metadata": {"annotations": {"a/b": 3}},
}


def test_nested_tree_keeps_leaves_and_one_of_nodes() -> None:
    found = {(v.path, v.rule) for v in violations_from_message(NESTED, OBJ)}
    container = ("spec", "template", "spec", "containers", 0)
    assert found == {
        ((*container, "resources", "limits", "cpu"), "schema/one-of"),
        ((*container, "imagePullPolicyy"), "schema/unknown-field"),
        ((*container, "x"), "schema/unknown-field"),
        (("spec", "replicas"), "schema/type"),
    }


def test_flat_tree_and_pointer_escapes() -> None:
    found = [(v.path, v.rule) for v in violations_from_message(FLAT, OBJ)]
    assert found == [((), "schema/required"), (("metadata", "annotations", "a/b"), "schema/type")]


def test_result_statuses() -> None:
    invalid = verdict_from_result({"status": "statusInvalid", "msg": FLAT}, OBJ)
    assert invalid.status == "invalid"
    assert len(invalid.violations) == 2
    missing = verdict_from_result(
        {"status": "statusError", "msg": "could not find schema for Widget"}, {}
    )
    assert missing.status == "no-schema"
    broken = verdict_from_result({"status": "statusError", "msg": "error unmarshalling"}, {})
    assert broken.status == "error"
    assert broken.violations[0].rule == "schema/engine-failure"
    odd = verdict_from_result({"status": "statusInvalid", "msg": "something new"}, {})
    assert [v.message for v in odd.violations] == ["something new"]  # never dropped
