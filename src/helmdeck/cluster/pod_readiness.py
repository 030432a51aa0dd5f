"""A pod's health: why a container fails (a back-off, an image that cannot be pulled, a failed init
container), why it cannot be scheduled, and what it waits for. Pure, no client; the workloads' rules
(:mod:`helmdeck.cluster.readiness`) and the pod summaries (:mod:`helmdeck.cluster.pods`) use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helmdeck.cluster.health_state import (
    FAILING_WAIT_REASONS,
    Health,
    as_int,
    as_list,
    condition,
    condition_text,
    dig,
    failed,
    is_false,
    is_true,
    progressing,
    ready,
)
from helmdeck.wording import counted


def _container_failure(status: Mapping[str, Any], *, init: bool) -> str | None:
    label = f"init container {status.get('name')}" if init else f"container {status.get('name')}"
    state = dig(status, "state")
    waiting = dig(state, "waiting")
    last_terminated = dig(status, "lastState", "terminated")
    reason = waiting.get("reason")
    if reason in FAILING_WAIT_REASONS:
        text = f"{label}: {reason}"
        if reason == "CrashLoopBackOff" and last_terminated:
            text += f" (last exit code {last_terminated.get('exitCode')}"
            text += f", {counted(as_int(status.get('restartCount')), 'restart')})"
        elif waiting.get("message"):
            text += f": {waiting.get('message')}"
        return text
    terminated = dig(state, "terminated")
    if init and terminated and as_int(terminated.get("exitCode")) != 0:
        code, why = terminated.get("exitCode"), terminated.get("reason") or "Error"
        return f"{label} failed with exit code {code} (Init:{why})"
    return None


# Scheduler messages that describe a wait, not a pod that no node can take.
_TRANSIENT_UNSCHEDULABLE = ("unbound immediate PersistentVolumeClaims", "waiting for", "being deleted")


def unschedulable(pod: Mapping[str, Any]) -> str | None:
    """The scheduler's reason when it found no node for the pod (no node fits its requests,
    selectors or taints, a claim it mounts does not exist), or None."""
    cond = condition(pod, "PodScheduled")
    if not is_false(cond) or cond is None or cond.get("reason") != "Unschedulable":
        return None
    message = str(cond.get("message") or "no node can run it")
    if any(part in message for part in _TRANSIENT_UNSCHEDULABLE):
        return None
    return f"cannot be scheduled: {message}"


def pod_failure(pod: Mapping[str, Any]) -> str | None:
    """Why a pod will not become ready by waiting (container state), or None."""
    status = dig(pod, "status")
    for init_status in as_list(status.get("initContainerStatuses")):
        if isinstance(init_status, Mapping) and (text := _container_failure(init_status, init=True)):
            return text
    for container in as_list(status.get("containerStatuses")):
        if isinstance(container, Mapping) and (text := _container_failure(container, init=False)):
            return text
    return None


def _pod_waiting(pod: Mapping[str, Any]) -> str:
    status = dig(pod, "status")
    scheduled = condition(pod, "PodScheduled")
    if is_false(scheduled):
        assert scheduled is not None
        return f"not scheduled: {scheduled.get('message') or scheduled.get('reason') or 'pending'}"
    for init_status in as_list(status.get("initContainerStatuses")):
        if isinstance(init_status, Mapping) and not dig(init_status, "state", "terminated"):
            return f"init container {init_status.get('name')} running"
    not_ready = []
    for container in as_list(status.get("containerStatuses")):
        if not isinstance(container, Mapping) or container.get("ready"):
            continue
        waiting = dig(container, "state", "waiting")
        if waiting.get("reason"):
            not_ready.append(f"{container.get('name')} ({waiting.get('reason')})")
        else:
            not_ready.append(str(container.get("name")))
    if not_ready:
        return "containers not ready: " + ", ".join(not_ready)
    return f"pod {str(status.get('phase') or 'Pending').lower()}"


def _pod_failed_text(pod: Mapping[str, Any]) -> str:
    status = dig(pod, "status")
    if status.get("reason"):  # Evicted, DeadlineExceeded, ...
        return condition_text(status)
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in as_list(status.get(key)):
            terminated = dig(container, "state", "terminated")
            if terminated and as_int(terminated.get("exitCode")) != 0:
                text = f"container {container.get('name')} exited with code {terminated.get('exitCode')}"
                return text + (f" ({terminated['reason']})" if terminated.get("reason") else "")
    return str(status.get("message") or "phase Failed")


def pod_health(pod: Mapping[str, Any]) -> Health:
    status = dig(pod, "status")
    phase = status.get("phase")
    if dig(pod, "metadata").get("deletionTimestamp"):
        return progressing("terminating")
    if phase == "Succeeded":
        return ready("completed")
    if phase == "Failed":
        return failed(f"pod failed: {_pod_failed_text(pod)}", terminal=True)
    failure = pod_failure(pod)
    if failure:
        return failed(failure)
    if is_true(condition(pod, "Ready")):
        return ready("running and ready")
    return progressing(_pod_waiting(pod))


#: API groups of Kubernetes itself whose kinds have no status to wait for (ConfigMap, RBAC, ...).
