"""Reading a platform's inventory from the cluster (:meth:`PlatformInventory.read
<helmdeck.core.inventory.PlatformInventory.read>`): each release as Helm stored it, the live claims
and volumes that are the platform's data, and what helmdeck made itself in the admin namespace."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import yaml

from helmdeck.cluster import KubeClient, ListQuery, ObjRef, list_each
from helmdeck.cluster.lease import lease_name
from helmdeck.core.inventory_parts import (
    CLAIM,
    VOLUME,
    ClaimTemplates,
    InventoryClaim,
    InventoryVolume,
    OwnedObject,
    ReleaseContents,
    release_parts,
)
from helmdeck.engine.storage import decode_release_data
from helmdeck.errors import ClusterError
from helmdeck.labels import (
    COMPONENT_LABEL,
    CRDS_OF_LABEL,
    KIND_LABEL,
    LEFT_BY_HELM_LABEL,
    OPERATION_RECORD_KIND,
    PLATFORM_LABEL,
    REVISION_RECORD_KIND,
)

if TYPE_CHECKING:
    from helmdeck.core.session import PlatformSession
    from helmdeck.engine.port import HelmEngine
    from helmdeck.engine.releases import Release

RECORD_KINDS = (REVISION_RECORD_KIND, OPERATION_RECORD_KIND)


CRD_API = "apiextensions.k8s.io/v1"


def exists(client: KubeClient, ref: ObjRef) -> bool:
    from helmdeck.cluster import get_object

    try:
        return get_object(client, ref) is not None
    except ClusterError:
        return True  # unreadable: say it may be left rather than pretend it is gone


def latest_record(client: KubeClient, rel: Release) -> dict[str, Any] | None:
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


def chart_crds(record: Mapping[str, Any]) -> list[str]:
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


def release_contents(client: KubeClient, engine: HelmEngine, component: str, rel: Release) -> ReleaseContents:
    record = latest_record(client, rel)
    if record is not None:
        manifest = str(record.get("manifest") or "")
    else:  # another storage driver than Helm's default Secrets: no hooks or chart files then
        manifest = rel.manifest or engine.get_manifest(rel.name, namespace=rel.namespace)
    hooks = [str(h.get("manifest") or "") for h in (record or {}).get("hooks") or [] if isinstance(h, Mapping)]
    parts = release_parts(client, manifest, rel.namespace, component, hooks, release=rel.name)
    return ReleaseContents(
        component,
        rel,
        list(parts.objects),
        chart_crds(record or {}),
        list(parts.claim_templates),
        dict(parts.claim_volumes),
    )


def read_claims(
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


def read_volumes(
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


def helmdeck_made(
    client: KubeClient, session: PlatformSession, admin: str
) -> tuple[ObjRef | None, dict[str, list[ObjRef]], ObjRef | None]:
    """The secrets store, the records of each kind (revisions, operations) and the Lease."""
    from helmdeck.cluster import list_objects

    store_ref = ObjRef("v1", "Secret", session.platform.secret_store_name, admin)
    store = store_ref if exists(client, store_ref) else None
    records: dict[str, list[ObjRef]] = {kind: [] for kind in RECORD_KINDS}
    for secret in list_objects(client, "v1", "Secret", namespace=admin, labels={PLATFORM_LABEL: session.platform_id}):
        meta = secret.get("metadata") or {}
        kind = (meta.get("labels") or {}).get(KIND_LABEL)
        if kind in records:
            records[kind].append(ObjRef("v1", "Secret", str(meta["name"]), admin))
    lease_ref = ObjRef("coordination.k8s.io/v1", "Lease", lease_name(session.platform_id), admin)
    return store, records, lease_ref if exists(client, lease_ref) else None


def marked_crds(client: KubeClient, platform_id: str) -> list[tuple[str, str]]:
    """(name, component) of the CRDs marked :data:`CRDS_OF_LABEL` by an earlier undeploy."""
    from helmdeck.cluster import list_objects

    try:
        found = list_objects(client, CRD_API, "CustomResourceDefinition", labels={CRDS_OF_LABEL: platform_id})
        return sorted(
            (str(o["metadata"]["name"]), str((o["metadata"].get("labels") or {}).get(COMPONENT_LABEL) or ""))
            for o in found
        )
    except ClusterError:
        return []  # unlistable: not reported, never deleted either way


def read_left_by_helm(client: KubeClient, platform_id: str) -> list[OwnedObject]:
    """What the uninstalls of an earlier undeploy left (marked with :data:`LEFT_BY_HELM_LABEL`),
    any kind, any namespace: one label-selected list of each kind API discovery names (a purge is
    rare, and a fixed list of kinds would miss a chart's custom resources). A kind that cannot be
    listed is skipped: what is not found is left, never deleted by mistake."""
    from helmdeck.cluster.discovery import listable_kinds

    label = {LEFT_BY_HELM_LABEL: platform_id}
    kinds = [*listable_kinds(client, namespaced=True), *listable_kinds(client, namespaced=False)]
    queries = [ListQuery(k.api_version, k.kind, labels=label, metadata_only=True) for k in kinds]
    out: list[OwnedObject] = []
    for info, found in zip(kinds, list_each(client, queries), strict=True):
        if isinstance(found, ClusterError) or (info.group, info.kind) in (CLAIM, VOLUME):
            continue  # claims and volumes are data, found by the platform label
        for obj in found:
            meta = obj.get("metadata") or {}
            ns = str(meta["namespace"]) if info.namespaced and meta.get("namespace") else None
            ref = ObjRef(info.api_version, info.kind, str(meta.get("name")), ns)
            component = str((meta.get("labels") or {}).get(COMPONENT_LABEL) or "")
            release = str((meta.get("annotations") or {}).get("meta.helm.sh/release-name") or "")
            out.append(OwnedObject(ref, component, release, keep=True, left=True))
    return out
