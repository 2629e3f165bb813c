"""The editor on generated manifests and edits: each edit either applies — and the new text
parses back to exactly the expected data, with every other document untouched — or is refused
with a ManifestError leaving the text as it was."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kubesmith.errors import ManifestError
from kubesmith.workspace import yamldata as D
from kubesmith.workspace.yamledit import YamlFile
from tests.fuzz.strategies import DEPLOYMENT, dump, mutated_deployments, paths, values


@st.composite
def files_and_edits(draw: st.DrawFn) -> tuple[str, Any, str, list[str | int], Any]:
    obj = draw(st.one_of(st.just(copy.deepcopy(DEPLOYMENT)), mutated_deployments()))
    flow = draw(st.sampled_from([False, None, True]))
    text = "# header\n" + dump(obj, flow) + "---\n" + dump({"kind": "Other", "a": [1, 2]})
    op = draw(st.sampled_from(["set", "remove", "merge"]))
    return text, obj, op, draw(paths(obj)), draw(values)


@given(files_and_edits())
def test_edits_apply_exactly_or_are_refused(
    case: tuple[str, Any, str, list[str | int], Any],
) -> None:
    text, _obj, op, path, value = case
    yf = YamlFile.parse(text, "f.yaml")
    before = yf.text
    other = yf.documents[1].text
    expected = copy.deepcopy(yf.documents[0].data)
    try:
        if op == "set":
            expected, _, _ = D.set_in(expected, path, D.plain(value), "f.yaml")
            yf.set(0, path, value)
        elif op == "remove":
            D.remove_in(expected, path)
            yf.remove(0, path)
        else:
            patch = value if isinstance(value, dict) else {"x": value}
            expected = D.merge(expected, D.plain(patch))
            yf.merge_patch(0, patch)
    except ManifestError:
        assert yf.text == before  # refused: nothing changed
        return
    reread = YamlFile.parse(yf.text, "f.yaml")
    assert D.same(reread.documents[0].data, expected)
    assert reread.documents[1].text == other
