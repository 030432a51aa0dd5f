"""Two platform revisions side by side: per component, the chart version and release revision on
each side, what happened to it (added, removed, changed, unchanged), and its values and manifest
diffs (secrets redacted). The history page's "compare"."""

from __future__ import annotations

from typing import Any

from helmdeck.core.release_compare import release_changes
from helmdeck.core.session import PlatformSession
from helmdeck.revisions.store import ComponentRevision, PlatformRevision, RevisionStore


def _side(c: ComponentRevision | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "chart": c.chart,
        "chartVersion": c.chart_version,
        "revision": c.revision,
        "status": c.status,
        "release": c.release,
        "namespace": c.namespace,
    }


def _change(a: ComponentRevision | None, b: ComponentRevision | None) -> str:
    if a is None:
        return "added"
    if b is None:
        return "removed"
    if (a.release, a.namespace, a.revision, a.chart_version) == (b.release, b.namespace, b.revision, b.chart_version):
        return "unchanged"
    return "changed"


def compare_records(session: PlatformSession, old: PlatformRevision, new: PlatformRevision) -> dict[str, Any]:
    components = []
    counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for name in sorted(set(old.components) | set(new.components)):
        a, b = old.components.get(name), new.components.get(name)
        change = _change(a, b)
        counts[change] += 1
        row: dict[str, Any] = {"component": name, "change": change, "from": _side(a), "to": _side(b)}
        if change == "unchanged":
            row.update({"valuesDiff": "", "manifestDiff": "", "missing": []})
        else:
            # a component moved to another release (or namespace) is compared as removed + added
            same_release = a is not None and b is not None and (a.release, a.namespace) == (b.release, b.namespace)
            old_rev = a.revision if a is not None and (same_release or b is None) else None
            new_rev = b.revision if b is not None else None
            row.update(release_changes(session, name, old_rev, new_rev))
        components.append(row)
    return {
        "from": {"revision": old.revision, "operation": old.operation, "created": old.created},
        "to": {"revision": new.revision, "operation": new.operation, "created": new.created},
        "components": components,
        "counts": counts,
    }


def compare_revisions(session: PlatformSession, old: int, new: int) -> dict[str, Any]:
    """Raises the store's ClusterError (404 for the API) when either revision is not recorded."""
    store = RevisionStore(session.client, session.admin_namespace, session.platform_id)
    return compare_records(session, store.get(old), store.get(new))
