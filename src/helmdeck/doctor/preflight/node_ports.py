"""Preflight of the node ports the platform's Services ask for: inside the cluster's range, and not
taken by another Service.

The API server's dry run does not check either (it skips node port allocation, where both checks
live: kubernetes/kubernetes#75540), so a NodePort out of range passed every check and failed the
install halfway through a deploy. The range is the kube-apiserver's ``--service-node-port-range``
when its pod is visible (kubeadm and most distributions run it as a static pod), else Kubernetes'
default, widened to node ports the cluster has already given out (a cluster that allocated them
takes them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from helmdeck.cluster import list_objects
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.preflight.dry_run import value_origin
from helmdeck.doctor.preflight.run import PreflightRun
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.errors import HelmdeckError

CHECK = "node-ports"
DEFAULT_RANGE = (30000, 32767)
_RANGE_FLAG = re.compile(r"--service-node-port-range[= ](\d+)-(\d+)")


def check_node_ports(run: PreflightRun, view: PlatformView) -> None:
    assert run.client is not None
    wanted = [
        (placed, i, port)
        for placed in view
        if placed.key.group == "" and placed.key.kind == "Service"
        for i, port in _node_ports(placed.obj.body)
    ]
    if not wanted:
        return
    run.report.checks.append(CHECK)
    services = run.listed("list Services", "v1", "Service", "node port checks")
    if services is None:
        return
    taken: dict[int, str] = {}
    for svc in services:
        meta = svc.get("metadata") or {}
        for _i, port in _node_ports(svc):
            taken[port] = f"{meta.get('namespace')}/{meta.get('name')}"
    low, high, source = node_port_range(run, taken)
    asked: dict[int, str] = {}
    for placed, i, port in wanted:
        own = f"{placed.key.namespace}/{placed.key.name}"
        field_path = f"spec.ports[{i}].nodePort"
        if not low <= port <= high:
            problem = f"{field_path}: {port} is outside the cluster's node port range {low}-{high} ({source})"
            fix = f"use a port in {low}-{high}, or leave nodePort out so the cluster picks one"
        elif taken.get(port, own) != own:
            problem = f"{field_path}: {port} is taken by Service {taken[port]}"
            fix = "use another port, or leave nodePort out so the cluster picks one"
        elif asked.get(port, own) != own:
            problem = f"{field_path}: {port} is asked for by Service {asked[port]} of this platform too"
            fix = "give each Service its own node port"
        else:
            asked[port] = own
            continue
        component = view.components[placed.component]
        origin = (
            value_origin([(field_path, f"Invalid value: {port}: ")], component.desired) if component.desired else None
        )
        if origin is not None:
            problem += f" (values key {origin[0]}, set in {origin[1]})"
            fix = f"change {origin[0]} in {origin[1]}: " + fix
        run.report.add(
            Finding("error", CHECK, placed.component, str(placed.ref), problem, fix, template=placed.obj.source or None)
        )


def node_port_range(run: PreflightRun, taken: Mapping[int, str]) -> tuple[int, int, str]:
    """The cluster's node port range and where it was learnt."""
    assert run.client is not None
    try:
        pods = list(
            list_objects(run.client, "v1", "Pod", namespace="kube-system", labels={"component": "kube-apiserver"})
        )
    except HelmdeckError:
        pods = []  # may not be read: fall back to the default
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or []:
            found = _RANGE_FLAG.search(
                " ".join(str(a) for a in [*(container.get("command") or []), *(container.get("args") or [])])
            )
            if found:
                return int(found.group(1)), int(found.group(2)), "the kube-apiserver's --service-node-port-range"
    low, high = DEFAULT_RANGE
    if taken and (min(taken) < low or max(taken) > high):
        return min(low, *taken), max(high, *taken), "Kubernetes' default, widened to the node ports in use"
    return low, high, "Kubernetes' default --service-node-port-range"


def _node_ports(service: Mapping[str, Any]) -> Iterable[tuple[int, int]]:
    spec = service.get("spec")
    if not isinstance(spec, Mapping) or spec.get("type") not in ("NodePort", "LoadBalancer"):
        return
    for i, port in enumerate(spec.get("ports") or []):
        if isinstance(port, Mapping) and isinstance(port.get("nodePort"), int) and port["nodePort"]:
            yield i, int(port["nodePort"])
