"""What a health check looks at: the objects of the release *as Helm installed it* (its stored
manifest), not helmdeck's own render, which differs whenever a chart draws random names
(``randAlphaNum``) or reads the cluster (``lookup``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from helmdeck.cluster import ObjRef
from helmdeck.manifests import parse_manifest_stream


@dataclass(frozen=True)
class ReleaseTargets:
    objects: tuple[ObjRef, ...]
    # Jobs with ttlSecondsAfterFinished: once finished they are removed, and their absence is success
    ttl_jobs: frozenset[ObjRef]


def release_targets(manifest: str, namespace: str, component: str) -> ReleaseTargets:
    objects: list[ObjRef] = []
    ttl_jobs: set[ObjRef] = set()
    for obj in parse_manifest_stream(manifest, component=component):
        ref = ObjRef.from_manifest(obj.body, namespace)
        objects.append(ref)
        spec = obj.body.get("spec")
        if (
            obj.kind == "Job"
            and obj.group == "batch"
            and isinstance(spec, Mapping)
            and spec.get("ttlSecondsAfterFinished") is not None
        ):
            ttl_jobs.add(ref)
    return ReleaseTargets(tuple(objects), frozenset(ttl_jobs))
