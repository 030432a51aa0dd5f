"""Two platform revisions compared: what happened to each component, and which release revisions
are diffed (the diffs themselves: tests/web/test_web_compare.py, on the sandbox)."""

from __future__ import annotations

from typing import Any

import pytest

from helmdeck.revisions import compare
from helmdeck.revisions.store import ComponentRevision, PlatformRevision


def _rev(n: int, **components: tuple[str, int, str]) -> PlatformRevision:
    return PlatformRevision(
        revision=n,
        platform="p",
        environment="demo",
        spec_digest="d",
        operation="deploy",
        user="u",
        components={
            name: ComponentRevision(release, "svc", name, version, rev, "deployed")
            for name, (release, rev, version) in components.items()
        },
    )


def test_changes_per_component(monkeypatch: pytest.MonkeyPatch) -> None:
    diffed: list[tuple[str, int | None, int | None]] = []

    def changes(_session: Any, name: str, old: int | None, new: int | None) -> dict[str, Any]:
        diffed.append((name, old, new))
        return {"valuesDiff": f"{old}->{new}", "manifestDiff": "", "missing": []}

    monkeypatch.setattr(compare, "release_changes", changes)
    old = _rev(1, api=("api", 1, "1.0.0"), db=("db", 3, "2.0.0"), gone=("gone", 1, "0.1.0"), moved=("m1", 2, "1.0.0"))
    new = _rev(2, api=("api", 2, "1.1.0"), db=("db", 3, "2.0.0"), added=("added", 1, "0.1.0"), moved=("m2", 1, "1.0.0"))
    result = compare.compare_records(None, old, new)  # type: ignore[arg-type]
    by_name = {c["component"]: c for c in result["components"]}
    assert {n: c["change"] for n, c in by_name.items()} == {
        "added": "added",
        "api": "changed",
        "db": "unchanged",
        "gone": "removed",
        "moved": "changed",
    }
    assert result["counts"] == {"added": 1, "removed": 1, "changed": 2, "unchanged": 1}
    assert (by_name["api"]["from"]["chartVersion"], by_name["api"]["to"]["chartVersion"]) == ("1.0.0", "1.1.0")
    # unchanged: nothing read; a component moved to another release is diffed as new
    assert sorted(diffed) == [("added", None, 1), ("api", 1, 2), ("gone", 1, None), ("moved", None, 1)]
    assert by_name["db"]["valuesDiff"] == ""
