"""The parts of one release, as the inventory counts them (:func:`release_parts`): every object of
its stored manifest and hooks, in any namespace, cluster-scoped ones without a namespace (their
scope from API discovery, or from a CRD the release ships), and the claims its StatefulSets'
``volumeClaimTemplates`` create, which are in no manifest.

Read from a manifest alone, with no request but discovery's (cached): ``status`` (refreshed every
second by the web service) and the component page ask it for every release, undeploy, purge,
extension uninstall and rollback through :class:`~helmdeck.core.inventory.PlatformInventory`.
One answer, so what status checks is what undeploy keeps and purge deletes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from helmdeck.cluster import KubeClient, ObjRef, kind_info
from helmdeck.errors import ClusterError
from helmdeck.manifests.objects import RESOURCE_POLICY_ANNOTATION
from helmdeck.manifests.parse import parse_manifest_stream
from helmdeck.manifests.scopes import ScopeResolver

if TYPE_CHECKING:
    from helmdeck.engine.releases import Release

CLAIM = ("", "PersistentVolumeClaim")
VOLUME = ("", "PersistentVolume")


@dataclass(frozen=True)
class OwnedObject:
    """An object of a release: ``ref.namespace`` None for a cluster-scoped kind."""

    ref: ObjRef
    component: str
    release: str
    keep: bool = False  # helm.sh/resource-policy: keep, so Helm leaves it on uninstall
    hook: bool = False  # a hook: Helm deletes it only as its delete policy says, never on uninstall
    #: left by the uninstall of an earlier undeploy (its release is gone), found by
    #: :data:`~helmdeck.labels.LEFT_BY_HELM_LABEL`
    left: bool = False


@dataclass(frozen=True)
class ClaimTemplates:
    """A StatefulSet and the claim templates it makes claims from."""

    ref: ObjRef
    component: str
    templates: tuple[str, ...]
    deletes_claims: bool  # persistentVolumeClaimRetentionPolicy Delete (whenDeleted or whenScaled)
    replicas: int = 1
    first_ordinal: int = 0  # spec.ordinals.start

    def makes(self, claim: str) -> bool:
        return any(re.fullmatch(re.escape(f"{t}-{self.ref.name}-") + r"\d+", claim) for t in self.templates)

    def claims(self) -> list[ObjRef]:
        """The claims its pods have: ``<template>-<statefulset>-<ordinal>`` for each replica."""
        ordinals = range(self.first_ordinal, self.first_ordinal + self.replicas)
        return [
            ObjRef("v1", "PersistentVolumeClaim", f"{t}-{self.ref.name}-{n}", self.ref.namespace)
            for t in self.templates
            for n in ordinals
        ]


@dataclass(frozen=True)
class ReleaseParts:
    """What one release owns, from its stored manifest and hooks."""

    component: str
    namespace: str  # the release's
    objects: tuple[OwnedObject, ...]
    claim_templates: tuple[ClaimTemplates, ...] = ()
    #: PersistentVolume name -> the claim (namespace, name) that names it in ``volumeName``
    claim_volumes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: Jobs with ttlSecondsAfterFinished: once finished they are removed, and their absence is success
    ttl_jobs: frozenset[ObjRef] = frozenset()

    def template_claims(self) -> list[ObjRef]:
        return [claim for t in self.claim_templates for claim in t.claims()]

    def refs(self) -> list[ObjRef]:
        """What the release keeps in the cluster and its health covers: its objects (hooks aside:
        they run and go) and the claims of its claim templates."""
        objects = [o.ref for o in self.objects if not o.hook]
        return list(dict.fromkeys([*objects, *self.template_claims()]))


@dataclass(frozen=True, order=True)
class InventoryClaim:
    """A live claim of the platform; ``component`` is empty when only the platform label says so."""

    namespace: str
    name: str
    component: str = field(default="", compare=False)

    @property
    def ref(self) -> ObjRef:
        return ObjRef("v1", "PersistentVolumeClaim", self.name, self.namespace)

    def __str__(self) -> str:
        return f"PersistentVolumeClaim {self.namespace}/{self.name}"


@dataclass(frozen=True, order=True)
class InventoryVolume:
    """A live PersistentVolume a release ships that holds a claim's data (``claim`` is
    (namespace, name), empty when a kept volume no longer names one)."""

    name: str
    claim: tuple[str, str] = field(default=("", ""), compare=False)
    component: str = field(default="", compare=False)

    @property
    def ref(self) -> ObjRef:
        return ObjRef("v1", "PersistentVolume", self.name)

    def __str__(self) -> str:
        bound = f" (the volume of claim {self.claim[0]}/{self.claim[1]})" if self.claim[1] else ""
        return f"PersistentVolume {self.name}{bound}"


@dataclass
class ReleaseContents:
    component: str
    release: Release
    objects: list[OwnedObject]
    crds: list[str]  # names of the CustomResourceDefinitions in the chart's crds/
    claim_templates: list[ClaimTemplates] = field(default_factory=list)
    #: PersistentVolume name -> the claim (namespace, name) that names it in ``volumeName``
    claim_volumes: dict[str, tuple[str, str]] = field(default_factory=dict)


#: the kinds whose body :func:`release_parts` reads beyond the head (apiVersion, kind, metadata):
#: a CRD tells its kind's scope, the others their claims, claim volumes and TTL. Any other object
#: is parsed only as far as its head: status reads every release's manifest, and a Deployment's
#: spec is most of its text.
_READ_WHOLE = frozenset({"CustomResourceDefinition", "StatefulSet", "PersistentVolumeClaim", "Job"})


def release_parts(
    client: KubeClient | None,
    manifest: str,
    namespace: str,
    component: str,
    hooks: Sequence[str] = (),
    *,
    release: str = "",
) -> ReleaseParts:
    """The parts of release ``release`` from its manifest and its hooks' manifests (``hooks``)."""
    parsed = [(o, False) for o in parse_manifest_stream(manifest, component=component, whole_kinds=_READ_WHOLE)]
    for hook_manifest in hooks:
        parsed += [
            (o, True) for o in parse_manifest_stream(hook_manifest, component=component, whole_kinds=_READ_WHOLE)
        ]
    scopes = ScopeResolver()
    for obj, _ in parsed:
        if obj.kind == "CustomResourceDefinition":
            scopes.learn_crd(dict(obj.body))
    objects: list[OwnedObject] = []
    templates: list[ClaimTemplates] = []
    claim_volumes: dict[str, tuple[str, str]] = {}
    ttl_jobs: set[ObjRef] = set()
    for obj, hook in parsed:
        try:
            ref = ObjRef.from_manifest(obj.body, namespace)
        except ClusterError:
            continue  # Helm could not have installed it either
        info = kind_info(client, ref.api_version, ref.kind)
        namespaced = info.namespaced if info is not None else scopes.is_namespaced(ref.group, ref.kind)
        if not namespaced:
            ref = ref.cluster_scoped()
        keep = obj.annotations.get(RESOURCE_POLICY_ANNOTATION) == "keep"
        objects.append(OwnedObject(ref, component, release, keep, hook))
        spec = obj.body.get("spec")
        if not isinstance(spec, Mapping) or hook:
            continue
        if (ref.group, ref.kind) == ("apps", "StatefulSet") and (made := _claim_templates(ref, component, spec)):
            templates.append(made)
        elif (ref.group, ref.kind) == CLAIM and spec.get("volumeName"):
            claim_volumes[str(spec["volumeName"])] = (ref.namespace or namespace, ref.name)
        elif (ref.group, ref.kind) == ("batch", "Job") and spec.get("ttlSecondsAfterFinished") is not None:
            ttl_jobs.add(ref)
    return ReleaseParts(component, namespace, tuple(objects), tuple(templates), claim_volumes, frozenset(ttl_jobs))


def _claim_templates(ref: ObjRef, component: str, spec: Mapping[str, Any]) -> ClaimTemplates | None:
    templates = tuple(
        str((t.get("metadata") or {}).get("name"))
        for t in spec.get("volumeClaimTemplates") or []
        if isinstance(t, Mapping) and (t.get("metadata") or {}).get("name")
    )
    if not templates:
        return None
    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    policy = policy if isinstance(policy, Mapping) else {}
    deletes = "Delete" in (policy.get("whenDeleted"), policy.get("whenScaled"))
    ordinals = spec.get("ordinals")
    start = ordinals.get("start") if isinstance(ordinals, Mapping) else None
    replicas = spec.get("replicas", 1)
    return ClaimTemplates(
        ref,
        component,
        templates,
        deletes,
        replicas=replicas if isinstance(replicas, int) and replicas >= 0 else 1,
        first_ordinal=start if isinstance(start, int) and start >= 0 else 0,
    )
