"""The deploy's steps around the components: the registry pull Secret, refusing destructive
changes, removing dropped components, the final health check, the platform revision record."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from helmdeck.cluster import ObjRef, apply_object, get_object
from helmdeck.core.progress import Progress, current_user
from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.core.status import PlatformStatus, platform_status
from helmdeck.deploy.report import ComponentResult, DeployReport, Outcome
from helmdeck.engine.options import UninstallOptions
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.health import final_health
from helmdeck.labels import EXTENSION_LABEL
from helmdeck.plan.destructive import DestructiveChange
from helmdeck.plan.planner import component_destructive_changes, removal_destructive_changes
from helmdeck.plan.state import Action, ReleaseDecision, classify
from helmdeck.revisions.operation import PlatformOperation
from helmdeck.revisions.store import ComponentRevision, PlatformRevision, RevisionStore
from helmdeck.secrets.redact import known_redactor
from helmdeck.wording import counted


def dropped(live: Mapping[str, Release], desired: Mapping[str, DesiredComponent]) -> list[str]:
    """Components with a live release that the platform file no longer has (extensions aside)."""
    return [
        name
        for name, rel in sorted(live.items())
        if name not in desired and rel.status is not ReleaseStatus.UNINSTALLED and not rel.labels.get(EXTENSION_LABEL)
    ]


def refuse_destructive(
    s: PlatformSession,
    targets: Sequence[str],
    desired: Mapping[str, DesiredComponent],
    live: Mapping[str, Release],
    states: Mapping[str, ReleaseDecision],
    *,
    whole_platform: bool,
) -> None:
    """Before anything changes: refuse upgrades and removals that would destroy data or that the
    API server refuses in place, listing each, unless the user allowed them."""
    found: list[DestructiveChange] = []
    for name in targets:
        rel = live.get(name)
        if rel is None or rel.status is ReleaseStatus.UNINSTALLED:
            continue
        decision = states.get(name) or classify(desired[name], rel)
        if decision.action is Action.upgrade:
            manifest = s.engine.get_manifest(rel.name, namespace=rel.namespace)
            found += component_destructive_changes(s, desired[name], manifest)
    if whole_platform:
        for name in dropped(live, desired):
            found += removal_destructive_changes(s, name, live[name])
    if found:
        listing = "; ".join(str(c) for c in found[:10]) + (f" (+{len(found) - 10} more)" if len(found) > 10 else "")
        raise ConfigError(
            f"the deploy would make {counted(found, 'destructive change')}, so nothing was changed: {listing}",
            where=s.platform_id,
            fix="review them with `helmdeck plan`; keep the data (e.g. helm.sh/resource-policy: keep) or "
            "pass --allow-destructive to deploy anyway",
            details={"destructive": [c.as_dict() for c in found]},
        )


def remove_dropped(
    s: PlatformSession, live: Mapping[str, Release], desired: Mapping[str, DesiredComponent], progress: Progress
) -> list[ComponentResult]:
    """Uninstall releases of components no longer in the file, keeping their history so a
    platform rollback can bring them back."""
    out = []
    for name in dropped(live, desired):
        rel = live[name]
        progress(name, "removing", "no longer in the platform file")
        try:
            s.engine.uninstall(rel.name, UninstallOptions(namespace=rel.namespace, keep_history=True))
            out.append(
                ComponentResult(
                    name,
                    rel.name,
                    rel.namespace,
                    Outcome.removed,
                    action="remove",
                    message="removed (history kept for rollback)",
                )
            )
        except HelmdeckError as exc:
            failed = ComponentResult(name, rel.name, rel.namespace, Outcome.failed, action="remove", message=str(exc))
            out.append(failed)
    return out


def _pull_secret_copies(s: PlatformSession) -> list[dict[str, Any]]:
    """The registry pull Secret as every namespace but the admin one should hold it (none without
    registry credentials)."""
    registry = s.platform.spec.registry
    if registry is None or registry.credentials is None:
        return []
    name = registry.credentials.secret
    admin = s.admin_namespace
    source = get_object(s.client, ObjRef("v1", "Secret", name, admin))
    if source is None:
        raise ConfigError(
            f"the registry pull secret {name} is missing from namespace {admin}",
            where=s.platform.where(("spec", "registry", "credentials", "secret")),
            fix=f"create it: kubectl -n {admin} create secret docker-registry {name} "
            "--docker-server=... --docker-username=... --docker-password-stdin",
        )
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "helmdeck"}},
            "type": source.get("type"),
            "data": source.get("data"),
        }
        for ns in s.platform.all_namespaces()
        if ns != admin
    ]


def copy_pull_secret(s: PlatformSession) -> None:
    """The registry pull Secret, kept in the admin namespace, is copied into every namespace."""
    for copy in _pull_secret_copies(s):
        apply_object(s.client, copy, force=True)


def pull_secret_copies_current(s: PlatformSession) -> bool:
    """Every namespace already holds the registry pull Secret as the admin namespace has it."""
    for copy in _pull_secret_copies(s):
        meta = copy["metadata"]
        held = get_object(s.client, ObjRef("v1", "Secret", meta["name"], meta["namespace"]))
        if held is None or held.get("type") != copy["type"] or held.get("data") != copy["data"]:
            return False
    return True


def check_platform_health(
    s: PlatformSession, report: DeployReport, progress: Progress, final: PlatformStatus | None = None
) -> None:
    """Every component of the platform, touched by this deploy or not, checked once more at the
    end: a deploy is only a success if the whole platform is healthy afterwards (``final``: a
    status taken when nothing could have changed since)."""
    progress("*", "checking", "health of every component")
    final = final or platform_status(s)
    redact = known_redactor()
    report.health = {c.name: {"health": c.health, "reason": redact.text(c.reason)} for c in final.components}
    for result in report.components:
        if result.name in report.health:
            result.health = report.health[result.name]["health"]


def record_revision(
    s: PlatformSession, report: DeployReport, operation: str, op: PlatformOperation | None
) -> PlatformRevision:
    live = s.live_releases()
    comps = {
        name: ComponentRevision(
            release=rel.name,
            namespace=rel.namespace,
            chart=rel.chart_name,
            chart_version=rel.chart_version,
            revision=rel.revision,
            status=rel.status.value,
            extension=rel.labels.get(EXTENSION_LABEL),
            health=final_health(report.health, name),
        )
        for name, rel in live.items()
        if rel.status is not ReleaseStatus.UNINSTALLED
    }
    digest = ""
    if s.platform.source_path is not None:
        digest = hashlib.sha256(s.platform.source_path.read_bytes()).hexdigest()[:16]
    rev = PlatformRevision(
        revision=0,
        platform=s.platform_id,
        environment=s.environment,
        spec_digest=digest,
        operation=operation,
        user=current_user(),
        components=comps,
        result="succeeded" if report.ok else "failed",
        message="; ".join(
            [f"{c.name}: {c.outcome.value}" for c in report.components if not c.ok]
            + [f"{name}: {h['health']} ({h['reason']})" for name, h in report.unhealthy().items()]
        ),
        timeline=report.timeline.compact() if report.timeline is not None else None,
    )
    if op is not None:
        return op.record(rev)
    return RevisionStore(s.client, s.admin_namespace, s.platform_id).record(rev)
