"""Does the whole platform fit? Each pod may fit some node (``capacity.py``) while all of them
together ask for more than the nodes have free: the last ones then stay Pending, and the deploy
fails at a health gate many minutes in. Here the requests of every pod the platform will run are
summed per node pool (the nodes its pods may use) and set against what those nodes have left once
the pods already running elsewhere are counted.

Free capacity is allocatable minus the requests of the pods bound to the node, leaving out the
platform's own namespaces (their pods are the ones a deploy replaces) and terminating pods. Packing is not simulated:
the sum is a bound, so a finding here is certain, and passing is not a promise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from helmdeck.cluster.health_state import as_map, condition_true
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.rules.capacity import is_gpu
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.doctor.rules.resources import Quantities, add, containers_of, format_quantity, pod_template, pod_totals
from helmdeck.doctor.rules.scheduling import allocatable, node_name, unplaceable, why_excluded
from helmdeck.wording import counted

_DONE_PHASES = ("Succeeded", "Failed")


def free_capacity(
    nodes: Sequence[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]], skip_namespaces: set[str]
) -> dict[str, Quantities]:
    """Allocatable minus the requests of the running pods bound to each Ready node."""
    free = {node_name(n): dict(allocatable(n)) for n in nodes if condition_true(n, "Ready")}
    for pod in pods:
        meta, spec = as_map(pod.get("metadata")), as_map(pod.get("spec"))
        node = spec.get("nodeName")
        if node not in free or meta.get("namespace") in skip_namespaces or meta.get("deletionTimestamp"):
            continue  # the deploy replaces its own pods; terminating ones are on their way out
        if as_map(pod.get("status")).get("phase") in _DONE_PHASES:
            continue
        requests, _ = pod_totals(containers_of(spec))
        free[str(node)] = add(free[str(node)], requests, -1)
    return free


@dataclass
class _Pool:
    nodes: tuple[str, ...]
    demand: Quantities = field(default_factory=dict)
    largest: list[tuple[Decimal, str, str]] = field(default_factory=list)  # (amount, resource, who)


def check_total_capacity(
    view: PlatformView, nodes: Sequence[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]
) -> list[Finding]:
    """An error per node pool (and resource) whose free capacity is less than the platform's pods ask."""
    usable = [n for n in nodes if condition_true(n, "Ready")]
    if not usable:
        return []
    reported = {r for n in usable for r in allocatable(n)}
    namespaces = {c.namespace for c in view.components.values()} | {p.ref.namespace for p in view if p.ref.namespace}
    free = free_capacity(usable, pods, namespaces)
    return _shortfalls(_pools(view, usable, reported), free)


def _pools(view: PlatformView, usable: Sequence[Mapping[str, Any]], reported: set[str]) -> list[_Pool]:
    """The platform's pods grouped by the nodes they may use, and all of them together where the
    groups overlap."""
    pools: dict[tuple[str, ...], _Pool] = {}
    for placed in view:
        if placed.key.kind == "DaemonSet":
            continue  # one pod per node, each where it fits
        template = pod_template(placed.obj.body)
        if template is None or template.count == 0:
            continue
        requests, _ = pod_totals(template.containers)
        checked = {r: q * template.count for r, q in requests.items() if q > 0 and (r in reported or is_gpu(r))}
        if not checked:
            continue
        per_pod = {r: q / template.count for r, q in checked.items()}
        if unplaceable(template.spec, per_pod, usable):
            continue  # no node could run even one: the per-pod check names it
        pool_nodes = tuple(sorted(node_name(n) for n in usable if why_excluded(template.spec, n) is None))
        pool = pools.setdefault(pool_nodes, _Pool(pool_nodes))
        pool.demand = add(pool.demand, checked)
        who = f"{placed.component} {placed.key.kind}/{placed.key.name} ({counted(template.count, 'pod')})"
        pool.largest += [(amount, resource, who) for resource, amount in checked.items()]
    groups = list(pools.values())
    if len(groups) > 1:  # pools that each fit may still not fit together where they overlap
        union = tuple(sorted({n for p in groups for n in p.nodes}))
        combined = _Pool(union, largest=[x for p in groups for x in p.largest])
        for p in groups:
            combined.demand = add(combined.demand, p.demand)
        groups.append(combined)
    return groups


def _shortfalls(groups: Sequence[_Pool], free: Mapping[str, Quantities]) -> list[Finding]:
    """An error per resource a pool wants more of than its nodes have free (once per resource)."""
    findings: list[Finding] = []
    reported_short: set[str] = set()
    for pool in groups:
        available: Quantities = {}
        for node in pool.nodes:
            available = add(available, {r: max(q, Decimal(0)) for r, q in free.get(node, {}).items()})
        for resource, wanted in sorted(pool.demand.items()):
            have = available.get(resource, Decimal(0))
            if wanted <= have or resource in reported_short:
                continue
            reported_short.add(resource)
            biggest = sorted((x for x in pool.largest if x[1] == resource), reverse=True)[:3]
            largest = "; ".join(f"{who} {format_quantity(resource, amount)}" for amount, _, who in biggest)
            findings.append(
                Finding(
                    "error",
                    "capacity",
                    None,
                    None,
                    f"the platform's pods ask for {format_quantity(resource, wanted)} {resource} in all on nodes "
                    f"{', '.join(pool.nodes)}, which have {format_quantity(resource, have)} free: "
                    f"{format_quantity(resource, wanted - have)} short, so some pods would stay Pending",
                    "add nodes (or bigger ones) to that pool, free capacity there, or lower replicas or "
                    "requests of the largest: " + largest,
                    {
                        "resource": resource,
                        "requested": str(wanted),
                        "free": str(have),
                        "nodes": list(pool.nodes),
                    },
                )
            )
    return findings
