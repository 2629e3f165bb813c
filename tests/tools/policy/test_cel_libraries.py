"""Kubernetes CEL environment parts that were missing (issue 16): list indexOf/lastIndexOf,
string(ip)/string(cidr), the semver library, the sets extension, two-variable
comprehensions, cross-type numeric comparisons and the strings extension at version 2 (the image
library of newer Kubernetes is not there: kube-apiserver 1.34 refuses it, see broken_cases).

Expected values are the examples of the Kubernetes CEL documentation and of the library
sources' doc comments (``apiserver/pkg/cel/library``)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesmith.tools.policy.celenv import CelCompileError, CelEnvironment, EvalError


@pytest.fixture(scope="module")
def env() -> CelEnvironment:
    return CelEnvironment()


def run(env: CelEnvironment, source: str, **data: Any) -> Any:
    return env.evaluate(env.compile(source), env.activation({"object": data or None}))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[1, 2, 3, 2].indexOf(2)", 1),
        ("[1, 2, 3, 2].lastIndexOf(2)", 3),
        ("['a', 'b'].indexOf('z')", -1),
        ("'abcb'.indexOf('b')", 1),  # the strings extension's, unchanged
        ("'abcb'.lastIndexOf('b')", 3),
        ("string(ip('192.168.0.1'))", "192.168.0.1"),
        ("string(cidr('192.168.0.0/24'))", "192.168.0.0/24"),
        ("string(cidr('192.168.0.0/24').ip())", "192.168.0.0"),
        ("semver('1.2.3').major()", 1),
        ("semver('0.1.0-alpha.1').minor()", 1),
        ("semver('v1.0', true).patch()", 0),
        ("semver('01.01.01', true).major()", 1),
        ("isSemver('1.0.0')", True),
        ("isSemver('hello')", False),
        ("isSemver('v1.0')", False),
        ("isSemver('v1.0', true)", True),
        ("semver('1.2.3').compareTo(semver('1.2.3'))", 0),
        ("semver('1.2.3').compareTo(semver('2.0.0'))", -1),
        ("semver('1.2.3').compareTo(semver('0.1.2'))", 1),
        ("semver('1.0.0-alpha').isLessThan(semver('1.0.0'))", True),
        ("semver('1.0.0-alpha.2').isLessThan(semver('1.0.0-alpha.10'))", True),
        ("semver('1.10.0').isGreaterThan(semver('1.9.0'))", True),
        ("quantity('1Gi').isGreaterThan(quantity('500Mi'))", True),  # still quantities
        ("sets.contains([1, 2, 3], [2, 3])", True),
        ("sets.equivalent([1, 2], [2, 1, 1])", True),
        ("sets.intersects([1], [2])", False),
        ("{'a': 1, 'b': 2}.all(k, v, v > 0 && k != '')", True),
        ("[10, 20].exists(i, v, i == 1 && v == 20)", True),
        ("[1, 2].transformList(i, v, v * 10 + i)", [10, 21]),
        ("{'a': 1}.transformMap(k, v, v + 1)", {"a": 2}),
        ("{'a': 1}.transformMap(k, v, null)", {"a": None}),
        ("{'a': 'x'}.transformMapEntry(k, v, {v: k})", {"x": "a"}),
        ("1 < 2.5", True),
        ("2.5 >= 3", False),
        ("'abc'.charAt(1)", "b"),
        ("strings.quote('a')", '"a"'),
    ],
)
def test_kubernetes_cel_functions(env: CelEnvironment, source: str, expected: Any) -> None:
    assert run(env, source) == expected


def test_list_index_of_works_on_dynamic_data(env: CelEnvironment) -> None:
    assert run(env, "object.names.indexOf('b')", names=["a", "b"]) == 1
    assert run(env, "object.name.indexOf('b')", name="ab") == 1


@pytest.mark.parametrize("source", ["semver('200K')", "semver('1.0', false)", "string({'a': 1})"])
def test_invalid_values_are_evaluation_errors(env: CelEnvironment, source: str) -> None:
    with pytest.raises(EvalError):
        run(env, source)


def test_strings_extension_is_the_api_servers_version(env: CelEnvironment) -> None:
    """Kubernetes uses strings version 2: ``reverse`` (version 3) does not compile there."""
    with pytest.raises(CelCompileError):
        env.compile("'abc'.reverse()")


def test_only_cross_type_comparisons_compile_unchecked(env: CelEnvironment) -> None:
    with pytest.raises(CelCompileError):
        env.compile("1 < 2.5 && 'a' + 1 == 'b'")
