"""Why a pod is Pending: what the scheduler's message says (not enough of a resource on any node,
an unbound claim, a node selector matching no node, untolerated taints, volumes on unusable
nodes), each with what to change."""

from __future__ import annotations

from helmdeck.cluster import ObjRef
from helmdeck.cluster.pods import PodSummary
from helmdeck.doctor.live.context import LiveDiagnosis
from helmdeck.doctor.live.pending_claims import claim_problem
from helmdeck.doctor.rules.capacity import GPU_RESOURCES
from helmdeck.doctor.rules.scheduling import parse_scheduling_message

#: scheduler phrases that need no more than the message: (any of the phrases, what it means, the fix)
_PLAIN_CAUSES = (
    (
        ("node affinity/selector",),
        "its nodeSelector or node affinity matches no node",
        "compare the nodeSelector/affinity in values with the nodes' labels (kubectl get nodes --show-labels)",
    ),
    (
        ("untolerated taint",),
        "the nodes carry taints it does not tolerate",
        "add the matching tolerations in values, or remove the taint from the nodes",
    ),
    (
        ("volume node affinity conflict", "didn't find available persistent"),
        "its volumes are on nodes it cannot use",
        "check the PersistentVolumes' node affinity against the pod's node selection",
    ),
)


def explain_unschedulable(d: LiveDiagnosis, component: str, ref: ObjRef, pod: PodSummary) -> None:
    message = pod.health.reason.removeprefix("not scheduled:").strip()
    failure = parse_scheduling_message(message)
    obj, details = str(ref), {"scheduler": message, "pod": pod.name}
    short = failure.summary
    before = len(d.report.findings)
    for resource in failure.insufficient:
        most = d.most_on_one_node(resource)
        if resource in GPU_RESOURCES and most <= 0:
            fix = f"add a node offering {resource} (with its device plugin), or remove the GPU request"
        else:
            fix = (
                f"lower the component's {resource} requests (the most one node has is {most.normalize():f}), "
                "free capacity, or add nodes"
            )
        d.add(
            "error",
            "unschedulable",
            component,
            obj,
            f"pod {pod.name} is Pending: not enough {resource} on any node ({short})",
            fix,
            **details,
        )
    if failure.mentions("unbound immediate PersistentVolumeClaims") or failure.mentions("persistentvolumeclaim"):
        _explain_claims(d, component, obj, pod, details)
    for phrases, meaning, fix in _PLAIN_CAUSES:
        if any(failure.mentions(phrase) for phrase in phrases):
            reason = f"pod {pod.name} is Pending: {meaning} ({short})"
            d.add("error", "unschedulable", component, obj, reason, fix, **details)
    if len(d.report.findings) == before:
        d.add(
            "error",
            "unschedulable",
            component,
            obj,
            f"pod {pod.name} is Pending: {short}",
            "see kubectl describe pod " + f"{pod.name} -n {pod.namespace}",
            **details,
        )


def _explain_claims(d: LiveDiagnosis, component: str, obj: str, pod: PodSummary, details: dict[str, str]) -> None:
    """The pod waits for its claims: why each that is not bound is not."""
    for claim in pod.claims:
        problem = claim_problem(d, pod.namespace, claim, has_pod=True)
        if problem is None:
            continue
        if ObjRef("v1", "PersistentVolumeClaim", claim, pod.namespace) in d.release_objects:
            # the claim has a finding of its own; the pod's says what it waits for
            reason = f"pod {pod.name} is Pending until claim {claim} binds: {problem.reason}"
            d.add("error", "unschedulable", component, obj, reason, problem.fix, **details)
        else:  # a StatefulSet's volumeClaimTemplate, or a claim from elsewhere
            reason = f"pod {pod.name} is Pending: {problem.reason}"
            d.add(
                problem.severity,
                "claim-unbound",
                component,
                obj,
                reason,
                problem.fix,
                **problem.details,
                **details,
            )
