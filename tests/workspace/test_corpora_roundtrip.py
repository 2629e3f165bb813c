"""The minimal-diff guarantee, proven on every YAML file of the public corpora.

For each file: a load and save with no edit is byte-identical; adding a label to every document
that has ``metadata`` changes only the lines that label needs; changing an existing scalar
(``metadata.name``) changes exactly one line. The edited text must re-parse to the old data with
exactly that one change. Run with ``-s`` to see how many files and documents were covered.
"""

from __future__ import annotations

import copy
import difflib
import random

import pytest
import yaml

from kubesmith.workspace.yamledit import YamlFile
from tests.conftest import CORPORA, corpus_dir

CORPUS_NAMES = ("kyverno-policies-tests", "k8s-ai-bench")


# Works through every YAML file of the public corpora (minutes of CPU): not in `make unit`.
pytestmark = pytest.mark.slow


def _files() -> list[str]:
    found: list[str] = []
    for name in CORPUS_NAMES:
        root = CORPORA / name
        if root.is_dir():
            found += sorted(
                str(p.relative_to(CORPORA))
                for p in root.rglob("*")
                if p.suffix in (".yaml", ".yml")
            )
    return found or ["<absent>"]


FILES = _files()
COVERED = {"label_edits": 0, "scalar_edits": 0}


def _read(rel: str) -> str:
    if rel == "<absent>":
        corpus_dir(CORPUS_NAMES[0])  # skips with the reason
    corpus_dir(rel.split("/", maxsplit=1)[0])
    return (CORPORA / rel).read_bytes().decode("utf-8")


def _changed(old: str, new: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) between two texts, as difflib sees them.

    A file without a final newline keeps that property (asserted), so the last line's missing
    break is not counted as a change of that line.
    """
    assert old.endswith("\n") == new.endswith("\n")
    removed, added = [], []
    a, b = old.splitlines(), new.splitlines()
    # autojunk off: in long files, repeated lines would otherwise be ignored and the diff blur
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return removed, added


def _reference(text: str) -> list[object]:
    return list(yaml.load_all(text, Loader=yaml.CSafeLoader))


@pytest.mark.parametrize("rel", FILES)
def test_noop_roundtrip_is_byte_identical(rel: str) -> None:
    text = _read(rel)
    yf = YamlFile.parse(text, rel)
    assert yf.text == text
    # the data agrees with a plain PyYAML load (timestamps aside: the corpora have none)
    assert [d.data for d in yf.documents] == _reference(text)


@pytest.mark.parametrize("rel", FILES)
def test_adding_a_label_touches_only_its_lines(rel: str) -> None:
    """Every document with metadata gets a label; the diff is exactly those label lines."""
    text = _read(rel)
    yf = YamlFile.parse(text, rel)
    expected = [copy.deepcopy(d.data) for d in yf.documents]
    want_added: list[str] = []
    want_flow_lines = 0
    for i, data in enumerate(expected):
        meta = data.get("metadata") if isinstance(data, dict) else None
        if not isinstance(meta, dict):
            continue
        labels = meta.get("labels")
        if isinstance(labels, dict) and labels:
            line = text.splitlines()[yf.documents[i].line_of("metadata.labels") - 1]
            if "{" in line:
                want_flow_lines += 1
            else:
                want_added.append("kubesmith-test: x")
        elif "labels" not in meta:
            want_added += ["labels:", "kubesmith-test: x"]
        else:  # "labels:" with a null or an empty {} value
            want_flow_lines += 1
        assert yf.set(i, "metadata.labels.kubesmith-test", "x") == (None, "x")
        meta["labels"] = {**(labels or {}), "kubesmith-test": "x"}
    removed, added = _changed(text, yf.text)
    plain_added = [a.strip() for a in added if "{" not in a]
    assert len(removed) == want_flow_lines
    assert len(added) - len(plain_added) == want_flow_lines
    assert sorted(plain_added) == sorted(want_added)
    assert _reference(yf.text) == expected
    COVERED["label_edits"] += want_added.count("kubesmith-test: x") + want_flow_lines


@pytest.mark.parametrize("rel", FILES)
def test_changing_a_scalar_is_a_one_line_diff(rel: str) -> None:
    """Renaming every document (``metadata.name``) changes exactly one line per document."""
    text = _read(rel)
    yf = YamlFile.parse(text, rel)
    expected = [copy.deepcopy(d.data) for d in yf.documents]
    pairs: list[tuple[str, str]] = []
    for i, data in enumerate(expected):
        meta = data.get("metadata") if isinstance(data, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
            continue
        name = meta["name"]
        assert yf.set(i, "metadata.name", name + "-changed") == (name, name + "-changed")
        meta["name"] = name + "-changed"
        pairs.append((name, name + "-changed"))
    removed, added = _changed(text, yf.text)
    assert len(removed) == len(added) == len(pairs)
    for (old, new), before, after in zip(pairs, removed, added, strict=True):
        assert after == before.replace(old, new, 1)
    assert _reference(yf.text) == expected
    COVERED["scalar_edits"] += len(pairs)


def test_report_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    """Count and print what the tests above cover (standalone, so it holds under xdist too)."""
    if FILES == ["<absent>"]:
        corpus_dir(CORPUS_NAMES[0])
    counts = {"files": 0, "bytes": 0, "documents": 0, "documents_with_metadata": 0}
    for rel in FILES:
        text = _read(rel)
        docs = YamlFile.parse(text, rel).documents
        counts["files"] += 1
        counts["bytes"] += len(text)
        counts["documents"] += len(docs)
        counts["documents_with_metadata"] += sum(
            isinstance(d.data, dict) and isinstance(d.data.get("metadata"), dict) for d in docs
        )
    with capsys.disabled():
        print(f"\ncorpora round trip covers {counts}; edits made in this run: {COVERED}")
    assert counts["files"] == len(FILES)
    assert counts["documents_with_metadata"] > 0


def _leaves_and_nodes(data: object, prefix: tuple[object, ...] = ()) -> list[tuple[tuple, object]]:
    found: list[tuple[tuple, object]] = [(prefix, data)] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str):
                found += _leaves_and_nodes(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _leaves_and_nodes(v, (*prefix, i))
    return found


def _expect(data: object, op: str, path: tuple, value: object = None) -> object:
    """The document after one edit, computed on plain data independently of the editor."""
    result = copy.deepcopy(data)
    parent: object = result
    for seg in path[:-1]:
        parent = parent[seg]  # type: ignore[index]
    last = path[-1]
    if op == "remove":
        del parent[last]  # type: ignore[attr-defined]
    elif isinstance(parent, list) and last == len(parent):
        parent.append(value)
    else:
        parent[last] = value  # type: ignore[index]
    return result


@pytest.mark.parametrize("variant", ["lf", "crlf-unterminated"])
@pytest.mark.parametrize("rel", FILES)
def test_random_edits_change_only_their_document(rel: str, variant: str) -> None:
    """A seeded sample of edits of every kind; also on a CRLF copy without a final newline."""
    text = _read(rel)
    if variant != "lf" and len(text) > 8000:
        pytest.skip("line-ending variants run on the smaller files only, to keep the suite quick")
    if variant == "crlf-unterminated":  # CRLF line breaks and no final line break
        text = text.replace("\n", "\r\n").rstrip("\r\n")
    base = YamlFile.parse(text, rel)
    rng = random.Random(rel)
    docs = [i for i, d in enumerate(base.documents) if d.data is not None]
    for i in rng.sample(docs, min(1, len(docs))):
        data = base.documents[i].data
        for path, value in rng.sample(
            _leaves_and_nodes(data), min(6, len(_leaves_and_nodes(data)))
        ):
            if isinstance(value, dict):
                ops = [("set", (*path, "kubesmith-new"), "v"), ("set", path, {"x": 1})]
            elif isinstance(value, list):
                ops = [("set", (*path, len(value)), {"k": "v"}), ("set", path, [])]
            else:
                ops = [("set", path, "two\nlines\n"), ("set", path, {"a": [1, {"b": "3"}]})]
            ops.append(("remove", path, None))
            for op, where, new in ops:
                yf = base.copy()
                if op == "set":
                    yf.set(i, where, new)
                else:
                    yf.remove(i, where)
                doc, old = yf.documents[i], base.documents[i]
                assert yf.text[: doc._start] == text[: old._start]
                assert yf.text[doc._end :] == text[old._end :]
                assert yf.text.endswith("\n") == text.endswith("\n")
                assert yaml.load(doc.text, Loader=yaml.CSafeLoader) == _expect(data, op, where, new)
