"""The health gate: wait until a release's objects are healthy, one fails, or time runs out.

Objects are followed by one list+watch per (kind, namespace), plus the namespace's Pods (and
ReplicaSets, for Deployments) to explain what workloads wait for; there is no per-object polling.
The watches are shared: every gate of the process runs on one event loop with one client per
cluster (:mod:`helmdeck.cluster.gate_service`), so gates for several components can run at once
from parallel threads without a loop, a client and watches each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict, Unpack

import lightkube

from helmdeck.cluster.failures import FailureReport, diagnose
from helmdeck.cluster.gate_run import Outcome, run_gate
from helmdeck.cluster.gate_service import gate_service
from helmdeck.cluster.gate_state import GateEvaluator, ObjectStatus
from helmdeck.cluster.kinds import kind_info
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.readiness import KindRule, is_workload
from helmdeck.cluster.snapshot import kind_contracts, resolve_targets
from helmdeck.errors import HelmdeckError
from helmdeck.serialize import JsonObject, json_field
from helmdeck.wording import counted

__all__ = ["GateOptions", "GateResult", "HealthGate", "Outcome", "UpdateCallback", "wait_healthy"]


@dataclass(frozen=True)
class GateResult(JsonObject):
    outcome: Outcome
    statuses: tuple[ObjectStatus, ...]
    elapsed: float = field(metadata=json_field(round=3))
    failed: ObjectStatus | None = None
    # what explains the failure, or (on timeout) what is still waiting
    reports: tuple[FailureReport, ...] = ()
    # seconds from the call until the first object was ready (None: none was), for the deploy timeline
    first_ready: float | None = field(default=None, metadata=json_field(exclude=True))

    __json_computed__ = ("message",)
    __json_order__ = ("outcome", "elapsed", "message", "failed", "statuses", "reports")

    @property
    def ok(self) -> bool:
        return self.outcome == "ready"

    @property
    def waiting(self) -> tuple[ObjectStatus, ...]:
        return tuple(s for s in self.statuses if not s.health.ready)

    def message(self) -> str:
        if self.outcome == "ready":
            unknown = [s for s in self.statuses if not s.health.ready]
            if unknown:
                first = unknown[0]
                more = f" (+{len(unknown) - 1} more)" if len(unknown) > 1 else ""
                return (
                    f"{counted(len(self.statuses) - len(unknown), 'object')} healthy after {self.elapsed:.1f}s; "
                    f"health unknown: {first.ref}: {first.health.reason}{more}"
                )
            return f"{counted(self.statuses, 'object')} healthy after {self.elapsed:.1f}s"
        if self.outcome == "failed" and self.failed is not None:
            return f"{self.failed.ref} failed: {self.failed.health.reason}"
        waiting = "; ".join(f"{s.ref}: {s.health.reason}" for s in self.waiting[:5])
        more = f" (and {len(self.waiting) - 5} more)" if len(self.waiting) > 5 else ""
        verb = "timed out" if self.outcome == "timeout" else "cancelled"
        return f"{verb} after {self.elapsed:.0f}s waiting for {waiting}{more}"


UpdateCallback = Callable[[Sequence[ObjectStatus]], None]


class GateOptions(TypedDict, total=False):
    """The options of a health gate, by keyword (defaults in :func:`wait_healthy`)."""

    failure_grace: float
    require_lb_address: bool
    cancel: threading.Event | None
    explain: bool
    max_reports: int
    tick: float
    finished_jobs: Iterable[ObjRef]
    since: float | None
    rules: KindRule | None


class HealthGate(Protocol):
    """The shape of :func:`wait_healthy`, so a session can be given another gate (an in-memory fake)."""

    def __call__(
        self,
        client: lightkube.Client,
        objects: Sequence[ObjRef],
        timeout: float,
        on_update: UpdateCallback | None = None,
        **options: Unpack[GateOptions],
    ) -> GateResult: ...


def wait_healthy(
    client: lightkube.Client,
    objects: Sequence[ObjRef],
    timeout: float,
    on_update: UpdateCallback | None = None,
    **options: Unpack[GateOptions],
) -> GateResult:
    """Block until every object is ready, one has failed, ``timeout`` seconds pass or ``cancel`` is set.

    A workload fails when one of its current pods has been in a failure state (CrashLoopBackOff,
    image pull error, failed init container, ...) for ``failure_grace`` seconds (default 10), or at once on a
    terminal failure (Job failed, progress deadline exceeded). ``on_update`` is called from the
    calling thread with all statuses whenever one changes. With ``explain``, the result carries
    failure reports (pods, events, logs) for the failed object or for the objects still waiting.

    A Job that is gone counts as done when it was seen complete, is in ``finished_jobs`` (Jobs a
    deployed release ran before, removed by their TTL), or its Completed event is newer than
    ``since`` (wall-clock seconds; default: now). Objects of unknown health that waiting cannot
    settle (custom resources whose CRD could not be read and that report no status) do not hold
    the gate; they stay "unknown". ``rules``: the platform file's health rules per kind.
    ``require_lb_address``: a LoadBalancer Service is ready once it has an address. ``tick``: seconds
    between evaluations when nothing changes. At most ``max_reports`` (5) failure reports.

    Not for use inside a running event loop: call it from a worker thread there.
    """
    called = time.monotonic()
    targets = resolve_targets(client, objects)
    evaluator = GateEvaluator(
        targets,
        failure_grace=options.get("failure_grace", 10.0),
        require_lb_address=options.get("require_lb_address", False),
        finished_jobs=options.get("finished_jobs", ()),
        contracts=kind_contracts(client, targets, options.get("rules")),
        shared_streams=True,
    )
    since = options.get("since")
    outcome, statuses, failed_one, elapsed, first_ready_at = run_gate(
        gate_service(client),
        evaluator,
        timeout=timeout,
        on_update=on_update,
        cancel=options.get("cancel"),
        tick=options.get("tick", 0.5),
        since=time.time() if since is None else since,
    )
    first_ready = None if first_ready_at is None else first_ready_at - called
    reports: list[FailureReport] = []
    if options.get("explain", True) and outcome != "ready":
        chosen = [failed_one] if failed_one is not None else [s for s in statuses if not s.health.ready]
        chosen.sort(key=lambda s: not is_workload(s.ref.api_version, s.ref.kind))
        for status in chosen[: options.get("max_reports", 5)]:
            reports.append(_explain(client, status))
    return GateResult(outcome, tuple(statuses), elapsed, failed_one, tuple(reports), first_ready)


def _explain(client: lightkube.Client, status: ObjectStatus) -> FailureReport:
    served = kind_info(client, status.ref.api_version, status.ref.kind) is not None
    if status.health.state == "unknown" or not served:
        return FailureReport(status.ref, status.health)
    try:
        return diagnose(client, status.ref, observed=status.health)
    except HelmdeckError as err:  # the verdict stands even when its explanation cannot be fetched
        return FailureReport(status.ref, status.health, pods=status.pods, error=err.message)
