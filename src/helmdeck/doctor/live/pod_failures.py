"""Failing containers of a workload's pods: images that cannot be pulled (from which registry,
with which pull secrets), crash loops and their exit codes, failing init containers and
containers that cannot be created for a missing Secret or ConfigMap; with their last log lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helmdeck.cluster import FailureReport, ObjRef, get_object
from helmdeck.cluster.pods import ContainerSummary, LogTail, PodSummary
from helmdeck.doctor.live.context import LiveDiagnosis
from helmdeck.doctor.live.pending_pods import explain_unschedulable
from helmdeck.doctor.rules.registry import registry_host
from helmdeck.doctor.rules.scheduling import parse_scheduling_message
from helmdeck.wording import counted

IMAGE_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
CONFIG_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError", "RunContainerError"})


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def log_text(log: LogTail | None) -> tuple[str, dict[str, Any]]:
    """A sentence about a container's last log lines, and the lines for the details."""
    if log is None:
        return "", {}
    if log.unavailable:
        why = log.unavailable.removeprefix("logs unavailable: ")
        return f"; its logs are unavailable ({why})", {"logs": [], "logsUnavailable": log.unavailable}
    if not log.lines:
        return "; it logged nothing", {"logs": []}
    return f"; last log line: {log.lines[-1]}", {"logs": list(log.lines)}


def explain_pods(d: LiveDiagnosis, component: str, ref: ObjRef, report: FailureReport) -> None:
    logs = {(log.pod, log.container): log for log in report.logs}
    seen: set[tuple[str, str]] = set()
    for pod in report.pods:
        if pod.health.reason.startswith("not scheduled:"):
            key = ("unschedulable", parse_scheduling_message(pod.health.reason.split(":", 1)[1]).summary)
            if key not in seen:
                seen.add(key)
                explain_unschedulable(d, component, ref, pod)
            continue
        container = pod.failing_container  # a failing one, else one that keeps restarting
        if container is None:
            continue
        key = ("CrashLoopBackOff" if restarting(container) else container.reason or "failed", container.name)
        if key in seen:
            continue
        seen.add(key)
        explain_container(d, component, ref, pod, container, logs.get((pod.name, container.name)))


def explain_container(
    d: LiveDiagnosis, component: str, ref: ObjRef, pod: PodSummary, c: ContainerSummary, log: LogTail | None
) -> None:
    label = f"{'init container' if c.init else 'container'} {c.name} of pod {pod.name}"
    if c.reason in IMAGE_PULL_REASONS:
        image_pull(d, component, ref, pod, c, label)
    elif restarting(c):
        code = c.last_exit_code
        sentence, details = log_text(log)
        d.add(
            "error",
            "init-container" if c.init else "crash-loop",
            component,
            str(ref),
            f"{label} keeps crashing (CrashLoopBackOff): last exit code {code}, "
            f"{counted(c.restart_count, 'restart')}{sentence}",
            exit_fix(code),
            exitCode=code,
            restarts=c.restart_count,
            **details,
        )
    elif c.init:
        sentence, details = log_text(log)
        d.add(
            "error",
            "init-container",
            component,
            str(ref),
            f"{label} failed with exit code {c.exit_code} ({c.reason or 'Error'}), so the pod never starts" + sentence,
            f"fix what init container {c.name} does (its command, or the service it waits for); "
            + exit_fix(c.exit_code),
            exitCode=c.exit_code,
            container=c.name,
            **details,
        )
    elif c.reason in CONFIG_REASONS:
        d.add(
            "error",
            "container-config",
            component,
            str(ref),
            f"{label} cannot be created ({c.reason}): {c.message or 'no message'}",
            "create the Secret/ConfigMap (or key) it references, or fix the reference in values",
        )


def image_pull(d: LiveDiagnosis, component: str, ref: ObjRef, pod: PodSummary, c: ContainerSummary, label: str) -> None:
    image = c.image or "?"
    host = registry_host(image)
    spec = _map((get_object(d.client, ObjRef("v1", "Pod", pod.name, pod.namespace)) or {}).get("spec"))
    secrets = [str(_map(s).get("name")) for s in _list(spec.get("imagePullSecrets"))]
    account = str(spec.get("serviceAccountName") or "default")
    sa = get_object(d.client, ObjRef("v1", "ServiceAccount", account, pod.namespace)) or {}
    secrets += [str(_map(s).get("name")) for s in _list(sa.get("imagePullSecrets"))]
    missing = [s for s in secrets if get_object(d.client, ObjRef("v1", "Secret", s, pod.namespace)) is None]
    if not secrets:
        pull_text = "no pull secret is referenced"
    elif missing:
        pull_text = f"pull secret {', '.join(missing)} is referenced but does not exist"
    else:
        pull_text = f"pull secret {', '.join(secrets)} is referenced and exists"
    registry = d.session.platform.spec.registry
    if missing:
        fix = f"create pull secret {missing[0]} in namespace {pod.namespace} (or fix the reference in values)"
    elif registry is not None and not image.startswith(registry.url.rstrip("/") + "/"):
        fix = (
            f"check the image name and tag exist; the platform's registry is {registry.url}, "
            "so pointing the component's image values there may be what was meant"
        )
    elif not secrets and host != "docker.io":
        fix = f"check the image exists at {host}; if {host} needs credentials, set spec.registry.credentials"
    else:
        fix = f"check that {image} exists (name and tag) and that the nodes can reach {host}"
    d.add(
        "error",
        "image-pull",
        component,
        str(ref),
        f"{label} cannot pull image {image} from {host} ({c.reason}"
        + (f": {c.message}" if c.message else "")
        + f"); {pull_text}",
        fix,
        image=image,
        registry=host,
        pullSecrets=secrets,
    )


def restarting(c: ContainerSummary) -> bool:
    """Crash-looping, caught in back-off or in one of its short runs between back-offs."""
    return c.reason == "CrashLoopBackOff" or (not c.failing and c.restart_count > 0 and bool(c.last_exit_code))


def exit_fix(code: int | None) -> str:
    if code == 137:
        return "exit code 137 means it was killed (often out of memory): raise its memory limit in values"
    if code == 127:
        return "exit code 127 means the command was not found: check the image and command in values"
    if code == 126:
        return "exit code 126 means the command is not executable: check the image and command in values"
    return "read its logs (kubectl logs --previous) and fix the configuration or values it fails on"
