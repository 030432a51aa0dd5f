"""Ingresses against the cluster: the IngressClass they name exists (or a default one does), and
no other Ingress in the cluster already routes the same host and path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from helmdeck.doctor.findings import Finding
from helmdeck.manifests import ManifestObject, ObjectKey, PlacedObject
from helmdeck.manifests.checks import INGRESS_CLASS_ANNOTATION, ingress_routes

DEFAULT_INGRESS_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def is_ingress(group: str, kind: str) -> bool:
    return kind == "Ingress" and group in ("networking.k8s.io", "extensions")


def class_of(body: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The IngressClass an Ingress names, and whether by the legacy annotation."""
    name = _map(body.get("spec")).get("ingressClassName")
    if name:
        return str(name), False
    annotation = _map(_map(body.get("metadata")).get("annotations")).get(INGRESS_CLASS_ANNOTATION)
    return (str(annotation), True) if annotation else (None, False)


def default_ingress_class(classes: Mapping[str, Mapping[str, Any]]) -> str | None:
    for name, obj in sorted(classes.items()):
        annotations = _map(_map(obj.get("metadata")).get("annotations"))
        if str(annotations.get(DEFAULT_INGRESS_CLASS_ANNOTATION, "")).lower() == "true":
            return name
    return None


def check_ingress_classes(ingresses: Iterable[PlacedObject], classes: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    findings: list[Finding] = []
    names = ", ".join(sorted(classes)) or "none"
    default = default_ingress_class(classes)
    for placed in ingresses:
        wanted, legacy = class_of(placed.obj.body)
        if wanted is None:
            if default is None:
                findings.append(
                    Finding(
                        "warning",
                        "ingress-class",
                        placed.component,
                        str(placed.ref),
                        "the Ingress names no IngressClass and the cluster has no default IngressClass, so "
                        "controllers may ignore it",
                        f"set ingressClassName in values (classes here: {names}), or mark a class default with the "
                        f"annotation {DEFAULT_INGRESS_CLASS_ANNOTATION}=true",
                    )
                )
            continue
        if wanted in classes:
            continue
        how = f"annotation {INGRESS_CLASS_ANNOTATION}" if legacy else "spec.ingressClassName"
        findings.append(
            Finding(
                # a controller may still honour the legacy annotation without an IngressClass object
                "warning" if legacy else "error",
                "ingress-class",
                placed.component,
                str(placed.ref),
                f"the Ingress names IngressClass {wanted} ({how}), which does not exist in the cluster",
                (
                    f"set the ingress class in values to one of: {names}; or install the ingress controller that "
                    f"provides class {wanted}"
                )
                if classes
                else f"the cluster has no IngressClass at all: install an ingress controller that provides {wanted}",
            )
        )
    return findings


@dataclass(frozen=True)
class Route:
    host: str
    path: str
    ingress_class: str | None
    owner: str  # "Ingress ns/name"


def routes_of(body: Mapping[str, Any], namespace: str | None, default_class: str | None) -> list[Route]:
    meta = _map(body.get("metadata"))
    name = str(meta.get("name", ""))
    ns = str(meta.get("namespace") or namespace or "")
    placed = PlacedObject("", ObjectKey("networking.k8s.io", "Ingress", ns, name), ManifestObject(body=body, source=""))
    cls = class_of(body)[0] or default_class
    return [Route(host, path, cls, f"Ingress {ns}/{name}") for host, path in sorted(ingress_routes(placed))]


def route_conflicts(ours: Iterable[tuple[str, str, Route]], theirs: Iterable[Route]) -> list[Finding]:
    """Our routes (component, object, route) that another Ingress of the same class already serves."""
    taken: dict[tuple[str, str, str | None], list[str]] = {}
    for route in theirs:
        taken.setdefault((route.host, route.path, route.ingress_class), []).append(route.owner)
    findings = []
    for component, obj, route in ours:
        owners = taken.get((route.host, route.path, route.ingress_class))
        if not owners:
            continue
        host = "any host" if route.host == "*" else f"host {route.host}"
        findings.append(
            Finding(
                "error",
                "ingress-conflict",
                component,
                obj,
                f"{host} path {route.path} is already routed by {', '.join(sorted(owners))}"
                + (f" (class {route.ingress_class})" if route.ingress_class else "")
                + "; the controller sends the traffic to only one of them",
                "give this Ingress another host or path in values, or remove the other Ingress",
                {"host": route.host, "path": route.path},
            )
        )
    return findings
