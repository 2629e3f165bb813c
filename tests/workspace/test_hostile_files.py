"""Loading a repository a stranger wrote: every file that cannot be read safely is an error with
its file and line (never a skip note, a traceback or unbounded memory), the others stay usable,
and UTF-16 manifests are read like kubectl reads them but never rewritten."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.config import Settings
from kubesmith.errors import EditRejected, ManifestRefused
from kubesmith.model import ChangeSet, ResourceRef, SetField
from kubesmith.workspace import DirectorySource, GitTreeSource, Workspace
from tests.conftest import git
from tests.reading.test_limits import billion_laughs

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n"


def _both(repo: Path) -> list[Workspace]:
    """The repository loaded from its folder and from its commit (both sources)."""
    head = git(repo, "rev-parse", "HEAD").strip()
    return [
        Workspace.load(repo, Settings(), DirectorySource(repo)),
        Workspace.load(repo, Settings(), GitTreeSource(repo, head)),
    ]


def _errors(ws: Workspace) -> dict[str, tuple[int | None, str]]:
    return {e.file: (e.line, str(e)) for e in ws.errors}


def test_hostile_files_are_errors_and_the_rest_loads(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"ok.yaml": CM.format(name="ok")})
    (repo / "bomb.yaml").write_text(CM.format(name="bomb") + "  x: |\n    y\n" + billion_laughs())
    (repo / "deep.yaml").write_text(CM.format(name="deep") + "  z: " + "[" * 300 + "]" * 300)
    (repo / "latin1.yaml").write_bytes(CM.format(name="caf\xe9").encode("latin-1"))
    (repo / "nul.yaml").write_bytes(CM.format(name="nul").encode() + b"# \x00\n")
    (repo / "wide.yaml").write_bytes(CM.format(name="wide").encode("utf-32"))
    (repo / "many.yaml").write_text("---\n" * 10_001)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hostile")
    for ws in _both(repo):
        errors = _errors(ws)
        assert set(errors) == {
            "bomb.yaml", "deep.yaml", "latin1.yaml", "nul.yaml", "wide.yaml", "many.yaml"
        }  # fmt: skip
        assert all(isinstance(e, ManifestRefused) for e in ws.errors)
        assert errors["bomb.yaml"][0] == 14 and "alias bomb" in errors["bomb.yaml"][1]
        assert "nested more than 200" in errors["deep.yaml"][1]
        assert errors["latin1.yaml"][0] == 4 and "not valid UTF-8" in errors["latin1.yaml"][1]
        assert errors["nul.yaml"][0] == 7 and "NUL" in errors["nul.yaml"][1]
        assert "UTF-32" in errors["wide.yaml"][1]
        assert "more than 10,000 YAML documents" in errors["many.yaml"][1]
        assert ws.notes == []  # none of them is a mere note
        assert [d.ref.name for d in ws.documents] == ["ok"]


def test_a_file_over_the_size_limit_is_an_error(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"ok.yaml": CM.format(name="ok"), "big.yaml": CM.format(name="big")})
    settings = Settings.model_validate({"workspace": {"max_file_bytes": 65}})
    ws = Workspace.load(repo, settings)
    assert [(e.file, e.line) for e in ws.errors] == [("big.yaml", 1)]
    assert "too large" in str(ws.errors[0])
    assert [d.ref.name for d in ws.documents] == ["ok"]


def test_a_name_that_is_not_utf8_is_reported_escaped(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"ok.yaml": CM.format(name="ok")})
    (repo / os.fsdecode(b"bad\xff.yaml")).write_text(CM.format(name="bad"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a name that is not UTF-8")
    for ws in _both(repo):
        assert [(e.file, e.line) for e in ws.errors] == [("bad\\xff.yaml", 1)]
        assert "not valid UTF-8" in str(ws.errors[0])
        assert [d.ref.name for d in ws.documents] == ["ok"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_manifests_are_read_but_never_edited(
    make_repo: Callable[..., Path], encoding: str
) -> None:
    repo = make_repo()
    raw = CM.format(name="wide").encode(encoding)
    bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
    (repo / "wide.yaml").write_bytes(bom + raw)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "utf-16")
    for ws in _both(repo):
        [doc] = ws.documents
        assert (doc.ref.name, doc.line_of("data.a")) == ("wide", 6)
        ref = ResourceRef("v1", "ConfigMap", "wide")
        with pytest.raises(EditRejected, match="UTF-16"):
            ws.apply(ChangeSet("set a", (SetField(ref, "data.a", "c"),)))
        assert ws.modified_files() == {}
    assert (repo / "wide.yaml").read_bytes() == bom + raw


def test_a_utf8_bom_survives_an_edit(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + CM.format(name="bom").encode())
    ws = Workspace.load(repo, Settings())
    ws.apply(ChangeSet("set a", (SetField(ResourceRef("v1", "ConfigMap", "bom"), "data.a", "c"),)))
    ws.write()
    assert (repo / "bom.yaml").read_bytes() == b"\xef\xbb\xbf" + CM.format(name="bom").replace(
        "a: b", "a: c"
    ).encode()


def test_a_tagged_value_pyyaml_cannot_build_is_an_error(make_repo: Callable[..., Path]) -> None:
    bad = CM.format(name="bad").replace("a: b", "a: !!int 0x\n  b: !!int")
    repo = make_repo(files={"ok.yaml": CM.format(name="ok"), "bad.yaml": bad})
    for ws in _both(repo):
        assert [(e.file, e.line) for e in ws.errors] == [("bad.yaml", 6)]
        assert "cannot be read" in str(ws.errors[0])


def test_the_offline_planner_reads_a_tagged_value_as_text(example_repo: Path) -> None:
    from kubesmith.agent.offline.planner import OfflinePlanner

    ws = Workspace.load(example_repo, Settings())
    changeset = OfflinePlanner().plan("set spec.minReadySeconds of checkout to !!int", ws)
    [edit] = changeset.edits
    assert isinstance(edit, SetField)
    assert edit.value == "!!int"  # PyYAML raised ValueError here; the schema now flags it


def test_a_fifo_named_like_a_manifest_is_not_read(tmp_path: Path) -> None:
    """Reading a FIFO blocks until someone writes to it: the load would never finish."""
    import threading

    (tmp_path / "ok.yaml").write_text(CM.format(name="ok"))
    os.mkfifo(tmp_path / "pipe.yaml")
    loaded: list[Workspace] = []
    worker = threading.Thread(target=lambda: loaded.append(Workspace.load(tmp_path)), daemon=True)
    worker.start()
    worker.join(120)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(tmp_path / "pipe.yaml", "w") as fifo:
            fifo.write("")
    assert loaded, "loading blocked on the FIFO"
    assert [d.ref.name for d in loaded[0].documents] == ["ok"]
