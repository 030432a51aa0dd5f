"""Ingresses of the deployed platform against the cluster's other Ingresses: a host and path some
other Ingress already routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helmdeck.cluster import ObjRef, list_objects
from helmdeck.doctor.live.context import LiveDiagnosis
from helmdeck.doctor.rules.ingress import default_ingress_class, route_conflicts, routes_of
from helmdeck.errors import HelmdeckError


def ingress_conflicts(d: LiveDiagnosis, ours: list[tuple[str, ObjRef, Mapping[str, Any]]]) -> None:
    try:
        live = list(list_objects(d.client, "networking.k8s.io/v1", "Ingress"))
        classes = {
            str(c["metadata"]["name"]): c for c in list_objects(d.client, "networking.k8s.io/v1", "IngressClass")
        }
    except HelmdeckError:
        return
    default = default_ingress_class(classes)
    mine = {(r.namespace, r.name) for _, r, _ in ours}
    theirs = [
        route
        for obj in live
        if (obj["metadata"].get("namespace"), obj["metadata"]["name"]) not in mine
        for route in routes_of(obj, None, default)
    ]
    routes = [(name, str(ref), r) for name, ref, body in ours for r in routes_of(body, ref.namespace, default)]
    d.report.extend(route_conflicts(routes, theirs))
