"""``helmdeck rollback --dry-run``: which component goes to which release revision and chart
version, and which would be installed again or removed, read without changing anything (no lock
taken, no namespace made, no revision recorded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from helmdeck.core.inventory import PlatformInventory
from helmdeck.core.session import PlatformSession
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.revisions.rollback import rollback_target
from helmdeck.revisions.rotated_secrets import RestoredSecret, secrets_restored
from helmdeck.revisions.store import ComponentRevision
from helmdeck.serialize import JsonObject, json_field


@dataclass
class PlannedRollback:
    component: str
    # rollback: to an earlier revision | install: back into existence from its kept history |
    # uninstall: added after the target (history kept) | unchanged
    action: str
    release: str
    namespace: str
    from_revision: int | None
    from_chart: str
    from_status: str
    to_revision: int | None
    to_chart: str
    note: str = ""


@dataclass
class RollbackPreview(JsonObject):
    platform: str
    target: int
    target_created: str
    target_operation: str
    changes: list[PlannedRollback] = field(default_factory=list, metadata=json_field(name="components"))
    restored_secrets: list[RestoredSecret] = field(default_factory=list)

    # a preview says so, for programs that read a rollback's JSON and its preview's alike
    dry_run: ClassVar[bool] = True
    operation: ClassVar[str] = "rollback"
    __json_computed__ = ("dry_run", "operation", "counts", "nothing_to_do")
    __json_order__ = (
        "dryRun",
        "operation",
        "platform",
        "target",
        "targetCreated",
        "targetOperation",
        "components",
        "counts",
        "nothingToDo",
        "restoredSecrets",
    )

    @property
    def nothing_to_do(self) -> bool:
        return all(c.action == "unchanged" for c in self.changes)

    def counts(self) -> dict[str, int]:
        out = {"rollback": 0, "install": 0, "uninstall": 0, "unchanged": 0}
        for change in self.changes:
            out[change.action] += 1
        return out


def preview_rollback(session: PlatformSession, revision: int | None = None) -> RollbackPreview:
    target = rollback_target(session, revision)
    preview = RollbackPreview(session.platform_id, target.revision, target.created, target.operation)
    live = session.live_releases()
    for name, want in sorted(target.components.items()):
        preview.changes.append(_change(name, live.get(name), want))
    for name, rel in sorted(live.items()):
        if name not in target.components and rel.status is not ReleaseStatus.UNINSTALLED:
            preview.changes.append(
                PlannedRollback(
                    name,
                    "uninstall",
                    rel.name,
                    rel.namespace,
                    rel.revision,
                    rel.chart,
                    rel.status.value,
                    None,
                    "",
                    _claims_kept(session, name, rel),
                )
            )
    rolled_back = (c.component for c in preview.changes if c.action in ("rollback", "install"))
    preview.restored_secrets = secrets_restored(session, target, rolled_back)
    return preview


def _claims_kept(session: PlatformSession, name: str, rel: Release) -> str:
    """The rollback keeps the volume claims (and the volumes its chart ships for them) of a
    component it removes (``rollback._keep_claims_of_removed``)."""
    kept = PlatformInventory.read(session, {name: rel}).data_of([name])
    return f"kept: {', '.join(kept)}" if kept else ""


def _change(name: str, rel: Release | None, want: ComponentRevision) -> PlannedRollback:
    to_chart = f"{want.chart}-{want.chart_version}"
    if rel is None:
        # Helm rolls back from a release's kept history; none is left (an undeploy removed it)
        note = "no release history left in the cluster: Helm cannot roll it back"
        return PlannedRollback(
            name, "install", want.release, want.namespace, None, "", "absent", want.revision, to_chart, note
        )
    if rel.revision == want.revision and rel.status is ReleaseStatus.DEPLOYED:
        action = "unchanged"
    elif rel.status is ReleaseStatus.UNINSTALLED:
        action = "install"
    else:
        action = "rollback"
    return PlannedRollback(
        name, action, rel.name, rel.namespace, rel.revision, rel.chart, rel.status.value, want.revision, to_chart
    )
