"""The CEL adapter: optional types, the Kubernetes libraries, compile errors, the cost bound."""

from __future__ import annotations

from typing import Any

import pytest

from kubesmith.tools.policy.celenv import (
    CelCompileError,
    CelEnvironment,
    EvalError,
    rewrite_optional_calls,
    shape,
)
from kubesmith.tools.policy.quantity import format_quantity, parse_quantity


@pytest.fixture(scope="module")
def env() -> CelEnvironment:
    return CelEnvironment()


def run(env: CelEnvironment, source: str, obj: dict[str, Any] | None = None) -> Any:
    act = env.activation({"object": obj or {}, "params": None})
    return env.evaluate(env.compile(source), act, 10)


POD = {
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {"name": "a", "image": "nginx:1.25", "resources": {"limits": {"memory": "1Gi"}}},
            {"name": "b", "image": "busybox"},
        ]
    },
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("object.?spec.?hostNetwork.orValue(false)", False),
        ("object.spec.containers[?5].hasValue()", False),
        ("object.metadata.?labels[?'app'].orValue('') == 'web'", True),
        ("has(object.spec.containers) && !has(object.spec.hostPID)", True),
        ("object.spec.containers.all(c, has(c.image))", True),
        ("object.spec.containers.exists(c, c.name == 'b')", True),
        ("object.spec.containers.exists_one(c, c.image.contains(':'))", True),
        ("object.spec.containers.filter(c, c.name != 'a').map(c, c.name)", ["b"]),
        ("'A,B'.lowerAscii().split(',').join('-')", "a-b"),
        ("object.metadata.name.matches('^w.b$')", True),
    ],
)
def test_cel_language_features_policies_rely_on(
    env: CelEnvironment, source: str, expected: Any
) -> None:
    assert run(env, source, POD) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("quantity('100m').isLessThan(quantity('1'))", True),
        ("quantity('1Gi').add(quantity('512Mi')).asInteger()", 1610612736),
        (
            "quantity(object.spec.containers[0].resources.limits.memory).compareTo(quantity('1024Mi'))",
            0,
        ),
        ("quantity('1.5').isInteger()", False),
        ("quantity('-2').sign()", -1),
        ("quantity('250m').sub(1).asApproximateFloat()", -0.75),
        ("isQuantity('1x')", False),
        ("quantity('1') == quantity('1000m') && quantity('1Ki') == quantity('1024')", True),
        ("[1, 3, 2].isSorted()", False),
        ("[1, 2, 3].sum()", 6),
        ("[4, 2, 9].min()", 2),
        ("[4, 2, 9].max()", 9),
        ("'abc123def45'.find('[0-9]+')", "123"),
        ("'a1b22c3'.findAll('[0-9]+')", ["1", "22", "3"]),
        ("'a1b22c3'.findAll('[0-9]+', 2)", ["1", "22"]),
        ("url('https://user@example.com:8443/a/b?x=1&x=2').getHost()", "example.com:8443"),
        ("url('https://[::1]:80/').getHostname()", "::1"),
        ("url('https://example.com:8443/').getPort()", "8443"),
        ("url('https://e.com/p?x=1&x=2').getQuery()", {"x": ["1", "2"]}),
        ("url('https://e.com/a%20b').getEscapedPath()", "/a%20b"),
        ("isURL('not a url')", False),
        ("ip('10.0.0.1').family()", 4),
        ("ip('::1').isLoopback()", True),
        ("ip('169.254.1.1').isLinkLocalUnicast()", True),
        ("ip('8.8.8.8').isGlobalUnicast()", True),
        ("isIP('1.2.3')", False),
        ("ip.isCanonical('2001:db8::1')", True),
        ("ip.isCanonical('2001:DB8::1')", False),
        ("cidr('10.0.0.0/8').containsIP('10.1.2.3')", True),
        ("cidr('10.0.0.0/8').containsCIDR(cidr('10.1.0.0/16'))", True),
        ("cidr('10.0.0.0/8').containsCIDR('11.0.0.0/16')", False),
        ("cidr('10.0.0.0/8').prefixLength()", 8),
        ("cidr('192.168.1.0/24').ip().family()", 4),
        ("isCIDR('10.0.0.0/33')", False),
        ("format.dns1123Label().validate('Bad_Name').hasValue()", True),
        ("format.dns1123Label().validate('good-name').hasValue()", False),
        ("format.named('labelValue').value().validate('ok').orValue([])", []),
        ("format.named('nope').hasValue()", False),
        ("format.uuid().validate('not-a-uuid').hasValue()", True),
        ("format.qualifiedName().validate('example.com/my-name').hasValue()", False),
        ("format.qualifiedName().validate('Example.com/my-name').hasValue()", True),
        ("format.dns1123Subdomain().validate('a.b-c.d').hasValue()", False),
        ("format.dns1035Label().validate('1abc').hasValue()", True),
        ("format.dns1123LabelPrefix().validate('web-').hasValue()", False),
        ("format.labelValue().validate('').hasValue()", False),
        ("format.date().validate('2024-02-30').hasValue()", True),
        ("format.byte().validate('aGVsbG8=').hasValue()", False),
    ],
)
def test_kubernetes_cel_libraries(env: CelEnvironment, source: str, expected: Any) -> None:
    assert run(env, source, POD) == expected


def test_library_functions_report_bad_input_as_evaluation_errors(env: CelEnvironment) -> None:
    with pytest.raises(EvalError, match="invalid quantity"):
        run(env, "quantity('12 cores')")
    with pytest.raises(EvalError, match="expected a quantity"):
        run(env, "ip('10.0.0.1').isLessThan(quantity('1'))")


def test_missing_field_is_a_runtime_error_not_false(env: CelEnvironment) -> None:
    with pytest.raises(EvalError, match="missing"):
        run(env, "object.spec.missing == 1", POD)


def test_syntax_error_carries_line_and_column(env: CelEnvironment) -> None:
    with pytest.raises(CelCompileError) as info:
        env.compile("object.spec.containers.all(c,\n  c.name ==)")
    assert (info.value.line, info.value.column) == (2, 12)
    assert "Syntax error" in str(info.value)


def test_type_error_is_caught_at_compile_time(env: CelEnvironment) -> None:
    with pytest.raises(CelCompileError, match="no matching overload") as info:
        env.compile("1 + 'a'")
    assert info.value.column == 3


def test_each_source_is_compiled_once(env: CelEnvironment) -> None:
    assert env.compile("object.x == 1") is env.compile("object.x == 1")


def test_runaway_expression_hits_the_cost_bound_before_running(env: CelEnvironment) -> None:
    items = list(range(200))
    act = env.activation({"object": {"l": items}})
    program = env.compile("object.l.all(a, object.l.all(b, object.l.all(c, a + b + c >= 0)))")
    assert program.depth == 3
    with pytest.raises(EvalError, match="exceeds the limit"):
        env.evaluate(program, act, 200)
    nested_twice = env.compile("object.l.all(a, object.l.all(b, a + b >= 0))")
    with pytest.raises(EvalError, match="budget"):  # under the estimate, over the engine's budget
        env.evaluate(nested_twice, act, 200)
    small = env.activation({"object": {"l": items[:50]}})
    assert env.evaluate(nested_twice, small, 50) is True


def test_shape_counts_macro_nesting_and_list_literals() -> None:
    assert shape("x.map(a, [1, 2, 3].all(b, b > a))") == (2, 3)
    assert shape("'x.all(a, a)'.size() > 0") == (0, 0)
    assert shape("object.items[0].name") == (0, 0)


def test_optional_returning_calls_are_rewritten_to_optional_index() -> None:
    assert (
        rewrite_optional_calls("format.named('x').value().validate(object.name).hasValue()")
        == "format.k8sNamedList('x')[?0].value().k8sValidateList(object.name)[?0].hasValue()"
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", "1/2"),
        ("1Ki", "1024"),
        ("2e3", "2000"),
        ("1.5Gi", "1610612736"),
        ("10n", "1/100000000"),
    ],
)
def test_quantities_are_exact(text: str, value: str) -> None:
    from fractions import Fraction

    assert parse_quantity(text) == Fraction(value)


def test_quantity_formatting_round_trips() -> None:
    for text in ("1", "250m", "3u", "7n", "1024"):
        assert format_quantity(parse_quantity(text)) == text
    with pytest.raises(ValueError, match="invalid quantity"):
        parse_quantity("1.2.3")
