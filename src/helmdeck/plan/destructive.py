"""Changes a deploy cannot take back: deleted data (PersistentVolumeClaims, CustomResourceDefinitions
with every custom resource of their kind), objects the API server refuses to change in place
(immutable fields: Kubernetes rejects the upgrade, or Helm must delete and recreate the object), and
passwords a chart re-generates on every render (a database initialised with the old one refuses
the new one). ``plan`` lists them; ``deploy`` refuses them unless ``--allow-destructive``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from helmdeck.cluster.quantities import parse_quantity
from helmdeck.manifests.objects import RESOURCE_POLICY_ANNOTATION
from helmdeck.serialize import JsonObject

#: kind -> the fields (dotted paths) the API server never lets change in place
IMMUTABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec.selector",),
    "StatefulSet": ("spec.selector", "spec.serviceName", "spec.podManagementPolicy", "spec.volumeClaimTemplates"),
    "DaemonSet": ("spec.selector",),
    "Job": ("spec.template", "spec.selector"),
    "PersistentVolumeClaim": ("spec.storageClassName", "spec.accessModes", "spec.volumeName"),
    "Service": ("spec.clusterIP",),
    "StorageClass": ("provisioner", "parameters"),
}


@dataclass(frozen=True)
class DestructiveChange(JsonObject):
    component: str
    object: str  # "PersistentVolumeClaim data/db-data"
    change: str  # deletes-data | immutable | secret-regenerated
    detail: str

    def __str__(self) -> str:
        return f"{self.component}: {self.object}: {self.detail}"


def _name(body: Mapping[str, Any], namespace: str) -> str:
    meta = body.get("metadata") or {}
    kind = str(body.get("kind"))
    if kind in ("CustomResourceDefinition", "StorageClass", "Namespace", "ClusterRole", "PersistentVolume"):
        return f"{kind} {meta.get('name')}"
    return f"{kind} {meta.get('namespace') or namespace}/{meta.get('name')}"


def _kept(body: Mapping[str, Any]) -> bool:
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    return annotations.get(RESOURCE_POLICY_ANNOTATION) == "keep"


def _get(body: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _storage(body: Mapping[str, Any]) -> str | None:
    size = _get(body, ("spec", "resources", "requests", "storage"))
    return str(size) if size is not None else None


def _size(quantity: str) -> Decimal | None:
    try:
        return parse_quantity(quantity)
    except ValueError:
        return None


def removed_objects(component: str, live: Mapping[str, Mapping[str, Any]], namespace: str) -> list[DestructiveChange]:
    """What removing these live objects destroys (a release uninstalled, or objects a new chart
    version no longer renders). Objects with Helm's keep policy stay and are not counted."""
    out = []
    for body in live.values():
        if _kept(body):
            continue
        kind = body.get("kind")
        if kind == "PersistentVolumeClaim":
            out.append(
                DestructiveChange(component, _name(body, namespace), "deletes-data", "deleted with the data on it")
            )
        elif kind == "CustomResourceDefinition":
            out.append(
                DestructiveChange(
                    component,
                    _name(body, namespace),
                    "deletes-data",
                    "deleted, and with it every custom resource of its kind in the cluster",
                )
            )
    return out


def destructive_changes(
    component: str,
    live: Mapping[str, Mapping[str, Any]],
    desired: Mapping[str, Mapping[str, Any]],
    namespace: str,
    *,
    managed_secret: Callable[[str], bool] = lambda _value: False,
) -> list[DestructiveChange]:
    """The destructive part of upgrading one component from its live objects to the desired ones
    (both keyed the same way, e.g. ``kind/namespace/name``). ``managed_secret(value)`` is True for
    values from helmdeck's secrets store, whose changes are intended (``secrets rotate``)."""
    out = removed_objects(component, {k: v for k, v in live.items() if k not in desired}, namespace)
    for key in sorted(set(live) & set(desired)):
        old, new = live[key], desired[key]
        kind = str(new.get("kind"))
        shown = _name(new, namespace)
        for dotted in IMMUTABLE_FIELDS.get(kind, ()):
            path = tuple(dotted.split("."))
            if _get(old, path) is not None and _get(old, path) != _get(new, path):
                if dotted == "spec.clusterIP" and not _get(new, path):
                    continue  # left out of the chart: the API keeps the assigned address
                out.append(
                    DestructiveChange(
                        component,
                        shown,
                        "immutable",
                        f"{dotted} cannot change in place: the API server refuses the upgrade "
                        "(the object must be deleted and recreated)",
                    )
                )
        if kind == "PersistentVolumeClaim":
            before, after = _storage(old), _storage(new)
            if before and after and (_size(after) or 0) < (_size(before) or 0):
                out.append(
                    DestructiveChange(
                        component, shown, "immutable", f"storage shrinks from {before} to {after}: claims cannot shrink"
                    )
                )
        if kind in ("Secret", "ConfigMap") and old.get("immutable") is True and old.get("data") != new.get("data"):
            out.append(DestructiveChange(component, shown, "immutable", "an immutable object's data changes"))
        if kind == "Secret":
            for section in ("data", "stringData"):
                before_map = old.get(section) or {}
                after_map = new.get(section) or {}
                if not isinstance(before_map, Mapping) or not isinstance(after_map, Mapping):
                    continue
                for item in sorted(set(before_map) & set(after_map)):
                    if before_map[item] != after_map[item] and not managed_secret(str(after_map[item])):
                        out.append(
                            DestructiveChange(
                                component,
                                shown,
                                "secret-regenerated",
                                f"key {item} gets a new value the platform's secrets did not set (a chart "
                                "generating it on every render?): what was set up with the old one breaks",
                            )
                        )
    return out
