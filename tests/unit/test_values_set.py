"""--set expressions: Helm's own parser behind a ConfigError boundary, fuzzed."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.errors import ConfigError
from helmdeck.values import join_key, nest, parse_set, split_key


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a=1", {"a": 1}),
        ("a.b=two,c=true", {"a": {"b": "two"}, "c": True}),
        ("ports={80,443}", {"ports": [80, 443]}),
        ("list[1]=x", {"list": [None, "x"]}),
        ("a=null", {"a": None}),
        ("a=b\\,c", {"a": "b,c"}),
        ("a.b\\.c=1", {"a": {"b.c": 1}}),
        ("a=1.5", {"a": "1.5"}),  # Helm keeps non-integers as strings
        ("", {}),
    ],
)
def test_parses_like_helm(expression: str, expected: dict[str, object]) -> None:
    assert parse_set(expression) == expected


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ("a", "'a' has no '=value'"),
        ("a=1,b", "'b' has no '=value'"),
        ("a[-1]=1", "'a[-1]' is not a value path"),
        # what Helm itself silently drops or mangles
        ("backend.replicas[=7", "'backend.replicas[' is not a value path"),
        ("a..b=1", "'a..b' is not a value path"),
        ("a[99999999]=1", "greater than maximum supported index"),
    ],
)
def test_errors_name_the_expression_and_the_fix(expression: str, detail: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_set(expression)
    assert repr(expression) in caught.value.message and detail in caught.value.message
    assert caught.value.where == "--set"
    assert "KEY=VALUE" in (caught.value.fix or "")


def test_nul_is_rejected_instead_of_silently_truncating() -> None:
    with pytest.raises(ConfigError, match="NUL"):
        parse_set("a=secret\x00tail")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_a_map_or_a_config_error(expression: str) -> None:
    try:
        result = parse_set(expression)
    except ConfigError as exc:
        assert exc.message and exc.fix
    else:
        assert isinstance(result, dict)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab.=,[]{}\\0-1 n", max_size=30))
def test_syntax_heavy_text_gives_a_map_or_a_config_error(expression: str) -> None:
    with contextlib.suppress(ConfigError):
        assert isinstance(parse_set(expression), dict)


keys = st.from_regex(r"[a-z][a-zA-Z0-9_-]{0,8}", fullmatch=True)
words = st.from_regex(r"[a-z][a-z]{0,8}", fullmatch=True).filter(lambda w: w not in {"true", "false", "null"})


@settings(max_examples=200, deadline=None)
@given(st.lists(keys, min_size=1, max_size=4), words | st.integers(-1000, 1000))
def test_valid_expressions_nest_their_value(path: list[str], value: str | int) -> None:
    assert parse_set(f"{'.'.join(path)}={value}") == nest(path, value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab.\\/-", min_size=1, max_size=5), min_size=1, max_size=4))
def test_split_key_inverts_join_key(parts: list[str]) -> None:
    assert split_key(join_key(parts)) == tuple(parts)


def test_split_key_rejects_empty_segments() -> None:
    for bad in ("", "a..b", ".a", "a."):
        with pytest.raises(ConfigError, match="not a value path"):
            split_key(bad)
