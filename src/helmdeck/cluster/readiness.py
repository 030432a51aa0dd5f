"""kstatus-style readiness: from an object as the API returns it (a dict) to a Health.

Pure functions, no client: the health gate feeds them objects from its watches, ``status`` from
its lists, and the tests feed them literal dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from helmdeck.serialize import JsonObject, json_field

State = Literal["ready", "progressing", "failed", "unknown"]

# Waiting reasons a container does not leave by waiting (kubelet keeps retrying, nothing changes).
FAILING_WAIT_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


@dataclass(frozen=True)
class Health(JsonObject):
    state: State
    reason: str = ""
    # A failure that waiting cannot heal (Job failed, deadline exceeded): no grace period applies.
    terminal: bool = field(default=False, metadata=json_field(exclude=True))
    # An "unknown" that waiting cannot resolve (a custom resource nobody reports status for): the
    # gate does not wait on it, but it is never counted as healthy either.
    blocking: bool = field(default=True, metadata=json_field(exclude=True))
    # which rule judged the object ("kstatus: Deployment", "platform rule: traefik.io/Middleware"):
    # status names it, so an operator can tell a verdict from the rule that reached it
    rule: str = ""

    @property
    def settled(self) -> bool:
        """Nothing more to wait for: ready, or unknown for good."""
        return self.ready or (self.state == "unknown" and not self.blocking)

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    @property
    def missing(self) -> bool:
        """The object of a release is gone from the cluster (kstatus: NotFound)."""
        return self.rule == MISSING_RULE


def with_rule(state: Health, rule: str) -> Health:
    """``state`` naming ``rule``, unless a more particular rule named itself already."""
    return state if state.rule else replace(state, rule=rule)


def derived(base: Health, state: Health) -> Health:
    """``state`` (worked out from ``base``: its pods, its grace period) under ``base``'s rule."""
    return with_rule(state, base.rule)


MISSING_RULE = "kstatus: NotFound"
MISSING_REASON = "missing: deleted outside helmdeck (a deploy creates it again)"
NO_STATUS_BY_DESIGN = "no status by design (CRD has no status subresource)"


def missing() -> Health:
    """An object of a deployed release that is not in the cluster: someone deleted it."""
    return Health("failed", MISSING_REASON, rule=MISSING_RULE)


def not_created_yet() -> Health:
    """An object of a release whose install or upgrade is still under way."""
    return Health("progressing", "does not exist yet", rule=MISSING_RULE)


def ready(reason: str = "") -> Health:
    return Health("ready", reason)


def progressing(reason: str) -> Health:
    return Health("progressing", reason)


def failed(reason: str, *, terminal: bool = False) -> Health:
    return Health("failed", reason, terminal)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def condition(obj: Mapping[str, Any], cond_type: str) -> Mapping[str, Any] | None:
    for cond in _list(_map(obj.get("status")).get("conditions")):
        if isinstance(cond, Mapping) and cond.get("type") == cond_type:
            return cond
    return None


def _is_true(cond: Mapping[str, Any] | None) -> bool:
    return cond is not None and cond.get("status") == "True"


def condition_true(obj: Mapping[str, Any], cond_type: str) -> bool:
    """Whether ``obj`` reports the condition (``Ready`` of a Node, say) as True."""
    return _is_true(condition(obj, cond_type))


def _is_false(cond: Mapping[str, Any] | None) -> bool:
    return cond is not None and cond.get("status") == "False"


def _cond_text(cond: Mapping[str, Any]) -> str:
    reason, message = cond.get("reason") or "", cond.get("message") or ""
    if reason and message:
        return f"{reason}: {message}"
    return str(reason or message or cond.get("type", ""))


def _generation_pending(obj: Mapping[str, Any]) -> Health | None:
    generation = _map(obj.get("metadata")).get("generation")
    observed = _map(obj.get("status")).get("observedGeneration")
    if isinstance(generation, int) and (not isinstance(observed, int) or observed < generation):
        return progressing(f"waiting for the controller to observe generation {generation}")
    return None


def deployment_health(obj: Mapping[str, Any]) -> Health:
    spec, status = _map(obj.get("spec")), _map(obj.get("status"))
    # a condition from before the controller saw the latest spec says nothing about it
    pending = _generation_pending(obj)
    if pending:
        return pending
    progress = condition(obj, "Progressing")
    if progress is not None and progress.get("reason") == "ProgressDeadlineExceeded":
        return failed(f"rollout stalled: {_cond_text(progress)}", terminal=True)
    replica_failure = condition(obj, "ReplicaFailure")
    if _is_true(replica_failure):
        assert replica_failure is not None
        # e.g. a quota or admission webhook rejecting the pods: retried, but rarely heals by itself
        return failed(f"cannot create pods: {_cond_text(replica_failure)}")
    if spec.get("paused"):
        return progressing("rollout is paused")
    want = _int(spec.get("replicas"), 1)
    updated = _int(status.get("updatedReplicas"))
    total = _int(status.get("replicas"))
    available = _int(status.get("availableReplicas"))
    if updated < want:
        return progressing(f"{updated}/{want} replicas updated")
    if total > updated:
        return progressing(f"{total - updated} old replicas pending termination")
    if available < want:
        return progressing(f"{available}/{want} replicas available")
    return ready(f"{available}/{want} replicas available")


def statefulset_health(obj: Mapping[str, Any]) -> Health:
    spec, status = _map(obj.get("spec")), _map(obj.get("status"))
    pending = _generation_pending(obj)
    if pending:
        return pending
    want = _int(spec.get("replicas"), 1)
    ready_count = _int(status.get("readyReplicas"))
    strategy = _map(spec.get("updateStrategy"))
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        partition = _int(_map(strategy.get("rollingUpdate")).get("partition"))
        updated = _int(status.get("updatedReplicas"))
        if partition > 0:
            # a partitioned rollout is done once the pods above the partition are updated
            if updated < want - partition:
                return progressing(f"partitioned rollout: {updated}/{want - partition} replicas updated")
        elif status.get("updateRevision") and status.get("currentRevision") != status.get("updateRevision"):
            return progressing(f"rolling update: {updated}/{want} replicas updated")
    if ready_count < want:
        return progressing(f"{ready_count}/{want} replicas ready")
    if _int(status.get("replicas")) > want:
        return progressing(f"{_int(status.get('replicas')) - want} extra replicas pending termination")
    return ready(f"{ready_count}/{want} replicas ready")


def daemonset_health(obj: Mapping[str, Any]) -> Health:
    status = _map(obj.get("status"))
    pending = _generation_pending(obj)
    if pending:
        return pending
    desired = _int(status.get("desiredNumberScheduled"))
    updated = _int(status.get("updatedNumberScheduled"))
    available = _int(status.get("numberAvailable"))
    ready_count = _int(status.get("numberReady"))
    if updated < desired:
        return progressing(f"{updated}/{desired} pods updated")
    if ready_count < desired:
        return progressing(f"{ready_count}/{desired} pods ready")
    if available < desired:
        return progressing(f"{available}/{desired} pods available")
    return ready(f"{available}/{desired} pods available")


def replicaset_health(obj: Mapping[str, Any]) -> Health:
    spec, status = _map(obj.get("spec")), _map(obj.get("status"))
    pending = _generation_pending(obj)
    if pending:
        return pending
    failure = condition(obj, "ReplicaFailure")
    if _is_true(failure):
        assert failure is not None
        return failed(f"cannot create pods: {_cond_text(failure)}")
    want = _int(spec.get("replicas"), 1)
    available = _int(status.get("availableReplicas"))
    if available < want:
        return progressing(f"{available}/{want} replicas available")
    return ready(f"{available}/{want} replicas available")


def job_health(obj: Mapping[str, Any]) -> Health:
    spec, status = _map(obj.get("spec")), _map(obj.get("status"))
    for cond_type in ("Failed", "FailureTarget"):
        cond = condition(obj, cond_type)
        if _is_true(cond):
            assert cond is not None
            return failed(f"job failed: {_cond_text(cond)}", terminal=True)
    if _is_true(condition(obj, "Complete")):
        return ready(f"complete ({_int(status.get('succeeded'))} succeeded)")
    if spec.get("suspend") is True:
        return progressing("job is suspended")
    completions = _int(spec.get("completions"), 1)
    active = _int(status.get("active"))
    succeeded = _int(status.get("succeeded"))
    failures = _int(status.get("failed"))
    text = f"{succeeded}/{completions} completions, {active} running"
    if failures:
        text += f", {failures} failed attempts (backoffLimit {_int(spec.get('backoffLimit'), 6)})"
    return progressing(text)


def pvc_health(obj: Mapping[str, Any], *, wait_for_first_consumer: bool = False) -> Health:
    """A claim is ready once Bound; with a WaitForFirstConsumer class an unclaimed-by-pod claim is
    ready too, since it binds only when a pod (perhaps of another component) uses it."""
    status = _map(obj.get("status"))
    phase = status.get("phase")
    if phase == "Bound":
        return ready("bound")
    if phase == "Lost":
        # not terminal: the PV controller binds the claim again when its volume reappears
        return failed("claim lost its volume")
    annotations = _map(_map(obj.get("metadata")).get("annotations"))
    selected_node = annotations.get("volume.kubernetes.io/selected-node")
    if wait_for_first_consumer and not selected_node:
        return ready("binds when its first pod is scheduled (WaitForFirstConsumer)")
    if selected_node:
        return progressing(f"waiting for a volume to be provisioned on node {selected_node}")
    return progressing("waiting for claim to bind")


def crd_health(obj: Mapping[str, Any]) -> Health:
    names = condition(obj, "NamesAccepted")
    if _is_false(names):
        assert names is not None
        return failed(f"names not accepted: {_cond_text(names)}", terminal=True)
    if _is_true(condition(obj, "Established")):
        return ready("established")
    return progressing("waiting for the CRD to be established")


def service_health(obj: Mapping[str, Any], *, require_lb_address: bool = False) -> Health:
    spec = _map(obj.get("spec"))
    if spec.get("type") != "LoadBalancer" or not require_lb_address:
        return ready()
    ingress = _list(_map(_map(obj.get("status")).get("loadBalancer")).get("ingress"))
    addresses = [str(i.get("ip") or i.get("hostname")) for i in ingress if isinstance(i, Mapping)]
    if addresses:
        return ready(f"load balancer at {', '.join(addresses)}")
    return progressing("waiting for a load balancer address")


def _container_failure(status: Mapping[str, Any], *, init: bool) -> str | None:
    label = f"init container {status.get('name')}" if init else f"container {status.get('name')}"
    state = _map(status.get("state"))
    waiting = _map(state.get("waiting"))
    last_terminated = _map(_map(status.get("lastState")).get("terminated"))
    reason = waiting.get("reason")
    if reason in FAILING_WAIT_REASONS:
        text = f"{label}: {reason}"
        if reason == "CrashLoopBackOff" and last_terminated:
            text += f" (last exit code {last_terminated.get('exitCode')}"
            text += f", {_int(status.get('restartCount'))} restarts)"
        elif waiting.get("message"):
            text += f": {waiting.get('message')}"
        return text
    terminated = _map(state.get("terminated"))
    if init and terminated and _int(terminated.get("exitCode")) != 0:
        code, why = terminated.get("exitCode"), terminated.get("reason") or "Error"
        return f"{label} failed with exit code {code} (Init:{why})"
    return None


# Scheduler messages that describe a wait, not a pod that no node can take.
_TRANSIENT_UNSCHEDULABLE = ("unbound immediate PersistentVolumeClaims", "waiting for", "being deleted")


def unschedulable(pod: Mapping[str, Any]) -> str | None:
    """The scheduler's reason when it found no node for the pod (no node fits its requests,
    selectors or taints, a claim it mounts does not exist), or None."""
    cond = condition(pod, "PodScheduled")
    if not _is_false(cond) or cond is None or cond.get("reason") != "Unschedulable":
        return None
    message = str(cond.get("message") or "no node can run it")
    if any(part in message for part in _TRANSIENT_UNSCHEDULABLE):
        return None
    return f"cannot be scheduled: {message}"


def pod_failure(pod: Mapping[str, Any]) -> str | None:
    """Why a pod will not become ready by waiting (container state), or None."""
    status = _map(pod.get("status"))
    for init_status in _list(status.get("initContainerStatuses")):
        if isinstance(init_status, Mapping) and (text := _container_failure(init_status, init=True)):
            return text
    for container in _list(status.get("containerStatuses")):
        if isinstance(container, Mapping) and (text := _container_failure(container, init=False)):
            return text
    return None


def _pod_waiting(pod: Mapping[str, Any]) -> str:
    status = _map(pod.get("status"))
    scheduled = condition(pod, "PodScheduled")
    if _is_false(scheduled):
        assert scheduled is not None
        return f"not scheduled: {scheduled.get('message') or scheduled.get('reason') or 'pending'}"
    for init_status in _list(status.get("initContainerStatuses")):
        if isinstance(init_status, Mapping) and not _map(_map(init_status.get("state")).get("terminated")):
            return f"init container {init_status.get('name')} running"
    not_ready = []
    for container in _list(status.get("containerStatuses")):
        if not isinstance(container, Mapping) or container.get("ready"):
            continue
        waiting = _map(_map(container.get("state")).get("waiting"))
        if waiting.get("reason"):
            not_ready.append(f"{container.get('name')} ({waiting.get('reason')})")
        else:
            not_ready.append(str(container.get("name")))
    if not_ready:
        return "containers not ready: " + ", ".join(not_ready)
    return f"pod {str(status.get('phase') or 'Pending').lower()}"


def _pod_failed_text(pod: Mapping[str, Any]) -> str:
    status = _map(pod.get("status"))
    if status.get("reason"):  # Evicted, DeadlineExceeded, ...
        return _cond_text(status)
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in _list(status.get(key)):
            terminated = _map(_map(_map(container).get("state")).get("terminated"))
            if terminated and _int(terminated.get("exitCode")) != 0:
                text = f"container {container.get('name')} exited with code {terminated.get('exitCode')}"
                return text + (f" ({terminated['reason']})" if terminated.get("reason") else "")
    return str(status.get("message") or "phase Failed")


def pod_health(pod: Mapping[str, Any]) -> Health:
    status = _map(pod.get("status"))
    phase = status.get("phase")
    if _map(pod.get("metadata")).get("deletionTimestamp"):
        return progressing("terminating")
    if phase == "Succeeded":
        return ready("completed")
    if phase == "Failed":
        return failed(f"pod failed: {_pod_failed_text(pod)}", terminal=True)
    failure = pod_failure(pod)
    if failure:
        return failed(failure)
    if _is_true(condition(pod, "Ready")):
        return ready("running and ready")
    return progressing(_pod_waiting(pod))


#: API groups of Kubernetes itself whose kinds have no status to wait for (ConfigMap, RBAC, ...).
_BUILTIN_GROUPS = frozenset({"", "apps", "batch", "autoscaling", "policy", "extensions"})


def is_builtin_group(group: str) -> bool:
    return group in _BUILTIN_GROUPS or (group.endswith(".k8s.io") and not group.startswith(("gateway.", "snapshot.")))


_FAILED_PHASES = frozenset({"Failed", "Error", "Degraded"})
_READY_PHASES = frozenset({"Ready", "Running", "Succeeded", "Active", "Available", "Bound", "Healthy", "Established"})


def generic_health(obj: Mapping[str, Any], *, status_subresource: bool | None = None) -> Health:
    """Custom resources: kstatus conventions on status.conditions (or a conventional status.phase).

    ``status_subresource``: whether the kind's CRD declares a status (None: no CRD was read, as for
    an aggregated API). A status declared by the CRD is waited for; a CRD without one says the kind
    never reports status, so the object is healthy once it exists. Built-in kinds without status
    (ConfigMap, Secret, RBAC...) are ready once they exist. With nothing known, a custom resource
    whose status says nothing is *unknown*: existing proves nothing about whether its operator
    accepted it."""
    status = _map(obj.get("status"))
    if "observedGeneration" in status:
        # a status from before the controller saw the latest spec says nothing about it
        pending = _generation_pending(obj)
        if pending:
            return pending
    stalled = condition(obj, "Stalled")
    if _is_true(stalled):
        assert stalled is not None
        return failed(f"stalled: {_cond_text(stalled)}")
    has_conditions = False
    for cond_type in ("Ready", "Available"):
        cond = condition(obj, cond_type)
        if cond is None:
            continue
        has_conditions = True
        if _is_true(cond):
            return ready(_cond_text(cond) if cond.get("reason") else cond_type.lower())
        if _is_false(cond):
            return progressing(f"{cond_type} is False: {_cond_text(cond)}")
    reconciling = condition(obj, "Reconciling")
    if _is_true(reconciling):
        assert reconciling is not None
        return progressing(f"reconciling: {_cond_text(reconciling)}")
    if has_conditions:
        return progressing("waiting for the Ready condition")
    if is_builtin_group(group_of(str(obj.get("apiVersion", "")))):
        return ready("exists")
    phase = status.get("phase") or status.get("state")
    if isinstance(phase, str) and phase:
        if phase in _FAILED_PHASES:
            return failed(f"phase {phase}" + (f": {status['message']}" if status.get("message") else ""))
        if phase in _READY_PHASES:
            return ready(f"phase {phase}")
        return progressing(f"phase {phase}")
    if status_subresource is False and not status:
        return Health("ready", "exists", rule=NO_STATUS_BY_DESIGN)
    if status_subresource is not None:
        if not status:
            return progressing("waiting for its controller to report a status (its CRD declares one)")
        # kstatus: a status without conditions that contradict it is current
        return ready("its status reports no Ready condition or phase to wait for")
    why = "reports no status" if not status else "has a status without a Ready condition or phase"
    return Health("unknown", f"{why}; its health cannot be known", blocking=False)


class KindRule(Protocol):
    """A health rule the platform file gives for some kinds (see :mod:`helmdeck.cluster.health_rules`)."""

    def judge(self, obj: Mapping[str, Any]) -> Health | None:
        """The object's health by the platform's rule for its kind; None when it has none."""


@dataclass(frozen=True)
class KindContracts:
    """What decides health besides the object itself: the platform file's rules per kind, and
    whether each custom kind's CRD declares a status subresource, by (apiVersion, kind)."""

    rules: KindRule | None = None
    status_subresource: Mapping[tuple[str, str], bool] = field(default_factory=dict)


NO_CONTRACTS = KindContracts()


_KIND_RULES = {
    ("apps", "Deployment"): deployment_health,
    ("apps", "StatefulSet"): statefulset_health,
    ("apps", "DaemonSet"): daemonset_health,
    ("apps", "ReplicaSet"): replicaset_health,
    ("batch", "Job"): job_health,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): crd_health,
    ("", "Pod"): pod_health,
}


def health(
    obj: Mapping[str, Any],
    *,
    require_lb_address: bool = False,
    wait_for_first_consumer: bool = False,
    contracts: KindContracts = NO_CONTRACTS,
) -> Health:
    """The health of any object, by its kind's contract: the platform file's rule for the kind if
    it has one, else kstatus's rules for built-in kinds, else the generic conditions (with what
    the kind's CRD says about its status)."""
    kind = str(obj.get("kind"))
    api_version = str(obj.get("apiVersion", ""))
    group = group_of(api_version)
    meta = _map(obj.get("metadata"))
    if meta.get("deletionTimestamp") and kind == "Job" and group == "batch":
        finished = job_health(obj)
        if finished.ready or finished.failed:
            # its TTL removes a finished Job: what it did stays true while it goes
            return with_rule(finished, "kstatus: Job")
    if meta.get("deletionTimestamp") and kind != "Pod":
        waiting = ", ".join(str(f) for f in _list(meta.get("finalizers")))
        return Health(
            "unknown",
            "terminating (being deleted" + (f"; finalizers: {waiting})" if waiting else ")"),
            rule="kstatus: Terminating",
        )
    if contracts.rules is not None:
        judged = contracts.rules.judge(obj)
        if judged is not None:
            return judged
    rule = _KIND_RULES.get((group, kind))
    if rule is not None:
        return with_rule(rule(obj), f"kstatus: {kind}")
    if group == "" and kind == "PersistentVolumeClaim":
        return with_rule(pvc_health(obj, wait_for_first_consumer=wait_for_first_consumer), f"kstatus: {kind}")
    if group == "" and kind == "Service":
        return with_rule(service_health(obj, require_lb_address=require_lb_address), f"kstatus: {kind}")
    subresource = contracts.status_subresource.get((api_version, kind))
    if is_builtin_group(group):
        name = "kstatus: built-in kind"
    elif subresource is None:
        name = "kstatus: generic (CRD not read)"
    else:
        name = "kstatus: generic (CRD declares a status)" if subresource else "kstatus: generic"
    return with_rule(generic_health(obj, status_subresource=subresource), name)


WORKLOAD_KINDS = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("batch", "Job"),
    }
)


def is_workload(api_version: str, kind: str) -> bool:
    return (group_of(api_version), kind) in WORKLOAD_KINDS
