"""Values files: Helm's reading of the data, ruamel's line numbers, errors with file:line, caching."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmdeck.errors import ConfigError
from helmdeck.values import load_values_file, parse_values


def test_data_as_helm_reads_it_and_lines_as_written() -> None:
    values = parse_values("# header\nimage:\n  tag: v1\nhosts:\n  - a\n  - b\ny: 1\n", "v.yaml")
    assert values.data == {"image": {"tag": "v1"}, "hosts": ["a", "b"], "true": 1}  # YAML 1.1 `y`
    assert values.line_of(("image", "tag")) == 3
    assert values.line_of(("hosts", 1)) == 6
    assert values.line_of(("image", "missing")) == 2  # the nearest known ancestor


def test_empty_file_is_an_empty_map() -> None:
    assert parse_values("", "v.yaml").data == {}
    assert parse_values("# nothing\n", "v.yaml").data == {}


def test_a_list_is_not_a_values_file() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_values("- a\n- b\n", "v.yaml")
    assert "not a map of values" in caught.value.message
    assert caught.value.where == "v.yaml:1:1"


def test_syntax_error_carries_the_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_values("a: 1\nb:\n\tc: 2\n", "v.yaml")
    assert caught.value.where == "v.yaml:3"
    assert "tabs" in (caught.value.fix or "")


def test_nul_bytes_are_refused() -> None:
    with pytest.raises(ConfigError, match="NUL"):
        parse_values("a: 1\x00\n", "v.yaml")


def test_a_duplicate_key_is_an_error_though_helm_would_keep_the_last() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_values("a: 1\nb:\n  c: 1\n  c: 2\n", "v.yaml")
    assert caught.value.where == "v.yaml:4:3"
    assert "key 'c' appears twice in one mapping (lines 3 and 4)" in caught.value.message


def test_files_are_cached_until_they_change(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("a: 1\n")
    first = load_values_file(path)
    assert load_values_file(path) is first
    path.write_text("a: 22\n")
    os.utime(path, ns=(first_stat := path.stat().st_mtime_ns + 10_000_000, first_stat))
    assert load_values_file(path).data == {"a": 22}


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="values file not found"):
        load_values_file(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_values_file(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes(b"a: \xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_values_file(tmp_path / "latin1.yaml")


TOKENS = [
    "a",
    "b",
    ":",
    ": ",
    "- ",
    "\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&x ",
    "*x",
    "<<: ",
    "null",
    "~",
    "'",
    '"',
    "!!str ",
    "!!binary ",
    "? ",
    "|",
    "#",
    "\t",
    "---\n",
    "1",
    "y",
    "on",
    "é",
]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_any_text_gives_values_or_a_config_error(text: str) -> None:
    try:
        values = parse_values(text, "fuzz.yaml")
    except ConfigError as exc:
        assert exc.where and exc.where.startswith("fuzz.yaml") and exc.fix
    else:
        assert isinstance(values.data, dict)
        values.line_of(("a", "b"))  # positions never raise either


@pytest.mark.parametrize("text", ["x: .inf\n", "a:\n  b: [1, -.Inf]\n", "n: .NaN\n"])
def test_infinity_and_nan_are_refused_with_their_line(tmp_path: Path, text: str) -> None:
    """Issue 17: Helm reads values as JSON; YAML's .inf reached Go and came back as "invalid character 'I'"."""
    path = tmp_path / "values.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_values_file(path)
    assert "Helm reads values as JSON" in caught.value.message and "invalid character" not in str(caught.value)
    assert caught.value.where is not None and caught.value.where.split(":")[-2] == str(text.count("\n"))
    path.write_text(text.replace(".inf", "'.inf'").replace("-.Inf", "'-.Inf'").replace(".NaN", "'.NaN'"))
    load_values_file(path)  # quoted, it is a string
