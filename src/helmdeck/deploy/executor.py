"""``helmdeck deploy``: components become Helm releases in dependency order, independent ones in
parallel, each gated on real health; a component that fails its gate is rolled back (uninstalled if
it was new), its dependents are skipped, and everything else goes on.

The whole operation holds the platform's Lease. A release left ``pending-*`` can then only belong
to an operator that died (a live one would hold the lease), so it is recovered before the deploy
touches it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from helmdeck.cluster import ObjRef
from helmdeck.cluster.watch import GateResult
from helmdeck.core.progress import Progress, describe_waiting, no_progress
from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.core.status import ComponentHealth, PlatformStatus, platform_status
from helmdeck.core.targets import ReleaseTargets, release_targets
from helmdeck.deploy import platform_steps
from helmdeck.deploy.dag import AnyFlag, TaskOutcome, TaskState, run_dag
from helmdeck.deploy.platform_steps import copy_pull_secret, refuse_destructive, remove_dropped
from helmdeck.deploy.recovery import last_good_revision, recover, undo
from helmdeck.deploy.report import ComponentResult, DeployReport, Outcome
from helmdeck.deploy.unchanged import Unchanged, nothing_to_change
from helmdeck.doctor.preflight import check_before_deploy
from helmdeck.engine import contained, release_writes
from helmdeck.engine.options import InstallOptions, UninstallOptions
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.plan.state import ReleaseDecision, ReleaseState, classify, release_states
from helmdeck.revisions.operation import PlatformOperation, platform_operation
from helmdeck.revisions.store import PlatformRevision, RevisionStore
from helmdeck.revisions.timeline import FINAL_CHECK, INSTALL, PREFLIGHT, PREPARE, UNDO, TimelineRecorder
from helmdeck.secrets.redact import known_redactor

#: components waiting on health gates per Helm write slot, and the most tasks at once in all
GATES_PER_SLOT = 4
MAX_TASKS = 128


class Deployer:
    def __init__(
        self,
        session: PlatformSession,
        *,
        only: Sequence[str] = (),
        parallel: int = 4,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        interrupt: threading.Event | None = None,
        failure_grace: float = 10.0,
        operation: str = "deploy",
        preflight: bool = True,
        allow_destructive: bool = False,
        before_changes: Callable[[], None] | None = None,
    ) -> None:
        """``before_changes`` runs under the platform lock before anything changes: raising there
        (``deploy --plan`` finding the plan stale) leaves the platform as it was."""
        self.session = session
        self.only = list(only)
        self.parallel = parallel
        self.progress = progress or no_progress
        self.cancel = cancel or threading.Event()
        # the user's interrupt: no new component starts, but unlike a lost lease (``cancel``) the
        # running ones finish their step and health gate, so no release is left half done
        self.interrupt = interrupt or threading.Event()
        self.failure_grace = failure_grace
        self.operation = operation
        self.preflight = preflight
        self.allow_destructive = allow_destructive
        self.before_changes = before_changes
        #: Helm writes at once (``parallel``); more components than that may wait on their gates
        self._write_slots = threading.BoundedSemaphore(max(1, parallel))
        #: each target's release state, decided once before anything changes (as plan decides it)
        self.states: dict[str, ReleaseDecision] = {}
        #: the operation run() holds; extensions drive deploy_component inside their own
        self.op: PlatformOperation | None = None
        #: components healthy when a deploy that changes nothing began (their gate is skipped)
        self._healthy_before: frozenset[str] = frozenset()
        self._needs: dict[str, list[str]] = {}
        #: where the time goes (run() starts a new one)
        self.timeline = TimelineRecorder()
        unknown = [n for n in self.only if n not in session.platform.component_names]
        if unknown:
            raise ConfigError(
                f"--only names unknown components: {', '.join(unknown)}",
                fix=f"pick from: {', '.join(session.platform.component_names)}",
            )

    # -- the operation --------------------------------------------------------------------------
    def run(self) -> DeployReport:
        with self.session.renders_remembered():  # preflight's renders serve the deploy
            return self._run()

    def _run(self) -> DeployReport:
        start = time.monotonic()
        self.timeline = TimelineRecorder(start)
        s = self.session
        report = DeployReport(s.platform_id, s.environment)
        targets = self.only or s.platform.component_names
        self._healthy_before = frozenset()
        if not self.interrupt.is_set():
            self.progress("*", "preparing", "looking for changes")
            unchanged = self._nothing_to_change(targets)
            if unchanged is not None:
                return self._run_unchanged(report, start, targets, unchanged)
        if self.preflight:
            # read-only checks: an error stops the deploy before any namespace or release exists
            self.progress("*", "preflight", "checking the platform against the cluster")
            with self.timeline.phase(None, PREFLIGHT):
                check_before_deploy(s).raise_for_errors()
        else:
            s.refuse_unavailable_secrets()
        prepared_from = time.monotonic()
        if self.interrupt.is_set():
            return self._interrupted_before_start(report, start)
        self.progress("*", "preparing", f"namespaces of platform {s.platform_id}")
        with platform_operation(s, namespaces=s.platform.all_namespaces(), cancel=self.cancel) as op:
            self.op = op
            if self.before_changes is not None:
                self.before_changes()
            if op.took_over_from is not None:
                report.took_over_from = op.took_over_from.holder
            copy_pull_secret(s)
            self.progress("*", "preparing", "secrets and rendering")
            desired = s.desired(create_secrets=True)
            # renders are over: the workers they kept would sit idle beside the release workers
            contained.stop_idle()
            live = s.live_releases()
            # the same decision plan makes: each component's action follows from its state
            self.states = release_states(s, desired, live, targets)
            if not self.allow_destructive:
                refuse_destructive(s, targets, desired, live, self.states, whole_platform=not self.only)
            self._deploy(report, desired, live, targets, prepared_from)
            report.platform_revision = self.record_revision(report).revision
        report.seconds = time.monotonic() - start
        return report

    def _nothing_to_change(self, targets: Sequence[str]) -> Unchanged | None:
        """What the platform looks like when this deploy would change nothing (read only), else
        None; a failure to tell is left to preflight, which explains it better."""
        try:
            return nothing_to_change(self.session, targets, whole_platform=not self.only)
        except HelmdeckError:
            return None

    def _run_unchanged(
        self, report: DeployReport, start: float, targets: Sequence[str], unchanged: Unchanged
    ) -> DeployReport:
        """Nothing to change: no lock, no preflight (it checks what a deploy would write), no
        writes. Health is still checked: one status of the whole platform, and a health gate only
        for components that are not healthy in it."""
        if self.before_changes is not None:
            self.before_changes()
        self.states = unchanged.states
        before = platform_status(self.session)
        self._healthy_before = frozenset(c.name for c in before.components if c.health is ComponentHealth.healthy)
        final = before if set(targets) <= self._healthy_before else None
        self._deploy(report, unchanged.desired, unchanged.live, targets, start, final=final)
        # a failure is history worth keeping (the one write); a healthy platform that did not
        # change is described by the latest revision already
        recorded = None if report.ok else self.record_revision(report)
        report.recorded = recorded is not None
        report.platform_revision = recorded.revision if recorded is not None else self._latest_revision()
        report.seconds = time.monotonic() - start
        return report

    def _deploy(
        self,
        report: DeployReport,
        desired: dict[str, DesiredComponent],
        live: dict[str, Release],
        targets: Sequence[str],
        prepared_from: float,
        *,
        final: PlatformStatus | None = None,
    ) -> None:
        """The components in dependency order, dropped ones removed, then the whole platform's
        health (``final``: a status already taken, when nothing could have changed since): the
        report gets each result and the timeline."""
        s = self.session
        needs_map = s.platform.needs_map()
        needs = {n: [d for d in needs_map.get(n, []) if d in targets] for n in targets}
        self._needs = needs

        def work(name: str) -> ComponentResult:
            began, outcome = time.monotonic(), "failed"
            try:
                result = self.deploy_component(desired[name], live.get(name))
                outcome = result.outcome.value
                return result
            finally:
                self.timeline.finish(name, began, outcome)

        def on_state(name: str, state: TaskState) -> None:
            if state is TaskState.skipped:
                self.progress(name, "skipped", "")

        for name in targets:
            self.timeline.component(name, needs[name])
        self.timeline.mark(None, PREPARE, prepared_from)
        outcomes = run_dag(
            needs,
            work,
            # the writes are bounded by the slots; up to GATES_PER_SLOT times as many components
            # may be waiting on their health gates (each holds a thread and a few watches)
            parallel=min(max(1, self.parallel) * GATES_PER_SLOT, MAX_TASKS),
            failed=lambda r: not r.ok,
            on_state=on_state,
            cancel=AnyFlag((self.cancel, self.interrupt)),
        )
        report.interrupted = self.interrupt.is_set()
        for name in targets:
            report.components.append(self._result_of(outcomes[name], desired[name], report.interrupted))
        if not self.only and not report.interrupted:
            report.components.extend(remove_dropped(s, live, desired, self.progress))
        # the writes are over: the final check and the record need the memory more than idle workers
        release_writes.stop_idle()
        with self.timeline.phase(None, FINAL_CHECK):
            platform_steps.check_platform_health(s, report, self.progress, final)
        self.timeline.renders(s.render_times)
        report.timeline = self.timeline.done({c.name: c.outcome.value for c in report.components})

    @staticmethod
    def _result_of(outcome: TaskOutcome[ComponentResult], d: DesiredComponent, interrupted: bool) -> ComponentResult:
        if outcome.result is not None:
            return outcome.result
        if outcome.state is TaskState.skipped:
            why = outcome.skipped_because
            return ComponentResult(
                d.name,
                d.release,
                d.namespace,
                Outcome.skipped,
                skipped_because=why,
                message=_skip_message(why, interrupted),
            )
        # deploy_component raised: an error it did not expect
        message = known_redactor().text(str(outcome.error))
        return ComponentResult(d.name, d.release, d.namespace, Outcome.failed, message=message)

    def _latest_revision(self) -> int | None:
        s = self.session
        latest = RevisionStore(s.client, s.admin_namespace, s.platform_id).latest()
        return latest.revision if latest is not None else None

    def _interrupted_before_start(self, report: DeployReport, start: float) -> DeployReport:
        """Interrupted during the read-only preflight: nothing was changed, nothing is locked."""
        s = self.session
        report.interrupted = True
        for name in self.only or s.platform.component_names:
            component = s.platform.component(name)
            report.components.append(
                ComponentResult(
                    name,
                    s.platform.release_name(component),
                    s.platform.namespace_of(component),
                    Outcome.skipped,
                    skipped_because=["cancelled"],
                    message=_skip_message(["cancelled"], interrupted=True),
                )
            )
        report.seconds = time.monotonic() - start
        return report

    # -- one component --------------------------------------------------------------------------
    def deploy_component(self, d: DesiredComponent, live: Release | None) -> ComponentResult:
        """Install or upgrade one component, gate it on health, undo it if the gate fails (the
        caller holds the platform lock)."""
        if self.op is not None:
            self.op.check()  # a lost lease: another operator may be changing this platform now
        start = time.monotonic()
        started_at = time.time()  # the gate trusts only Job events from this deploy on
        decision = self.states.get(d.name) or classify(d, live)
        action, drift = decision.action, decision.drift
        if decision.state is ReleaseState.drifted:
            self.progress(d.name, "repairing", decision.reason)
        chart = f"{d.chart.name}-{d.chart.version}"
        result = ComponentResult(d.name, d.release, d.namespace, Outcome.unchanged, action=action.value, chart=chart)
        if decision.state is ReleaseState.in_sync:
            assert live is not None
            return self._check_in_sync(d, live, result, start)

        previous = last_good_revision(self.session.engine, d, live)
        written = self._write_in_slot(
            d, lambda: self._write(d, live, previous, decision, result, start), previous, result, start
        )
        if written is None:
            return result
        rel, fresh = written

        self.progress(d.name, "waiting", "health gate")
        try:
            targets = self._installed(d, rel.manifest)
        except HelmdeckError as exc:
            result.outcome = Outcome.failed
            result.message = known_redactor().text(f"cannot read the installed release: {exc}")
            result.rollback = self._undo(d, previous)
            return result
        gate = self._gate(d, targets, since=started_at)
        result.seconds = time.monotonic() - start
        if gate.ok:
            result.outcome = Outcome.installed if fresh else Outcome.upgraded
            result.message = gate.message()
            if drift is not None:
                result.message = f"repaired {drift.summary().removeprefix('live objects ')}; {result.message}"
            self.progress(d.name, result.outcome.value, f"revision {result.revision}")
            return result
        self._fail(result, gate)
        self.progress(d.name, "rolling back", result.message)
        result.rollback = self._undo(d, previous)
        self.progress(d.name, "failed", result.message)
        return result

    def _write_in_slot(
        self,
        d: DesiredComponent,
        write: Callable[[], tuple[Release, bool]],
        previous: int | None,
        result: ComponentResult,
        start: float,
    ) -> tuple[Release, bool] | None:
        """``write`` (the Helm writes, see :meth:`_write`) in a write slot; None when cancelled
        meanwhile or failed (then undone, outside the slot, and ``result`` says so)."""
        written: tuple[Release, bool] | None = None
        failure: HelmdeckError | None = None
        # a slot for the Helm writes only: waiting on the health gate below holds none, so a
        # component whose pods are still starting does not keep the next one from being written
        with self._write_slots:
            if self.op is not None:
                self.op.check()  # the lease may have been lost while this waited for its slot
            if self.interrupt.is_set() or self.cancel.is_set():  # while it waited: start nothing new
                result.outcome, result.skipped_because = Outcome.skipped, ["cancelled"]
                result.message = _skip_message(["cancelled"], self.interrupt.is_set())
                return None
            writes = time.monotonic()
            try:
                written = write()
            except HelmdeckError as exc:
                failure = exc
            self.timeline.mark(d.name, INSTALL, writes)
        if failure is not None:
            result.outcome = Outcome.failed
            result.message = known_redactor().text(str(failure))
            result.rollback = self._undo(d, previous)
            result.seconds = time.monotonic() - start
            self.progress(d.name, "failed", result.message.splitlines()[0])
            return None
        return written

    def _write(
        self,
        d: DesiredComponent,
        live: Release | None,
        previous: int | None,
        decision: ReleaseDecision,
        result: ComponentResult,
        start: float,
    ) -> tuple[Release, bool]:
        """The Helm writes of one component (begun at ``start``, once what it needs was ready):
        recover a release a dead operator left pending, then install or upgrade it. Returns the
        release and whether it was a fresh install."""
        eng = self.session.engine
        if decision.state is ReleaseState.locked:
            assert live is not None
            self.progress(d.name, "recovering", f"release left {live.status.value} by a stopped operator")
            result.recovered = recover(self.session.engine, d, live, previous)
            live = None if result.recovered.startswith("uninstalled") else live
        if live is not None and (
            live.status is ReleaseStatus.UNINSTALLED or (live.status is ReleaseStatus.FAILED and previous is None)
        ):
            # a failed first install has nothing to upgrade from, and Helm will not install over
            # the kept history of a removed component: start over
            eng.uninstall(d.release, UninstallOptions(namespace=d.namespace, ignore_not_found=True))
            live = None
        fresh = live is None or live.status is ReleaseStatus.UNINSTALLED
        self.progress(d.name, "installing" if fresh else "upgrading", result.chart)
        options = InstallOptions(
            namespace=d.namespace,
            description=f"helmdeck {self.operation} of platform {self.session.platform_id}",
            labels=d.labels(self.session.platform_id, self.session.environment),
            timeout=d.timeout,
            wait=False,
            # the fields kubectl took over are the drift to repair
            force_conflicts=decision.drift is not None and not fresh,
            component=d.name,
            values_files=d.values_files,
            # what its needs did (an operator's CRDs) must be in the .Capabilities its templates see
            capabilities_after=start if self._needs.get(d.name) else None,
        )
        rel = (eng.install if fresh else eng.upgrade)(d.chart, d.release, d.values, options)
        result.revision = rel.revision
        return rel, fresh

    def _check_in_sync(
        self, d: DesiredComponent, live: Release, result: ComponentResult, start: float
    ) -> ComponentResult:
        """An in-sync release gets no new revision; nothing to change is no proof of health, though:
        the installed objects pass the same gate."""
        result.revision = live.revision
        if d.name in self._healthy_before:  # healthy in the status taken a moment ago
            result.message = "up to date; healthy"
            result.seconds = time.monotonic() - start
            self.progress(d.name, "unchanged", result.message)
            return result
        targets = self._installed(d, live.manifest)
        self.progress(d.name, "checking", "up to date; checking health")
        gate = self._gate(d, targets, finished_jobs=targets.ttl_jobs)
        result.seconds = time.monotonic() - start
        if gate.ok:
            result.message = f"up to date; {gate.message()}"
            self.progress(d.name, "unchanged", result.message)
            return result
        self._fail(result, gate, prefix="up to date but unhealthy: ")
        self.progress(d.name, "failed", result.message)
        return result

    def _installed(self, d: DesiredComponent, manifest: str) -> ReleaseTargets:
        """The objects Helm actually installed (its stored manifest), which is what is gated: a
        chart drawing random names renders differently every time."""
        if not manifest:
            manifest = self.session.engine.get_manifest(d.release, namespace=d.namespace)
        return release_targets(manifest, d.namespace, d.name)

    def _gate(
        self,
        d: DesiredComponent,
        targets: ReleaseTargets,
        *,
        since: float | None = None,
        finished_jobs: frozenset[ObjRef] = frozenset(),
    ) -> GateResult:
        began = time.monotonic()
        gate = self.session.wait_healthy(
            self.session.client,
            list(targets.objects),
            d.timeout,
            on_update=lambda statuses: self.progress(d.name, "waiting", describe_waiting(statuses)),
            failure_grace=self.failure_grace,
            cancel=self.cancel,
            finished_jobs=finished_jobs,
            since=since,
            rules=self.session.health_rules,
        )
        self.timeline.gate(d.name, began, time.monotonic() - began, gate.first_ready)
        return gate

    @staticmethod
    def _fail(result: ComponentResult, gate: GateResult, prefix: str = "") -> None:
        redact = known_redactor()
        result.outcome = Outcome.failed
        result.message = redact.text(prefix + gate.message())
        result.failure = [redact.redact(r.as_dict()) for r in gate.reports]
        result.failure_text = [redact.text(line) for r in gate.reports for line in r.lines()]

    def _undo(self, d: DesiredComponent, previous: int | None) -> str:
        with self.timeline.phase(d.name, UNDO), self._write_slots:
            return undo(self.session.engine, d, previous)

    # -- around the components ------------------------------------------------------------------
    def check_platform_health(self, report: DeployReport) -> None:
        platform_steps.check_platform_health(self.session, report, self.progress)

    def record_revision(self, report: DeployReport) -> PlatformRevision:
        return platform_steps.record_revision(self.session, report, self.operation, self.op)


def _skip_message(why: list[str], interrupted: bool) -> str:
    if why != ["cancelled"]:
        return f"skipped: needs {', '.join(why)}"
    return "not started: interrupted" if interrupted else "skipped: cancelled"
