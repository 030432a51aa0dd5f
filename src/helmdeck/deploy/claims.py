"""The platform's data: which PersistentVolumeClaims belong to it, and how undeploy keeps them.

A claim belongs to the platform when one of its releases created it (a ``PersistentVolumeClaim``
in the release manifest, or a StatefulSet's ``volumeClaimTemplates``), when an earlier undeploy
marked it with the platform's label, or when it lives in a namespace helmdeck created for this
platform. Nothing else is ever purged: a namespace the platform shares with others (one that
existed before helmdeck) keeps the claims it does not own.

Helm deletes every object of a release on uninstall, claims included, deciding from the release's
stored manifest alone. Before uninstalling, each claim the release templates gets Helm's own
``helm.sh/resource-policy: keep`` in that stored manifest, and every claim of the release is
labelled with the platform so purge can find it later. The release ownership annotations stay
untouched, so a later install of the same release adopts the claim again and the data comes back.
StatefulSets that would delete their claims with them are switched to ``Retain`` and let go of
them first.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from helmdeck.cluster import KubeClient, NotFound, ObjRef, get_object, list_objects, merge_patch_object, replace_object
from helmdeck.cluster.namespaces import get_namespace, is_managed
from helmdeck.engine.port import HelmEngine
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.engine.storage import decode_release_data, encode_release_data
from helmdeck.labels import COMPONENT_LABEL, PLATFORM_LABEL
from helmdeck.manifests.objects import RESOURCE_POLICY_ANNOTATION
from helmdeck.manifests.parse import parse_manifest_stream, split_documents

FIELD_MANAGER = "helmdeck-undeploy"


@dataclass(frozen=True, order=True)
class Claim:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"PersistentVolumeClaim {self.namespace}/{self.name}"


@dataclass(frozen=True)
class ReleaseClaims:
    """What one release owns in storage: claims it templates, and its StatefulSets' claim templates."""

    component: str
    namespace: str
    claims: tuple[str, ...]
    statefulsets: tuple[tuple[str, tuple[str, ...], bool], ...]  # (name, template names, deletes claims)


def release_claims(engine: HelmEngine, component: str, rel: Release) -> ReleaseClaims:
    if rel.status is ReleaseStatus.UNINSTALLED:
        return ReleaseClaims(component, rel.namespace, (), ())
    manifest = engine.get_manifest(rel.name, namespace=rel.namespace)
    claims: list[str] = []
    sets: list[tuple[str, tuple[str, ...], bool]] = []
    for obj in parse_manifest_stream(manifest, component=component):
        namespace = obj.namespace or rel.namespace
        if namespace != rel.namespace:
            continue  # claims in other namespaces are rare; they are found by label or namespace below
        if obj.kind == "PersistentVolumeClaim" and obj.name:
            claims.append(obj.name)
        elif obj.kind == "StatefulSet" and obj.name:
            spec = obj.body.get("spec")
            spec = spec if isinstance(spec, Mapping) else {}
            templates = tuple(
                str((t.get("metadata") or {}).get("name"))
                for t in spec.get("volumeClaimTemplates") or []
                if isinstance(t, Mapping) and (t.get("metadata") or {}).get("name")
            )
            policy = spec.get("persistentVolumeClaimRetentionPolicy")
            policy = policy if isinstance(policy, Mapping) else {}
            deletes = "Delete" in (policy.get("whenDeleted"), policy.get("whenScaled"))
            if templates:
                sets.append((obj.name, templates, deletes))
    return ReleaseClaims(component, rel.namespace, tuple(claims), tuple(sets))


def _statefulset_claim(name: str, templates: Iterable[str], statefulset: str) -> bool:
    return any(re.fullmatch(re.escape(f"{t}-{statefulset}-") + r"\d+", name) for t in templates)


def _list_claims(client: KubeClient, namespace: str, labels: Mapping[str, str] | None = None) -> list[str]:
    """Names of the claims in ``namespace`` (with ``labels``)."""
    try:
        claims = list_objects(client, "v1", "PersistentVolumeClaim", namespace=namespace, labels=labels)
        return [str((pvc.get("metadata") or {}).get("name")) for pvc in claims]
    except NotFound:
        return []


def claims_of_release(client: KubeClient, owned: ReleaseClaims) -> list[Claim]:
    """The live claims the release created, directly or through its StatefulSets."""
    out = set()
    direct = set(owned.claims)
    for name in _list_claims(client, owned.namespace) if (direct or owned.statefulsets) else []:
        if name in direct or any(_statefulset_claim(name, t, sts) for sts, t, _ in owned.statefulsets):
            out.add(Claim(owned.namespace, name))
    return sorted(out)


def protect(client: KubeClient, platform_id: str, release: str, owned: ReleaseClaims) -> list[Claim]:
    """Make the release's claims survive its uninstall; returns the claims protected."""
    for sts, _templates, deletes in owned.statefulsets:
        if deletes:
            retain = {"whenDeleted": "Retain", "whenScaled": "Retain"}
            patch = {"spec": {"persistentVolumeClaimRetentionPolicy": retain}}
            with contextlib.suppress(NotFound):  # gone already: nothing of it to keep
                merge_patch_object(client, ObjRef("apps/v1", "StatefulSet", sts, owned.namespace), patch)
    claims = claims_of_release(client, owned)
    statefulsets = {sts for sts, _, _ in owned.statefulsets}
    for claim in claims:
        ref = ObjRef("v1", "PersistentVolumeClaim", claim.name, claim.namespace)
        pvc = get_object(client, ref)
        if pvc is None:
            continue
        meta: dict[str, Any] = {"labels": {PLATFORM_LABEL: platform_id, COMPONENT_LABEL: owned.component}}
        refs = (pvc.get("metadata") or {}).get("ownerReferences") or []
        # a StatefulSet that deleted its claims made itself their owner: the garbage collector
        # would take them with it, whatever its policy says by then
        kept_refs = [r for r in refs if not (r.get("kind") == "StatefulSet" and r.get("name") in statefulsets)]
        if len(kept_refs) != len(refs):
            meta["ownerReferences"] = kept_refs
        merge_patch_object(client, ref, {"metadata": meta})
    direct = {c.name for c in claims if c.name in owned.claims}
    if direct:
        keep_in_release_record(client, release, owned.namespace, direct)
    return claims


def keep_in_release_record(client: KubeClient, release: str, namespace: str, claims: set[str]) -> None:
    """Give the release's own claims Helm's keep policy in its latest stored revision, the one
    ``helm uninstall`` reads to decide what to delete (it never looks at the live objects)."""
    records = list(list_objects(client, "v1", "Secret", namespace=namespace, labels={"owner": "helm", "name": release}))
    if not records:
        return
    latest = max(records, key=lambda r: int(((r.get("metadata") or {}).get("labels") or {}).get("version", "0")))
    raw = (latest.get("data") or {}).get("release")
    data = decode_release_data(raw) if raw else None
    if data is None:
        return
    manifest = str(data.get("manifest") or "")
    rewritten = _with_keep_policy(manifest, claims)
    if rewritten == manifest:
        return
    data["manifest"] = rewritten
    latest["data"] = {**(latest.get("data") or {}), "release": encode_release_data(data)}
    replace_object(client, latest)  # resourceVersion included: a concurrent writer makes this fail, not race


def _with_keep_policy(manifest: str, claims: set[str]) -> str:
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
        if (
            isinstance(doc, dict)
            and doc.get("kind") == "PersistentVolumeClaim"
            and isinstance(meta, dict)
            and meta.get("name") in claims
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


def platform_claims(
    client: KubeClient, platform_id: str, namespaces: Iterable[str], owned: Iterable[ReleaseClaims] = ()
) -> list[Claim]:
    """Every live claim of the platform (see the module docs for what counts)."""
    found: set[Claim] = set()
    for ns in dict.fromkeys(namespaces):
        namespace = get_namespace(client, ns)
        if namespace is None:
            continue
        if is_managed(namespace, platform_id):
            found.update(Claim(ns, name) for name in _list_claims(client, ns))
        else:
            found.update(Claim(ns, name) for name in _list_claims(client, ns, labels={PLATFORM_LABEL: platform_id}))
    for release in owned:
        found.update(claims_of_release(client, release))
    return sorted(found)
