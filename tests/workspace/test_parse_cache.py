"""The parse cache: same results as a fresh parse, new content re-parsed, bad caches ignored."""

from __future__ import annotations

import pickle
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


def test_a_damaged_cache_is_ignored_and_written_afresh(example_repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh = _view(_load(example_repo, cache))
    cache_file = next(cache.glob("parse-cache-*.pickle"))
    good = cache_file.read_bytes()
    head = git(example_repo, "rev-parse", "HEAD:base/checkout.yaml").strip()
    damaged = [
        good[: len(good) // 2],  # cut short (a crash mid-write)
        good[:200] + bytes(b ^ 0x5A for b in good[200:260]) + good[260:],  # flipped bytes
        b"\x80\x09.",  # a pickle of an unknown protocol: ValueError, not an UnpicklingError
        pickle.dumps({(head, "base/checkout.yaml"): "not a parsed file"}),  # other content
        b"\x80\x05\x95" + b"\xff" * 8 + b"B\xff\xff\xff\x7f",  # asks for gigabytes
    ]
    for raw in damaged:
        cache_file.write_bytes(raw)
        assert _view(_load(example_repo, cache)) == fresh
        assert cache_file.read_bytes() == good  # rewritten, so the next run is fast again


def test_a_cache_that_cannot_be_written_is_only_slower(example_repo: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert _view(_load(example_repo, blocked / "cache")) == _view(
        Workspace.load(example_repo, Settings())
    )


def test_the_cache_key_covers_the_module_that_builds_values() -> None:
    """The workspace's values are built by kubesmith.reading.goyaml (YAML as kubectl reads it):
    a change to its rules must not serve documents parsed by the old ones."""
    from kubesmith.reading import goyaml
    from kubesmith.workspace import cache

    reading = Path(goyaml.__file__).parent
    assert Path(goyaml.__file__) in {reading / f"{m}.py" for m in cache._READING_MODULES}
