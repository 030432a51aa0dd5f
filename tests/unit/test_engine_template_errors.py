"""Helm's template error texts (captured from Helm 4.2.3 through helm_python) and how they are read."""

from __future__ import annotations

import pytest

from helmdeck.engine import parse_template_error, template_error

PARSE = "parse error at (e/templates/a.yaml:3): unclosed action started at e/templates/a.yaml:2"
FAIL = "execution error at (e/templates/a.yaml:3:6): boom: mode bad"
NIL = (
    'e/templates/a.yaml:2:46\n  executing "e/templates/a.yaml" at <.Values.image.tag>:\n'
    "    nil pointer evaluating interface {}.tag"
)
MISSING_INCLUDE = (
    'e/templates/a.yaml:2:6\n  executing "e/templates/a.yaml" at <include "e.missing" .>:\n'
    '    error calling include:\ntemplate: no template "e.missing" associated with template "gotpl"'
)
NESTED = (
    'e/templates/a.yaml:2:6\n  executing "e/templates/a.yaml" at <include "e.bad" .>:\n'
    '    error calling include:\ne/templates/_h.tpl:2:10\n  executing "e.bad" at <.Values.a.b.c>:\n'
    "    nil pointer evaluating interface {}.b"
)
UNDEFINED_FUNCTION = 'parse error at (e/templates/a.yaml:2): function "nosuchfunc" not defined'
ONE_LINE = (
    'template: e/templates/a.yaml:2:24: executing "e/templates/a.yaml" at <div 0>: '
    "error calling div: runtime error: integer divide by zero"
)
SUBCHART = (
    'p/charts/sub/templates/s.yaml:4:3\n  executing "p/charts/sub/templates/s.yaml" at <.Values.x.y>:\n'
    "    nil pointer evaluating interface {}.y"
)


@pytest.mark.parametrize(
    ("text", "locations", "reason"),
    [
        (PARSE, ["e/templates/a.yaml:3"], "unclosed action started at e/templates/a.yaml:2"),
        (FAIL, ["e/templates/a.yaml:3:6"], "boom: mode bad"),
        (
            NIL,
            ["e/templates/a.yaml:2:46"],
            ".Values.image.tag cannot be read because a map on its path is not set "
            "(nil pointer evaluating interface {}.tag)",
        ),
        (
            MISSING_INCLUDE,
            ["e/templates/a.yaml:2:6"],
            'template: no template "e.missing" associated with template "gotpl"',
        ),
        (
            NESTED,
            ["e/templates/a.yaml:2:6", "e/templates/_h.tpl:2:10"],
            ".Values.a.b.c cannot be read because a map on its path is not set (nil pointer evaluating interface {}.b)",
        ),
        (UNDEFINED_FUNCTION, ["e/templates/a.yaml:2"], 'function "nosuchfunc" not defined'),
        (ONE_LINE, ["e/templates/a.yaml:2:24"], "error calling div: runtime error: integer divide by zero"),
        (SUBCHART, ["p/charts/sub/templates/s.yaml:4:3"], None),
    ],
)
def test_reads_locations_and_reason(text: str, locations: list[str], reason: str | None) -> None:
    failure = parse_template_error(text)
    assert [str(loc) for loc in failure.locations] == locations
    if reason is not None:
        assert failure.reason == reason


def test_text_without_location_keeps_the_whole_message() -> None:
    failure = parse_template_error("something odd happened\n  somewhere")
    assert failure.locations == ()
    assert failure.template is None
    assert failure.reason == "something odd happened somewhere"


def test_config_error_for_nested_failure() -> None:
    error = template_error(NESTED, chart="e", component="viewer", values_files=["a.yaml"])
    assert error.where == "e/templates/_h.tpl:2:10"
    assert error.message.startswith("component viewer (chart e): template e/templates/a.yaml line 2, in ")
    assert error.details["template"] == "e/templates/a.yaml"
    assert error.details["origin"] == "e/templates/_h.tpl:2:10"
    assert "a.yaml" in (error.fix or "")


def test_config_error_without_values_files_says_so() -> None:
    error = template_error(FAIL, chart="e")
    assert error.message == "chart e: template e/templates/a.yaml line 3: boom: mode bad"
    assert "only the chart's defaults" in (error.fix or "")
