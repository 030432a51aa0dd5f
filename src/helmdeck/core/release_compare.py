"""What changed in one component's release between two of its revisions: chart, values (redacted)
and manifests (Secret data never shown), as the component page shows the last change, for any pair.
"""

from __future__ import annotations

from typing import Any

from helmdeck.core.component_detail import _diff, _manifest_diff, _Redaction, _yaml
from helmdeck.core.release_history import ReleaseRecord, component_revisions
from helmdeck.core.session import PlatformSession


def release_changes(session: PlatformSession, component: str, old: int | None, new: int | None) -> dict[str, Any]:
    """``valuesDiff`` and ``manifestDiff`` from release revision ``old`` to ``new`` (None: the
    component was not installed on that side), redacted; ``missing`` names the revisions Helm no
    longer keeps (its history limit), whose side is compared as empty."""
    wanted = {r for r in (old, new) if r is not None}
    records: dict[int, ReleaseRecord] = {}
    if wanted:
        records = {r.revision: r for r in component_revisions(session, component) if r.revision in wanted}
    before = records.get(old) if old is not None else None
    after = records.get(new) if new is not None else None
    redaction = _Redaction(session, component)
    values: list[str] = ["", ""]
    for i, (rel, label) in enumerate(((before, " (old)"), (after, ""))):
        if rel is not None:
            computed, _ = redaction.values(rel, label)
            values[i] = _yaml(computed)
    old_name = f"values r{old}" if before is not None else "/dev/null"
    new_name = f"values r{new}" if after is not None else "/dev/null"
    out: dict[str, Any] = {
        "valuesDiff": _diff(values[0], values[1], old_name, new_name) if old != new else "",
        "manifestDiff": "",
        "missing": sorted(r for r in wanted if r not in records),
    }
    if old != new and (before is not None or after is not None):
        out["manifestDiff"] = _manifest_diff_of(before, after, component)
    return redaction.redact(out)


def _manifest_diff_of(before: ReleaseRecord | None, after: ReleaseRecord | None, component: str) -> str:
    empty = before or after
    assert empty is not None
    blank = ReleaseRecord(
        release=empty.release,
        namespace=empty.namespace,
        revision=0,
        status="",
        chart="",
        app_version="",
        updated="",
        description="",
        extension=None,
        config={},
        defaults={},
        schema=None,
        manifest="",
    )
    return _manifest_diff(before or blank, after or blank, component)
