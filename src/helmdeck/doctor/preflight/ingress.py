"""Preflight of the platform's Ingresses against the cluster: the IngressClasses they name, and
hosts and paths other Ingresses of the cluster already route."""

from __future__ import annotations

from helmdeck.doctor.preflight.run import PreflightRun, by_name
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.doctor.rules.ingress import (
    check_ingress_classes,
    default_ingress_class,
    is_ingress,
    route_conflicts,
    routes_of,
)


def check_ingress(run: PreflightRun, view: PlatformView) -> None:
    client = run.client
    assert client is not None
    ingresses = [p for p in view if is_ingress(p.key.group, p.key.kind)]
    if not ingresses:
        return
    listed = run.listed("list IngressClasses", "networking.k8s.io/v1", "IngressClass", "ingress class checks")
    if listed is None:
        return
    classes = by_name(listed)
    run.report.extend(check_ingress_classes(ingresses, classes))
    live = run.listed(
        "list the cluster's Ingresses", "networking.k8s.io/v1", "Ingress", "the ingress host conflict check"
    )
    if live is None:
        return
    default = default_ingress_class(classes)
    ours_keys = {(p.key.namespace, p.key.name) for p in ingresses}
    theirs = [
        route
        for obj in live
        if (obj["metadata"].get("namespace"), obj["metadata"]["name"]) not in ours_keys
        for route in routes_of(obj, None, default)
    ]
    ours = [(p.component, str(p.ref), r) for p in ingresses for r in routes_of(p.obj.body, p.key.namespace, default)]
    run.report.extend(route_conflicts(ours, theirs))
