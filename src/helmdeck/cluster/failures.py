"""Why an object is not healthy: its failing pods, their container states, events and last log lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightkube

from helmdeck.cluster.events import EventSummary, recent_events, summarize_events
from helmdeck.cluster.health_state import Health, progressing
from helmdeck.cluster.kinds import get_object, list_objects, normalize
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.pods import (
    LogTail,
    PodSummary,
    current_pods,
    current_replicaset,
    summarize_pod,
    tail_logs,
)
from helmdeck.cluster.readiness import health, is_workload
from helmdeck.serialize import JsonObject, json_field
from helmdeck.wording import counted


@dataclass(frozen=True)
class FailureReport(JsonObject):
    ref: ObjRef = field(metadata=json_field(name="object"))
    health: Health
    pods: tuple[PodSummary, ...] = ()
    events: tuple[EventSummary, ...] = ()
    logs: tuple[LogTail, ...] = ()
    # why the explanation is incomplete
    error: str | None = field(default=None, metadata=json_field(omit_if_empty=True))

    def lines(self) -> list[str]:
        """A plain-text rendering, one finding per line, for reports and logs."""
        out = [f"{self.ref}: {self.health.state}: {self.health.reason}"]
        for pod in self.pods:
            out.append(f"  pod {pod.name} ({pod.phase}): {pod.health.reason}")
            for c in pod.containers:
                if c.ready and not c.restart_count:
                    continue
                text = f"    {'init ' if c.init else ''}container {c.name}: {c.state}"
                if c.reason:
                    text += f" {c.reason}"
                if c.exit_code is not None:
                    text += f", exit code {c.exit_code}"
                if c.last_exit_code is not None:
                    text += f", last exit code {c.last_exit_code}"
                if c.restart_count:
                    text += f", {counted(c.restart_count, 'restart')}"
                out.append(text)
        if self.events:
            out.append("  events:")
            for e in self.events:
                when = e.last_seen.strftime("%H:%M:%S") if e.last_seen else "?"
                times = f" (x{e.count})" if e.count > 1 else ""
                out.append(f"    {when} {e.type} {e.reason} {e.kind}/{e.name}: {e.message}{times}")
        for log in self.logs:
            if log.unavailable:
                out.append(f"  logs of {log.pod}/{log.container}: {log.unavailable}")
            else:
                out.append(f"  last {counted(log.lines, 'log line')} of {log.pod}/{log.container}:")
                out.extend(f"    | {line}" for line in log.lines)
        if self.error:
            out.append(f"  (details unavailable: {self.error})")
        return out


def _selector_labels(workload: Mapping[str, Any]) -> dict[str, str] | None:
    selector = workload.get("spec", {}).get("selector") or {}
    labels = selector.get("matchLabels") if isinstance(selector, Mapping) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) and labels else None


def _rank(pod: PodSummary) -> tuple[int, str]:
    if pod.failing_container is not None or pod.health.failed:
        return (0, pod.name)
    if not pod.health.ready:
        return (1, pod.name)
    return (2, pod.name)


def workload_pods(
    client: lightkube.Client, workload: Mapping[str, Any], namespace: str
) -> tuple[list[Mapping[str, Any]], Mapping[str, Any] | None]:
    """The current pods of a live workload, and its current ReplicaSet for a Deployment."""
    labels = _selector_labels(workload)
    pods = list(list_objects(client, "v1", "Pod", namespace=namespace, labels=labels))
    replicasets: list[Mapping[str, Any]] = []
    current_rs = None
    if workload.get("kind") == "Deployment":
        replicasets = list(list_objects(client, "apps/v1", "ReplicaSet", namespace=namespace, labels=labels))
        current_rs = current_replicaset(workload, replicasets)
    return current_pods(workload, pods, replicasets), current_rs


def diagnose(
    client: lightkube.Client,
    ref: ObjRef,
    *,
    obj: Mapping[str, Any] | None = None,
    observed: Health | None = None,
    max_pods: int = 3,
    log_lines: int = 20,
    event_limit: int = 20,
    fetch_logs: bool = True,
) -> FailureReport:
    """Gather what explains ``ref``'s state: a few of its current pods (failing ones first) with their
    container states, the recent events of the object, its ReplicaSet, those pods and their claims,
    and the last log lines of each failing container.

    ``observed`` is the health the caller already decided on (e.g. a gate's failure after its grace
    period); otherwise it is computed from the live object.
    """
    ref, _ = normalize(client, ref)
    if obj is None:
        obj = get_object(client, ref)
    if obj is None:
        state = observed or progressing("does not exist")
        events = _events(client, ref, {(ref.kind, ref.name)}, event_limit)
        return FailureReport(ref, state, events=tuple(events))
    state = observed or health(obj)
    namespace = ref.namespace
    pod_dicts: Sequence[Mapping[str, Any]] = []
    involved = {(ref.kind, ref.name)}
    if namespace and (is_workload(ref.api_version, ref.kind) or ref.kind == "Pod"):
        if ref.kind == "Pod":
            pod_dicts = [obj]
        else:
            pod_dicts, current_rs = workload_pods(client, obj, namespace)
            if current_rs is not None:
                involved.add(("ReplicaSet", str(current_rs["metadata"]["name"])))
    pods = sorted((summarize_pod(p) for p in pod_dicts), key=_rank)[:max_pods]
    for pod in pods:
        involved.add(("Pod", pod.name))
        involved.update(("PersistentVolumeClaim", claim) for claim in pod.claims)
    events = _events(client, ref, involved, event_limit)
    logs: list[LogTail] = []
    if fetch_logs:
        for pod in pods:
            container = pod.failing_container
            if container is not None and namespace:
                logs.append(tail_logs(client, namespace, pod.name, container.name, log_lines))
    return FailureReport(ref, state, tuple(pods), tuple(events), tuple(logs))


def _events(client: lightkube.Client, ref: ObjRef, involved: set[tuple[str, str]], limit: int) -> list[EventSummary]:
    if ref.namespace:
        return recent_events(client, ref.namespace, involved, limit=limit)
    # cluster-scoped objects have their events in whichever namespace the reporter chose
    raw = list_objects(client, "v1", "Event", fields={"involvedObject.name": ref.name})
    return summarize_events(raw, involved, limit=limit)
