"""Checks over the rendered manifests of a whole platform (part of ``helmdeck validate``).

Each check returns :class:`Finding` values; :func:`check_platform` runs them all. Errors are things
that would fail the deploy or break another platform; warnings are risky practice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from helmdeck.findings import Finding, Severity
from helmdeck.manifests.images import ImageRef
from helmdeck.manifests.index import ObjectIndex, PlacedObject, PlatformObjects
from helmdeck.manifests.metadata_limits import check_metadata_limits
from helmdeck.manifests.workloads import containers

#: Namespaces every cluster has; objects may be placed there without creating them.
BUILTIN_NAMESPACES: frozenset[str] = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def _finding(check: str, severity: Severity, placed: PlacedObject, message: str, fix: str) -> Finding:
    return Finding(severity, check, placed.component, str(placed.ref), message, fix, template=placed.obj.source)


def _group_by_component_namespace(
    placed: Iterable[PlacedObject],
) -> dict[tuple[str, str], list[PlacedObject]]:
    groups: dict[tuple[str, str], list[PlacedObject]] = defaultdict(list)
    for item in placed:
        if item.key.namespace is not None:
            groups[(item.component, item.key.namespace)].append(item)
    return groups


def _summary(items: list[PlacedObject]) -> str:
    first = items[0]
    if len(items) == 1:
        return f"{first.ref} ({first.obj.where()})"
    return f"{len(items)} objects, first {first.ref} ({first.obj.where()})"


def check_foreign_namespaces(index: ObjectIndex, foreign: Mapping[str, str]) -> list[Finding]:
    """Objects placed in, or Namespace objects named after, a namespace of another platform/instance.

    ``foreign`` maps each such namespace to who owns it (``platform imaging``, ``instance lab2``).
    """
    findings: list[Finding] = []
    for (component, namespace), items in sorted(_group_by_component_namespace(index).items()):
        if namespace in foreign:
            findings.append(
                _finding(
                    "foreign-namespace",
                    "error",
                    items[0],
                    f"component {component} places {_summary(items)} in namespace {namespace}, "
                    f"which belongs to {foreign[namespace]}",
                    "remove the hard-coded metadata.namespace from the template (Helm then uses the "
                    "release namespace) or point it at one of this platform's namespaces",
                )
            )
    for name, items in sorted(index.namespace_objects().items()):
        if name in foreign:
            for placed in items:
                findings.append(
                    _finding(
                        "foreign-namespace",
                        "error",
                        placed,
                        f"component {placed.component} creates namespace {name}, which belongs to {foreign[name]}",
                        "rename the namespace (apply the instance prefix) or disable it in values",
                    )
                )
    return findings


def check_duplicate_objects(index: ObjectIndex) -> list[Finding]:
    """The same object (group, kind, namespace, name) rendered twice, by two components or one."""
    findings: list[Finding] = []
    for key, items in sorted(index.by_key.items(), key=lambda kv: kv[0].sort_key):
        if len(items) < 2:
            continue
        components = sorted({p.component for p in items})
        sources = ", ".join(f"{p.component}: {p.obj.where()}" for p in items)
        if len(components) > 1:
            message = f"{key} is rendered by components {', '.join(components)} ({sources})"
            fix = (
                "give the objects different names (most charts prefix names with the release name), "
                "or disable the object in all but one component's values"
            )
        else:
            message = f"{key} is rendered twice by component {components[0]} ({sources})"
            fix = "give each object its own name; the later one would overwrite the earlier one"
        findings.append(_finding("duplicate-object", "error", items[1], message, fix))
    return findings


def _ingress_class(placed: PlacedObject) -> str | None:
    spec = placed.obj.body.get("spec")
    if isinstance(spec, Mapping) and spec.get("ingressClassName"):
        return str(spec["ingressClassName"])
    return placed.obj.annotations.get(INGRESS_CLASS_ANNOTATION)


def _normalise_path(path: object) -> str:
    text = str(path) if path not in (None, "") else "/"
    # For Prefix matching "/api" and "/api/" are the same route.
    return text.rstrip("/") or "/"


def ingress_routes(placed: PlacedObject) -> set[tuple[str, str]]:
    """The (host, path) pairs an Ingress routes; ``*`` stands for "any host"."""
    spec = placed.obj.body.get("spec")
    if not isinstance(spec, Mapping):
        return set()
    routes: set[tuple[str, str]] = set()
    for rule in spec.get("rules") or []:
        if not isinstance(rule, Mapping):
            continue
        host = str(rule.get("host") or "*")
        http = rule.get("http")
        paths = http.get("paths") if isinstance(http, Mapping) else None
        if not isinstance(paths, list):
            continue
        for entry in paths:
            if isinstance(entry, Mapping):
                routes.add((host, _normalise_path(entry.get("path"))))
    return routes


def check_ingress_routes(index: ObjectIndex) -> list[Finding]:
    """The same host and path routed by two Ingresses (of one ingress class) in the platform.

    Ingresses of different classes are served by different controllers and do not collide.
    """
    routes: dict[tuple[str | None, str, str], list[PlacedObject]] = defaultdict(list)
    for placed in index:
        if placed.key.kind != "Ingress" or placed.key.group not in ("networking.k8s.io", "extensions"):
            continue
        for host, path in sorted(ingress_routes(placed)):
            routes[(_ingress_class(placed), host, path)].append(placed)
    findings: list[Finding] = []
    for (_, host, path), items in sorted(routes.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        distinct = list({p.key: p for p in items}.values())
        if len(distinct) < 2:
            continue
        owners = ", ".join(f"{p.ref} (component {p.component})" for p in distinct)
        findings.append(
            _finding(
                "ingress-route-conflict",
                "error",
                distinct[1],
                f"host {host} path {path} is routed by {owners}; the ingress controller "
                "would send the traffic to only one of them",
                "give each Ingress its own host or path, or turn off the separate route in values "
                "of all but one component",
            )
        )
    return findings


def check_uncreated_namespaces(
    index: ObjectIndex,
    owned: Collection[str],
    *,
    foreign: Collection[str] = (),
    existing: Collection[str] = BUILTIN_NAMESPACES,
) -> list[Finding]:
    """Objects placed in a namespace that neither helmdeck nor any manifest creates.

    Namespaces reported by :func:`check_foreign_namespaces` are left to that check.
    """
    created = index.namespace_objects()
    findings: list[Finding] = []
    for (component, namespace), items in sorted(_group_by_component_namespace(index).items()):
        if namespace in owned or namespace in created or namespace in existing or namespace in foreign:
            continue
        findings.append(
            _finding(
                "namespace-not-created",
                "error",
                items[0],
                f"component {component} places {_summary(items)} in namespace {namespace}, which nobody creates",
                f"use one of the platform's namespaces ({', '.join(sorted(owned)) or 'none declared'}), "
                "declare the namespace in the platform file, or add a Namespace object to a chart",
            )
        )
    return findings


def check_namespace_objects_for_owned(index: ObjectIndex, owned: Collection[str]) -> list[Finding]:
    """A chart creating one of the platform's own namespaces, which helmdeck creates before installing.

    Helm refuses to adopt an object it did not create, so such an install fails.
    """
    findings: list[Finding] = []
    for name, items in sorted(index.namespace_objects().items()):
        if name not in owned:
            continue
        for placed in items:
            findings.append(
                _finding(
                    "namespace-created-twice",
                    "error",
                    placed,
                    f"component {placed.component} creates namespace {name}, which helmdeck "
                    "already creates for the platform; Helm would refuse to take it over",
                    "remove the Namespace object from the chart or switch it off in values",
                )
            )
    return findings


def check_image_tags(index: ObjectIndex) -> list[Finding]:
    """Containers whose image is missing, untagged or tagged ``latest``."""
    findings: list[Finding] = []
    for placed in index:
        for container in containers(placed.obj):
            image = container.image
            where = f"container {container.name} of {placed.ref}"
            if image is None:
                findings.append(
                    _finding(
                        "image-missing",
                        "error",
                        placed,
                        f"{where} has no image",
                        "set the image in values (the template's image value rendered empty)",
                    )
                )
                continue
            ref = ImageRef.parse(image)
            if not ref.floating:
                continue
            state = "is tagged latest" if ref.tag == "latest" else "has no tag (so it means latest)"
            findings.append(
                _finding(
                    "image-floating-tag",
                    "warning",
                    placed,
                    f"{where}: image {image} {state}; deploys are not repeatable and rollbacks may "
                    "not restore the old code",
                    "pin a version tag or a digest in values",
                )
            )
    return findings


def check_resource_requests(index: ObjectIndex) -> list[Finding]:
    """Containers (and init containers) without CPU or memory requests."""
    findings: list[Finding] = []
    for placed in index:
        for container in containers(placed.obj):
            if container.list_name == "ephemeralContainers":
                continue
            resources = container.body.get("resources")
            requests = resources.get("requests") if isinstance(resources, Mapping) else None
            if isinstance(requests, Mapping) and requests:
                continue
            findings.append(
                _finding(
                    "no-resource-requests",
                    "warning",
                    placed,
                    f"container {container.name} of {placed.ref} has no resource requests; the "
                    "scheduler may pack it onto a node that cannot run it",
                    "set resources.requests (cpu and memory) for this container in values",
                )
            )
    return findings


def check_platform(
    components: PlatformObjects,
    *,
    owned_namespaces: Collection[str],
    foreign_namespaces: Collection[str] | Mapping[str, str] = (),
    existing_namespaces: Collection[str] = BUILTIN_NAMESPACES,
    cluster_scoped: Collection[tuple[str, str]] = (),
) -> list[Finding]:
    """Run every check over a platform's rendered objects; errors first, then warnings.

    Args:
        components: component name -> (release namespace, its objects: manifests, hooks and CRDs).
        owned_namespaces: the platform's namespaces (helmdeck creates them).
        foreign_namespaces: namespaces of other platforms or instances, optionally mapped to their
            owner's description for messages.
        existing_namespaces: namespaces that exist in every cluster.
        cluster_scoped: custom (group, kind) pairs known to be cluster-scoped, e.g. from discovery.
    """
    foreign = (
        dict(foreign_namespaces)
        if isinstance(foreign_namespaces, Mapping)
        else {ns: "another platform or instance" for ns in foreign_namespaces}
    )
    index = ObjectIndex(components, cluster_scoped=cluster_scoped)
    findings = [
        *check_foreign_namespaces(index, foreign),
        *check_duplicate_objects(index),
        *check_ingress_routes(index),
        *check_uncreated_namespaces(index, owned_namespaces, foreign=foreign.keys(), existing=existing_namespaces),
        *check_namespace_objects_for_owned(index, owned_namespaces),
        *check_image_tags(index),
        *check_resource_requests(index),
        *check_metadata_limits(index),
    ]
    order = {"error": 0, "warning": 1}
    return sorted(findings, key=lambda f: order[f.severity])
