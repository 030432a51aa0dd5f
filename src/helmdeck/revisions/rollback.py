"""``helmdeck rollback [REV]``: every component back to the release revision a platform revision
recorded, through Helm's own rollback (so ``helm history`` tells the same story).

Components added since are uninstalled; components removed since (uninstalled with their history
kept) are rolled back into existence. A new platform revision records the result.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from helmdeck.core.claim_keeping import keep_claims, mark_left_by_helm
from helmdeck.core.inventory import PlatformInventory
from helmdeck.core.progress import Progress, current_user, describe_waiting, no_progress
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import platform_status
from helmdeck.core.targets import release_targets
from helmdeck.engine.options import RollbackOptions, UninstallOptions
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.health import UNHEALTHY, FinalHealth, final_health
from helmdeck.revisions.operation import platform_operation
from helmdeck.revisions.rotated_secrets import RestoredSecret, secrets_restored
from helmdeck.revisions.store import ComponentRevision, PlatformRevision, RevisionStore
from helmdeck.secrets.redact import known_redactor
from helmdeck.serialize import JsonObject, json_field


@dataclass
class RollbackStep(JsonObject):
    component: str
    action: str  # rollback | uninstall | unchanged | failed
    detail: str


@dataclass
class RollbackReport(JsonObject):
    platform: str
    target: int
    new_revision: int | None = None
    steps: list[RollbackStep] = field(default_factory=list)
    seconds: float = field(default=0.0, metadata=json_field(round=2))
    # every component of the platform afterwards, by name: {"health": ..., "reason": ...}
    health: dict[str, FinalHealth] = field(default_factory=dict)
    #: secrets rotated since the target: the rollback gave components their old value
    restored_secrets: list[RestoredSecret] = field(default_factory=list)

    __json_computed__ = ("ok", "nothing_to_do", "summary")
    __json_order__ = (
        "platform",
        "target",
        "newRevision",
        "ok",
        "steps",
        "health",
        "nothingToDo",
        "restoredSecrets",
        "summary",
        "seconds",
    )

    @property
    def nothing_to_do(self) -> bool:
        """Every component already at the target's revision: nothing was changed or recorded."""
        return all(s.action == "unchanged" for s in self.steps)

    def summary(self) -> str:
        if self.nothing_to_do:
            return f"platform {self.platform} is already at revision {self.target}, nothing to do"
        verdict = "rolled back" if self.ok else "rollback incomplete"
        return f"{verdict} to platform revision {self.target}; recorded as revision {self.new_revision}"

    def unhealthy(self) -> dict[str, FinalHealth]:
        return {n: h for n, h in self.health.items() if h["health"] in UNHEALTHY}

    @property
    def ok(self) -> bool:
        return all(s.action != "failed" for s in self.steps) and not self.unhealthy()


def rollback_plan(session: PlatformSession, target: PlatformRevision) -> list[RollbackStep]:
    """What a rollback to ``target`` would do, without doing it."""
    live = session.live_releases()
    steps: list[RollbackStep] = []
    for name, want in sorted(target.components.items()):
        rel = live.get(name)
        if rel is not None and rel.revision == want.revision and rel.status is ReleaseStatus.DEPLOYED:
            steps.append(RollbackStep(name, "unchanged", f"already at revision {want.revision}"))
        else:
            now = f"revision {rel.revision} ({rel.status.value})" if rel else "not installed"
            steps.append(RollbackStep(name, "rollback", f"{now} -> revision {want.revision}"))
    for name, rel in sorted(live.items()):
        if name not in target.components and rel.status is not ReleaseStatus.UNINSTALLED:
            steps.append(RollbackStep(name, "uninstall", f"added after revision {target.revision}"))
    return steps


def rollback_target(session: PlatformSession, revision: int | None) -> PlatformRevision:
    """The platform revision to go back to: ``revision``, or the last successful one before the latest."""
    store = RevisionStore(session.client, session.admin_namespace, session.platform_id)
    history = store.list()
    if not history:
        raise ConfigError(
            f"platform {session.platform_id} has no recorded revisions", fix="deploy it first with 'helmdeck deploy'"
        )
    if revision is not None:
        return store.get(revision)
    earlier = [r for r in history[:-1] if r.result == "succeeded"]
    if not earlier:
        raise ConfigError(
            "there is no earlier successful platform revision to roll back to", fix="see 'helmdeck history'"
        )
    return earlier[-1]


def rollback_platform(
    session: PlatformSession,
    revision: int | None = None,
    *,
    progress: Progress | None = None,
    interrupt: threading.Event | None = None,
) -> RollbackReport:
    """Every component back to ``revision``'s release revision. Once ``interrupt`` is set (the web
    service is stopping) no further component starts, the running one finishes its health gate,
    and those left are reported as not started."""
    progress = progress or no_progress
    start = time.monotonic()
    target = rollback_target(session, revision)
    report = RollbackReport(session.platform_id, target.revision)
    steps = rollback_plan(session, target)
    if all(step.action == "unchanged" for step in steps):
        # no lock taken, no revision recorded: a rollback to where the platform is changes nothing
        report.steps = steps
        report.seconds = time.monotonic() - start
        return report
    report.restored_secrets = secrets_restored(session, target, (s.component for s in steps if s.action == "rollback"))
    namespaces = {c.namespace for c in target.components.values()}
    with platform_operation(session, namespaces=namespaces) as op:
        for step in rollback_plan(session, target):
            op.check()
            if interrupt is not None and interrupt.is_set() and step.action != "unchanged":
                report.steps.append(RollbackStep(step.component, "failed", f"not started (interrupted): {step.detail}"))
                continue
            progress(step.component, step.action, step.detail)
            report.steps.append(_run_step(session, target, step, progress))
        progress("*", "checking", "health of every component")
        final = platform_status(session)
        redact = known_redactor()
        report.health = {c.name: {"health": c.health, "reason": redact.text(c.reason)} for c in final.components}
        report.new_revision = op.record(_revision_after(session, target, report)).revision
    report.seconds = time.monotonic() - start
    return report


def _run_step(
    session: PlatformSession, target: PlatformRevision, step: RollbackStep, progress: Progress
) -> RollbackStep:
    """One component rolled back (and gated) or uninstalled; what happened to it."""
    try:
        if step.action == "rollback":
            want: ComponentRevision = target.components[step.component]
            session.engine.rollback(want.release, want.revision, RollbackOptions(namespace=want.namespace))
            return _gated(session, step, want, progress)
        if step.action == "uninstall":
            live = session.live_releases()[step.component]
            inventory = PlatformInventory.read(session, {step.component: live})
            step = _keep_claims_of_removed(session, step, inventory)
            session.engine.uninstall(live.name, UninstallOptions(namespace=live.namespace, keep_history=True))
            step = _mark_what_helm_left(session, step, inventory)
    except HelmdeckError as exc:
        return RollbackStep(step.component, "failed", known_redactor().text(exc.message))
    return step


def _revision_after(session: PlatformSession, target: PlatformRevision, report: RollbackReport) -> PlatformRevision:
    """The platform revision the rollback records: the releases as they are after it."""
    after = session.live_releases()
    return PlatformRevision(
        revision=0,
        platform=session.platform_id,
        environment=target.environment,
        spec_digest=target.spec_digest,
        operation=f"rollback to {target.revision}",
        user=current_user(),
        result="succeeded" if report.ok else "failed",
        message="; ".join(
            [f"{s.component}: {s.detail}" for s in report.steps if s.action == "failed"]
            + [f"{n}: {h['health']} ({h['reason']})" for n, h in report.unhealthy().items()]
        ),
        components={
            name: ComponentRevision(
                rel.name,
                rel.namespace,
                rel.chart_name,
                rel.chart_version,
                rel.revision,
                rel.status.value,
                rel.labels.get("helmdeck.dev/extension"),
                final_health(report.health, name),
            )
            for name, rel in after.items()
            if rel.status is not ReleaseStatus.UNINSTALLED
        },
    )


def _keep_claims_of_removed(session: PlatformSession, step: RollbackStep, inventory: PlatformInventory) -> RollbackStep:
    """A component the rollback removes keeps its volume claims (an extension installed after the
    target revision has data of its own), as an extension uninstall does; the step lists them."""
    keep_claims(session.client, inventory, [step.component])
    kept = inventory.data_of([step.component])
    if not kept:
        return step
    return RollbackStep(step.component, step.action, f"{step.detail}; kept: {', '.join(kept)}")


def _mark_what_helm_left(session: PlatformSession, step: RollbackStep, inventory: PlatformInventory) -> RollbackStep:
    """After the uninstall: what Helm left of the component (kept by policy, hooks) is marked for
    a later purge, as undeploy and extension uninstall do; the step lists it."""
    left = mark_left_by_helm(session.client, inventory, [step.component])
    if not left:
        return step
    # names only: each reason has semicolons of its own, and the step is one line
    names = ", ".join(o.what for o in left)
    return RollbackStep(
        step.component, step.action, f"{step.detail}; left by Helm (marked, a purge lists them): {names}"
    )


def _gated(session: PlatformSession, step: RollbackStep, want: ComponentRevision, progress: Progress) -> RollbackStep:
    """A rolled-back component passes the same health gate as a deployed one."""
    name = step.component
    timeout = 300.0
    if name in session.platform.component_names:
        timeout = session.platform.component(name).health.timeout_seconds
    manifest = session.engine.get_manifest(want.release, namespace=want.namespace)
    targets = release_targets(manifest, want.namespace, name)
    progress(name, "waiting", "health gate")
    gate = session.wait_healthy(
        session.client,
        list(targets.objects),
        timeout,
        on_update=lambda statuses: progress(name, "waiting", describe_waiting(statuses)),
        rules=session.health_rules,
    )
    if gate.ok:
        return step
    return RollbackStep(name, "failed", known_redactor().text(f"{step.detail}, but unhealthy: {gate.message()}"))
