"""Keeping a platform's claims through a Helm uninstall (undeploy, extension uninstall, a rollback
that removes a component): which claims are the platform's is :class:`PlatformInventory`'s answer.

Helm deletes every object of a release on uninstall, claims included, deciding from the release's
stored manifest alone. Before uninstalling, each claim the release templates gets Helm's own
``helm.sh/resource-policy: keep`` in that stored manifest, and every claim of the release, in any
namespace, is labelled with the platform and component so a later purge finds it once the release
(and its manifest) is gone. The release ownership annotations stay untouched, so a later install of
the same release adopts the claim again and the data comes back. StatefulSets that would delete
their claims with them are switched to ``Retain`` and let go of them first. A PersistentVolume the
release ships that holds a kept claim (:class:`InventoryVolume`) is kept the same way: deleted, it
would stay terminating under its claim and the next install could not create it again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

import yaml

from helmdeck.cluster import KubeClient, NotFound, ObjRef, get_object, list_objects, merge_patch_object, replace_object
from helmdeck.core.inventory import CLAIM, VOLUME, InventoryClaim, LeftObject, OwnedObject, PlatformInventory
from helmdeck.core.inventory_read import CRD_API
from helmdeck.engine.storage import decode_release_data, encode_release_data
from helmdeck.errors import ClusterError
from helmdeck.labels import COMPONENT_LABEL, CRDS_OF_LABEL, LEFT_BY_HELM_LABEL, PLATFORM_LABEL
from helmdeck.manifests.objects import RESOURCE_POLICY_ANNOTATION
from helmdeck.manifests.parse import split_documents


def keep_claims(client: KubeClient, inventory: PlatformInventory, components: Iterable[str]) -> list[InventoryClaim]:
    """Make the claims of ``components`` survive their releases' uninstall; returns those claims."""
    wanted = set(components)
    templates = [t for t in inventory.claim_templates if t.component in wanted]
    for sts in templates:
        if sts.deletes_claims:
            retain = {"whenDeleted": "Retain", "whenScaled": "Retain"}
            with contextlib.suppress(NotFound):  # gone already: nothing of it to keep
                merge_patch_object(client, sts.ref, {"spec": {"persistentVolumeClaimRetentionPolicy": retain}})
    statefulsets = {(t.ref.namespace, t.ref.name) for t in templates}
    claims = inventory.claims_of(wanted)
    for claim in claims:
        pvc = get_object(client, claim.ref)
        if pvc is None:
            continue
        meta: dict[str, Any] = {"labels": {PLATFORM_LABEL: inventory.platform_id, COMPONENT_LABEL: claim.component}}
        refs = (pvc.get("metadata") or {}).get("ownerReferences") or []
        # a StatefulSet that deleted its claims made itself their owner: the garbage collector
        # would take them with it, whatever its policy says by then
        kept_refs = [
            r for r in refs if not (r.get("kind") == "StatefulSet" and (claim.namespace, r.get("name")) in statefulsets)
        ]
        if len(kept_refs) != len(refs):
            meta["ownerReferences"] = kept_refs
        merge_patch_object(client, claim.ref, {"metadata": meta})
    volumes = inventory.volumes_of(wanted)
    for volume in volumes:
        labels = {PLATFORM_LABEL: inventory.platform_id, COMPONENT_LABEL: volume.component}
        with contextlib.suppress(NotFound):  # gone already: nothing of it to keep
            merge_patch_object(client, volume.ref, {"metadata": {"labels": labels}})
    data_volumes = {v.name for v in volumes}
    for contents in inventory.releases:
        if contents.component not in wanted:
            continue
        rel = contents.release
        mine = [o for o in contents.objects if not o.keep and not o.hook]
        direct = {(o.ref.namespace or rel.namespace, o.ref.name) for o in mine if (o.ref.group, o.ref.kind) == CLAIM}
        shipped = {o.ref.name for o in mine if (o.ref.group, o.ref.kind) == VOLUME and o.ref.name in data_volumes}
        if direct or shipped:
            keep_in_release_record(client, rel.name, rel.namespace, direct, volumes=shipped)
    return claims


def mark_left_by_helm(
    client: KubeClient, inventory: PlatformInventory, components: Iterable[str] | None = None
) -> list[LeftObject]:
    """Label what Helm's uninstall left of the releases of ``components`` (None: every release of
    the inventory) -- objects kept by ``helm.sh/resource-policy: keep``, hooks its delete policy
    did not delete -- with :data:`LEFT_BY_HELM_LABEL` and their component: with the release gone,
    the label is all that still says they are the platform's, so a later purge deletes them and
    nothing else. Undeploy, extension uninstall and a rollback that removes a component all call
    this after their uninstall, so each leaves the same marks and says the same. Returns what is
    left, and why; one that cannot be patched stays unmarked (and a purge leaves it)."""
    out = []
    for obj in inventory.helm_leaves(components):
        labels = {LEFT_BY_HELM_LABEL: inventory.platform_id, COMPONENT_LABEL: obj.component}
        with contextlib.suppress(ClusterError):  # NotFound among them: gone since, nothing to mark
            merge_patch_object(client, obj.ref, {"metadata": {"labels": labels}})
            out.append(LeftObject(str(obj.ref), why_left(obj, inventory.platform_id)))
    wanted = None if components is None else set(components)
    for crd in inventory.crds(wanted):
        name = crd.what.removeprefix("CustomResourceDefinition ")
        component = next(c for n, c in inventory.crds_left if n == name)
        ref = ObjRef(CRD_API, "CustomResourceDefinition", name)
        with contextlib.suppress(ClusterError):  # unmarked, it is still reported while its release is
            labels = {CRDS_OF_LABEL: inventory.platform_id, COMPONENT_LABEL: component}
            merge_patch_object(client, ref, {"metadata": {"labels": labels}})
        out.append(crd)
    return out


def why_left(obj: OwnedObject, platform_id: str) -> str:
    """Why Helm's uninstall left ``obj``, and what finds it again."""
    marked = f"; marked {LEFT_BY_HELM_LABEL}={platform_id}: a purge deletes it"
    if obj.left:
        return f"left by an earlier uninstall of {obj.component or 'a release'}{marked}"
    if obj.keep:
        return f"helm.sh/resource-policy: keep in {obj.component}'s chart{marked}"
    return f"a hook of {obj.component}'s chart: Helm's uninstall leaves hooks{marked}"


def keep_in_release_record(
    client: KubeClient,
    release: str,
    namespace: str,
    claims: set[tuple[str, str]],
    *,
    volumes: Iterable[str] = (),
) -> None:
    """Give the release's own claims (and the PersistentVolumes named in ``volumes``) Helm's keep
    policy in its latest stored revision, the one ``helm uninstall`` reads to decide what to delete
    (it never looks at the live objects)."""
    records = list(list_objects(client, "v1", "Secret", namespace=namespace, labels={"owner": "helm", "name": release}))
    if not records:
        return
    latest = max(records, key=lambda r: int(((r.get("metadata") or {}).get("labels") or {}).get("version", "0")))
    raw = (latest.get("data") or {}).get("release")
    data = decode_release_data(raw) if raw else None
    if data is None:
        return
    manifest = str(data.get("manifest") or "")
    rewritten = _with_keep_policy(manifest, namespace, claims, set(volumes))
    if rewritten == manifest:
        return
    data["manifest"] = rewritten
    latest["data"] = {**(latest.get("data") or {}), "release": encode_release_data(data)}
    replace_object(client, latest)  # resourceVersion included: a concurrent writer makes this fail, not race


def _with_keep_policy(
    manifest: str, release_namespace: str, claims: set[tuple[str, str]], volumes: AbstractSet[str] = frozenset()
) -> str:
    """The manifest with ``claims`` ((namespace, name), in any namespace) and the PersistentVolumes
    named in ``volumes`` (cluster-scoped) annotated keep."""
    docs = []
    changed = False
    leading_separator = manifest.lstrip("\n").startswith("---")
    for index, (_line, chunk) in enumerate(split_documents(manifest)):
        # a document's text starts with the rest of its separator line
        body = chunk.partition("\n")[2] if index > 0 or leading_separator else chunk
        try:
            doc = yaml.safe_load(body)
        except yaml.YAMLError:
            doc = None
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        kind = doc.get("kind") if isinstance(doc, dict) else None
        if (
            isinstance(doc, dict)
            and isinstance(meta, dict)
            and (
                (
                    kind == "PersistentVolumeClaim"
                    and (str(meta.get("namespace") or release_namespace), meta.get("name")) in claims
                )
                or (kind == "PersistentVolume" and meta.get("name") in volumes)
            )
        ):
            meta["annotations"] = {**(meta.get("annotations") or {}), RESOURCE_POLICY_ANNOTATION: "keep"}
            comments = [line for line in body.splitlines() if line.startswith("# Source:")]
            docs.append("\n".join([*comments, yaml.safe_dump(doc, sort_keys=False).rstrip("\n")]))
            changed = True
        else:
            docs.append(body.strip("\n"))
    if not changed:
        return manifest
    return "".join(f"---\n{doc}\n" for doc in docs)
