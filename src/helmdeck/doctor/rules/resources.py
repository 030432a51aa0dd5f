"""Pod resource arithmetic: what a pod template asks for once the API server's defaults and a
namespace's LimitRanges apply, what a LimitRange rejects, and what a ResourceQuota has left.

Pure functions over objects as dicts (rendered manifests or live objects); quantities are
``Decimal`` (cores for cpu, bytes for memory and storage), parsed as the API server does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from helmdeck.cluster.quantities import parse_quantity
from helmdeck.manifests.objects import ManifestObject
from helmdeck.manifests.workloads import pod_spec

Quantities = dict[str, Decimal]

#: Resources a pod's containers must name when a quota tracks them (else the pod is rejected).
QUOTA_REQUIRES_EXPLICIT = ("cpu", "memory", "ephemeral-storage")
_BINARY = (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def quantities(raw: Any) -> Quantities:
    """A ``{resource: quantity}`` map (requests, limits, quota hard/used) as Decimals; entries
    that do not parse are left out (the API server would have rejected them)."""
    out: Quantities = {}
    for key, value in _map(raw).items():
        try:
            parsed = parse_quantity(str(value))
        except ValueError:
            continue
        if parsed is not None:
            out[str(key)] = parsed
    return out


def format_quantity(resource: str, value: Decimal) -> str:
    """``1500m`` / ``2`` for cpu, ``512Mi`` for memory and storage, a plain number otherwise."""
    name = resource.rsplit(".", 1)[-1] if resource.startswith(("requests.", "limits.")) else resource
    if name == "cpu":
        return str(int(value)) if value == int(value) else f"{int(value * 1000)}m"
    if name in ("memory", "storage", "ephemeral-storage") or name.endswith("requests.storage"):
        for suffix, size in _BINARY:
            if value >= size and value % size == 0:
                return f"{int(value // size)}{suffix}"
        return str(int(value)) if value == int(value) else str(value)
    return str(int(value)) if value == int(value) else str(value.normalize())


def add(a: Mapping[str, Decimal], b: Mapping[str, Decimal], times: int | Decimal = 1) -> Quantities:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, Decimal(0)) + value * times
    return out


@dataclass(frozen=True)
class ContainerResources:
    name: str
    init: bool
    requests: Quantities
    limits: Quantities


def containers_of(spec: Mapping[str, Any]) -> list[ContainerResources]:
    """The containers of a pod spec with their requests and limits; a request left out where a
    limit is given defaults to the limit, as the API server does."""
    out = []
    for list_name in ("initContainers", "containers"):
        for position, body in enumerate(_list(spec.get(list_name))):
            if not isinstance(body, Mapping):
                continue
            resources = _map(body.get("resources"))
            limits = quantities(resources.get("limits"))
            requests = {**limits, **quantities(resources.get("requests"))}
            name = str(body.get("name") or f"{list_name}[{position}]")
            out.append(ContainerResources(name, list_name == "initContainers", requests, limits))
    return out


@dataclass(frozen=True)
class LimitRangeItem:
    """One ``spec.limits`` entry of a LimitRange, named by its object for messages."""

    source: str  # "LimitRange ns/name"
    type: str  # Container | Pod | PersistentVolumeClaim
    max: Quantities = field(default_factory=dict)
    min: Quantities = field(default_factory=dict)
    default: Quantities = field(default_factory=dict)
    default_request: Quantities = field(default_factory=dict)
    max_ratio: Quantities = field(default_factory=dict)


def limit_range_items(limit_range: Mapping[str, Any]) -> list[LimitRangeItem]:
    meta = _map(limit_range.get("metadata"))
    source = f"LimitRange {meta.get('namespace')}/{meta.get('name')}"
    items = []
    for raw in _list(_map(limit_range.get("spec")).get("limits")):
        entry = _map(raw)
        items.append(
            LimitRangeItem(
                source,
                str(entry.get("type") or "Container"),
                quantities(entry.get("max")),
                quantities(entry.get("min")),
                quantities(entry.get("default")),
                quantities(entry.get("defaultRequest")),
                quantities(entry.get("maxLimitRequestRatio")),
            )
        )
    return items


def with_defaults(
    containers: Iterable[ContainerResources], items: Sequence[LimitRangeItem]
) -> list[ContainerResources]:
    """Containers as the LimitRanger admission plugin leaves them: missing limits from ``default``,
    missing requests from ``defaultRequest`` (the API server fills that from ``default``)."""
    out = []
    for c in containers:
        limits, requests = dict(c.limits), dict(c.requests)
        for item in items:
            if item.type != "Container":
                continue
            for key, value in item.default.items():
                limits.setdefault(key, value)
            for key, value in {**item.default, **item.default_request}.items():
                requests.setdefault(key, value)
        out.append(ContainerResources(c.name, c.init, requests, limits))
    return out


def pod_totals(containers: Sequence[ContainerResources]) -> tuple[Quantities, Quantities]:
    """A pod's effective requests and limits: the sum over its containers, or the largest init
    container where that is more (init containers run one at a time, before the others)."""
    totals: list[Quantities] = []
    for attr in ("requests", "limits"):
        total: Quantities = {}
        for c in containers:
            if not c.init:
                total = add(total, getattr(c, attr))
        for c in containers:
            if c.init:
                for key, value in getattr(c, attr).items():
                    total[key] = max(total.get(key, Decimal(0)), value)
        totals.append(total)
    return totals[0], totals[1]


def limit_range_violations(containers: Sequence[ContainerResources], items: Sequence[LimitRangeItem]) -> list[str]:
    """Why LimitRanges would reject a pod with these containers (defaults already applied)."""
    problems: list[str] = []
    for item in items:
        if item.type == "Container":
            for c in containers:
                problems += _bounds(f"container {c.name}", c.requests, c.limits, item, "Container")
        elif item.type == "Pod":
            requests, limits = pod_totals(containers)
            problems += _bounds("the pod", requests, limits, item, "Pod")
    for c in containers:
        for key, request in c.requests.items():
            limit = c.limits.get(key)
            if limit is not None and request > limit:
                problems.append(
                    f"container {c.name}: {key} request {format_quantity(key, request)} exceeds its limit "
                    f"{format_quantity(key, limit)} (a LimitRange default limit may have set it)"
                )
    return problems


def _bounds(who: str, requests: Quantities, limits: Quantities, item: LimitRangeItem, per: str) -> list[str]:
    out = []
    for key, top in item.max.items():
        limit = limits.get(key)
        if limit is None:
            out.append(
                f"{who}: {item.source} caps {key} at {format_quantity(key, top)} per {per}, but no {key} limit is set"
            )
        elif limit > top:
            out.append(
                f"{who}: {key} limit {format_quantity(key, limit)} exceeds the maximum "
                f"{format_quantity(key, top)} per {per} of {item.source}"
            )
    for key, bottom in item.min.items():
        request = requests.get(key)
        if request is None:
            out.append(f"{who}: {item.source} requires a {key} request of at least {format_quantity(key, bottom)}")
        elif request < bottom:
            out.append(
                f"{who}: {key} request {format_quantity(key, request)} is below the minimum "
                f"{format_quantity(key, bottom)} per {per} of {item.source}"
            )
    for key, ratio in item.max_ratio.items():
        request, limit = requests.get(key), limits.get(key)
        if request and limit and limit / request > ratio:
            out.append(
                f"{who}: {key} limit/request ratio {limit / request:.2f} exceeds {ratio} allowed by {item.source}"
            )
    return out


def claim_violations(claim_name: str, size: Decimal | None, items: Sequence[LimitRangeItem]) -> list[str]:
    out = []
    for item in items:
        if item.type != "PersistentVolumeClaim":
            continue
        top, bottom = item.max.get("storage"), item.min.get("storage")
        if size is not None and top is not None and size > top:
            out.append(
                f"claim {claim_name}: {format_quantity('storage', size)} exceeds the maximum "
                f"{format_quantity('storage', top)} of {item.source}"
            )
        if size is not None and bottom is not None and size < bottom:
            out.append(
                f"claim {claim_name}: {format_quantity('storage', size)} is below the minimum "
                f"{format_quantity('storage', bottom)} of {item.source}"
            )
    return out


# ------------------------------------------------------------------------------------------ pods


@dataclass(frozen=True)
class PodTemplate:
    """The pods one workload object runs: how many at once, and what each asks for."""

    count: int
    spec: Mapping[str, Any]
    containers: tuple[ContainerResources, ...]

    @property
    def priority_class(self) -> str | None:
        value = self.spec.get("priorityClassName")
        return str(value) if value else None

    @property
    def terminating(self) -> bool:
        """Quota scope Terminating: pods with an active deadline (Jobs that set one)."""
        return self.spec.get("activeDeadlineSeconds") is not None


def replicas(body: Mapping[str, Any], daemon_nodes: int = 1) -> int:
    """How many pods of a workload run at once: replicas, a Job's parallelism, a DaemonSet's nodes."""
    kind = body.get("kind")
    spec = _map(body.get("spec"))
    if kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"):
        value = spec.get("replicas", 1)
        return value if isinstance(value, int) and value >= 0 else 1
    if kind in ("Job", "CronJob"):
        job = _map(_map(spec.get("jobTemplate")).get("spec")) if kind == "CronJob" else spec
        parallelism = job.get("parallelism", 1)
        completions = job.get("completions")
        count = parallelism if isinstance(parallelism, int) and parallelism >= 0 else 1
        return min(count, completions) if isinstance(completions, int) else count
    if kind == "DaemonSet":
        return daemon_nodes
    return 1


def pod_template(body: Mapping[str, Any], daemon_nodes: int = 1) -> PodTemplate | None:
    """The pods of a workload object (built-in kinds), or None for objects that run none."""
    spec = pod_spec(ManifestObject(body=body, source=""))
    if spec is None:
        return None
    return PodTemplate(replicas(body, daemon_nodes), spec, tuple(containers_of(spec)))


# ----------------------------------------------------------------------------------------- quota


def pod_quota_usage(containers: Sequence[ContainerResources]) -> Quantities:
    """What one pod counts against a ResourceQuota, by the quota's resource names."""
    requests, limits = pod_totals(containers)
    usage: Quantities = {"pods": Decimal(1), "count/pods": Decimal(1)}
    for key, value in requests.items():
        usage[f"requests.{key}"] = value
        if key in QUOTA_REQUIRES_EXPLICIT:
            usage[key] = value
    for key, value in limits.items():
        usage[f"limits.{key}"] = value
    return usage


@dataclass(frozen=True)
class Quota:
    name: str
    namespace: str
    hard: Quantities
    used: Quantities
    scopes: tuple[str, ...] = ()
    # scopeSelector PriorityClass expressions: (operator, values)
    priority_expressions: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def source(self) -> str:
        return f"ResourceQuota {self.namespace}/{self.name}"

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> Quota:
        meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
        expressions = []
        for expr in _list(_map(spec.get("scopeSelector")).get("matchExpressions")):
            expr = _map(expr)
            if expr.get("scopeName") == "PriorityClass":
                expressions.append((str(expr.get("operator")), tuple(str(v) for v in _list(expr.get("values")))))
        scopes = tuple(str(s) for s in _list(spec.get("scopes")))
        scopes += tuple(
            str(_map(e).get("scopeName"))
            for e in _list(_map(spec.get("scopeSelector")).get("matchExpressions"))
            if _map(e).get("scopeName") != "PriorityClass"
        )
        return cls(
            name=str(meta.get("name", "")),
            namespace=str(meta.get("namespace", "")),
            hard=quantities(spec.get("hard")),
            used=quantities(status.get("used")),
            scopes=scopes,
            priority_expressions=tuple(expressions),
        )

    @property
    def scoped(self) -> bool:
        return bool(self.scopes or self.priority_expressions)

    def remaining(self, resource: str) -> Decimal:
        return self.hard[resource] - self.used.get(resource, Decimal(0))

    def matches(self, pod: PodTemplate) -> bool:
        """Whether this quota counts the pod (its scopes select it)."""
        requests, limits = pod_totals(pod.containers)
        best_effort = not requests and not limits
        for scope in self.scopes:
            if (
                (scope == "BestEffort" and not best_effort)
                or (scope == "NotBestEffort" and best_effort)
                or (scope == "Terminating" and not pod.terminating)
                or (scope == "NotTerminating" and pod.terminating)
                or scope == "CrossNamespacePodAffinity"  # rarely set by charts; not evaluated
            ):
                return False
        for operator, values in self.priority_expressions:
            name = pod.priority_class
            if (
                (operator == "In" and name not in values)
                or (operator == "NotIn" and name in values)
                or (operator == "Exists" and name is None)
                or (operator == "DoesNotExist" and name is not None)
            ):
                return False
        return True

    def missing_explicit(self, containers: Sequence[ContainerResources]) -> list[str]:
        """``requests.cpu``-style names this quota tracks that some container leaves unset."""
        missing = []
        for resource in QUOTA_REQUIRES_EXPLICIT:
            for prefix, attr in (("requests.", "requests"), ("", "requests"), ("limits.", "limits")):
                key = f"{prefix}{resource}"
                if key not in self.hard:
                    continue
                lacking = [c.name for c in containers if resource not in getattr(c, attr)]
                if lacking:
                    missing.append(f"{key} (not set for {', '.join(lacking)})")
        return missing


@dataclass(frozen=True)
class QuotaDemand:
    """What one object of the platform adds to a namespace's quota usage (negative where it
    replaces something bigger); ``per_pod`` is what each of its new pods needs at once."""

    component: str
    object: str
    usage: Quantities
    per_pod: Quantities = field(default_factory=dict)
    pod: PodTemplate | None = None


@dataclass(frozen=True)
class QuotaShortfall:
    demand: QuotaDemand
    quota: Quota
    resource: str
    needed: Decimal  # the platform's usage up to and including this object
    remaining: Decimal
    single_pod: bool = False  # not even one pod fits

    def reason(self) -> str:
        q, r = self.quota, self.resource

        def fmt(value: Decimal) -> str:
            return format_quantity(r, value)

        used = q.used.get(r, Decimal(0))
        if self.single_pod:
            return (
                f"{q.source} would reject its pods: one pod needs {r} {fmt(self.needed)} but only "
                f"{fmt(self.remaining)} of {fmt(q.hard[r])} is left ({fmt(used)} used)"
            )
        return (
            f"{q.source} would reject pods: the platform needs {r} {fmt(self.needed)} up to this object, "
            f"only {fmt(self.remaining)} of {fmt(q.hard[r])} is left ({fmt(used)} used)"
        )


def quota_shortfalls(quota: Quota, demands: Sequence[QuotaDemand]) -> list[QuotaShortfall]:
    """Where the platform's objects, added in order, first exceed what ``quota`` has left: one
    shortfall per resource, naming the object that crosses the line."""
    out: list[QuotaShortfall] = []
    total: Quantities = {}
    crossed: set[str] = set()
    for demand in demands:
        if demand.pod is not None and not quota.matches(demand.pod):
            continue
        if demand.pod is None and quota.scoped:
            continue  # scoped quotas only count pods
        total = add(total, demand.usage)
        for resource in quota.hard:
            if resource in crossed:
                continue
            remaining = quota.remaining(resource)
            one = demand.per_pod.get(resource)
            if one is not None and one > remaining:
                out.append(QuotaShortfall(demand, quota, resource, one, remaining, single_pod=True))
                crossed.add(resource)
            elif total.get(resource, Decimal(0)) > remaining:
                out.append(QuotaShortfall(demand, quota, resource, total[resource], remaining))
                crossed.add(resource)
    return out
