"""The shared reading limits: alias bombs, nesting, document counts and sizes are refused with a
file and line, in time proportional to what is written, while real YAML (anchors, merge keys)
reads as before."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubesmith.errors import ManifestError, ManifestRefused
from kubesmith.reading import (
    Limits,
    compose_documents,
    current,
    data_problem,
    load_all,
    load_one,
    read_bytes,
    use,
)


def billion_laughs(levels: int = 9, indent: str = "") -> str:
    """The classic alias bomb: 9 levels of 9 aliases each (about 690 bytes, 4e8 nodes)."""
    lines = [f'{indent}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{indent}a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_with_its_file_and_line() -> None:
    text = "---\nkind: ConfigMap\n---\n" + billion_laughs()
    with pytest.raises(ManifestRefused, match="alias bomb") as e:
        load_all(text, "bomb.yaml")
    assert (e.value.file, e.value.line) == ("bomb.yaml", 9)  # a5: the first anchor over


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(ManifestRefused, match="recursive"):
        load_all("a: &a [1, *a]\n", "self.yaml")


def test_anchors_and_merge_keys_within_limits_load() -> None:
    text = "base: &b {cpu: 1, memory: 2}\nuse: *b\nmerged:\n  <<: *b\n  cpu: 3\n"
    assert load_one(text, "ok.yaml") == {
        "base": {"cpu": 1, "memory": 2},
        "use": {"cpu": 1, "memory": 2},
        "merged": {"cpu": 3, "memory": 2},
    }


def test_many_aliases_of_one_scalar_cost_only_their_text() -> None:
    # Aliasing a scalar is as cheap as writing it: only aliased collections can explode.
    text = "x: &x v\nl: [" + ", ".join(["*x"] * 150_000) + "]\n"
    assert len(load_one(text, "ok.yaml")["l"]) == 150_000


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    limits = Limits(max_depth=20)
    [value] = load_all("[" * 20 + "]" * 20, "ok.yaml", limits)
    for _ in range(19):
        [value] = value
    assert value == []
    with pytest.raises(ManifestRefused, match="nested more than 20"):
        load_all("[" * 21 + "]" * 21, "flow.yaml", limits)
    deep = "a:\n" + "".join("  " * i + "  b:\n" for i in range(25)) + "  " * 26 + "c: 1\n"
    with pytest.raises(ManifestRefused, match="nested more than 20") as e:
        load_all(deep, "deep.yaml", limits)
    assert e.value.line == 21  # where the 21st level starts


def test_too_many_documents_are_refused_at_the_first_one_over() -> None:
    with pytest.raises(ManifestRefused, match="more than 3 YAML documents") as e:
        list(
            compose_documents(
                "a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n", "f", Limits(max_documents=3)
            )
        )
    assert e.value.line == 7


def test_text_over_the_size_limit_is_refused_unparsed() -> None:
    with pytest.raises(ManifestRefused, match="too large"):
        load_all("a: 1\n" * 100, "big.yaml", Limits(max_file_bytes=50))


def test_malformed_yaml_is_a_manifest_error_with_its_line() -> None:
    with pytest.raises(ManifestError, match="not valid YAML") as e:
        load_all("a: 1\nb: [1, 2\n", "broken.yaml")
    assert not isinstance(e.value, ManifestRefused)
    assert e.value.line == 3


def test_data_built_elsewhere_is_measured_without_expanding_it() -> None:
    bomb = yaml.safe_load(billion_laughs())  # aliases become shared lists
    problem = data_problem(bomb)
    assert problem is not None
    assert "alias bomb" in problem
    recursive = yaml.safe_load("a: &a [1, *a]\n")
    assert "contains itself" in (data_problem(recursive) or "")
    assert data_problem({"data": {f"k{i}": "v" for i in range(60_000)}}) is None
    assert data_problem(list(range(300_000))) is None  # large, but every node is written


def test_read_bytes_stops_at_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a" * 1000)
    with pytest.raises(ManifestRefused, match="too large") as e:
        read_bytes(big, "big.yaml", Limits(max_file_bytes=999))
    assert e.value.file == "big.yaml"
    assert read_bytes(big, "big.yaml", Limits(max_file_bytes=1000)) == b"a" * 1000


def test_use_sets_the_limits_in_force_for_a_block() -> None:
    default = current()
    with use(Limits(max_documents=1)) as chosen:
        assert current() is chosen
        with pytest.raises(ManifestRefused):
            load_all("a: 1\n---\nb: 2\n", "two.yaml")
    assert current() is default
    assert load_all("a: 1\n---\nb: 2\n", "two.yaml") == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("value", "line"),
    [("!!int 0x", 3), ("!!int", 3), ("!!timestamp foo", 3), ("!!bool maybe", 3), ("!!float x", 3)],
)
def test_a_tagged_value_pyyaml_cannot_build_is_an_error_with_its_line(
    value: str, line: int
) -> None:
    from kubesmith.tools.schema.located import parse_documents

    text = f"kind: Deployment\nspec:\n  replicas: {value}\n"
    for read in (lambda: load_all(text, "t.yaml"), lambda: parse_documents(text, "t.yaml")):
        with pytest.raises(ManifestError, match="cannot be read") as e:
            read()
        assert (e.value.file, e.value.line) == ("t.yaml", line)
