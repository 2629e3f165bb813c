"""The parse cache: same results as a fresh parse, new content re-parsed, bad caches ignored."""

from __future__ import annotations

from pathlib import Path

from kubesmith.config import Settings
from kubesmith.workspace import GitTreeSource, Workspace
from kubesmith.workspace.cache import ParseCache
from tests.conftest import git


def _load(repo: Path, cache: Path) -> Workspace:
    head = git(repo, "rev-parse", "HEAD").strip()
    return Workspace.load(repo, Settings(), GitTreeSource(repo, head), cache_dir=cache)


def _view(ws: Workspace) -> list[tuple[str, str, object, int]]:
    return [(d.file, str(d.ref), d.obj, d.line_of("metadata.name")) for d in ws.documents]


def test_cached_load_equals_a_fresh_parse_and_tracks_changes(
    example_repo: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = _load(example_repo, cache)
    files = list(cache.glob("parse-cache-*.pickle"))
    assert len(files) == 1
    cached = _load(example_repo, cache)
    assert _view(cached) == _view(first)
    assert (
        cached.files["base/checkout.yaml"].text == (example_repo / "base/checkout.yaml").read_text()
    )
    # A committed change is parsed afresh; the rest still comes from the cache.
    path = example_repo / "base" / "checkout.yaml"
    path.write_text(path.read_text().replace("replicas: 2", "replicas: 4"))
    git(example_repo, "commit", "-qam", "four")
    changed = _load(example_repo, cache)
    assert changed.find(kind="Deployment", name="checkout")[0].obj["spec"]["replicas"] == 4
    assert _view(changed) == _view(Workspace.load(example_repo, Settings()))


def test_an_unreadable_cache_is_ignored(example_repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _load(example_repo, cache)
    pickle_file = next(cache.glob("parse-cache-*.pickle"))
    pickle_file.write_bytes(b"not a pickle")
    assert ParseCache(cache).get("x", "y") is None
    assert len(_load(example_repo, cache).resources) == len(
        Workspace.load(example_repo, Settings()).resources
    )
