"""What a platform owns in a cluster (:class:`PlatformInventory`), the one answer undeploy, purge,
extension uninstall and rollback ask; nothing else decides ownership.

A platform owns exactly:

* every object of its releases as Helm stored them (manifest and hooks), in any namespace,
  cluster-scoped ones included (their scope from API discovery, so they carry no namespace);
* the claims its StatefulSets' ``volumeClaimTemplates`` create (``<template>-<statefulset>-<n>``,
  in the StatefulSet's namespace), and claims an earlier undeploy or uninstall kept and labelled
  with the platform (their release is gone, so the label is all that still says whose they are);
* of the PersistentVolumes its releases ship (Kaapana's hostPath volumes), those bound to (``claimRef``)
  or named by (``volumeName``) one of its claims are its data as the claims are
  (:class:`InventoryVolume`), and so are volumes an earlier undeploy kept and labelled;
* what helmdeck made itself: namespaces it created (labelled so at creation,
  :mod:`helmdeck.cluster.namespaces`), its secrets store, its revision records, its Lease, and
  Helm's release records of its releases.

CRDs a chart ships in ``crds/`` are not in the release: Helm never deletes them, so they are not
the inventory's and are reported as left.

Beside those, a namespace holds objects nobody templated that are still not foreign
(:meth:`PlatformInventory.foreign_objects`): what an inventory object owns through its
ownerReferences (ReplicaSets, Pods, ControllerRevisions, Jobs, EndpointSlices), Endpoints of a
Service (named as it, without ownerReferences), and what Kubernetes makes in every namespace
(:data:`helmdeck.cluster.discovery.KUBERNETES_MADE`). Everything else is someone else's, and keeps its namespace.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from helmdeck.cluster import KubeClient, ObjRef
from helmdeck.cluster.discovery import made_by_kubernetes, owner_uids
from helmdeck.cluster.lease import lease_name
from helmdeck.cluster.namespaces import get_namespace, is_managed, managed_namespaces
from helmdeck.core.inventory_parts import (
    CLAIM,
    VOLUME,
    ClaimTemplates,
    InventoryClaim,
    InventoryVolume,
    OwnedObject,
    ReleaseContents,
    ReleaseParts,
    release_parts,
)
from helmdeck.core.inventory_read import (
    CRD_API,
    RECORD_KINDS,
    exists,
    helmdeck_made,
    marked_crds,
    read_claims,
    read_left_by_helm,
    read_volumes,
    release_contents,
)
from helmdeck.errors import ClusterError
from helmdeck.labels import KIND_LABEL, OPERATION_RECORD_KIND, PLATFORM_LABEL, REVISION_RECORD_KIND
from helmdeck.serialize import JsonObject, json_field
from helmdeck.wording import counted

if TYPE_CHECKING:
    from helmdeck.core.session import PlatformSession
    from helmdeck.engine.releases import Release

__all__ = [
    "CLAIM",
    "VOLUME",
    "ClaimTemplates",
    "InventoryClaim",
    "InventoryVolume",
    "LeftObject",
    "OwnedObject",
    "PlatformInventory",
    "ReleaseContents",
    "ReleaseParts",
    "release_parts",
]


@dataclass(frozen=True)
class LeftObject(JsonObject):
    """Something undeploy (or purge) leaves in the cluster, and why."""

    what: str = field(metadata=json_field(name="object"))
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


def _key(group: str, kind: str, namespace: str | None, name: str) -> tuple[str, str, str, str]:
    return (group, kind, namespace or "", name)


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


class PlatformInventory:
    """What one platform owns; read once (:meth:`read`) before anything is changed, since the
    releases' manifests are gone once Helm has uninstalled them."""

    def __init__(
        self,
        client: KubeClient,
        platform_id: str,
        admin_namespace: str,
        *,
        releases: Sequence[ReleaseContents] = (),
        claims: Sequence[InventoryClaim] = (),
        volumes: Sequence[InventoryVolume] = (),
        claim_templates: Sequence[ClaimTemplates] = (),
        namespaces: Mapping[str, dict[str, Any] | None] = {},
        store: ObjRef | None = None,
        revision_records: Sequence[ObjRef] = (),
        operation_records: Sequence[ObjRef] = (),
        lease: ObjRef | None = None,
        crds_left: Sequence[tuple[str, str]] = (),
        left: Sequence[OwnedObject] = (),
    ) -> None:
        self.client = client
        self.platform_id = platform_id
        self.admin_namespace = admin_namespace
        self.releases = list(releases)
        self.objects = [o for r in self.releases for o in r.objects]
        # what an earlier undeploy's uninstalls left, unless a release holds it again
        held = {_key(o.ref.group, o.ref.kind, o.ref.namespace, o.ref.name) for o in self.objects}
        self.objects += [o for o in left if _key(o.ref.group, o.ref.kind, o.ref.namespace, o.ref.name) not in held]
        self.claims = sorted(set(claims))
        self.volumes = sorted(set(volumes))
        self.claim_templates = list(claim_templates)
        #: every namespace the platform names or has objects in -> the live Namespace (None: absent)
        self.namespaces = dict(namespaces)
        self.store = store
        self.revision_records = list(revision_records)
        #: the web service's operation journal (``helmdeck serve``)
        self.operation_records = list(operation_records)
        self.lease = lease
        #: (CRD name, component whose chart ships it in crds/), the CRD still in the cluster
        self.crds_left = list(crds_left)
        self._keys = {_key(o.ref.group, o.ref.kind, o.ref.namespace, o.ref.name) for o in self.objects}
        self._keys.update(_key(*CLAIM, c.namespace, c.name) for c in self.claims)
        self._keys.update(_key(*VOLUME, None, v.name) for v in self.volumes)
        #: the objects Helm's uninstall deletes (hooks and objects kept by policy stay)
        self._uninstalled = {
            _key(o.ref.group, o.ref.kind, o.ref.namespace, o.ref.name) for o in self.objects if not (o.hook or o.keep)
        }
        self._release_records = {(r.release.namespace, r.release.name) for r in self.releases}

    # -- reading -----------------------------------------------------------------------------------
    @classmethod
    def read(
        cls, session: PlatformSession, releases: Mapping[str, Release] | None = None, *, leftovers: bool = False
    ) -> PlatformInventory:
        """The platform's inventory now: ``releases`` (component -> release) default to its live ones.
        ``leftovers``: also what earlier undeploys left of releases now gone (marked with
        :data:`~helmdeck.labels.LEFT_BY_HELM_LABEL`; one list per kind, so only undeploy and purge ask)."""
        client = session.client
        live = session.live_releases() if releases is None else releases
        contents = [release_contents(client, session.engine, component, rel) for component, rel in sorted(live.items())]
        left = read_left_by_helm(client, session.platform_id) if leftovers else []
        objects = [o for r in contents for o in r.objects] + left
        templates = [t for r in contents for t in r.claim_templates]
        names = [session.admin_namespace, *session.platform.all_namespaces()]
        names += [o.ref.namespace for o in objects if o.ref.namespace]
        names += [r.release.namespace for r in contents]
        with contextlib.suppress(ClusterError):  # listing namespaces may be forbidden: the named ones stay
            names += managed_namespaces(client, session.platform_id)
        namespaces = {ns: get_namespace(client, ns) for ns in dict.fromkeys(names)}
        claims = read_claims(client, session.platform_id, objects, templates, [n for n, v in namespaces.items() if v])
        volumes = read_volumes(client, session.platform_id, contents, claims)
        admin = session.admin_namespace
        store = lease = None
        records: dict[str, list[ObjRef]] = {}
        if namespaces.get(admin) is not None:
            store, records, lease = helmdeck_made(client, session, admin)
        crds = sorted({(name, r.component) for r in contents for name in r.crds})
        crds_left = [(n, c) for n, c in crds if exists(client, ObjRef(CRD_API, "CustomResourceDefinition", n))]
        if leftovers:  # those of releases gone, marked by the undeploy that removed them
            known = {n for n, _ in crds_left}
            crds_left += [(n, c) for n, c in marked_crds(client, session.platform_id) if n not in known]
        return cls(
            client,
            session.platform_id,
            admin,
            releases=contents,
            claims=claims,
            volumes=volumes,
            claim_templates=templates,
            namespaces=namespaces,
            store=store,
            revision_records=records.get(REVISION_RECORD_KIND, []),
            operation_records=records.get(OPERATION_RECORD_KIND, []),
            lease=lease,
            crds_left=crds_left,
            left=left,
        )

    # -- questions ---------------------------------------------------------------------------------
    def owns(self, api_version: str, kind: str, namespace: str | None, name: str) -> bool:
        return _key(_group(api_version), kind, namespace, name) in self._keys

    def created_namespace(self, name: str) -> bool:
        """helmdeck created ``name`` for this platform (it labels the namespaces it creates)."""
        found = self.namespaces.get(name)
        return found is not None and is_managed(found, self.platform_id)

    def claims_of(self, components: Iterable[str]) -> list[InventoryClaim]:
        wanted = set(components)
        return [c for c in self.claims if c.component in wanted]

    def volumes_of(self, components: Iterable[str]) -> list[InventoryVolume]:
        wanted = set(components)
        return [v for v in self.volumes if v.component in wanted]

    def data_of(self, components: Iterable[str]) -> list[str]:
        """The data of ``components`` (claims, then the volumes their charts ship for them): what
        removing them keeps, or purging deletes."""
        wanted = set(components)
        return [str(c) for c in self.claims_of(wanted)] + [str(v) for v in self.volumes_of(wanted)]

    def data(self) -> list[str]:
        """The platform's data, as ``Kind namespace/name``: what undeploy keeps and purge deletes."""
        out = [str(c) for c in self.claims]
        out += [str(v) for v in self.volumes]
        if self.store is not None:
            out.append(f"Secret {self.store.namespace}/{self.store.name} (the secrets store)")
        if self.revision_records:
            count = len(self.revision_records)
            out.append(f"{counted(count, 'platform revision record')} in {self.admin_namespace}")
        if self.operation_records:
            count = len(self.operation_records)
            out.append(f"{counted(count, 'web service operation record')} in {self.admin_namespace}")
        return out

    def helm_leaves(self, components: Iterable[str] | None = None) -> list[OwnedObject]:
        """The objects of the releases (of ``components``; None: all) Helm's uninstall leaves in
        the cluster (kept by ``helm.sh/resource-policy: keep``, hooks its delete policy did not
        delete) that are there now, claims and data volumes aside (they are :meth:`data`): what a
        plain undeploy, an extension uninstall or a rollback removing a component leaves, and purge
        deletes."""
        data = {_key(*CLAIM, c.namespace, c.name) for c in self.claims}
        data.update(_key(*VOLUME, None, v.name) for v in self.volumes)
        wanted = None if components is None else set(components)
        out = []
        for obj in self.objects:
            if wanted is not None and obj.component not in wanted:
                continue
            ref = obj.ref
            key = _key(ref.group, ref.kind, ref.namespace, ref.name)
            if (
                (obj.keep or obj.hook)
                and key not in data
                and (ref.group, ref.kind) != CLAIM
                and exists(self.client, ref)
            ):
                out.append(obj)
        return out

    def crds(self, components: Iterable[str] | None = None) -> list[LeftObject]:
        """The CRDs the charts (of ``components``; None: all) shipped in crds/, still there."""
        return [
            LeftObject(
                f"CustomResourceDefinition {name}",
                f"shipped in the crds/ of {component}'s chart: Helm never deletes those "
                f"(kubectl delete crd {name} deletes every object of its kind)",
            )
            for name, component in self.crds_left
            if components is None or component in components
        ]

    def is_platform_pod(self, pod: Mapping[str, Any], contents: Sequence[Mapping[str, Any]]) -> bool:
        """The pod goes with the platform's releases: owned (through ownerReferences) by an object
        Helm's uninstall deletes. A hook's pods stay with the hook Helm leaves, so nobody waits for
        them to go."""
        by_uid = {_uid(o): o for o in contents if _uid(o)}
        return self._ours(pod, by_uid, {}, missing_owner_is_ours=False, keys=self._uninstalled)

    def foreign_objects(self, namespace: str, contents: Sequence[Mapping[str, Any]]) -> list[str]:
        """What in ``contents`` (every object of ``namespace``) is neither the platform's nor made by
        Kubernetes for it, as ``Kind name``."""
        by_uid = {_uid(o): o for o in contents if _uid(o)}
        services = {
            str((o.get("metadata") or {}).get("name"))
            for o in contents
            if o.get("kind") == "Service" and _group(str(o.get("apiVersion"))) == ""
        }
        memo: dict[str, bool] = {}
        out = []
        for obj in contents:
            meta = obj.get("metadata") or {}
            kind, group = str(obj.get("kind")), _group(str(obj.get("apiVersion")))
            name = str(meta.get("name"))
            if (group, kind) == ("", "Endpoints") and name in services:
                continue  # the endpoints controller's, for its Service (judged on its own)
            if not self._ours(obj, by_uid, memo, missing_owner_is_ours=True) and not self._made_elsewhere(
                obj, group, kind, name, namespace
            ):
                out.append(f"{kind} {name}")
        return sorted(set(out))

    # -- internals -----------------------------------------------------------------------------------
    def _made_elsewhere(self, obj: Mapping[str, Any], group: str, kind: str, name: str, namespace: str) -> bool:
        """Made by Kubernetes, being deleted, or made by helmdeck or Helm for this platform."""
        meta = obj.get("metadata") or {}
        if made_by_kubernetes(obj):
            return True
        if meta.get("deletionTimestamp"):
            return True  # being deleted already: it holds nothing
        labels = meta.get("labels") or {}
        if (group, kind) == ("", "Secret") and labels.get("owner") == "helm":
            return (namespace, str(labels.get("name"))) in self._release_records
        if namespace == self.admin_namespace:
            if (group, kind) == ("coordination.k8s.io", "Lease") and name == lease_name(self.platform_id):
                return True
            if (group, kind) == ("", "Secret") and labels.get(PLATFORM_LABEL) == self.platform_id:
                return (self.store is not None and name == self.store.name) or labels.get(KIND_LABEL) in RECORD_KINDS
        return False

    def _ours(
        self,
        obj: Mapping[str, Any],
        by_uid: Mapping[str, Mapping[str, Any]],
        memo: dict[str, bool],
        *,
        missing_owner_is_ours: bool,
        keys: set[tuple[str, str, str, str]] | None = None,
    ) -> bool:
        keys = self._keys if keys is None else keys
        uid = _uid(obj)
        if uid in memo:
            return memo[uid]
        memo[uid] = False  # an ownership cycle proves nothing
        meta = obj.get("metadata") or {}
        namespace, name = meta.get("namespace"), str(meta.get("name"))
        result = _key(_group(str(obj.get("apiVersion"))), str(obj.get("kind")), namespace, name) in keys
        if not result and (owners := owner_uids(obj)):
            known = [by_uid[u] for u in owners if u in by_uid]
            if known:
                result = any(
                    self._ours(o, by_uid, memo, missing_owner_is_ours=missing_owner_is_ours, keys=keys) for o in known
                )
            else:
                # every owner is gone: the garbage collector removes it next, it holds nothing
                result = missing_owner_is_ours
        memo[uid] = result
        return result


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")
