"""Would a namespace's ResourceQuota or LimitRange reject the platform's pods and claims?

Each workload's pods (replicas x what one pod asks for, after LimitRange defaults) are added up
per namespace in deploy order and compared with what each quota has left (hard minus used). A
workload that already runs counts only by how much it grows, since its pods are in ``used``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from helmdeck.doctor.findings import Finding
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.doctor.rules.resources import (
    LimitRangeItem,
    Quantities,
    Quota,
    QuotaDemand,
    add,
    claim_violations,
    format_quantity,
    limit_range_violations,
    pod_quota_usage,
    pod_template,
    quantities,
    quota_shortfalls,
    with_defaults,
)
from helmdeck.manifests import PlacedObject

#: the live object of a rendered one, or None when it does not exist yet
LiveLookup = Callable[[PlacedObject], Mapping[str, Any] | None]

_QUOTA_FIX = (
    "raise the quota (kubectl -n {ns} edit resourcequota {name}) or lower the replicas or resource requests "
    "of component {component} in values"
)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _claim_usage(spec: Mapping[str, Any]) -> Quantities:
    storage = quantities(_map(spec.get("resources")).get("requests")).get("storage", Decimal(0))
    usage: Quantities = {"persistentvolumeclaims": Decimal(1), "count/persistentvolumeclaims": Decimal(1)}
    usage["requests.storage"] = storage
    cls = spec.get("storageClassName")
    if cls:
        usage[f"{cls}.storageclass.storage.k8s.io/requests.storage"] = storage
        usage[f"{cls}.storageclass.storage.k8s.io/persistentvolumeclaims"] = Decimal(1)
    return usage


def _workload_usage(
    body: Mapping[str, Any], items: Sequence[LimitRangeItem], daemon_nodes: int
) -> tuple[Quantities, Quantities]:
    """(all its pods together, one pod) in quota terms."""
    template = pod_template(body, daemon_nodes)
    if template is None:
        return {}, {}
    one = pod_quota_usage(with_defaults(template.containers, items))
    return add({}, one, template.count), one


def quota_demands(
    view: PlatformView,
    namespace: str,
    items: Sequence[LimitRangeItem],
    live: LiveLookup,
    *,
    daemon_nodes: int = 1,
) -> list[QuotaDemand]:
    """What each of the platform's objects in ``namespace`` adds to quota usage, in deploy order."""
    demands: list[QuotaDemand] = []
    for placed in view:
        if placed.key.namespace != namespace or placed.obj.is_hook:
            continue  # hooks run before or after the release's pods, not alongside them
        body = placed.obj.body
        template = pod_template(body, daemon_nodes)
        if placed.key.group == "" and placed.key.kind == "PersistentVolumeClaim":
            if live(placed) is None:
                demands.append(QuotaDemand(placed.component, str(placed.ref), _claim_usage(_map(body.get("spec")))))
            continue
        if template is None:
            continue
        usage, one = _workload_usage(body, items, daemon_nodes)
        current = live(placed)
        if current is not None:
            old_usage, _ = _workload_usage(current, items, daemon_nodes)
            usage = add(usage, old_usage, -1)
            one = {}  # its running pods already count; only growth matters
        pod = template
        demands.append(QuotaDemand(placed.component, str(placed.ref), usage, one, pod))
        if placed.key.kind == "StatefulSet" and current is None:
            for claim in _map(body.get("spec")).get("volumeClaimTemplates") or []:
                usage_per = _claim_usage(_map(_map(claim).get("spec")))
                demands.append(QuotaDemand(placed.component, str(placed.ref), add({}, usage_per, template.count)))
    return demands


def check_quotas(
    view: PlatformView,
    quotas: Mapping[str, Sequence[Quota]],
    limit_ranges: Mapping[str, Sequence[LimitRangeItem]],
    live: LiveLookup,
    *,
    daemon_nodes: int = 1,
) -> list[Finding]:
    """Findings for every namespace the platform places objects in that has quotas or LimitRanges."""
    findings: list[Finding] = []
    by_namespace: dict[str, list[PlacedObject]] = defaultdict(list)
    for placed in view:
        if placed.key.namespace:
            by_namespace[placed.key.namespace].append(placed)
    for namespace, placed_here in by_namespace.items():
        items = list(limit_ranges.get(namespace, ()))
        findings += _limit_range_findings(placed_here, items)
        namespace_quotas = list(quotas.get(namespace, ()))
        if not namespace_quotas:
            continue
        demands = quota_demands(view, namespace, items, live, daemon_nodes=daemon_nodes)
        for quota in namespace_quotas:
            findings += _explicit_findings(quota, placed_here, items)
            for short in quota_shortfalls(quota, demands):
                d = short.demand
                findings.append(
                    Finding(
                        "error",
                        "quota",
                        d.component,
                        d.object,
                        short.reason(),
                        _QUOTA_FIX.format(ns=quota.namespace, name=quota.name, component=d.component),
                        {
                            "quota": quota.source,
                            "resource": short.resource,
                            "needed": format_quantity(short.resource, short.needed),
                            "remaining": format_quantity(short.resource, short.remaining),
                        },
                    )
                )
    return findings


def _explicit_findings(
    quota: Quota, placed_here: Sequence[PlacedObject], items: Sequence[LimitRangeItem]
) -> list[Finding]:
    """A quota on cpu or memory rejects pods whose containers leave that resource unset."""
    out = []
    for placed in placed_here:
        template = pod_template(placed.obj.body)
        if template is None or not quota.matches(template):
            continue
        missing = quota.missing_explicit(with_defaults(template.containers, items))
        if missing:
            out.append(
                Finding(
                    "error",
                    "quota",
                    placed.component,
                    str(placed.ref),
                    f"{quota.source} tracks {', '.join(m.split(' ')[0] for m in missing)}, so it rejects pods "
                    f"whose containers do not set them: {'; '.join(missing)}",
                    "set resources.requests and resources.limits for every container in the component's values, "
                    f"or add a LimitRange with defaults to namespace {quota.namespace}",
                )
            )
    return out


def _limit_range_findings(placed_here: Sequence[PlacedObject], items: Sequence[LimitRangeItem]) -> list[Finding]:
    if not items:
        return []
    out = []
    for placed in placed_here:
        problems: list[str] = []
        template = pod_template(placed.obj.body)
        if template is not None:
            problems = limit_range_violations(with_defaults(template.containers, items), items)
        elif placed.key.group == "" and placed.key.kind == "PersistentVolumeClaim":
            spec = _map(placed.obj.body.get("spec"))
            size = quantities(_map(spec.get("resources")).get("requests")).get("storage")
            problems = claim_violations(placed.key.name, size, items)
        if problems:
            sources = sorted({i.source for i in items})
            out.append(
                Finding(
                    "error",
                    "limit-range",
                    placed.component,
                    str(placed.ref),
                    f"{', '.join(sources)} would reject it: {'; '.join(problems)}",
                    "change the component's resource requests/limits in values to fit the LimitRange, or ask the "
                    "namespace's admin to change the LimitRange",
                    {"problems": problems},
                )
            )
    return out
