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

import base64
import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from helmdeck.cluster import KubeClient, ListQuery, ObjRef, kind_info, list_each
from helmdeck.cluster.discovery import made_by_kubernetes, owner_uids
from helmdeck.cluster.lease import lease_name
from helmdeck.cluster.namespaces import get_namespace, is_managed, managed_namespaces
from helmdeck.engine.storage import decode_release_data
from helmdeck.errors import ClusterError
from helmdeck.labels import (
    COMPONENT_LABEL,
    KIND_LABEL,
    OPERATION_RECORD_KIND,
    PLATFORM_LABEL,
    REVISION_RECORD_KIND,
)
from helmdeck.manifests.objects import RESOURCE_POLICY_ANNOTATION
from helmdeck.manifests.parse import parse_manifest_stream
from helmdeck.manifests.scopes import ScopeResolver

if TYPE_CHECKING:
    from helmdeck.core.session import PlatformSession
    from helmdeck.engine.port import HelmEngine
    from helmdeck.engine.releases import Release

_RECORD_KINDS = (REVISION_RECORD_KIND, OPERATION_RECORD_KIND)
CLAIM = ("", "PersistentVolumeClaim")
VOLUME = ("", "PersistentVolume")


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


@dataclass(frozen=True)
class OwnedObject:
    """An object of a release: ``ref.namespace`` None for a cluster-scoped kind."""

    ref: ObjRef
    component: str
    release: str
    keep: bool = False  # helm.sh/resource-policy: keep, so Helm leaves it on uninstall
    hook: bool = False  # a hook: Helm deletes it only as its delete policy says, never on uninstall


@dataclass(frozen=True)
class ClaimTemplates:
    """A StatefulSet and the claim templates it makes claims from."""

    ref: ObjRef
    component: str
    templates: tuple[str, ...]
    deletes_claims: bool  # persistentVolumeClaimRetentionPolicy Delete (whenDeleted or whenScaled)

    def makes(self, claim: str) -> bool:
        return any(re.fullmatch(re.escape(f"{t}-{self.ref.name}-") + r"\d+", claim) for t in self.templates)


@dataclass(frozen=True)
class LeftObject:
    """Something undeploy (or purge) leaves in the cluster, and why."""

    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"object": self.what, "reason": self.reason}


@dataclass
class ReleaseContents:
    component: str
    release: Release
    objects: list[OwnedObject]
    crds: list[str]  # names of the CustomResourceDefinitions in the chart's crds/
    claim_templates: list[ClaimTemplates] = field(default_factory=list)
    #: PersistentVolume name -> the claim (namespace, name) that names it in ``volumeName``
    claim_volumes: dict[str, tuple[str, str]] = field(default_factory=dict)


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
    ) -> None:
        self.client = client
        self.platform_id = platform_id
        self.admin_namespace = admin_namespace
        self.releases = list(releases)
        self.objects = [o for r in self.releases for o in r.objects]
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
    def read(cls, session: PlatformSession, releases: Mapping[str, Release] | None = None) -> PlatformInventory:
        """The platform's inventory now: ``releases`` (component -> release) default to its live ones."""
        client = session.client
        live = session.live_releases() if releases is None else releases
        contents = [
            _release_contents(client, session.engine, component, rel) for component, rel in sorted(live.items())
        ]
        objects = [o for r in contents for o in r.objects]
        templates = [t for r in contents for t in r.claim_templates]
        names = [session.admin_namespace, *session.platform.all_namespaces()]
        names += [o.ref.namespace for o in objects if o.ref.namespace]
        names += [r.release.namespace for r in contents]
        with contextlib.suppress(ClusterError):  # listing namespaces may be forbidden: the named ones stay
            names += managed_namespaces(client, session.platform_id)
        namespaces = {ns: get_namespace(client, ns) for ns in dict.fromkeys(names)}
        claims = _claims(client, session.platform_id, objects, templates, [n for n, v in namespaces.items() if v])
        volumes = _volumes(client, session.platform_id, contents, claims)
        admin = session.admin_namespace
        store = lease = None
        records: dict[str, list[ObjRef]] = {}
        if namespaces.get(admin) is not None:
            store, records, lease = _helmdeck_made(client, session, admin)
        crds = sorted({(name, r.component) for r in contents for name in r.crds})
        crds_left = [(n, c) for n, c in crds if _exists(client, ObjRef(_CRD_API, "CustomResourceDefinition", n))]
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
            out.append(f"platform revision records in {self.admin_namespace} ({count})")
        if self.operation_records:
            count = len(self.operation_records)
            out.append(f"web service operation records in {self.admin_namespace} ({count})")
        return out

    def helm_leaves(self) -> list[OwnedObject]:
        """The objects of the releases Helm's uninstall leaves in the cluster (kept by
        ``helm.sh/resource-policy: keep``, hooks its delete policy did not delete) that are there
        now, claims and data volumes aside (they are :meth:`data`): what a plain undeploy leaves and
        purge deletes."""
        data = {_key(*CLAIM, c.namespace, c.name) for c in self.claims}
        data.update(_key(*VOLUME, None, v.name) for v in self.volumes)
        out = []
        for obj in self.objects:
            ref = obj.ref
            key = _key(ref.group, ref.kind, ref.namespace, ref.name)
            if (
                (obj.keep or obj.hook)
                and key not in data
                and (ref.group, ref.kind) != CLAIM
                and _exists(self.client, ref)
            ):
                out.append(obj)
        return out

    def crds(self) -> list[LeftObject]:
        return [
            LeftObject(
                f"CustomResourceDefinition {name}",
                f"shipped in the crds/ of {component}'s chart: Helm never deletes those "
                f"(kubectl delete crd {name} deletes every object of its kind)",
            )
            for name, component in self.crds_left
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
                return (self.store is not None and name == self.store.name) or labels.get(KIND_LABEL) in _RECORD_KINDS
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


_CRD_API = "apiextensions.k8s.io/v1"


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")


def _exists(client: KubeClient, ref: ObjRef) -> bool:
    from helmdeck.cluster import get_object

    try:
        return get_object(client, ref) is not None
    except ClusterError:
        return True  # unreadable: say it may be left rather than pretend it is gone


def _latest_record(client: KubeClient, rel: Release) -> dict[str, Any] | None:
    """The release as Helm stored it (manifest, hooks, chart files), from its newest release Secret
    (found by metadata: each revision's Secret carries the whole chart)."""
    from helmdeck.cluster import get_object
    from helmdeck.cluster.kinds import list_metadata

    labels = {"owner": "helm", "name": rel.name}
    records = list_metadata(client, "v1", "Secret", namespace=rel.namespace, labels=labels)
    if not records:
        return None
    latest = max(records, key=lambda r: int(((r.get("metadata") or {}).get("labels") or {}).get("version", "0")))
    found = get_object(client, ObjRef("v1", "Secret", str(latest["metadata"]["name"]), rel.namespace))
    raw = ((found or {}).get("data") or {}).get("release")
    return decode_release_data(raw) if raw else None


def _chart_crds(record: Mapping[str, Any]) -> list[str]:
    chart = record.get("chart") or {}
    names = []
    for f in chart.get("files") or []:
        if not isinstance(f, Mapping) or not str(f.get("name", "")).startswith("crds/"):
            continue
        try:
            text = base64.b64decode(str(f.get("data") or "")).decode()
            docs = list(yaml.safe_load_all(text))
        except (ValueError, yaml.YAMLError):
            continue
        for doc in docs:
            if isinstance(doc, Mapping) and doc.get("kind") == "CustomResourceDefinition":
                name = (doc.get("metadata") or {}).get("name")
                if name:
                    names.append(str(name))
    return names


def _release_contents(client: KubeClient, engine: HelmEngine, component: str, rel: Release) -> ReleaseContents:
    record = _latest_record(client, rel)
    if record is not None:
        manifest = str(record.get("manifest") or "")
    else:  # another storage driver than Helm's default Secrets: no hooks or chart files then
        manifest = rel.manifest or engine.get_manifest(rel.name, namespace=rel.namespace)
    hooks = [str(h.get("manifest") or "") for h in (record or {}).get("hooks") or [] if isinstance(h, Mapping)]
    parsed = [(o, False) for o in parse_manifest_stream(manifest, component=component)]
    for hook_manifest in hooks:
        parsed += [(o, True) for o in parse_manifest_stream(hook_manifest, component=component)]
    scopes = ScopeResolver()
    for obj, _ in parsed:
        if obj.kind == "CustomResourceDefinition":
            scopes.learn_crd(dict(obj.body))
    objects: list[OwnedObject] = []
    templates: list[ClaimTemplates] = []
    claim_volumes: dict[str, tuple[str, str]] = {}
    for obj, hook in parsed:
        try:
            ref = ObjRef.from_manifest(obj.body, rel.namespace)
        except ClusterError:
            continue  # Helm could not have installed it either
        info = kind_info(client, ref.api_version, ref.kind)
        namespaced = info.namespaced if info is not None else scopes.is_namespaced(ref.group, ref.kind)
        if not namespaced:
            ref = ref.cluster_scoped()
        keep = obj.annotations.get(RESOURCE_POLICY_ANNOTATION) == "keep"
        objects.append(OwnedObject(ref, component, rel.name, keep, hook))
        made = _claim_templates(ref, component, obj.body) if ref.kind == "StatefulSet" and not hook else None
        if made is not None:
            templates.append(made)
        spec = obj.body.get("spec")
        if (ref.group, ref.kind) == CLAIM and not hook and isinstance(spec, Mapping) and spec.get("volumeName"):
            claim_volumes[str(spec["volumeName"])] = (ref.namespace or rel.namespace, ref.name)
    return ReleaseContents(component, rel, objects, _chart_crds(record or {}), templates, claim_volumes)


def _claim_templates(ref: ObjRef, component: str, body: Mapping[str, Any]) -> ClaimTemplates | None:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return None
    templates = tuple(
        str((t.get("metadata") or {}).get("name"))
        for t in spec.get("volumeClaimTemplates") or []
        if isinstance(t, Mapping) and (t.get("metadata") or {}).get("name")
    )
    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    policy = policy if isinstance(policy, Mapping) else {}
    deletes = "Delete" in (policy.get("whenDeleted"), policy.get("whenScaled"))
    return ClaimTemplates(ref, component, templates, deletes) if templates else None


def _claims(
    client: KubeClient,
    platform_id: str,
    objects: Sequence[OwnedObject],
    templates: Sequence[ClaimTemplates],
    namespaces: Sequence[str],
) -> list[InventoryClaim]:
    """The live claims of the platform: templated by its releases, made from its StatefulSets'
    templates, or labelled with the platform by an earlier undeploy or uninstall."""
    direct = {(o.ref.namespace, o.ref.name): o.component for o in objects if (o.ref.group, o.ref.kind) == CLAIM}
    where = sorted({ns for ns, _ in direct if ns} | {t.ref.namespace for t in templates if t.ref.namespace})
    queries = [ListQuery("v1", "PersistentVolumeClaim", namespace=ns, metadata_only=True) for ns in where]
    # kept claims anywhere; one list of the whole cluster, or of the platform's namespaces when
    # that is not allowed
    label = {PLATFORM_LABEL: platform_id}
    queries.append(ListQuery("v1", "PersistentVolumeClaim", labels=label, metadata_only=True))
    results = list_each(client, queries)
    if isinstance(results[-1], ClusterError):
        scoped = [
            ListQuery("v1", "PersistentVolumeClaim", namespace=n, labels=label, metadata_only=True) for n in namespaces
        ]
        results = results[:-1] + list_each(client, scoped)
    found: dict[InventoryClaim, str] = {}
    for result in results:
        if isinstance(result, ClusterError):
            raise result
        for pvc in result:
            meta = pvc.get("metadata") or {}
            ns, name = str(meta.get("namespace")), str(meta.get("name"))
            component = direct.get((ns, name)) or next(
                (t.component for t in templates if t.ref.namespace == ns and t.makes(name)), None
            )
            labels = meta.get("labels") or {}
            if component is None and labels.get(PLATFORM_LABEL) == platform_id:
                component = str(labels.get(COMPONENT_LABEL) or "")
            if component is not None:
                found[InventoryClaim(ns, name, component)] = component
    return sorted(found)


def _volumes(
    client: KubeClient, platform_id: str, contents: Sequence[ReleaseContents], claims: Sequence[InventoryClaim]
) -> list[InventoryVolume]:
    """The PersistentVolumes the releases ship that hold one of ``claims`` (Helm would delete
    them with the release, leaving the kept claim on a volume stuck terminating), and volumes an
    earlier undeploy kept and labelled with the platform."""
    from helmdeck.cluster import get_object, list_objects

    kept = {(c.namespace, c.name) for c in claims}
    found: dict[str, InventoryVolume] = {}
    for release in contents:
        for obj in release.objects:
            if (obj.ref.group, obj.ref.kind) != VOLUME or obj.hook or obj.ref.name in found:
                continue
            live = get_object(client, ObjRef("v1", "PersistentVolume", obj.ref.name))
            if live is None:
                continue
            claim = _claim_ref(live) or release.claim_volumes.get(obj.ref.name)
            if claim in kept:
                found[obj.ref.name] = InventoryVolume(obj.ref.name, claim, obj.component)
    label = {PLATFORM_LABEL: platform_id}
    with contextlib.suppress(ClusterError):  # listing volumes may be forbidden: the shipped ones stay
        for live in list_objects(client, "v1", "PersistentVolume", labels=label):
            meta = live.get("metadata") or {}
            name = str(meta.get("name"))
            if name not in found:
                component = str((meta.get("labels") or {}).get(COMPONENT_LABEL) or "")
                found[name] = InventoryVolume(name, _claim_ref(live) or ("", ""), component)
    return sorted(found.values())


def _claim_ref(volume: Mapping[str, Any]) -> tuple[str, str] | None:
    ref = (volume.get("spec") or {}).get("claimRef") or {}
    if not ref.get("name"):
        return None
    return str(ref.get("namespace") or ""), str(ref["name"])


def _helmdeck_made(
    client: KubeClient, session: PlatformSession, admin: str
) -> tuple[ObjRef | None, dict[str, list[ObjRef]], ObjRef | None]:
    """The secrets store, the records of each kind (revisions, operations) and the Lease."""
    from helmdeck.cluster import list_objects

    store_ref = ObjRef("v1", "Secret", session.platform.secret_store_name, admin)
    store = store_ref if _exists(client, store_ref) else None
    records: dict[str, list[ObjRef]] = {kind: [] for kind in _RECORD_KINDS}
    for secret in list_objects(client, "v1", "Secret", namespace=admin, labels={PLATFORM_LABEL: session.platform_id}):
        meta = secret.get("metadata") or {}
        kind = (meta.get("labels") or {}).get(KIND_LABEL)
        if kind in records:
            records[kind].append(ObjRef("v1", "Secret", str(meta["name"]), admin))
    lease_ref = ObjRef("coordination.k8s.io/v1", "Lease", lease_name(session.platform_id), admin)
    return store, records, lease_ref if _exists(client, lease_ref) else None
