"""Count sentences in the web pages go through the ``counted`` filter (issue 21): "1 line", never
"1 lines" or "change(s)"."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from helmdeck.server.auth import Role
from tests.unit.server_support import make_app


def _render(tmp_path: Path, template: str, **context: Any) -> str:
    app, _, _ = make_app(tmp_path)
    request = SimpleNamespace(url=SimpleNamespace(path="/"))
    return str(app.state.templates.get_template(template).render(request=request, **context))


def test_the_counted_filter_says_one_and_many(tmp_path: Path) -> None:
    app, _, _ = make_app(tmp_path)
    text = app.state.templates.env.from_string("{{ 1 | counted('line') }}; {{ [1, 2] | counted('policy') }}")
    assert text.render() == "1 line; 2 policies"


@pytest.mark.parametrize(("count", "said"), [(1, "The last 1 line at most."), (2, "The last 2 lines at most.")])
def test_a_pod_log_page_counts_its_lines(tmp_path: Path, count: int, said: str) -> None:
    log = {"lines": ["a"], "tailLines": count, "truncated": True, "limitBytes": count, "unavailable": ""}
    page = _render(tmp_path, "pod_log.html", log=log, pod="p", container="c", component="web", path="web/p/c")
    assert said in page
    assert f"longer than {count} byte{'s' if count > 1 else ''}:" in page


@pytest.mark.parametrize("count", [1, 2])
def test_the_plan_page_counts_its_destructive_changes(tmp_path: Path, count: int) -> None:
    changes = [
        {"change": "replace", "component": "db", "object": f"StatefulSet s/db{i}", "detail": "x"} for i in range(count)
    ]
    plan = {"id": "p1", "destructive": changes, "components": [], "changes": count, "createdAt": None}
    who = SimpleNamespace(role=Role.admin, name="ada")
    page = _render(tmp_path, "plan.html", plan=plan, csrf="t", who=who, Role=Role)
    noun = "destructive change" if count == 1 else "destructive changes"
    assert f"I have read the {count} {noun} above" in page
    assert "(s)" not in page
