"""kstatus-style readiness: from an object as the API returns it (a dict) to a Health.

Pure functions, no client: the health gate feeds them objects from its watches, ``status`` from
its lists, and the tests feed them literal dicts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from helmdeck.cluster.health_state import (
    NO_STATUS_BY_DESIGN,
    Health,
    as_int,
    as_list,
    as_map,
    condition,
    condition_text,
    condition_true,
    failed,
    group_of,
    is_false,
    is_true,
    progressing,
    ready,
    true_condition,
    with_rule,
)
from helmdeck.cluster.pod_readiness import pod_health


def _generation_pending(obj: Mapping[str, Any]) -> Health | None:
    generation = as_map(obj.get("metadata")).get("generation")
    observed = as_map(obj.get("status")).get("observedGeneration")
    if isinstance(generation, int) and (not isinstance(observed, int) or observed < generation):
        return progressing(f"waiting for the controller to observe generation {generation}")
    return None


Rule = Callable[[Mapping[str, Any]], Health]


def _observed(rule: Rule) -> Rule:
    """``rule`` once the controller has observed the object's latest generation: a status (and its
    conditions) from before it says nothing about the latest spec."""

    @functools.wraps(rule)
    def checked(obj: Mapping[str, Any]) -> Health:
        return _generation_pending(obj) or rule(obj)

    return checked


def _counts(want: int, unit: str, counts: Sequence[tuple[int, str]]) -> Health:
    """Progressing at the first count short of ``want`` ("1/2 replicas updated"), else ready,
    saying the last count."""
    for count, what in counts:
        if count < want:
            return progressing(f"{count}/{want} {unit} {what}")
    count, what = counts[-1]
    return ready(f"{count}/{want} {unit} {what}")


@_observed
def deployment_health(obj: Mapping[str, Any]) -> Health:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    progress = condition(obj, "Progressing")
    if progress is not None and progress.get("reason") == "ProgressDeadlineExceeded":
        return failed(f"rollout stalled: {condition_text(progress)}", terminal=True)
    replica_failure = true_condition(obj, "ReplicaFailure")
    if replica_failure is not None:
        # e.g. a quota or admission webhook rejecting the pods: retried, but rarely heals by itself
        return failed(f"cannot create pods: {condition_text(replica_failure)}")
    if spec.get("paused"):
        return progressing("rollout is paused")
    want = as_int(spec.get("replicas"), 1)
    updated = as_int(status.get("updatedReplicas"))
    total = as_int(status.get("replicas"))
    available = as_int(status.get("availableReplicas"))
    if updated >= want and total > updated:
        return progressing(f"{total - updated} old replicas pending termination")
    return _counts(want, "replicas", [(updated, "updated"), (available, "available")])


@_observed
def statefulset_health(obj: Mapping[str, Any]) -> Health:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    want = as_int(spec.get("replicas"), 1)
    ready_count = as_int(status.get("readyReplicas"))
    strategy = as_map(spec.get("updateStrategy"))
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        partition = as_int(as_map(strategy.get("rollingUpdate")).get("partition"))
        updated = as_int(status.get("updatedReplicas"))
        if partition > 0:
            # a partitioned rollout is done once the pods above the partition are updated
            if updated < want - partition:
                return progressing(f"partitioned rollout: {updated}/{want - partition} replicas updated")
        elif status.get("updateRevision") and status.get("currentRevision") != status.get("updateRevision"):
            return progressing(f"rolling update: {updated}/{want} replicas updated")
    if ready_count >= want and as_int(status.get("replicas")) > want:
        return progressing(f"{as_int(status.get('replicas')) - want} extra replicas pending termination")
    return _counts(want, "replicas", [(ready_count, "ready")])


@_observed
def daemonset_health(obj: Mapping[str, Any]) -> Health:
    status = as_map(obj.get("status"))
    desired = as_int(status.get("desiredNumberScheduled"))
    updated = as_int(status.get("updatedNumberScheduled"))
    available = as_int(status.get("numberAvailable"))
    ready_count = as_int(status.get("numberReady"))
    return _counts(desired, "pods", [(updated, "updated"), (ready_count, "ready"), (available, "available")])


@_observed
def replicaset_health(obj: Mapping[str, Any]) -> Health:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    failure = true_condition(obj, "ReplicaFailure")
    if failure is not None:
        return failed(f"cannot create pods: {condition_text(failure)}")
    want = as_int(spec.get("replicas"), 1)
    return _counts(want, "replicas", [(as_int(status.get("availableReplicas")), "available")])


def job_health(obj: Mapping[str, Any]) -> Health:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    for cond_type in ("Failed", "FailureTarget"):
        cond = true_condition(obj, cond_type)
        if cond is not None:
            return failed(f"job failed: {condition_text(cond)}", terminal=True)
    if condition_true(obj, "Complete"):
        return ready(f"complete ({as_int(status.get('succeeded'))} succeeded)")
    if spec.get("suspend") is True:
        return progressing("job is suspended")
    completions = as_int(spec.get("completions"), 1)
    active = as_int(status.get("active"))
    succeeded = as_int(status.get("succeeded"))
    failures = as_int(status.get("failed"))
    text = f"{succeeded}/{completions} completions, {active} running"
    if failures:
        text += f", {failures} failed attempts (backoffLimit {as_int(spec.get('backoffLimit'), 6)})"
    return progressing(text)


def pvc_health(obj: Mapping[str, Any], *, wait_for_first_consumer: bool = False) -> Health:
    """A claim is ready once Bound; with a WaitForFirstConsumer class an unclaimed-by-pod claim is
    ready too, since it binds only when a pod (perhaps of another component) uses it."""
    status = as_map(obj.get("status"))
    phase = status.get("phase")
    if phase == "Bound":
        return ready("bound")
    if phase == "Lost":
        # not terminal: the PV controller binds the claim again when its volume reappears
        return failed("claim lost its volume")
    annotations = as_map(as_map(obj.get("metadata")).get("annotations"))
    selected_node = annotations.get("volume.kubernetes.io/selected-node")
    if wait_for_first_consumer and not selected_node:
        return ready("binds when its first pod is scheduled (WaitForFirstConsumer)")
    if selected_node:
        return progressing(f"waiting for a volume to be provisioned on node {selected_node}")
    return progressing("waiting for claim to bind")


def crd_health(obj: Mapping[str, Any]) -> Health:
    names = condition(obj, "NamesAccepted")
    if is_false(names):
        assert names is not None
        return failed(f"names not accepted: {condition_text(names)}", terminal=True)
    if condition_true(obj, "Established"):
        return ready("established")
    return progressing("waiting for the CRD to be established")


def service_health(obj: Mapping[str, Any], *, require_lb_address: bool = False) -> Health:
    spec = as_map(obj.get("spec"))
    if spec.get("type") != "LoadBalancer" or not require_lb_address:
        return ready()
    ingress = as_list(as_map(as_map(obj.get("status")).get("loadBalancer")).get("ingress"))
    addresses = [str(i.get("ip") or i.get("hostname")) for i in ingress if isinstance(i, Mapping)]
    if addresses:
        return ready(f"load balancer at {', '.join(addresses)}")
    return progressing("waiting for a load balancer address")


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
    status = as_map(obj.get("status"))
    if "observedGeneration" in status:
        # a status from before the controller saw the latest spec says nothing about it
        pending = _generation_pending(obj)
        if pending:
            return pending
    stalled = true_condition(obj, "Stalled")
    if stalled is not None:
        return failed(f"stalled: {condition_text(stalled)}")
    has_conditions = False
    for cond_type in ("Ready", "Available"):
        cond = condition(obj, cond_type)
        if cond is None:
            continue
        has_conditions = True
        if is_true(cond):
            return ready(condition_text(cond) if cond.get("reason") else cond_type.lower())
        if is_false(cond):
            return progressing(f"{cond_type} is False: {condition_text(cond)}")
    reconciling = true_condition(obj, "Reconciling")
    if reconciling is not None:
        return progressing(f"reconciling: {condition_text(reconciling)}")
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
    meta = as_map(obj.get("metadata"))
    if meta.get("deletionTimestamp") and kind == "Job" and group == "batch":
        finished = job_health(obj)
        if finished.ready or finished.failed:
            # its TTL removes a finished Job: what it did stays true while it goes
            return with_rule(finished, "kstatus: Job")
    if meta.get("deletionTimestamp") and kind != "Pod":
        waiting = ", ".join(str(f) for f in as_list(meta.get("finalizers")))
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
