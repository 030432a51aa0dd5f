"""What a platform's manifests need from the world: images, volume claims, storage classes, CRDs.

Offline bundles use the image list; ``doctor`` compares claims, storage classes and custom kinds with
what a cluster offers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.manifests.index import ObjectIndex, PlacedObject, PlatformObjects
from helmdeck.manifests.objects import ObjRef
from helmdeck.manifests.scopes import is_builtin
from helmdeck.manifests.workloads import containers

_LEGACY_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


@dataclass(frozen=True)
class ImageUse:
    image: str
    component: str
    object: ObjRef
    container: str
    init: bool
    template: str


@dataclass(frozen=True)
class VolumeClaimUse:
    """A PersistentVolumeClaim, or a StatefulSet volumeClaimTemplate (``owner`` is the StatefulSet).

    ``storage_class`` None means the cluster's default class; ``""`` means no class (a claim bound
    to a pre-created PersistentVolume).
    """

    component: str
    namespace: str | None
    name: str
    storage_class: str | None
    size: str | None
    access_modes: tuple[str, ...]
    owner: ObjRef | None
    template: str
    #: the PersistentVolume the claim names (``spec.volumeName``): bound statically, not provisioned
    volume_name: str | None = None


@dataclass(frozen=True)
class StorageClassUse:
    """A storage class the claims ask for (None: the cluster default) and who defines it, if anyone."""

    name: str | None
    claims: tuple[str, ...]
    defined_by: tuple[str, ...]


@dataclass(frozen=True)
class CustomKindUse:
    """A kind not built into Kubernetes: which components use it and which ship its CRD."""

    group: str
    kind: str
    api_versions: tuple[str, ...]
    used_by: tuple[str, ...]
    defined_by: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    images: tuple[ImageUse, ...] = ()
    volume_claims: tuple[VolumeClaimUse, ...] = ()
    storage_classes: tuple[StorageClassUse, ...] = ()
    custom_kinds: tuple[CustomKindUse, ...] = field(default=())

    def image_names(self) -> list[str]:
        """Every distinct image reference, sorted."""
        return sorted({use.image for use in self.images})


def _image_uses(index: ObjectIndex) -> list[ImageUse]:
    uses: list[ImageUse] = []
    for placed in index:
        for container in containers(placed.obj):
            if container.image is not None:
                uses.append(
                    ImageUse(
                        container.image,
                        placed.component,
                        placed.ref,
                        container.name,
                        container.list_name == "initContainers",
                        placed.obj.source,
                    )
                )
    return uses


def _claim(
    placed: PlacedObject,
    namespace: str | None,
    name: str,
    spec: Mapping[str, Any],
    annotations: Mapping[str, Any],
    owner: ObjRef | None,
) -> VolumeClaimUse:
    storage_class: str | None = None
    if "storageClassName" in spec and spec["storageClassName"] is not None:
        storage_class = str(spec["storageClassName"])
    elif annotations.get(_LEGACY_STORAGE_CLASS_ANNOTATION) is not None:
        storage_class = str(annotations[_LEGACY_STORAGE_CLASS_ANNOTATION])
    resources = spec.get("resources")
    requests = resources.get("requests") if isinstance(resources, Mapping) else None
    size = requests.get("storage") if isinstance(requests, Mapping) else None
    modes = spec.get("accessModes")
    volume = spec.get("volumeName")
    return VolumeClaimUse(
        placed.component,
        namespace,
        name,
        storage_class,
        str(size) if size is not None else None,
        tuple(str(m) for m in modes) if isinstance(modes, list) else (),
        owner,
        placed.obj.source,
        str(volume) if volume else None,
    )


def _volume_claims(index: ObjectIndex) -> list[VolumeClaimUse]:
    claims: list[VolumeClaimUse] = []
    for placed in index:
        key, body = placed.key, placed.obj.body
        spec = body.get("spec")
        if not isinstance(spec, Mapping):
            continue
        if key.group == "" and key.kind == "PersistentVolumeClaim":
            claims.append(_claim(placed, key.namespace, key.name, spec, placed.obj.annotations, None))
        elif key.group == "apps" and key.kind == "StatefulSet":
            for template in spec.get("volumeClaimTemplates") or []:
                if not isinstance(template, Mapping):
                    continue
                meta = template.get("metadata")
                meta = meta if isinstance(meta, Mapping) else {}
                annotations = meta.get("annotations")
                claim_spec = template.get("spec")
                claims.append(
                    _claim(
                        placed,
                        key.namespace,
                        str(meta.get("name", "")),
                        claim_spec if isinstance(claim_spec, Mapping) else {},
                        annotations if isinstance(annotations, Mapping) else {},
                        placed.ref,
                    )
                )
    return claims


def _storage_classes(index: ObjectIndex, claims: list[VolumeClaimUse]) -> list[StorageClassUse]:
    defined: dict[str, list[str]] = defaultdict(list)
    for placed in index:
        if placed.key.group == "storage.k8s.io" and placed.key.kind == "StorageClass":
            defined[placed.key.name].append(placed.component)
    wanted: dict[str | None, list[str]] = defaultdict(list)
    for claim in claims:
        if claim.storage_class != "":
            wanted[claim.storage_class].append(f"{claim.namespace}/{claim.name}")
    names = set(wanted) | set(defined)
    return [
        StorageClassUse(name, tuple(wanted.get(name, ())), tuple(sorted(set(defined.get(name or "", ())))))
        for name in sorted(names, key=lambda n: (n is not None, n or ""))
    ]


def _custom_kinds(index: ObjectIndex) -> list[CustomKindUse]:
    versions: dict[tuple[str, str], set[str]] = defaultdict(set)
    used_by: dict[tuple[str, str], set[str]] = defaultdict(set)
    defined_by: dict[tuple[str, str], set[str]] = defaultdict(set)
    for placed in index:
        obj = placed.obj
        if obj.kind == "CustomResourceDefinition" and obj.group == "apiextensions.k8s.io":
            spec = obj.body.get("spec")
            names = spec.get("names") if isinstance(spec, Mapping) else None
            if isinstance(spec, Mapping) and isinstance(names, Mapping) and names.get("kind"):
                defined_by[(str(spec.get("group", "")), str(names["kind"]))].add(placed.component)
        elif not is_builtin(obj.group, obj.kind):
            used_by[(obj.group, obj.kind)].add(placed.component)
            versions[(obj.group, obj.kind)].add(obj.api_version)
    return [
        CustomKindUse(
            group,
            kind,
            tuple(sorted(versions.get((group, kind), ()))),
            tuple(sorted(used_by.get((group, kind), ()))),
            tuple(sorted(defined_by.get((group, kind), ()))),
        )
        for group, kind in sorted(set(used_by) | set(defined_by))
    ]


def inventory(components: PlatformObjects, *, cluster_scoped: Collection[tuple[str, str]] = ()) -> Inventory:
    """Images, volume claims, storage classes and custom kinds of a platform's rendered objects."""
    index = ObjectIndex(components, cluster_scoped=cluster_scoped)
    claims = _volume_claims(index)
    return Inventory(
        images=tuple(_image_uses(index)),
        volume_claims=tuple(claims),
        storage_classes=tuple(_storage_classes(index, claims)),
        custom_kinds=tuple(_custom_kinds(index)),
    )


def list_images(components: PlatformObjects) -> list[str]:
    """Every distinct container image the platform's objects run, sorted (for offline bundles)."""
    return inventory(components).image_names()
